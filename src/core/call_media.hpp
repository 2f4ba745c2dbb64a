// The seam between a call's signalling (UserAgent, sans-I/O) and its media (media/,
// GStreamer on the engine's context). The UA asks for local ports before it writes an
// offer or an answer, hands over the outcome of every completed offer/answer exchange
// (initial, hold, resume, re-INVITE from the peer), and says when the call is over.
// The UA's tests use a fake; the engine gives the real one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lanline::core {

// One audio codec both sides agreed on. Each side receives on the payload type it wrote
// in its own SDP (RFC 3264 5.1), so the two numbers can differ.
struct MediaCodec {
  std::string encoding;  // as in a=rtpmap, upper/lower case as the peer wrote it: "opus", "PCMU"
  int clock_rate = 8000;
  int channels = 1;
  std::string fmtp;     // the peer's a=fmtp parameters for this codec ("useinbandfec=1;...")
  int send_pt = -1;     // payload type in the peer's SDP: what we put in packets we send
  int receive_pt = -1;  // payload type in our SDP: what the peer puts in packets it sends
};

// The result of one offer/answer exchange for the audio stream.
struct NegotiatedAudio {
  std::vector<MediaCodec> codecs;    // preferred first; codecs[0] is what we send. Empty: rejected
  int telephone_event_send_pt = -1;  // RFC 4733, -1 when not agreed
  int telephone_event_receive_pt = -1;
  std::string remote_address;  // the peer's media address (IPv4 or IPv6 text)
  std::uint16_t remote_rtp_port = 0;
  std::uint16_t remote_rtcp_port = 0;  // a=rtcp, else RTP + 1; equal to RTP with rtcp-mux
  bool rtcp_mux = false;               // RFC 5761, both sides agreed
  bool send = true;                    // the direction lets us send
  bool receive = true;                 // the direction lets us receive
  int ptime_ms = 20;
};

// What we offer or answer with: our address and the ports bound for this call.
struct LocalMedia {
  std::string address;
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;
};

// RTCP-derived figures for `lanline ctl calls`.
struct MediaStats {
  std::string codec;  // "opus/48000/2"
  double send_kbps = 0;
  double receive_kbps = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::int64_t packets_lost = 0;  // as the peer's receiver reports / our jitter buffer count
  double loss_fraction = 0;       // 0..1, from the newest receiver report
  double jitter_ms = 0;
  double rtt_ms = -1;              // -1 until an RTCP round trip has been measured
  double mic_level_db = -100;      // what we send (before mute), dBFS
  double speaker_level_db = -100;  // what we play, dBFS
};

class CallMedia {
 public:
  virtual ~CallMedia() = default;
  // Before the first offer or answer of a call: bind local ports for its audio, kept
  // for the call's life. `ipv6` when the peer is reached over IPv6. nullopt: no ports.
  virtual std::optional<LocalMedia> reserve(std::uint64_t call_id, bool ipv6) = 0;
  // After every completed offer/answer exchange: start the streams, or update them
  // (direction for hold, codec, remote address).
  virtual void apply(std::uint64_t call_id, const NegotiatedAudio& audio) = 0;
  // The call ended (or never got its answer): stop and free everything of it.
  virtual void release(std::uint64_t call_id) = 0;

  virtual bool set_mute(std::uint64_t call_id, bool muted) = 0;
  virtual bool send_dtmf(std::uint64_t call_id, const std::string& digits) = 0;
  virtual std::optional<MediaStats> stats(std::uint64_t call_id) const = 0;
};

}  // namespace lanline::core
