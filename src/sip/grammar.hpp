// Grammar pieces shared by the URI and header parsers (RFC 3261 25.1). Internal to src/sip.
#pragma once

#include <optional>
#include <string_view>

#include "result.hpp"
#include "scanner.hpp"
#include "uri.hpp"

namespace lanline::sip {

bool hexseq(std::string_view s, int& groups);
bool hexpart(std::string_view s, int& groups, bool& compressed);
bool ipv4_address(std::string_view s);
bool ipv6_address(std::string_view s);  // without brackets
bool hostname(std::string_view s);
// kIPv4, kName, or kNone for text of host characters that is neither.
HostKind classify_host(std::string_view s);

// host [ ":" port ] at the scanner.
std::optional<ParseError> parse_hostport(Scanner& s, std::string_view& host, HostKind& kind,
                                         int& port, std::string_view* port_text = nullptr);

}  // namespace lanline::sip
