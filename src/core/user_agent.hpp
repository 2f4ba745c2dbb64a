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

#include "core/pager.hpp"
#include "core/prober.hpp"
#include "core/ua_core.hpp"
#include "core/ua_types.hpp"
#include "sdp/offer_answer.hpp"
#include "sip/dialog.hpp"
#include "sip/transaction_layer.hpp"

namespace lanline::core {

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
  std::size_t probes() const { return prober_.size(); }

  std::vector<CallInfo> calls() const;
  std::optional<CallInfo> find_call(CallId id) const;
  const UserAgentConfig& config() const { return core_.config(); }
  std::size_t transactions() const { return core_.layer().size(); }
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

  // Responses to what we sent.
  void invite_response(Call& call, const sip::Message& response);
  void reinvite_response(Call& call, const sip::Message& response);

  // Helpers.
  void send_cancel(Call& call);
  bool send_2xx(Call& call, const sip::Message& invite, sip::TransactionId server,
                std::string body);
  // A 400 or 488 (with a Warning, RFC 3261 20.43) for an offer we cannot answer.
  void reject_offer(sip::TransactionId server, const sip::Message& request,
                    const sdp::Rejection& rejection, std::string to_tag = {});
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

  UaCore core_;  // the transaction layer below, the clock, what every usage sends through
  Pager pager_;
  Prober prober_;
  CallId next_call_ = 1;
  std::map<CallId, std::unique_ptr<Call>> calls_;
  std::unordered_map<sip::TransactionId, CallId> by_transaction_;
  std::unordered_map<std::string, CallId> by_dialog_;   // Call-ID, local tag, remote tag
  std::unordered_map<std::string, CallId> by_request_;  // Call-ID, From tag, CSeq (8.2.2.2)
  std::multimap<sip::TimePoint, std::pair<CallId, CallTimer>> timers_queue_;
};

}  // namespace lanline::core
