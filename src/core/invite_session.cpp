// What caller and callee share: the session's face to its users, its routing of
// responses, failures and timers, the 2xx resent until its ACK (RFC 3261 13.3.1.4), BYE
// (15) and the end of the call.
#include "core/invite_session.hpp"

namespace lanline::core {
namespace {

// "4 s", "1.5 s": how a person reads a bound.
std::string seconds(sip::Duration duration) {
  auto ms = duration.count();
  std::string out = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string fraction = std::to_string(1000 + ms % 1000).substr(1);
    fraction.erase(fraction.find_last_not_of('0') + 1);
    out += "." + fraction;
  }
  return out + " s";
}

// The SDP capabilities of one call: the UA's, with DTLS-SRTP offered to a peer whose
// certificate fingerprint we know (a Lanline node), its answer held to it, or to a sips:
// target (`offer_dtls`).
sdp::Capabilities call_capabilities(const sdp::Capabilities& ua,
                                    const std::string& peer_fingerprint, bool offer_dtls) {
  sdp::Capabilities caps = ua;
  if ((offer_dtls || !peer_fingerprint.empty()) && !caps.dtls_fingerprint.empty()) {
    caps.offer_dtls = true;
    caps.expected_peer_fingerprint = peer_fingerprint;
  }
  return caps;
}

}  // namespace

InviteSession::InviteSession(CallId id, CallDirection direction, SessionHost& host,
                             sip::Endpoint peer, const std::string& peer_fingerprint,
                             bool offer_dtls)
    : host_(host),
      core_(host.core()),
      peer_(std::move(peer)),
      media_(id, core_.config().media,
             call_capabilities(core_.capabilities(), peer_fingerprint, offer_dtls),
             random_engine()() >> 1, core_.config().media_port) {
  info_.id = id;
  info_.direction = direction;
}

CallInfo InviteSession::info() const {
  CallInfo out = info_;
  out.state = state();
  out.signalling = peer_.transport;
  return out;
}

CallState InviteSession::state() const {
  switch (state_) {
    case SessionState::kAwaitingTransport:
      return caller() ? CallState::kCalling : CallState::kIncoming;
    case SessionState::kCalling:
    case SessionState::kCancelPending:
      return CallState::kCalling;
    case SessionState::kProceeding:
      return caller() ? CallState::kRinging : CallState::kIncoming;
    case SessionState::kCancelling:  // CANCEL only follows a provisional response
      return CallState::kRinging;
    case SessionState::kConfirmed:
    case SessionState::kOfferIn2xx:
    case SessionState::kReinviting:
      return CallState::kEstablished;
    case SessionState::kTerminated:
      return CallState::kTerminated;
  }
  return CallState::kTerminated;
}

bool InviteSession::current(sip::TransactionId id) const {
  return id == invite_tx_ || id == reinvite_tx_ || id == server_tx_ ||
         (id != 0 && (id == acked_reinvite_tx_ || id == held_reinvite_));
}

Outcome InviteSession::hangup(std::string reason) {
  CallId id = info_.id;
  switch (state_) {
    case SessionState::kAwaitingTransport:
      if (!caller()) return decline();
      finish(487, "cancelled");  // nothing was sent: nothing to cancel on the wire
      return {id, {}};
    case SessionState::kProceeding:
      if (!caller()) return decline();
      // RFC 3261 9.1: CANCEL only once a provisional response has come back.
      send_cancel();
      state_ = SessionState::kCancelling;
      return {id, {}};
    case SessionState::kCalling:
      state_ = SessionState::kCancelPending;
      return {id, {}};
    case SessionState::kCancelPending:
    case SessionState::kCancelling:
      return {id, {}};
    case SessionState::kConfirmed:
    case SessionState::kOfferIn2xx:
    case SessionState::kReinviting:
      if (unacked_ && !caller()) {
        // RFC 3261 15: no BYE before the ACK of our 2xx (or its give-up). The 2xx goes on
        // being sent, so that a caller that lost it still gets it, and the BYE follows.
        bye_after_ack_ = true;
        finish(0, std::move(reason));
        return {id, {}};
      }
      unacked_.reset();
      send_bye();
      finish(0, std::move(reason));
      return {id, {}};
    case SessionState::kTerminated:
      break;
  }
  return {id, "no call " + std::to_string(id)};
}

bool InviteSession::in_order(sip::TransactionId server, const sip::Message& request) {
  std::uint32_t cseq = request.cseq().number;
  if (dialog_->remote_seq && cseq < *dialog_->remote_seq) {
    core_.respond(server, request, 500, {{"Retry-After", "1"}});
    return false;
  }
  dialog_->remote_seq = cseq;
  return true;
}

