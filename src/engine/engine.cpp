#include "engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <malloc.h>

#include <map>

#include "core/scoped_address.hpp"
#include "core/user_agent.hpp"
#include "engine/discovery_glue.hpp"
#include "engine/identity_pins.hpp"
#include "engine/load_watch.hpp"
#include "engine/local_identity.hpp"
#include "engine/media_bridge.hpp"
#include "engine/media_commands.hpp"
#include "engine/name_lookup.hpp"
#include "engine/node_identity.hpp"
#include "engine/short_auth_string.hpp"
#include "ice/ice_servers.hpp"
#include "media/screen_portal.hpp"
#include "net/sip_transport.hpp"
#include "sip/dialog.hpp"

namespace lanline::engine {
namespace {

using nlohmann::json;

json failure(std::string error) {
  return json{{"ok", false}, {"error", std::move(error)}};
}

// A monitor (or the whole screen) as `screen monitors` and `screen start` show it.
json area_json(const media::ScreenArea& area) {
  return json{{"name", area.name},   {"x", area.x},           {"y", area.y},
              {"width", area.width}, {"height", area.height}, {"primary", area.primary}};
}

json call_json(const core::CallInfo& call) {
  return json{
      {"id", call.id},
      {"state", std::string(to_string(call.state))},
      {"direction", call.direction == core::CallDirection::kOutgoing ? "outgoing" : "incoming"},
      {"remote", call.remote_uri},
      {"name", call.remote_name},
      {"local_hold", call.local_hold},
      {"remote_hold", call.remote_hold},
      {"end_code", call.end_code},
      {"end_reason", call.end_reason},
      {"signalling", std::string(sip::transport_name(call.signalling))}};
}

// A target as a person types it: "sip:bob@192.0.2.7", "bob@192.0.2.7:5070", "192.0.2.7".
std::string normalise_target(const std::string& target) {
  if (target.rfind("sip:", 0) == 0 || target.rfind("sips:", 0) == 0) return target;
  return "sip:" + target;
}

// A host name of a request's target, and its address once looked up (NameLookup).
struct HostLookup {
  std::string host;     // set by a command that needs it looked up first
  std::string address;  // set when it has been
};

// Where a URI's requests go: its IP address, or the address its host name was looked up
// to. nullopt with `lookup.host` set: look that up first.
std::optional<sip::Endpoint> destination(const sip::Uri& uri, HostLookup& lookup,
                                         std::string& error) {
  if (auto endpoint = sip::endpoint_for(uri)) return endpoint;
  if (uri.host_kind != sip::HostKind::kName) {
    error = "cannot send to " + std::string(uri.text);
    return std::nullopt;
  }
  if (lookup.address.empty()) {
    lookup.host = std::string(uri.host);
    return std::nullopt;
  }
  sip::Endpoint endpoint;
  endpoint.address = lookup.address;
  endpoint.transport = sip::transport_for(uri);
  endpoint.port = static_cast<std::uint16_t>(sip::default_port_for(uri));
  return endpoint;
}

}  // namespace

struct Engine::Impl : core::UserAgentListener {
  GMainContext* context = nullptr;
  EngineOptions options;
  std::unique_ptr<net::SipTransport> transport;
  std::unique_ptr<MediaBridge> media;  // before the UA, which holds a pointer to it
  std::unique_ptr<core::UserAgent> ua;
  std::unique_ptr<IdentityPins> pins;        // before `discovery`, which points at it
  std::unique_ptr<DiscoveryGlue> discovery;  // after `ua`, so it goes first
  std::optional<NameLookup> names;           // host names of targets; cancelled at the end
  GSource* timer = nullptr;
  std::map<std::uint64_t, EventSink> subscribers;
  std::uint64_t next_subscriber = 1;
  std::function<void()> quit;
  std::string address;

  GSource* trim = nullptr;
  LoadWatch load;         // overload control: is this thread keeping up?
  bool refusing = false;  // new calls get 503 (logged once per episode)

  ~Impl() override {
    if (trim) {
      g_source_destroy(trim);
      g_source_unref(trim);
    }
    if (timer) {
      g_source_destroy(timer);
      g_source_unref(timer);
    }
  }

  static sip::TimePoint now() { return std::chrono::steady_clock::now(); }

  // After each piece of work on this thread (a message, a timer, a command): when the
  // thread was busy over LoadWatch's limit and SIP messages pile up unread in front of it
  // (more than kBacklogLimit), new calls get 503 with Retry-After, a window at a time, so
  // that the calls already taken keep their answers prompt. A thread that is busy but
  // keeps up (a slow build, a burst it drains) refuses nothing.
  // About 50 UDP datagrams as the kernel counts them, over half of the 208 KiB of
  // net.core.rmem_default, past which the queue would overflow and drop.
  static constexpr std::size_t kBacklogLimit = 128 * 1024;
  void worked(LoadWatch::Clock::time_point start) {
    const auto end = LoadWatch::Clock::now();
    switch (load.record(start, end)) {
      case LoadWatch::Verdict::kWindowOpen:
        return;
      case LoadWatch::Verdict::kBehind: {
        const std::size_t backlog = transport->queued_bytes();
        if (backlog <= kBacklogLimit) break;  // busy, but nothing waits: as kKeepsUp
        ua->refuse_new_calls_until(end + load.window());
        if (!refusing) {
          spdlog::warn(
              "engine behind (busy {:.0f}% of the last {} ms, {} KiB of SIP waiting): new "
              "calls get 503 for now",
              load.last_share() * 100, load.window().count(), backlog / 1024);
        }
        refusing = true;
        return;
      }
      case LoadWatch::Verdict::kKeepsUp:
        break;
    }
    if (refusing) {
      spdlog::info("engine keeps up again ({} calls refused with 503 so far)",
                   ua->calls_refused_busy());
    }
    refusing = false;
  }

