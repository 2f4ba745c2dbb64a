// The codecs Lanline can carry: one table, read by src/sdp (what it offers and how it
// matches a peer's rtpmap) and by media/ (which GStreamer elements run it). Header only,
// no dependencies, so both layers share it without knowing each other.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lanline {

// kOther: an m-line of a kind Lanline does not carry (application, text, message).
enum class StreamKind { kAudio, kVideo, kOther };

enum class Codec { kOpus, kG722, kPcmu, kPcma, kVp8, kH264 };

struct CodecInfo {
  Codec codec;
  StreamKind kind;
  std::string_view name;      // as in --audio-codecs and `calls`: "opus"
  std::string_view encoding;  // as we write it in a=rtpmap: "opus", "G722" (RFC 4855 3)
  std::uint32_t clock_rate;   // RTP clock: G.722 keeps 8000 (RFC 3551 4.5.2)
  std::uint32_t channels;     // in a=rtpmap: Opus is always opus/48000/2 (RFC 7587 7)
  std::uint32_t sample_rate;  // what the encoder takes and the decoder gives
  int static_pt;              // RFC 3551 table 4, -1 for a dynamic type
  int offered_pt;             // the payload type we offer it with
  // RFC 4588: the payload type of the retransmission format (rtx, apt=offered_pt) we
  // offer beside it; -1 for none (audio: a resent packet would come too late to play).
  int offered_rtx_pt;
  // What GStreamer needs (media/ reads these; src/sdp never does): the encoding-name of
  // RTP caps (upper case by GStreamer's convention) and the elements.
  const char* caps_encoding;
  const char* encoder;
  const char* payloader;
  const char* depayloader;
  const char* decoder;
};

// In Lanline's default order of preference. The Negotiator offers and accepts video only
// when its Capabilities list it (the engine lists VP8, then H.264 with packetization
// mode 1, RFC 6184 8.1).
inline constexpr std::array<CodecInfo, 6> kCodecTable{{
    {Codec::kOpus, StreamKind::kAudio, "opus", "opus", 48000, 2, 48000, -1, 96, -1, "OPUS",
     "opusenc", "rtpopuspay", "rtpopusdepay", "opusdec"},
    {Codec::kG722, StreamKind::kAudio, "g722", "G722", 8000, 1, 16000, 9, 9, -1, "G722",
     "avenc_g722", "rtpg722pay", "rtpg722depay", "avdec_g722"},
    {Codec::kPcmu, StreamKind::kAudio, "pcmu", "PCMU", 8000, 1, 8000, 0, 0, -1, "PCMU", "mulawenc",
     "rtppcmupay", "rtppcmudepay", "mulawdec"},
    {Codec::kPcma, StreamKind::kAudio, "pcma", "PCMA", 8000, 1, 8000, 8, 8, -1, "PCMA", "alawenc",
     "rtppcmapay", "rtppcmadepay", "alawdec"},
    {Codec::kVp8, StreamKind::kVideo, "vp8", "VP8", 90000, 1, 0, -1, 97, 98, "VP8", "vp8enc",
     "rtpvp8pay", "rtpvp8depay", "vp8dec"},
    {Codec::kH264, StreamKind::kVideo, "h264", "H264", 90000, 1, 0, -1, 102, 103, "H264", "x264enc",
     "rtph264pay", "rtph264depay", "avdec_h264"},
}};

namespace codec_table_detail {
constexpr char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace codec_table_detail

constexpr const CodecInfo& codec_info(Codec codec) {
  for (const CodecInfo& info : kCodecTable) {
    if (info.codec == codec) return info;
  }
  return kCodecTable[0];
}

// "opus", "OPUS", "G722", "pcmu" ...; nullopt for a name Lanline cannot use.
constexpr std::optional<Codec> codec_named(std::string_view name) {
  for (const CodecInfo& info : kCodecTable) {
    if (codec_table_detail::iequals(name, info.name)) return info.codec;
  }
  return std::nullopt;
}

// The codec a peer's a=rtpmap names: same encoding name (case-insensitive, RFC 4855 3),
// clock rate and channels. Opus is always "opus/48000/2" (RFC 7587 7), but some phones
// write "opus/48000": its channel count is not compared.
constexpr std::optional<Codec> codec_for_rtpmap(std::string_view encoding, std::uint32_t clock_rate,
                                                std::uint32_t channels) {
  for (const CodecInfo& info : kCodecTable) {
    if (!codec_table_detail::iequals(encoding, info.encoding) || clock_rate != info.clock_rate) {
      continue;
    }
    if (info.codec == Codec::kOpus || channels == info.channels) return info.codec;
  }
  return std::nullopt;
}

// "opus/48000/2" as `lanline ctl calls` shows it.
inline std::string codec_label(Codec codec) {
  const CodecInfo& info = codec_info(codec);
  std::string label(info.name);
  label += "/" + std::to_string(info.clock_rate);
  if (info.channels > 1) label += "/" + std::to_string(info.channels);
  return label;
}

}  // namespace lanline
