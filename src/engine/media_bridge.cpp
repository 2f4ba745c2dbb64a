#include "engine/media_bridge.hpp"

#include <agent.h>  // libnice: nice_agent_send for DTLS records
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <deque>

#include "glib_support/callbacks.hpp"
#include "ice/address_watch.hpp"
#include "media/audio_branch.hpp"
#include "media/call_pipeline.hpp"
#include "media/ice_media_transport.hpp"
#include "media/srtp_transport.hpp"
#include "media/udp_media_transport.hpp"
#include "media/udp_transport.hpp"
#include "media/video_branch.hpp"

namespace lanline::engine {
namespace {

// Whether the running pipeline, built for `built`, can take `next` as it runs: direction
// and remote address change live; anything else (codecs, payload types, telephone-event,
// ptime, rtcp-mux) builds a new one.
bool takes_live(const StreamDescription& built, const StreamDescription& next) {
  return media::AudioBranch::takes_live(built, next) && built.rtcp_mux == next.rtcp_mux;
}

// Whether a peer at `address` shares a LAN with us: loopback, link-local, RFC 1918 or
// RFC 4193 unique-local. A peer without ICE there reaches our host candidate directly;
// one beyond it needs the server-reflexive or relayed one as c=/m=.
bool on_lan(std::string address) {
  if (std::size_t zone = address.find('%'); zone != std::string::npos) address.resize(zone);
  glib::GObjectPtr<GInetAddress> parsed(g_inet_address_new_from_string(address.c_str()));
  if (!parsed) return true;  // a name or nothing: as on a LAN, today's behaviour
  GInetAddress* a = parsed.get();
  if (g_inet_address_get_is_loopback(a) || g_inet_address_get_is_link_local(a) ||
      g_inet_address_get_is_site_local(a)) {
    return true;
  }
  const guint8* bytes = g_inet_address_to_bytes(a);
  return g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6 && (bytes[0] & 0xfe) == 0xfc;
}

// Whether a shared screen's branch shows the peer's screen (it shares to us), not ours.
bool shows_peer(const media::VideoBranch& screen) {
  return screen.config().stream.receive;
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
  std::optional<media::DtlsCredentials> dtls_credentials;  // the node's, for DTLS-SRTP
  media::AudioSource source;
  media::AudioSink sink;
  media::VideoSource video_source;
  bool video_windows = false;
  std::optional<media::ScreenArea> screen_area;  // what a share sends: a monitor, or all
  std::shared_ptr<media::FrameBoard> frames = std::make_shared<media::FrameBoard>();
  bool video_enabled() const { return video_source.kind != media::VideoSource::Kind::kNone; }
  // One stream's network end: a plain socket pair, or an ICE agent (then the pipeline's
  // transport is nicesrc/nicesink on it).
  struct Stream {
    std::unique_ptr<media::UdpTransport> sockets;
    std::unique_ptr<ice::IceAgent> ice;
    bool gathered = false;
    std::string remote_ufrag;  // the peer's credentials the agent checks with
    bool restarting = false;   // restarted: the next exchange's remote ICE is set anew
    bool announced = false;    // the nominated pair was offered (a=remote-candidates)
    bool rtcp_mux = true;      // as the last exchange agreed
    LocalTransport local;      // what our SDP says for it
    // Our restart gathers anew (regather()); kDone until regathered() takes it up.
    enum class Regather { kNone, kGathering, kDone } regather = Regather::kNone;
    bool awaiting_address = false;  // restarted with no candidate: a new address restarts it
    // DTLS-SRTP (RFC 5764): the stream's handshake, kept for the call while pipelines come
    // and go; shared, so that a record handed over from a streaming thread after the call
    // ended finds it gone (a weak pointer) rather than freed.
    std::shared_ptr<media::DtlsHandshake> dtls;
    PlainTransport dtls_remote;  // where its records go without ICE
  };
  // What a call plays: its main audio, the camera's video (main), the shared screen
  // (slides, RFC 4796): each on one of the call's streams.
  enum Part { kAudio, kVideo, kScreen, kParts };
  static constexpr const char* kPartNames[kParts] = {"audio", "video", "screen"};
  using Wanted = std::array<const StreamDescription*, kParts>;
  struct Call {
    std::uint64_t id = 0;
    Impl* owner = nullptr;
    // One per transport, in the order prepare() handed them out; a deque, as callbacks
    // hold references to its elements while a stream is added mid-call.
    std::deque<Stream> streams;
    ice::IceAgent::DefaultChoice default_choice;
    // The call's ICE, as its first prepare() set it; streams added later keep to it.
    bool ice = false;
    bool controlling = false;
    unsigned components = 1;
    bool pending = false;  // prepare() answered kPending; on_ready is owed
    // Streams added to the call under way gather (from index `grown_from` on); their
    // transports go to the UA through on_renew once they have.
    bool growing = false;
    std::size_t grown_from = 0;
    bool connected_once = false;
    std::string lost_reason;         // set when the path is gone; reported from an idle
    glib::SourceHandle report;       // the idle that reports the outcome or the loss
    glib::SourceHandle renew_retry;  // a restart's re-offer waits for another offer to end
    glib::SourceHandle recovery;     // consent lost: the path must be back before it fires
    glib::SourceHandle first_path;   // no pair yet: one must work before it fires
    int renew_attempts = 0;
    // The pipeline runs the streams we play: the main audio and the main video. Each
    // part is in it, or nullptr.
    struct Playing {
      StreamDescription agreed;                           // what it was built for
      std::size_t stream = 0;                             // which of `streams` it is on
      media::MediaTransport* transport = nullptr;         // in pipeline
      media::IceMediaTransport* ice_transport = nullptr;  // the same, when it is ICE's
      media::SrtpTransport* srtp = nullptr;               // the same, when SRTP protects it
    };
    std::unique_ptr<media::CallPipeline> pipeline;  // nullptr while nothing plays
    std::array<std::optional<Playing>, kParts> playing;
    media::AudioBranch* audio = nullptr;   // in pipeline
    media::VideoBranch* video = nullptr;   // in pipeline: the camera's
    media::VideoBranch* screen = nullptr;  // in pipeline: the shared screen, either way
    bool muted = false;
  };
  std::map<std::uint64_t, Call> calls;
  std::function<void(std::uint64_t, char)> dtmf_callback;
  std::function<void(std::uint64_t, const std::string&)> error_callback;
  std::function<void(std::uint64_t, const core::Preparation&)> ready_callback;
  std::function<void(std::uint64_t, const std::string&)> lost_callback;
  std::function<bool(std::uint64_t, const core::Preparation&)> renew_callback;
  std::unique_ptr<ice::AddressWatch> address_watch;
  // A configured server that gave nothing by the gathering bound is silent: later calls
  // stop waiting for it (their agents still ask, and one that answers late makes it
  // count again), so a dead server costs one call the bound, not every call.
  bool stun_silent = false;
  bool turn_silent = false;
  void note_servers(const LocalIce& gathered);
  std::chrono::milliseconds gather_wait() const {
    const bool worth_waiting = (options.stun && !stun_silent) || (options.turn && !turn_silent);
    return worth_waiting ? options.gather_bound : std::chrono::milliseconds(0);
  }

  static void stop_media(Call& call) {
    if (call.video || call.screen) call.owner->frames->withdraw(call.id);
    call.audio = nullptr;
    call.video = nullptr;
    call.screen = nullptr;
    for (auto& part : call.playing)
      part.reset();
    call.pipeline.reset();  // finishes a recording first
    for (Stream& stream : call.streams) {
      if (stream.ice) stream.ice->drop_received();
    }
  }

  // A new call pipeline for what `wanted` names (any part may be null), each on its
  // stream's transport; false (logged and reported) when it cannot be built or does not
  // start. When a video part is what fails, audio alone is tried next.
  bool start_media(Call& call, const Wanted& wanted);
  bool try_start_media(Call& call, const Wanted& wanted, std::string& error);
  std::unique_ptr<media::VideoBranch> make_video(Call& call, media::CallPipeline& pipeline,
                                                 const StreamDescription& agreed, bool screen,
                                                 std::string& error);
  // Streams beyond the call's (a re-INVITE adds one): made like the first ones.
  core::Preparation grow(Call& call, std::size_t wanted);
  // Stream `index`'s network end as the call's ICE says: an agent that gathers, else (no
  // ICE, or the agent could not start) a plain socket pair. False with `error` when neither.
  bool make_stream_transport(Call& call, std::size_t index, std::string& error);
  // A gathered stream's local end for the SDP: its agent's default candidate, else a
  // plain pair. False with `error` when there is neither.
  bool finish_stream(Call& call, std::size_t index, std::string& error);
  std::unique_ptr<media::MediaTransport> make_transport(Call& call, std::size_t index,
                                                        const StreamDescription& agreed,
                                                        Call::Playing& playing, std::string& error);
  std::unique_ptr<media::MediaTransport> protect_with_dtls(
      Call& call, std::size_t index, const StreamDescription& agreed,
      std::unique_ptr<media::MediaTransport> transport, Call::Playing& playing, std::string& error);
  void send_dtls(Call& call, std::size_t index, const std::uint8_t* data, std::size_t size);
  void dtls_done(std::uint64_t call_id, std::size_t index, const media::DtlsOutcome& outcome);
  // The agent of a stream gathers; when every stream of the call has, the outcome.
  std::unique_ptr<ice::IceAgent> make_agent(Call& call, std::size_t index, bool controlling,
                                            unsigned components);
  void gathered(Call& call);
  bool all_gathered(Call& call);  // marks those that have as gathered
  core::Preparation outcome(Call& call);
  bool plain_sockets(Call& call, Stream& stream, bool ipv6, std::string& error);
  void fall_back_to_plain(Call& call, Stream& stream);
  void watch(Call& call, std::size_t index);
  void report_later(Call& call);
  static gboolean on_report(gpointer data);
  // ICE restarts (RFC 8445 9): ours when an address under a call's pair went away, the
  // peer's when its offer has a new ufrag.
  void addresses_changed();
  std::set<std::string> known_addresses;  // as the last change left them
  // Our restart, after an address change or a loss of consent: the streams at `indices`
  // gather anew on the addresses there are now (ice::IceAgent::regather); once all have,
  // media moves to the new streams and a re-INVITE offers them. A stream that finds no
  // address to gather on waits for one (awaiting_address).
  void regather(Call& call, const std::vector<std::size_t>& indices);
  void regathered(Call& call);
  void announce_nominated(Call& call, std::size_t index);
  void offer_renewal(Call& call);
  static gboolean on_renew_retry(gpointer data);
  static gboolean on_recovery_over(gpointer data);
  static gboolean on_first_path_over(gpointer data);
  // The call's media path is gone for `reason` (unless one is already reported): said
  // to the UA from an idle.
  void lose_path(Call& call, std::string reason);
  static constexpr std::chrono::milliseconds kConsentGrace{18000};
  static constexpr std::chrono::milliseconds kFirstPathGrace{10000};
  // The peer's restart: new credentials for our answer, the candidates we have (our
  // addresses did not change); the next exchange sets the peer's ICE anew.
  bool restart(const Call& call, Stream& stream) {
    if (!stream.ice->restart()) return false;
    stream.restarting = true;
    stream.announced = false;
    stream.local = stream.ice->default_transport(choice_now(call));
    return true;
  }
  ice::IceAgent::DefaultChoice choice_now(const Call& call) const {
    ice::IceAgent::DefaultChoice choice = call.default_choice;
    choice.usable = ice::usable_addresses();
    return choice;
  }
};

std::unique_ptr<media::MediaTransport> MediaBridge::Impl::make_transport(
    Call& call, std::size_t index, const StreamDescription& agreed, Call::Playing& playing,
    std::string& error) {
  if (index >= call.streams.size()) {
    error = "no transport was prepared for stream " + std::to_string(index + 1) + " (m-line " +
            std::to_string(agreed.mline) + ")";
    return nullptr;
  }
  Stream& stream = call.streams[index];
  playing.agreed = agreed;
  playing.stream = index;
  const std::string name = "call " + std::to_string(call.id);
  std::unique_ptr<media::MediaTransport> transport;
  if (stream.ice) {
    auto ice = media::IceMediaTransport::create(G_OBJECT(stream.ice->agent()),
                                                stream.ice->stream_id(), agreed, name, error);
    playing.ice_transport = ice.get();
    transport = std::move(ice);
  } else if (stream.sockets) {
    transport = media::UdpMediaTransport::create(*stream.sockets, agreed, name, error);
  } else {
    error = "stream " + std::to_string(index + 1) + " has no transport";
  }
  if (transport && agreed.dtls) {
    transport = protect_with_dtls(call, index, agreed, std::move(transport), playing, error);
  } else if (transport && agreed.srtp) {
    auto srtp = media::SrtpTransport::wrap(std::move(transport), agreed, name, error);
    playing.srtp = srtp.get();
    transport = std::move(srtp);
  }
  playing.transport = transport.get();
  return transport;
}

// SRTP keyed by the stream's DTLS handshake: made with the first pipeline that plays the
// stream, kept for the next ones (whose SRTP is keyed at once). Its records come from the
// transport's demux on the streaming thread and are handed to the engine's context.
std::unique_ptr<media::MediaTransport> MediaBridge::Impl::protect_with_dtls(
    Call& call, std::size_t index, const StreamDescription& agreed,
    std::unique_ptr<media::MediaTransport> transport, Call::Playing& playing, std::string& error) {
  const std::string name = "call " + std::to_string(call.id);
  if (!agreed.rtcp_mux) {
    error = "DTLS-SRTP without rtcp-mux (a handshake for RTCP of its own) is not supported";
    return nullptr;
  }
  Stream& stream = call.streams[index];
  stream.dtls_remote = agreed.plain();
  const DtlsParameters& peer = *agreed.dtls;
  if (!stream.dtls || stream.dtls->peer().fingerprint != peer.fingerprint ||
      stream.dtls->peer().client != peer.client) {
    if (!dtls_credentials) {
      error = "DTLS-SRTP was agreed, but this node has no certificate of its own";
      return nullptr;
    }
    const std::uint64_t call_id = call.id;
    auto handshake = media::DtlsHandshake::create(
        context, *dtls_credentials, peer, name + " stream " + std::to_string(index + 1),
        [this, &call, index](const std::uint8_t* data, std::size_t size) {
          send_dtls(call, index, data, size);
        },
        [this, call_id, index](const media::DtlsOutcome& outcome) {
          dtls_done(call_id, index, outcome);
        },
        error);
    if (!handshake) return nullptr;
    stream.dtls = std::move(handshake);
    // The client opens it once there is a path: now without ICE, else when ICE connects.
    if (!stream.ice || stream.ice->state() == ice::IceState::kConnected) stream.dtls->start();
  }
  std::weak_ptr<media::DtlsHandshake> weak = stream.dtls;
  transport->on_dtls([context = context, weak](const std::uint8_t* data, std::size_t size) {
    auto record = std::make_shared<std::vector<std::uint8_t>>(data, data + size);
    glib::invoke_on(context, "media: DTLS record", [weak, record] {
      if (auto handshake = weak.lock()) handshake->receive(record->data(), record->size());
    });
  });
  auto srtp = media::SrtpTransport::wrap_unkeyed(std::move(transport), agreed, name, error);
  if (!srtp) return nullptr;
  if (stream.dtls->keys()) srtp->set_keys(*stream.dtls->keys());
  playing.srtp = srtp.get();
  return srtp;
}

void MediaBridge::Impl::send_dtls(Call& call, std::size_t index, const std::uint8_t* data,
                                  std::size_t size) {
  Stream& stream = call.streams[index];
  if (stream.ice) {
    // On the pair the checks selected; nothing while there is none (the handshake sends
    // its flight again).
    nice_agent_send(stream.ice->agent(), stream.ice->stream_id(), 1, static_cast<guint>(size),
                    reinterpret_cast<const gchar*>(data));
    return;
  }
  if (!stream.sockets || stream.dtls_remote.address.empty()) return;
  GInetAddress* address = g_inet_address_new_from_string(stream.dtls_remote.address.c_str());
  if (!address) return;
  GSocketAddress* to = g_inet_socket_address_new(address, stream.dtls_remote.rtp_port);
  g_object_unref(address);
  GError* problem = nullptr;
  if (g_socket_send_to(stream.sockets->rtp_socket(), to, reinterpret_cast<const gchar*>(data), size,
                       nullptr, &problem) < 0) {
    spdlog::debug("call {}: DTLS record not sent: {}", call.id, problem->message);
    g_error_free(problem);
  }
  g_object_unref(to);
}

void MediaBridge::Impl::dtls_done(std::uint64_t call_id, std::size_t index,
                                  const media::DtlsOutcome& outcome) {
  auto found = calls.find(call_id);
  if (found == calls.end()) return;
  Call& call = found->second;
  if (!outcome.keys) {
    call.owner->lose_path(call, "DTLS-SRTP failed: " + outcome.error);
    return;
  }
  for (auto& part : call.playing) {
    if (part && part->stream == index && part->srtp) part->srtp->set_keys(*outcome.keys);
  }
}

bool MediaBridge::Impl::start_media(Call& call, const Wanted& wanted) {
  const std::string name = "call " + std::to_string(call.id);
  std::string error;
  auto failed = [&] {
    // Nothing of the failed pipeline runs any more (it is gone): the agents' components
    // go back to being read, so that checks and consent are still answered.
    for (Stream& stream : call.streams) {
      if (stream.ice) stream.ice->drop_received();
    }
  };
  if (try_start_media(call, wanted, error)) return true;
  failed();
  if (wanted[kScreen] && (wanted[kAudio] || wanted[kVideo])) {
    // No X display to share, or the screen's branch failed: the call goes on without it.
    spdlog::error("{}: no shared screen: {}; the call goes on without it", name, error);
    if (error_callback) error_callback(call.id, "no shared screen: " + error);
    error.clear();
    if (try_start_media(call, Wanted{wanted[kAudio], wanted[kVideo], nullptr}, error)) return true;
    failed();
  }
  if (wanted[kAudio] && wanted[kVideo]) {
    // A camera that is busy or missing costs the video, not the call.
    spdlog::error("{}: no video: {}; the call goes on with audio only", name, error);
    if (error_callback) error_callback(call.id, "no video: " + error);
    error.clear();
    if (try_start_media(call, Wanted{wanted[kAudio], nullptr, nullptr}, error)) return true;
    failed();
  }
  spdlog::error("{}: no media: {}", name, error);
  if (error_callback) error_callback(call.id, error);
  return false;
}

std::unique_ptr<media::VideoBranch> MediaBridge::Impl::make_video(Call& call,
                                                                  media::CallPipeline& pipeline,
                                                                  const StreamDescription& agreed,
                                                                  bool screen, std::string& error) {
  media::VideoBranchConfig config;
  config.stream = agreed;
  config.name = "call " + std::to_string(call.id) + (screen ? " screen" : "");
  config.on_frame = [board = frames] { board->frame_arrived(); };
  if (video_windows) config.window_title = "Lanline: " + config.name;
  if (!screen) {
    config.source = video_source;
  } else {
    // The screen as it is, for text that stays sharp: its own size, few frames, and
    // the bits for detail (a shared screen mostly stands still).
    if (agreed.send) {
      config.source.kind = media::VideoSource::Kind::kScreen;
      config.source.area = screen_area;
    }
    config.width = 0;
    config.height = 0;
    config.fps = 5;
    config.bitrate_kbps = 2500;
  }
  return media::VideoBranch::create(pipeline.next_slot(), std::move(config), error);
}

bool MediaBridge::Impl::try_start_media(Call& call, const Wanted& wanted, std::string& error) {
  const std::uint64_t call_id = call.id;
  const std::string name = "call " + std::to_string(call_id);
  auto fail = [] { return false; };  // `error` says why; the pipeline goes on return
  media::PipelineEvents pipeline_events;
  pipeline_events.on_error = [this, call_id](const std::string& problem) {
    if (error_callback) error_callback(call_id, problem);
  };
  auto pipeline = media::CallPipeline::create(context, name, std::move(pipeline_events), error);
  if (!pipeline) return fail();
  std::array<Call::Playing, kParts> parts;
  media::AudioBranch* audio_branch = nullptr;
  std::array<media::VideoBranch*, kParts> video_branches{};
  for (int part = kAudio; part < kParts; ++part) {
    const StreamDescription* agreed = wanted[part];
    if (!agreed) continue;
    auto transport = make_transport(call, agreed->transport, *agreed, parts[part], error);
    if (!transport) return fail();
    std::unique_ptr<media::MediaBranch> branch;
    if (part == kAudio) {
      media::AudioEvents events;
      events.on_dtmf = [this, call_id](char digit) {
        if (dtmf_callback) dtmf_callback(call_id, digit);
      };
      auto audio = media::AudioBranch::create(pipeline->next_slot(), {*agreed, source, sink, name},
                                              std::move(events), error);
      audio_branch = audio.get();
      branch = std::move(audio);
    } else {
      auto video = make_video(call, *pipeline, *agreed, part == kScreen, error);
      video_branches[part] = video.get();
      branch = std::move(video);
    }
    if (!branch) return fail();
    if (!pipeline->add_stream(std::move(transport), std::move(branch), error)) return fail();
  }
  if (!pipeline->start(error)) return fail();
  call.pipeline = std::move(pipeline);
  call.audio = audio_branch;
  call.video = video_branches[kVideo];
  call.screen = video_branches[kScreen];
  for (int part = kAudio; part < kParts; ++part) {
    if (wanted[part]) call.playing[part] = parts[part];
  }
  if (call.video || call.screen) {
    auto newest = [](media::VideoBranch* branch, bool remote) -> media::FrameBoard::Picture {
      if (!branch) return nullptr;
      auto slot = remote ? branch->remote_slot() : branch->local_slot();
      return [slot] { return slot->newest(); };
    };
    frames->publish(call_id, newest(call.video, true), newest(call.video, false),
                    newest(call.screen, call.screen && shows_peer(*call.screen)));
  }
  for (int part = kAudio; part < kParts; ++part) {
    if (!parts[part].transport) continue;
    const StreamDescription& agreed = parts[part].agreed;
    const NegotiatedCodec* sent = media::codec_to_send(agreed);
    const PlainTransport& remote = agreed.plain();
    const bool ice = parts[part].ice_transport != nullptr;
    spdlog::info("{}: {} {} pt {} to {}{}:{}{} ({})", name, kPartNames[part],
                 codec_label(sent->codec), sent->send_pt, ice ? "the ICE pair (default " : "",
                 remote.address, remote.rtp_port,
                 std::string(ice ? ")" : "") + (agreed.rtcp_mux ? " (rtcp-mux)" : ""),
                 direction_label(agreed.send, agreed.receive));
  }
  if (call.muted && call.audio) call.audio->set_mute(true);
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
  auto video_source = media::parse_video_source(options.video_source, error);
  if (!video_source) return nullptr;
  bridge->impl_->video_source = *video_source;
  bridge->impl_->video_windows = options.video_windows;
  if (options.ice) {
    Impl* impl = bridge->impl_.get();
    std::string watch_error;
    impl->known_addresses = ice::usable_addresses();
    impl->address_watch = ice::AddressWatch::create(
        context, [impl] { impl->addresses_changed(); }, watch_error);
    if (!impl->address_watch)
      spdlog::warn("{}; calls will not follow address changes", watch_error);
  }
  return bridge;
}

// The host's addresses changed: a call whose selected pair sits on an address that is
// gone restarts ICE and offers what is left (a re-INVITE); so does one whose path is down
// (consent lost, or an earlier restart found no address at all) when an address appeared.
// The others go on as they are: a new address is no reason to move a working call.
void MediaBridge::Impl::addresses_changed() {
  const std::set<std::string> usable = ice::usable_addresses();
  bool appeared = false;
  for (const std::string& address : usable)
    appeared = appeared || !known_addresses.count(address);
  known_addresses = usable;
  for (auto& [id, call] : calls) {
    if (call.pending) continue;
    std::vector<std::size_t> restart_these;
    for (std::size_t i = 0; i < call.streams.size(); ++i) {
      Stream& stream = call.streams[i];
      if (!stream.ice || stream.remote_ufrag.empty()) continue;
      if (stream.regather != Stream::Regather::kNone) continue;
      // Only a pair in use can lose its address: a stream still checking goes on with
      // the candidates it has (addresses settling at start-up change all the time).
      auto pair = stream.ice->selected(1);
      const bool lost = pair && pair->local.type != "relay" &&
                        !usable.count(pair->local.type == "host" ? pair->local.address
                                                                 : pair->local.related_address);
      const bool down = stream.awaiting_address || call.recovery;
      if (down) {
        if (!appeared) continue;
        spdlog::info("call {}: a new address while its media path is down; restarting ICE", id);
      } else if (lost) {
        spdlog::info("call {}: the address under its media path is gone; restarting ICE", id);
      } else {
        continue;
      }
      restart_these.push_back(i);
    }
    regather(call, restart_these);
  }
}

void MediaBridge::Impl::regather(Call& call, const std::vector<std::size_t>& indices) {
  if (indices.empty()) return;
  // All are marked first: one that finishes within regather() must not go ahead alone.
  for (std::size_t i : indices)
    call.streams[i].regather = Stream::Regather::kGathering;
  for (std::size_t i : indices) {
    Stream& stream = call.streams[i];
    stream.awaiting_address = false;
    std::string error;
    const bool started = stream.ice->regather(
        [this, &call, &stream] {
          stream.regather = Stream::Regather::kDone;
          regathered(call);
        },
        error);
    if (!started) {
      spdlog::warn("call {}: could not restart ICE for stream {}: {}", call.id, i + 1, error);
      stream.regather = Stream::Regather::kNone;
      stream.awaiting_address = true;
    }
  }
  regathered(call);
}

void MediaBridge::Impl::regathered(Call& call) {
  bool any = false;
  for (const Stream& stream : call.streams) {
    if (stream.regather == Stream::Regather::kGathering) return;
    any = any || stream.regather == Stream::Regather::kDone;
  }
  if (!any) return;
  bool offer = false;
  for (std::size_t i = 0; i < call.streams.size(); ++i) {
    Stream& stream = call.streams[i];
    if (stream.regather != Stream::Regather::kDone) continue;
    stream.regather = Stream::Regather::kNone;
    // Media leaves the old stream: its pair is gone or has stopped answering.
    for (auto& playing : call.playing) {
      if (playing && playing->ice_transport && playing->stream == i)
        playing->ice_transport->switch_stream(stream.ice->stream_id());
    }
    stream.ice->retire_old_stream();
    stream.announced = false;
    LocalTransport local = stream.ice->default_transport(choice_now(call));
    if (local.address.empty()) {
      spdlog::warn("call {}: no address to restart ICE on for stream {}; waiting for one", call.id,
                   i + 1);
      stream.awaiting_address = true;
      continue;
    }
    stream.local = std::move(local);
    stream.restarting = true;
    offer = true;
  }
  if (offer) {
    call.renew_attempts = 0;
    offer_renewal(call);
  }
}

void MediaBridge::Impl::offer_renewal(Call& call) {
  core::Preparation renewed;
  renewed.state = core::PrepareState::kReady;
  for (const Stream& stream : call.streams)
    renewed.streams.push_back(stream.local);
  if (renew_callback && renew_callback(call.id, renewed)) return;
  // Another offer is under way (a hold, the peer's re-INVITE): try again shortly.
  if (++call.renew_attempts > 10) {
    spdlog::warn("call {}: could not offer the restarted ICE; the call keeps its old path",
                 call.id);
    return;
  }
  call.renew_retry = glib::add_timeout(context, 500, &Impl::on_renew_retry, &call);
}

gboolean MediaBridge::Impl::on_renew_retry(gpointer data) {
  glib::guarded("media: renew", [data] {
    auto& call = *static_cast<Call*>(data);
    call.renew_retry.reset();
    call.owner->offer_renewal(call);
    return G_SOURCE_REMOVE;
  });
  return G_SOURCE_REMOVE;
}

std::optional<std::vector<LocalTransport>> MediaBridge::offer_arrives(
    std::uint64_t call_id, const std::vector<std::string>& remote_ufrags) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end() || found->second.pending) return std::nullopt;
  Impl::Call& call = found->second;
  bool restarted = false;
  for (std::size_t i = 0; i < call.streams.size() && i < remote_ufrags.size(); ++i) {
    Impl::Stream& stream = call.streams[i];
    if (!stream.ice || stream.remote_ufrag.empty() || remote_ufrags[i].empty() ||
        remote_ufrags[i] == stream.remote_ufrag || !impl_->restart(call, stream)) {
      continue;
    }
    restarted = true;
    spdlog::info("call {}: the peer restarted ICE; so do we", call_id);
  }
  if (!restarted) return std::nullopt;
  std::vector<LocalTransport> locals;
  for (const Impl::Stream& stream : call.streams)
    locals.push_back(stream.local);
  return locals;
}

