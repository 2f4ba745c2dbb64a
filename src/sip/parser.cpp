#include "parser.hpp"

#include <cstring>
#include <limits>
#include <string>

#include "charset.hpp"
#include "scanner.hpp"

namespace lanline::sip {

// Fills a Message; a friend of it, so the fields stay private to everyone else.
class MessageParser {
 public:
  static Result<Message> parse(std::string_view bytes, Framing framing, const ParserLimits& limits);

 private:
  MessageParser(Message& message, Framing framing, const ParserLimits& limits)
      : m_(message), framing_(framing), limits_(limits) {}

  std::optional<ParseError> run();
  std::optional<ParseError> start_line(std::string_view line);
  std::optional<ParseError> request_line(std::string_view line);
  std::optional<ParseError> status_line(std::string_view line);
  std::optional<ParseError> header(HeaderId id, std::string_view name, std::string_view value);
  std::optional<ParseError> body(std::string_view rest);
  std::optional<ParseError> required_headers() const;

  Message& m_;
  Framing framing_;
  const ParserLimits& limits_;
  bool seen_[static_cast<std::size_t>(HeaderId::kCount)] = {};
};

namespace {

ParseError error(ParseErrorCode code, std::string reason) {
  return parse_error(code, std::move(reason));
}
ParseError malformed(std::string reason) {
  return parse_error(ParseErrorCode::kMalformed, std::move(reason));
}

// The line at `pos` without its CRLF (or bare LF); `next` is where the next line starts.
std::string_view line_at(std::string_view text, std::size_t pos, std::size_t& next) {
  const void* lf = std::memchr(text.data() + pos, '\n', text.size() - pos);
  std::size_t end =
      lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - text.data()) : text.size();
  next = lf ? end + 1 : end;
  std::size_t line_end = (end > pos && text[end - 1] == '\r') ? end - 1 : end;
  return text.substr(pos, line_end - pos);
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; returns 0 if not that shape,
// 1 if it is 2.0, -1 if it is another version.
int check_version(std::string_view v) {
  if (v.size() < 7 || !charset::iequals(v.substr(0, 4), "SIP/")) return 0;
  std::size_t dot = v.find('.', 4);
  if (dot == std::string_view::npos || dot == 4 || dot + 1 == v.size()) return 0;
  for (std::size_t i = 4; i < v.size(); ++i) {
    if (i != dot && !charset::is_digit(v[i])) return 0;
  }
  return v.substr(4) == "2.0" ? 1 : -1;
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (char c : text.substr(0, kMax))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > kMax) out += "...";
  return out + "'";
}

}  // namespace

