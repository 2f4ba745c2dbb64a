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

// A codec as we offer it: the table's row, the payload type we write and our a=fmtp.
struct CodecSpec {
  Codec codec = Codec::kPcmu;
  int payload_type = -1;  // the static type, or the dynamic one we offer it with
  std::string fmtp;       // what we write in our a=fmtp: what we want to receive
  // RFC 4585 a=rtcp-fb values we write for it: the feedback we take. Video offers
  // generic NACK, PLI and FIR (RFC 5104).
  std::vector<std::string> feedback;
  // RFC 4588: the payload type of its rtx format (a=rtpmap:N rtx/<clock>, a=fmtp:N
  // apt=<payload_type>), -1 for none. In an answer, the offer's number.
  int rtx_payload_type = -1;

  std::string_view encoding() const { return codec_info(codec).encoding; }
  std::uint32_t clock_rate() const { return codec_info(codec).clock_rate; }
  std::uint32_t channels() const { return codec_info(codec).channels; }
};

struct OpusOptions {
  bool inband_fec = true;  // useinbandfec=1 (RFC 7587 6.1): the reason to prefer Opus on loss
  bool stereo = false;
  std::uint32_t max_average_bitrate = 0;  // 0: not written
};

// A codec of the table by name (any case): "opus", "g722", "pcmu", "pcma", "vp8";
// nullopt for a name Lanline cannot use. audio_codec_named: an audio one only.
std::optional<CodecSpec> codec_named(std::string_view name, const OpusOptions& opus = {});
std::optional<CodecSpec> audio_codec_named(std::string_view name, const OpusOptions& opus = {});
// The audio codecs' names, in Lanline's order of preference.
const std::vector<std::string>& known_codec_names();

// Payload types of the telephone-event formats we offer (RFC 4733), by clock rate.
constexpr int kTelephoneEvent8000 = 101;
constexpr int kTelephoneEvent48000 = 100;

// The codec `map` (from a peer's SDP) names, by the table's matching rule
// (codec_for_rtpmap: name case-insensitive, clock rate, channels but for Opus).
std::optional<Codec> codec_of(const Rtpmap& map);
bool is_telephone_event(const Rtpmap& map);
// The value of parameter `name` in a=fmtp's "a=b;c=d" (names in any case), "" when
// it is absent.
std::string fmtp_parameter(std::string_view fmtp, std::string_view name);
// Whether a peer's format of `codec` with these a=fmtp parameters is one Lanline can
// send and receive: H.264 only in packetization mode 1 (RFC 6184 8.1).
bool usable_format(Codec codec, std::string_view fmtp);
// RFC 4588 8.6: an rtx format ("rtx/90000"), whatever codec it resends.
bool is_rtx(const Rtpmap& map);
// The payload type of `m`'s rtx format for payload type `apt` (a=fmtp:N apt=<apt>, at
// the clock rate `clock`), -1 when it has none.
int rtx_payload_type_for(const Media& m, int apt, std::uint32_t clock);

}  // namespace lanline::sdp