bool MediaBridge::Impl::plain_sockets(Call& call, Stream& stream, bool ipv6, std::string& error) {
  stream.sockets = media::UdpTransport::bind(ipv6, {options.first_port, options.last_port}, error);
  if (!stream.sockets) return false;
  stream.local = LocalTransport(ipv6 ? options.ipv6_address : options.ipv4_address,
                                stream.sockets->rtp_port(), stream.sockets->rtcp_port());
  (void)call;
  return true;
}

std::unique_ptr<ice::IceAgent> MediaBridge::Impl::make_agent(Call& call, std::size_t index,
                                                             bool controlling,
                                                             unsigned components) {
  ice::IceConfig config;
  config.controlling = controlling;
  config.components = components;
  config.stun = options.stun;
  config.turn = options.turn;
  config.gather_bound = gather_wait();
  // No port range: libnice tries every port of a range in turn for an address it cannot
  // bind (an IPv6 link-local one still tentative), which blocked the engine for a second
  // per call with 10,000 ports; any port costs one attempt.
  config.local_addresses = options.local_addresses;
  std::string error;
  auto agent = ice::IceAgent::create(context, config, error);
  // libnice may finish gathering host candidates within gather() itself: gathered()
  // then finds this stream still without its agent, and prepare() looks again.
  if (agent && !agent->gather([this, &call] { gathered(call); }, error)) agent.reset();
  if (!agent) {
    spdlog::warn("call {}: no ICE for stream {} ({}); plain RTP instead", call.id, index + 1,
                 error);
  }
  return agent;
}

