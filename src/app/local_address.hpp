// The address a node names in its "ready" line: what a person on the LAN would dial.
#pragma once

#include <string>

namespace lanline::app {

// The host part of a SIP URI for this host: the first IPv4 address of an interface that is
// up and not loopback; else, on an IPv6-only host, its first global or unique-local IPv6
// address, else its first link-local one with the interface ("[fe80::1%25eth0]", RFC
// 6874); "127.0.0.1" when there is none of these.
std::string dialable_host();

}  // namespace lanline::app
