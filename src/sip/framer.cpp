#include "framer.hpp"

#include <cstring>
#include <limits>

#include "charset.hpp"
#include "headers.hpp"
#include "scanner.hpp"

namespace lanline::sip {
namespace {

ParseError framing_error(ParseErrorCode code, std::string reason) {
  return parse_error(code, std::move(reason));
}

// Finds the Content-Length in a header section (full or compact name, folded or not).
Result<std::size_t> content_length(std::string_view headers) {
  std::optional<std::uint64_t> found;
  std::size_t pos = 0;
  while (pos < headers.size()) {
    const void* lf = std::memchr(headers.data() + pos, '\n', headers.size() - pos);
    std::size_t end = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - headers.data())
                         : headers.size();
    std::string_view line = headers.substr(pos, end - pos);
    pos = end + 1;
    // The value may go on over folded lines.
    while (pos < headers.size() && charset::is_wsp(headers[pos])) {
      const void* more = std::memchr(headers.data() + pos, '\n', headers.size() - pos);
      std::size_t more_end =
          more ? static_cast<std::size_t>(static_cast<const char*>(more) - headers.data())
               : headers.size();
      line = headers.substr(line.data() - headers.data(),
                            more_end - static_cast<std::size_t>(line.data() - headers.data()));
      pos = more_end + 1;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim_lws(line.substr(0, colon));
    if (!charset::iequals(name, "Content-Length") && !charset::iequals(name, "l")) continue;
    std::uint64_t value = 0;
    if (!parse_unsigned(trim_lws(line.substr(colon + 1)), std::numeric_limits<std::uint32_t>::max(),
                        value)) {
      return framing_error(ParseErrorCode::kBadContentLength,
                           "Content-Length is not a non-negative number");
    }
    if (found && *found != value) {
      return framing_error(ParseErrorCode::kBadContentLength, "conflicting Content-Length values");
    }
    found = value;
  }
  // RFC 3261 18.3 makes Content-Length mandatory on streams; a message without one is
  // taken to have no body, which is what it can only mean there.
  return static_cast<std::size_t>(found.value_or(0));
}

}  // namespace

Result<std::optional<std::string>> StreamFramer::next() {
  std::string_view data(buffer_);
  data.remove_prefix(consumed_);
  // RFC 3261 7.5 and RFC 5626 3.5.1: CRLFs between messages are ignored (keep-alives).
  std::size_t skip = 0;
  while (skip < data.size() && (data[skip] == '\r' || data[skip] == '\n')) {
    if (data[skip] == '\n') ++keepalives_;
    ++skip;
  }
  if (skip > 0) {
    consumed_ += skip;
    data.remove_prefix(skip);
    scanned_ = 0;
    header_end_ = 0;
  }
  // The header section ends at the first empty line.
  std::size_t header_end = header_end_ > 0 ? header_end_ : std::string_view::npos;
  std::size_t pos = scanned_;
  while (header_end == std::string_view::npos && pos < data.size()) {
    const void* lf = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (!lf) break;
    std::size_t at = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
    std::size_t after = at + 1;
    if (after < data.size() && data[after] == '\n') {
      header_end = after + 1;
      break;
    }
    if (after + 1 < data.size() && data[after] == '\r' && data[after + 1] == '\n') {
      header_end = after + 2;
      break;
    }
    if (after + 1 >= data.size()) {
      pos = at;  // the line after this LF is not all here yet: look again from the LF
      break;
    }
    pos = after;
  }
  if (header_end == std::string_view::npos) {
    scanned_ = pos;
    if (data.size() > limits_.max_message_size) {
      return framing_error(
          ParseErrorCode::kTooLarge,
          "header section over " + std::to_string(limits_.max_message_size) + " bytes");
    }
    std::optional<std::string> none;
    return none;
  }
  auto length = content_length(data.substr(0, header_end));
  if (!length) return length.error();
  if (*length > limits_.max_message_size - std::min(header_end, limits_.max_message_size) ||
      header_end > limits_.max_message_size) {
    return framing_error(ParseErrorCode::kTooLarge,
                         "message over " + std::to_string(limits_.max_message_size) + " bytes");
  }
  std::size_t total = header_end + *length;
  if (data.size() < total) {
    header_end_ = header_end;
    std::optional<std::string> none;
    return none;
  }
  std::optional<std::string> message(std::string(data.substr(0, total)));
  consumed_ += total;
  scanned_ = 0;
  header_end_ = 0;
  // Drop handed-out bytes once they are most of the buffer, so it does not grow forever.
  if (consumed_ > 4096 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return message;
}

}  // namespace lanline::sip
