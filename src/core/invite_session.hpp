// One call: an INVITE session (RFC 3261 13 to 15), as caller or callee, as resiprocate's
// InviteSession and libre's sipsess are. Its code is split the way sipsess's is:
//   invite_session.cpp  what both sides share: the 2xx resent until its ACK, BYE, the end
//   invite_connect.cpp  the caller: INVITE, 18x, 2xx and its ACK, CANCEL (13.2, 9.1)
//   invite_accept.cpp   the callee: ringing, answer, decline, CANCEL received (13.3, 9.2)
//   invite_modify.cpp   re-INVITE either way: hold, resume, glare (14)
// Its SDP and media go through SessionMedia alone. The UserAgent owns every session,
// finds the one a message belongs to, and routes it here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/session_media.hpp"
#include "core/ua_core.hpp"
#include "core/ua_types.hpp"

namespace lanline::core {

// Where a session is in RFC 3261's INVITE dialog usage and RFC 3264's offer/answer; what
// a user sees (CallState) follows from it and the direction (InviteSession::state()).
enum class SessionState {
  // Before the final response (13.2, 13.3, 17.1.1, 17.2.1).
  kAwaitingTransport,  // CallMedia::prepare() is pending, and the message with our SDP
                       // waits for it: the caller's INVITE (none sent yet) or the
                       // callee's 2xx (it answered; the INVITE is still unanswered)
  kCalling,            // caller: INVITE sent, nothing but 100 back (17.1.1 Calling)
  kProceeding,         // caller: a provisional response came; callee: ringing (Proceeding)
  kCancelPending,      // caller hung up before any provisional: CANCEL may only follow one (9.1)
  kCancelling,         // CANCEL sent: 487 ends the call, or a 2xx that crossed it (9.1, 15)
  // After the 2xx: the dialog is confirmed (12).
  kConfirmed,   // the session is up, no offer of ours outstanding; also while a re-INVITE
                // waits to retry after 491 (14.1): the retry is only a timer, and a hold,
                // a resume or the peer's own re-INVITE may go first
  kOfferIn2xx,  // our offer went in the 2xx to an offer-less (re-)INVITE; its answer comes
                // in the ACK (13.2.1, RFC 3264 4), and no new offer before it
  kReinviting,  // our re-INVITE awaits its final response (14.1): no second one meanwhile
  kTerminated,
};

// What a call's timer is for when it fires.
enum class CallTimer {
  kRetransmit2xx,   // RFC 3261 13.3.1.4: resend the 2xx until the ACK
  kAckTimeout,      // no ACK within 64*T1: end the call with a BYE
  kReinviteRetry,   // RFC 3261 14.1: try again after a 491
  kForget,          // a finished call is kept a while for late retransmissions
  kRingTimeout,     // nobody answered: 480, as phones do after a couple of minutes
  kTransportBound,  // the media transport is still not ready: the call fails
};

// What a session asks of the UserAgent that owns it: the core it sends through, the
// indexes its transactions and dialog are found by, and the call timer queue.
class SessionHost {
 public:
  virtual UaCore& core() = 0;
  virtual void track(CallId call, sip::TransactionId id) = 0;
  virtual void track_dialog(CallId call, const sip::Dialog& dialog) = 0;
  virtual void schedule(CallId call, CallTimer kind, sip::TimePoint at) = 0;

 protected:
  ~SessionHost() = default;
};

class InviteSession {
 public:
  // invite_connect.cpp: a call we place, to `target` through `destination`.
  // `peer_fingerprint`: the certificate fingerprint a Lanline peer announced (and we
  // pinned): the call offers DTLS-SRTP and holds the answer to that fingerprint. A sips:
  // target (RFC 5630: secure all the way) is offered DTLS-SRTP too, its answer's
  // fingerprint taken from SDP that came over TLS.
  static std::unique_ptr<InviteSession> outgoing(CallId id, SessionHost& host,
                                                 const sip::Uri& target,
                                                 const sip::Endpoint& destination,
                                                 const std::string& peer_fingerprint = {},
                                                 const AccountRoute* account = nullptr);
  // invite_accept.cpp: a call for us, or nothing when its offer cannot be answered (the
  // 488 or 400 is sent already). ring() once the UserAgent has it.
  static std::unique_ptr<InviteSession> incoming(CallId id, SessionHost& host,
                                                 sip::TransactionId server,
                                                 const sip::Message& invite,
                                                 const sip::Endpoint& from);

  InviteSession(CallId id, CallDirection direction, SessionHost& host, sip::Endpoint peer,
                const std::string& peer_fingerprint = {}, bool offer_dtls = false);

  CallId id() const { return info_.id; }
  CallInfo info() const;
  CallState state() const;  // as a user sees it
  bool terminated() const { return state_ == SessionState::kTerminated; }
  // The dialog, once there is one (the callee's from the start, the caller's from its 2xx).
  sip::Dialog* dialog() { return dialog_ ? &*dialog_ : nullptr; }
  const sip::Endpoint& peer() const { return peer_; }
  // Whether `id` is one of the transactions the session is working on now.
  bool current(sip::TransactionId id) const;

  // Commands.
  Outcome connect();  // caller: send the INVITE
  Outcome answer();
  Outcome decline();
  // BYE, CANCEL or decline, as the state asks; `reason` is what the user reads of a call
  // that was up.
  Outcome hangup(std::string reason = "hung up");
  // New local transports from the media side (an ICE restart after the host's addresses
  // changed): a re-INVITE offers them, with the hold state as it is.
  Outcome renew_media(const Preparation& outcome);
  Outcome hold() { return modify(true); }
  // A stream of ours on or off (the camera, the shared screen): a re-INVITE offers it,
  // once its transport is there (then renew_media() sends it).
  Outcome set_stream(StreamKind kind, ContentRole content, bool on);
  Outcome resume() { return modify(false); }
  // The outcome of a prepare() that was pending (UserAgent::media_ready).
  void media_ready(const Preparation& outcome);

