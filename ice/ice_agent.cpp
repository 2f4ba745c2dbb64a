#include "ice/ice_agent.hpp"

#include <nice/agent.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <utility>
#include <vector>

#include "glib_support/callbacks.hpp"

namespace lanline::ice {
namespace {

std::string address_text(const NiceAddress& address) {
  char buffer[NICE_ADDRESS_STRING_LEN];
  nice_address_to_string(&address, buffer);
  return buffer;
}

std::string_view type_name(NiceCandidateType type) {
  switch (type) {
    case NICE_CANDIDATE_TYPE_HOST:
      return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED:
      return "relay";
  }
  return "host";
}

std::optional<NiceCandidateType> type_of(std::string_view name) {
  if (name == "host") return NICE_CANDIDATE_TYPE_HOST;
  if (name == "srflx") return NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
  if (name == "prflx") return NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
  if (name == "relay") return NICE_CANDIDATE_TYPE_RELAYED;
  return std::nullopt;
}

// An IPv6 link-local address as libnice prints it may carry no scope; the SDP form
// never does (RFC 8839 5.1: connection-address).
IceCandidate to_sdp(const NiceCandidate& c) {
  IceCandidate out;
  out.foundation = c.foundation;
  out.component = static_cast<int>(c.component_id);
  out.transport = "UDP";
  out.priority = c.priority;
  out.address = address_text(c.addr);
  out.port = static_cast<std::uint16_t>(nice_address_get_port(&c.addr));
  out.type = std::string(type_name(c.type));
  if (c.type != NICE_CANDIDATE_TYPE_HOST) {
    out.related_address = address_text(c.base_addr);
    out.related_port = static_cast<std::uint16_t>(nice_address_get_port(&c.base_addr));
  }
  return out;
}

constexpr int kReceiveBuffer = 2 * 1024 * 1024;  // bytes; the kernel caps it at rmem_max

// The default candidate RFC 8445 5.1.4 recommends: the one most likely to work.
int default_rank(std::string_view type) {
  if (type == "relay") return 3;
  if (type == "srflx") return 2;
  return type == "host" ? 1 : 0;
}

void drop_data(NiceAgent* /*agent*/, guint /*stream*/, guint /*component*/, guint /*len*/,
               gchar* /*buf*/, gpointer /*data*/) {}

// A GSList of NiceCandidate the caller owns (nice_agent_get_local_candidates), freed once.
struct CandidateList {
  GSList* list = nullptr;
  CandidateList() = default;
  explicit CandidateList(GSList* owned) : list(owned) {}
  CandidateList(CandidateList&& other) noexcept : list(std::exchange(other.list, nullptr)) {}
  CandidateList(const CandidateList&) = delete;
  CandidateList& operator=(const CandidateList&) = delete;
  CandidateList& operator=(CandidateList&&) = delete;
  ~CandidateList() {
    g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  }
};

}  // namespace

std::string_view to_string(IceState state) {
  switch (state) {
    case IceState::kGathering:
      return "gathering";
    case IceState::kGathered:
      return "gathered";
    case IceState::kChecking:
      return "checking";
    case IceState::kConnected:
      return "connected";
    case IceState::kFailed:
      return "failed";
  }
  return "failed";
}

std::unique_ptr<IceAgent> IceAgent::create(GMainContext* context, const IceConfig& config,
                                           std::string& error) {
  std::unique_ptr<IceAgent> self(new IceAgent());
  self->context_ = context;
  self->components_ = config.components == 2 ? 2 : 1;
  self->gather_bound_ = config.gather_bound;
  // RFC 5245 mode is libnice's RFC 8445 agent; regular nomination, since RFC 8445 8.1.1
  // has no other (our SDP says "ice2", RFC 8839 5.6); consent freshness is RFC 7675: a
  // peer that stops answering fails the component.
  self->agent_ =
      nice_agent_new_full(context, NICE_COMPATIBILITY_RFC5245,
                          static_cast<NiceAgentOption>(NICE_AGENT_OPTION_CONSENT_FRESHNESS |
                                                       NICE_AGENT_OPTION_REGULAR_NOMINATION));
  if (!self->agent_) {
    error = "libnice could not create an ICE agent";
    return nullptr;
  }
  g_object_set(self->agent_, "controlling-mode", config.controlling ? TRUE : FALSE, "ice-tcp",
               FALSE, "upnp", FALSE, nullptr);
  if (config.stun) {
    g_object_set(self->agent_, "stun-server", config.stun->host.c_str(), "stun-server-port",
                 static_cast<guint>(config.stun->port), nullptr);
  }
  for (const std::string& address : config.local_addresses) {
    NiceAddress local;
    if (!nice_address_set_from_string(&local, address.c_str())) {
      error = "not an IP address: " + address;
      return nullptr;
    }
    nice_agent_add_local_address(self->agent_, &local);
  }
  self->config_ = config;
  self->stream_id_ = self->add_stream();
  if (self->stream_id_ == 0) {
    error = "libnice could not add an ICE stream";
    return nullptr;
  }
  self->relay_ = std::make_shared<Relay>(Relay{self.get(), context});
  // Each handler holds its own weak reference; GLib frees it once no emission runs it.
  const auto connect = [&self](const char* signal, GCallback handler) {
    g_signal_connect_data(
        self->agent_, signal, handler, new std::weak_ptr<Relay>(self->relay_),
        [](gpointer data, GClosure*) { delete static_cast<std::weak_ptr<Relay>*>(data); },
        G_CONNECT_DEFAULT);
  };
  connect("candidate-gathering-done", G_CALLBACK(&on_gathering_done));
  connect("component-state-changed", G_CALLBACK(&on_component_state));
  return self;
}

unsigned IceAgent::add_stream() {
  const unsigned id = nice_agent_add_stream(agent_, components_);
  if (id == 0) return 0;
  component_states_.assign(components_, NICE_COMPONENT_STATE_DISCONNECTED);
  for (guint component = 1; component <= components_; ++component) {
    if (config_.first_port != 0) {
      nice_agent_set_port_range(agent_, id, component, config_.first_port, config_.last_port);
    }
    // libnice reads a component's sockets only while a receiver is attached: without
    // one, no STUN answer and no connectivity check would be seen before media/'s nicesrc
    // takes the component over. Data before then is dropped.
    nice_agent_attach_recv(agent_, id, component, context_, &drop_data, nullptr);
    if (config_.turn) {
      nice_agent_set_relay_info(
          agent_, id, component, config_.turn->host.c_str(), config_.turn->port,
          config_.turn->user.c_str(), config_.turn->password.c_str(),
          config_.turn->tcp ? NICE_RELAY_TYPE_TURN_TCP : NICE_RELAY_TYPE_TURN_UDP);
    }
  }
  return id;
}

IceAgent::~IceAgent() {
  bound_timer_.reset();
  if (agent_) {
    relay_.reset();  // a signal posted before now finds no agent
    g_signal_handlers_disconnect_matched(agent_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                         reinterpret_cast<gpointer>(&on_gathering_done), nullptr);
    g_signal_handlers_disconnect_matched(agent_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                         reinterpret_cast<gpointer>(&on_component_state), nullptr);
    nice_agent_remove_stream(agent_, stream_id_);
    if (retired_stream_ != 0) nice_agent_remove_stream(agent_, retired_stream_);
    // libnice closes its sockets from the context; the agent goes once it is idle.
    nice_agent_close_async(agent_, nullptr, nullptr);
    g_object_unref(agent_);
  }
}

bool IceAgent::gather(std::function<void()> done, std::string& error) {
  gathered_ = std::move(done);
  if (!nice_agent_gather_candidates(agent_, stream_id_)) {
    error = "ICE found no local address to gather candidates on";
    gathered_ = nullptr;
    return false;
  }
  // Host candidates are there once gather_candidates returns; servers answer later, if
  // at all. The bound decides how long a call waits for them.
  bound_timer_ = glib::add_timeout(context_, static_cast<guint>(gather_bound_.count()),
                                   &IceAgent::on_gather_bound, this);
  return true;
}

gboolean IceAgent::on_gather_bound(gpointer self) {
  glib::guarded("ice: gathering bound", [self] {
    auto* agent = static_cast<IceAgent*>(self);
    spdlog::debug("ice: gathering bound of {} ms reached; going on with what was gathered",
                  agent->gather_bound_.count());
    agent->finish_gathering();  // drops the timer's handle: the source is gone either way
    return G_SOURCE_REMOVE;
  });
  return G_SOURCE_REMOVE;
}

void IceAgent::on_gathering_done(NiceAgent* /*agent*/, guint stream_id, gpointer relay) {
  std::weak_ptr<Relay> weak = *static_cast<std::weak_ptr<Relay>*>(relay);
  auto alive = weak.lock();
  if (!alive) return;
  GMainContext* context = alive->context;
  alive.reset();  // the agent is destroyed on its context only, never here
  glib::invoke_on(context, "ice: gathering done", [weak, stream_id] {
    if (auto live = weak.lock()) live->agent->gathering_done(stream_id);
  });
}

void IceAgent::gathering_done(unsigned stream_id) {
  if (stream_id == stream_id_) finish_gathering();
}

void IceAgent::finish_gathering() {
  bound_timer_.reset();
  if (!gathered_) return;  // once
  auto done = std::move(gathered_);
  gathered_ = nullptr;
  if (state_ == IceState::kGathering) set_state(IceState::kGathered);
  done();
}

LocalIce IceAgent::local() const {
  LocalIce out;
  gchar* ufrag = nullptr;
  gchar* pwd = nullptr;
  if (nice_agent_get_local_credentials(agent_, stream_id_, &ufrag, &pwd)) {
    out.ufrag = ufrag;
    out.pwd = pwd;
  }
  g_free(ufrag);
  g_free(pwd);
  for (guint component = 1; component <= components_; ++component) {
    CandidateList candidates(nice_agent_get_local_candidates(agent_, stream_id_, component));
    for (GSList* item = candidates.list; item; item = item->next) {
      const auto* c = static_cast<const NiceCandidate*>(item->data);
      if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP) continue;
      out.candidates.push_back(to_sdp(*c));
    }
  }
  return out;
}

