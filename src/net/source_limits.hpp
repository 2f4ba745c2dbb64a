// How much one source on the LAN may ask of the node, so that a scanner or a flood from
// one host cannot crowd out the calls and peers the node serves (issue 14: a node on a
// hostile LAN). Per source IP address (any port), a token bucket for requests (ACK
// aside) and one for new TCP connections, plus a cap on the connections one source holds
// at once, and one bucket for the requests of all sources together. What is over the limit is
// dropped without an answer (an answer would be traffic for the flood's sake; RFC 3261 allows a UA
// to discard what it cannot serve) and counted. Sources on this host (loopback) are the user's own
// programs and are not limited. Plain logic, time given by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace lanline::net {

struct SourceRate {
  double per_second = 0;  // sustained; 0: no limit
  double burst = 0;       // taken at once after a quiet while
};

struct SourceLimitOptions {
  // A phone, a person clicking, discovery's probes: a few a second; a peer's outbox
  // sending what waited (chat), or UDP retransmissions under loss (each counts here, as
  // the transport cannot tell them from new requests): tens to a hundred or two. A
  // scanner or a flood: thousands.
  SourceRate requests{200, 400};
  SourceRate connections{10, 20};
  std::size_t connections_per_source = 32;  // open at once, beside the transport's total cap
  std::size_t tracked_sources = 4096;       // the table's bound (sources quiet 10 s go first)
  // All sources but loopback together: many addresses (or forged ones) cannot add up to
  // more than the node can parse and answer beside its calls.
  SourceRate all_sources{2000, 4000};
};

class SourceLimits {
 public:
  explicit SourceLimits(SourceLimitOptions options = {}) : options_(options) {}

  // A request from `address` at `now_us` (monotonic microseconds): true when it may be
  // handled.
  bool admit_request(const std::string& address, std::int64_t now_us);
  // A new TCP connection from `address`, which holds `open` already.
  bool admit_connection(const std::string& address, std::size_t open, std::int64_t now_us);

  std::uint64_t refused_requests() const { return refused_requests_; }
  std::uint64_t refused_connections() const { return refused_connections_; }

 private:
  struct Bucket {
    double tokens = -1;  // < 0: full (not used yet)
    std::int64_t at_us = 0;
  };
  struct Source {
    Bucket requests;
    Bucket connections;
    std::int64_t seen_us = 0;
  };
  static bool take(Bucket& bucket, const SourceRate& rate, std::int64_t now_us);
  Source& source(const std::string& address, std::int64_t now_us);
  void make_room(std::int64_t now_us);

  SourceLimitOptions options_;
  Bucket all_;
  std::unordered_map<std::string, Source> sources_;
  std::uint64_t refused_requests_ = 0;
  std::uint64_t refused_connections_ = 0;
  std::int64_t last_sweep_us_ = 0;
};

}  // namespace lanline::net
