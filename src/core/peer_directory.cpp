#include "core/peer_directory.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "discovery/txt_record.hpp"
#include "sip/dialog.hpp"
#include "sip/uri.hpp"

namespace lanline::core {
namespace {

using discovery::ServiceRecord;
using discovery::ServiceType;

// A _sipuri._tcp record whose contact says transport=tls (or is a sips: URI): where the
// node takes SIP over TLS. Port 0 for any other record.
PeerAddress tls_address(const ServiceRecord& record, const std::string& contact) {
  if (record.key.type != ServiceType::kSipUriTcp || record.address.empty()) return {};
  auto uri = sip::parse_uri(contact);
  if (!uri || !uri->is_sip() || sip::transport_for(*uri) != sip::TransportKind::kTls) return {};
  return PeerAddress{record.address, static_cast<std::uint16_t>(sip::default_port_for(*uri)),
                     "tls"};
}

std::string txt(const ServiceRecord& record, const std::string& key) {
  auto it = record.txt.find(key);
  return it == record.txt.end() ? std::string() : it->second;
}

std::string host_port(const ServiceRecord& record) {
  return record.host_name + ":" + std::to_string(record.port);
}

bool is_sipuri(const ServiceRecord& record) {
  return record.key.type != ServiceType::kSipUdp;
}

// 0: IPv4, 1: IPv6 with a global or unique-local address, 2: IPv6 link-local.
int address_rank(const std::string& address) {
  if (address.find(':') == std::string::npos) return 0;
  std::string lower = address.substr(0, 4);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.rfind("fe8", 0) == 0 || lower.rfind("fe9", 0) == 0 || lower.rfind("fea", 0) == 0 ||
                 lower.rfind("feb", 0) == 0
             ? 2
             : 1;
}

// "sip:198.18.0.2:5060", "sip:[fe80::1%25eth0]:5060" (RFC 6874 escapes the '%').
std::string uri_for(const std::string& address, std::uint16_t port) {
  if (address.find(':') == std::string::npos) return "sip:" + address + ":" + std::to_string(port);
  std::string escaped;
  for (char c : address)
    escaped += c == '%' ? std::string("%25") : std::string(1, c);
  return "sip:[" + escaped + "]:" + std::to_string(port);
}

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
    list.push_back(std::move(value));
}

}  // namespace

std::string_view to_string(PeerChange::Kind kind) {
  switch (kind) {
    case PeerChange::Kind::kAdded:
      return "peer.added";
    case PeerChange::Kind::kUpdated:
      return "peer.updated";
    case PeerChange::Kind::kRemoved:
      return "peer.removed";
  }
  return "?";
}

PeerDirectory::PeerDirectory(std::string own_instance_id) : own_(std::move(own_instance_id)) {}

std::vector<PeerChange> PeerDirectory::upsert(const ServiceRecord& record) {
  records_[record.key] = record;
  return rebuild();
}

std::vector<PeerChange> PeerDirectory::remove(const discovery::RecordKey& key) {
  if (records_.erase(key) == 0) return {};
  return rebuild();
}

std::vector<PeerChange> PeerDirectory::clear() {
  records_.clear();
  return rebuild();
}

std::vector<PeerChange> PeerDirectory::set_reachable(const std::string& key, bool reachable) {
  auto it = peers_.find(key);
  if (it == peers_.end() || it->second.reachable == reachable) return {};
  it->second.reachable = reachable;
  return {PeerChange{PeerChange::Kind::kUpdated, it->second}};
}

const Peer* PeerDirectory::find(const std::string& key) const {
  auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : &it->second;
}

std::vector<const Peer*> PeerDirectory::match(std::string_view target) const {
  std::vector<const Peer*> out;
  for (const auto& [key, peer] : peers_) {
    if (!peer.instance_id.empty() && same_text(peer.instance_id, target)) return {&peer};
  }
  for (const auto& [key, peer] : peers_) {
    if (same_text(peer.name, target)) out.push_back(&peer);
  }
  return out;
}