LocalTransport IceAgent::default_transport(const DefaultChoice& choice) const {
  LocalTransport out;
  LocalIce ice = local();
  if (!choice.usable.empty()) {
    // A relayed candidate's related address is the relay's, not ours: it stays.
    std::erase_if(ice.candidates, [&](const IceCandidate& c) {
      if (c.type == "relay") return false;
      const std::string& base = c.type == "host" ? c.address : c.related_address;
      return !choice.usable.count(base);
    });
  }
  // Higher is a better default. A peer without ICE on our LAN reaches our host address
  // directly, and the one SIP uses best of all; beyond the LAN, RFC 8445 5.1.4's order.
  auto rank = [&](const IceCandidate& c) {
    if (choice.on_lan) {
      if (c.type != "host") return 0;
      return c.address == choice.preferred_host ? 2 : 1;
    }
    return default_rank(c.type);
  };
  for (unsigned component = 1; component <= components_; ++component) {
    const IceCandidate* best = nullptr;
    for (const IceCandidate& c : ice.candidates) {
      if (static_cast<unsigned>(c.component) != component) continue;
      if ((c.address.find(':') != std::string::npos) != choice.ipv6) continue;
      // Link-local IPv6 needs a scope a peer's c= cannot carry (RFC 8839 allows none).
      if (choice.ipv6 && c.address.rfind("fe80", 0) == 0 && choice.preferred_host != c.address) {
        continue;
      }
      if (!best || rank(c) > rank(*best) ||
          (rank(c) == rank(*best) && c.priority > best->priority)) {
        best = &c;
      }
    }
    if (!best) continue;
    if (component == 1) {
      out.address = best->address;
      out.rtp_port = best->port;
      out.rtcp_port = best->port;  // rtcp-mux until a second component says otherwise
    } else if (!out.address.empty()) {
      out.rtcp_port = best->port;
    }
  }
  out.ice = std::move(ice);
  return out;
}

