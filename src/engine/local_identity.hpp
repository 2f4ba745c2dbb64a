// Who this node is when nothing is configured: the login name, the user's full name, and
// an address of this host that peers can reach.
#pragma once

#include <string>

namespace lanline::engine {

std::string login_name();            // $USER, else the passwd entry, else "lanline"
std::string full_name();             // the passwd GECOS name, else the login name
std::string primary_ipv4_address();  // the first non-loopback IPv4 address, else 127.0.0.1
std::string primary_ipv6_address();  // the first global or unique-local IPv6 address, else
// The address this host sends from towards `peer` (IPv4, or IPv6 with an optional %zone),
// as the routing table chooses it (a UDP socket connected, never sent on); "" when there
// is no route or `peer` is not an address. An IPv6 link-local answer has no zone.
std::string source_address_towards(const std::string& peer);

}  // namespace lanline::engine
