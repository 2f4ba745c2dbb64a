#include "codecs.hpp"

#include "text.hpp"

namespace lanline::sdp {

std::optional<CodecSpec> codec_named(std::string_view name, const OpusOptions& opus) {
  if (text::iequals(name, "opus")) {
    std::string fmtp;
    auto add = [&fmtp](std::string parameter) {
      if (!fmtp.empty()) fmtp += ';';
      fmtp += parameter;
    };
    if (opus.inband_fec) add("useinbandfec=1");
    if (opus.stereo) add("stereo=1;sprop-stereo=1");
    if (opus.max_average_bitrate != 0) {
      add("maxaveragebitrate=" + std::to_string(opus.max_average_bitrate));
    }
    return CodecSpec{"opus", 48000, 2, 96, fmtp};
  }
  // G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551 4.5.2).
  if (text::iequals(name, "g722")) return CodecSpec{"G722", 8000, 1, 9, {}};
  if (text::iequals(name, "pcmu")) return CodecSpec{"PCMU", 8000, 1, 0, {}};
  if (text::iequals(name, "pcma")) return CodecSpec{"PCMA", 8000, 1, 8, {}};
  return std::nullopt;
}

const std::vector<std::string>& known_codec_names() {
  static const std::vector<std::string> kNames{"opus", "G722", "PCMU", "PCMA"};
  return kNames;
}

bool same_codec(const Rtpmap& map, const CodecSpec& codec) {
  if (!text::iequals(map.encoding, codec.encoding) || map.clock_rate != codec.clock_rate) {
    return false;
  }
  return text::iequals(codec.encoding, "opus") || map.channels == codec.channels;
}

bool is_telephone_event(const Rtpmap& map) {
  return text::iequals(map.encoding, "telephone-event");
}

}  // namespace lanline::sdp
