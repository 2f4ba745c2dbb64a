#include "parser.hpp"

#include <cstring>
#include <string>

#include "text.hpp"

namespace lanline::sdp {
namespace {

// RFC 8866 9: token-char, what an attribute name (att-field) is made of.
bool is_token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D ||
         u == 0x2E || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) ||
         (u >= 0x5E && u <= 0x7E);
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// An address as c= and o= carry it: IPv4, IPv6 or a host name (FQDN); RFC 8866 9's
// unicast-address, kept to the characters those forms use.
bool is_address(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (char c : s.substr(0, kMax))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > kMax) out += "...";
  return out + "'";
}

class Parser {
 public:
  Parser(std::string_view text, const ParserLimits& limits) : text_(text), limits_(limits) {}

  Result<Session> run();

 private:
  Error fail(std::string reason) const {
    std::string where = "line " + std::to_string(line_number_);
    if (type_ != 0) {
      where += " (";
      where += type_;
      where += "=)";
    }
    return Error{where + ": " + reason};
  }

  std::optional<Error> session_line(char type, std::string_view value);
  std::optional<Error> media_line(Media& media, char type, std::string_view value);
  std::optional<Error> origin(std::string_view value);
  std::optional<Error> connection(std::string_view value, Connection& out);
  std::optional<Error> bandwidth(std::string_view value, std::vector<Bandwidth>& out);
  std::optional<Error> timing(std::string_view value);
  std::optional<Error> attribute(std::string_view value, Attributes& out);
  std::optional<Error> media_description(std::string_view value);

  std::string_view text_;
  const ParserLimits& limits_;
  Session session_;
  std::size_t line_number_ = 0;
  char type_ = 0;
  bool seen_origin_ = false;
  bool seen_name_ = false;
};

Result<Session> Parser::run() {
  if (text_.size() > limits_.max_bytes) {
    return Error{"the description is " + std::to_string(text_.size()) + " bytes, over the " +
                 std::to_string(limits_.max_bytes) + "-byte limit"};
  }
  if (std::memchr(text_.data(), '\0', text_.size()) != nullptr) {
    return Error{"the description contains a NUL byte"};
  }
  std::size_t pos = 0;
  bool seen_version = false;
  while (pos < text_.size()) {
    const void* lf = std::memchr(text_.data() + pos, '\n', text_.size() - pos);
    std::size_t end =
        lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - text_.data()) : text_.size();
    std::string_view line = text_.substr(pos, end - pos);
    pos = end + 1;
    ++line_number_;
    type_ = 0;
    if (line_number_ > limits_.max_lines) {
      return fail("more than " + std::to_string(limits_.max_lines) + " lines");
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Liberal: trailing spaces and tabs, and empty lines (a trailing CRLF too many).
    while (!line.empty() && text::is_space(line.back()))
      line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.find('\r') != std::string_view::npos) return fail("a CR inside the line");
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return fail("not a '<type>=<value>' line: " + quoted(line));
    }
    type_ = line[0];
    std::string_view value = line.substr(2);
    if (!seen_version) {
      if (type_ != 'v') return fail("the description must begin with v=0");
      if (value != "0") return fail("unsupported protocol version " + quoted(value));
      seen_version = true;
      continue;
    }
    std::optional<Error> error;
    if (type_ == 'm') {
      error = media_description(value);
    } else if (session_.media.empty()) {
      error = session_line(type_, value);
    } else {
      error = media_line(session_.media.back(), type_, value);
    }
    if (error) return *error;
  }
  type_ = 0;
  if (!seen_version) return Error{"empty description (no v=0)"};
  if (!seen_origin_) return Error{"no o= (origin) line"};
  if (!seen_name_) return Error{"no s= (session name) line"};
  if (session_.timings.empty()) return Error{"no t= (timing) line"};
  return std::move(session_);
}

