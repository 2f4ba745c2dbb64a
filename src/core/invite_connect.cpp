// The caller's side of an INVITE session (RFC 3261 13.2, libre's sipsess/connect.c):
// the INVITE with our offer, its provisional and final responses, the ACK of a 2xx
// (13.2.2.4), and CANCEL (9.1).
#include "core/invite_session.hpp"
#include "core/scoped_address.hpp"
#include "sip/parser.hpp"  // parse_uri

namespace lanline::core {
namespace {

std::string describe_failure(int code, std::string_view reason) {
  switch (code) {
    case 404:
      return "not found: no such user there";
    case 408:
      return "no answer from the other side";
    case 480:
      return "the other side is not available";
    case 486:
      return "busy";
    case 487:
      return "cancelled";
    case 488:
      return "the other side cannot use any of our codecs";
    case 600:
      return "busy everywhere";
    case 603:
      return "declined";
    default:
      return std::to_string(code) + " " + std::string(reason);
  }
}

// The URI inside a Route value, "<sip:p.example.org;lr>" -> "sip:p.example.org;lr".
std::string route_uri(const std::string& route) {
  std::size_t open = route.find('<');
  std::size_t close = route.find('>', open);
  if (open == std::string::npos || close == std::string::npos) return route;
  return route.substr(open + 1, close - open - 1);
}

}  // namespace

std::unique_ptr<InviteSession> InviteSession::outgoing(CallId id, SessionHost& host,
                                                       const sip::Uri& target,
                                                       const sip::Endpoint& destination,
                                                       const std::string& peer_fingerprint,
                                                       const AccountRoute* account) {
  auto session =
      std::make_unique<InviteSession>(id, CallDirection::kOutgoing, host, destination,
                                      peer_fingerprint, target.scheme == sip::UriScheme::kSips);
  session->target_ = std::string(target.text);
  session->info_.remote_uri = session->target_;
  if (account) session->account_ = *account;
  return session;
}

// The INVITE carries our offer, so it waits for the transport when that is pending; the
// call is a call (kCalling to its users) from the start all the same.
Outcome InviteSession::connect() {
  switch (prepare_transport()) {
    case PrepareState::kFailed:
      return {0, "could not open ports for the call's audio"};
    case PrepareState::kPending:
      await_transport();
      notify();
      return {info_.id, {}};
    case PrepareState::kReady:
      break;
  }
  if (std::string error = send_invite(); !error.empty()) return {0, std::move(error)};
  notify();
  return {info_.id, {}};
}

std::string InviteSession::send_invite() {
  sip::RequestSpec spec =
      account_ ? core_.new_request_through("INVITE", target_, *account_)
               : core_.new_request("INVITE", target_, peer_, core_.config().display_name);
  spec.headers = {{"Allow", std::string(kAllow)}};
  spec.content_type = "application/sdp";
  spec.body = media_.offer(sdp::Direction::kSendRecv);
  info_.sip_call_id = spec.call_id;
  const bool was_udp = peer_.transport == sip::TransportKind::kUdp;
  invite_tx_ = core_.send_request(spec, peer_, !invite_over_udp_);  // TCP when too large
  moved_to_tcp_ = was_udp && peer_.transport == sip::TransportKind::kTcp;
  if (invite_tx_ == 0) {
    return "could not send to " + sip::to_string(peer_) + ": is the address right?";
  }
  host_.track(info_.id, invite_tx_);
  if (account_) invite_spec_ = std::move(spec);
  state_ = SessionState::kCalling;
  return {};
}

// A proxy's 401 or 407 to our INVITE through an account (RFC 3261 22.2): the same INVITE,
// the same offer, with the answer and the next CSeq. False when it cannot be answered.
bool InviteSession::answer_invite_challenge(const sip::Message& response) {
  if (!account_ || !answer_challenge(invite_spec_, response, *account_, answered_)) return false;
  invite_tx_ = core_.send_request(invite_spec_, peer_, !invite_over_udp_);
  if (invite_tx_ == 0) return false;
  host_.track(info_.id, invite_tx_);
  return true;
}

void InviteSession::on_invite_response(const sip::Message& response) {
  int code = response.status_code();
  if (code < 200) {
    if (code == 100) return;
    if (state_ == SessionState::kCancelPending) {
      send_cancel();  // the provisional response the CANCEL waited for
      state_ = SessionState::kCancelling;
      notify();
    } else if (state_ == SessionState::kCalling) {
      state_ = SessionState::kProceeding;
      notify();
    }
    return;
  }
  bool cancelled = state_ == SessionState::kCancelPending || state_ == SessionState::kCancelling;
  if ((code == 401 || code == 407) && !cancelled && answer_invite_challenge(response)) return;
  if (code >= 300) {
    if ((code == 401 || code == 407) && answered_ > 0) {
      finish(code, "the account's password was refused");
      return;
    }
    finish(code,
           cancelled && code == 487 ? "cancelled" : describe_failure(code, response.reason()));
    return;
  }
  if (dialog_) {
    // A retransmitted 2xx: our ACK was lost (13.2.2.4).
    if (response.to().tag == dialog_->remote_tag && ack_) core_.send_direct(*ack_, peer_);
    return;
  }
  const sip::Message* invite = core_.layer().request(invite_tx_);  // Accepted: it lives on
  if (!invite) return;
  dialog_ = sip::Dialog::as_uac(*invite, response);
  host_.track_dialog(info_.id, *dialog_);
  // In-dialog requests go to the first Record-Route hop when there is one (a proxy that
  // stays in the path, 12.2.1.1 with loose routing), else to the peer's Contact.
  const std::string next_hop =
      dialog_->route_set.empty() ? dialog_->remote_target : route_uri(dialog_->route_set.front());
  if (auto target = sip::parse_uri(next_hop); target) {
    if (auto endpoint = sip::endpoint_for(*target); endpoint && !peer_.reliable()) {
      endpoint->address = with_zone_of(endpoint->address, peer_.address);
      peer_ = *endpoint;
    }
  }
  if (auto ack = sip::build_request(
          core_.local_for(peer_), sip::in_dialog_request(*dialog_, "ACK", invite->cseq().number))) {
    ack_ = std::move(ack).value();
    core_.send_direct(*ack_, peer_);
  }
  if (cancelled) {
    // The answer crossed our CANCEL: the call is up, so end it properly (15).
    send_bye();
    finish(487, "cancelled");
    return;
  }
  if (!take_answer(response.body(), SessionMedia::Exchange::kInitial)) return;
  state_ = SessionState::kConfirmed;
  notify();
}

void InviteSession::on_invite_failure(sip::TransactionFailure failure) {
  // Moved to TCP for its size (RFC 3261 18.1.1) and TCP refused: many phones have TCP
  // off, so the INVITE goes again over UDP as its destination said, as large as it is
  // (IP fragments it; on a LAN that arrives).
  if (failure == sip::TransactionFailure::kTransportError && moved_to_tcp_ && !invite_over_udp_ &&
      state_ == SessionState::kCalling) {
    invite_over_udp_ = true;
    peer_.transport = sip::TransportKind::kUdp;
    peer_.connection = 0;
    if (send_invite().empty()) return;
  }
  bool cancelled = state_ == SessionState::kCancelPending || state_ == SessionState::kCancelling;
  finish(408, cancelled                                      ? "cancelled"
              : failure == sip::TransactionFailure::kTimeout ? "no answer from the other side"
                                                             : "could not reach the other side");
}

// RFC 3261 9.1: from the INVITE its client transaction holds, to the same place.
void InviteSession::send_cancel() {
  const sip::Message* invite = core_.layer().request(invite_tx_);
  if (!invite) return;
  if (auto cancel = sip::build_cancel(*invite)) {
    core_.layer().send_request(std::move(cancel).value(), peer_, core_.now());
  }
}

}  // namespace lanline::core
