// One call's audio: a GStreamer pipeline around rtpbin, on the sockets of its transport.
//
//   source ─ convert ─ resample ─ [webrtcdsp] ─ volume(mute) ─ valve(send) ─ encoder ─ payloader
//          ─ funnel (+ rtpdtmfsrc) ─ rtpbin ─ udpsink(RTP socket) [+ RTCP, muxed or not]
//   udpsrc(RTP socket) ─ probe (RTCP split for rtcp-mux; drop while not receiving) ─ rtpbin
//          ─ per codec the peer may send: depayloader ─ decoder ─ funnel ─ audiorate
//          ─ [webrtcechoprobe] ─ sink
//
// audiorate fills the time the peer sent nothing (hold) with silence, so a recording of a
// held call has the hold's length of silence. The
// network ends (udpsrc/udpsink on the transport's sockets) are made in one place,
// network_ends(), so ICE can put its own there. Built and driven on the engine's thread;
// its bus is watched on the engine's GMainContext.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/codec_table.hpp"
#include "media/audio_endpoints.hpp"
#include "media/udp_transport.hpp"

namespace lanline::media {

struct ReceiveCodec {
  Codec codec = Codec::kOpus;
  int pt = 96;  // the payload type the peer puts in its packets (the one we wrote)
};

struct SessionConfig {
  Codec send_codec = Codec::kOpus;
  int send_pt = 96;
  std::vector<ReceiveCodec> receive_codecs;  // empty: the send codec on send_pt
  int dtmf_send_pt = -1;                     // RFC 4733; -1: no telephone-event
  int dtmf_receive_pt = -1;
  std::string remote_address;
  std::uint16_t remote_rtp_port = 0;
  std::uint16_t remote_rtcp_port = 0;
  bool rtcp_mux = false;  // RFC 5761: RTCP on the RTP ports both ways
  bool send = true;
  bool receive = true;
  int ptime_ms = 20;
  AudioSource source;
  AudioSink sink;
  std::string name = "call";  // for logs
};

struct SessionEvents {
  std::function<void(const std::string&)> on_error;  // a pipeline error, already logged
  std::function<void(char)> on_dtmf;                 // a telephone-event digit received
};

struct SessionStats {
  std::string codec;  // "opus/48000/2"
  double send_kbps = 0;
  double receive_kbps = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::int64_t packets_lost = 0;   // of the peer's stream, as our jitter buffer counts them
  double loss_fraction = 0;        // of our stream, from the peer's newest receiver report
  double jitter_ms = 0;            // of the peer's stream, RFC 3550 A.8
  double rtt_ms = -1;              // from the peer's RR (LSR/DLSR, RFC 3550 6.4.1); -1 none yet
  double mic_level_db = -100;      // what we send, before mute: peak of the last 100 ms, dBFS
  double speaker_level_db = -100;  // what we play: peak of the last 100 ms, dBFS
};

class AudioSession {
 public:
  // Builds the pipeline and starts it. nullptr with `error` when it cannot be built
  // (missing plugin, unreadable source file). Errors after that go to events.on_error.
  static std::unique_ptr<AudioSession> create(GMainContext* context, const UdpTransport& transport,
                                              const SessionConfig& config, SessionEvents events,
                                              std::string& error);
  ~AudioSession();  // stop()
  AudioSession(const AudioSession&) = delete;
  AudioSession& operator=(const AudioSession&) = delete;

  // Hold and resume, live: sending stops at the valve, receiving at the socket's probe.
  void set_direction(bool send, bool receive);
  void set_remote(const std::string& address, std::uint16_t rtp_port, std::uint16_t rtcp_port);
  void set_mute(bool muted);
  bool muted() const;
  // Queues RFC 4733 events for "0-9*#A-D"; false when telephone-event was not agreed or a
  // character is not a DTMF digit.
  bool send_dtmf(const std::string& digits);
  SessionStats stats();
  const SessionConfig& config() const;
  // Ends the recording cleanly (EOS through the WAV writer, so its header is right) and
  // stops the pipeline. Idempotent.
  void stop();

 private:
  AudioSession();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::media
