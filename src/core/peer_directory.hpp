// The peers discovery has found: raw DNS-SD records (one per service type, instance,
// interface and protocol) merged into one peer per node. Pure: no GLib, no Avahi, no I/O;
// the engine feeds it records and probe results and publishes what changed.
//
// Merging (DESIGN.md, "Discovery"): records carrying an `instance_id` belong to that
// node; a record without one (Ekiga's _sip._udp, a Blink node) joins the node whose
// records share its host name and port, else it is a peer of its own keyed by them. So a
// Lanline node's _sip._udp record merges with its _sipuri ones, and a node on several
// interfaces and address families is one peer with several addresses.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/service_record.hpp"

namespace lanline::core {

struct PeerAddress {
  std::string address;  // "198.18.0.2", "fe80::1%eth0"
  std::uint16_t port = 0;
  std::string transport;  // "udp", "tcp" or "tls"
  bool operator==(const PeerAddress&) const = default;
};

struct Peer {
  std::string key;  // the instance id, else "HOST:PORT"
  std::string name;
  std::string instance_id;  // empty for a peer that publishes none (Blink, Ekiga)
  std::vector<std::string> uris;
  std::vector<PeerAddress> addresses;  // IPv4 first, then global IPv6, then link-local
  std::string presence = "available";  // available | away | busy | offline | what it said
  std::string note;
  std::string caps;
  std::string software;
  std::string fp;
  std::string host_name;
  bool reachable = false;  // a probe was answered, and the last one was
  bool operator==(const Peer&) const = default;
};

struct PeerChange {
  enum class Kind { kAdded, kUpdated, kRemoved };
  Kind kind = Kind::kAdded;
  Peer peer;
};
std::string_view to_string(PeerChange::Kind kind);  // "peer.added" ...

class PeerDirectory {
 public:
  // Records with this instance id are this node's own and never shown.
  explicit PeerDirectory(std::string own_instance_id);

  std::vector<PeerChange> upsert(const discovery::ServiceRecord& record);
  std::vector<PeerChange> remove(const discovery::RecordKey& key);
  std::vector<PeerChange> clear();  // the daemon went away
  std::vector<PeerChange> set_reachable(const std::string& key, bool reachable);

  const std::map<std::string, Peer>& peers() const { return peers_; }
  const Peer* find(const std::string& key) const;
  // The peers a person means by `target`: its instance id, else its name (case-blind).
  std::vector<const Peer*> match(std::string_view target) const;
  std::size_t records() const { return records_.size(); }
  bool has_record(const discovery::RecordKey& key) const { return records_.count(key) != 0; }

 private:
  std::vector<PeerChange> rebuild();

  std::string own_;
  std::map<discovery::RecordKey, discovery::ServiceRecord> records_;
  std::map<std::string, Peer> peers_;
};

}  // namespace lanline::core
