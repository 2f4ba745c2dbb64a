#include "media/send_rate.hpp"

#include <algorithm>

namespace lanline::media {
namespace {

constexpr double kLossToCut = 0.10;
constexpr double kLossToGrow = 0.02;
constexpr double kQueueingMs = 200;
constexpr double kQueueingCut = 0.85;
constexpr double kGrowth = 1.08;

}  // namespace

SendRate::SendRate(int max_kbps, int min_kbps)
    : max_(std::max(max_kbps, 1)),
      min_(std::clamp(min_kbps, 1, std::max(max_kbps, 1))),
      rate_(max_) {}

int SendRate::update(double loss_fraction, double rtt_ms) {
  if (rtt_ms > 0 && (lowest_rtt_ < 0 || rtt_ms < lowest_rtt_)) lowest_rtt_ = rtt_ms;
  const bool queueing = rtt_ms > 0 && rtt_ms > lowest_rtt_ + kQueueingMs;
  if (loss_fraction > kLossToCut) {
    rate_ *= 1 - loss_fraction / 2;
  } else if (queueing) {
    rate_ *= kQueueingCut;
  } else if (loss_fraction >= 0 && loss_fraction < kLossToGrow) {
    rate_ *= kGrowth;
  }
  rate_ = std::clamp(rate_, min_, max_);
  return kbps();
}

}  // namespace lanline::media
