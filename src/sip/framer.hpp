// Cuts a byte stream (TCP) into SIP messages by Content-Length (RFC 3261 18.3).
// Feed it whatever the socket gave; take out every complete message; partial ones wait
// for more bytes, pipelined ones come out one by one. Empty lines between messages
// (RFC 5626 keep-alives) are skipped.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "parser.hpp"
#include "result.hpp"

namespace lanline::sip {

class StreamFramer {
 public:
  explicit StreamFramer(const ParserLimits& limits = {}) : limits_(limits) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }

  // The bytes of the next complete message, or nullopt when more are needed.
  // An error (no Content-Length is taken as 0; a bad or oversized one is an error)
  // means the stream can no longer be framed: the connection should be closed.
  Result<std::optional<std::string>> next();

  std::size_t buffered() const { return buffer_.size() - consumed_; }
  std::size_t keepalives() const { return keepalives_; }

 private:
  ParserLimits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;    // bytes of buffer_ already handed out
  std::size_t scanned_ = 0;     // offset from consumed_ known to hold no header-section end
  std::size_t header_end_ = 0;  // offset from consumed_ of the body, once found
  std::size_t keepalives_ = 0;
};

}  // namespace lanline::sip
