// The control protocol's lines, apart from any socket: framing a byte stream into lines
// with a length limit, reading a request line, running it on a CommandHandler, writing
// a reply line. The server and `lanline ctl` share it.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/command_handler.hpp"

namespace lanline::app {

// Splits received bytes into lines. A line ends at '\n'; a '\r' before it is dropped
// (clients like `nc -C` send CRLF).
class LineReader {
 public:
  explicit LineReader(std::size_t max_line) : max_line_(max_line) {}

  enum class Status { kLine, kNeedMore, kTooLong };

  void append(std::string_view bytes) { buffer_.append(bytes); }
  // kLine: `line` holds the next complete line. kTooLong: a line is longer than the
  // limit, complete or not; the stream cannot be resynchronised and should be closed.
  Status next(std::string& line);

 private:
  std::size_t max_line_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already handed out
  std::size_t scanned_ = 0;   // bytes of buffer_ known to hold no '\n'
};

// A request line read: `request` is the object when `error_reply` is null; otherwise
// `error_reply` is what to send back ({"ok":false,"error":...}, with the "id" when one
// could be read), for malformed JSON or anything but an object with a string "cmd".
struct ParsedRequest {
  nlohmann::json request;
  nlohmann::json error_reply;
};
ParsedRequest parse_request(std::string_view line);

// {"ok":false,"error":message}, with "id" copied from `request` when it has one.
nlohmann::json error_reply(std::string message, const nlohmann::json& request = {});

// Runs `request` on `handler` and returns its reply with the request's "id" copied in.
// Never throws: a handler that throws or answers something other than an object gives
// an error reply.
nlohmann::json execute_request(engine::CommandHandler& handler, const nlohmann::json& request);
// The same through CommandHandler::execute_async: `done` gets the reply, now or later.
void execute_request_async(engine::CommandHandler& handler, const nlohmann::json& request,
                           std::function<void(nlohmann::json)> done);

// One line of the protocol: compact JSON and '\n'. Invalid UTF-8 in strings (text a
// peer sent) becomes U+FFFD instead of throwing.
std::string to_line(const nlohmann::json& object);

}  // namespace lanline::app
