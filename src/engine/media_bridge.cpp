#include "engine/media_bridge.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/audio_branch.hpp"
#include "media/call_pipeline.hpp"
#include "media/udp_media_transport.hpp"
#include "media/udp_transport.hpp"

namespace lanline::engine {
namespace {

// Which of the call's prepared transports `stream` is on. The UA hands the transports
// prepare() gave it to the streams our SDP carries, one each in m-line order, and none to
// an m-line at port 0; so a stream's transport is the number of accepted streams before
// it. (A stream we offered and the peer rejected also had one in our offer: once the UA
// offers several streams, StreamDescription should say which transport it is on.)
std::size_t transport_index(const std::vector<StreamDescription>& streams,
                            const StreamDescription& stream) {
  std::size_t index = 0;
  for (const StreamDescription& other : streams) {
    if (&other == &stream) break;
    if (other.accepted()) ++index;
  }
  return index;
}

// Whether the running pipeline, built for `built`, can take `next` as it runs: direction
// and remote address change live; anything else (codecs, payload types, telephone-event,
// ptime, rtcp-mux) builds a new one.
bool takes_live(const StreamDescription& built, const StreamDescription& next) {
  return media::AudioBranch::takes_live(built, next) && built.rtcp_mux == next.rtcp_mux;
}

std::string direction_label(bool send, bool receive) {
  if (send && receive) return "send+receive";
  if (send) return "send";
  return receive ? "receive" : "inactive";
}

}  // namespace

struct MediaBridge::Impl {
  GMainContext* context = nullptr;
  MediaBridgeOptions options;
  media::AudioSource source;
  media::AudioSink sink;
  struct Call {
    // One socket pair per stream, in the order prepare() handed them out (the m-lines').
    std::vector<std::unique_ptr<media::UdpTransport>> sockets;
    std::unique_ptr<media::CallPipeline> pipeline;     // nullptr while there is no audio
    media::AudioBranch* audio = nullptr;               // in pipeline
    media::MediaTransport* audio_transport = nullptr;  // in pipeline
    std::size_t audio_sockets = 0;                     // which of `sockets` it is on
    bool muted = false;
  };
  std::map<std::uint64_t, Call> calls;
  std::function<void(std::uint64_t, char)> dtmf_callback;
  std::function<void(std::uint64_t, const std::string&)> error_callback;

  static void stop_audio(Call& call) {
    call.audio = nullptr;
    call.audio_transport = nullptr;
    call.pipeline.reset();  // finishes a recording first
  }