  // After a burst of calls, glibc keeps the freed heap; once nothing is left in flight,
  // give it back so a node's resident memory returns to its idle size.
  static gboolean on_trim(gpointer self) {
    auto* impl = static_cast<Impl*>(self);
    if (impl->ua && impl->ua->calls_kept() == 0 && impl->ua->transactions() == 0) malloc_trim(0);
    return G_SOURCE_CONTINUE;
  }

  // One timer for the UA: armed for its next deadline after everything it does.
  void rearm() {
    if (timer) {
      g_source_destroy(timer);
      g_source_unref(timer);
      timer = nullptr;
    }
    auto next = ua->next_timer();
    if (!next) return;
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now()).count();
    timer = g_timeout_source_new(static_cast<guint>(std::max<long long>(0, delay)));
    g_source_set_callback(timer, &Impl::on_timer, this, nullptr);
    g_source_attach(timer, context);
  }

  static gboolean on_timer(gpointer self) {
    auto* impl = static_cast<Impl*>(self);
    try {
      const auto start = LoadWatch::Clock::now();
      g_source_unref(impl->timer);
      impl->timer = nullptr;
      impl->ua->advance(now());
      impl->rearm();
      impl->worked(start);
    } catch (const std::exception& e) {
      spdlog::error("engine timer: {}", e.what());
    }
    return G_SOURCE_REMOVE;
  }

  void emit(const json& event) {
    auto sinks = subscribers;  // a sink may unsubscribe while we deliver
    for (auto& [token, sink] : sinks)
      sink(event);
  }

  void on_call(const core::CallInfo& call) override {
    spdlog::info("call {} {} {}{}", call.id, to_string(call.state), call.remote_uri,
                 call.end_reason.empty() ? "" : " (" + call.end_reason + ")");
    json event = call_json(call);
    event["event"] = "call.state";
    emit(event);
  }
  void on_message(const core::IncomingMessage& message) override {
    spdlog::info("message from {}: {} bytes", message.from_uri, message.text.size());
    emit(json{{"event", "message.received"},
              {"from", message.from_uri},
              {"name", message.from_name},
              {"text", message.text},
              {"content_type", message.content_type},
              {"call", message.call},
              {"message_id", message.meta.id},
              {"seq", message.meta.seq},
              {"sent_ms", message.meta.sent_ms},
              // Kept by the message store before it was answered (set_message_store).
              {"stored", has_message_store}});
  }
  void on_message_result(std::uint64_t id, int code, const std::string& reason) override {
    emit(json{{"event", "message.status"},
              {"message", id},
              {"delivered", code >= 200 && code < 300},
              {"code", code},
              {"reason", reason}});
  }

  void on_probe_result(std::uint64_t id, int code) override {
    if (discovery) discovery->on_probe_result(id, code);
  }

  // The call a command means: the one given, or the only one that fits.
  std::optional<core::CallId> pick_call(const json& request, bool ringing_only,
                                        std::string& error) {
    if (request.contains("call")) {
      const json& value = request["call"];
      if (value.is_number_unsigned()) return value.get<core::CallId>();
      if (value.is_string()) {
        try {
          return static_cast<core::CallId>(std::stoull(value.get<std::string>()));
        } catch (const std::exception&) {
        }
      }
      error = "'call' must be a call id (see `lanline ctl calls`)";
      return std::nullopt;
    }
    std::vector<core::CallId> fits;
    for (const core::CallInfo& call : ua->calls()) {
      if (!ringing_only || call.state == core::CallState::kIncoming) fits.push_back(call.id);
    }
    if (fits.size() == 1) return fits.front();
    error = fits.empty() ? (ringing_only ? "no incoming call is ringing" : "there is no call")
                         : std::to_string(fits.size()) +
                               " calls could be meant; give the call id (see `lanline ctl calls`)";
    return std::nullopt;
  }

  // DESIGN.md: each call's protection (none until its media runs) and, with DTLS-SRTP, its
  // short authentication string; "verified" once the user confirmed that string with
  // this peer (`verify`), kept with its pinned identity.
  void add_protection(json& entry, core::CallId id) const {
    auto stats = media->stats(id);
    std::string protection = stats ? stats->protection : "none";
    if (protection == "dtls") {
      entry["sas"] = short_auth_string(stats->sas_value);
      if (pins && pins->verified(stats->peer_fingerprint)) protection = "verified";
    }
    entry["protection"] = protection;
  }

