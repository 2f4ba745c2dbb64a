// The timers of RFC 3261 17 and their defaults (table 4). Tests shrink T1 to run fast.
#pragma once

#include <chrono>

namespace lanline::sip {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

struct TimerValues {
  Duration t1{500};   // RTT estimate
  Duration t2{4000};  // longest retransmit interval for non-INVITE requests and INVITE responses
  Duration t4{5000};  // longest time a message stays in the network

  Duration timer_b() const { return 64 * t1; }  // INVITE transaction timeout
  Duration timer_d(bool reliable) const { return reliable ? Duration{0} : Duration{32000}; }
  Duration timer_f() const { return 64 * t1; }  // non-INVITE transaction timeout
  Duration timer_h() const { return 64 * t1; }  // wait for ACK
  Duration timer_i(bool reliable) const { return reliable ? Duration{0} : t4; }
  Duration timer_j(bool reliable) const { return reliable ? Duration{0} : 64 * t1; }
  Duration timer_k(bool reliable) const { return reliable ? Duration{0} : t4; }
  Duration timer_l() const { return 64 * t1; }  // RFC 6026: Accepted state
  Duration timer_m() const { return 64 * t1; }  // RFC 6026: client Accepted state
};

}  // namespace lanline::sip
