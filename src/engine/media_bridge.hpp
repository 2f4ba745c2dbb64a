// core::CallMedia on ice/ and media/: per call a transport per stream, made by prepare()
// and kept for the call's life, and one call pipeline (media/call_pipeline.hpp) built
// from the outcome of each SDP exchange: the audio stream's branch over that transport.
//
// The transport is an ICE agent (ice/ice_agent.hpp) when we offer, or when the offer we
// answer does ICE: prepare() is then pending until the agent has gathered (a bound of
// 150 ms at most), and says so through on_ready(). When the peer's answer has no ICE,
// the agent makes way for a plain socket pair on its default candidate's ports, where
// the peer sends (RFC 8839 4.2). Without ICE on either side, a plain socket pair bound
// at once. Run on the engine's context.
#pragma once

#include <glib.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/call_media.hpp"
#include "ice/ice_agent.hpp"
#include "media/dtls_handshake.hpp"
#include "media/frame_board.hpp"
#include "media/screen_monitors.hpp"

namespace lanline::engine {

struct MediaBridgeOptions {
  std::string audio_source;          // as --audio-source: device | test[:HZ] | file:PATH.wav
  std::string audio_sink;            // as --audio-sink: device | null | record:PATH.wav
  std::string video_source;          // as --video-source: none | test | device[:PATH]
  bool video_windows = false;        // the peer's pictures in windows of their own
  std::string ipv4_address;          // what we write in SDP for IPv4 peers
  std::string ipv6_address;          // and for IPv6 ones ("" when the host has none)
  std::uint16_t first_port = 20000;  // the RTP/RTCP port range
  std::uint16_t last_port = 29999;
  bool ice = true;  // offer ICE, and answer it when offered
  std::optional<ice::StunServer> stun;
  std::optional<ice::TurnServer> turn;
  std::chrono::milliseconds gather_bound{150};
  std::vector<std::string> local_addresses;  // ICE host candidates only on these (tests)
};

class MediaBridge : public core::CallMedia {
 public:
  // nullptr with `error` when the source or sink is not understood.
  static std::unique_ptr<MediaBridge> create(GMainContext* context,
                                             const MediaBridgeOptions& options, std::string& error);
  ~MediaBridge() override;

  core::Preparation prepare(std::uint64_t call_id, const core::TransportRequest& request) override;
  void apply(std::uint64_t call_id, const std::vector<StreamDescription>& streams) override;
  void release(std::uint64_t call_id) override;
  std::optional<std::vector<LocalTransport>> offer_arrives(
      std::uint64_t call_id, const std::vector<std::string>& remote_ufrags) override;
  bool set_mute(std::uint64_t call_id, bool muted) override;
  bool send_dtmf(std::uint64_t call_id, const std::string& digits) override;
  std::optional<core::MediaStats> stats(std::uint64_t call_id) const override;

  // A telephone-event digit from the peer, or a pipeline error, of one call.
  void on_dtmf(std::function<void(std::uint64_t, char)> callback);
  void on_error(std::function<void(std::uint64_t, const std::string&)> callback);
  // A call restarted ICE (the host's addresses changed): its new local transports, to
  // offer in a re-INVITE (UserAgent::renew_media). False: not now, asked again later.
  void on_renew(std::function<bool(std::uint64_t, const core::Preparation&)> callback);
  // A prepare() that answered kPending has its outcome (UserAgent::media_ready wants it).
  void on_ready(std::function<void(std::uint64_t, const core::Preparation&)> callback);
  // The call's media path is gone for good: ICE found no working pair, or the peer
  // stopped answering consent checks (RFC 7675). The call should end with `reason`.
  void on_path_lost(std::function<void(std::uint64_t, const std::string&)> callback);
  // STUN and TURN servers can be set once their names are looked up; later calls use them.
  void set_servers(std::optional<ice::StunServer> stun, std::optional<ice::TurnServer> turn);
  // The node's certificate and key (engine/node_identity.hpp), for DTLS-SRTP: streams
  // agreed with it run a handshake; without them such a stream fails.
  void set_dtls_credentials(media::DtlsCredentials credentials);
  // Whether the call has audio running now (for error messages of mute/dtmf).
  bool has_audio(std::uint64_t call_id) const;
  // Whether calls offer and accept video (--video-source is not none).
  bool video_enabled() const;
  // The part of the X screen a share sends from now on (a monitor), or all of it.
  void set_screen_area(std::optional<media::ScreenArea> area);
  const std::optional<media::ScreenArea>& screen_area() const;
  // Where the window finds each call's newest video frames (published while it plays).
  std::shared_ptr<media::FrameBoard> frames() const;
  // Writes the newest frame of the call's video, `kind` "remote" (what the peer sends)
  // or "local" (what we send), as a PNG. False with `error` saying why not.
  bool snapshot(std::uint64_t call_id, const std::string& kind, const std::string& path,
                std::string& error) const;

 private:
  MediaBridge();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::engine
