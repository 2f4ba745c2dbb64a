// A SIP message (RFC 3261 section 7): a request or a response, its header fields in the
// order they came, their typed forms, and the body. The message owns its bytes; every
// string_view in it points into them, so a Message moves but does not copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "header_names.hpp"
#include "headers.hpp"
#include "method.hpp"
#include "uri.hpp"

namespace lanline::sip {

struct HeaderField {
  HeaderId id = HeaderId::kOther;
  std::string_view name;   // as written
  std::string_view value;  // as written, leading and trailing LWS removed, folding kept
};

// A header field the parser could not read as its type, kept verbatim in headers().
// Only headers the transaction layer can do without are tolerated this way (see
// parser.cpp); the layer that needs one decides what to answer (e.g. 400 for an INVITE
// whose Contact is unreadable).
struct HeaderError {
  HeaderId id = HeaderId::kOther;
  std::string_view name;
  std::string reason;
};

class Message {
 public:
  Message() = default;
  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }

  // Request line.
  Method method() const { return method_; }
  std::string_view method_text() const { return method_text_; }
  const Uri& request_uri() const { return request_uri_; }
  // Status line.
  int status_code() const { return status_code_; }
  std::string_view reason() const { return reason_; }
  std::string_view version() const { return version_; }

  const std::vector<HeaderField>& headers() const { return headers_; }
  // The first value of a header by name (case-insensitive, compact forms too).
  std::optional<std::string_view> header(std::string_view name) const;
  std::vector<std::string_view> header_values(std::string_view name) const;

  std::string_view body() const { return body_; }

  // Typed header fields.
  const std::vector<Via>& via() const { return via_; }
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  std::string_view call_id() const { return call_id_; }
  const CSeq& cseq() const { return cseq_; }
  std::optional<int> max_forwards() const { return max_forwards_; }
  const ContactList& contact() const { return contact_; }
  const std::vector<NameAddr>& route() const { return route_; }
  const std::vector<NameAddr>& record_route() const { return record_route_; }
  const std::optional<MediaType>& content_type() const { return content_type_; }
  std::optional<std::size_t> content_length() const { return content_length_; }
  const TokenList& allow() const { return allow_; }
  const TokenList& supported() const { return supported_; }
  const TokenList& require() const { return require_; }
  const TokenList& proxy_require() const { return proxy_require_; }
  std::optional<std::uint32_t> expires() const { return expires_; }
  const std::optional<Event>& event() const { return event_; }
  std::string_view user_agent() const { return user_agent_; }

  const std::vector<HeaderError>& header_errors() const { return header_errors_; }

  // The bytes the message was parsed from (its header section and body).
  std::string_view text() const { return {storage_.get(), size_}; }

  // Same start line, the same header fields in the same order (names compared
  // case-insensitively and by compact form, values with folding as single spaces),
  // and the same body.
  bool operator==(const Message& other) const;

 private:
  friend class MessageParser;

  std::unique_ptr<char[]> storage_;
  std::size_t size_ = 0;

  bool is_request_ = true;
  Method method_ = Method::kUnknown;
  std::string_view method_text_;
  Uri request_uri_;
  int status_code_ = 0;
  std::string_view reason_;
  std::string_view version_;

  std::vector<HeaderField> headers_;
  std::string_view body_;

  std::vector<Via> via_;
  NameAddr from_;
  NameAddr to_;
  std::string_view call_id_;
  CSeq cseq_;
  std::optional<int> max_forwards_;
  ContactList contact_;
  std::vector<NameAddr> route_;
  std::vector<NameAddr> record_route_;
  std::optional<MediaType> content_type_;
  std::optional<std::size_t> content_length_;
  TokenList allow_;
  TokenList supported_;
  TokenList require_;
  TokenList proxy_require_;
  std::optional<std::uint32_t> expires_;
  std::optional<Event> event_;
  std::string_view user_agent_;
  std::vector<HeaderError> header_errors_;
};

}  // namespace lanline::sip
