// The address a node names in its "ready" line: what a person on the LAN would dial.
#pragma once

#include <string>

namespace lanline::app {

// The first IPv4 address of an interface that is up and not loopback, else "127.0.0.1".
std::string first_lan_ipv4_address();

}  // namespace lanline::app
