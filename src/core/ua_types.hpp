// The UA's public vocabulary: a call as its users see it, what the UA reports to its
// listener, its configuration and a command's outcome. user_agent.hpp includes it; the
// usages behind the UserAgent (invite_session, pager, prober) use it without knowing
// the facade.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/call_media.hpp"
#include "sdp/codecs.hpp"
#include "sip/dialog.hpp"
#include "sip/digest.hpp"
#include "sip/timers.hpp"

namespace lanline::core {

enum class CallDirection { kOutgoing, kIncoming };
enum class CallState {
  kCalling,      // INVITE sent, nothing back yet beyond 100
  kRinging,      // outgoing: the callee rings (18x)
  kIncoming,     // incoming: we ring, waiting for answer or decline
  kEstablished,  // 2xx and ACK
  kTerminated,
};
std::string_view to_string(CallState state);

using CallId = std::uint64_t;

struct CallInfo {
  CallId id = 0;
  CallDirection direction = CallDirection::kOutgoing;
  CallState state = CallState::kCalling;
  std::string remote_uri;   // the peer's address
  std::string remote_name;  // the peer's display name, if any
  std::string sip_call_id;
  bool local_hold = false;   // we put the call on hold
  bool remote_hold = false;  // the peer did
  int end_code = 0;          // the SIP status that ended it, 0 for a BYE
  std::string end_reason;    // what a person should read
  // How its SIP goes: over TLS only between nodes that both take it (issue 14).
  sip::TransportKind signalling = sip::TransportKind::kUdp;
};

// What makes a chat message exactly-once and ordered between Lanline nodes (issue 15),
// carried in its MESSAGE as Message-ID, Message-Seq and Message-Time headers: a UUID the
// sender gave it once and keeps across retries and restarts, its place in the sender's
// conversation, and when the sender queued it (Unix ms). A phone sends none of them.
struct MessageMeta {
  std::string id;
  std::int64_t seq = 0;
  std::int64_t sent_ms = 0;
};

struct IncomingMessage {
  std::string from_uri;
  std::string from_name;
  std::string content_type;
  std::string text;
  CallId call = 0;  // the call whose dialog carried it, 0 outside a dialog
  MessageMeta meta;
};

// Where a received message is stored before its 200 OK goes (UserAgent::set_message_store):
// a retransmission, a retry after a timeout or a resend after a restart is then stored
// once and answered 200 again; a message that could not be stored gets 500 and is sent
// again later.
enum class StoreVerdict { kNew, kDuplicate, kFailed };
using MessageStore = std::function<StoreVerdict(const IncomingMessage& message)>;

// A request sent through an account (issue 16) rather than straight to a peer: From is
// the address of record, Route the outbound proxy (RFC 3261 8.1.2), and a 401 or 407 is
// answered once with the account's credentials.
struct AccountRoute {
  std::string aor;
  std::string display_name;
  std::vector<std::string> routes;
  sip::DigestCredentials credentials;
};

// An account's binding at its registrar (registration.hpp), as its users see it.
enum class RegistrationState { kOff, kRegistering, kRegistered, kFailed };
std::string_view to_string(RegistrationState state);

struct RegistrationInfo {
  std::size_t account = 0;  // its index, in the order the accounts were added
  std::string aor;
  RegistrationState state = RegistrationState::kOff;
  std::uint32_t expires = 0;  // seconds the registrar granted, while registered
  std::string last_error;     // what a person should read; empty when all went well
  int last_code = 0;          // the SIP status of the last failure, 0 for none
};

class UserAgentListener {
 public:
  virtual ~UserAgentListener() = default;
  virtual void on_call(const CallInfo& call) = 0;  // after every change of a call
  virtual void on_message(const IncomingMessage& message) = 0;
  // The final answer to a MESSAGE we sent: 2xx delivered; 408 when nothing came back.
  virtual void on_message_result(std::uint64_t message_id, int code, const std::string& reason) = 0;
  // The end of an OPTIONS probe (probe()): the final status a SIP node answered with, or
  // 408 when nothing came before the probe's deadline, 503 when it could not be sent.
  virtual void on_probe_result(std::uint64_t probe_id, int code) {
    (void)probe_id;
    (void)code;
  }
  // After every change of an account's registration.
  virtual void on_registration(const RegistrationInfo& info) { (void)info; }
};

struct UserAgentConfig {
  sip::LocalContact local;     // our user, IPv4 address, port
  std::uint16_t tls_port = 0;  // where we take SIP over TLS (Via and Contact over TLS); 0: none
  std::string ipv6_host;       // our IPv6 address, for peers reached over IPv6 (may be empty)
  // Our address the host would send from towards a peer's address (with its %zone for a
  // link-local one), "" when it cannot tell: what Via, Contact and the SDP name for that
  // peer on a host with several addresses. Null (the tests'): `local.host`/`ipv6_host`.
  std::function<std::string(const std::string& peer_address)> source_address;
  std::string display_name;
  bool auto_answer = false;
  // Judges each request before it is handled (not ACK or CANCEL, which answer nothing
  // new): empty to go on, else why it is refused, answered 403 with that reason in a
  // Warning (RFC 3261 20.43). Null: every request goes on. The engine holds a request
  // over TLS that claims a discovered peer to that peer's certificate.
  std::function<std::string(const sip::Message& request, const sip::Endpoint& from)> screen;
  // The media of each call: prepare() before our first offer or answer, apply() after
  // every completed exchange, release() at its end. It must outlive the UserAgent. Null:
  // no media, and the SDP names media_port (tests of signalling alone).
  CallMedia* media = nullptr;
  std::uint16_t media_port = 40000;
  // How long a call waits for a transport that prepare() left pending (ICE gathering
  // takes a second or two): the caller sends no INVITE, the callee holds its 2xx, until
  // media_ready() or this bound, when the call fails (a callee answers 500).
  sip::Duration media_ready_bound{4000};
  // Audio codecs to offer and accept, in order of preference (sdp::codec_named's names;
  // unknown ones are left out).
  std::vector<std::string> codecs{"opus", "G722", "PCMU", "PCMA"};
  // Video codecs to offer and accept; none: calls are audio only, and a peer's video
  // stream is refused with port 0.
  std::vector<std::string> video_codecs;
  // We have a picture to send (a camera): the first offer carries video. Without one a
  // peer's video is still taken, to receive (sdp::Capabilities::send_video).
  bool send_video = true;
  sdp::OpusOptions opus;
  bool telephone_event = true;
  // How long a probe waits for an answer. Far shorter than Timer F (32 s), so a peer that
  // vanished without a goodbye is found out within seconds; with T1 = 500 ms the OPTIONS
  // still goes out three times over UDP in that time.
  sip::Duration probe_deadline{2000};
  // At most this many calls at once (ringing, being set up or established; not the ones
  // that ended and linger for late retransmissions): a new INVITE beyond it gets 503 with
  // Retry-After (RFC 3261 21.5.4). Each call holds a media pipeline (tens of MB of
  // address space, a few threads), so this bounds the node's memory. 0: no limit.
  std::size_t max_calls = 1000;
};

// The answer to a command: an id, or an error a person can act on.
struct Outcome {
  std::uint64_t id = 0;
  std::string error;
  bool ok() const { return error.empty(); }
};

}  // namespace lanline::core