void InviteSession::on_bye(sip::TransactionId server, const sip::Message& request) {
  core_.respond(server, request, 200);
  if (terminated()) return;
  unacked_.reset();
  finish(0, "the other side hung up");
}

void InviteSession::on_ack(const sip::Message& ack) {
  if (!unacked_ || ack.cseq().number != dialog_->remote_seq) return;
  unacked_.reset();  // 13.3.1.4: the 2xx has arrived
  if (std::exchange(bye_after_ack_, false)) {
    send_bye();  // the hangup that waited for it
    return;
  }
  if (state_ != SessionState::kOfferIn2xx) return;
  state_ = SessionState::kConfirmed;
  if (take_answer(ack.body(), SessionMedia::Exchange::kInitial)) notify();
}

void InviteSession::on_response(sip::TransactionId client, const sip::Message& response) {
  if (client == invite_tx_) {
    on_invite_response(response);
  } else if (client == reinvite_tx_) {
    on_reinvite_response(response);
  } else if (client == acked_reinvite_tx_ && response.status_code() / 100 == 2 && reinvite_ack_) {
    core_.send_direct(*reinvite_ack_, peer_);  // a retransmitted 2xx: our ACK was lost
  }
}

void InviteSession::on_failure(sip::TransactionId id, sip::TransactionFailure failure) {
  if (id == invite_tx_) {
    on_invite_failure(failure);
  } else if (id == reinvite_tx_) {
    on_reinvite_failure();
  }
}

void InviteSession::on_timer(CallTimer kind) {
  sip::TimePoint now = core_.now();
  switch (kind) {
    case CallTimer::kRetransmit2xx:
      if (unacked_ && now >= unacked_->resend_at) resend_2xx();
      return;
    case CallTimer::kAckTimeout:
      if (!unacked_ || now < unacked_->give_up_at) return;
      unacked_.reset();
      send_bye();
      finish(0, "the other side never confirmed the answer (no ACK)");
      return;
    case CallTimer::kReinviteRetry:
      if (state_ == SessionState::kConfirmed) {
        send_reinvite();
      } else if (state_ == SessionState::kOfferIn2xx) {
        // RFC 3264 4: wait for the answer in the ACK first.
        host_.schedule(info_.id, CallTimer::kReinviteRetry, now + core_.timers().t1);
      }
      return;
    case CallTimer::kRingTimeout:
      if (caller() || state_ != SessionState::kProceeding) return;
      if (const sip::Message* invite = core_.layer().request(server_tx_)) {
        core_.respond(server_tx_, *invite, 480, {}, local_tag());
      }
      finish(480, "not answered");
      return;
    case CallTimer::kTransportBound:
      if (state_ != SessionState::kAwaitingTransport) return;
      transport_failed("the call's media transport was not ready within " +
                       seconds(core_.config().media_ready_bound));
      return;
    case CallTimer::kForget:  // the UserAgent's own
      return;
  }
}

// As callee the INVITE's offer says how many streams we take (each its own transport);
// as caller, what we offer.
PrepareState InviteSession::prepare_transport() {
  std::string_view offer;
  if (!caller()) {
    if (const sip::Message* invite = core_.layer().request(server_tx_)) offer = invite->body();
  }
  return media_.prepare(peer_, core_.local_for(peer_).host, offer);
}

// The message that carries our SDP waits, within a bound, for media_ready().
void InviteSession::await_transport() {
  state_ = SessionState::kAwaitingTransport;
  host_.schedule(info_.id, CallTimer::kTransportBound,
                 core_.now() + core_.config().media_ready_bound);
}

void InviteSession::media_ready(const Preparation& outcome) {
  // Ended meanwhile (hung up, cancelled, past the bound), or never asked: the media side
  // was told by release(), if it was owed one.
  if (state_ != SessionState::kAwaitingTransport || !media_.pending()) return;
  switch (media_.complete(outcome)) {
    case PrepareState::kPending:
      return;
    case PrepareState::kFailed:
      transport_failed(outcome.error.empty()
                           ? "could not open ports for the call's audio"
                           : "could not open ports for the call's audio: " + outcome.error);
      return;
    case PrepareState::kReady:
      break;
  }
  if (caller()) {
    if (std::string error = send_invite(); !error.empty()) {
      finish(503, std::move(error));
      return;
    }
    notify();  // it has its SIP Call-ID now
    return;
  }
  state_ = SessionState::kProceeding;  // still unanswered, as accept() expects
  const sip::Message* invite = core_.layer().request(server_tx_);
  if (!invite) {
    finish(500, "the caller has gone");
    return;
  }
  if (!accept(*invite) && !terminated()) finish(500, "could not send the answer");
}

