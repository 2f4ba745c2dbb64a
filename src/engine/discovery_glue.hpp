// Discovery in the engine: the Avahi client's records go into a PeerDirectory; every
// peer is probed with SIP OPTIONS and shown reachable only once it answers, and again
// unreachable within seconds of going quiet; peers are listed, announced as events and
// called by name. Runs on the engine's GMainContext, like the rest of the engine.
#pragma once

#include <glib.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/peer_directory.hpp"
#include "core/user_agent.hpp"
#include "discovery/avahi_discovery.hpp"
#include "engine/identity_pins.hpp"
#include "glib_support/handles.hpp"

namespace lanline::engine {

struct ProbePolicy {
  // A reachable peer is asked this often; with UserAgentConfig::probe_deadline (2 s) a
  // peer that vanished shows unreachable within interval + deadline + a tick (< 10 s).
  sip::Duration interval{3000};
  // A peer that never answered (nothing behind the record) is asked less and less often,
  // up to this, so a hundred dead records cost little.
  sip::Duration longest{15000};
};

class DiscoveryGlue : private discovery::DiscoveryListener {
 public:
  using Emit = std::function<void(const nlohmann::json& event)>;
  // `after_send` runs after every probe, so the engine re-arms the UA's timer.
  DiscoveryGlue(GMainContext* context, core::UserAgent& ua, std::string own_instance_id, Emit emit,
                std::function<void()> after_send, ProbePolicy policy = {});
  ~DiscoveryGlue() override;

  // Publishes `advert` and browses, unless `publish` is false (--no-discovery): then the
  // advert is only this node's own presence, shown in `status`.
  void start(discovery::Advert advert, std::uint16_t port, bool publish);
  bool enabled() const { return discovery_ != nullptr; }

  // Where peers' identities are pinned (trust on first use); none: every peer's identity
  // is "unknown". Set before start().
  void set_identity_pins(IdentityPins* pins) { pins_ = pins; }
  // This node takes and places SIP over TLS: peers that announce it are probed, called
  // and messaged over it alone (so that nothing between two Lanline nodes is readable on
  // the LAN). Set before start().
  void set_tls(bool on) { tls_ = on; }
  nlohmann::json peers() const;                            // the `peers` reply
  nlohmann::json trust(const nlohmann::json& request);     // the `trust PEER` reply
  nlohmann::json presence(const nlohmann::json& request);  // the `presence` reply
  void add_status(nlohmann::json& status) const;           // our own fields in `status`

  // A call target naming a discovered peer (its instance id or name): the URI to put in
  // the request and where to send it. nullopt and an empty `error` when `target` names no
  // peer; nullopt and an `error` when it names several or one that cannot be reached.
  struct Target {
    std::string uri;
    sip::Endpoint endpoint;
    // The certificate fingerprint it announced (and we pinned), when it does DTLS-SRTP
    // (caps "dtls"): the call offers it and holds the answer to this fingerprint.
    std::string fingerprint;
  };
  // `lasting` (when given) says whether the refusal lasts until the user acts (several
  // peers by that name, an identity that changed or a certificate refused), as against a
  // peer that is not answering now.
  std::optional<Target> call_target(const std::string& target, std::string& error,
                                    bool* lasting = nullptr) const;
  // A URI that is a discovered Lanline peer's own, reached over TLS: that peer's Target,
  // so that a call or message to its address is as protected as one to its name.
  // nullopt when no such peer has it (the URI is then used as it is).
  std::optional<Target> secure_target_for_uri(const std::string& uri) const;

  // SipTransport::TlsCheck: a connection we opened to a peer's announced TLS address
  // must show the certificate that peer announced (and that is pinned for it). Empty to
  // go on, else why not (kept, and shown with the peer in `peers`). Connections to us
  // are judged by what they claim (check_claim).
  std::string check_tls_peer(const sip::Endpoint& peer, bool we_connected,
                             const std::string& fingerprint);
  // A request over TLS whose From is a discovered Lanline peer's URI must come with that
  // peer's certificate: empty, else why not (the request is refused). `claimed` (when
  // given): whether the From is such a peer's.
  std::string check_claim(const sip::Uri& from, const std::string& fingerprint,
                          bool* claimed = nullptr) const;

  void on_probe_result(std::uint64_t probe_id, int code);

 private:
  // One round of probes goes to every path of a peer at once (each UDP address: IPv4,
  // IPv6, link-local, every interface; TCP only when it has no UDP one): the peer is
  // reachable as soon as one answers, unreachable when none of the round did.
  struct Probing {
    int outstanding = 0;  // probes of this round still waiting
    bool round_answered = false;
    sip::TimePoint next{};
    int failures = 0;                       // rounds in a row with no answer
    std::optional<sip::Endpoint> answered;  // the path that answered: calls go there
  };

  // discovery::DiscoveryListener
  void on_record(const discovery::ServiceRecord& record) override;
  void on_record_removed(const discovery::RecordKey& key) override;
  void on_all_removed() override;

  void apply(const std::vector<core::PeerChange>& changes);
  static gboolean on_settled(gpointer data);
  static gboolean on_soon(gpointer data);
  static gboolean on_tick(gpointer data);
  void tick();
  void send_probes(const core::Peer& peer, Probing& probing);
  void end_round(const std::string& key, Probing& probing);
  std::vector<sip::Endpoint> endpoints(const core::Peer& peer) const;
  std::vector<sip::Endpoint> probe_paths(const core::Peer& peer) const;
  // The discovered Lanline peer that takes TLS and has `uri` among its own, if any.
  const core::Peer* tls_peer_with_uri(const sip::Uri& uri) const;
  const core::Peer* one_peer(const std::string& target, const char* verb, std::string& error) const;
  void check_identity(const core::Peer& peer);
  nlohmann::json with_identity(const core::Peer& peer) const;

  GMainContext* context_;
  core::UserAgent& ua_;
  std::string own_instance_id_;
  Emit emit_;
  std::function<void()> after_send_;
  ProbePolicy policy_;
  core::PeerDirectory directory_;
  discovery::Advert advert_;
  std::unique_ptr<discovery::Discovery> discovery_;
  std::map<std::string, Probing> probing_;             // peer key -> its probes
  std::map<std::uint64_t, std::string> probe_peer_;    // probe id -> peer key
  std::map<std::uint64_t, sip::Endpoint> pending_to_;  // probe id -> where it went
  glib::SourceHandle tick_;
  glib::SourceHandle soon_;  // an immediate tick: a new peer is probed at once
  // First sightings of records without an instance id (Ekiga's _sip._udp, which a Lanline
  // node publishes too), held back a moment: a node's _sipuri records arrive within
  // milliseconds of it, and then it joins that node instead of flashing up as a peer of
  // its own.
  std::map<discovery::RecordKey, discovery::ServiceRecord> settling_;
  glib::SourceHandle settle_;
  IdentityPins* pins_ = nullptr;
  bool tls_ = false;
  // Why the last TLS connection to a peer was refused, by peer key (shown in `peers`).
  std::map<std::string, std::string> tls_refusals_;
  // Each peer's identity against its pin, by peer key, and the fingerprint it announced.
  struct Identity {
    IdentityCheck check;
    std::string announced;
  };
  std::map<std::string, Identity> identities_;
};

nlohmann::json peer_json(const core::Peer& peer);

}  // namespace lanline::engine