  // `verify [CALL]`: the two people read the same short authentication string to each
  // other; the peer's identity is verified from now on.
  json verify_command(const json& request) {
    std::string error;
    auto id = pick_call(request, false, error);
    if (!id) return failure(error);
    auto stats = media->stats(*id);
    if (!stats || stats->protection != "dtls") {
      return failure("call " + std::to_string(*id) +
                     " is not protected by DTLS-SRTP: it has no short authentication string to "
                     "compare");
    }
    if (!pins) {
      return failure(
          "this node keeps no pinned identities (no profile database): the "
          "verification cannot be kept");
    }
    if (!pins->verify(stats->peer_fingerprint, error)) return failure(error);
    const std::string sas = short_auth_string(stats->sas_value);
    spdlog::info(
        "call {}: the short authentication string {} was confirmed; the peer's identity "
        "is verified",
        *id, sas);
    return json{{"ok", true}, {"call", *id}, {"sas", sas}, {"protection", "verified"}};
  }

  // call and message: a null reply with `lookup.host` set means the target's host name
  // must be looked up first (execute_async does, then runs the command again).
  json call_command(const json& request, HostLookup& lookup) {
    std::string target = request.value("target", "");
    if (target.empty()) return failure("call needs a target: a peer's name or a sip: address");
    std::string error;
    if (auto peer = discovery->call_target(target, error)) return place_call(*peer);
    if (!error.empty()) return failure(error);
    std::string text = normalise_target(target);
    auto scoped = core::split_zone(text);  // sip:bob@[fe80::1%25eth0]
    if (scoped) text = scoped->uri;
    auto uri = sip::parse_uri(text);
    if (!uri) {
      return failure("'" + target +
                     "' is neither a discovered peer (see `lanline ctl peers`) nor a " +
                     "SIP address (" + uri.error().reason + ")");
    }
    if (auto peer = discovery->secure_target_for_uri(text))
      return place_call(*peer);  // a Lanline peer's own address: as protected as its name
    if (auto through = route_for(*uri)) {
      core::Outcome outcome = ua->call(*uri, account_next_hop(), now(), {}, &*through);
      if (!outcome.ok()) return failure(outcome.error);
      return json{{"ok", true}, {"call", outcome.id}, {"account", through->aor}};
    }
    auto to = destination(*uri, lookup, error);
    if (!to) return lookup.host.empty() ? failure(error) : json();
    if (scoped) to->address += "%" + scoped->zone;
    core::Outcome outcome = ua->call(*uri, *to, now());
    if (!outcome.ok()) return failure(outcome.error);
    return json{{"ok", true}, {"call", outcome.id}};
  }

  json place_call(const DiscoveryGlue::Target& peer) {
    auto peer_uri = sip::parse_uri(peer.uri);
    if (!peer_uri) return failure("the peer's URI " + peer.uri + " is unusable");
    core::Outcome outcome = ua->call(*peer_uri, peer.endpoint, now(), peer.fingerprint);
    if (!outcome.ok()) return failure(outcome.error);
    return json{{"ok", true}, {"call", outcome.id}, {"uri", peer.uri}};
  }

  bool has_message_store = false;

  // A message command's Message-ID, -Seq and -Time (the outbox sets them, history/).
  static core::MessageMeta meta_of(const json& request) {
    core::MessageMeta meta;
    if (auto id = request.find("message_id"); id != request.end() && id->is_string())
      meta.id = id->get<std::string>();
    if (auto seq = request.find("seq"); seq != request.end() && seq->is_number_integer())
      meta.seq = seq->get<std::int64_t>();
    if (auto sent = request.find("sent_ms"); sent != request.end() && sent->is_number_integer())
      meta.sent_ms = sent->get<std::int64_t>();
    return meta;
  }

  json send_message(const DiscoveryGlue::Target& peer, const std::string& text,
                    const core::MessageMeta& meta) {
    auto peer_uri = sip::parse_uri(peer.uri);
    if (!peer_uri) return failure("the peer's URI " + peer.uri + " is unusable");
    core::Outcome outcome = ua->message(*peer_uri, peer.endpoint, text, now(), meta);
    if (!outcome.ok()) return failure(outcome.error);
    return json{{"ok", true}, {"message", outcome.id}, {"uri", peer.uri}};
  }

  json message_command(const json& request, HostLookup& lookup) {
    std::string target = request.value("target", "");
    std::string text = request.value("text", "");
    if (target.empty() || text.empty()) return failure("message needs a target and a text");
    // A discovered peer by name or instance id, or by its own URI: over TLS when it
    // takes it, like a call.
    const core::MessageMeta meta = meta_of(request);
    std::string refusal;
    bool lasting = false;
    if (auto peer = discovery->call_target(target, refusal, &lasting))
      return send_message(*peer, text, meta);
    if (!refusal.empty()) {
      json refused = failure(refusal);
      if (lasting) refused["lasting"] = true;  // the outbox gives up rather than retry
      return refused;
    }
    if (auto peer = discovery->secure_target_for_uri(normalise_target(target)))
      return send_message(*peer, text, meta);
    std::string uri_text = normalise_target(target);
    auto scoped = core::split_zone(uri_text);
    if (scoped) uri_text = scoped->uri;
    auto uri = sip::parse_uri(uri_text);
    if (!uri) return failure("'" + target + "' is not a SIP address: " + uri.error().reason);
    if (auto through = route_for(*uri)) {
      core::Outcome outcome = ua->message(*uri, account_next_hop(), text, now(), meta, &*through);
      if (!outcome.ok()) return failure(outcome.error);
      return json{{"ok", true}, {"message", outcome.id}, {"account", through->aor}};
    }
    std::string error;
    auto to = destination(*uri, lookup, error);
    if (!to) return lookup.host.empty() ? failure(error) : json();
    if (scoped) to->address += "%" + scoped->zone;
    core::Outcome outcome = ua->message(*uri, *to, text, now(), meta);
    if (!outcome.ok()) return failure(outcome.error);
    return json{{"ok", true}, {"message", outcome.id}};
  }