void InviteSession::transport_failed(std::string reason) {
  if (!caller()) {
    if (const sip::Message* invite = core_.layer().request(server_tx_)) {
      sip::ResponseSpec spec;
      spec.code = 500;
      spec.to_tag = local_tag();
      spec.headers = {{"Warning", warning(399, reason)}};
      core_.respond(server_tx_, *invite, std::move(spec));
    }
  }
  finish(500, std::move(reason));
}

// The 2xx to an INVITE or re-INVITE, with our SDP; the core resends it until the ACK
// comes (RFC 3261 13.3.1.4), and ends the call if none comes within 64*T1.
bool InviteSession::send_2xx(sip::TransactionId server, const sip::Message& invite,
                             std::string body) {
  sip::ResponseSpec spec;
  spec.code = 200;
  spec.to_tag = local_tag();
  spec.headers = {{"Contact", core_.local_for(peer_).contact()},
                  {"Allow", std::string(kAllow)},
                  {"Server", core_.config().local.user_agent}};
  spec.content_type = "application/sdp";
  spec.body = std::move(body);
  bool reliable = core_.layer().source(server)->reliable();
  if (!core_.respond(server, invite, std::move(spec))) return false;
  sip::TimePoint now = core_.now();
  const sip::TimerValues& timers = core_.timers();
  unacked_ = Unacknowledged2xx{server, timers.t1, now + timers.t1, now + 64 * timers.t1};
  if (!reliable) host_.schedule(info_.id, CallTimer::kRetransmit2xx, unacked_->resend_at);
  host_.schedule(info_.id, CallTimer::kAckTimeout, unacked_->give_up_at);
  return true;
}

void InviteSession::resend_2xx() {
  // The 2xx stays with its Accepted transaction, which sends it again for us.
  if (!core_.layer().resend_response(unacked_->server)) return;
  unacked_->interval = std::min(2 * unacked_->interval, core_.timers().t2);
  unacked_->resend_at = core_.now() + unacked_->interval;
  host_.schedule(info_.id, CallTimer::kRetransmit2xx, unacked_->resend_at);
}

void InviteSession::send_bye() {
  if (!dialog_) return;
  sip::Endpoint to = peer_;
  core_.send_request(sip::in_dialog_request(*dialog_, "BYE"), to, false);
}

std::string InviteSession::warning(int code, std::string_view text) {
  // warn-text is a quoted-string; 399 is "miscellaneous".
  std::string out = std::to_string(code) + " lanline \"";
  for (char c : text)
    out += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '\'' : c;
  return out + "\"";
}

void InviteSession::reject_offer(sip::TransactionId server, const sip::Message& request,
                                 const sdp::Rejection& rejection, std::string to_tag) {
  int code = rejection.warning != 0 ? rejection.warning : 399;
  core_.respond(server, request, rejection.status, {{"Warning", warning(code, rejection.reason)}},
                std::move(to_tag));
}

bool InviteSession::take_answer(std::string_view body, SessionMedia::Exchange exchange) {
  SessionMedia::PeerAnswer answer = media_.take_answer(body, exchange, want_hold_);
  if (!answer.problem.empty()) {
    send_bye();
    finish(488, "the other side's answer cannot be used: " + answer.problem);
    return false;
  }
  info_.remote_hold = answer.remote_hold;
  return true;
}

sdp::Direction InviteSession::local_direction(bool hold) const {
  return hold ? sdp::Direction::kSendOnly : sdp::Direction::kSendRecv;
}

void InviteSession::finish(int code, std::string reason) {
  if (terminated()) return;
  state_ = SessionState::kTerminated;
  if (!bye_after_ack_) unacked_.reset();
  // RFC 3261 15.1.2: a request still pending when the call ends gets 487.
  if (const sip::TransactionId held = std::exchange(held_reinvite_, 0)) {
    if (const sip::Message* request = core_.layer().request(held)) {
      core_.respond(held, *request, 487);
    }
  }
  info_.end_code = code;
  info_.end_reason = std::move(reason);
  media_.release();
  notify();
  // A caller keeps a finished call while the other side may still resend its 2xx (our ACK
  // went missing); a callee needs nothing more once the call is over, since BYE
  // retransmissions are answered by the transaction layer alone.
  // A callee whose hangup waits for the ACK keeps the call until its 2xx gives up.
  const sip::TimerValues& timers = core_.timers();
  const sip::TimePoint forget = bye_after_ack_ && unacked_
                                    ? unacked_->give_up_at + timers.t4
                                    : core_.now() + (caller() ? 64 * timers.t1 : timers.t4);
  host_.schedule(info_.id, CallTimer::kForget, forget);
}

void InviteSession::notify() {
  core_.listener().on_call(info());
}

}  // namespace lanline::core
