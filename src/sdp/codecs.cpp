#include "codecs.hpp"

#include <algorithm>

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
    return CodecSpec{Codec::kOpus, codec_info(Codec::kOpus).offered_pt, fmtp, {}, -1};
  }
  auto codec = lanline::codec_named(name);
  if (!codec) return std::nullopt;
  const CodecInfo& info = codec_info(*codec);
  CodecSpec spec{*codec, info.offered_pt, {}, {}, info.offered_rtx_pt};
  if (info.kind == StreamKind::kVideo) spec.feedback = {"nack", "nack pli", "ccm fir"};
  // RFC 6184 8.1: constrained baseline at level 3.1 (up to 1280x720 at 30 fps), in
  // non-interleaved mode (fragmentation units: a frame is larger than a packet).
  if (*codec == Codec::kH264)
    spec.fmtp = "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1";
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

// The value of `name` among a=fmtp's ;-separated name=value parameters, "" when absent.
std::string fmtp_parameter(std::string_view fmtp, std::string_view name) {
  while (!fmtp.empty()) {
    const std::size_t end = std::min(fmtp.find(';'), fmtp.size());
    std::string_view parameter = text::trim(fmtp.substr(0, end));
    fmtp.remove_prefix(std::min(end + 1, fmtp.size()));
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos &&
        text::iequals(text::trim(parameter.substr(0, equals)), name))
      return std::string(text::trim(parameter.substr(equals + 1)));
  }
  return "";
}

bool usable_format(Codec codec, std::string_view fmtp) {
  // RFC 6184 8.1: no packetization-mode is mode 0 (single NAL units), which a 720p frame
  // does not fit; mode 2 (interleaved) is not what x264enc and rtph264pay make.
  if (codec == Codec::kH264) return fmtp_parameter(fmtp, "packetization-mode") == "1";
  return true;
}

bool is_rtx(const Rtpmap& map) {
  return text::iequals(map.encoding, "rtx");
}

int rtx_payload_type_for(const Media& m, int apt, std::uint32_t clock) {
  for (int pt : m.payload_types()) {
    auto map = m.rtpmap(pt);
    if (!map || !is_rtx(*map) || map->clock_rate != clock) continue;
    // RFC 4588 8.6: "apt=<pt>" among the parameters (rtx-time may follow).
    if (text::to_uint(fmtp_parameter(m.fmtp(pt).value_or(""), "apt")) == static_cast<unsigned>(apt))
      return pt;
  }
  return -1;
}

}  // namespace lanline::sdp
