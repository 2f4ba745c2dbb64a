// SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966), and any other absolute URI kept opaque.
// A parsed Uri is a set of views into the text it was parsed from; that text must outlive it.
#pragma once

#include <string>
#include <string_view>

#include "params.hpp"
#include "result.hpp"

namespace lanline::sip {

enum class UriScheme { kSip, kSips, kTel, kOther };
enum class HostKind { kNone, kName, kIPv4, kIPv6 };

struct Uri {
  UriScheme scheme = UriScheme::kOther;
  std::string_view scheme_text;  // as written ("SIP", "sips", "soap.beep")
  std::string_view user;         // escaped as written; tel: the number
  std::string_view password;
  bool has_user = false;
  bool has_password = false;
  std::string_view host;  // IPv6 with its brackets, as written
  HostKind host_kind = HostKind::kNone;
  int port = -1;               // -1 when absent
  std::string_view port_text;  // as written: "0160" prints as "0160"
  ParamList params;            // ";transport=tcp;lr"
  ParamList headers;           // "?a=b&c=d" without the '?'; separator '&'
  std::string_view opaque;     // kOther: everything after "scheme:"
  std::string_view text;       // the whole URI as written

  bool is_sip() const { return scheme == UriScheme::kSip || scheme == UriScheme::kSips; }
  // The host without IPv6 brackets.
  std::string_view host_address() const;
  // Port if present, else the default for the scheme (5060, or 5061 for sips).
  int port_or_default() const;
};

// Where the URI ends decides how much of the text belongs to it.
enum class UriContext {
  kStandalone,  // the whole input is the URI
  kRequestUri,  // ends at SP; headers are not allowed (RFC 3261 19.1.1 table)
  kBracketed,   // inside <...>: ends at '>'
  kAddrSpec,    // name-addr without <...>: ends before ';', ',' or LWS; no params or headers
};

// Parses a URI at the start of `text`. On success `consumed` says how many bytes it used.
Result<Uri> parse_uri(std::string_view text, UriContext context, std::size_t* consumed = nullptr);
inline Result<Uri> parse_uri(std::string_view text) {
  return parse_uri(text, UriContext::kStandalone);
}

// Prints from the components, so a parsed URI prints as it was written.
std::string to_string(const Uri& uri);
void append_uri(std::string& out, const Uri& uri);

// RFC 3261 19.1.4 equivalence (and RFC 3966 section 4 for tel).
bool uri_equivalent(const Uri& a, const Uri& b);

// %HH decoding; an invalid escape is kept as written.
std::string unescape(std::string_view text);

}  // namespace lanline::sip
