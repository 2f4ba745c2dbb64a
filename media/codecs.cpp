#include "media/codecs.hpp"

#include <array>
#include <cctype>

namespace lanline::media {
namespace {

constexpr std::array<CodecInfo, 4> kCodecs{{
    {Codec::kOpus, "opus", "OPUS", 48000, 2, 48000, -1, "opusenc", "rtpopuspay", "rtpopusdepay",
     "opusdec"},
    {Codec::kG722, "g722", "G722", 8000, 1, 16000, 9, "avenc_g722", "rtpg722pay", "rtpg722depay",
     "avdec_g722"},
    {Codec::kPcmu, "pcmu", "PCMU", 8000, 1, 8000, 0, "mulawenc", "rtppcmupay", "rtppcmudepay",
     "mulawdec"},
    {Codec::kPcma, "pcma", "PCMA", 8000, 1, 8000, 8, "alawenc", "rtppcmapay", "rtppcmadepay",
     "alawdec"},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

const CodecInfo& codec_info(Codec codec) {
  for (const CodecInfo& info : kCodecs) {
    if (info.codec == codec) return info;
  }
  return kCodecs[0];
}

std::optional<Codec> codec_from_name(std::string_view name) {
  for (const CodecInfo& info : kCodecs) {
    if (equal_ignoring_case(name, info.name)) return info.codec;
  }
  return std::nullopt;
}

const std::vector<Codec>& all_codecs() {
  static const std::vector<Codec> codecs{Codec::kOpus, Codec::kG722, Codec::kPcmu, Codec::kPcma};
  return codecs;
}

std::string codec_label(Codec codec) {
  const CodecInfo& info = codec_info(codec);
  std::string label(info.name);
  label += "/" + std::to_string(info.clock_rate);
  if (info.channels > 1) label += "/" + std::to_string(info.channels);
  return label;
}

}  // namespace lanline::media