// Each agent's gathering ends (done, or its bound passed); once every stream's has, the
// outcome is reported from an idle: not from within libnice's signal, since the UA may
// release the call, and with it the agent, in answer.
void MediaBridge::Impl::gathered(Call& call) {
  if (all_gathered(call) && (call.pending || call.growing)) report_later(call);
}

bool MediaBridge::Impl::all_gathered(Call& call) {
  for (Stream& stream : call.streams) {
    if (stream.ice && stream.ice->state() != ice::IceState::kGathering) stream.gathered = true;
  }
  return std::all_of(call.streams.begin(), call.streams.end(),
                     [](const Stream& stream) { return !stream.ice || stream.gathered; });
}

void MediaBridge::Impl::report_later(Call& call) {
  if (!call.report) call.report = glib::add_timeout(context, 0, &Impl::on_report, &call);
}

gboolean MediaBridge::Impl::on_report(gpointer data) {
  return glib::guarded("media: report", [data] {
    auto& call = *static_cast<Call*>(data);
    Impl& impl = *call.owner;
    const std::uint64_t id = call.id;
    call.report.reset();  // the source is removed by the return below either way
    if (call.pending) {
      call.pending = false;
      core::Preparation prepared = impl.outcome(call);
      if (impl.ready_callback) impl.ready_callback(id, prepared);  // may release the call
      return G_SOURCE_REMOVE;
    }
    if (call.growing && impl.all_gathered(call)) {
      // The new streams have gathered: the change goes to the peer (its re-INVITE, or
      // our answer to the peer's), retried while another offer is under way. A stream
      // with no transport at all is offered with port 0.
      call.growing = false;
      for (std::size_t i = call.grown_from; i < call.streams.size(); ++i) {
        std::string error;
        if (!impl.finish_stream(call, i, error)) {
          spdlog::warn("call {}: no transport for stream {}: {}", id, i + 1, error);
          call.streams[i].local = LocalTransport{};
        }
      }
      call.renew_attempts = 0;
      impl.offer_renewal(call);
    }
    if (!call.lost_reason.empty()) {
      std::string reason = std::move(call.lost_reason);
      call.lost_reason.clear();
      if (impl.lost_callback) impl.lost_callback(id, reason);  // may release the call
    }
    return G_SOURCE_REMOVE;
  });
}