  // `lookup` is where call and message say they need a host name looked up (then the
  // reply is null); nullptr: a caller that cannot wait, told so.
  json execute(const json& request, HostLookup* lookup = nullptr) {
    std::string cmd = request.value("cmd", "");
    if (cmd == "call" || cmd == "message") {
      HostLookup none;
      HostLookup& wanted = lookup ? *lookup : none;
      json reply = cmd == "call" ? call_command(request, wanted) : message_command(request, wanted);
      if (reply.is_null() && !lookup) {
        return failure("'" + wanted.host + "' is a host name, looked up only for a client " +
                       "that can wait for the answer (the control socket or the window)");
      }
      return reply;
    }
    std::string error;
    auto with_call = [&](bool ringing_only, auto action) -> json {
      auto id = pick_call(request, ringing_only, error);
      if (!id) return failure(error);
      core::Outcome outcome = action(*id);
      if (!outcome.ok()) return failure(outcome.error);
      return json{{"ok", true}, {"call", *id}};
    };
    if (cmd == "accounts") return json{{"ok", true}, {"accounts", accounts_json()}};
    if (cmd == "status") {
      const auto& local = ua->config().local;
      json status{{"ok", true},
                  {"name", ua->config().display_name},
                  {"user", local.user},
                  {"uri", "sip:" + local.user + "@" + local.host_port()},
                  {"sip_port", transport->port()},
                  {"profile", options.profile},
                  {"calls", ua->calls().size()},
                  {"auto_answer", options.auto_answer},
                  {"version", "0.1.0"},
                  // Sources over their limits (net/source_limits.hpp): what was dropped.
                  {"refused",
                   {{"requests", transport->refused_requests()},
                    {"connections", transport->refused_connections()}}}};
      if (transport->tls_port() != 0) status["tls_port"] = transport->tls_port();
      discovery->add_status(status);
      return status;
    }
    if (cmd == "answer")
      return with_call(true, [&](core::CallId id) { return ua->answer(id, now()); });
    if (cmd == "decline")
      return with_call(true, [&](core::CallId id) { return ua->decline(id, now()); });
    if (cmd == "hangup")
      return with_call(false, [&](core::CallId id) { return ua->hangup(id, now()); });
    if (cmd == "hold")
      return with_call(false, [&](core::CallId id) { return ua->hold(id, now()); });
    if (cmd == "resume")
      return with_call(false, [&](core::CallId id) { return ua->resume(id, now()); });
    if (cmd == "screen" || cmd == "video") {
      // Our screen as a second video stream (RFC 4796 slides), or the camera's video, on
      // or off in the current call, by re-INVITE.
      const std::string action = request.value("action", "");
      const bool screen = cmd == "screen";
      if (screen ? action != "start" && action != "stop" && action != "monitors"
                 : action != "on" && action != "off") {
        return failure(screen ? "screen takes start, stop or monitors" : "video takes on or off");
      }
      const bool on = action == "start" || action == "on";
      std::optional<media::ScreenArea> area;  // what a share sends
      std::vector<media::ScreenArea> monitors;
      if (screen && action != "stop" && media::PortalScreen::wanted()) {
        // A Wayland desktop: its own dialog (the portal's) picks the monitor.
        if (action == "monitors" || !request.value("monitor", "").empty())
          return failure(
              "on a Wayland desktop the desktop's own dialog picks the monitor: say `lanline ctl "
              "screen start` alone");
      } else if (screen && action != "stop") {
        std::string problem;
        std::optional<media::ScreenArea> whole = media::whole_screen(problem);
        if (!whole) return failure("no screen to share: this node has no X display (set DISPLAY)");
        monitors = media::list_monitors(problem);
        if (action == "monitors") {
          json list = json::array();
          for (const media::ScreenArea& m : monitors)
            list.push_back(area_json(m));
          return json{{"ok", true}, {"monitors", list}, {"screen", area_json(*whole)}};
        }
        area = media::choose_monitor(monitors, *whole, request.value("monitor", ""), problem);
        if (!area) return failure(problem);
      }
      if (!screen && on && !media->video_enabled()) {
        return failure("no camera: start the node with --video-source device, test or screen");
      }
      json reply = with_call(false, [&](core::CallId id) {
        if (area) {
          // One share at a time, from one place: another monitor needs a stop first.
          const std::optional<core::MediaStats> stats = media->stats(id);
          const bool sharing = stats && stats->screen && stats->screen->sending;
          const std::optional<media::ScreenArea>& shared = media->screen_area();
          if (sharing && shared && *shared != *area) {
            return core::Outcome{0, "already sharing " + shared->name +
                                        ": `lanline ctl screen stop` first, then start " +
                                        area->name};
          }
          media->set_screen_area(area);
        }
        return ua->set_stream(id, StreamKind::kVideo,
                              screen ? ContentRole::kSlides : ContentRole::kMain, on, now());
      });
      if (reply.value("ok", false)) {
        reply[screen ? "sharing" : "video"] = on;
        if (area) reply["monitor"] = area_json(*area);
      }
      return reply;
    }
    if (is_media_command(cmd)) {
      auto id = pick_call(request, false, error);
      if (!id) return failure(error);
      return run_media_command(*media, cmd, *id, request);
    }
    if (cmd == "calls") {
      json list = json::array();
      for (const core::CallInfo& call : ua->calls()) {
        json entry = call_json(call);
        entry["media"] = media_json(*media, call.id);
        add_protection(entry, call.id);
        list.push_back(entry);
      }
      return json{{"ok", true}, {"calls", list}};
    }
    if (cmd == "verify") return verify_command(request);
    if (cmd == "peers") return discovery->peers();
    if (cmd == "trust") return discovery->trust(request);
    if (cmd == "presence") return discovery->presence(request);
    if (cmd == "quit") {
      if (quit) {
        // After the reply is written: an idle source on the engine's own context (the
        // node runs a private GMainContext, not the global default one).
        GSource* idle = g_idle_source_new();
        g_source_set_callback(idle, &Impl::on_quit_idle, this, nullptr);
        g_source_attach(idle, context);
        g_source_unref(idle);
      }
      return json{{"ok", true}};
    }
    for (std::string_view later : {"history"}) {
      if (cmd == later) {
        return failure("'" + cmd + "' is not available yet: media, discovery and history " +
                       "come in later versions of Lanline");
      }
    }
    if (cmd.empty()) return failure("the request has no \"cmd\"");
    return failure(
        "unknown command '" + cmd +
        "'; commands: status, peers, call, answer, decline, hangup, hold, resume, " +
        "mute, unmute, dtmf, screen, video, snapshot, message, calls, verify, presence, " +
        "events, quit");
  }

