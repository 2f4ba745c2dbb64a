// A re-INVITE either way (RFC 3261 14, libre's sipsess/modify.c): ours for hold and
// resume (RFC 3264 8.4), the peer's answered with our current hold, and glare, when both
// offer at once: 491, then a random wait before trying again (14.1).
#include "core/invite_session.hpp"

namespace lanline::core {

Outcome InviteSession::modify(bool hold) {
  CallId id = info_.id;
  if (state() != CallState::kEstablished) return {id, "no established call " + std::to_string(id)};
  if (state_ == SessionState::kReinviting) return {id, "a hold or resume is already in progress"};
  // RFC 3264 4: no new offer while one awaits its answer (our 2xx's, answered in the ACK).
  if (state_ == SessionState::kOfferIn2xx) {
    return {id, "the call is still being set up: try again in a moment"};
  }
  // 14.1: not while the peer's re-INVITE waits for its answer, nor while our own change
  // waits for its transport (that offer carries the hold state as it is then).
  if (held_reinvite_ != 0 || growing_) {
    return {id, "another change of the call is in progress: try again in a moment"};
  }
  want_hold_ = hold;
  send_reinvite();
  return {id, {}};
}

Outcome InviteSession::set_stream(StreamKind kind, ContentRole content, bool on) {
  CallId id = info_.id;
  if (state() != CallState::kEstablished) return {id, "no established call " + std::to_string(id)};
  if (offer_in_progress() || held_reinvite_ != 0 || growing_) {
    return {id, "another change of the call is in progress: try again in a moment"};
  }
  const char* what = content == ContentRole::kSlides ? "screen sharing" : "video";
  if (!media_.want_stream(kind, content, on)) {
    return {id, on ? std::string(what) + " is not available: this node has no video codec"
                   : std::string(what) + " is not on"};
  }
  switch (on ? media_.grow() : PrepareState::kReady) {
    case PrepareState::kReady:
      return modify(info_.local_hold);
    case PrepareState::kPending:
      growing_ = true;  // renew_media() offers it once the transport is made
      return {id, {}};
    case PrepareState::kFailed:
      break;
  }
  media_.want_stream(kind, content, false);
  return {id, std::string("no transport for ") + what + " could be made"};
}

Outcome InviteSession::renew_media(const Preparation& outcome) {
  CallId id = info_.id;
  if (state() != CallState::kEstablished) return {id, "no established call " + std::to_string(id)};
  if (held_reinvite_ != 0) {
    // The transport for the stream the peer's re-INVITE adds: answered now, and without
    // that stream (port 0) if the transport did not come.
    const sip::TransactionId server = std::exchange(held_reinvite_, 0);
    media_.renew(outcome);
    if (const sip::Message* request = core_.layer().request(server)) {
      answer_reinvite(server, *request, false);
    }
    return {id, {}};
  }
  if (offer_in_progress()) return {id, "an offer is already in progress"};
  growing_ = false;
  if (!media_.renew(outcome)) return {id, "the call has no transports to renew"};
  return modify(info_.local_hold);
}

void InviteSession::send_reinvite() {
  sip::RequestSpec spec = sip::in_dialog_request(*dialog_, "INVITE");
  spec.content_type = "application/sdp";
  spec.body = media_.offer(local_direction(want_hold_));
  spec.headers = {{"Allow", std::string(kAllow)}};
  sip::Endpoint to = peer_;
  // In a dialog on UDP a large re-INVITE (ICE candidates) stays on UDP: a TCP connection
  // the peer refuses would cost the call (RFC 3261 18.1.1 would move it), fragments do not.
  reinvite_tx_ = core_.send_request(spec, to, false);
  if (reinvite_tx_ == 0) return;
  host_.track(info_.id, reinvite_tx_);
  state_ = SessionState::kReinviting;
}

void InviteSession::on_reinvite(sip::TransactionId server, const sip::Message& request) {
  answer_reinvite(server, request, true);
}

void InviteSession::answer_reinvite(sip::TransactionId server, const sip::Message& request,
                                    bool may_grow) {
  // RFC 3261 14.2: glare with our own re-INVITE, or with our offer that waits for the
  // transport of the stream it adds.
  if (state() != CallState::kEstablished || state_ == SessionState::kReinviting || growing_) {
    core_.respond(server, request, 491);
    return;
  }
  // 14.2: the last one is pending (our 2xx unacknowledged, or its answer held for a
  // transport): one at a time.
  if (unacked_ || held_reinvite_ != 0) {
    core_.respond(server, request, 500, {{"Retry-After", "1"}});
    return;
  }
  std::string body;
  std::optional<SessionMedia::LocalAnswer> answer;
  // A stream the offer adds needs a transport first: the answer waits for it (a stream
  // that gets none is answered with port 0).
  if (may_grow && !request.body().empty() &&
      media_.grow(request.body()) == PrepareState::kPending) {
    held_reinvite_ = server;
    host_.track(info_.id, server);
    return;
  }
  if (!request.body().empty()) {
    auto result = media_.answer(request.body(), info_.local_hold);
    if (const auto* rejection = std::get_if<sdp::Rejection>(&result)) {
      // RFC 3264 8: a refused offer leaves the session as it was.
      reject_offer(server, request, *rejection);
      return;
    }
    answer = std::move(std::get<SessionMedia::LocalAnswer>(result));
    body = std::move(answer->sdp);
    info_.remote_hold = answer->remote_hold;
  } else {
    body = media_.offer(local_direction(info_.local_hold));
  }
  if (!request.contact().contacts.empty()) {
    dialog_->remote_target = std::string(request.contact().contacts.front().uri.text);
  }
  server_tx_ = server;
  host_.track(info_.id, server);
  if (send_2xx(server, request, std::move(body))) {
    if (answer) {
      media_.apply(answer->agreed);
    } else {
      state_ = SessionState::kOfferIn2xx;
    }
  }
  notify();
}

void InviteSession::on_reinvite_response(const sip::Message& response) {
  int code = response.status_code();
  if (code < 200) return;
  sip::TransactionId tx = reinvite_tx_;
  reinvite_tx_ = 0;
  if (state_ == SessionState::kReinviting) state_ = SessionState::kConfirmed;
  if (code < 300) {
    if (auto ack =
            sip::build_request(core_.local_for(peer_),
                               sip::in_dialog_request(*dialog_, "ACK", response.cseq().number))) {
      core_.send_direct(*ack, peer_);
      acked_reinvite_tx_ = tx;
      reinvite_ack_ = std::move(ack).value();
    }
    if (terminated()) return;  // hung up meanwhile: the ACK was still owed
    info_.local_hold = want_hold_;
    if (!take_answer(response.body(), SessionMedia::Exchange::kReinvite)) return;
    notify();
    return;
  }
  media_.rollback();  // no answer to our offer: the session stays as it was
  if (code == 491) {
    // RFC 3261 14.1: the Call-ID's owner waits 2.1 to 4 s, the other side up to 2 s.
    std::uniform_int_distribution<int> wait(caller() ? 2100 : 0, caller() ? 4000 : 2000);
    host_.schedule(info_.id, CallTimer::kReinviteRetry,
                   core_.now() + sip::Duration(wait(random_engine())));
    return;
  }
  if (code == 481 || code == 408) finish(code, "the call no longer exists on the other side");
}

void InviteSession::on_reinvite_failure() {
  reinvite_tx_ = 0;
  send_bye();
  finish(408, "the other side stopped answering");
}

}  // namespace lanline::core
