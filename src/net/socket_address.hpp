// Between the text addresses of sip::Endpoint and GIO socket addresses. IPv6 addresses
// are written without brackets, a link-local one with its interface ("fe80::1%eth0"),
// so an Endpoint taken from a received message can be sent back to as it is.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "glib_support/handles.hpp"
#include "sip/endpoint.hpp"

namespace lanline::net {

// An IP literal ("192.0.2.1", "::1", "[::1]", "fe80::1%eth0") and a port; empty when
// `address` is not one (host names are resolved above the transport, RFC 3263).
glib::GObjectPtr<GSocketAddress> socket_address(std::string_view address, std::uint16_t port);

// "192.0.2.1", "2001:db8::1", "fe80::1%eth0".
std::string address_text(GInetSocketAddress* address);

// Where a message came from, as the transaction layer wants it (RFC 3261 18.2.1).
sip::Endpoint endpoint_of(GSocketAddress* address, sip::TransportKind transport,
                          std::uint64_t connection = 0);

// One spelling per address and port ("[::1]:5060"), to find a connection by its peer.
std::string peer_key(GSocketAddress* address);

}  // namespace lanline::net