  // The node's identity: its instance id, and the certificate that SIP over TLS and
  // DTLS-SRTP present. Without a profile's data directory, an instance id for this run
  // and no certificate (plain SIP and RTP only).
  std::optional<NodeIdentity> identity;
  void load_identity() {
    std::string error;
    if (!options.data_dir.empty())
      identity = load_or_create_identity(options.data_dir / "identity", error);
    if (!identity) {
      if (!error.empty()) spdlog::warn("{}; using an identity for this run only", error);
      identity = NodeIdentity{};
      gchar* uuid = g_uuid_string_random();
      identity->instance_id = uuid;
      g_free(uuid);
    }
  }
  bool has_certificate() const {
    return !identity->certificate.empty() && !identity->fingerprint.empty();
  }

  // SIP over TLS with the node's certificate (RFC 3261 26.2), next to UDP and TCP.
  // Connections we open to a discovered peer are held to the certificate it announced;
  // requests over TLS that claim a discovered peer, to that peer's (discovery_glue.hpp).
  void start_tls() {
    if (!has_certificate()) return;
    std::string error;
    if (!transport->enable_tls({identity->certificate.string(), identity->key.string()}, 0,
                               error)) {
      spdlog::warn("{}; SIP between Lanline nodes goes without TLS", error);
      return;
    }
    transport->set_tls_check([this](const sip::Endpoint& peer, bool we_connected,
                                    const std::string& fingerprint) {
      return discovery ? discovery->check_tls_peer(peer, we_connected, fingerprint) : std::string();
    });
  }

  // core::UserAgentConfig::screen: a request over TLS that says it is from a discovered
  // Lanline peer must come with that peer's certificate.
  std::string screen(const sip::Message& request, const sip::Endpoint& from) const {
    if (from.transport != sip::TransportKind::kTls || !discovery) return {};
    const std::string certificate = transport->peer_fingerprint(from.connection);
    bool claimed = false;
    std::string refusal = discovery->check_claim(request.from().uri, certificate, &claimed);
    if (!refusal.empty() || !claimed) return refusal;
    // A Lanline node's media shows the certificate its SIP does (RFC 5763 over RFC 3261
    // 26.2): a claimed peer's offer that names another one would key the call to whoever
    // holds that one.
    return other_fingerprint_in(request.body(), certificate);
  }

  // The first a=fingerprint line of an SDP body that is not `certificate` ("sha-256 ..."),
  // as a refusal; empty when there is none.
  static std::string other_fingerprint_in(std::string_view body, const std::string& certificate) {
    constexpr std::string_view kAttribute = "a=fingerprint:";
    auto upper = [](std::string_view text) {
      std::string out(text);
      for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return out;
    };
    const std::string ours = upper(certificate);
    for (std::size_t at = body.find(kAttribute); at != std::string_view::npos;
         at = body.find(kAttribute, at + 1)) {
      std::string_view value = body.substr(at + kAttribute.size());
      value = value.substr(0, value.find_first_of("\r\n"));
      if (upper(value) != ours) {
        return "the offer's DTLS fingerprint (" + std::string(value) +
               ") is not the certificate its SIP came with (" + certificate + ")";
      }
    }
    return {};
  }

