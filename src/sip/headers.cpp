#include "headers.hpp"

#include <limits>

#include "charset.hpp"
#include "grammar.hpp"
#include "scanner.hpp"

namespace lanline::sip {
namespace {

ParseError malformed(std::string reason) {
  return parse_error(ParseErrorCode::kMalformed, std::move(reason));
}

std::string describe_at(const Scanner& s) {
  if (s.eof()) return "end of value";
  char c = s.peek();
  if (c >= 0x21 && c < 0x7f) return std::string("'") + c + "'";
  return "byte " + std::to_string(static_cast<unsigned char>(c));
}

// gen-value = token / host / quoted-string. Read liberally: real stacks put base64
// ("z9hG4bKD+ta2m/L50a=") or "ip:port" in values, so any visible character but the
// separators and quotes is taken; what a value means is checked where it is used.
bool gen_value(Scanner& s, std::string_view& value) {
  if (s.peek() == '"') return s.quoted_string(value);
  value = s.take(charset::kGenValue);
  return !value.empty();
}

// *( SEMI generic-param ): calls on_param(name, value, has_value) for each, which may
// refuse a value. Leaves the scanner after the last parameter (before trailing LWS).
template <class OnParam>
std::optional<ParseError> parse_header_params(Scanner& s, std::string_view what, ParamList& out,
                                              OnParam&& on_param) {
  std::size_t start = s.pos();
  std::size_t end = start;
  while (s.consume_separator(';')) {
    std::string_view name = s.token();
    if (name.empty()) {
      return malformed("empty parameter in " + std::string(what) + " (found " + describe_at(s) +
                       ")");
    }
    std::string_view value;
    bool has_value = false;
    if (s.consume_separator('=')) {
      if (!gen_value(s, value)) {
        return malformed(std::string(what) + " parameter '" + std::string(name) +
                         "' has a bad value");
      }
      has_value = true;
    }
    if (auto err = on_param(name, value, has_value)) return err;
    end = s.pos();
  }
  s.set_pos(end);
  out = ParamList(s.text().substr(start, end - start));
  return std::nullopt;
}

// After a value: LWS, then either the end or a comma that starts the next value.
// Returns true when another value follows.
std::optional<ParseError> list_continues(Scanner& s, std::string_view what, bool& more) {
  s.skip_lws();
  if (s.eof()) {
    more = false;
    return std::nullopt;
  }
  if (!s.consume(',')) {
    return malformed("unexpected " + describe_at(s) + " in " + std::string(what));
  }
  s.skip_lws();
  if (s.eof()) return malformed(std::string(what) + " ends with ','");
  more = true;
  return std::nullopt;
}

bool parse_u32_clamped(std::string_view digits, std::uint32_t& out) {
  if (digits.empty()) return false;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (!charset::is_digit(c)) return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > std::numeric_limits<std::uint32_t>::max()) {
      value = std::numeric_limits<std::uint32_t>::max();
      // Keep reading to validate the digits; the value stays clamped.
      for (char rest : digits) {
        if (!charset::is_digit(rest)) return false;
      }
      break;
    }
  }
  out = static_cast<std::uint32_t>(value);
  return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
bool parse_qvalue(std::string_view text, int& out) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return false;
  int value = (text[0] - '0') * 1000;
  if (text.size() > 1) {
    if (text[1] != '.' || text.size() > 5) return false;
    int scale = 100;
    for (std::size_t i = 2; i < text.size(); ++i) {
      if (!charset::is_digit(text[i])) return false;
      value += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (value > 1000) return false;
  out = value;
  return true;
}

// The name-addr / addr-spec at the scanner, without its header parameters.
std::optional<ParseError> parse_address(Scanner& s, NameAddr& out, std::string_view what) {
  std::size_t start = s.pos();
  // An addr-spec starts with "scheme:"; anything else is a display name and <uri>.
  Scanner probe(s.text(), s.pos());
  std::string_view scheme = probe.take(charset::kSchemeChar);
  bool addr_spec = !scheme.empty() && charset::is(scheme[0], charset::kAlnum) &&
                   !charset::is_digit(scheme[0]) && probe.peek() == ':';
  if (!addr_spec) {
    if (s.peek() == '"') {
      if (!s.quoted_string(out.display_name)) {
        return malformed("unterminated quoted display name in " + std::string(what));
      }
    } else if (s.peek() != '<') {
      std::size_t name_start = s.pos();
      std::size_t name_end = name_start;
      while (true) {
        std::string_view word = s.token();
        if (word.empty()) break;
        name_end = s.pos();
        s.skip_lws();
      }
      s.set_pos(name_end);
      out.display_name = s.text().substr(name_start, name_end - name_start);
      if (out.display_name.empty()) {
        return malformed("expected a display name or '<' in " + std::string(what) + ", found " +
                         describe_at(s));
      }
    }
    s.skip_lws();  // LAQUOT = SWS "<" (RFC 4475 3.1.1.6 asks to accept no LWS too)
    if (!s.consume('<')) {
      return malformed("expected '<' after the display name in " + std::string(what) + ", found " +
                       describe_at(s));
    }
    std::size_t used = 0;
    auto uri = parse_uri(s.rest(), UriContext::kBracketed, &used);
    if (!uri) return malformed(std::string(what) + ": " + uri.error().reason);
    out.uri = std::move(uri).value();
    s.set_pos(s.pos() + used);
    if (!s.consume('>')) return malformed("expected '>' in " + std::string(what));
    out.bracketed = true;
  } else {
    std::size_t used = 0;
    auto uri = parse_uri(s.rest(), UriContext::kAddrSpec, &used);
    if (!uri) return malformed(std::string(what) + ": " + uri.error().reason);
    out.uri = std::move(uri).value();
    s.set_pos(s.pos() + used);
    if (s.peek() == '?' || s.peek() == '>') {
      return malformed(std::string(what) + ": a URI with headers must be enclosed in <> " +
                       "(RFC 3261 20)");
    }
  }
  out.text = s.slice(start);
  return std::nullopt;
}

std::optional<ParseError> no_param_rules(std::string_view, std::string_view, bool) {
  return std::nullopt;
}

}  // namespace

// ---- Via (RFC 3261 20.42, RFC 3581) ----

std::optional<ParseError> parse_via_values(std::string_view value, std::vector<Via>& out) {
  Scanner s(value);
  s.skip_lws();
  if (s.eof()) return malformed("empty Via");
  bool more = true;
  while (more) {
    Via via;
    std::size_t start = s.pos();
    via.protocol_name = s.token();
    if (via.protocol_name.empty() || !s.consume_separator('/')) {
      return malformed("Via must start with a sent-protocol like SIP/2.0/UDP");
    }
    via.protocol_version = s.token();
    if (via.protocol_version.empty() || !s.consume_separator('/')) {
      return malformed("Via sent-protocol has no version or transport");
    }
    via.transport = s.token();
    if (via.transport.empty()) return malformed("Via has no transport");
    if (!s.skip_lws()) return malformed("Via needs white space before sent-by");
    if (auto err = parse_hostport(s, via.host, via.host_kind, via.port)) {
      return malformed("Via sent-by: " + err->reason);
    }
    auto err = parse_header_params(s, "Via", via.params,
                                   [&via](std::string_view name, std::string_view v,
                                          bool has_value) -> std::optional<ParseError> {
                                     if (charset::iequals(name, "branch")) {
                                       if (!has_value) return malformed("Via branch has no value");
                                       via.branch = v;
                                     } else if (charset::iequals(name, "received")) {
                                       // An address, IPv6 with or without brackets (RFC 5118 4.5);
                                       // some servers add
                                       // ":port". Kept as written: the transport trusts the
                                       // socket's address, not this.
                                       if (!has_value)
                                         return malformed("Via received has no value");
                                       via.received = v;
                                     } else if (charset::iequals(name, "rport")) {
                                       via.has_rport = true;
                                       if (has_value) {
                                         std::uint64_t port = 0;
                                         if (!parse_unsigned(v, 65535, port))
                                           return malformed("Via rport is not a port");
                                         via.rport = static_cast<int>(port);
                                       }
                                     } else if (charset::iequals(name, "ttl")) {
                                       std::uint64_t ttl = 0;
                                       if (!has_value || !parse_unsigned(v, 255, ttl))
                                         return malformed("Via ttl is not 0-255");
                                       via.ttl = static_cast<int>(ttl);
                                     } else if (charset::iequals(name, "maddr")) {
                                       if (!has_value) return malformed("Via maddr has no value");
                                       via.maddr = v;
                                     }
                                     return std::nullopt;
                                   });
    if (err) return err;
    via.text = s.slice(start);
    out.push_back(via);
    if (auto e = list_continues(s, "Via", more)) return e;
  }
  return std::nullopt;
}

// ---- From, To, Route, Record-Route, Contact ----

std::string NameAddr::display_name_text() const {
  std::string_view dn = display_name;
  if (dn.size() < 2 || dn.front() != '"') return std::string(dn);
  std::string out;
  for (std::size_t i = 1; i + 1 < dn.size(); ++i) {
    if (dn[i] == '\\' && i + 2 < dn.size()) ++i;
    out += dn[i];
  }
  return out;
}

namespace {

std::optional<ParseError> parse_one_name_addr(Scanner& s, NameAddr& out, std::string_view what,
                                              bool capture_tag) {
  if (auto err = parse_address(s, out, what)) return err;
  std::size_t start = out.text.empty() ? s.pos() : s.pos() - out.text.size();
  auto err = parse_header_params(
      s, what, out.params,
      [&](std::string_view name, std::string_view v, bool has_value) -> std::optional<ParseError> {
        if (capture_tag && charset::iequals(name, "tag")) {
          if (!has_value || v.front() == '"') return malformed(std::string(what) + " tag is empty");
          out.tag = v;
        }
        return std::nullopt;
      });
  if (err) return err;
  out.text = s.slice(start);
  return std::nullopt;
}

}  // namespace

Result<NameAddr> parse_name_addr(std::string_view value) {
  Scanner s(value);
  s.skip_lws();
  NameAddr addr;
  if (auto err = parse_one_name_addr(s, addr, "address", true)) return *std::move(err);
  s.skip_lws();
  if (!s.eof()) {
    return malformed("unexpected " + describe_at(s) + " after the address (one value allowed)");
  }
  return addr;
}

std::optional<ParseError> parse_name_addr_values(std::string_view value, std::vector<NameAddr>& out,
                                                 std::string_view what) {
  Scanner s(value);
  s.skip_lws();
  if (s.eof()) return malformed("empty " + std::string(what));
  bool more = true;
  while (more) {
    NameAddr addr;
    if (auto err = parse_one_name_addr(s, addr, what, false)) return err;
    if (!addr.bracketed) return malformed(std::string(what) + " values must be <uri>");
    out.push_back(std::move(addr));
    if (auto e = list_continues(s, what, more)) return e;
  }
  return std::nullopt;
}

std::optional<ParseError> parse_contact_values(std::string_view value, ContactList& out) {
  Scanner s(value);
  s.skip_lws();
  if (s.eof()) return malformed("empty Contact");
  if (s.peek() == '*') {
    s.set_pos(s.pos() + 1);
    s.skip_lws();
    if (!s.eof() || !out.contacts.empty() || out.star) {
      return malformed("Contact '*' must stand alone");
    }
    out.star = true;
    return std::nullopt;
  }
  if (out.star) return malformed("Contact '*' must stand alone");
  bool more = true;
  while (more) {
    Contact contact;
    if (auto err = parse_address(s, contact, "Contact")) return err;
    std::size_t start = s.pos() - contact.text.size();
    auto err =
        parse_header_params(s, "Contact", contact.params,
                            [&contact](std::string_view name, std::string_view v,
                                       bool has_value) -> std::optional<ParseError> {
                              if (charset::iequals(name, "expires")) {
                                std::uint32_t seconds = 0;
                                if (!has_value || !parse_u32_clamped(v, seconds)) {
                                  return malformed("Contact expires is not a number of seconds");
                                }
                                contact.expires = seconds;
                              } else if (charset::iequals(name, "q")) {
                                if (!has_value || !parse_qvalue(v, contact.q)) {
                                  return malformed("Contact q is not a qvalue between 0 and 1");
                                }
                              }
                              return std::nullopt;
                            });
    if (err) return err;
    contact.text = s.slice(start);
    out.contacts.push_back(std::move(contact));
    if (auto e = list_continues(s, "Contact", more)) return e;
  }
  return std::nullopt;
}

// ---- Single-value headers ----

Result<CSeq> parse_cseq(std::string_view value) {
  Scanner s(value);
  s.skip_lws();
  CSeq cseq;
  std::uint64_t number = 0;
  std::string_view digits = s.digits();
  if (digits.empty()) return malformed("CSeq does not start with a number");
  if (!parse_unsigned(digits, std::numeric_limits<std::uint32_t>::max(), number)) {
    return malformed("CSeq number is larger than 2^32-1 (RFC 3261 8.1.1.5)");
  }
  cseq.number = static_cast<std::uint32_t>(number);
  if (!s.skip_lws()) return malformed("CSeq needs white space before the method");
  cseq.method_text = s.token();
  if (cseq.method_text.empty()) return malformed("CSeq has no method");
  s.skip_lws();
  if (!s.eof()) return malformed("unexpected " + describe_at(s) + " after the CSeq method");
  cseq.method = method_from_token(cseq.method_text);
  return cseq;
}

Result<MediaType> parse_media_type(std::string_view value) {
  Scanner s(value);
  s.skip_lws();
  MediaType type;
  type.type = s.token();
  if (type.type.empty() || !s.consume_separator('/')) {
    return malformed("Content-Type is not type/subtype");
  }
  type.subtype = s.token();
  if (type.subtype.empty()) return malformed("Content-Type has no subtype");
  if (auto err = parse_header_params(s, "Content-Type", type.params, no_param_rules)) {
    return *std::move(err);
  }
  s.skip_lws();
  if (!s.eof()) return malformed("unexpected " + describe_at(s) + " in Content-Type");
  return type;
}

Result<Event> parse_event(std::string_view value) {
  Scanner s(value);
  s.skip_lws();
  Event event;
  event.package = s.token();  // event-type = event-package *( "." event-template ): token chars
  if (event.package.empty()) return malformed("Event has no package");
  auto err = parse_header_params(
      s, "Event", event.params,
      [&event](std::string_view name, std::string_view v, bool) -> std::optional<ParseError> {
        if (charset::iequals(name, "id")) event.id = v;
        return std::nullopt;
      });
  if (err) return *std::move(err);
  s.skip_lws();
  if (!s.eof()) return malformed("unexpected " + describe_at(s) + " in Event");
  return event;
}

std::optional<ParseError> parse_token_list(std::string_view value, TokenList& out) {
  Scanner s(value);
  s.skip_lws();
  bool more = !s.eof();  // Allow and Supported may be empty
  while (more) {
    if (s.token().empty()) return malformed("expected a token, found " + describe_at(s));
    if (auto e = list_continues(s, "token list", more)) return e;
  }
  out.append(value);
  return std::nullopt;
}

Result<std::uint32_t> parse_delta_seconds(std::string_view value) {
  std::string_view digits = trim_lws(value);
  std::uint32_t seconds = 0;
  if (!parse_u32_clamped(digits, seconds)) return malformed("not a number of seconds");
  return seconds;
}

Result<std::string_view> parse_call_id(std::string_view value) {
  std::string_view id = trim_lws(value);
  if (id.empty()) return malformed("empty Call-ID");
  int ats = 0;
  for (char c : id) {
    if (c == '@') {
      ++ats;
    } else if (!charset::is(c, charset::kWord)) {
      return malformed("Call-ID has a character outside 'word' (RFC 3261 25.1)");
    }
  }
  if (ats > 1 || id.front() == '@' || id.back() == '@') {
    return malformed("Call-ID must be word [\"@\" word]");
  }
  return id;
}

// ---- Lists and helpers ----

void TokenList::append(std::string_view raw) {
  if (!present_) {
    first_ = raw;
    present_ = true;
  } else {
    more_.push_back(raw);
  }
}

bool TokenList::next(std::string_view raw, std::size_t& pos, std::string_view& item) {
  Scanner s(raw, pos);
  s.skip_lws();
  if (s.peek() == ',') {
    s.set_pos(s.pos() + 1);
    s.skip_lws();
  }
  item = s.token();
  pos = s.pos();
  return !item.empty();
}

bool TokenList::empty() const {
  bool any = false;
  for_each([&any](std::string_view) { any = true; });
  return !any;
}

bool TokenList::contains(std::string_view token) const {
  bool found = false;
  for_each([&](std::string_view item) { found = found || item == token; });
  return found;
}

bool TokenList::contains_nocase(std::string_view token) const {
  bool found = false;
  for_each([&](std::string_view item) { found = found || charset::iequals(item, token); });
  return found;
}

std::vector<std::string_view> TokenList::items() const {
  std::vector<std::string_view> out;
  for_each([&out](std::string_view item) { out.push_back(item); });
  return out;
}

std::string_view trim_lws(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_comma_values(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  bool in_quotes = false;
  int angle = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (in_quotes) {
      if (c == '\\' && i + 1 < value.size()) {
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == ',' && angle == 0) {
      std::string_view item = trim_lws(value.substr(start, i - start));
      if (!item.empty()) out.push_back(item);
      start = i + 1;
    }
  }
  std::string_view item = trim_lws(value.substr(start));
  if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace lanline::sip