std::optional<ParseError> MessageParser::run() {
  std::string_view text = m_.text();
  std::size_t pos = 0;
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  while (pos < text.size() && (text[pos] == '\r' || text[pos] == '\n'))
    ++pos;
  if (pos == text.size()) return malformed("empty message");

  std::size_t next = 0;
  if (auto err = start_line(line_at(text, pos, next))) return err;
  pos = next;

  m_.headers_.reserve(16);
  bool ended = false;
  while (pos < text.size()) {
    if (text[pos] == '\n' ||
        (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n')) {
      pos += text[pos] == '\n' ? 1 : 2;  // the empty line that ends the header section
      ended = true;
      break;
    }
    if (charset::is_wsp(text[pos])) {
      return malformed("header section starts with a continuation line");
    }
    // field-name *WSP ":" value, where the value runs on over folded lines.
    std::size_t name_start = pos;
    while (pos < text.size() && charset::is_token(text[pos]))
      ++pos;
    std::string_view name = text.substr(name_start, pos - name_start);
    while (pos < text.size() && charset::is_wsp(text[pos]))
      ++pos;
    if (name.empty() || pos >= text.size() || text[pos] != ':') {
      std::size_t ignored = 0;
      return malformed("header line without a name and ':': " +
                       quoted(line_at(text, name_start, ignored)));
    }
    std::size_t value_start = ++pos;
    std::size_t value_end = pos;
    while (true) {
      line_at(text, pos, next);
      value_end = next;
      pos = next;
      if (pos >= text.size() || !charset::is_wsp(text[pos])) break;
    }
    if (value_end - name_start > limits_.max_line_length) {
      return error(ParseErrorCode::kTooLarge, "header " + quoted(name) + " is longer than " +
                                                  std::to_string(limits_.max_line_length) +
                                                  " bytes");
    }
    if (m_.headers_.size() >= limits_.max_header_count) {
      return error(ParseErrorCode::kTooLarge,
                   "more than " + std::to_string(limits_.max_header_count) + " header fields");
    }
    // The value without the LWS around it (folding inside stays, see folding.hpp).
    auto is_lws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (value_start < value_end && is_lws(text[value_start]))
      ++value_start;
    while (value_end > value_start && is_lws(text[value_end - 1]))
      --value_end;
    std::string_view value = text.substr(value_start, value_end - value_start);
    HeaderId id = header_id(name);
    m_.headers_.push_back(HeaderField{id, name, value});
    if (auto err = header(id, name, value)) return err;
  }
  // A message that ends right after its last header line has no body (RFC 5118 4.10's
  // samples end that way); with a body, the empty line is required.
  if (!ended && m_.content_length_.value_or(0) > 0) {
    return error(ParseErrorCode::kBadContentLength,
                 "no empty line ends the header section, but Content-Length announces a body");
  }
  if (auto err = required_headers()) return err;
  return body(text.substr(pos));
}

std::optional<ParseError> MessageParser::start_line(std::string_view line) {
  if (line.size() > 4 && charset::iequals(line.substr(0, 4), "SIP/")) {
    m_.is_request_ = false;
    return status_line(line);
  }
  m_.is_request_ = true;
  return request_line(line);
}

// Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 25.1). Exactly one SP
// between elements: RFC 4475 3.1.2.9 and 3.1.2.10 allow rejecting anything looser.
std::optional<ParseError> MessageParser::request_line(std::string_view line) {
  Scanner s(line);
  m_.method_text_ = s.token();
  if (m_.method_text_.empty()) return malformed("request line must start with a method token");
  if (!s.consume(' ') || s.peek() == ' ') {
    return malformed("expected exactly one SP after the method, found " + quoted(s.rest()));
  }
  std::size_t used = 0;
  auto uri = parse_uri(s.rest(), UriContext::kRequestUri, &used);
  if (!uri) return malformed("Request-URI: " + uri.error().reason);
  m_.request_uri_ = std::move(uri).value();
  s.set_pos(s.pos() + used);
  if (!s.consume(' ')) return malformed("expected one SP after the Request-URI");
  m_.version_ = s.rest();
  int version = check_version(m_.version_);
  if (version == 0) {
    return malformed("request line must end with SIP/2.0, found " + quoted(m_.version_));
  }
  if (version < 0) {
    return error(ParseErrorCode::kUnsupportedVersion,
                 "SIP version " + std::string(m_.version_) + " is not supported");
  }
  m_.method_ = method_from_token(m_.method_text_);
  return std::nullopt;
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
std::optional<ParseError> MessageParser::status_line(std::string_view line) {
  std::size_t sp = line.find(' ');
  m_.version_ = line.substr(0, sp);
  int version = check_version(m_.version_);
  if (version == 0) return malformed("bad SIP version in status line: " + quoted(m_.version_));
  if (version < 0) {
    return error(ParseErrorCode::kUnsupportedVersion,
                 "SIP version " + std::string(m_.version_) + " is not supported");
  }
  if (sp == std::string_view::npos) return malformed("status line has no status code");
  std::string_view rest = line.substr(sp + 1);
  std::string_view code = rest.substr(0, 3);
  std::uint64_t value = 0;
  if (code.size() != 3 || !parse_unsigned(code, 999, value) ||
      (rest.size() > 3 && rest[3] != ' ')) {
    return malformed("status code must be three digits, found " + quoted(rest));
  }
  if (value < 100 || value > 699) {
    return malformed("status code " + std::to_string(value) + " is outside 100-699");
  }
  m_.status_code_ = static_cast<int>(value);
  m_.reason_ = rest.size() > 4 ? rest.substr(4) : std::string_view{};
  for (char c : m_.reason_) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return malformed("control character in reason phrase");
    }
  }
  return std::nullopt;
}

