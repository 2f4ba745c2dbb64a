#include "uri.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <optional>

#include "charset.hpp"
#include "grammar.hpp"
#include "scanner.hpp"

namespace lanline::sip {
namespace {

using charset::is;

ParseError uri_error(std::string reason) {
  return parse_error(ParseErrorCode::kMalformed, std::move(reason));
}

std::string describe(char c) {
  if (c >= 0x21 && c < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "byte 0x";
  out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
  out += kHex[static_cast<unsigned char>(c) & 0xf];
  return out;
}

// Checks a run made of one character class plus %HH escapes.
bool valid_escaped(std::string_view text, std::uint16_t cls) {
  bool escapes = false;
  for (char c : text) {
    if (!is(c, cls | charset::kPercent)) return false;
    escapes = escapes || c == '%';
  }
  if (!escapes) return true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%' || is(text[i], cls)) continue;
    if (i + 2 >= text.size() || !charset::is_hex(text[i + 1]) || !charset::is_hex(text[i + 2])) {
      return false;
    }
    i += 2;
  }
  return true;
}

}  // namespace

// hexseq = hex4 *( ":" hex4 ); counts the groups.
bool hexseq(std::string_view s, int& groups) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t colon = s.find(':', start);
    std::string_view group =
        s.substr(start, colon == std::string_view::npos ? s.npos : colon - start);
    if (group.empty() || group.size() > 4) return false;
    for (char c : group) {
      if (!charset::is_hex(c)) return false;
    }
    ++groups;
    if (colon == std::string_view::npos) return true;
    start = colon + 1;
  }
}

// hexpart = hexseq / hexseq "::" [ hexseq ] / "::" [ hexseq ]  (RFC 3261 25.1)
bool hexpart(std::string_view s, int& groups, bool& compressed) {
  std::size_t dc = s.find("::");
  compressed = dc != std::string_view::npos;
  if (!compressed) return hexseq(s, groups);
  std::string_view left = s.substr(0, dc);
  std::string_view right = s.substr(dc + 2);
  if (right.find("::") != std::string_view::npos) return false;
  if (!left.empty() && !hexseq(left, groups)) return false;
  if (!right.empty() && !hexseq(right, groups)) return false;
  return true;
}

bool ipv4_address(std::string_view s) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    std::uint64_t value = 0;
    if (part.size() > 3 || !parse_unsigned(part, 255, value)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

// IPv6address = hexpart [ ":" IPv4address ]. Accepts the RFC 4291 spelling of an
// embedded IPv4 ("2001:db8::192.0.2.1") and, as RFC 5118 4.10 asks, the spelling the
// RFC 3261 ABNF produces by mistake ("2001:db8:::192.0.2.1").
bool ipv6_address(std::string_view s) {
  int groups = 0;
  bool compressed = false;
  std::size_t last_colon = s.rfind(':');
  if (last_colon == std::string_view::npos) return false;
  std::string_view tail = s.substr(last_colon + 1);
  if (tail.find('.') != std::string_view::npos) {
    if (!ipv4_address(tail)) return false;
    std::string_view head = s.substr(0, last_colon);  // the 3261 form: hexpart ":" IPv4
    if (!hexpart(head, groups, compressed)) {
      groups = 0;
      head = s.substr(0, last_colon + 1);  // the 4291 form: a hexpart that ends in "::"
      if (head.size() < 2 || head.substr(head.size() - 2) != "::" ||
          !hexpart(head, groups, compressed)) {
        return false;
      }
    }
    groups += 2;
  } else if (!hexpart(s, groups, compressed)) {
    return false;
  }
  return compressed ? groups <= 7 : groups == 8;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]. The grammar wants the top label to
// start with a letter; real phones send names like "sip.194.213.29.100", so only a name
// made of digits alone (a broken IPv4 address, or RFC 5118's unbracketed IPv6) is refused.
bool hostname(std::string_view s) {
  if (s.empty()) return false;
  if (s.back() == '.') s.remove_suffix(1);
  bool all_digits = true;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is(c, charset::kAlnum) && c != '-') return false;
      all_digits = all_digits && charset::is_digit(c);
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return !all_digits;
}

