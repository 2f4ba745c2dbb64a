// The audio codecs Lanline can negotiate (src/common/codec_table.hpp) in the form it
// offers them (RFC 3551, 7587, 4733), and how a codec in a peer's SDP is matched
// against them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/codec_table.hpp"
#include "session.hpp"

namespace lanline::sdp {

struct CodecSpec {
  std::string encoding;  // as written in a=rtpmap: "opus", "G722", "PCMU", "PCMA"
  std::uint32_t clock_rate = 8000;
  std::uint32_t channels = 1;
  int payload_type = -1;  // the static type, or the dynamic one we offer it with
  std::string fmtp;       // what we write in our a=fmtp: what we want to receive
};

struct OpusOptions {
  bool inband_fec = true;  // useinbandfec=1 (RFC 7587 6.1): the reason to prefer Opus on loss
  bool stereo = false;
  std::uint32_t max_average_bitrate = 0;  // 0: not written
};

// "opus", "g722", "pcmu", "pcma" (any case); nullopt for a name Lanline cannot use.
std::optional<CodecSpec> codec_named(std::string_view name, const OpusOptions& opus = {});
// The names codec_named knows, in Lanline's order of preference.
const std::vector<std::string>& known_codec_names();

// Payload types of the telephone-event formats we offer (RFC 4733), by clock rate.
constexpr int kTelephoneEvent8000 = 101;
constexpr int kTelephoneEvent48000 = 100;

// Whether `map` (from a peer's SDP) is `codec`: same name (case-insensitive, RFC 4855 3),
// clock rate and channels. Opus is always "opus/48000/2" (RFC 7587 7), but some phones
// write "opus/48000": the channel count is not compared for it.
bool same_codec(const Rtpmap& map, const CodecSpec& codec);
bool is_telephone_event(const Rtpmap& map);

}  // namespace lanline::sdp