std::optional<ParseError> MessageParser::header(HeaderId id, std::string_view name,
                                                std::string_view value) {
  auto& seen = seen_[static_cast<std::size_t>(id)];
  bool repeated = seen;
  seen = true;
  auto single = [&]() -> std::optional<ParseError> {
    if (repeated) {
      return error(ParseErrorCode::kDuplicateHeader,
                   "more than one " + std::string(canonical_header_name(id)) + " header field");
    }
    return std::nullopt;
  };
  auto wrap = [&](const ParseError& e) {
    return error(e.code, "bad " + std::string(name) + " header: " + e.reason);
  };
  // Headers that transactions and framing do not depend on: an unreadable one is kept
  // verbatim and reported in header_errors(), as sofia-sip and resiprocate do, so one
  // phone's odd Contact or Allow does not make its whole message unanswerable.
  auto tolerate = [&](const ParseError& e) -> std::optional<ParseError> {
    m_.header_errors_.push_back(HeaderError{id, name, e.reason});
    return std::nullopt;
  };
  switch (id) {
    case HeaderId::kVia:
      if (auto err = parse_via_values(value, m_.via_)) return wrap(*err);
      break;
    case HeaderId::kFrom:
    case HeaderId::kTo: {
      if (auto err = single()) return err;
      auto addr = parse_name_addr(value);
      if (!addr) return wrap(addr.error());
      (id == HeaderId::kFrom ? m_.from_ : m_.to_) = std::move(addr).value();
      break;
    }
    case HeaderId::kCallId: {
      if (auto err = single()) return err;
      auto call_id = parse_call_id(value);
      if (!call_id) return wrap(call_id.error());
      m_.call_id_ = *call_id;
      break;
    }
    case HeaderId::kCSeq: {
      if (auto err = single()) return err;
      auto cseq = parse_cseq(value);
      if (!cseq) return wrap(cseq.error());
      m_.cseq_ = *cseq;
      break;
    }
    case HeaderId::kMaxForwards: {
      if (auto err = single()) return err;
      std::uint64_t hops = 0;
      if (!parse_unsigned(value, 255, hops)) {
        return malformed("Max-Forwards must be a number from 0 to 255, found " + quoted(value));
      }
      m_.max_forwards_ = static_cast<int>(hops);
      break;
    }
    case HeaderId::kContact: {
      std::size_t before = m_.contact_.contacts.size();
      bool star = m_.contact_.star;
      if (auto err = parse_contact_values(value, m_.contact_)) {
        m_.contact_.contacts.resize(before);
        m_.contact_.star = star;
        return tolerate(*err);
      }
      break;
    }
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute: {
      auto& list = id == HeaderId::kRoute ? m_.route_ : m_.record_route_;
      std::size_t before = list.size();
      if (auto err = parse_name_addr_values(value, list, canonical_header_name(id))) {
        list.resize(before);
        return tolerate(*err);
      }
      break;
    }
    case HeaderId::kContentType: {
      if (auto err = single()) return err;
      auto type = parse_media_type(value);
      if (!type) return wrap(type.error());
      m_.content_type_ = *type;
      break;
    }
    case HeaderId::kContentLength: {
      // RFC 4475 3.1.2.3 and 3.3.9: negative or conflicting values break framing.
      std::uint64_t length = 0;
      if (!parse_unsigned(value, std::numeric_limits<std::uint32_t>::max(), length)) {
        return error(ParseErrorCode::kBadContentLength,
                     "Content-Length is not a non-negative number: " + quoted(value));
      }
      if (repeated && m_.content_length_ != length) {
        return error(ParseErrorCode::kBadContentLength, "conflicting Content-Length values");
      }
      m_.content_length_ = static_cast<std::size_t>(length);
      break;
    }
    case HeaderId::kAllow:
      if (auto err = parse_token_list(value, m_.allow_)) return tolerate(*err);
      break;
    case HeaderId::kSupported:
      if (auto err = parse_token_list(value, m_.supported_)) return tolerate(*err);
      break;
    case HeaderId::kRequire:
      if (auto err = parse_token_list(value, m_.require_)) return wrap(*err);
      break;
    case HeaderId::kProxyRequire:
      if (auto err = parse_token_list(value, m_.proxy_require_)) return wrap(*err);
      break;
    case HeaderId::kExpires: {
      if (auto err = single()) return err;
      auto seconds = parse_delta_seconds(value);
      if (!seconds) return tolerate(seconds.error());
      m_.expires_ = *seconds;
      break;
    }
    case HeaderId::kEvent: {
      if (auto err = single()) return err;
      auto event = parse_event(value);
      if (!event) return tolerate(event.error());
      m_.event_ = *event;
      break;
    }
    case HeaderId::kUserAgent:
      m_.user_agent_ = value;
      break;
    default:
      break;  // kept verbatim in headers_
  }
  return std::nullopt;
}