// What the SDP says for each stream: the agent's default candidate and its ICE, or a
// plain pair where ICE could not give a candidate of the peer's family.
core::Preparation MediaBridge::Impl::outcome(Call& call) {
  core::Preparation prepared;
  for (std::size_t i = 0; i < call.streams.size(); ++i) {
    if (!finish_stream(call, i, prepared.error)) {
      spdlog::error("call {}: no audio: {}", call.id, prepared.error);
      prepared.streams.clear();
      return prepared;  // kFailed
    }
    prepared.streams.push_back(call.streams[i].local);
  }
  prepared.state = core::PrepareState::kReady;
  return prepared;
}

bool MediaBridge::Impl::finish_stream(Call& call, std::size_t index, std::string& error) {
  Stream& stream = call.streams[index];
  if (stream.ice) {
    stream.local = stream.ice->default_transport(call.default_choice);
    if (stream.local.address.empty()) {
      spdlog::warn("call {}: ICE gathered no {} candidate for stream {}; plain RTP instead",
                   call.id, call.default_choice.ipv6 ? "IPv6" : "IPv4", index + 1);
      stream.ice.reset();
    } else {
      watch(call, index);
      note_servers(*stream.local.ice);
    }
  }
  return stream.ice || stream.sockets ||
         plain_sockets(call, stream, call.default_choice.ipv6, error);
}

