// What a video encoder should aim at, from the peer's RTCP receiver reports (RFC 3550
// 6.4.1: the fraction of our packets it lost, and the round trip computed from LSR and
// DLSR). Between plain phones there is no REMB or transport-cc, so the rate follows
// those two, once a report:
//   - loss over 10 %: down in proportion, rate x (1 - loss / 2) (the loss-based rule of
//     Google Congestion Control, draft-ietf-rmcat-gcc-02 6);
//   - the round trip 200 ms or more above the lowest seen: queues are filling, down 15 %;
//   - loss under 2 % and the round trip near its lowest: up 8 %, to the most asked for;
//   - otherwise held.
// Loss is what the network lost before NACK repaired it: a lossy link costs bits even
// when the picture survives, as it should. Plain logic; media/video_branch.cpp feeds it.
#pragma once

namespace lanline::media {

class SendRate {
 public:
  // Starts at `max_kbps`, never below `min_kbps`.
  SendRate(int max_kbps, int min_kbps);
  // One receiver report: loss fraction 0..1 and round trip in ms (each < 0 when the
  // report had none). Returns the new rate.
  int update(double loss_fraction, double rtt_ms);
  int kbps() const { return static_cast<int>(rate_); }

 private:
  double max_;
  double min_;
  double rate_;
  double lowest_rtt_ = -1;
};

}  // namespace lanline::media
