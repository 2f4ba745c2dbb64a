// Problems that peers cause (unparsable messages, garbage) are logged, but a flood of
// them must not flood the log: the first few in each window are written, the rest are
// counted and summed up when the next window opens.
#pragma once

#include <glib.h>
#include <spdlog/spdlog.h>

#include <cstdint>

namespace lanline::net {

class LogLimiter {
 public:
  explicit LogLimiter(int burst = 20, gint64 window = 10 * G_USEC_PER_SEC)
      : burst_(burst), window_(window) {}

  // True when this problem may be logged.
  bool allow() {
    gint64 now = g_get_monotonic_time();
    if (now - window_start_ >= window_) {
      if (suppressed_ > 0) {
        spdlog::info("SIP: {} more problems with received messages were not logged", suppressed_);
      }
      window_start_ = now;
      logged_ = 0;
      suppressed_ = 0;
    }
    if (logged_ < burst_) {
      ++logged_;
      return true;
    }
    ++suppressed_;
    return false;
  }

 private:
  int burst_;
  gint64 window_;
  gint64 window_start_ = 0;
  int logged_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace lanline::net