bool MediaBridge::Impl::make_stream_transport(Call& call, std::size_t index, std::string& error) {
  Stream& stream = call.streams[index];
  if (call.ice) stream.ice = make_agent(call, index, call.controlling, call.components);
  return stream.ice || plain_sockets(call, stream, call.default_choice.ipv6, error);
}

core::Preparation MediaBridge::Impl::grow(Call& call, std::size_t wanted) {
  core::Preparation prepared;
  const std::size_t first = call.streams.size();
  for (std::size_t i = first; i < wanted; ++i) {
    call.streams.emplace_back();
    if (!make_stream_transport(call, i, prepared.error)) {
      spdlog::error("call {}: no transport for a new stream: {}", call.id, prepared.error);
      call.streams.resize(first);
      return prepared;  // kFailed
    }
  }
  spdlog::info("call {}: {} new stream(s) for a change of the call", call.id, wanted - first);
  call.grown_from = first;
  if (call.ice) {
    call.growing = true;
    gathered(call);  // those that finished within gather()
    prepared.state = core::PrepareState::kPending;
    return prepared;
  }
  for (const Stream& stream : call.streams)
    prepared.streams.push_back(stream.local);
  prepared.state = core::PrepareState::kReady;
  return prepared;
}

void MediaBridge::Impl::note_servers(const LocalIce& gathered) {
  auto has = [&](const char* type) {
    return std::any_of(gathered.candidates.begin(), gathered.candidates.end(),
                       [type](const IceCandidate& c) { return c.type == type; });
  };
  if (options.stun && has("srflx") == stun_silent) {
    stun_silent = !stun_silent;
    if (stun_silent) {
      spdlog::warn(
          "STUN server {}:{} did not answer within {} ms; calls go on without "
          "server-reflexive candidates and no longer wait for it",
          options.stun->host, options.stun->port, options.gather_bound.count());
    } else {
      spdlog::info("STUN server {}:{} answers again", options.stun->host, options.stun->port);
    }
  }
  if (options.turn && has("relay") == turn_silent) {
    turn_silent = !turn_silent;
    if (turn_silent) {
      spdlog::warn(
          "TURN server {}:{} gave no relay within {} ms (not answering, or the user "
          "name or password is wrong); calls go on without relayed candidates and no "
          "longer wait for it",
          options.turn->host, options.turn->port, options.gather_bound.count());
    } else {
      spdlog::info("TURN server {}:{} gives relays again", options.turn->host, options.turn->port);
    }
  }
}

