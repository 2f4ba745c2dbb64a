// core::CallMedia on media/: per call a socket pair per stream, bound by prepare() and kept
// for the call's life, and one call pipeline (media/call_pipeline.hpp) built from the
// outcome of each SDP exchange: the audio stream's branch over a plain-UDP transport on
// its sockets. Run on the engine's context.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/call_media.hpp"

namespace lanline::engine {

struct MediaBridgeOptions {
  std::string audio_source;          // as --audio-source: device | test[:HZ] | file:PATH.wav
  std::string audio_sink;            // as --audio-sink: device | null | record:PATH.wav
  std::string ipv4_address;          // what we write in SDP for IPv4 peers
  std::string ipv6_address;          // and for IPv6 ones ("" when the host has none)
  std::uint16_t first_port = 20000;  // the RTP/RTCP port range
  std::uint16_t last_port = 29999;
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
  bool set_mute(std::uint64_t call_id, bool muted) override;
  bool send_dtmf(std::uint64_t call_id, const std::string& digits) override;
  std::optional<core::MediaStats> stats(std::uint64_t call_id) const override;

  // A telephone-event digit from the peer, or a pipeline error, of one call.
  void on_dtmf(std::function<void(std::uint64_t, char)> callback);
  void on_error(std::function<void(std::uint64_t, const std::string&)> callback);
  // Whether the call has audio running now (for error messages of mute/dtmf).
  bool has_audio(std::uint64_t call_id) const;

 private:
  MediaBridge();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::engine
