// One negotiated stream of a call, per m-line: what offer/answer agreed (src/sdp fills it)
// and what the media side runs (media/ reads it). One plain description, filled by one
// side and read by the other, so the agreement is never copied field by field on its way
// from SDP to GStreamer. No dependencies beyond the codec table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/codec_table.hpp"

namespace lanline {

// RFC 4796 a=content: what a video stream shows. No attribute means main.
enum class ContentRole { kMain, kSlides, kSpeaker, kSignLanguage, kAlt };

// One codec both sides agreed on. Each side receives on the payload type it wrote in its
// own SDP (RFC 3264 5.1), so the two numbers can differ.
struct NegotiatedCodec {
  Codec codec = Codec::kOpus;
  std::string fmtp;     // the peer's a=fmtp for it: how the peer wants to receive
  int send_pt = -1;     // its payload type in the peer's SDP: what we put in our packets
  int receive_pt = -1;  // its payload type in ours: what the peer puts in its packets
  // RFC 4585 a=rtcp-fb values both sides named for it ("nack", "nack pli", "ccm fir").
  std::vector<std::string> rtcp_feedback;
  // RFC 4588 retransmission (rtx with apt= this codec) when both sides wrote one: the
  // peer's payload type for it (what our resent packets carry) and ours (what the peer's
  // carry); both -1 otherwise, and a peer that takes "nack" gets the lost packets resent
  // as they were.
  int rtx_send_pt = -1;
  int rtx_receive_pt = -1;
  bool operator==(const NegotiatedCodec&) const = default;
};

// Where the peer receives a stream without ICE: c= and m= (and a=rtcp, RFC 3605).
struct PlainTransport {
  std::string address;  // IPv4 or IPv6 text
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;  // a=rtcp, else RTP + 1; equal to RTP with rtcp-mux
  bool operator==(const PlainTransport&) const = default;
};

// RFC 8839 5.1 a=candidate.
struct IceCandidate {
  std::string foundation;
  int component = 1;  // 1 RTP, 2 RTCP
  std::string transport = "UDP";
  std::uint32_t priority = 0;
  std::string address;
  std::uint16_t port = 0;
  std::string type = "host";  // host, srflx, prflx, relay
  std::string related_address;
  std::uint16_t related_port = 0;
  bool operator==(const IceCandidate&) const = default;
};

// The peer's ICE parameters for a stream (RFC 8839 5.4): when both sides do ICE, media
// flows on the pair the checks select, not to c=/m=.
struct IceTransport {
  std::string ufrag;
  std::string pwd;
  std::vector<IceCandidate> candidates;
  bool lite = false;                 // a=ice-lite
  PlainTransport default_candidate;  // c=/m=, RFC 8839 4.2
  bool operator==(const IceTransport&) const = default;
};

// RFC 4145 / 5763 a=setup: which side opens the DTLS handshake.
enum class DtlsSetup { kActpass, kActive, kPassive };

// DTLS-SRTP (RFC 5763, 5764) for a stream: the peer's certificate fingerprint (RFC 8122
// a=fingerprint; its DTLS certificate must hash to it) and which side opens the handshake.
struct DtlsParameters {
  std::string hash_function;              // "sha-256"
  std::string fingerprint;                // "AB:CD:...", upper case
  DtlsSetup setup = DtlsSetup::kActpass;  // the peer's a=setup
  bool client = false;                    // we open the handshake (we are "active")
  bool operator==(const DtlsParameters&) const = default;
};

// RFC 4568 / 3711 SRTP crypto suites Lanline protects a stream with: AES counter mode
// (128 or 256-bit key) with an 80 or 32-bit HMAC-SHA1 tag on SRTP (SRTCP always 80).
enum class SrtpSuite { kAes128Sha1_80, kAes128Sha1_32, kAes256Sha1_80, kAes256Sha1_32 };

// A stream's SRTP keys, each the master key followed by the master salt (RFC 3711 8.2):
// ours, that we send with, and the peer's, that its packets come with. Agreed by SDES
// (RFC 4568 a=crypto in the SDP).
struct SrtpKeys {
  SrtpSuite suite = SrtpSuite::kAes128Sha1_80;
  std::vector<std::uint8_t> send_key;
  std::vector<std::uint8_t> receive_key;
  bool operator==(const SrtpKeys&) const = default;
};

struct StreamDescription {
  std::size_t mline = 0;  // its place in the SDP
  // Which of our transports it is on, in the order we gave them (Negotiator::set_local):
  // our offer hands one to each stream it carries, our answer to each it accepts.
  std::size_t transport = 0;
  StreamKind kind = StreamKind::kAudio;
  ContentRole content = ContentRole::kMain;
  // Preferred first: codecs[0] is what we send. Empty: the stream is rejected (port 0).
  std::vector<NegotiatedCodec> codecs;
  int telephone_event_send_pt = -1;  // RFC 4733, audio only; -1 when not agreed
  int telephone_event_receive_pt = -1;
  bool send = true;     // the directions let us send
  bool receive = true;  // and receive
  int ptime_ms = 20;
  bool rtcp_mux = false;  // RFC 5761, both sides agreed
  std::variant<PlainTransport, IceTransport> remote;
  std::optional<DtlsParameters> dtls;
  std::optional<SrtpKeys> srtp;  // SRTP, else plain RTP

  bool accepted() const { return !codecs.empty(); }
  // Where plain RTP goes: c=/m=, which an ICE peer also writes (its default candidate).
  const PlainTransport& plain() const {
    if (const auto* ice = std::get_if<IceTransport>(&remote)) return ice->default_candidate;
    return std::get<PlainTransport>(remote);
  }
  bool operator==(const StreamDescription&) const = default;
};

// Our ICE for one stream (RFC 8839): credentials and gathered candidates. The default
// candidate, the one c=/m= carry, is the LocalTransport's address and ports.
struct LocalIce {
  std::string ufrag;
  std::string pwd;
  std::vector<IceCandidate> candidates;
  // RFC 8839 5.2 a=remote-candidates: in the re-offer the controlling side sends once it
  // nominated a pair other than the default, the remote candidate of each component.
  std::vector<IceCandidate> remote_candidates;
  bool operator==(const LocalIce&) const = default;
};

// The local end of one stream's transport, what our SDP writes for it. A plain socket
// pair gives an address and two ports; ICE adds its credentials and candidates.
struct LocalTransport {
  LocalTransport() = default;
  LocalTransport(std::string address_, std::uint16_t rtp, std::uint16_t rtcp,
                 std::optional<LocalIce> ice_ = std::nullopt)
      : address(std::move(address_)), rtp_port(rtp), rtcp_port(rtcp), ice(std::move(ice_)) {}

  std::string address;  // empty or a wildcard: the UA writes its own SIP address
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;
  std::optional<LocalIce> ice;
  bool operator==(const LocalTransport&) const = default;
};

// The first accepted stream of `kind` and `content`; nullptr when there is none.
inline const StreamDescription* find_stream(const std::vector<StreamDescription>& streams,
                                            StreamKind kind,
                                            ContentRole content = ContentRole::kMain) {
  for (const auto& s : streams) {
    if (s.kind == kind && s.content == content && s.accepted()) return &s;
  }
  return nullptr;
}

}  // namespace lanline
