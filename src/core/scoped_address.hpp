// IPv6 link-local targets. A link-local address means nothing without its interface, and
// RFC 3261's grammar has no room for one; RFC 6874 writes it in a URI as
// "[fe80::1%25eth0]". Discovery hands out such URIs, and people paste "%eth0" too. The
// request gets the URI without the zone; the socket gets the address with it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lanline::core {

struct ScopedUri {
  std::string uri;   // "sip:alice@[fe80::1]:5060"
  std::string zone;  // "eth0"
};

// nullopt when `uri` has no zone in an IPv6 reference (then it is used as it is).
std::optional<ScopedUri> split_zone(std::string_view uri);

}  // namespace lanline::core
