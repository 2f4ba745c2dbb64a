// One stream's ICE (RFC 8445, full agent) on a libnice NiceAgent, run on the engine's
// GLib context: gathers host candidates on every usable interface, server-reflexive ones
// from a STUN server and relayed ones from a TURN server when they are configured, runs
// the connectivity checks against the peer's candidates and reports the selected pair.
//
// Gathering never waits on a server beyond `gather_bound`: what has been gathered by
// then is what the SDP carries (libnice goes on asking; a late candidate still takes part
// in the checks, and the peer learns it as peer-reflexive). A dead STUN server costs a
// call at most that bound, never libnice's retransmission schedule of several seconds.
//
// media/'s ICE transport reads and writes the components through nicesrc and nicesink on
// agent() and stream_id(); this class knows nothing of RTP.
#pragma once

#include <glib.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/stream_description.hpp"
#include "glib_support/handles.hpp"

typedef struct _NiceAgent NiceAgent;

namespace lanline::ice {

struct StunServer {
  std::string host;  // an IP literal: libnice resolves nothing itself
  std::uint16_t port = 3478;
};

// RFC 7065 turn:USER:PASS@HOST:PORT?transport=udp|tcp, as --turn takes it.
struct TurnServer {
  std::string host;
  std::uint16_t port = 3478;
  std::string user;
  std::string password;
  bool tcp = false;
};

struct IceConfig {
  bool controlling = false;  // RFC 8445 6.1.1: the offerer controls, unless it is lite
  unsigned components = 1;   // 1 with rtcp-mux, 2 (RTP, RTCP) without
  std::optional<StunServer> stun;
  std::optional<TurnServer> turn;
  std::chrono::milliseconds gather_bound{150};
  std::uint16_t first_port = 0;  // 0 and 0: any port
  std::uint16_t last_port = 0;
  // Only these local addresses (tests pin an interface); empty: every usable one.
  std::vector<std::string> local_addresses;
};

// What the checks chose for one component (lanline ctl calls shows it).
struct SelectedPair {
  IceCandidate local;
  IceCandidate remote;
};

enum class IceState { kGathering, kGathered, kChecking, kConnected, kFailed };

class IceAgent {
 public:
  // nullptr with `error` when libnice cannot make the agent or its stream.
  static std::unique_ptr<IceAgent> create(GMainContext* context, const IceConfig& config,
                                          std::string& error);
  ~IceAgent();
  IceAgent(const IceAgent&) = delete;
  IceAgent& operator=(const IceAgent&) = delete;

  // Starts gathering; `done` runs once on the context, when libnice has finished or the
  // bound has passed, whichever comes first. False when gathering could not start.
  bool gather(std::function<void()> done, std::string& error);
  // Our credentials and the candidates gathered so far (for the SDP).
  LocalIce local() const;
  // The default candidate of each component (RFC 8445 5.1.4: c=/m= and a=rtcp), of the
  // family the peer is reached over, and the one a peer without ICE can reach: on a LAN
  // (`on_lan`) a host candidate, at `preferred_host` when we have one there; beyond it
  // relayed when there is a relay, else server-reflexive, else host. An empty address
  // when there is no candidate of that family.
  struct DefaultChoice {
    bool ipv6 = false;
    bool on_lan = true;
    std::string preferred_host;  // our SIP address towards the peer
    // When not empty, the host's addresses now: candidates on others (an interface that
    // went down) are left out, of the choice and of the SDP.
    std::set<std::string> usable;
  };
  LocalTransport default_transport(const DefaultChoice& choice) const;

  // The peer's ICE (from its SDP): starts the checks. Its candidates for components this
  // agent does not have are ignored, and so are candidates at our own address and port.
  // False when none is left.
  bool set_remote(const IceTransport& remote);

  // Each change of state, on the context.
  void on_state(std::function<void(IceState)> callback) { on_state_ = std::move(callback); }
  // Nomination is over for RTP's component (libnice's READY): selected(1) is final, until
  // a restart.
  void on_nominated(std::function<void()> callback) { on_nominated_ = std::move(callback); }
  IceState state() const { return state_; }
  // The pair the checks selected for `component`, once there is one.
  std::optional<SelectedPair> selected(unsigned component) const;

  // An ICE restart (RFC 8445 9, RFC 8839 4.4.1.1.1): new credentials for the next offer
  // or answer; the checks start over once set_remote() gives the peer's new ones. The
  // candidates stay, and media goes on over the selected pair until a new one is chosen.
  bool restart();
  // Our ICE restart where the host's addresses changed: libnice's restart keeps the
  // candidates it gathered, so a new stream on the same agent gathers on the addresses
  // there are now (new credentials, new candidates, new TURN allocations). From here on
  // stream_id(), local() and selected() are the new stream's; the old one goes on
  // carrying media until retire_old_stream(), once media/ has moved to the new one.
  // `done` runs as for gather(). False with `error` when it could not start.
  bool regather(std::function<void()> done, std::string& error);
  void retire_old_stream();
  // Takes the components back from media/'s nicesrc once its pipeline is gone, so that
  // checks and consent (RFC 7675) go on being answered while no pipeline runs.
  void drop_received();
  NiceAgent* agent() const { return agent_; }
  unsigned stream_id() const { return stream_id_; }
  unsigned components() const { return components_; }
  bool controlling() const;

 private:
  IceAgent() = default;
  unsigned add_stream();  // with its components set up; 0 when libnice refused
  void finish_gathering();
  void set_state(IceState state);
  // libnice emits its signals in whichever thread lets go of the agent's lock: the
  // engine's, or the streaming thread of a nicesrc that has just read a connectivity
  // check. These only post to context_, where the rest of the agent lives; they reach
  // the agent through `Relay`, which expires with it.
  struct Relay {
    IceAgent* agent;
    GMainContext* context;
  };
  static void on_gathering_done(NiceAgent* agent, guint stream_id, gpointer relay);
  static void on_component_state(NiceAgent* agent, guint stream_id, guint component, guint state,
                                 gpointer relay);
  static gboolean on_gather_bound(gpointer self);
  void gathering_done(unsigned stream_id);
  void component_changed(unsigned stream_id, unsigned component, unsigned signalled);

  GMainContext* context_ = nullptr;
  NiceAgent* agent_ = nullptr;
  IceConfig config_;
  unsigned stream_id_ = 0;
  unsigned retired_stream_ = 0;  // the stream before a regather, until media/ left it
  unsigned components_ = 1;
  std::chrono::milliseconds gather_bound_{150};
  IceState state_ = IceState::kGathering;
  std::vector<unsigned> component_states_;  // NiceComponentState per component
  std::function<void()> gathered_;
  std::function<void(IceState)> on_state_;
  std::function<void()> on_nominated_;
  glib::SourceHandle bound_timer_;  // the gathering bound, while it runs
  std::shared_ptr<Relay> relay_;
};

std::string_view to_string(IceState state);

}  // namespace lanline::ice
