// From bytes to a Message (RFC 3261 sections 7, 18.3, 20 and 25).
#pragma once

#include <cstddef>
#include <string_view>

#include "message.hpp"
#include "result.hpp"

namespace lanline::sip {

struct ParserLimits {
  std::size_t max_message_size = 65535;  // a UDP datagram; TCP messages get the same bound
  std::size_t max_header_count = 256;
  std::size_t max_line_length = 8192;
};

// How the end of the message is known (RFC 3261 18.3).
enum class Framing {
  // A UDP datagram: without Content-Length the body is the rest; a Content-Length larger
  // than what is left is an error, octets after the body are ignored.
  kDatagram,
  // One message cut out of a stream by StreamFramer: Content-Length gives the body.
  kStream,
};

// Parses one message and every header the stack types. Never throws, never reads past
// `bytes`; the returned error says what was wrong.
Result<Message> parse_message(std::string_view bytes, Framing framing = Framing::kDatagram,
                              const ParserLimits& limits = {});

}  // namespace lanline::sip