  // A new call pipeline for `audio` on `call.sockets[sockets]`; false (logged and
  // reported) when it cannot be built or does not start.
  bool start_audio(std::uint64_t call_id, Call& call, const StreamDescription& audio,
                   std::size_t sockets);
};

bool MediaBridge::Impl::start_audio(std::uint64_t call_id, Call& call,
                                    const StreamDescription& audio, std::size_t sockets) {
  const std::string name = "call " + std::to_string(call_id);
  std::string error;
  auto fail = [&] {
    spdlog::error("{}: no audio: {}", name, error);
    if (error_callback) error_callback(call_id, error);
    return false;
  };
  if (sockets >= call.sockets.size()) {
    error = "no transport was prepared for stream " + std::to_string(sockets + 1) + " (m-line " +
            std::to_string(audio.mline) + ")";
    return fail();
  }
  media::PipelineEvents pipeline_events;
  pipeline_events.on_error = [this, call_id](const std::string& problem) {
    if (error_callback) error_callback(call_id, problem);
  };
  auto pipeline = media::CallPipeline::create(context, name, std::move(pipeline_events), error);
  if (!pipeline) return fail();
  auto transport = media::UdpMediaTransport::create(*call.sockets[sockets], audio, name, error);
  if (!transport) return fail();
  media::AudioEvents events;
  events.on_dtmf = [this, call_id](char digit) {
    if (dtmf_callback) dtmf_callback(call_id, digit);
  };
  auto branch = media::AudioBranch::create(pipeline->next_slot(), {audio, source, sink, name},
                                           std::move(events), error);
  if (!branch) return fail();
  media::AudioBranch* branch_in_pipeline = branch.get();
  media::MediaTransport* transport_in_pipeline = transport.get();
  if (!pipeline->add_stream(std::move(transport), std::move(branch), error) ||
      !pipeline->start(error)) {
    return fail();
  }
  call.pipeline = std::move(pipeline);
  call.audio = branch_in_pipeline;
  call.audio_transport = transport_in_pipeline;
  call.audio_sockets = sockets;
  const NegotiatedCodec* sent = media::codec_to_send(audio);
  const PlainTransport& remote = audio.plain();
  spdlog::info("{}: audio {} pt {} to {}:{}{}", name, codec_label(sent->codec), sent->send_pt,
               remote.address, remote.rtp_port, audio.rtcp_mux ? " (rtcp-mux)" : "");
  if (call.muted) call.audio->set_mute(true);
  return true;
}

MediaBridge::MediaBridge() : impl_(std::make_unique<Impl>()) {}
MediaBridge::~MediaBridge() {
  // Every recording is finished (header written) before the node goes.
  for (auto& [id, call] : impl_->calls) {
    if (call.pipeline) call.pipeline->stop();
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

// A plain socket pair per stream, bound at once: always ready or failed. A later
// exchange (re-INVITE) gets the same pairs, and more if it asks for more streams.
core::Preparation MediaBridge::prepare(std::uint64_t call_id,
                                       const core::TransportRequest& request) {
  Impl& impl = *impl_;
  auto& call = impl.calls[call_id];
  core::Preparation prepared;
  const std::size_t wanted = std::max<std::size_t>(1, request.streams);
  const bool first = call.sockets.empty();
  while (call.sockets.size() < wanted) {
    auto sockets = media::UdpTransport::bind(
        request.ipv6, {impl.options.first_port, impl.options.last_port}, prepared.error);
    if (!sockets) {
      spdlog::error("call {}: no audio: {}", call_id, prepared.error);
      if (first) impl.calls.erase(call_id);  // else its running streams stay until release()
      return prepared;
    }
    call.sockets.push_back(std::move(sockets));
  }
  for (std::size_t i = 0; i < wanted; ++i) {
    const media::UdpTransport& sockets = *call.sockets[i];
    LocalTransport local;
    local.address = sockets.ipv6() ? impl.options.ipv6_address : impl.options.ipv4_address;
    local.rtp_port = sockets.rtp_port();
    local.rtcp_port = sockets.rtcp_port();
    prepared.streams.push_back(local);
  }
  prepared.state = core::PrepareState::kReady;
  return prepared;
}

void MediaBridge::apply(std::uint64_t call_id, const std::vector<StreamDescription>& streams) {
  Impl& impl = *impl_;
  auto found = impl.calls.find(call_id);
  if (found == impl.calls.end() || found->second.sockets.empty()) {
    spdlog::warn("call {}: media agreed but no ports were reserved; no audio", call_id);
    return;
  }
  Impl::Call& call = found->second;
  // Audio is the only kind media/ plays yet; any other stream is left alone.
  const StreamDescription* audio = find_stream(streams, StreamKind::kAudio);
  if (!audio || !media::codec_to_send(*audio)) {
    // Rejected stream (port 0) or nothing we can play: no pipeline, ports kept.
    if (call.pipeline) {
      spdlog::info("call {}: audio stopped ({})", call_id,
                   !audio ? "stream rejected" : "no codec in common");
      Impl::stop_audio(call);
    }
    return;
  }
  const std::size_t sockets = transport_index(streams, *audio);
  if (call.audio && call.audio_sockets == sockets &&
      takes_live(call.audio->config().stream, *audio)) {
    call.audio->set_direction(audio->send, audio->receive);
    call.audio_transport->set_remote(audio->plain());
    spdlog::info("call {}: audio {}", call_id, direction_label(audio->send, audio->receive));
    return;
  }
  // A new codec or payload type (a re-INVITE changed it): a new pipeline on the same
  // sockets. A recording starts again.
  Impl::stop_audio(call);
  impl.start_audio(call_id, call, *audio, sockets);
}

void MediaBridge::release(std::uint64_t call_id) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end()) return;
  Impl::stop_audio(found->second);
  impl_->calls.erase(found);
}

bool MediaBridge::set_mute(std::uint64_t call_id, bool muted) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end()) return false;
  found->second.muted = muted;
  if (found->second.audio) found->second.audio->set_mute(muted);
  spdlog::info("call {}: microphone {}", call_id, muted ? "muted" : "unmuted");
  return true;
}

bool MediaBridge::send_dtmf(std::uint64_t call_id, const std::string& digits) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end() || !found->second.audio) return false;
  return found->second.audio->send_dtmf(digits);
}

std::optional<core::MediaStats> MediaBridge::stats(std::uint64_t call_id) const {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end() || !found->second.audio) return std::nullopt;
  media::AudioStats figures = found->second.audio->stats();
  core::MediaStats stats;
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
  return found != impl_->calls.end() && found->second.audio;
}

}  // namespace lanline::engine
