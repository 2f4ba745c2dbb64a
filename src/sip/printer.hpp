// From a Message back to bytes: start line, header fields in order under their full
// names, folding turned into single spaces, a Content-Length that matches the body.
#pragma once

#include <string>

#include "message.hpp"

namespace lanline::sip {

std::string print_message(const Message& message);

}  // namespace lanline::sip
