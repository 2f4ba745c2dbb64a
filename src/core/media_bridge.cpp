#include "core/media_bridge.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/audio_session.hpp"
#include "media/udp_transport.hpp"

namespace lanline::core {
namespace {

// What needs a new pipeline when it changes; direction and remote address change live.
struct Shape {
  Codec send_codec;
  int send_pt;
  std::vector<std::pair<Codec, int>> receive;
  int dtmf_send_pt;
  int dtmf_receive_pt;
  bool rtcp_mux;
  int ptime_ms;
  bool operator==(const Shape&) const = default;
};

}  // namespace

struct MediaBridge::Impl {
  GMainContext* context = nullptr;
  MediaBridgeOptions options;
  media::AudioSource source;
  media::AudioSink sink;
  struct Call {
    std::unique_ptr<media::UdpTransport> transport;
    std::unique_ptr<media::AudioSession> session;
    std::optional<Shape> shape;
    bool muted = false;
  };
  std::map<std::uint64_t, Call> calls;
  std::function<void(std::uint64_t, char)> dtmf_callback;
  std::function<void(std::uint64_t, const std::string&)> error_callback;

  // The audio session's settings from the call's main audio stream; nullopt when it is
  // rejected or has no codec we can send.
  std::optional<media::SessionConfig> session_config(std::uint64_t call_id,
                                                     const StreamDescription& audio) {
    media::SessionConfig config;
    bool have_send = false;
    for (const NegotiatedCodec& codec : audio.codecs) {
      if (!have_send && codec.send_pt >= 0) {
        config.send_codec = codec.codec;
        config.send_pt = codec.send_pt;
        have_send = true;
      }
      if (codec.receive_pt >= 0) config.receive_codecs.push_back({codec.codec, codec.receive_pt});
    }
    if (!have_send) return std::nullopt;
    config.dtmf_send_pt = audio.telephone_event_send_pt;
    config.dtmf_receive_pt = audio.telephone_event_receive_pt;
    const PlainTransport& remote = audio.plain();
    config.remote_address = remote.address;
    config.remote_rtp_port = remote.rtp_port;
    config.remote_rtcp_port = remote.rtcp_port;
    config.rtcp_mux = audio.rtcp_mux;
    config.send = audio.send;
    config.receive = audio.receive;
    config.ptime_ms = audio.ptime_ms > 0 ? audio.ptime_ms : 20;
    config.source = source;
    config.sink = sink;
    config.name = "call " + std::to_string(call_id);
    return config;
  }

