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
    return CodecSpec{Codec::kOpus, codec_info(Codec::kOpus).offered_pt, fmtp, {}};
  }
  auto codec = lanline::codec_named(name);
  if (!codec) return std::nullopt;
  CodecSpec spec{*codec, codec_info(*codec).offered_pt, {}, {}};
  if (codec_info(*codec).kind == StreamKind::kVideo) spec.feedback = {"nack pli", "ccm fir"};
  return spec;
}

std::optional<CodecSpec> audio_codec_named(std::string_view name, const OpusOptions& opus) {
  auto spec = codec_named(name, opus);
  if (spec && codec_info(spec->codec).kind != StreamKind::kAudio) return std::nullopt;
  return spec;
}

const std::vector<std::string>& known_codec_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const CodecInfo& info : kCodecTable) {
      if (info.kind == StreamKind::kAudio) names.emplace_back(info.encoding);
    }
    return names;
  }();
  return kNames;
}

std::optional<Codec> codec_of(const Rtpmap& map) {
  return codec_for_rtpmap(map.encoding, map.clock_rate, map.channels);
}

bool is_telephone_event(const Rtpmap& map) {
  return text::iequals(map.encoding, "telephone-event");
}

}  // namespace lanline::sdp
