// The SDP parser (RFC 8866): bytes in, a Session or a precise error out. It never throws
// past this function, never reads past its input, and bounds what it accepts.
//
// Liberal where real phones are sloppy: bare LF line ends, trailing spaces and tabs,
// runs of spaces between fields, empty lines, session-level lines in any order after
// v=, s= empty, a ptime with a fraction. Strict where it matters: v=0 first, exactly one
// o= and s=, at least one t=, numbers that are numbers and fit, ports up to 65535, no
// NUL or lone CR, and line types it does not know are refused (RFC 8866 5 lets a parser
// reject them rather than guess).
#pragma once

#include <cstddef>
#include <string_view>

#include "result.hpp"
#include "session.hpp"

namespace lanline::sdp {

struct ParserLimits {
  std::size_t max_bytes = 64 * 1024;  // a SIP body over UDP is far smaller
  std::size_t max_lines = 4096;
  std::size_t max_media = 64;
  std::size_t max_formats = 128;  // per m= line: there are only 128 payload types
};

Result<Session> parse(std::string_view text, const ParserLimits& limits = {});

}  // namespace lanline::sdp
