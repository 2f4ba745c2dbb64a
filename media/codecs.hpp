// The audio codecs a call can carry, and what GStreamer needs to send and receive each.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lanline::media {

enum class Codec { kOpus, kG722, kPcmu, kPcma };

struct CodecInfo {
  Codec codec;
  std::string_view name;           // as in --audio-codecs: "opus"
  std::string_view encoding_name;  // RTP encoding name in caps (upper case): "OPUS"
  int clock_rate;                  // RTP clock: G.722 keeps 8000 (RFC 3551 4.5.2)
  int channels;                    // in SDP's rtpmap: Opus is always opus/48000/2 (RFC 7587)
  int sample_rate;                 // what the encoder takes and the decoder gives
  int static_pt;                   // RFC 3551 static payload type, -1 for dynamic
  const char* encoder;
  const char* payloader;
  const char* depayloader;
  const char* decoder;
};

const CodecInfo& codec_info(Codec codec);
// "opus", "OPUS", "G722", "pcmu" ...; nullopt for anything else.
std::optional<Codec> codec_from_name(std::string_view name);
// Every codec, in Lanline's default order of preference.
const std::vector<Codec>& all_codecs();
// "opus/48000/2" as `lanline ctl calls` shows it.
std::string codec_label(Codec codec);

}  // namespace lanline::media