std::vector<PeerChange> PeerDirectory::rebuild() {
  // Which node each record belongs to. First the records that say (instance_id), and
  // the host:port each such node is seen at; this node's own are set aside.
  std::map<std::string, std::string> node_at;  // host:port -> key
  std::set<std::string> own_at;                // host:port of this node's records
  std::map<std::string, std::vector<const ServiceRecord*>> groups;
  std::vector<const ServiceRecord*> without_id;
  for (const auto& [key, record] : records_) {
    std::string id = txt(record, "instance_id");
    if (record.own || (!own_.empty() && id == own_)) {
      own_at.insert(host_port(record));
      continue;
    }
    if (id.empty()) {
      without_id.push_back(&record);
      continue;
    }
    groups[id].push_back(&record);
    node_at.emplace(host_port(record), id);
  }
  for (const ServiceRecord* record : without_id) {
    std::string at = host_port(*record);
    if (own_at.count(at)) continue;
    auto node = node_at.find(at);
    groups[node == node_at.end() ? at : node->second].push_back(record);
  }

  std::map<std::string, Peer> next;
  for (auto& [key, records] : groups) {
    Peer peer;
    peer.key = key;
    std::string sipuri_name, sip_name, uri_instance, sipuri_state, sip_presence, sipuri_note,
        sip_note;
    bool has_state = false, has_presence = false, has_sipuri_note = false;
    std::vector<std::string> address_uris;
    for (const ServiceRecord* record : records) {
      PeerAddress address{record->address, record->port,
                          record->key.type == ServiceType::kSipUriTcp ? "tcp" : "udp"};
      if (!record->address.empty() &&
          std::find(peer.addresses.begin(), peer.addresses.end(), address) == peer.addresses.end())
        peer.addresses.push_back(address);
      if (peer.host_name.empty()) peer.host_name = record->host_name;
      if (is_sipuri(*record)) {
        if (peer.instance_id.empty()) peer.instance_id = txt(*record, "instance_id");
        if (sipuri_name.empty()) sipuri_name = txt(*record, "name");
        if (uri_instance.empty()) uri_instance = record->key.instance_name;
        std::string contact = discovery::strip_angle_brackets(txt(*record, "contact"));
        if (PeerAddress tls = tls_address(*record, contact); tls.port != 0) {
          // SIP over TLS at the record's address, on the contact's port (not a URI of
          // its own: the node's URI is the same over every transport).
          if (std::find(peer.addresses.begin(), peer.addresses.end(), tls) == peer.addresses.end())
            peer.addresses.push_back(tls);
        } else if (contact.rfind("sip:", 0) == 0 || contact.rfind("sips:", 0) == 0) {
          add_unique(peer.uris, contact);
        }
        if (!has_state && record->txt.count("state")) {
          sipuri_state = txt(*record, "state");
          has_state = true;
        }
        if (!has_sipuri_note && record->txt.count("note")) {
          sipuri_note = txt(*record, "note");
          has_sipuri_note = true;
        }
        if (peer.caps.empty()) peer.caps = txt(*record, "caps");
        if (peer.fp.empty()) peer.fp = txt(*record, "fp");
      } else {
        if (sip_name.empty()) sip_name = record->key.instance_name;
        if (!has_presence && record->txt.count("presence")) {
          sip_presence = txt(*record, "presence");
          has_presence = true;
        }
        if (sip_note.empty()) sip_note = txt(*record, "note");
        if (peer.software.empty()) peer.software = txt(*record, "software");
        // Ekiga's records carry no contact: its own list calls sip:HOST:PORT.
        if (!record->address.empty())
          address_uris.push_back(uri_for(record->address, record->port));
      }
    }
    if (peer.uris.empty()) {
      // A _sipuri record whose instance name is its URI (Blink's way) but no contact key.
      if (uri_instance.rfind("sip:", 0) == 0 || uri_instance.rfind("sips:", 0) == 0)
        add_unique(peer.uris, uri_instance);
      std::stable_sort(
          address_uris.begin(), address_uris.end(), [](const std::string& a, const std::string& b) {
            return (a.find('[') != std::string::npos) < (b.find('[') != std::string::npos);
          });
      if (peer.uris.empty())
        for (std::string& uri : address_uris)
          add_unique(peer.uris, std::move(uri));
    }
    peer.name = !sipuri_name.empty() ? sipuri_name : !sip_name.empty() ? sip_name : uri_instance;
    peer.presence = has_state      ? sipuri_state
                    : has_presence ? discovery::state_from_ekiga(sip_presence)
                                   : "available";
    if (peer.presence.empty()) peer.presence = "available";
    peer.note = has_sipuri_note ? sipuri_note : sip_note;
    std::stable_sort(peer.addresses.begin(), peer.addresses.end(),
                     [](const PeerAddress& a, const PeerAddress& b) {
                       return address_rank(a.address) < address_rank(b.address);
                     });
    if (auto old = peers_.find(key); old != peers_.end()) peer.reachable = old->second.reachable;
    next.emplace(key, std::move(peer));
  }

  std::vector<PeerChange> changes;
  for (const auto& [key, peer] : peers_) {
    if (!next.count(key)) changes.push_back({PeerChange::Kind::kRemoved, peer});
  }
  for (const auto& [key, peer] : next) {
    auto old = peers_.find(key);
    if (old == peers_.end()) {
      changes.push_back({PeerChange::Kind::kAdded, peer});
    } else if (!(old->second == peer)) {
      changes.push_back({PeerChange::Kind::kUpdated, peer});
    }
  }
  peers_ = std::move(next);
  return changes;
}

}  // namespace lanline::core