// One pass over alphanum / "-" / "." text: an IPv4 address (four decimal parts up to
// 255), a hostname (see hostname() above), or neither (kNone). Hosts are in every URI and
// Via, so this is on the parser's hot path.
HostKind classify_host(std::string_view s) {
  if (s.back() == '.') {
    return hostname(s) ? HostKind::kName : HostKind::kNone;  // "example.com." is rare
  }
  int dots = 0;
  int part_value = 0;
  int part_digits = 0;
  bool numeric = true;  // only digits and dots so far
  bool ipv4_ok = true;  // every part so far is 0-255 with 1-3 digits
  char previous = '.';
  for (char c : s) {
    if (c == '.') {
      if (previous == '.' || previous == '-') return HostKind::kNone;  // empty label or "-."
      ++dots;
      ipv4_ok = ipv4_ok && part_digits > 0;
      part_value = 0;
      part_digits = 0;
    } else if (charset::is_digit(c)) {
      ++part_digits;
      if (part_digits <= 3) part_value = part_value * 10 + (c - '0');  // more is never IPv4
      ipv4_ok = ipv4_ok && part_digits <= 3 && part_value <= 255;
    } else {
      if (c == '-' && previous == '.') return HostKind::kNone;  // a label starts with '-'
      numeric = false;
    }
    previous = c;
  }
  if (previous == '-') return HostKind::kNone;
  if (numeric) return (ipv4_ok && dots == 3 && part_digits > 0) ? HostKind::kIPv4 : HostKind::kNone;
  return HostKind::kName;
}

std::optional<ParseError> parse_hostport(Scanner& s, std::string_view& host, HostKind& kind,
                                         int& port, std::string_view* port_text) {
  std::size_t start = s.pos();
  if (s.peek() == '[') {
    std::size_t close = s.text().find(']', start);
    if (close == std::string_view::npos) return uri_error("IPv6 reference has no ']'");
    std::string_view inner = s.text().substr(start + 1, close - start - 1);
    if (!ipv6_address(inner)) {
      return uri_error("invalid IPv6 reference [" + std::string(inner) + "]");
    }
    s.set_pos(close + 1);
    host = s.slice(start);
    kind = HostKind::kIPv6;
  } else {
    host = s.take(charset::kHostChar);
    kind = host.empty() ? HostKind::kNone : classify_host(host);
    if (kind == HostKind::kNone) {
      if (!host.empty()) return uri_error("invalid host '" + std::string(host) + "'");
      return uri_error(s.eof() ? "URI has no host"
                               : "unexpected " + describe(s.peek()) + " in host");
    }
  }
  if (s.consume(':')) {
    std::uint64_t value = 0;
    std::string_view digits = s.digits();
    if (!parse_unsigned(digits, 65535, value)) {
      return uri_error(digits.empty() ? "port after ':' is missing" : "port out of range");
    }
    port = static_cast<int>(value);
    if (port_text) *port_text = digits;
  }
  return std::nullopt;
}