std::optional<Error> Parser::session_line(char type, std::string_view value) {
  auto once = [&](bool seen) -> std::optional<Error> {
    if (seen) return fail("appears twice at session level");
    return std::nullopt;
  };
  switch (type) {
    case 'v':
      return fail("v= appears twice");
    case 'o':
      if (auto e = once(seen_origin_)) return e;
      seen_origin_ = true;
      return origin(value);
    case 's':
      if (auto e = once(seen_name_)) return e;
      seen_name_ = true;
      session_.name = std::string(value);
      return std::nullopt;
    case 'i':
      if (auto e = once(session_.info.has_value())) return e;
      session_.info = std::string(value);
      return std::nullopt;
    case 'u':
      if (auto e = once(session_.uri.has_value())) return e;
      session_.uri = std::string(value);
      return std::nullopt;
    case 'e':
      session_.emails.emplace_back(value);
      return std::nullopt;
    case 'p':
      session_.phones.emplace_back(value);
      return std::nullopt;
    case 'c': {
      if (auto e = once(session_.connection.has_value())) return e;
      Connection c;
      if (auto e = connection(value, c)) return e;
      session_.connection = std::move(c);
      return std::nullopt;
    }
    case 'b':
      return bandwidth(value, session_.bandwidths);
    case 't':
      return timing(value);
    case 'r':
      if (session_.timings.empty()) return fail("r= before any t=");
      session_.timings.back().repeats.emplace_back(value);
      return std::nullopt;
    case 'z':
      if (auto e = once(session_.zone.has_value())) return e;
      session_.zone = std::string(value);
      return std::nullopt;
    case 'k':
      if (auto e = once(session_.key.has_value())) return e;
      session_.key = std::string(value);
      return std::nullopt;
    case 'a':
      return attribute(value, session_.attributes);
    default:
      return fail("unknown line type");
  }
}

std::optional<Error> Parser::media_line(Media& media, char type, std::string_view value) {
  switch (type) {
    case 'i':
      if (media.title) return fail("appears twice in a media section");
      media.title = std::string(value);
      return std::nullopt;
    case 'c': {
      Connection c;
      if (auto e = connection(value, c)) return e;
      media.connections.push_back(std::move(c));
      return std::nullopt;
    }
    case 'b':
      return bandwidth(value, media.bandwidths);
    case 'k':
      if (media.key) return fail("appears twice in a media section");
      media.key = std::string(value);
      return std::nullopt;
    case 'a':
      return attribute(value, media.attributes);
    case 'v':
    case 'o':
    case 's':
    case 'u':
    case 'e':
    case 'p':
    case 't':
    case 'r':
    case 'z':
      return fail("only allowed at session level, before the first m=");
    default:
      return fail("unknown line type");
  }
}

// RFC 8866 5.2. Liberal: real phones write sess-ids like "(null)" (a Cisco SIPUA) or
// glue the username to it (Asterisk), and nobody reads a peer's origin: such a line is
// kept verbatim rather than refusing the call.
std::optional<Error> Parser::origin(std::string_view value) {
  auto f = text::words(value);
  Origin& o = session_.origin;
  if (f.empty()) return fail("empty origin");
  bool digits = f.size() == 6;
  for (std::size_t i = 1; digits && i < 3; ++i) {
    digits = f[i].size() <= 64;
    for (char c : f[i])
      digits = digits && text::is_digit(c);
  }
  if (!digits || !is_token(f[3]) || !is_token(f[4])) {
    o = Origin{};
    o.verbatim = std::string(value);
    return std::nullopt;
  }
  o.username = std::string(f[0]);
  o.session_id = std::string(f[1]);
  o.session_version = std::string(f[2]);
  o.network_type = std::string(f[3]);
  o.address_type = std::string(f[4]);
  o.address = std::string(f[5]);
  return std::nullopt;
}

std::optional<Error> Parser::connection(std::string_view value, Connection& out) {
  auto f = text::words(value);
  if (f.size() != 3) {
    return fail("needs '<nettype> <addrtype> <address>', got " + quoted(value));
  }
  if (!is_token(f[0]) || !is_token(f[1])) return fail("bad nettype or addrtype");
  out.network_type = std::string(f[0]);
  out.address_type = std::string(f[1]);
  std::string_view address = f[2];
  bool ip4 = f[1] == "IP4";
  bool ip6 = f[1] == "IP6";
  if (ip4 || ip6) {
    // Multicast suffixes (RFC 8866 5.7): IP4 "/ttl[/count]", IP6 "/count".
    std::size_t slash = address.find('/');
    std::string_view suffix;
    if (slash != std::string_view::npos) {
      suffix = address.substr(slash + 1);
      address = address.substr(0, slash);
    }
    if (!is_address(address)) return fail("bad connection address " + quoted(f[2]));
    if (!suffix.empty() || slash != std::string_view::npos) {
      std::size_t second = suffix.find('/');
      auto first = text::to_uint(suffix.substr(0, second), UINT32_MAX);
      if (!first) return fail("bad multicast suffix in " + quoted(f[2]));
      if (ip6 && second != std::string_view::npos) return fail("IP6 takes only '/count'");
      if (ip6) {
        out.count = static_cast<std::uint32_t>(*first);
      } else {
        if (*first > 255) return fail("TTL over 255 in " + quoted(f[2]));
        out.ttl = static_cast<std::uint32_t>(*first);
        if (second != std::string_view::npos) {
          auto count = text::to_uint(suffix.substr(second + 1), UINT32_MAX);
          if (!count) return fail("bad multicast count in " + quoted(f[2]));
          out.count = static_cast<std::uint32_t>(*count);
        }
      }
    }
  } else if (address.empty()) {
    return fail("empty connection address");
  }
  out.address = std::string(address);
  return std::nullopt;
}

