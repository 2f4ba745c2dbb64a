#include "net/source_limits.hpp"

#include <algorithm>

#include "sip/endpoint.hpp"

namespace lanline::net {
namespace {

constexpr std::int64_t kQuietUs = 10'000'000;  // a source quiet this long leaves the table

}  // namespace

bool SourceLimits::take(Bucket& bucket, const SourceRate& rate, std::int64_t now_us) {
  if (rate.per_second <= 0) return true;
  if (bucket.tokens < 0) {
    bucket.tokens = rate.burst;
  } else {
    const double elapsed = static_cast<double>(std::max<std::int64_t>(0, now_us - bucket.at_us));
    bucket.tokens = std::min(rate.burst, bucket.tokens + elapsed * rate.per_second / 1e6);
  }
  bucket.at_us = now_us;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

// The table is full (a flood from many addresses, real or forged): sources quiet for
// 10 s go (their buckets are full again by then), at most once a second; between sweeps,
// or when none is that quiet, any one goes. A forged source gains nothing by it: a new
// entry starts with one burst, as the evicted one would have by then.
void SourceLimits::make_room(std::int64_t now_us) {
  if (now_us - last_sweep_us_ >= 1'000'000) {
    last_sweep_us_ = now_us;
    std::erase_if(sources_, [now_us](const auto& entry) {
      return now_us - entry.second.seen_us >= kQuietUs;
    });
  }
  if (sources_.size() >= options_.tracked_sources) sources_.erase(sources_.begin());
}

SourceLimits::Source& SourceLimits::source(const std::string& address, std::int64_t now_us) {
  auto found = sources_.find(address);
  if (found == sources_.end()) {
    if (sources_.size() >= options_.tracked_sources) make_room(now_us);
    found = sources_.emplace(address, Source{}).first;
  }
  found->second.seen_us = now_us;
  return found->second;
}

bool SourceLimits::admit_request(const std::string& address, std::int64_t now_us) {
  if (sip::Endpoint{address}.loopback()) return true;
  if (take(source(address, now_us).requests, options_.requests, now_us) &&
      take(all_, options_.all_sources, now_us)) {
    return true;
  }
  ++refused_requests_;
  return false;
}

bool SourceLimits::admit_connection(const std::string& address, std::size_t open,
                                    std::int64_t now_us) {
  if (sip::Endpoint{address}.loopback()) return true;
  if (open < options_.connections_per_source &&
      take(source(address, now_us).connections, options_.connections, now_us)) {
    return true;
  }
  ++refused_connections_;
  return false;
}

}  // namespace lanline::net
