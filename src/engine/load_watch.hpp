// Whether the engine's thread keeps up with what arrives: the share of wall time it spent
// working (handling SIP messages, timers and commands, which is where media pipelines are
// built and torn down) over each window of time. Near 1, datagrams wait in the socket's
// queue and every transaction's answer comes late; the engine then refuses new calls with
// 503 (UserAgent::refuse_new_calls_until) for a window, so the calls it took keep going.
// Pure: fed the start and end of each piece of work.
#pragma once

#include <chrono>

namespace lanline::engine {

class LoadWatch {
 public:
  using Clock = std::chrono::steady_clock;

  // Behind when the work of a window took more than `limit` of it.
  explicit LoadWatch(std::chrono::milliseconds window = std::chrono::milliseconds(250),
                     double limit = 0.8)
      : window_(window), limit_(limit) {}

  enum class Verdict {
    kWindowOpen,  // the window goes on
    kKeepsUp,     // a window closed with its work under the limit
    kBehind,      // a window closed over the limit
  };
  // One piece of work, from `start` to `end`.
  Verdict record(Clock::time_point start, Clock::time_point end);

  std::chrono::milliseconds window() const { return window_; }
  double last_share() const { return last_share_; }  // of the last window that closed

 private:
  std::chrono::milliseconds window_;
  double limit_;
  Clock::time_point window_start_{};
  Clock::duration busy_{};
  double last_share_ = 0;
};

}  // namespace lanline::engine