namespace {

// *( ";" pname [ "=" pvalue ] ), pname/pvalue = 1*paramchar
std::optional<ParseError> parse_uri_params(Scanner& s, std::uint16_t value_cls) {
  constexpr std::uint16_t kParamChar = charset::kParamUnreserved | charset::kUnreserved;
  while (s.consume(';')) {
    std::string_view name = s.take(kParamChar | charset::kPercent);
    if (name.empty()) return uri_error("empty URI parameter");
    if (!valid_escaped(name, kParamChar)) return uri_error("bad %-escape in URI parameter");
    if (s.consume('=')) {
      std::string_view value = s.take(value_cls | charset::kPercent);
      if (value.empty())
        return uri_error("URI parameter '" + std::string(name) + "=' has no value");
      if (!valid_escaped(value, value_cls)) return uri_error("bad %-escape in URI parameter");
    }
  }
  return std::nullopt;
}

// hname "=" hvalue *( "&" hname "=" hvalue )
std::optional<ParseError> parse_uri_headers(Scanner& s) {
  constexpr std::uint16_t kHnv = charset::kHnvUnreserved | charset::kUnreserved;
  do {
    std::string_view name = s.take(kHnv | charset::kPercent);
    if (name.empty() || !valid_escaped(name, kHnv)) return uri_error("bad URI header name");
    if (!s.consume('=')) return uri_error("URI header '" + std::string(name) + "' has no '='");
    if (!valid_escaped(s.take(kHnv | charset::kPercent), kHnv)) {
      return uri_error("bad %-escape in URI header");
    }
  } while (s.consume('&'));
  return std::nullopt;
}

// Where the URI's text ends, by context; `from` is just after "scheme:".
std::size_t span_end(std::string_view text, std::size_t from, UriContext context, bool sip) {
  auto find = [&](char c) {
    const void* hit = std::memchr(text.data() + from, c, text.size() - from);
    return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - text.data())
               : text.size();
  };
  std::size_t i = from;
  switch (context) {
    case UriContext::kStandalone:
      return text.size();
    case UriContext::kRequestUri: {
      // The request line was cut at its LF already; a CR or other control byte inside is
      // caught by the URI grammar.
      return find(' ');
    }
    case UriContext::kBracketed:
      return find('>');
    case UriContext::kAddrSpec:
      // RFC 3261 20: a URI with ',', ';' or '?' must be in <>, so those end it here.
      while (i < text.size()) {
        char c = text[i];
        if (c == ';' || c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
        if (sip && c == '?') break;
        ++i;
      }
      return i;
  }
  return i;
}

std::optional<ParseError> parse_sip_body(Scanner& s, Uri& uri, UriContext context) {
  std::string_view body = s.rest();
  // userinfo: no '@' may appear anywhere else in a SIP URI, so the first one ends it.
  std::size_t at = body.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = body.substr(0, at);
    std::size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    uri.has_user = true;
    if (uri.user.empty()) return uri_error("empty user part before '@'");
    constexpr std::uint16_t kUser = charset::kUnreserved | charset::kUserUnreserved;
    if (!valid_escaped(uri.user, kUser)) {
      return uri_error("invalid character or escape in URI user part");
    }
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      uri.has_password = true;
      if (!valid_escaped(uri.password, charset::kUnreserved | charset::kPasswordExtra)) {
        return uri_error("invalid character or escape in URI password");
      }
    }
    s.set_pos(s.pos() + at + 1);
  }
  if (auto err = parse_hostport(s, uri.host, uri.host_kind, uri.port, &uri.port_text)) {
    return err;
  }
  std::size_t params_start = s.pos();
  if (auto err = parse_uri_params(s, charset::kParamUnreserved | charset::kUnreserved)) {
    return err;
  }
  uri.params = ParamList(s.slice(params_start));
  if (s.consume('?')) {
    if (context == UriContext::kRequestUri) {
      return uri_error("Request-URI must not carry headers (RFC 3261 19.1.1)");
    }
    std::size_t headers_start = s.pos();
    if (auto err = parse_uri_headers(s)) return err;
    uri.headers = ParamList(s.slice(headers_start), '&');
  }
  return std::nullopt;
}

// RFC 3966 telephone-subscriber, read loosely: digits, visual separators, then params.
std::optional<ParseError> parse_tel_body(Scanner& s, Uri& uri) {
  std::size_t start = s.pos();
  while (!s.eof()) {
    char c = s.peek();
    if (charset::is_hex(c) || c == '+' || c == '-' || c == '.' || c == '(' || c == ')' ||
        c == '*' || c == '#' || c == 'p' || c == 'w' || c == 'P' || c == 'W') {
      s.set_pos(s.pos() + 1);
    } else {
      break;
    }
  }
  uri.user = s.slice(start);
  uri.has_user = true;
  if (uri.user.empty()) return uri_error("tel URI has no number");
  std::size_t params_start = s.pos();
  if (auto err = parse_uri_params(s, charset::kParamUnreserved | charset::kUnreserved)) {
    return err;
  }
  uri.params = ParamList(s.slice(params_start));
  return std::nullopt;
}

}  // namespace