  // Its DNS-SD records unless --no-discovery (discovery_glue.cpp holds the rest).
  void start_discovery(const core::UserAgentConfig& config) {
    std::string error;
    // The certificate is also what DTLS-SRTP presents (RFC 5763): calls to a Lanline
    // peer offer it, and a peer's offer of it is taken.
    const bool dtls = has_certificate();
    if (dtls) {
      ua->set_dtls_fingerprint(identity->fingerprint);
      media->set_dtls_credentials({identity->certificate.string(), identity->key.string()});
    }
    discovery = std::make_unique<DiscoveryGlue>(
        context, *ua, identity->instance_id, [this](const json& event) { emit(event); },
        [this] { rearm(); });
    if (!options.database.empty()) {
      pins = IdentityPins::open(options.database, error);
      if (!pins) spdlog::error("{}: peers' identities are not pinned this run", error);
    }
    discovery->set_identity_pins(pins.get());
    discovery->set_tls(transport->tls_port() != 0);
    discovery::Advert advert;
    advert.display_name = config.display_name;
    advert.contact_uri = "sip:" + config.local.user + "@" + config.local.host_port();
    advert.instance_id = identity->instance_id;
    // What this node does: video (a camera) only with a video source (--video-source);
    // every node takes a shared screen, and ICE; DTLS-SRTP with a certificate.
    advert.caps = media->video_enabled() ? "audio,video,screen,chat,ice" : "audio,screen,chat,ice";
    if (dtls) advert.caps += ",dtls";
    if (transport->tls_port() != 0) {
      advert.caps += ",tls";
      sip::LocalContact tls_contact = config.local;
      tls_contact.port = transport->tls_port();
      advert.tls_contact_uri =
          "sip:" + config.local.user + "@" + tls_contact.host_port() + ";transport=tls";
    }
    advert.fp = identity->fingerprint;
    advert.software = config.local.user_agent;
    discovery->start(advert, transport->port(), options.discovery);
  }

  // --stun and --turn: a server given by name is looked up first; calls placed before the
  // answer gather without it. One that does not parse is reported and left out: a
  // setting saved wrong must not keep the node from starting or from calling.
  std::optional<ice::StunServer> stun;
  std::optional<ice::TurnServer> turn;
  void configure_ice_servers() {
    if (!options.stun.empty()) {
      auto parsed = ice::parse_stun_server(options.stun);
      if (!parsed) {
        spdlog::error("--stun: {}; calls go on without a STUN server", parsed.error());
      } else {
        resolve(parsed->host, [this, server = *parsed](const std::string& ip) mutable {
          server.host = ip;
          stun = server;
          media->set_servers(stun, turn);
        });
      }
    }
    if (!options.turn.empty()) {
      auto parsed = ice::parse_turn_uri(options.turn);
      if (!parsed) {
        spdlog::error("--turn: {}; calls go on without a TURN server", parsed.error());
      } else {
        resolve(parsed->host, [this, server = *parsed](const std::string& ip) mutable {
          server.host = ip;
          turn = server;
          media->set_servers(stun, turn);
        });
      }
    }
  }

  // `use` gets `host` as an IP address: at once for a literal, after a lookup for a name.
  // `what` names the server in the log ("ICE server", "registrar"); `missing` says what
  // its absence costs.
  void resolve(const std::string& host, std::function<void(const std::string&)> use,
               std::string what = "ICE server", std::string missing = "calls go on without it") {
    if (ice::is_ip_literal(host)) {
      use(host);
      return;
    }
    names->lookup(host, [host, what, missing, use = std::move(use)](
                            std::optional<std::string> found, const std::string& error) {
      if (!found) {
        spdlog::warn("cannot look up {} '{}': {}; {}", what, host, error, missing);
        return;
      }
      spdlog::info("{} {} is {}", what, host, *found);
      use(*found);
    });
  }

  // ---- The account (issue 16) ----
  // Its index in the UA once its registrar is looked up, and its address of record's
  // domain: calls and messages to sip:X@DOMAIN go through it.
  std::optional<std::size_t> account;
  std::string account_domain;
  // Where its requests go: the outbound proxy, else the registrar (REGISTER's endpoint).
  const sip::Endpoint& account_next_hop() const { return ua->account(*account)->registrar; }

