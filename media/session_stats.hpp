// RTCP figures of one rtpbin session, read from its RTPSession's "stats" structure.
#pragma once

#include <gst/gst.h>

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
};

// Session 0 of `rtpbin`. `clock_rate` turns jitter from RTP units into milliseconds.
RtpCounters read_rtp_counters(GstElement* rtpbin, int clock_rate);

}  // namespace lanline::media
