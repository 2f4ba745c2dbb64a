// The UA core (RFC 3261 sections 8, 13 to 15, RFC 3428): calls as INVITE sessions, as
// caller and callee, with CANCEL, re-INVITE hold and resume, glare (491), BYE; MESSAGE in
// and out of a dialog; OPTIONS; and the right answer to everything else. Like the
// transaction layer below it, it does no I/O: fed messages and the time, it sends
// through a TransportSender and reports to a UserAgentListener.
//
// UserAgent is the facade. Behind it each usage has its own files, as in resiprocate
// and libre: InviteSession (invite_session.hpp) per call, Pager for MESSAGE, Prober for
// OPTIONS, all sending through one UaCore. It owns them, with the indexes that find the
// call of each message, and routes every request, response, failure and timer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/invite_session.hpp"
#include "core/pager.hpp"
#include "core/prober.hpp"
#include "core/registration.hpp"
#include "core/ua_core.hpp"
#include "core/ua_types.hpp"
#include "sip/transaction_layer.hpp"

namespace lanline::core {

class UserAgent : private sip::TransactionUser, private SessionHost {
 public:
  UserAgent(sip::TransportSender& transport, UserAgentListener& listener, UserAgentConfig config,
            sip::TimerValues timers = {});
  ~UserAgent() override;

  void receive(sip::Message message, const sip::Endpoint& from, sip::TimePoint now);
  void advance(sip::TimePoint now);
  std::optional<sip::TimePoint> next_timer() const;

  // Places a call to `target`, sending to `destination`.
  // `peer_fingerprint`: a Lanline peer's announced certificate fingerprint, for DTLS-SRTP.
  // `account`: through that account, `destination` being its proxy (issue 16).
  Outcome call(const sip::Uri& target, const sip::Endpoint& destination, sip::TimePoint now,
               const std::string& peer_fingerprint = {}, const AccountRoute* account = nullptr);
  // Our certificate's fingerprint (engine/node_identity.hpp): DTLS-SRTP offers are taken.
  void set_dtls_fingerprint(std::string fingerprint) {
    core_.set_dtls_fingerprint(std::move(fingerprint));
  }
  Outcome answer(CallId id, sip::TimePoint now);
  Outcome decline(CallId id, sip::TimePoint now);
  // BYE, CANCEL or decline, as the state asks; `reason` is the end reason of a call that
  // was up (the media side ends one whose path is gone).
  Outcome hangup(CallId id, sip::TimePoint now, std::string reason = "hung up");
  Outcome hold(CallId id, sip::TimePoint now);
  Outcome resume(CallId id, sip::TimePoint now);
  // The camera's video (ContentRole::kMain) or the shared screen (kSlides) on or off in
  // an established call, by re-INVITE (RFC 3264 8.1, 8.2).
  Outcome set_stream(CallId id, StreamKind kind, ContentRole content, bool on, sip::TimePoint now);
  // A text message: inside the call's dialog when `call` is set, else on its own.
  Outcome message(const sip::Uri& target, const sip::Endpoint& destination, const std::string& text,
                  sip::TimePoint now, const MessageMeta& meta = {},
                  const AccountRoute* account = nullptr);
  // Received messages are stored here before they are answered; none: answered at once.
  void set_message_store(MessageStore store) { pager_.set_store(std::move(store)); }
  Outcome message_in_call(CallId id, const std::string& text, sip::TimePoint now);
  // An out-of-dialog OPTIONS (RFC 3261 11) to learn whether a SIP node answers at
  // `destination`; the result comes to on_probe_result, by the deadline at the latest.
  Outcome probe(const sip::Uri& target, const sip::Endpoint& destination, sip::TimePoint now);
  // The outcome of a CallMedia::prepare() that answered kPending, from the media side (on
  // the engine's thread): kReady sends the call's held INVITE or 2xx, kFailed fails the
  // call; too late (past the bound, or after a hangup) it changes nothing.
  void media_ready(CallId id, const Preparation& outcome, sip::TimePoint now);
  // The transport could not deliver to `peer` (a TCP connection refused): what was being
  // sent there fails now (TransactionLayer::peer_unreachable).
  void peer_unreachable(const sip::Endpoint& peer, sip::TimePoint now);
  // New local transports of an established call (the media side restarted ICE): offered
  // to the peer in a re-INVITE. Fails while another offer is in progress; try again.
  Outcome renew_media(CallId id, const Preparation& outcome, sip::TimePoint now);
  std::size_t probes() const { return prober_.size(); }
  // Overload control (RFC 3261 21.5.4): until `until`, a new INVITE gets 503 with
  // Retry-After instead of a call, so that the calls already taken keep the engine's
  // time. The engine calls it while it is behind; requests inside dialogs (ACK, BYE,
  // re-INVITE), MESSAGE and OPTIONS are served as always.
  void refuse_new_calls_until(sip::TimePoint until) { refuse_until_ = until; }
  // INVITEs answered 503 since the start: by refuse_new_calls_until, or because
  // UserAgentConfig::max_calls calls were up.
  std::uint64_t calls_refused_busy() const { return refused_busy_; }