  void start_account() {
    if (!options.account) return;
    const AccountOptions& wanted = *options.account;
    auto aor = sip::parse_uri(wanted.aor);
    if (!aor || !aor->has_user) {
      spdlog::error("account {} is not an address of record; no registration", wanted.aor);
      return;
    }
    account_domain = std::string(aor->host_address());
    std::string host = account_domain;
    int port = -1;
    sip::TransportKind kind =
        aor->scheme == sip::UriScheme::kSips ? sip::TransportKind::kTls : sip::TransportKind::kUdp;
    core::AccountConfig config;
    if (!wanted.outbound_proxy.empty()) {
      auto proxy = sip::parse_uri(wanted.outbound_proxy);
      if (!proxy) return;
      host = std::string(proxy->host_address());
      port = proxy->port;
      if (proxy->params.has("transport")) kind = sip::transport_for(*proxy);
      std::string route = wanted.outbound_proxy;
      if (!proxy->params.has("lr")) route += ";lr";  // a loose router (RFC 3261 16.12)
      config.routes = {"<" + route + ">"};
    } else if (!wanted.registrar.empty()) {
      // HOST, HOST:PORT, [V6] or [V6]:PORT (checked by the options).
      host = wanted.registrar;
      std::size_t colon = host.rfind(':');
      std::size_t bracket = host.rfind(']');
      bool has_port = colon != std::string::npos &&
                      (host.front() == '[' ? bracket != std::string::npos && colon > bracket
                                           : host.find(':') == colon);
      if (has_port) {
        port = std::stoi(host.substr(colon + 1));
        host = host.substr(0, colon);
      }
      if (host.front() == '[') host = host.substr(1, host.size() - 2);
    }
    if (auto named = sip::transport_named(wanted.transport)) kind = *named;
    if (port < 0) port = kind == sip::TransportKind::kTls ? 5061 : 5060;
    config.aor = wanted.aor;
    config.registrar_uri = std::string(aor->scheme == sip::UriScheme::kSips ? "sips:" : "sip:") +
                           std::string(aor->host);
    config.credentials = {std::string(aor->user), wanted.password};
    config.expires = wanted.expires;
    config.display_name = ua->config().display_name;
    if (identity) config.instance_urn = "urn:uuid:" + identity->instance_id;
    spdlog::info("account {}: registering at {}:{} over {}", wanted.aor, host, port,
                 sip::transport_name(kind));
    resolve(
        host,
        [this, config = std::move(config), port, kind](const std::string& found) mutable {
          config.registrar = sip::Endpoint{found, static_cast<std::uint16_t>(port), kind, 0};
          account = ua->add_account(std::move(config), now());
          rearm();
        },
        "registrar", "the account stays unregistered; calls on the LAN still work");
  }

  // A call or message to sip:X@DOMAIN of the account goes through it.
  std::optional<core::AccountRoute> route_for(const sip::Uri& uri) const {
    const std::string host(uri.host_address());
    if (!account || g_ascii_strcasecmp(host.c_str(), account_domain.c_str()) != 0)
      return std::nullopt;
    return ua->route_through(*account);
  }

  void on_registration(const core::RegistrationInfo& info) override {
    if (info.state == core::RegistrationState::kFailed) {
      spdlog::warn("account {}: {}", info.aor, info.last_error);
    } else if (info.state == core::RegistrationState::kRegistered) {
      spdlog::info("account {}: registered for {} s{}", info.aor, info.expires,
                   info.last_error.empty() ? "" : " (" + info.last_error + ")");
    } else {
      spdlog::info("account {}: {}", info.aor, core::to_string(info.state));
    }
    emit(json{{"event", "account.state"},
              {"aor", info.aor},
              {"state", std::string(core::to_string(info.state))},
              {"expires", info.expires},
              {"error", info.last_error}});
  }

  json accounts_json() const {
    json list = json::array();
    for (const core::RegistrationInfo& info : ua->accounts()) {
      const core::AccountConfig* config = ua->account(info.account);
      list.push_back(json{{"aor", info.aor},
                          {"state", std::string(core::to_string(info.state))},
                          {"expires", info.expires},
                          {"error", info.last_error},
                          {"code", info.last_code},
                          {"registrar", config ? sip::to_string(config->registrar) : ""}});
    }
    // An account whose registrar is still being looked up is not in the UA yet.
    if (options.account && !account) {
      list.push_back(json{{"aor", options.account->aor},
                          {"state", "registering"},
                          {"expires", 0},
                          {"error", ""},
                          {"code", 0},
                          {"registrar", ""}});
    }
    return list;
  }

  // Un-registers, then `done` once every answer came or after kLeaveBound.
  static constexpr auto kLeaveBound = std::chrono::seconds(3);
  std::function<void()> leave_done;
  sip::TimePoint leave_deadline{};
  void leave(std::function<void()> done) {
    if (!ua->unregister_accounts(now())) {
      done();
      return;
    }
    rearm();
    leave_done = std::move(done);
    leave_deadline = now() + kLeaveBound;
    GSource* poll = g_timeout_source_new(50);
    g_source_set_callback(poll, &Impl::on_leave_poll, this, nullptr);
    g_source_attach(poll, context);
    g_source_unref(poll);
  }
  static gboolean on_leave_poll(gpointer self) {
    auto* impl = static_cast<Impl*>(self);
    if (impl->ua->unregistering() && now() < impl->leave_deadline) return G_SOURCE_CONTINUE;
    if (auto done = std::move(impl->leave_done)) done();
    return G_SOURCE_REMOVE;
  }

  static gboolean on_quit_idle(gpointer self) {
    auto* impl = static_cast<Impl*>(self);
    impl->leave([impl] {
      if (impl->quit) impl->quit();
    });
    return G_SOURCE_REMOVE;
  }
};

