// The UA core (RFC 3261 sections 8, 13 to 15, RFC 3428): calls as INVITE sessions, as
// caller and callee, with CANCEL, re-INVITE hold and resume, glare (491), BYE; MESSAGE in
// and out of a dialog; OPTIONS; and the right answer to everything else. Like the
// transaction layer below it, it does no I/O: fed messages and the time, it sends
// through a TransportSender and reports to a UserAgentListener.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/call_media.hpp"
#include "sdp/offer_answer.hpp"
#include "sip/dialog.hpp"
#include "sip/transaction_layer.hpp"

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
};

struct IncomingMessage {
  std::string from_uri;
  std::string from_name;
  std::string content_type;
  std::string text;
  CallId call = 0;  // the call whose dialog carried it, 0 outside a dialog
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
};

struct UserAgentConfig {
  sip::LocalContact local;  // our user, IPv4 address, port
  std::string ipv6_host;    // our IPv6 address, for peers reached over IPv6 (may be empty)
  std::string display_name;
  bool auto_answer = false;
  // The media of each call: reserve() before our first offer or answer, apply() after
  // every completed exchange, release() at its end. It must outlive the UserAgent. Null:
  // no media, and the SDP names media_port (tests of signalling alone).
  CallMedia* media = nullptr;
  std::uint16_t media_port = 40000;
  // Audio codecs to offer and accept, in order of preference (sdp::codec_named's names;
  // unknown ones are left out).
  std::vector<std::string> codecs{"opus", "G722", "PCMU", "PCMA"};
  sdp::OpusOptions opus;
  bool telephone_event = true;
  // How long a probe waits for an answer. Far shorter than Timer F (32 s), so a peer that
  // vanished without a goodbye is found out within seconds; with T1 = 500 ms the OPTIONS
  // still goes out three times over UDP in that time.
  sip::Duration probe_deadline{2000};
};

// The answer to a command: an id, or an error a person can act on.
struct Outcome {
  std::uint64_t id = 0;
  std::string error;
  bool ok() const { return error.empty(); }
};

class UserAgent : private sip::TransactionUser {
 public:
  UserAgent(sip::TransportSender& transport, UserAgentListener& listener, UserAgentConfig config,
            sip::TimerValues timers = {});
  ~UserAgent() override;

  void receive(sip::Message message, const sip::Endpoint& from, sip::TimePoint now);
  void advance(sip::TimePoint now);
  std::optional<sip::TimePoint> next_timer() const;

  // Places a call to `target`, sending to `destination`.
  Outcome call(const sip::Uri& target, const sip::Endpoint& destination, sip::TimePoint now);
  Outcome answer(CallId id, sip::TimePoint now);
  Outcome decline(CallId id, sip::TimePoint now);
  Outcome hangup(CallId id, sip::TimePoint now);  // BYE, CANCEL or decline, as the state asks
  Outcome hold(CallId id, sip::TimePoint now);
  Outcome resume(CallId id, sip::TimePoint now);
  // A text message: inside the call's dialog when `call` is set, else on its own.
  Outcome message(const sip::Uri& target, const sip::Endpoint& destination, const std::string& text,
                  sip::TimePoint now);
  Outcome message_in_call(CallId id, const std::string& text, sip::TimePoint now);
  // An out-of-dialog OPTIONS (RFC 3261 11) to learn whether a SIP node answers at
  // `destination`; the result comes to on_probe_result, by the deadline at the latest.
  Outcome probe(const sip::Uri& target, const sip::Endpoint& destination, sip::TimePoint now);
  std::size_t probes() const { return probes_.size(); }

  std::vector<CallInfo> calls() const;
  std::optional<CallInfo> find_call(CallId id) const;
  const UserAgentConfig& config() const { return config_; }
  std::size_t transactions() const { return layer_.size(); }
  std::size_t calls_kept() const { return calls_.size(); }  // live and lingering

 private:
  struct Call;

  // TransactionUser
  void on_request(sip::TransactionId server, const sip::Message& request,
                  const sip::Endpoint& from) override;
  void on_response(sip::TransactionId client, const sip::Message& response,
                   const sip::Endpoint& from) override;
  void on_failure(sip::TransactionId id, sip::TransactionFailure failure) override;