  // An account (issue 16): registered now and kept so (registration.hpp); its index.
  std::size_t add_account(AccountConfig config, sip::TimePoint now);
  // Every account un-registers; true while one of those REGISTERs is still out, so that
  // a node quitting can wait for them (a little).
  bool unregister_accounts(sip::TimePoint now);
  bool unregistering() const;
  std::vector<RegistrationInfo> accounts() const;
  const AccountConfig* account(std::size_t index) const;
  // How requests go through account `index` (its From, Route and credentials).
  std::optional<AccountRoute> route_through(std::size_t index) const;

  std::vector<CallInfo> calls() const;
  std::optional<CallInfo> find_call(CallId id) const;
  const UserAgentConfig& config() const { return core_.config(); }
  std::size_t transactions() const { return core_.layer().size(); }
  std::size_t calls_kept() const { return calls_.size(); }  // live and lingering

 private:
  // A call with what the indexes know of it, to unindex it when it is forgotten.
  struct CallEntry {
    std::unique_ptr<InviteSession> session;
    std::vector<sip::TransactionId> transactions;  // every id indexed for it
    std::string dialog_key;                        // its key in by_dialog_, once it has one
    std::string request_key;                       // incoming: its key in by_request_
  };

  // TransactionUser
  void on_request(sip::TransactionId server, const sip::Message& request,
                  const sip::Endpoint& from) override;
  void on_response(sip::TransactionId client, const sip::Message& response,
                   const sip::Endpoint& from) override;
  void on_failure(sip::TransactionId id, sip::TransactionFailure failure) override;

  // SessionHost
  UaCore& core() override { return core_; }
  void track(CallId call, sip::TransactionId id) override;
  void track_dialog(CallId call, const sip::Dialog& dialog) override;
  void schedule(CallId call, CallTimer kind, sip::TimePoint at) override;

  // Requests we receive.
  bool reject_if_unacceptable(sip::TransactionId server, const sip::Message& request);
  void incoming_invite(sip::TransactionId server, const sip::Message& request,
                       const sip::Endpoint& from);
  bool refuse_if_busy(sip::TransactionId server, const sip::Message& request);
  void incoming_in_dialog(InviteSession& session, sip::TransactionId server,
                          const sip::Message& request);
  void incoming_cancel(sip::TransactionId server, const sip::Message& request);

  // Indexes, so each message finds its call in constant time however many calls linger.
  InviteSession* find(CallId id);
  InviteSession* call_by_dialog(const sip::Message& request);
  InviteSession* call_by_transaction(sip::TransactionId id);
  void forget(CallId id);

  UaCore core_;  // the transaction layer below, the clock, what every usage sends through
  Pager pager_;
  Prober prober_;
  std::vector<std::unique_ptr<Registration>> registrations_;
  CallId next_call_ = 1;
  std::map<CallId, CallEntry> calls_;
  std::unordered_map<sip::TransactionId, CallId> by_transaction_;
  std::unordered_map<std::string, CallId> by_dialog_;   // Call-ID, local tag, remote tag
  std::unordered_map<std::string, CallId> by_request_;  // Call-ID, From tag, CSeq (8.2.2.2)
  std::multimap<sip::TimePoint, std::pair<CallId, CallTimer>> timers_;  // the calls' timers
  sip::TimePoint refuse_until_{};  // overload control: new INVITEs get 503 until then
  std::uint64_t refused_busy_ = 0;
};

}  // namespace lanline::core