  static Shape shape_of(const media::SessionConfig& config) {
    Shape shape{config.send_codec, config.send_pt, {}, config.dtmf_send_pt, config.dtmf_receive_pt,
                config.rtcp_mux,   config.ptime_ms};
    for (const auto& receive : config.receive_codecs)
      shape.receive.emplace_back(receive.codec, receive.pt);
    return shape;
  }
};

MediaBridge::MediaBridge() : impl_(std::make_unique<Impl>()) {}
MediaBridge::~MediaBridge() {
  // Every recording is finished (header written) before the node goes.
  for (auto& [id, call] : impl_->calls) {
    if (call.session) call.session->stop();
  }
}

std::unique_ptr<MediaBridge> MediaBridge::create(GMainContext* context,
                                                 const MediaBridgeOptions& options,
                                                 std::string& error) {
  auto source = media::parse_audio_source(options.audio_source, error);
  if (!source) return nullptr;
  auto sink = media::parse_audio_sink(options.audio_sink, error);
  if (!sink) return nullptr;
  std::unique_ptr<MediaBridge> bridge(new MediaBridge());
  bridge->impl_->context = context;
  bridge->impl_->options = options;
  bridge->impl_->source = *source;
  bridge->impl_->sink = *sink;
  return bridge;
}

// A plain socket pair per stream, bound at once: always ready or failed.
Preparation MediaBridge::prepare(std::uint64_t call_id, const TransportRequest& request) {
  Impl& impl = *impl_;
  auto& call = impl.calls[call_id];
  Preparation prepared;
  if (!call.transport) {
    call.transport = media::UdpTransport::bind(
        request.ipv6, {impl.options.first_port, impl.options.last_port}, prepared.error);
    if (!call.transport) {
      spdlog::error("call {}: no audio: {}", call_id, prepared.error);
      impl.calls.erase(call_id);
      return prepared;
    }
  }
  LocalTransport local;
  local.address = call.transport->ipv6() ? impl.options.ipv6_address : impl.options.ipv4_address;
  local.rtp_port = call.transport->rtp_port();
  local.rtcp_port = call.transport->rtcp_port();
  prepared.state = PrepareState::kReady;
  prepared.streams.push_back(local);
  return prepared;
}

void MediaBridge::apply(std::uint64_t call_id, const std::vector<StreamDescription>& streams) {
  Impl& impl = *impl_;
  auto found = impl.calls.find(call_id);
  if (found == impl.calls.end() || !found->second.transport) {
    spdlog::warn("call {}: media agreed but no ports were reserved; no audio", call_id);
    return;
  }
  Impl::Call& call = found->second;
  // Audio is the only kind media/ plays yet; any other stream is left alone.
  const StreamDescription* audio = find_stream(streams, StreamKind::kAudio);
  std::optional<media::SessionConfig> config;
  if (audio) config = impl.session_config(call_id, *audio);
  if (!config) {
    // Rejected stream (port 0) or nothing we can play: no pipeline, ports kept.
    if (call.session) {
      spdlog::info("call {}: audio stopped ({})", call_id,
                   !audio ? "stream rejected" : "no codec in common");
      call.session.reset();
      call.shape.reset();
    }
    return;
  }
  Shape shape = Impl::shape_of(*config);
  if (call.session && call.shape == shape) {
    call.session->set_direction(config->send, config->receive);
    call.session->set_remote(config->remote_address, config->remote_rtp_port,
                             config->remote_rtcp_port);
    spdlog::info("call {}: audio {}{}", call_id, config->send ? "send" : "",
                 config->receive ? (config->send ? "+receive" : "receive")
                                 : (config->send ? "" : "inactive"));
    return;
  }
  // A new codec or payload type (a re-INVITE changed it): a new pipeline on the same
  // sockets. A recording starts again.
  if (call.session) call.session->stop();
  call.session.reset();
  media::SessionEvents events;
  events.on_dtmf = [this, call_id](char digit) {
    if (impl_->dtmf_callback) impl_->dtmf_callback(call_id, digit);
  };
  events.on_error = [this, call_id](const std::string& error) {
    if (impl_->error_callback) impl_->error_callback(call_id, error);
  };
  std::string error;
  call.session =
      media::AudioSession::create(impl.context, *call.transport, *config, std::move(events), error);
  if (!call.session) {
    spdlog::error("call {}: no audio: {}", call_id, error);
    if (impl.error_callback) impl.error_callback(call_id, error);
    return;
  }
  call.shape = shape;
  if (call.muted) call.session->set_mute(true);
}

void MediaBridge::release(std::uint64_t call_id) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end()) return;
  if (found->second.session) found->second.session->stop();
  impl_->calls.erase(found);
}

bool MediaBridge::set_mute(std::uint64_t call_id, bool muted) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end()) return false;
  found->second.muted = muted;
  if (found->second.session) found->second.session->set_mute(muted);
  return true;
}

bool MediaBridge::send_dtmf(std::uint64_t call_id, const std::string& digits) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end() || !found->second.session) return false;
  return found->second.session->send_dtmf(digits);
}

std::optional<MediaStats> MediaBridge::stats(std::uint64_t call_id) const {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end() || !found->second.session) return std::nullopt;
  media::SessionStats figures = found->second.session->stats();
  MediaStats stats;
  stats.codec = figures.codec;
  stats.send_kbps = figures.send_kbps;
  stats.receive_kbps = figures.receive_kbps;
  stats.packets_sent = figures.packets_sent;
  stats.packets_received = figures.packets_received;
  // RFC 3550 6.4.1: the cumulative count goes below zero when duplicates arrive; a user
  // reading "lost" means packets that never came.
  stats.packets_lost = std::max<std::int64_t>(0, figures.packets_lost);
  stats.loss_fraction = figures.loss_fraction;
  stats.jitter_ms = figures.jitter_ms;
  stats.rtt_ms = figures.rtt_ms;
  stats.mic_level_db = figures.mic_level_db;
  stats.speaker_level_db = figures.speaker_level_db;
  return stats;
}

void MediaBridge::on_dtmf(std::function<void(std::uint64_t, char)> callback) {
  impl_->dtmf_callback = std::move(callback);
}

void MediaBridge::on_error(std::function<void(std::uint64_t, const std::string&)> callback) {
  impl_->error_callback = std::move(callback);
}

bool MediaBridge::has_audio(std::uint64_t call_id) const {
  auto found = impl_->calls.find(call_id);
  return found != impl_->calls.end() && found->second.session;
}

}  // namespace lanline::core
