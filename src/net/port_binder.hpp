// Binding one SIP port for UDP and TCP on each address family (RFC 3261 18: a UA must
// listen on both, on the same port). A taken port moves the search to the next one, so
// several nodes can share a host (DESIGN.md: --sip-port takes the next free port).
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "glib_support/handles.hpp"

namespace lanline::net {

struct BindRequest {
  std::uint16_t port = 5060;  // 0: any port free for both UDP and TCP
  int attempts = 20;          // ports tried: port, port+1, ... (or ephemeral picks for 0)
  std::string ipv4;           // "" to skip the family
  std::string ipv6;
  bool udp = true;  // false: TCP alone (the SIP-over-TLS listener)
};

struct FamilySockets {
  GSocketFamily family = G_SOCKET_FAMILY_IPV4;
  glib::GObjectPtr<GSocket> udp;  // null when not asked for
  glib::GObjectPtr<GSocket> tcp;  // listening
};

struct BoundPort {
  std::uint16_t port = 0;
  std::vector<FamilySockets> families;  // IPv4 first, when bound
};

// Non-blocking sockets, IPV6_V6ONLY on the IPv6 ones (so each family has its own socket
// and neither takes the other's traffic), SO_REUSEADDR on TCP only (a listener may come
// back while old connections linger in TIME_WAIT; on UDP it would let two nodes share a
// port). IPv6 is skipped with a warning when the host has none. On failure `error` says
// what happened and what to do.
std::optional<BoundPort> bind_sip_port(const BindRequest& request, std::string& error);

}  // namespace lanline::net