  // Requests we receive.
  bool reject_if_unacceptable(sip::TransactionId server, const sip::Message& request);
  void incoming_invite(sip::TransactionId server, const sip::Message& request,
                       const sip::Endpoint& from);
  void incoming_in_dialog(Call& call, sip::TransactionId server, const sip::Message& request);
  void incoming_reinvite(Call& call, sip::TransactionId server, const sip::Message& request);
  void incoming_cancel(sip::TransactionId server, const sip::Message& request);
  void incoming_ack(const sip::Message& ack);
  void incoming_message(sip::TransactionId server, const sip::Message& request, CallId call);

  // Responses to what we sent.
  void invite_response(Call& call, const sip::Message& response);
  void reinvite_response(Call& call, const sip::Message& response);

  // Helpers.
  void respond(sip::TransactionId server, const sip::Message& request, int code,
               sip::ExtraHeaders headers = {}, std::string to_tag = {},
               std::string content_type = {}, std::string body = {});
  // Builds and sends a request in a new client transaction; 0 if it could not be sent.
  sip::TransactionId send_request(const sip::RequestSpec& spec, sip::Endpoint& to);
  void send_cancel(Call& call);
  bool send_2xx(Call& call, const sip::Message& invite, sip::TransactionId server,
                std::string body);
  // A 400 or 488 (with a Warning, RFC 3261 20.43) for an offer we cannot answer.
  void reject_offer(sip::TransactionId server, const sip::Message& request,
                    const sdp::Rejection& rejection, std::string to_tag = {});
  sip::Result<sip::Message> build_for(const sip::RequestSpec& spec, sip::Endpoint& to) const;
  // Our address as a peer at `peer` reaches it: same family, loopback for loopback.
  sip::LocalContact local_for(const sip::Endpoint& peer) const;
  void send_bye(Call& call);
  void send_reinvite(Call& call);
  sdp::Direction wanted_direction(const Call& call) const;
  // The CallMedia seam: ports before the first offer or answer, each completed exchange,
  // the end of the call.
  bool reserve_media(Call& call);
  void apply_media(Call& call, const sdp::AudioAgreement& agreement);
  void release_media(Call& call);
  // An answer to our offer arrived (in a 2xx or an ACK): apply it, or end the call
  // (RFC 3261 13.2.2.4, 13.3.1.4) when it cannot be used.
  bool take_answer(Call& call, std::string_view body, bool reinvite);
  void finish(Call& call, int code, std::string reason);
  void notify(const Call& call);
  // Indexes, so each message finds its call in constant time however many calls linger.
  void track(Call& call, sip::TransactionId id);
  void track_dialog(Call& call);
  void forget(CallId id);
  Call* call_by_dialog(const sip::Message& request);
  Call* call_by_transaction(sip::TransactionId id);
  // What a call's timer is for when it fires.
  enum class CallTimer {
    kRetransmit2xx,  // RFC 3261 13.3.1.4: resend the 2xx until the ACK
    kAckTimeout,     // no ACK within 64*T1: end the call with a BYE
    kReinviteRetry,  // RFC 3261 14.1: try again after a 491
    kForget,         // a finished call is kept a while for late retransmissions
    kRingTimeout,    // nobody answered: 480, as phones do after a couple of minutes
  };
  void schedule(CallId call, CallTimer kind, sip::TimePoint at);

  sip::TransactionLayer layer_;
  UserAgentListener& listener_;
  sip::TransportSender& transport_;  // for what the core sends itself: 2xx ACKs, 2xx resends
  UserAgentConfig config_;
  sip::TimerValues timers_;
  sdp::Capabilities capabilities_;
  sip::TimePoint now_{};
  CallId next_call_ = 1;
  std::map<CallId, std::unique_ptr<Call>> calls_;
  std::unordered_map<sip::TransactionId, CallId> by_transaction_;
  std::unordered_map<std::string, CallId> by_dialog_;     // Call-ID, local tag, remote tag
  std::unordered_map<std::string, CallId> by_request_;    // Call-ID, From tag, CSeq (8.2.2.2)
  std::map<sip::TransactionId, std::uint64_t> messages_;  // MESSAGE transaction -> message id
  std::uint64_t next_message_ = 1;
  std::multimap<sip::TimePoint, std::pair<CallId, CallTimer>> timers_queue_;
  std::map<sip::TransactionId, std::uint64_t> probes_;  // OPTIONS transaction -> probe id
  std::multimap<sip::TimePoint, sip::TransactionId> probe_deadlines_;
  std::uint64_t next_probe_ = 1;
};

}  // namespace lanline::core
