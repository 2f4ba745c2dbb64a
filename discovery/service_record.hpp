// What discovery hands the core: one resolved DNS-SD service instance as seen on one
// interface and protocol (RFC 6763), raw, before any merging into peers. Pure data, so the
// core's PeerDirectory needs neither Avahi nor GLib.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace lanline::discovery {

// The three service types of DESIGN.md, "Discovery".
enum class ServiceType {
  kSipUriUdp,  // _sipuri._udp: Blink / python-sipsimple keys, plus Lanline's caps and fp
  kSipUriTcp,  // _sipuri._tcp: the same over TCP
  kSipUdp,     // _sip._udp: Ekiga's keys
};
std::string_view type_name(ServiceType type);  // "_sipuri._udp" ...

// One instance is reported separately per interface and per protocol mDNS ran over; the
// four together name it (avahi_service_browser's NEW and REMOVE events).
struct RecordKey {
  ServiceType type = ServiceType::kSipUriUdp;
  std::string instance_name;
  int interface = 0;  // interface index
  int protocol = 0;   // 4 or 6: the family mDNS ran over, which is also the address's family

  bool operator<(const RecordKey& other) const {
    return std::tie(type, instance_name, interface, protocol) <
           std::tie(other.type, other.instance_name, other.interface, other.protocol);
  }
  bool operator==(const RecordKey& other) const {
    return type == other.type && instance_name == other.instance_name &&
           interface == other.interface && protocol == other.protocol;
  }
};

struct ServiceRecord {
  RecordKey key;
  std::string host_name;  // "alice-laptop.local"
  std::string address;    // "198.18.0.1", "fe80::1%eth0" (a link-local address keeps its scope)
  std::uint16_t port = 0;
  std::map<std::string, std::string> txt;  // keys lower-cased (RFC 6763 6.4), first one wins
  bool own = false;  // published by this very node (Avahi's AVAHI_LOOKUP_RESULT_OUR_OWN)
};

}  // namespace lanline::discovery