std::optional<Error> Parser::bandwidth(std::string_view value, std::vector<Bandwidth>& out) {
  std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) return fail("needs '<bwtype>:<bandwidth>'");
  std::string_view type = value.substr(0, colon);
  auto amount = text::to_uint(text::trim(value.substr(colon + 1)));
  if (!is_token(type)) return fail("bad bandwidth type " + quoted(type));
  if (!amount) return fail("bandwidth is not a number: " + quoted(value.substr(colon + 1)));
  out.push_back(Bandwidth{std::string(type), *amount});
  return std::nullopt;
}

std::optional<Error> Parser::timing(std::string_view value) {
  auto f = text::words(value);
  if (f.size() != 2) return fail("needs '<start-time> <stop-time>'");
  auto start = text::to_uint(f[0]);
  auto stop = text::to_uint(f[1]);
  if (!start || !stop) return fail("times are not numbers: " + quoted(value));
  session_.timings.push_back(Timing{*start, *stop, {}});
  return std::nullopt;
}

std::optional<Error> Parser::attribute(std::string_view value, Attributes& out) {
  std::size_t colon = value.find(':');
  std::string_view name = value.substr(0, colon);
  if (!is_token(name)) return fail("bad attribute name " + quoted(name));
  if (colon == std::string_view::npos) {
    out.add(std::string(name));
  } else {
    out.add(std::string(name), std::string(value.substr(colon + 1)));
  }
  return std::nullopt;
}

std::optional<Error> Parser::media_description(std::string_view value) {
  if (!seen_origin_ || !seen_name_ || session_.timings.empty()) {
    return fail("m= before the session's o=, s= and t= lines");
  }
  if (session_.media.size() >= limits_.max_media) {
    return fail("more than " + std::to_string(limits_.max_media) + " media descriptions");
  }
  auto f = text::words(value);
  if (f.size() < 3) return fail("needs '<media> <port> <proto> <fmt> ...'");
  if (f.size() - 3 > limits_.max_formats) {
    return fail("more than " + std::to_string(limits_.max_formats) + " formats");
  }
  if (!is_token(f[0])) return fail("bad media type " + quoted(f[0]));
  Media media;
  media.type = std::string(f[0]);
  std::string_view port = f[1];
  std::size_t slash = port.find('/');
  auto number = text::to_uint(port.substr(0, slash), 65535);
  if (!number) return fail("bad port " + quoted(port));
  media.port = static_cast<std::uint16_t>(*number);
  if (slash != std::string_view::npos) {
    auto count = text::to_uint(port.substr(slash + 1), 65535);
    if (!count || *count == 0) return fail("bad number of ports " + quoted(port));
    media.port_count = static_cast<std::uint32_t>(*count);
  }
  // proto is one or more tokens joined by '/': RTP/AVP, UDP/TLS/RTP/SAVPF, udp.
  for (char c : f[2]) {
    if (!is_token_char(c) && c != '/') return fail("bad transport protocol " + quoted(f[2]));
  }
  if (f[2].front() == '/' || f[2].back() == '/') {
    return fail("bad transport protocol " + quoted(f[2]));
  }
  media.proto = std::string(f[2]);
  for (std::size_t i = 3; i < f.size(); ++i) {
    if (!is_token(f[i])) return fail("bad format " + quoted(f[i]));
    media.formats.emplace_back(f[i]);
  }
  if (media.is_rtp()) {
    for (const auto& format : media.formats) {
      if (!text::to_uint(format, 127)) {
        return fail("RTP format " + quoted(format) + " is not a payload type 0-127");
      }
    }
  }
  // RFC 8866 requires a format; real phones leave it out of a rejected (port 0) stream.
  if (media.formats.empty() && media.port != 0) return fail("no formats");
  session_.media.push_back(std::move(media));
  return std::nullopt;
}

}  // namespace

Result<Session> parse(std::string_view text, const ParserLimits& limits) {
  try {
    return Parser(text, limits).run();
  } catch (const std::exception& e) {  // allocation failure: refuse rather than crash
    return Error{std::string("cannot parse: ") + e.what()};
  }
}

}  // namespace lanline::sdp
