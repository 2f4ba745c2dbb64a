// Messages the stack writes itself: responses to requests (RFC 3261 8.2.6), the ACK for a
// non-2xx final response (17.1.1.3) and CANCEL (9.1); requests are built in dialog.hpp.
// Each writes its bytes once, into the Message it returns: that Message sends exactly
// those bytes (text()) and is read like a received one, so its sender never prints or
// parses it again. The parser, the one place that knows the grammar, gives it its typed
// views. An error says which input would have put an unreadable message on the wire (a
// display name with a stray quote, say).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "message.hpp"
#include "result.hpp"

namespace lanline::sip {

using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;

// The standard reason phrase for a status code ("Not Found"), or "" if none is known.
std::string_view reason_phrase(int code);

struct ResponseSpec {
  int code = 200;
  std::string reason;  // empty: the standard phrase
  std::string to_tag;  // added to To when the request's To has none (not for 100)
  ExtraHeaders headers;
  std::string content_type;
  std::string body;
};

// Via, From, To, Call-ID and CSeq come from the request; Record-Route too for 18x/2xx
// (RFC 3261 12.1.1).
Result<Message> build_response(const Message& request, const ResponseSpec& spec);

// ACK for a non-2xx final response: same Request-URI, top Via, From, Call-ID and Route as
// the INVITE, To from the response, CSeq number of the INVITE with method ACK.
Result<Message> build_ack_for_non2xx(const Message& invite, const Message& response);

// CANCEL for a pending INVITE: Request-URI, top Via, From, To, Call-ID, Route and CSeq
// number copied, method CANCEL.
Result<Message> build_cancel(const Message& invite);

// The answer to a request that did not parse (RFC 3261 8.2, 16.3): 400, 505 or 513 with a
// reason phrase that says what was wrong, carrying the request's Via, From, To, Call-ID
// and CSeq lines as they were. Nothing for a response (those are dropped) or when those
// lines cannot be found, since no answer could reach the sender then. Bytes, not a
// Message: it answers bytes that did not parse, and the transport sends it as it is.
std::optional<std::string> build_error_response(std::string_view raw, const ParseError& error);

// A fresh branch with the RFC 3261 magic cookie ("z9hG4bK" + 16 random hex digits).
std::string new_branch();
// A random token for tags and Call-IDs (hex, `bytes` random bytes).
std::string random_token(std::size_t bytes = 8);

}  // namespace lanline::sip
