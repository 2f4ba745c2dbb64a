// Typed forms of the header fields the stack uses (RFC 3261 section 20). Every string
// is a view into the message text; the parser fills these in as it reads the headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "method.hpp"
#include "params.hpp"
#include "result.hpp"
#include "uri.hpp"

namespace lanline::sip {

// RFC 3261 20.42, with received/rport of RFC 3581 and IPv6 hosts of RFC 5118.
struct Via {
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", or any token
  std::string_view host;              // IPv6 with brackets, as written
  HostKind host_kind = HostKind::kNone;
  int port = -1;
  std::string_view branch;
  std::string_view received;  // an address, IPv6 with or without brackets (RFC 5118 4.5)
  std::string_view maddr;
  int ttl = -1;
  bool has_rport = false;
  int rport = -1;  // the value the server filled in, -1 when the parameter has none
  ParamList params;
  std::string_view text;  // this via-parm as written
};

// name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route.
struct NameAddr {
  std::string_view display_name;  // as written: "quoted" with quotes, or tokens; may be empty
  Uri uri;
  bool bracketed = false;  // written as <uri>
  ParamList params;
  std::string_view tag;  // From/To (RFC 3261 19.3)
  std::string_view text;

  // The display name as a person reads it: quotes removed and quoted-pairs resolved.
  std::string display_name_text() const;
};

// RFC 3261 20.10.
struct Contact : NameAddr {
  std::optional<std::uint32_t> expires;  // delta-seconds, clamped to 2^32-1
  int q = -1;                            // qvalue in thousandths (0..1000), -1 when absent
};

struct ContactList {
  bool star = false;  // "Contact: *" (REGISTER removing all bindings)
  std::vector<Contact> contacts;
};

// RFC 3261 20.16.
struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::kUnknown;
  std::string_view method_text;
};

// RFC 3261 20.15 media-type.
struct MediaType {
  std::string_view type;
  std::string_view subtype;
  ParamList params;
};

// RFC 6665 Event.
struct Event {
  std::string_view package;
  std::string_view id;
  ParamList params;
};

// A comma-separated list of tokens (Allow, Supported, Require, Proxy-Require, Unsupported),
// possibly spread over several header fields of the same name (RFC 3261 7.3.1).
class TokenList {
 public:
  TokenList() = default;
  explicit TokenList(std::string_view raw) : first_(raw) {}
  // Adds the value of one more header field of the same name.
  void append(std::string_view raw);
  bool present() const { return present_ || !first_.empty(); }
  bool empty() const;
  // Option tags compare case-insensitively, methods exactly: `contains` is exact,
  // `contains_nocase` is not.
  bool contains(std::string_view token) const;
  bool contains_nocase(std::string_view token) const;
  std::vector<std::string_view> items() const;
  template <class F>
  void for_each(F&& f) const {
    for_each_in(first_, f);
    for (std::string_view raw : more_)
      for_each_in(raw, f);
  }

 private:
  template <class F>
  static void for_each_in(std::string_view raw, F& f) {
    std::size_t pos = 0;
    std::string_view item;
    while (next(raw, pos, item))
      f(item);
  }
  static bool next(std::string_view raw, std::size_t& pos, std::string_view& item);
  std::string_view first_;
  std::vector<std::string_view> more_;
  bool present_ = false;
};

// Header field values, parsed on their own (the message parser uses these too).
// Each appends to `out` where the header can carry several values.
std::optional<ParseError> parse_via_values(std::string_view value, std::vector<Via>& out);
std::optional<ParseError> parse_name_addr_values(std::string_view value, std::vector<NameAddr>& out,
                                                 std::string_view what = "Route");
std::optional<ParseError> parse_contact_values(std::string_view value, ContactList& out);
Result<NameAddr> parse_name_addr(std::string_view value);  // From, To: exactly one
Result<CSeq> parse_cseq(std::string_view value);
Result<MediaType> parse_media_type(std::string_view value);
Result<Event> parse_event(std::string_view value);
std::optional<ParseError> parse_token_list(std::string_view value, TokenList& out);
Result<std::uint32_t> parse_delta_seconds(std::string_view value);  // clamped to 2^32-1
Result<std::string_view> parse_call_id(std::string_view value);     // word [ "@" word ]

// Splits a header value at top-level commas, never inside quotes or <...> (RFC 3261 7.3.1).
std::vector<std::string_view> split_comma_values(std::string_view value);

// Trims SP, HTAB and line folding from both ends.
std::string_view trim_lws(std::string_view text);

}  // namespace lanline::sip
