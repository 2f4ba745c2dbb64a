// A video stream's figures as media/ measures them and `lanline ctl calls` shows them:
// one struct that both sides use, so they are never copied field by field.
#pragma once

#include <cstdint>
#include <string>

namespace lanline {

struct VideoStats {
  std::string codec;     // "vp8"
  bool sending = false;  // as the last exchange agreed
  bool receiving = false;
  int width = 0;  // of the newest frame decoded from the peer; 0 before the first
  int height = 0;
  double fps = 0;  // frames decoded per second, since the previous reading
  double send_kbps = 0;
  int target_kbps = 0;  // what the encoder aims at now (media/send_rate.hpp)
  double receive_kbps = 0;
  std::int64_t packets_lost = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t nacks_sent = 0;
  std::uint64_t nacks_received = 0;
  std::uint64_t plis_sent = 0;  // PLI and FIR (RFC 4585, 5104): key frames asked for
  std::uint64_t plis_received = 0;
  std::uint64_t packets_resent = 0;     // ours, asked for by the peer's NACKs
  std::uint64_t packets_recovered = 0;  // the peer's, resent as rtx after our NACKs
};

}  // namespace lanline
