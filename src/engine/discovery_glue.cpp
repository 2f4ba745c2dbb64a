#include "engine/discovery_glue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "glib_support/callbacks.hpp"
#include "sip/parser.hpp"

namespace lanline::engine {
namespace {

// Whether a peer's comma-separated `caps` names `cap`.
bool has_cap(std::string_view caps, std::string_view cap) {
  while (!caps.empty()) {
    const std::size_t comma = caps.find(',');
    if (caps.substr(0, comma) == cap) return true;
    if (comma == std::string_view::npos) break;
    caps.remove_prefix(comma + 1);
  }
  return false;
}

using nlohmann::json;

// Probes go out from a tick this often; it bounds how late a due probe can be.
constexpr guint kTickMs = 500;
// How long a first-seen record without an instance id waits for its node's other records.
constexpr guint kSettleMs = 250;

sip::TimePoint now() {
  return std::chrono::steady_clock::now();
}

json failure(std::string error) {
  return json{{"ok", false}, {"error", std::move(error)}};
}

}  // namespace

json peer_json(const core::Peer& peer) {
  json addresses = json::array();
  for (const core::PeerAddress& address : peer.addresses) {
    addresses.push_back(json{
        {"address", address.address}, {"port", address.port}, {"transport", address.transport}});
  }
  return json{{"name", peer.name},
              {"instance_id", peer.instance_id},
              {"key", peer.key},
              {"uris", peer.uris},
              {"addresses", addresses},
              {"presence", peer.presence},
              {"note", peer.note},
              {"caps", peer.caps},
              {"reachable", peer.reachable},
              {"software", peer.software},
              {"fp", peer.fp},
              {"host", peer.host_name}};
}

DiscoveryGlue::DiscoveryGlue(GMainContext* context, core::UserAgent& ua,
                             std::string own_instance_id, Emit emit,
                             std::function<void()> after_send, ProbePolicy policy)
    : context_(context),
      ua_(ua),
      own_instance_id_(own_instance_id),
      emit_(std::move(emit)),
      after_send_(std::move(after_send)),
      policy_(policy),
      directory_(std::move(own_instance_id)) {}

// The Avahi client goes first: its callbacks reach into the directory and the probes.
DiscoveryGlue::~DiscoveryGlue() {
  discovery_.reset();
}

void DiscoveryGlue::start(discovery::Advert advert, std::uint16_t port, bool publish) {
  advert_ = advert;
  if (!publish) {
    spdlog::info("discovery is off (--no-discovery): peers can be called by address");
    return;
  }
  discovery_ = discovery::Discovery::create(context_, std::move(advert), port, *this);
  GSource* source = g_timeout_source_new(kTickMs);
  g_source_set_callback(source, &DiscoveryGlue::on_tick, this, nullptr);
  g_source_attach(source, context_);
  tick_ = glib::SourceHandle(source);
}

// ---- Records in, changes out ----

void DiscoveryGlue::on_record(const discovery::ServiceRecord& record) {
  spdlog::debug("discovery: {} '{}' if {} IPv{} at {} port {}",
                discovery::type_name(record.key.type), record.key.instance_name,
                record.key.interface, record.key.protocol, record.address, record.port);
  bool seen = settling_.count(record.key) || directory_.has_record(record.key);
  if (!seen && !record.own && !record.txt.count("instance_id")) {
    settling_[record.key] = record;
    if (!settle_)
      settle_ = glib::add_timeout(context_, kSettleMs, &DiscoveryGlue::on_settled, this);
    return;
  }
  if (auto it = settling_.find(record.key); it != settling_.end()) {
    it->second = record;  // still settling: the newest data goes in when it ends
    return;
  }
  apply(directory_.upsert(record));
}

gboolean DiscoveryGlue::on_settled(gpointer data) {
  auto* glue = static_cast<DiscoveryGlue*>(data);
  return glib::guarded("discovery", [&] {
    glue->settle_.reset();
    auto records = std::move(glue->settling_);
    glue->settling_.clear();
    for (auto& [key, record] : records)
      glue->apply(glue->directory_.upsert(record));
    return G_SOURCE_REMOVE;
  });
}

void DiscoveryGlue::on_record_removed(const discovery::RecordKey& key) {
  if (settling_.erase(key)) return;
  apply(directory_.remove(key));
}

void DiscoveryGlue::on_all_removed() {
  settling_.clear();
  apply(directory_.clear());
}

void DiscoveryGlue::apply(const std::vector<core::PeerChange>& changes) {
  for (const core::PeerChange& change : changes) {
    const core::Peer& peer = change.peer;
    if (change.kind != core::PeerChange::Kind::kRemoved) check_identity(peer);
    switch (change.kind) {
      case core::PeerChange::Kind::kAdded:
        spdlog::info("peer '{}' appeared ({})", peer.name, peer.key);
        probing_[peer.key] = Probing{};
        if (!soon_) soon_ = glib::add_timeout(context_, 0, &DiscoveryGlue::on_soon, this);
        break;
      case core::PeerChange::Kind::kUpdated: {
        // New addresses or records: ask again now rather than at the next interval.
        Probing& probing = probing_[peer.key];
        if (probing.outstanding == 0 && !peer.reachable) {
          probing.next = sip::TimePoint{};
          if (!soon_) soon_ = glib::add_timeout(context_, 0, &DiscoveryGlue::on_soon, this);
        }
        break;
      }
      case core::PeerChange::Kind::kRemoved:
        spdlog::info("peer '{}' is gone ({})", peer.name, peer.key);
        // Probes still out find no owner when they end, even if the peer comes back first.
        probing_.erase(peer.key);
        std::erase_if(probe_peer_, [&](const auto& entry) { return entry.second == peer.key; });
        break;
    }
    json event = with_identity(peer);
    if (change.kind == core::PeerChange::Kind::kRemoved) identities_.erase(peer.key);
    event["event"] = std::string(to_string(change.kind));
    emit_(event);
  }
}

// ---- Probes ----

gboolean DiscoveryGlue::on_soon(gpointer data) {
  auto* glue = static_cast<DiscoveryGlue*>(data);
  return glib::guarded("discovery probes", [&] {
    glue->soon_.reset();
    glue->tick();
    return G_SOURCE_REMOVE;
  });
}

gboolean DiscoveryGlue::on_tick(gpointer data) {
  auto* glue = static_cast<DiscoveryGlue*>(data);
  return glib::guarded("discovery probes", [&] {
    glue->tick();
    return G_SOURCE_CONTINUE;
  });
}

void DiscoveryGlue::tick() {
  sip::TimePoint at = now();
  bool sent = false;
  for (auto& [key, probing] : probing_) {
    if (probing.outstanding != 0 || probing.next > at) continue;
    const core::Peer* peer = directory_.find(key);
    if (!peer) continue;
    send_probes(*peer, probing);
    sent = true;
  }
  if (sent && after_send_) after_send_();
}

// Where a peer can be reached: over TLS alone when both sides take it (never falling
// back to plain SIP, which anyone on the LAN could read or a blocked port could force);
// else UDP before TCP. Each in the directory's order (IPv4, then global IPv6, then
// link-local).
std::vector<sip::Endpoint> DiscoveryGlue::endpoints(const core::Peer& peer) const {
  std::vector<sip::Endpoint> out;
  for (const char* transport : {"tls", "udp", "tcp"}) {
    if (std::string_view(transport) == "tls" && !tls_) continue;
    for (const core::PeerAddress& address : peer.addresses) {
      if (address.transport != transport || address.port == 0) continue;
      sip::Endpoint endpoint;
      endpoint.address = address.address;
      endpoint.port = address.port;
      endpoint.transport =
          sip::transport_named(address.transport).value_or(sip::TransportKind::kUdp);
      out.push_back(endpoint);
    }
    if (!out.empty() && out.front().transport == sip::TransportKind::kTls) return out;
  }
  return out;
}

std::vector<sip::Endpoint> DiscoveryGlue::probe_paths(const core::Peer& peer) const {
  std::vector<sip::Endpoint> all = endpoints(peer), udp;
  if (!all.empty() && all.front().transport == sip::TransportKind::kTls) return all;
  for (const sip::Endpoint& endpoint : all)
    if (!endpoint.reliable()) udp.push_back(endpoint);
  return udp.empty() ? all : udp;
}

void DiscoveryGlue::send_probes(const core::Peer& peer, Probing& probing) {
  std::vector<sip::Endpoint> paths = probe_paths(peer);
  probing.round_answered = false;
  for (const sip::Endpoint& to : paths) {
    // The peer's own URI names the user we expect there; an Ekiga peer's is sip:ADDRESS.
    std::string text = peer.uris.empty() ? std::string() : peer.uris.front();
    auto uri = sip::parse_uri(text);
    if (!uri) {
      text = "sip:" +
             (to.address.find(':') == std::string::npos ? to.address : "[" + to.address + "]");
      uri = sip::parse_uri(text);
      if (!uri) continue;
    }
    core::Outcome outcome = ua_.probe(*uri, to, now());
    if (!outcome.ok()) {
      spdlog::debug("peer '{}': cannot probe {}: {}", peer.name, sip::to_string(to), outcome.error);
      continue;
    }
    probing.outstanding++;
    probe_peer_[outcome.id] = peer.key;
    pending_to_[outcome.id] = to;
  }
  if (probing.outstanding == 0) {
    // Nothing could be sent (no address yet): look again later, and say so.
    end_round(peer.key, probing);
  }
}

void DiscoveryGlue::on_probe_result(std::uint64_t probe_id, int code) {
  std::optional<sip::Endpoint> to;
  if (auto it = pending_to_.find(probe_id); it != pending_to_.end()) {
    to = it->second;
    pending_to_.erase(it);
  }
  auto owner = probe_peer_.find(probe_id);
  if (owner == probe_peer_.end()) return;
  std::string key = owner->second;
  probe_peer_.erase(owner);
  auto it = probing_.find(key);
  if (it == probing_.end()) return;  // the peer went away meanwhile
  Probing& probing = it->second;
  probing.outstanding--;
  // Any final answer means a SIP node listens there, even a 405 or 501 from one that does
  // not do OPTIONS; but a 404 (or 604) says the user is not there: another node took the
  // address and port of one that vanished. 408 and 503 are our own verdicts for silence
  // and for a send that failed.
  bool answered = code != 408 && code != 503 && code != 404 && code != 604;
  if (answered && to) {
    // The first path to answer in a round is the one calls take, unless the one they took
    // before answers too: a call's path does not flap between equal ones.
    if (!probing.round_answered || (probing.answered && *probing.answered == *to))
      probing.answered = to;
    probing.round_answered = true;
    const core::Peer* peer = directory_.find(key);
    if (peer && !peer->reachable)
      spdlog::info("peer '{}' is reachable at {}", peer->name, sip::to_string(*to));
    apply(directory_.set_reachable(key, true));
  }
  if (probing.outstanding == 0) end_round(key, probing);
}

void DiscoveryGlue::end_round(const std::string& key, Probing& probing) {
  if (probing.round_answered) {
    probing.failures = 0;
    probing.next = now() + policy_.interval;
    return;
  }
  probing.failures++;
  probing.answered.reset();
  // A peer that never answered is asked less and less often; one that stops answering is
  // asked again at the normal interval first.
  auto wait = policy_.interval * (1 << std::min(probing.failures - 1, 4));
  probing.next = now() + std::min<sip::Duration>(wait, policy_.longest);
  const core::Peer* peer = directory_.find(key);
  if (peer && peer->reachable) spdlog::info("peer '{}' is not answering", peer->name);
  apply(directory_.set_reachable(key, false));
}

// ---- Commands ----

// ---- Identities: trust on first use ----

// The peer's announced fingerprint against the one pinned for its instance id. A new
// mismatch is said loudly, once per fingerprint, and announced as an event of its own.
void DiscoveryGlue::check_identity(const core::Peer& peer) {
  if (!pins_) return;
  Identity& identity = identities_[peer.key];
  const bool known_mismatch =
      identity.check.state == IdentityState::kChanged && identity.announced == peer.fp;
  identity.check = pins_->check(peer.instance_id, peer.fp);
  identity.announced = peer.fp;
  if (identity.check.first_seen)
    spdlog::info("pinned the identity of '{}' ({}): {}", peer.name, peer.instance_id, peer.fp);
  if (identity.check.state != IdentityState::kChanged || known_mismatch) return;
  spdlog::warn(
      "IDENTITY CHANGED: '{}' ({}) now announces {}, not the {} pinned when it was first seen: "
      "someone may be posing as it. Not trusted: check with them, then `lanline ctl trust {}` "
      "to accept the new identity",
      peer.name, peer.instance_id, peer.fp, identity.check.pinned, peer.instance_id);
  json event{
      {"event", "peer.identity_changed"}, {"key", peer.key}, {"name", peer.name},
      {"instance_id", peer.instance_id},  {"fp", peer.fp},   {"pinned_fp", identity.check.pinned}};
  emit_(event);
}

json DiscoveryGlue::with_identity(const core::Peer& peer) const {
  json entry = peer_json(peer);
  auto it = identities_.find(peer.key);
  const IdentityState state =
      it == identities_.end() ? IdentityState::kUnknown : it->second.check.state;
  entry["identity"] = to_string(state);
  if (auto refused = tls_refusals_.find(peer.key); refused != tls_refusals_.end())
    entry["tls_error"] = refused->second;
  if (state == IdentityState::kChanged) entry["pinned_fp"] = it->second.check.pinned;
  return entry;
}

// The one discovered peer `target` names (its name or instance id); nullptr with an
// empty `error` when it names none, with one listing their instance ids (for the user to
// `verb` one by) when it names several.
const core::Peer* DiscoveryGlue::one_peer(const std::string& target, const char* verb,
                                          std::string& error) const {
  std::vector<const core::Peer*> peers = directory_.match(target);
  if (peers.empty()) return nullptr;
  if (peers.size() > 1) {
    error = "'" + target + "' names " + std::to_string(peers.size()) + " peers; " + verb +
            " one by its instance id:";
    for (const core::Peer* peer : peers)
      error += " " +
               (peer->instance_id.empty() ? peer->uris.empty() ? peer->key : peer->uris.front()
                                          : peer->instance_id) +
               " (" +
               (peer->addresses.empty() ? peer->host_name : peer->addresses.front().address) + ")";
    return nullptr;
  }
  return peers.front();
}

json DiscoveryGlue::trust(const json& request) {
  const std::string target = request.value("target", "");
  std::string error;
  const core::Peer* found = one_peer(target, "trust", error);
  if (!found) {
    return failure(error.empty() ? "no discovered peer '" + target + "' (see `lanline ctl peers`)"
                                 : error);
  }
  const core::Peer& peer = *found;
  if (peer.instance_id.empty() || peer.fp.empty())
    return failure("peer '" + peer.name + "' announces no identity (instance_id and fp) to trust");
  if (!pins_) return failure("identities cannot be pinned: the profile's database did not open");
  if (!pins_->trust(peer.instance_id, peer.fp, error)) return failure(error);
  spdlog::warn("the user trusts the new identity of '{}' ({}): {}", peer.name, peer.instance_id,
               peer.fp);
  identities_.erase(peer.key);
  check_identity(peer);
  json event = with_identity(peer);
  event["event"] = "peer.updated";
  emit_(event);
  return json{{"ok", true}, {"instance_id", peer.instance_id}, {"fp", peer.fp}};
}

json DiscoveryGlue::peers() const {
  json list = json::array();
  for (const auto& [key, peer] : directory_.peers()) {
    json entry = with_identity(peer);
    // The path calls take: the one that answered the last probes.
    auto probing = probing_.find(key);
    entry["path"] = probing != probing_.end() && probing->second.answered
                        ? sip::to_string(*probing->second.answered)
                        : "";
    list.push_back(entry);
  }
  json reply{{"ok", true}, {"peers", list}};
  if (!discovery_)
    reply["discovery"] = "off (--no-discovery)";
  else if (!discovery_->running())
    reply["discovery"] = "waiting for avahi-daemon";
  else
    reply["discovery"] = "on";
  return reply;
}

json DiscoveryGlue::presence(const json& request) {
  std::string state = request.value("state", "");
  if (state != "available" && state != "away" && state != "busy")
    return failure("presence must be available, away or busy (then an optional note)");
  json note = request.value("note", json(""));
  if (!note.is_string()) return failure("the presence note must be text");
  advert_.state = state;
  advert_.note = note.get<std::string>();
  if (discovery_) discovery_->update(advert_);
  spdlog::info("presence {}{}", state, advert_.note.empty() ? "" : " (" + advert_.note + ")");
  return json{{"ok", true},
              {"presence", advert_.state},
              {"note", advert_.note},
              {"published", discovery_ != nullptr}};
}

void DiscoveryGlue::add_status(json& status) const {
  status["instance_id"] = own_instance_id_;
  status["presence"] = advert_.state;
  status["note"] = advert_.note;
  status["fp"] = advert_.fp;
  status["discovery"] = !discovery_             ? "off"
                        : discovery_->running() ? "on"
                                                : "waiting for avahi-daemon";
}

std::optional<DiscoveryGlue::Target> DiscoveryGlue::call_target(const std::string& target,
                                                                std::string& error,
                                                                bool* lasting) const {
  if (lasting) *lasting = true;
  const core::Peer* found = one_peer(target, "call", error);
  if (!found) return std::nullopt;
  const core::Peer& peer = *found;
  if (auto it = identities_.find(peer.key);
      it != identities_.end() && it->second.check.state == IdentityState::kChanged) {
    // Never a silent call to someone who may be posing as the peer: the user decides.
    error = "peer '" + peer.name + "' (" + peer.instance_id + ") announces another identity (" +
            peer.fp + ") than the one pinned when it was first seen (" + it->second.check.pinned +
            "): someone may be posing as it. Check with them; to accept the new identity, " +
            "`lanline ctl trust " + peer.instance_id + "`, then call again";
    return std::nullopt;
  }
  if (auto refused = tls_refusals_.find(peer.key); refused != tls_refusals_.end()) {
    error = "peer '" + peer.name + "' cannot be called safely: " + refused->second;
    return std::nullopt;
  }
  if (lasting) *lasting = false;  // what follows may pass
  if (!peer.reachable) {
    // Never a ghost: a peer is callable once it answered a probe, and while it does.
    error = "peer '" + peer.name + "' is not answering (reachable: false)" +
            (peer.uris.empty() ? std::string() : "; to try anyway, call " + peer.uris.front());
    return std::nullopt;
  }
  std::vector<sip::Endpoint> candidates = endpoints(peer);
  if (candidates.empty() || peer.uris.empty()) {
    error = "peer '" + peer.name + "' has no address to call yet";
    return std::nullopt;
  }
  Target out;
  out.uri = peer.uris.front();
  out.endpoint = candidates.front();
  if (has_cap(peer.caps, "dtls")) out.fingerprint = peer.fp;
  // The address that answered the last probe is one that works from here.
  if (auto it = probing_.find(peer.key); it != probing_.end() && it->second.answered)
    out.endpoint = *it->second.answered;
  return out;
}

std::optional<DiscoveryGlue::Target> DiscoveryGlue::secure_target_for_uri(
    const std::string& uri) const {
  auto wanted = sip::parse_uri(uri);
  if (!wanted || !tls_) return std::nullopt;
  const core::Peer* peer = tls_peer_with_uri(*wanted);
  if (!peer) return std::nullopt;
  std::string error;
  auto target = call_target(peer->instance_id.empty() ? peer->key : peer->instance_id, error);
  if (!target || target->endpoint.transport != sip::TransportKind::kTls) return std::nullopt;
  target->uri = uri;
  return target;
}

const core::Peer* DiscoveryGlue::tls_peer_with_uri(const sip::Uri& uri) const {
  for (const auto& [key, peer] : directory_.peers()) {
    if (peer.fp.empty() || !has_cap(peer.caps, "tls")) continue;
    for (const std::string& text : peer.uris) {
      auto theirs = sip::parse_uri(text);
      if (theirs && sip::uri_equivalent(uri, *theirs)) return &peer;
    }
  }
  return nullptr;
}

std::string DiscoveryGlue::check_tls_peer(const sip::Endpoint& to, bool we_connected,
                                          const std::string& fingerprint) {
  // Who connects to us is known from what it asks for (check_claim): its source port
  // says nothing, and a node we have not discovered yet is no impostor.
  if (!we_connected) return {};
  std::vector<const core::Peer*> there;  // Lanline peers announced at that TLS address
  for (const auto& [key, peer] : directory_.peers()) {
    if (peer.fp.empty()) continue;
    for (const core::PeerAddress& address : peer.addresses) {
      if (address.transport == "tls" && address.address == to.address && address.port == to.port) {
        there.push_back(&peer);
        break;
      }
    }
  }
  if (there.empty()) return {};  // a stranger's address: nobody announced an identity there
  for (const core::Peer* peer : there) {
    if (peer->fp != fingerprint) continue;
    // The certificate it announces. If that is not the pinned one the peer is flagged,
    // and calls and messages to it wait for the user (call_target); probes may go, so
    // that "trust and call" finds it reachable.
    tls_refusals_.erase(peer->key);
    return {};
  }
  const core::Peer& peer = *there.front();
  std::string why = "its TLS address " + sip::to_string(to) + " answered with a certificate (" +
                    (fingerprint.empty() ? std::string("none") : fingerprint) +
                    ") other than the one it announces (" + peer.fp +
                    "): someone may be in the middle";
  tls_refusals_[peer.key] = why;
  return "peer '" + peer.name + "': " + why;
}

std::string DiscoveryGlue::check_claim(const sip::Uri& from, const std::string& fingerprint,
                                       bool* claimed) const {
  const core::Peer* peer = tls_peer_with_uri(from);
  if (claimed) *claimed = peer != nullptr;
  if (!peer || peer->fp == fingerprint) return {};
  return "the request says it is from '" + peer->name + "' (" + std::string(from.text) +
         ") but its TLS certificate (" + (fingerprint.empty() ? "none" : fingerprint) +
         ") is not the one that peer announces";
}

}  // namespace lanline::engine
