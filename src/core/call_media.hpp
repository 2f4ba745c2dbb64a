// The seam between a call's signalling (UserAgent, sans-I/O) and its media (media/,
// GStreamer on the engine's context). The UA asks for the local transports before it
// writes an offer or an answer (and may have to wait for them), hands over the outcome of every
// completed offer/answer exchange (initial, hold, resume, re-INVITE from the peer), and says when
// the call is over. The UA's tests use a fake; the engine gives the real one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/stream_description.hpp"
#include "common/video_stats.hpp"

namespace lanline::core {

// What the UA asks for before its first offer or answer of a call.
struct TransportRequest {
  bool ipv6 = false;          // the peer is reached over IPv6
  std::size_t streams = 1;    // one transport per stream we will offer or accept
  std::string peer_address;   // where the peer's SIP comes from (IPv6 maybe with %zone)
  std::string local_address;  // our address towards the peer, as SIP uses it
  // We write the first offer (RFC 8445 6.1.1: the offerer controls ICE). As answerer,
  // whether the offer does ICE (else plain RTP, RFC 8839 4.2) and offers rtcp-mux.
  bool offerer = false;
  bool ice = false;
  bool rtcp_mux = false;
};

// prepare()'s answer. A plain socket pair is ready at once; a transport that needs the
// network first (ICE gathering) is pending and reports later through
// UserAgent::media_ready(), on the engine's thread.
enum class PrepareState { kReady, kPending, kFailed };
struct Preparation {
  PrepareState state = PrepareState::kFailed;
  std::vector<LocalTransport> streams;  // kReady: one per stream asked for, in order
  std::string error;                    // kFailed: what a person should read
};

// The way a stream's packets go: without ICE, plain RTP to c=/m= (no state); with it,
// the agent's state and the pair its checks selected.
struct MediaPath {
  std::string ice_state;  // "": no ICE; else gathering, gathered, checking, connected, failed
  std::optional<IceCandidate> local;
  std::optional<IceCandidate> remote;
};

// RTCP-derived figures for `lanline ctl calls`, and the audio stream's path.
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
  MediaPath path;
  std::optional<VideoStats> video;   // the camera's
  std::optional<VideoStats> screen;  // the shared screen (RFC 4796 slides), either way
  // "none" (plain RTP on some stream) or "sdes" (every stream SRTP, keyed in the SDP).
  std::string protection = "none";
  std::string peer_fingerprint;  // with "dtls": the certificate the peer's handshake showed
  std::uint32_t sas_value = 0;   // with "dtls": the audio's (else first) handshake's number
};

class CallMedia {
 public:
  virtual ~CallMedia() = default;
  // Before the first offer or answer of a call: set up the local end of its streams'
  // transports, kept for the call's life. Ready at once, failed, or pending: then the
  // outcome comes later (UserAgent::media_ready), and the UA holds its INVITE or its
  // 2xx until then, within a bound. release() is owed unless this returned kFailed.
  virtual Preparation prepare(std::uint64_t call_id, const TransportRequest& request) = 0;
  // After every completed offer/answer exchange: the call's streams, one per m-line
  // (rejected ones have no codecs). Start them, or update them (direction for hold,
  // codec, remote address).
  virtual void apply(std::uint64_t call_id, const std::vector<StreamDescription>& streams) = 0;
  // The call ended (or never got its answer): stop and free everything of it.
  virtual void release(std::uint64_t call_id) = 0;
  // A new offer from the peer in a call under way, with the ICE ufrag of each stream we
  // take ("" where it has none), before our answer is written. When the peer restarted
  // ICE (a new ufrag, RFC 8445 9), ours restarts too and the answer must carry the new
  // local ends, returned here; nullopt: unchanged.
  virtual std::optional<std::vector<LocalTransport>> offer_arrives(
      std::uint64_t /*call_id*/, const std::vector<std::string>& /*remote_ufrags*/) {
    return std::nullopt;
  }

  virtual bool set_mute(std::uint64_t call_id, bool muted) = 0;
  virtual bool send_dtmf(std::uint64_t call_id, const std::string& digits) = 0;
  virtual std::optional<MediaStats> stats(std::uint64_t call_id) const = 0;
};

}  // namespace lanline::core