Engine::Engine() : impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::create(GMainContext* context, const EngineOptions& options,
                                       std::string& error) {
  std::unique_ptr<Engine> engine(new Engine());
  Impl& impl = *engine->impl_;
  impl.context = context;
  impl.names.emplace(context);
  impl.options = options;
  net::TransportOptions transport_options;
  transport_options.port = options.sip_port;
  transport_options.trace = options.sip_trace;
  impl.transport = net::SipTransport::create(context, transport_options, error);
  if (!impl.transport) return nullptr;
  impl.address = primary_ipv4_address();
  MediaBridgeOptions media_options;
  media_options.audio_source = options.audio_source;
  media_options.audio_sink = options.audio_sink;
  media_options.video_source = options.video_source;
  media_options.video_windows = options.video_windows;
  media_options.ipv4_address = impl.address;
  media_options.ipv6_address = primary_ipv6_address();
  impl.media = MediaBridge::create(context, media_options, error);
  if (!impl.media) return nullptr;
  impl.media->on_dtmf([&impl](std::uint64_t call, char digit) {
    impl.emit(json{{"event", "call.dtmf"}, {"call", call}, {"digit", std::string(1, digit)}});
  });
  impl.media->on_error([&impl](std::uint64_t call, const std::string& problem) {
    impl.emit(json{{"event", "call.media_error"}, {"call", call}, {"error", problem}});
  });
  impl.media->on_ready([&impl](std::uint64_t call, const core::Preparation& prepared) {
    impl.ua->media_ready(call, prepared, Impl::now());
    impl.rearm();
  });
  impl.media->on_renew([&impl](std::uint64_t call, const core::Preparation& renewed) {
    core::Outcome outcome = impl.ua->renew_media(call, renewed, Impl::now());
    impl.rearm();
    return outcome.ok();
  });
  impl.media->on_path_lost([&impl](std::uint64_t call, const std::string& reason) {
    impl.ua->hangup(call, Impl::now(), reason);
    impl.rearm();
  });
  impl.configure_ice_servers();
  impl.load_identity();
  impl.start_tls();
  core::UserAgentConfig config;
  config.local.user = options.user.empty() ? login_name() : options.user;
  config.local.host = impl.address;
  config.local.port = impl.transport->port();
  config.tls_port = impl.transport->tls_port();
  config.screen = [&impl](const sip::Message& request, const sip::Endpoint& from) {
    std::string refusal = impl.screen(request, from);
    if (!refusal.empty())
      spdlog::warn("{} from {} refused (403): {}", request.method_text(), sip::to_string(from),
                   refusal);
    return refusal;
  };
  config.ipv6_host = primary_ipv6_address();
  config.source_address = &source_address_towards;
  config.local.user_agent = "Lanline/0.1.0";
  config.display_name = options.display_name.empty() ? full_name() : options.display_name;
  config.auto_answer = options.auto_answer;
  config.media = impl.media.get();
  if (!options.audio_codecs.empty()) config.codecs = options.audio_codecs;
  // Every node takes a peer's video and shared screen; only one with a picture of its
  // own (--video-source) offers video in a first offer and sends it.
  config.video_codecs = options.video_codecs;
  if (config.video_codecs.empty()) config.video_codecs = {"vp8", "h264"};
  config.send_video = impl.media->video_enabled();
  impl.ua = std::make_unique<core::UserAgent>(*impl.transport, impl, config);
  impl.start_discovery(config);
  impl.start_account();
  GSource* trim = g_timeout_source_new_seconds(10);
  g_source_set_callback(trim, &Impl::on_trim, &impl, nullptr);
  g_source_attach(trim, context);
  impl.trim = trim;
  impl.transport->set_send_failure([&impl](const sip::Endpoint& peer) {
    impl.ua->peer_unreachable(peer, Impl::now());
    impl.rearm();
  });
  impl.transport->set_receiver([&impl](sip::Message message, const sip::Endpoint& from) {
    const auto start = LoadWatch::Clock::now();
    impl.ua->receive(std::move(message), from, Impl::now());
    impl.rearm();
    impl.worked(start);
  });
  return engine;
}

nlohmann::json Engine::execute(const nlohmann::json& request) {
  json reply = impl_->execute(request);
  impl_->rearm();
  return reply;
}

void Engine::execute_async(const nlohmann::json& request, ReplySink reply) {
  HostLookup lookup;
  json now = impl_->execute(request, &lookup);
  impl_->rearm();
  if (!now.is_null()) {
    reply(std::move(now));
    return;
  }
  // Looked up off the engine thread; the command runs again with the address. The
  // lookup dies with the engine (impl_->names), so `this` outlives the callback.
  impl_->names->lookup(
      lookup.host, [this, request, host = lookup.host, reply = std::move(reply)](
                       std::optional<std::string> address, const std::string& error) {
        if (!address) {
          reply(failure(error));
          return;
        }
        HostLookup found{host, *address};
        json later = impl_->execute(request, &found);
        impl_->rearm();
        reply(later.is_null() ? failure("cannot find host '" + host + "'") : std::move(later));
      });
}

std::uint64_t Engine::subscribe(EventSink sink) {
  std::uint64_t token = impl_->next_subscriber++;
  impl_->subscribers[token] = std::move(sink);
  return token;
}

void Engine::unsubscribe(std::uint64_t token) {
  impl_->subscribers.erase(token);
}

void Engine::on_quit(std::function<void()> callback) {
  impl_->quit = std::move(callback);
}

void Engine::leave(std::function<void()> done) {
  impl_->leave(std::move(done));
}

void Engine::set_message_store(core::MessageStore store) {
  impl_->has_message_store = static_cast<bool>(store);
  impl_->ua->set_message_store(std::move(store));
}

std::shared_ptr<media::FrameBoard> Engine::video_frames() const {
  return impl_->media->frames();
}

std::uint16_t Engine::sip_port() const {
  return impl_->transport->port();
}

}  // namespace lanline::engine
