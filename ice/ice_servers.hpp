// The STUN and TURN servers a user configures (--stun HOST:PORT, --turn URI), read into
// what IceConfig takes. The host may be a name: the engine looks it up before the agents
// use it, since libnice resolves nothing itself.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "ice/ice_agent.hpp"

namespace lanline::ice {

// HOST:PORT or [IPv6]:PORT; the port defaults to 3478 (RFC 8489 18.6).
Result<StunServer, std::string> parse_stun_server(std::string_view text);

// turn:USER:PASSWORD@HOST[:PORT][?transport=udp|tcp] (RFC 7065, with the credentials in
// its user part as --turn takes them; percent-escapes in them are decoded). turns: is
// TURN over TLS, which libnice's relay types do not offer over UDP: refused with a reason.
Result<TurnServer, std::string> parse_turn_uri(std::string_view text);

// Whether `host` is an IPv4 or IPv6 literal (no lookup needed).
bool is_ip_literal(const std::string& host);

}  // namespace lanline::ice