// The agent's states. Checks that find no pair at the start end the call's path. Consent
// lost later (libnice 0.1.21 declares it 10 s after the last answer) starts a recovery:
// an ICE restart by re-INVITE, so that a lossy stretch costs a short gap and not the
// call; only when the path is not back within kConsentGrace does the call end, about
// 30 s after the last answer (RFC 7675's consent expiry).
void MediaBridge::Impl::watch(Call& call, std::size_t index) {
  call.streams[index].ice->on_nominated([this, &call, index] { announce_nominated(call, index); });
  call.streams[index].ice->on_state([this, &call, index](ice::IceState state) {
    if (state == ice::IceState::kConnected) {
      if (auto pair = call.streams[index].ice->selected(1)) {
        spdlog::info("call {}: ICE connected: {} {}:{} -> {} {}:{}", call.id, pair->local.type,
                     pair->local.address, pair->local.port, pair->remote.type, pair->remote.address,
                     pair->remote.port);
      }
      call.connected_once = true;
      call.first_path.reset();
      // DTLS-SRTP's client opens its handshake once there is a path.
      if (call.streams[index].dtls) call.streams[index].dtls->start();
      if (call.recovery) {
        spdlog::info("call {}: media path back after the ICE restart", call.id);
        call.recovery.reset();
      }
      return;
    }
    if (state != ice::IceState::kFailed || !call.lost_reason.empty() || call.recovery) return;
    // A stream that plays nothing (turned off with port 0, or not answered yet) does not
    // decide the call's path.
    const bool plays =
        std::any_of(call.playing.begin(), call.playing.end(),
                    [index](const auto& part) { return part && part->stream == index; });
    if (!plays && call.connected_once) {
      spdlog::info("call {}: ICE failed for stream {}, which carries nothing now", call.id,
                   index + 1);
      return;
    }
    if (!call.connected_once) {
      // Our checks found nothing yet; the peer's may still come: a caller whose copies
      // of our 2xx were lost starts checking only once one arrives (under 30 % loss,
      // 7.5 s in, after ICE had failed here at 5 s). The call ends if none works by then.
      if (!call.first_path) {
        spdlog::info("call {}: no ICE pair works yet; waiting {} s for the peer's checks", call.id,
                     kFirstPathGrace.count() / 1000);
        call.first_path = glib::add_timeout(context, static_cast<guint>(kFirstPathGrace.count()),
                                            &Impl::on_first_path_over, &call);
      }
      return;
    }
    spdlog::warn("call {}: consent lost (no answer to consent checks); restarting ICE", call.id);
    call.recovery = glib::add_timeout(context, static_cast<guint>(kConsentGrace.count()),
                                      &Impl::on_recovery_over, &call);
    std::vector<std::size_t> restart_these;
    for (std::size_t i = 0; i < call.streams.size(); ++i) {
      if (call.streams[i].ice && call.streams[i].regather == Stream::Regather::kNone)
        restart_these.push_back(i);
    }
    regather(call, restart_these);
  });
}

void MediaBridge::Impl::lose_path(Call& call, std::string reason) {
  if (!call.lost_reason.empty()) return;
  call.lost_reason = std::move(reason);
  spdlog::warn("call {}: {}", call.id, call.lost_reason);
  report_later(call);
}

gboolean MediaBridge::Impl::on_first_path_over(gpointer data) {
  glib::guarded("media: first path", [data] {
    auto& call = *static_cast<Call*>(data);
    call.first_path.reset();
    if (!call.connected_once)
      call.owner->lose_path(call, "no media path: ICE found no working pair of candidates");
    return G_SOURCE_REMOVE;
  });
  return G_SOURCE_REMOVE;
}

gboolean MediaBridge::Impl::on_recovery_over(gpointer data) {
  glib::guarded("media: recovery", [data] {
    auto& call = *static_cast<Call*>(data);
    call.recovery.reset();
    call.owner->lose_path(call, "media lost: the peer stopped answering consent checks (RFC 7675)");
    return G_SOURCE_REMOVE;
  });
  return G_SOURCE_REMOVE;
}

// RFC 8839 4.4.1.2.2 (after RFC 5245 9.1.2.2): once the controlling agent has nominated
// a pair other than the default candidate, it offers again with that pair's local
// candidate as c=/m= and its remote one in a=remote-candidates, so that middleboxes
// reading the SDP see where media really goes. Not for a peer-reflexive local candidate:
// no a=candidate names it, and c=/m= must match one (else the peer reads ice-mismatch).
void MediaBridge::Impl::announce_nominated(Call& call, std::size_t index) {
  Stream& stream = call.streams[index];
  if (stream.announced || !stream.ice->controlling() || !stream.local.ice) return;
  auto rtp = stream.ice->selected(1);
  if (!rtp) return;
  stream.announced = true;
  if (rtp->local.address == stream.local.address && rtp->local.port == stream.local.rtp_port) {
    return;  // the default candidate won
  }
  const auto& ours = stream.local.ice->candidates;
  const bool signalled = std::any_of(ours.begin(), ours.end(), [&](const IceCandidate& c) {
    return c.component == 1 && c.address == rtp->local.address && c.port == rtp->local.port;
  });
  if (!signalled) return;
  LocalTransport updated = stream.local;
  updated.address = rtp->local.address;
  updated.rtp_port = rtp->local.port;
  updated.rtcp_port = rtp->local.port;
  updated.ice->remote_candidates = {rtp->remote};
  if (!stream.rtcp_mux && stream.ice->components() == 2) {
    if (auto rtcp = stream.ice->selected(2)) {
      updated.rtcp_port = rtcp->local.port;
      updated.ice->remote_candidates.push_back(rtcp->remote);
    }
  }
  stream.local = std::move(updated);
  spdlog::info("call {}: offering the nominated pair {}:{} -> {}:{} (a=remote-candidates)", call.id,
               rtp->local.address, rtp->local.port, rtp->remote.address, rtp->remote.port);
  call.renew_attempts = 0;
  offer_renewal(call);
}