// RFC 3261 8.1.1: To, From, CSeq, Call-ID and Via are mandatory; Max-Forwards is too, but
// RFC 2543 peers omit it and RFC 4475 3.4.1 asks to accept them.
std::optional<ParseError> MessageParser::required_headers() const {
  static constexpr HeaderId kRequired[] = {HeaderId::kVia, HeaderId::kFrom, HeaderId::kTo,
                                           HeaderId::kCallId, HeaderId::kCSeq};
  std::string missing;
  for (HeaderId id : kRequired) {
    if (!seen_[static_cast<std::size_t>(id)]) {
      if (!missing.empty()) missing += ", ";
      missing += canonical_header_name(id);
    }
  }
  if (!missing.empty()) {
    return error(ParseErrorCode::kMissingHeader, "missing required header field: " + missing);
  }
  if (m_.is_request_ && m_.cseq_.method_text != m_.method_text_) {
    return error(ParseErrorCode::kMethodMismatch, "CSeq method " + quoted(m_.cseq_.method_text) +
                                                      " does not match the request method " +
                                                      quoted(m_.method_text_));
  }
  return std::nullopt;
}

// RFC 3261 18.3: the body is Content-Length bytes; in a datagram without one it is the
// rest, a larger one is an error, and octets after it are ignored.
std::optional<ParseError> MessageParser::body(std::string_view rest) {
  if (!m_.content_length_) {
    m_.body_ = framing_ == Framing::kDatagram ? rest : std::string_view{};
    return std::nullopt;
  }
  std::size_t length = *m_.content_length_;
  if (length > rest.size()) {
    return error(ParseErrorCode::kBadContentLength,
                 "Content-Length " + std::to_string(length) + " is larger than the " +
                     std::to_string(rest.size()) + " bytes of body received");
  }
  m_.body_ = rest.substr(0, length);
  return std::nullopt;
}

Result<Message> MessageParser::parse(std::string_view bytes, Framing framing,
                                     const ParserLimits& limits) {
  if (bytes.size() > limits.max_message_size) {
    return parse_error(ParseErrorCode::kTooLarge,
                       "message of " + std::to_string(bytes.size()) + " bytes is over the " +
                           std::to_string(limits.max_message_size) + "-byte limit");
  }
  Message message;
  message.storage_ = std::make_unique_for_overwrite<char[]>(bytes.size());
  if (!bytes.empty()) std::memcpy(message.storage_.get(), bytes.data(), bytes.size());
  message.size_ = bytes.size();
  MessageParser parser(message, framing, limits);
  if (auto err = parser.run()) return *std::move(err);
  return message;
}

Result<Message> parse_message(std::string_view bytes, Framing framing, const ParserLimits& limits) {
  return MessageParser::parse(bytes, framing, limits);
}

}  // namespace lanline::sip