bool IceAgent::set_remote(const IceTransport& remote) {
  if (!nice_agent_set_remote_credentials(agent_, stream_id_, remote.ufrag.c_str(),
                                         remote.pwd.c_str())) {
    return false;
  }
  // Our own sockets' addresses, of every component: a remote candidate at one of them is
  // a loop back into ourselves, never a peer. Compared as addresses (nice_address_equal:
  // family, bytes and port), since one IPv6 address has several spellings.
  std::vector<CandidateList> ours;
  for (guint component = 1; component <= components_; ++component) {
    ours.emplace_back(nice_agent_get_local_candidates(agent_, stream_id_, component));
  }
  auto ourselves = [&ours](const NiceAddress& address) {
    for (const CandidateList& list : ours) {
      for (GSList* item = list.list; item; item = item->next) {
        if (nice_address_equal(&static_cast<const NiceCandidate*>(item->data)->addr, &address)) {
          return true;
        }
      }
    }
    return false;
  };
  bool any = false;
  for (guint component = 1; component <= components_; ++component) {
    CandidateList list;
    for (const IceCandidate& c : remote.candidates) {
      if (static_cast<guint>(c.component) != component) continue;
      auto type = type_of(c.type);
      if (!type) continue;
      NiceCandidate* candidate = nice_candidate_new(*type);
      candidate->component_id = component;
      candidate->stream_id = stream_id_;
      candidate->transport = NICE_CANDIDATE_TRANSPORT_UDP;
      candidate->priority = c.priority;
      g_strlcpy(candidate->foundation, c.foundation.c_str(), NICE_CANDIDATE_MAX_FOUNDATION);
      if (!nice_address_set_from_string(&candidate->addr, c.address.c_str())) {
        nice_candidate_free(candidate);
        continue;
      }
      nice_address_set_port(&candidate->addr, c.port);
      if (ourselves(candidate->addr)) {
        nice_candidate_free(candidate);
        continue;
      }
      list.list = g_slist_append(list.list, candidate);
    }
    if (!list.list) continue;
    if (nice_agent_set_remote_candidates(agent_, stream_id_, component, list.list) > 0) any = true;
  }
  if (any && state_ != IceState::kConnected) set_state(IceState::kChecking);
  return any;
}