std::string_view Uri::host_address() const {
  if (host_kind == HostKind::kIPv6 && host.size() >= 2) return host.substr(1, host.size() - 2);
  return host;
}

int Uri::port_or_default() const {
  if (port >= 0) return port;
  return scheme == UriScheme::kSips ? 5061 : 5060;
}

Result<Uri> parse_uri(std::string_view text, UriContext context, std::size_t* consumed) {
  Uri uri;
  Scanner scheme_scan(text);
  char first = scheme_scan.peek();
  if (!is(first, charset::kAlnum) || charset::is_digit(first)) {
    return uri_error(text.empty()
                         ? "empty URI"
                         : "URI must start with a scheme, found " + describe(text.front()));
  }
  uri.scheme_text = scheme_scan.take(charset::kSchemeChar);
  if (!scheme_scan.consume(':')) return uri_error("URI scheme is not followed by ':'");
  if (charset::iequals(uri.scheme_text, "sip")) {
    uri.scheme = UriScheme::kSip;
  } else if (charset::iequals(uri.scheme_text, "sips")) {
    uri.scheme = UriScheme::kSips;
  } else if (charset::iequals(uri.scheme_text, "tel")) {
    uri.scheme = UriScheme::kTel;
  }
  std::size_t body_start = scheme_scan.pos();
  std::size_t end = span_end(text, body_start, context, uri.scheme != UriScheme::kOther);
  if (context == UriContext::kBracketed && end >= text.size()) {
    return uri_error("'<' without a matching '>'");
  }
  Scanner s(text.substr(0, end), body_start);
  std::optional<ParseError> err;
  if (uri.is_sip()) {
    err = parse_sip_body(s, uri, context);
  } else if (uri.scheme == UriScheme::kTel) {
    err = parse_tel_body(s, uri);
  } else {
    // absoluteURI: scheme ":" ( hier-part / opaque-part ), checked as uric / escaped.
    uri.opaque = s.rest();
    if (uri.opaque.empty()) return uri_error("URI has nothing after the scheme");
    if (!valid_escaped(uri.opaque, charset::kUric | charset::kUnreserved)) {
      return uri_error("invalid character in " + std::string(uri.scheme_text) + " URI");
    }
    s.set_pos(end);
  }
  if (err) return *std::move(err);
  if (!s.eof()) {
    return uri_error("unexpected " + describe(s.peek()) + " in " + std::string(uri.scheme_text) +
                     " URI");
  }
  uri.text = text.substr(0, end);
  if (consumed) *consumed = end;
  return uri;
}

void append_uri(std::string& out, const Uri& uri) {
  out += uri.scheme_text;
  out += ':';
  if (uri.scheme == UriScheme::kOther) {
    out += uri.opaque;
    return;
  }
  if (uri.has_user) {
    out += uri.user;
    if (uri.has_password) {
      out += ':';
      out += uri.password;
    }
    if (uri.scheme != UriScheme::kTel) out += '@';
  }
  out += uri.host;
  if (uri.port >= 0) {
    out += ':';
    if (uri.port_text.empty()) {
      out += std::to_string(uri.port);
    } else {
      out += uri.port_text;
    }
  }
  out += uri.params.raw();
  if (!uri.headers.raw().empty()) {
    out += '?';
    out += uri.headers.raw();
  }
}

