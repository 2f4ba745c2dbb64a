// Who this node is when nothing is configured: the login name, the user's full name, and
// an address of this host that peers can reach.
#pragma once

#include <string>

namespace lanline::engine {

std::string login_name();            // $USER, else the passwd entry, else "lanline"
std::string full_name();             // the passwd GECOS name, else the login name
std::string primary_ipv4_address();  // the first non-loopback IPv4 address, else 127.0.0.1
std::string primary_ipv6_address();  // the first global or unique-local IPv6 address, else

}  // namespace lanline::engine
