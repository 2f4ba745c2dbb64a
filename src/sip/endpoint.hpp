// Where a message comes from or goes to, as the transaction layer sees it: an address,
// a port and a transport. The transport layer fills `connection` for TCP and TLS, so a response
// can go back over the connection its request came on (RFC 3261 18.2.2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lanline::sip {

enum class TransportKind : std::uint8_t { kUdp, kTcp, kTls };

struct Endpoint {
  std::string address;  // IPv4 or IPv6 text, without brackets
  std::uint16_t port = 0;
  TransportKind transport = TransportKind::kUdp;
  std::uint64_t connection = 0;  // TCP or TLS connection id, 0 for none

  bool reliable() const { return transport != TransportKind::kUdp; }
  // On this host (127/8, ::1, or IPv4-mapped 127/8): the user's own programs.
  bool loopback() const {
    return address.rfind("127.", 0) == 0 || address == "::1" ||
           address.rfind("::ffff:127.", 0) == 0;
  }
  bool operator==(const Endpoint& other) const {
    return address == other.address && port == other.port && transport == other.transport;
  }
};

std::string to_string(const Endpoint& endpoint);      // "udp:192.0.2.1:5060", "tls:[::1]:5061"
std::string_view transport_name(TransportKind kind);  // "UDP", "TCP", "TLS"
// The URI parameter's value: "udp", "tcp", "tls"; nullopt for any other.
std::optional<TransportKind> transport_named(std::string_view name);

}  // namespace lanline::sip