std::string to_string(const Uri& uri) {
  std::string out;
  out.reserve(uri.text.size() + 8);
  append_uri(out, uri);
  return out;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && charset::is_hex(text[i + 1]) &&
        charset::is_hex(text[i + 2])) {
      out +=
          static_cast<char>(charset::hex_value(text[i + 1]) * 16 + charset::hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

namespace {

bool iequals_unescaped(std::string_view a, std::string_view b) {
  return charset::iequals(unescape(a), unescape(b));
}

bool same_host(const Uri& a, const Uri& b) {
  if (a.host_kind == HostKind::kIPv6 && b.host_kind == HostKind::kIPv6) {
    std::array<unsigned char, 16> ba{}, bb{};
    std::string sa(a.host_address()), sb(b.host_address());
    if (inet_pton(AF_INET6, sa.c_str(), ba.data()) == 1 &&
        inet_pton(AF_INET6, sb.c_str(), bb.data()) == 1) {
      return ba == bb;
    }
  }
  return charset::iequals(a.host, b.host);
}

// The first parameter of `list` with this name, names compared unescaped and without case
// ("%6C%72" is "lr"). A name given twice (RFC 3261 19.1.1 forbids it, a peer may still
// send it) counts by this first occurrence on both sides, so a URI always equals itself.
std::optional<Param> first_named(const ParamList& list, std::string_view name) {
  for (const Param& param : list) {
    if (iequals_unescaped(param.name, name)) return param;
  }
  return std::nullopt;
}

bool is_first_of_its_name(const ParamList& list, const Param& param) {
  return first_named(list, param.name)->name.data() == param.name.data();
}

bool same_param_value(const Param& a, const Param& b) {
  if (a.has_value != b.has_value) return false;
  return iequals_unescaped(a.value, b.value);
}

// RFC 3261 19.1.4: user, ttl, method, maddr and transport must agree when either URI has
// them; any other parameter only when both have it.
bool same_params(const ParamList& a, const ParamList& b) {
  static constexpr std::array<std::string_view, 5> kMustMatch{"user", "ttl", "method", "maddr",
                                                              "transport"};
  for (std::string_view name : kMustMatch) {
    auto pa = first_named(a, name);
    auto pb = first_named(b, name);
    if (pa.has_value() != pb.has_value()) return false;
    if (pa && !same_param_value(*pa, *pb)) return false;
  }
  for (const Param& pa : a) {
    if (!is_first_of_its_name(a, pa)) continue;
    auto pb = first_named(b, pa.name);
    if (pb && !same_param_value(pa, *pb)) return false;
  }
  return true;
}

// URI headers are never ignored: each must be present in both with an equal value.
bool headers_covered(const ParamList& a, const ParamList& b) {
  for (const Param& pa : a) {
    bool found = false;
    for (const Param& pb : b) {
      if (iequals_unescaped(pa.name, pb.name) && unescape(pa.value) == unescape(pb.value)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::string tel_digits(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (c == '-' || c == '.' || c == '(' || c == ')') continue;  // visual separators
    out += charset::to_lower(c);
  }
  return out;
}

// RFC 3966 4: the same parameters with the same values, in any order. A name given twice
// counts by its first occurrence, as in same_params.
bool same_param_set(const ParamList& a, const ParamList& b) {
  if (a.size() != b.size()) return false;
  for (const Param& pa : a) {
    if (!is_first_of_its_name(a, pa)) continue;
    auto pb = first_named(b, pa.name);
    if (!pb || !same_param_value(pa, *pb)) return false;
  }
  for (const Param& pb : b) {
    if (!first_named(a, pb.name)) return false;
  }
  return true;
}

}  // namespace

bool uri_equivalent(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  switch (a.scheme) {
    case UriScheme::kOther:
      return charset::iequals(a.scheme_text, b.scheme_text) && a.opaque == b.opaque;
    case UriScheme::kTel:
      return tel_digits(a.user) == tel_digits(b.user) && same_param_set(a.params, b.params);
    case UriScheme::kSip:
    case UriScheme::kSips:
      break;
  }
  if (a.has_user != b.has_user || a.has_password != b.has_password) return false;
  if (unescape(a.user) != unescape(b.user)) return false;
  if (unescape(a.password) != unescape(b.password)) return false;
  if (!same_host(a, b)) return false;
  if (a.port != b.port) return false;  // an explicit 5060 differs from none
  if (!same_params(a.params, b.params)) return false;
  return headers_covered(a.headers, b.headers) && headers_covered(b.headers, a.headers);
}

}  // namespace lanline::sip
