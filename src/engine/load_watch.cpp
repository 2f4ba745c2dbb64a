#include "engine/load_watch.hpp"

namespace lanline::engine {

LoadWatch::Verdict LoadWatch::record(Clock::time_point start, Clock::time_point end) {
  if (window_start_ == Clock::time_point{}) window_start_ = start;
  // Work that began before the window counts from the window's start only.
  if (start < window_start_) start = window_start_;
  if (end > start) busy_ += end - start;
  if (end - window_start_ < window_) return Verdict::kWindowOpen;
  const auto length = end - window_start_;
  last_share_ = std::chrono::duration<double>(busy_) / std::chrono::duration<double>(length);
  window_start_ = end;
  busy_ = Clock::duration{};
  return last_share_ > limit_ ? Verdict::kBehind : Verdict::kKeepsUp;
}

}  // namespace lanline::engine
