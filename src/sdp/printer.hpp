// Prints a Session in RFC 8866 order with CRLF line ends; parse(print(s)) == s for any
// s the parser returned.
#pragma once

#include <string>

#include "session.hpp"

namespace lanline::sdp {

std::string print(const Session& session);

}  // namespace lanline::sdp
