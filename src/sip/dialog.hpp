// Dialogs (RFC 3261 section 12): the state two user agents share for a call, and the
// requests sent inside one (12.2.1.1). Also the general request builder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "builder.hpp"
#include "endpoint.hpp"
#include "message.hpp"

namespace lanline::sip {

struct Dialog {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  std::uint32_t local_seq = 0;
  std::optional<std::uint32_t> remote_seq;
  std::string local_uri;               // name-addr for From (UAC) or To (UAS), without tag
  std::string remote_uri;              // name-addr of the peer, without tag
  std::string remote_target;           // the peer's Contact URI
  std::vector<std::string> route_set;  // Route values, in the order they are sent

  // RFC 3261 12.1.2: from our INVITE and a response with a To tag (18x or 2xx).
  static Dialog as_uac(const Message& request, const Message& response);
  // RFC 3261 12.1.1: from the INVITE we received and the To tag we chose.
  static Dialog as_uas(const Message& request, std::string local_tag);

  // Whether a request from the peer belongs to this dialog (Call-ID and both tags).
  bool matches_request(const Message& request) const;
};

// What every request we send carries: our address in Via and Contact.
struct LocalContact {
  std::string user;
  std::string host;  // IP address, IPv6 without brackets
  std::uint16_t port = 5060;
  TransportKind transport = TransportKind::kUdp;
  std::string user_agent = "Lanline";

  std::string host_port() const;  // "192.0.2.1:5060" or "[2001:db8::1]:5060"
  std::string contact() const;    // "<sip:user@host:port>" (";transport=tcp|tls" on TCP, TLS)
};

struct RequestSpec {
  std::string method;
  std::string request_uri;
  std::string from;  // name-addr with tag
  std::string to;    // name-addr, with tag inside a dialog
  std::string call_id;
  std::uint32_t cseq = 1;
  std::string branch;  // empty: a new one
  std::vector<std::string> routes;
  bool contact = true;  // INVITE, re-INVITE and OPTIONS carry one
  ExtraHeaders headers;
  std::string content_type;
  std::string body;
};

// The request, written once (see builder.hpp).
Result<Message> build_request(const LocalContact& local, const RequestSpec& spec);

// A request inside `dialog` (12.2.1.1): Request-URI is the remote target, Route the
// route set, CSeq the next local number (or `cseq` as given, for an ACK or CANCEL).
RequestSpec in_dialog_request(Dialog& dialog, std::string method,
                              std::optional<std::uint32_t> cseq = std::nullopt);

// Where a URI's requests go without DNS: its host (an IP address) and port, and the
// transport its parameters ask for. Nothing for a host name.
std::optional<Endpoint> endpoint_for(const Uri& uri);
// The transport a URI asks for: TLS for sips: (RFC 5630) and transport=tls, TCP for
// transport=tcp, else UDP; and its port, 5061 by default over TLS (RFC 3263 4.2).
TransportKind transport_for(const Uri& uri);
int default_port_for(const Uri& uri);

}  // namespace lanline::sip