std::optional<SelectedPair> IceAgent::selected(unsigned component) const {
  NiceCandidate* local = nullptr;
  NiceCandidate* remote = nullptr;
  if (!nice_agent_get_selected_pair(agent_, stream_id_, component, &local, &remote)) {
    return std::nullopt;
  }
  return SelectedPair{to_sdp(*local), to_sdp(*remote)};
}

bool IceAgent::restart() {
  return nice_agent_restart_stream(agent_, stream_id_) != FALSE;
}

bool IceAgent::regather(std::function<void()> done, std::string& error) {
  retire_old_stream();  // a regather before the last one was taken up
  const unsigned fresh = add_stream();
  if (fresh == 0) {
    error = "libnice could not add an ICE stream";
    return false;
  }
  const unsigned old = stream_id_;
  const std::vector<unsigned> old_states = component_states_;
  stream_id_ = fresh;
  state_ = IceState::kGathering;
  // Before gathering: without servers libnice is done within gather(), and `done` may
  // move media and retire the old stream right there.
  retired_stream_ = old;
  if (!gather(std::move(done), error)) {
    nice_agent_remove_stream(agent_, fresh);
    stream_id_ = old;
    retired_stream_ = 0;
    component_states_ = old_states;
    return false;
  }
  return true;
}

void IceAgent::retire_old_stream() {
  if (retired_stream_ == 0) return;
  nice_agent_remove_stream(agent_, retired_stream_);
  retired_stream_ = 0;
}

void IceAgent::drop_received() {
  for (guint component = 1; component <= components_; ++component) {
    nice_agent_attach_recv(agent_, stream_id_, component, context_, &drop_data, nullptr);
  }
}

bool IceAgent::controlling() const {
  gboolean controlling = FALSE;
  g_object_get(agent_, "controlling-mode", &controlling, nullptr);
  return controlling != FALSE;
}

void IceAgent::on_component_state(NiceAgent* /*agent*/, guint stream_id, guint component,
                                  guint state, gpointer relay) {
  std::weak_ptr<Relay> weak = *static_cast<std::weak_ptr<Relay>*>(relay);
  auto alive = weak.lock();
  if (!alive) return;
  GMainContext* context = alive->context;
  alive.reset();  // the agent is destroyed on its context only, never here
  glib::invoke_on(context, "ice: component state", [weak, stream_id, component, state] {
    if (auto live = weak.lock()) live->agent->component_changed(stream_id, component, state);
  });
}

void IceAgent::component_changed(unsigned stream_id, unsigned component, unsigned signalled) {
  if (stream_id != stream_id_ || component == 0 || component > components_) return;
  // The state as it is now: a change posted from a streaming thread can arrive after one
  // the engine's thread saw at once, so the signal's own value may be stale.
  const unsigned state = nice_agent_get_component_state(agent_, stream_id, component);
  if (state == component_states_[component - 1] && state != signalled) return;
  component_states_[component - 1] = state;
  // CONNECTED: a pair works and media may flow; READY: nomination is over too.
  // RTP's component decides: with two, a failed RTCP one alone leaves the call its audio.
  const unsigned rtp = component_states_[0];
  if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
    // The pair's socket takes a key frame's burst whole: a 1080p shared screen's is
    // 100-200 packets at once, more than the kernel's default buffer (212,992 bytes,
    // about 90 such packets with their overhead) holds while the receiver catches up.
    if (GSocket* socket = nice_agent_get_selected_socket(agent_, stream_id_, component)) {
      g_socket_set_option(socket, SOL_SOCKET, SO_RCVBUF, kReceiveBuffer, nullptr);
      g_object_unref(socket);
    }
  }
  if (component == 1 && state == NICE_COMPONENT_STATE_READY && on_nominated_) on_nominated_();
  if (rtp == NICE_COMPONENT_STATE_FAILED) {
    set_state(IceState::kFailed);
  } else if (rtp == NICE_COMPONENT_STATE_CONNECTED || rtp == NICE_COMPONENT_STATE_READY) {
    set_state(IceState::kConnected);
  }
}

void IceAgent::set_state(IceState state) {
  if (state == state_) return;
  state_ = state;
  if (on_state_) on_state_(state);
}

}  // namespace lanline::ice
