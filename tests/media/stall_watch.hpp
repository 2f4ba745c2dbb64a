// Measures how long this process was kept off the CPU while a test call ran.
//
// A phone's jitter buffer is a few tens of ms, so when the whole process stalls for
// longer (a loaded 2-core CI machine, a sanitizer build), the audio that arrives in one
// burst afterwards is dropped as late: that gap in a recording is the right behaviour of
// a low-latency pipeline, not a defect in it. A thread that asks to sleep 2 ms at a time
// sees such a stall as one long oversleep, so a test can tell "the pipeline lost audio"
// from "the machine stopped us" and run the call again in the second case only.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace lanline::test {

class StallWatch {
 public:
  StallWatch() : thread_([this] { run(); }) {}
  ~StallWatch() {
    stop_ = true;
    thread_.join();
  }
  StallWatch(const StallWatch&) = delete;
  StallWatch& operator=(const StallWatch&) = delete;

  // The longest time, beyond the 2 ms asked for, one sleep took so far.
  double max_stall_ms() const { return static_cast<double>(max_stall_us_.load()) / 1000.0; }

 private:
  void run() {
    using namespace std::chrono;
    constexpr auto kTick = milliseconds(2);
    while (!stop_) {
      auto before = steady_clock::now();
      std::this_thread::sleep_for(kTick);
      auto late = duration_cast<microseconds>(steady_clock::now() - before - kTick).count();
      max_stall_us_ = std::max<long long>(max_stall_us_.load(), late);
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<long long> max_stall_us_{0};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace lanline::test
