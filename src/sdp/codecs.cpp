#include "codecs.hpp"

#include "text.hpp"

namespace lanline::sdp {

std::optional<CodecSpec> codec_named(std::string_view name, const OpusOptions& opus) {
  if (lanline::codec_named(name) == Codec::kOpus) {
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
    const CodecInfo& info = codec_info(Codec::kOpus);
    return CodecSpec{std::string(info.encoding), info.clock_rate, info.channels, info.offered_pt,
                     fmtp};
  }
  auto codec = lanline::codec_named(name);
  if (!codec) return std::nullopt;
  const CodecInfo& info = codec_info(*codec);
  return CodecSpec{std::string(info.encoding), info.clock_rate, info.channels, info.offered_pt, {}};
}

const std::vector<std::string>& known_codec_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const CodecInfo& info : kCodecTable)
      names.emplace_back(info.encoding);
    return names;
  }();
  return kNames;
}

bool same_codec(const Rtpmap& map, const CodecSpec& codec) {
  auto theirs = codec_for_rtpmap(map.encoding, map.clock_rate, map.channels);
  auto ours = codec_for_rtpmap(codec.encoding, codec.clock_rate, codec.channels);
  return theirs && theirs == ours;
}

bool is_telephone_event(const Rtpmap& map) {
  return text::iequals(map.encoding, "telephone-event");
}

}  // namespace lanline::sdp
