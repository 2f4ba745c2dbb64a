// RTCP figures of one rtpbin session, read from its RTPSession's "stats" structure, and
// the bitrates between two readings.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <cstdint>

namespace lanline::media {

struct RtpCounters {
  std::uint64_t packets_sent = 0;
  std::uint64_t octets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t octets_received = 0;
  std::int64_t packets_lost = 0;  // of remote streams, by our count
  double jitter_ms = 0;           // of the remote stream
  double loss_fraction = -1;      // of our stream, from the remote's report block; -1 none
  double rtt_ms = -1;             // from the remote's report block; -1 none
  // RFC 4585 / 5104 feedback: what the peer asked of us, and what we asked of it.
  std::uint64_t plis_received = 0;
  std::uint64_t plis_sent = 0;
  std::uint64_t firs_received = 0;
  std::uint64_t firs_sent = 0;
  std::uint64_t nacks_received = 0;
  std::uint64_t nacks_sent = 0;
};

// Session `session` of `rtpbin`. `clock_rate` turns jitter from RTP units into
// milliseconds.
RtpCounters read_rtp_counters(GstElement* rtpbin, unsigned session, int clock_rate);

// Send and receive bitrates over the time since the previous reading (at least half a
// second of it; a reading sooner keeps the last figures).
class Bitrates {
 public:
  void update(const RtpCounters& now);
  double send_kbps() const { return send_kbps_; }
  double receive_kbps() const { return receive_kbps_; }

 private:
  RtpCounters last_;
  std::chrono::steady_clock::time_point last_time_ = std::chrono::steady_clock::now();
  double send_kbps_ = 0;
  double receive_kbps_ = 0;
};

}  // namespace lanline::media
