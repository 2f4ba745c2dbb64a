// The callee's side of an INVITE session (RFC 3261 13.3, libre's sipsess/accept.c): the
// INVITE screened before the phone rings, 180, then the 2xx with our answer (or our
// offer, for an INVITE without one), a decline, or the caller's CANCEL (9.2).
#include "core/invite_session.hpp"
#include "core/scoped_address.hpp"
#include "sip/parser.hpp"  // parse_uri

namespace lanline::core {

namespace {
constexpr sip::Duration kRingFor{120000};
}  // namespace

std::unique_ptr<InviteSession> InviteSession::incoming(CallId id, SessionHost& host,
                                                       sip::TransactionId server,
                                                       const sip::Message& invite,
                                                       const sip::Endpoint& from) {
  auto session = std::make_unique<InviteSession>(id, CallDirection::kIncoming, host, from);
  InviteSession& call = *session;
  if (!invite.body().empty()) {
    // Refused before the phone rings: nobody should pick up a call that cannot work.
    if (auto rejection = call.media_.check_offer(invite.body())) {
      call.reject_offer(server, invite, *rejection);
      return nullptr;
    }
  }
  call.info_.remote_uri = std::string(invite.from().uri.text);
  call.info_.remote_name = invite.from().display_name_text();
  call.info_.sip_call_id = std::string(invite.call_id());
  call.server_tx_ = server;
  call.dialog_ = sip::Dialog::as_uas(invite, sip::random_token(6));
  if (auto target = sip::parse_uri(call.dialog_->remote_target); target) {
    if (auto endpoint = sip::endpoint_for(*target)) {
      call.peer_ = *endpoint;
      call.peer_.address = with_zone_of(endpoint->address, from.address);
      if (from.reliable()) call.peer_ = from;  // keep using the caller's connection
    }
  }
  call.state_ = SessionState::kProceeding;
  return session;
}

void InviteSession::ring() {
  host_.track(info_.id, server_tx_);
  host_.track_dialog(info_.id, *dialog_);
  if (const sip::Message* invite = core_.layer().request(server_tx_)) {
    core_.respond(server_tx_, *invite, 180, {{"Contact", core_.local_for(peer_).contact()}},
                  local_tag());
  }
  host_.schedule(info_.id, CallTimer::kRingTimeout, core_.now() + kRingFor);
  notify();
}

// The 2xx carries our answer (or offer), so it waits for the transport when that is
// pending: the INVITE stays unanswered until then, within the bound.
Outcome InviteSession::answer() {
  CallId id = info_.id;
  if (state_ == SessionState::kAwaitingTransport && !caller()) {
    return {id, "call " + std::to_string(id) + " is being answered: its media is not ready yet"};
  }
  if (caller() || state_ != SessionState::kProceeding) {
    return {id, "no ringing call " + std::to_string(id) + " to answer"};
  }
  const sip::Message* invite = core_.layer().request(server_tx_);
  if (!invite) return {id, "the caller has gone"};
  switch (prepare_transport()) {
    case PrepareState::kFailed:
      core_.respond(server_tx_, *invite, 500, {}, local_tag());
      finish(500, "could not open ports for the call's audio");
      return {id, "could not open ports for the call's audio"};
    case PrepareState::kPending:
      await_transport();
      return {id, {}};
    case PrepareState::kReady:
      break;
  }
  if (!accept(*invite)) {
    return {id, terminated() ? info_.end_reason : "could not send the answer"};
  }
  return {id, {}};
}

// The 2xx: our answer to the INVITE's offer, or our own offer when it had none
// (RFC 3261 13.2.1: its answer then comes in the ACK).
bool InviteSession::accept(const sip::Message& invite) {
  std::string body;
  std::optional<SessionMedia::LocalAnswer> answer;
  if (!invite.body().empty()) {
    auto result = media_.answer(invite.body(), info_.local_hold);
    if (const auto* rejection = std::get_if<sdp::Rejection>(&result)) {
      reject_offer(server_tx_, invite, *rejection, local_tag());
      finish(rejection->status, rejection->reason);
      return false;
    }
    answer = std::move(std::get<SessionMedia::LocalAnswer>(result));
    body = std::move(answer->sdp);
  } else {
    body = media_.offer(local_direction(info_.local_hold));
  }
  if (!send_2xx(server_tx_, invite, std::move(body))) return false;
  state_ = answer ? SessionState::kConfirmed : SessionState::kOfferIn2xx;
  info_.remote_hold = answer && answer->remote_hold;
  if (answer) media_.apply(answer->agreed);
  notify();
  return true;
}

Outcome InviteSession::decline() {
  CallId id = info_.id;
  if (state() != CallState::kIncoming) {
    return {id, "no ringing call " + std::to_string(id) + " to decline"};
  }
  if (const sip::Message* invite = core_.layer().request(server_tx_)) {
    core_.respond(server_tx_, *invite, 603, {}, local_tag());
  }
  finish(603, "declined");
  return {id, {}};
}

void InviteSession::on_cancel(sip::TransactionId invite_server) {
  if (invite_server != 0 && invite_server == held_reinvite_) {
    // A re-INVITE cancelled while it waited for its transport: refused, the session
    // stays as it was (RFC 3261 9.2, 14.2).
    held_reinvite_ = 0;
    if (const sip::Message* request = core_.layer().request(invite_server)) {
      core_.respond(invite_server, *request, 487);
    }
    return;
  }
  if (state() != CallState::kIncoming) return;
  if (const sip::Message* invite = core_.layer().request(invite_server)) {
    core_.respond(invite_server, *invite, 487, {}, local_tag());
  }
  finish(487, "the caller hung up before the answer");
}

}  // namespace lanline::core
