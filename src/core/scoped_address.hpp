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

// `address` ("fe80::1") with the zone of `known` ("fe80::2%eth0") when `address` is
// IPv6 link-local without a zone and `known` has one: a Contact or Via naming a link-local
// address has no zone, and is on the link its message came by. Anything else as it is.
std::string with_zone_of(std::string address, std::string_view known);

}  // namespace lanline::core