// The peer answered our ICE offer without ICE: it sends plain RTP to c=/m= and a=rtcp,
// our default candidate's ports. The agent goes and a plain pair takes those ports.
void MediaBridge::Impl::fall_back_to_plain(Call& call, Stream& stream) {
  const bool ipv6 = stream.local.address.find(':') != std::string::npos;
  const std::uint16_t rtp = stream.local.rtp_port;
  std::uint16_t rtcp = stream.local.rtcp_port;
  if (rtcp == rtp) rtcp = static_cast<std::uint16_t>(rtp + 1);
  bool relayed = false;
  for (const IceCandidate& c : stream.local.ice->candidates) {
    if (c.port == rtp && c.address == stream.local.address) relayed = c.type == "relay";
  }
  stream.ice.reset();  // closes its sockets, freeing the ports
  std::string error;
  if (!relayed) stream.sockets = media::UdpTransport::bind_ports(ipv6, rtp, rtcp, error);
  if (!stream.sockets) {
    spdlog::warn("call {}: the peer does not do ICE, and {}; its audio will not reach us", call.id,
                 relayed ? "our default candidate is a TURN relay" : error);
    plain_sockets(call, stream, ipv6, error);
    return;
  }
  spdlog::info("call {}: the peer does not do ICE: plain RTP on port {}", call.id, rtp);
}

// ICE when we offer and when the offer does it, else a plain socket pair per stream,
// bound at once. A later exchange (re-INVITE) gets the same transports.
core::Preparation MediaBridge::prepare(std::uint64_t call_id,
                                       const core::TransportRequest& request) {
  Impl& impl = *impl_;
  auto [found, fresh] = impl.calls.try_emplace(call_id);
  Impl::Call& call = found->second;
  core::Preparation prepared;
  if (!fresh && request.streams > call.streams.size() && !call.pending && !call.growing) {
    return impl.grow(call, request.streams);  // a stream added to the call under way
  }
  if (!fresh) {  // asked again: what there is, once it is made
    prepared.state =
        call.pending || call.growing ? core::PrepareState::kPending : core::PrepareState::kReady;
    if (prepared.state == core::PrepareState::kReady) {
      for (const Impl::Stream& stream : call.streams)
        prepared.streams.push_back(stream.local);
    }
    return prepared;
  }
  call.id = call_id;
  call.owner = &impl;
  call.default_choice = {request.ipv6, on_lan(request.peer_address), request.local_address, {}};
  const std::size_t wanted = std::max<std::size_t>(1, request.streams);
  call.ice = impl.options.ice && (request.offerer || request.ice);
  call.controlling = request.offerer;
  // As offerer, two components: the answer may refuse rtcp-mux.
  call.components = request.offerer || !request.rtcp_mux ? 2 : 1;
  call.streams.resize(wanted);
  for (std::size_t i = 0; i < wanted; ++i) {
    if (!impl.make_stream_transport(call, i, prepared.error)) {
      spdlog::error("call {}: no audio: {}", call_id, prepared.error);
      impl.calls.erase(call_id);
      return prepared;
    }
  }
  const bool gathering = std::any_of(call.streams.begin(), call.streams.end(),
                                     [](const Impl::Stream& s) { return s.ice != nullptr; });
  if (gathering) {
    call.pending = true;
    impl.gathered(call);  // those that finished within gather()
    prepared.state = core::PrepareState::kPending;
    return prepared;
  }
  for (const Impl::Stream& stream : call.streams)
    prepared.streams.push_back(stream.local);
  prepared.state = core::PrepareState::kReady;
  return prepared;
}

// The ICE of each accepted stream first (the peer's credentials and candidates, a
// restart, or the plain fallback), then what plays: the main audio and the main video,
// changed live when only directions changed, else built anew.
void MediaBridge::apply(std::uint64_t call_id, const std::vector<StreamDescription>& streams) {
  Impl& impl = *impl_;
  auto found = impl.calls.find(call_id);
  if (found == impl.calls.end() || found->second.streams.empty() || found->second.pending) {
    spdlog::warn("call {}: media agreed but no transport was ready; no audio", call_id);
    return;
  }
  Impl::Call& call = found->second;
  for (const StreamDescription& agreed : streams) {
    if (!agreed.accepted()) continue;
    const std::size_t index = agreed.transport;
    if (index >= call.streams.size() || !call.streams[index].ice) continue;
    Impl::Stream& stream = call.streams[index];
    stream.rtcp_mux = agreed.rtcp_mux;
    if (const auto* remote = std::get_if<IceTransport>(&agreed.remote)) {
      // The first exchange, a restart of ours (its answer), or the peer's restart in an
      // answer to an offer that was not one.
      if (stream.restarting || remote->ufrag != stream.remote_ufrag) {
        if (!stream.restarting && !stream.remote_ufrag.empty()) stream.ice->restart();
        if (!stream.ice->set_remote(*remote)) {
          spdlog::warn("call {}: none of the peer's ICE candidates can be checked", call_id);
        }
        stream.remote_ufrag = remote->ufrag;
        stream.restarting = false;
      }
    } else {
      Impl::stop_media(call);  // its elements hold the agent
      impl.fall_back_to_plain(call, stream);
    }
  }

  // What plays: the first accepted stream of each part that has a codec to send and a
  // transport of the call.
  Impl::Wanted wanted{};
  for (const StreamDescription& agreed : streams) {
    const NegotiatedCodec* codec = agreed.accepted() ? media::codec_to_send(agreed) : nullptr;
    if (!codec || codec_info(codec->codec).kind != agreed.kind ||
        agreed.transport >= call.streams.size()) {
      continue;
    }
    Impl::Part part;
    if (agreed.kind == StreamKind::kAudio && agreed.content == ContentRole::kMain) {
      part = Impl::kAudio;
    } else if (agreed.kind == StreamKind::kVideo && agreed.content == ContentRole::kMain) {
      part = Impl::kVideo;
    } else if (agreed.kind == StreamKind::kVideo && agreed.content == ContentRole::kSlides) {
      part = Impl::kScreen;
    } else {
      continue;
    }
    if (!wanted[part]) wanted[part] = &agreed;
  }
  if (!wanted[Impl::kAudio] && !wanted[Impl::kVideo] && !wanted[Impl::kScreen]) {
    // Rejected streams (port 0) or nothing we can play: no pipeline, transports kept.
    if (call.pipeline) {
      spdlog::info(
          "call {}: media stopped ({})", call_id,
          !find_stream(streams, StreamKind::kAudio) ? "stream rejected" : "no codec in common");
      Impl::stop_media(call);
    }
    return;
  }
  auto live = [](const std::optional<Impl::Call::Playing>& playing, const StreamDescription* next,
                 bool is_video) {
    if (!playing || !next) return !playing && !next;
    if (playing->stream != next->transport || playing->agreed.mline != next->mline) return false;
    // New SDES keys, DTLS-SRTP parameters, or a change of profile: a new transport
    // (RFC 4568 7.1.4 lets a re-offer change the keys; a kept handshake keys the new one
    // at once).
    if (playing->agreed.srtp != next->srtp || playing->agreed.dtls != next->dtls) return false;
    return is_video ? media::VideoBranch::takes_live(playing->agreed, *next)
                    : takes_live(playing->agreed, *next);
  };
  bool all_live = call.pipeline != nullptr;
  for (int part = Impl::kAudio; part < Impl::kParts; ++part)
    all_live = all_live && live(call.playing[part], wanted[part], part != Impl::kAudio);
  // A screen branch built to receive the peer's share has no screen of ours to send.
  const auto& screen = call.playing[Impl::kScreen];
  if (screen && wanted[Impl::kScreen] && !screen->agreed.send && wanted[Impl::kScreen]->send)
    all_live = false;
  if (all_live) {
    for (int part = Impl::kAudio; part < Impl::kParts; ++part) {
      const StreamDescription* next = wanted[part];
      if (!next) continue;
      if (part == Impl::kAudio) call.audio->set_direction(next->send, next->receive);
      if (part == Impl::kVideo) call.video->set_direction(next->send, next->receive);
      if (part == Impl::kScreen) call.screen->set_direction(next->send, next->receive);
      call.playing[part]->transport->set_remote(next->plain());
      if (next->dtls) call.streams[next->transport].dtls_remote = next->plain();
      call.playing[part]->agreed = *next;
      spdlog::info("call {}: {} {}", call_id, Impl::kPartNames[part],
                   direction_label(next->send, next->receive));
    }
    return;
  }
  // A new codec, payload type or stream (a re-INVITE changed it): a new pipeline on the
  // same transports. A recording starts again.
  Impl::stop_media(call);
  impl.start_media(call, wanted);
}