  // What the UserAgent routes here.
  void ring();  // callee: 180, and the ring timeout
  // 12.2.2: false (after a 500) for a request older than the last one.
  bool in_order(sip::TransactionId server, const sip::Message& request);
  void on_bye(sip::TransactionId server, const sip::Message& request);
  void on_reinvite(sip::TransactionId server, const sip::Message& request);
  // The peer's re-INVITE answered; `may_grow`: a stream it adds may first ask the media
  // side for a transport (else it is answered with what there is, port 0 for it).
  void answer_reinvite(sip::TransactionId server, const sip::Message& request, bool may_grow);
  void on_cancel(sip::TransactionId invite_server);
  void on_ack(const sip::Message& ack);
  void on_response(sip::TransactionId client, const sip::Message& response);
  void on_failure(sip::TransactionId id, sip::TransactionFailure failure);
  void on_timer(CallTimer kind);

 private:
  // An unacknowledged 2xx (RFC 3261 13.3.1.4): resent until its ACK comes, and the call
  // ends with a BYE when none has by 64*T1. It can outlive the offer/answer it carried
  // (a re-INVITE of ours may start before the ACK), so it is kept beside the state.
  struct Unacknowledged2xx {
    sip::TransactionId server = 0;
    sip::Duration interval{0};
    sip::TimePoint resend_at;   // the timers of an earlier 2xx may still fire: these say
    sip::TimePoint give_up_at;  // which ones belong to this one
  };

  // invite_connect.cpp
  std::string send_invite();  // what went wrong, if anything
  bool answer_invite_challenge(const sip::Message& response);
  void on_invite_response(const sip::Message& response);
  void on_invite_failure(sip::TransactionFailure failure);
  void send_cancel();
  // invite_accept.cpp
  bool accept(const sip::Message& invite);
  // invite_modify.cpp
  Outcome modify(bool hold);
  void send_reinvite();
  void on_reinvite_response(const sip::Message& response);
  void on_reinvite_failure();
  // invite_session.cpp
  PrepareState prepare_transport();
  void await_transport();
  // The transport will not be: the caller's call ends before any INVITE, the callee's
  // INVITE gets a 500 saying why.
  void transport_failed(std::string reason);
  bool send_2xx(sip::TransactionId server, const sip::Message& invite, std::string body);
  void resend_2xx();
  void send_bye();
  // RFC 3261 20.43: a Warning header's value, for a person to read.
  static std::string warning(int code, std::string_view text);
  // A 400 or 488 (with a Warning) for an offer we cannot answer.
  void reject_offer(sip::TransactionId server, const sip::Message& request,
                    const sdp::Rejection& rejection, std::string to_tag = {});
  // An answer to our offer arrived (in a 2xx or an ACK): apply it, or end the call
  // (RFC 3261 13.2.2.4, 13.3.1.4) when it cannot be used.
  bool take_answer(std::string_view body, SessionMedia::Exchange exchange);
  sdp::Direction local_direction(bool hold) const;
  // RFC 3261 14.1: an INVITE in progress either way, ours answered by a 2xx still
  // unacknowledged included; no new offer until it is over.
  bool offer_in_progress() const {
    return state_ == SessionState::kReinviting || state_ == SessionState::kOfferIn2xx || unacked_;
  }
  void finish(int code, std::string reason);
  void notify();
  bool caller() const { return info_.direction == CallDirection::kOutgoing; }
  const std::string& local_tag() const { return dialog_->local_tag; }

  SessionHost& host_;
  UaCore& core_;
  CallInfo info_;  // its state is filled in by info(), from state_
  SessionState state_ = SessionState::kCalling;
  sip::Endpoint peer_;            // where our requests go
  bool moved_to_tcp_ = false;     // our INVITE went by TCP for its size alone
  bool invite_over_udp_ = false;  // and TCP was refused: it goes again by UDP
  std::optional<sip::Dialog> dialog_;
  SessionMedia media_;
  std::string target_;  // caller: the Request-URI of the INVITE
  // Caller through an account (issue 16): its From and Route, and the INVITE kept to be
  // sent again with the answer to the proxy's challenge.
  std::optional<AccountRoute> account_;
  sip::RequestSpec invite_spec_;
  int answered_ = 0;
  // The local hold the user wants, an independent fact: it outlives a glare and its
  // retry, while info_.local_hold says what the last completed exchange agreed.
  bool want_hold_ = false;

  sip::TransactionId invite_tx_ = 0;    // caller: the INVITE (its transaction holds it)
  sip::TransactionId reinvite_tx_ = 0;  // our re-INVITE, while kReinviting
  sip::TransactionId server_tx_ = 0;    // the INVITE or re-INVITE we answer last
  std::optional<sip::Message> ack_;     // caller: the ACK of the 2xx, sent again if it is
  // Our last re-INVITE that got a 2xx, and its ACK: a retransmission of that 2xx means
  // the ACK was lost, and is answered with it again (RFC 3261 13.2.2.4).
  sip::TransactionId acked_reinvite_tx_ = 0;
  std::optional<sip::Message> reinvite_ack_;
  std::optional<Unacknowledged2xx> unacked_;
  // The peer's re-INVITE that adds a stream, waiting for its transport (renew_media()):
  // its server transaction, which holds the request.
  sip::TransactionId held_reinvite_ = 0;
  bool growing_ = false;        // our offer with a new stream waits for its transport
  bool bye_after_ack_ = false;  // hung up before our 2xx's ACK: the BYE goes once it comes
};

}  // namespace lanline::core