void MediaBridge::release(std::uint64_t call_id) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end()) return;
  // What the agents gathered by now, late answers included, says whether the servers
  // are back.
  for (const Impl::Stream& stream : found->second.streams) {
    if (stream.ice && stream.gathered) impl_->note_servers(stream.ice->local());
  }
  Impl::stop_media(found->second);
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
  if (found == impl_->calls.end() ||
      (!found->second.audio && !found->second.video && !found->second.screen))
    return std::nullopt;
  media::AudioStats figures =
      found->second.audio ? found->second.audio->stats() : media::AudioStats{};
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
  const auto& call = found->second;
  auto video_stats = [&](media::VideoBranch* branch, Impl::Part part) -> std::optional<VideoStats> {
    if (!branch) return std::nullopt;
    VideoStats video = branch->stats();
    if (const auto& playing = call.playing[part]) {
      video.sending = playing->agreed.send;
      video.receiving = playing->agreed.receive;
    }
    return video;
  };
  stats.video = video_stats(call.video, Impl::kVideo);
  stats.screen = video_stats(call.screen, Impl::kScreen);
  // The call is as protected as its weakest stream: "dtls" when every one runs SRTP keyed
  // by its DTLS handshake, "sdes" when every one runs SRTP and some keyed by SDES, "none"
  // otherwise (a stream in plain RTP, or still waiting for its keys).
  bool any = false;
  bool all_srtp = true;
  bool all_dtls = true;
  for (const auto& part : call.playing) {
    if (!part) continue;
    any = true;
    const bool keyed = part->srtp && part->srtp->keyed();
    all_srtp = all_srtp && keyed;
    all_dtls = all_dtls && keyed && part->agreed.dtls.has_value();
  }
  stats.protection = !any || !all_srtp ? "none" : all_dtls ? "dtls" : "sdes";
  if (all_dtls && any) {
    for (auto part = call.playing.rbegin(); part != call.playing.rend(); ++part) {
      if (!*part) continue;
      stats.peer_fingerprint = (*part)->agreed.dtls->fingerprint;
      if (const auto& handshake = call.streams[(*part)->stream].dtls)
        stats.sas_value = handshake->sas_value();
    }
  }
  // The path: the audio's, or the video's in a call without audio.
  const auto& playing = call.playing[Impl::kAudio]   ? call.playing[Impl::kAudio]
                        : call.playing[Impl::kVideo] ? call.playing[Impl::kVideo]
                                                     : call.playing[Impl::kScreen];
  if (playing && playing->stream < call.streams.size()) {
    if (const auto& agent = call.streams[playing->stream].ice) {
      stats.path.ice_state = std::string(ice::to_string(agent->state()));
      if (auto pair = agent->selected(1)) {
        stats.path.local = pair->local;
        stats.path.remote = pair->remote;
      }
    }
  }
  return stats;
}

void MediaBridge::on_dtmf(std::function<void(std::uint64_t, char)> callback) {
  impl_->dtmf_callback = std::move(callback);
}

void MediaBridge::on_error(std::function<void(std::uint64_t, const std::string&)> callback) {
  impl_->error_callback = std::move(callback);
}

void MediaBridge::on_ready(std::function<void(std::uint64_t, const core::Preparation&)> callback) {
  impl_->ready_callback = std::move(callback);
}

void MediaBridge::on_renew(std::function<bool(std::uint64_t, const core::Preparation&)> callback) {
  impl_->renew_callback = std::move(callback);
}

void MediaBridge::on_path_lost(std::function<void(std::uint64_t, const std::string&)> callback) {
  impl_->lost_callback = std::move(callback);
}

void MediaBridge::set_dtls_credentials(media::DtlsCredentials credentials) {
  impl_->dtls_credentials = std::move(credentials);
}

void MediaBridge::set_servers(std::optional<ice::StunServer> stun,
                              std::optional<ice::TurnServer> turn) {
  impl_->options.stun = std::move(stun);
  impl_->options.turn = std::move(turn);
}

std::shared_ptr<media::FrameBoard> MediaBridge::frames() const {
  return impl_->frames;
}

void MediaBridge::set_screen_area(std::optional<media::ScreenArea> area) {
  impl_->screen_area = std::move(area);
}

const std::optional<media::ScreenArea>& MediaBridge::screen_area() const {
  return impl_->screen_area;
}

bool MediaBridge::video_enabled() const {
  return impl_->video_enabled();
}

bool MediaBridge::snapshot(std::uint64_t call_id, const std::string& kind, const std::string& path,
                           std::string& error) const {
  auto found = impl_->calls.find(call_id);
  const bool screen = kind == "screen";
  const media::VideoBranch* branch = nullptr;
  if (found != impl_->calls.end()) branch = screen ? found->second.screen : found->second.video;
  if (!branch) {
    error = "call " + std::to_string(call_id) +
            (screen ? " has no shared screen (`screen start` shares ours)" : " has no video");
    return false;
  }
  const bool remote = screen ? shows_peer(*branch) : kind != "local";
  auto frame = remote ? branch->remote().newest() : branch->local().newest();
  if (!frame) {
    error = "no " + kind + " video frame yet in call " + std::to_string(call_id);
    return false;
  }
  return media::write_png(*frame, path, error);
}

bool MediaBridge::has_audio(std::uint64_t call_id) const {
  auto found = impl_->calls.find(call_id);
  return found != impl_->calls.end() && found->second.audio;
}

}  // namespace lanline::engine
