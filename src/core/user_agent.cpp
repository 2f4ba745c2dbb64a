#include "core/user_agent.hpp"

#include <random>
#include <variant>

#include "core/negotiated_audio.hpp"
#include "sip/parser.hpp"  // parse_uri

namespace lanline::core {

using sip::Message;
using sip::Method;
using sip::TransactionId;

std::string_view to_string(CallState state) {
  switch (state) {
    case CallState::kCalling:
      return "calling";
    case CallState::kRinging:
      return "ringing";
    case CallState::kIncoming:
      return "incoming";
    case CallState::kEstablished:
      return "established";
    case CallState::kTerminated:
      return "terminated";
  }
  return "?";
}

namespace {

constexpr sip::Duration kRingFor{120000};

// RFC 3264 8.4 (and c=0.0.0.0 folded in by sdp): the peer wants none of our media.
bool holds_us(sdp::Direction peer) {
  return peer == sdp::Direction::kSendOnly || peer == sdp::Direction::kInactive;
}

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

}  // namespace

struct UserAgent::Call {
  CallInfo info;
  sip::Dialog dialog;
  bool has_dialog = false;
  sip::Endpoint peer;  // where our requests go
  std::uint64_t session_id = 0;
  std::unique_ptr<sdp::Negotiator> sdp;  // the call's offer/answer state (RFC 3264)
  std::string remote_offer;              // incoming: the INVITE's offer, answered when we answer
  bool offer_in_2xx = false;             // our 2xx carries the offer: the answer comes in the ACK
  bool ports_ready = false;              // the negotiator knows our address and ports
  bool media_reserved = false;           // CallMedia::reserve() succeeded; release() is owed

  // As caller. The INVITE itself stays with its transaction (core_.layer().request).
  TransactionId invite_tx = 0;
  bool got_provisional = false;
  bool cancelling = false;
  bool cancel_sent = false;
  std::optional<Message> ack;  // the ACK for the 2xx, sent again if the 2xx is

  // As callee, and for any 2xx to an INVITE we sent back (13.3.1.4). The 2xx stays with
  // its transaction, which resends it for us.
  TransactionId server_tx = 0;
  sip::Duration ok_interval{0};
  bool awaiting_ack = false;

  // re-INVITE we sent.
  TransactionId reinvite_tx = 0;
  bool want_hold = false;

  std::vector<TransactionId> transactions;  // every id indexed for this call
  std::string dialog_key;                   // its key in by_dialog_, once it has a dialog
  std::string request_key;                  // incoming: its key in by_request_ (8.2.2.2)
};

namespace {

std::string dialog_key(std::string_view call_id, std::string_view local_tag,
                       std::string_view remote_tag) {
  std::string key(call_id);
  key += '\n';
  key += local_tag;
  key += '\n';
  key += remote_tag;
  return key;
}

std::string request_key(const Message& request) {
  return dialog_key(request.call_id(), request.from().tag, std::to_string(request.cseq().number));
}

}  // namespace

void UserAgent::track(Call& call, TransactionId id) {
  if (id == 0) return;
  by_transaction_[id] = call.info.id;
  call.transactions.push_back(id);
}

void UserAgent::track_dialog(Call& call) {
  call.has_dialog = true;
  call.dialog_key = dialog_key(call.dialog.call_id, call.dialog.local_tag, call.dialog.remote_tag);
  by_dialog_[call.dialog_key] = call.info.id;
}

void UserAgent::forget(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  for (TransactionId tx : it->second->transactions)
    by_transaction_.erase(tx);
  if (!it->second->dialog_key.empty()) by_dialog_.erase(it->second->dialog_key);
  if (!it->second->request_key.empty()) by_request_.erase(it->second->request_key);
  calls_.erase(it);
}

UserAgent::UserAgent(sip::TransportSender& transport, UserAgentListener& listener,
                     UserAgentConfig config, sip::TimerValues timers)
    : core_(transport, *this, listener, std::move(config), timers), pager_(core_), prober_(core_) {}

UserAgent::~UserAgent() {
  for (auto& [id, call] : calls_)
    release_media(*call);
}

// ---- Driving ----

void UserAgent::receive(Message message, const sip::Endpoint& from, sip::TimePoint now) {
  core_.set_now(now);
  core_.layer().receive(std::move(message), from, now);
}

void UserAgent::advance(sip::TimePoint now) {
  core_.set_now(now);
  core_.layer().advance(now);
  prober_.advance(now);
  while (!timers_queue_.empty() && timers_queue_.begin()->first <= now) {
    auto [call_id, kind] = timers_queue_.begin()->second;
    timers_queue_.erase(timers_queue_.begin());
    auto it = calls_.find(call_id);
    if (it == calls_.end()) continue;
    Call& call = *it->second;
    switch (kind) {
      case CallTimer::kRetransmit2xx:
        if (!call.awaiting_ack || !core_.layer().resend_response(call.server_tx)) break;
        call.ok_interval = std::min(2 * call.ok_interval, core_.timers().t2);
        schedule(call.info.id, CallTimer::kRetransmit2xx, now + call.ok_interval);
        break;
      case CallTimer::kAckTimeout:
        if (!call.awaiting_ack) break;
        call.awaiting_ack = false;
        send_bye(call);
        finish(call, 0, "the other side never confirmed the answer (no ACK)");
        break;
      case CallTimer::kReinviteRetry:
        if (call.info.state == CallState::kEstablished && call.reinvite_tx == 0) {
          if (call.offer_in_2xx) {  // RFC 3264 4: wait for the answer in the ACK first
            schedule(call.info.id, CallTimer::kReinviteRetry, now + core_.timers().t1);
          } else {
            send_reinvite(call);
          }
        }
        break;
      case CallTimer::kForget:
        forget(call_id);
        break;
      case CallTimer::kRingTimeout:
        if (call.info.state != CallState::kIncoming) break;
        if (const Message* invite = core_.layer().request(call.server_tx)) {
          core_.respond(call.server_tx, *invite, 480, {}, call.dialog.local_tag);
        }
        finish(call, 480, "not answered");
        break;
    }
  }
}

std::optional<sip::TimePoint> UserAgent::next_timer() const {
  std::optional<sip::TimePoint> next = core_.layer().next_timer();
  if (!timers_queue_.empty() && (!next || timers_queue_.begin()->first < *next)) {
    next = timers_queue_.begin()->first;
  }
  if (auto probe = prober_.next_timer(); probe && (!next || *probe < *next)) next = probe;
  return next;
}

void UserAgent::schedule(CallId call, CallTimer kind, sip::TimePoint at) {
  timers_queue_.emplace(at, std::make_pair(call, kind));
}

// ---- Commands ----

Outcome UserAgent::call(const sip::Uri& target, const sip::Endpoint& destination,
                        sip::TimePoint now) {
  core_.set_now(now);
  if (!target.is_sip()) return {0, "can only call sip: or sips: addresses"};
  auto owned = std::make_unique<Call>();
  Call& call = *owned;
  call.info.id = next_call_++;
  call.info.direction = CallDirection::kOutgoing;
  call.info.state = CallState::kCalling;
  call.info.remote_uri = std::string(target.text);
  call.peer = destination;
  call.session_id = random_engine()() >> 1;
  call.sdp = std::make_unique<sdp::Negotiator>(core_.capabilities(), call.session_id);
  if (core_.capabilities().codecs.empty()) return {0, "no audio codec is enabled"};
  if (!reserve_media(call)) return {0, "could not open ports for the call's audio"};

  sip::RequestSpec spec =
      core_.new_request("INVITE", target.text, destination, core_.config().display_name);
  spec.headers = {{"Allow", std::string(kAllow)}};
  spec.content_type = "application/sdp";
  spec.body = call.sdp->create_offer(sdp::Direction::kSendRecv);
  call.info.sip_call_id = spec.call_id;
  call.invite_tx = core_.send_request(spec, call.peer);
  track(call, call.invite_tx);
  if (call.invite_tx == 0) {
    release_media(call);
    return {0, "could not send to " + sip::to_string(call.peer) + ": is the address right?"};
  }
  CallId id = call.info.id;
  calls_.emplace(id, std::move(owned));
  notify(call);
  return {id, {}};
}

Outcome UserAgent::answer(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->info.state != CallState::kIncoming) {
    return {id, "no ringing call " + std::to_string(id) + " to answer"};
  }
  Call& call = *it->second;
  const Message* invite = core_.layer().request(call.server_tx);
  if (!invite) return {id, "the caller has gone"};
  if (!reserve_media(call)) {
    core_.respond(call.server_tx, *invite, 500, {}, call.dialog.local_tag);
    finish(call, 500, "could not open ports for the call's audio");
    return {id, "could not open ports for the call's audio"};
  }
  std::string body;
  std::optional<sdp::AudioAgreement> agreed;
  if (!call.remote_offer.empty()) {
    auto result = call.sdp->receive_offer(call.remote_offer, call.info.local_hold);
    if (const auto* rejection = std::get_if<sdp::Rejection>(&result)) {
      reject_offer(call.server_tx, *invite, *rejection, call.dialog.local_tag);
      finish(call, rejection->status, rejection->reason);
      return {id, rejection->reason};
    }
    auto& answer = std::get<sdp::Answer>(result);
    body = std::move(answer.sdp);
    agreed = std::move(answer.audio);
  } else {
    // RFC 3261 13.2.1: an INVITE without an offer gets ours in the 2xx, its answer in the ACK.
    body = call.sdp->create_offer(wanted_direction(call));
    call.offer_in_2xx = true;
  }
  if (!send_2xx(call, *invite, call.server_tx, std::move(body))) {
    return {id, "could not send the answer"};
  }
  call.info.state = CallState::kEstablished;
  call.info.remote_hold = agreed && holds_us(agreed->remote_direction);
  if (agreed) apply_media(call, *agreed);
  notify(call);
  return {id, {}};
}

Outcome UserAgent::decline(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->info.state != CallState::kIncoming) {
    return {id, "no ringing call " + std::to_string(id) + " to decline"};
  }
  Call& call = *it->second;
  if (const Message* invite = core_.layer().request(call.server_tx)) {
    core_.respond(call.server_tx, *invite, 603, {}, call.dialog.local_tag);
  }
  finish(call, 603, "declined");
  return {id, {}};
}

Outcome UserAgent::hangup(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->info.state == CallState::kTerminated) {
    return {id, "no call " + std::to_string(id)};
  }
  Call& call = *it->second;
  switch (call.info.state) {
    case CallState::kIncoming:
      return decline(id, now);
    case CallState::kCalling:
    case CallState::kRinging:
      // RFC 3261 9.1: CANCEL only once a provisional response has come back.
      call.cancelling = true;
      if (call.got_provisional && !call.cancel_sent) send_cancel(call);
      return {id, {}};
    case CallState::kEstablished:
      call.awaiting_ack = false;
      send_bye(call);
      finish(call, 0, "hung up");
      return {id, {}};
    default:
      return {id, "the call has ended"};
  }
}

Outcome UserAgent::hold(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->info.state != CallState::kEstablished) {
    return {id, "no established call " + std::to_string(id)};
  }
  Call& call = *it->second;
  if (call.reinvite_tx != 0) return {id, "a hold or resume is already in progress"};
  // RFC 3264 4: no new offer while one awaits its answer (our 2xx's, answered in the ACK).
  if (call.offer_in_2xx) return {id, "the call is still being set up: try again in a moment"};
  call.want_hold = true;
  send_reinvite(call);
  return {id, {}};
}

Outcome UserAgent::resume(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->info.state != CallState::kEstablished) {
    return {id, "no established call " + std::to_string(id)};
  }
  Call& call = *it->second;
  if (call.reinvite_tx != 0) return {id, "a hold or resume is already in progress"};
  if (call.offer_in_2xx) return {id, "the call is still being set up: try again in a moment"};
  call.want_hold = false;
  send_reinvite(call);
  return {id, {}};
}

Outcome UserAgent::message(const sip::Uri& target, const sip::Endpoint& destination,
                           const std::string& text, sip::TimePoint now) {
  core_.set_now(now);
  return pager_.send(target, destination, text);
}

Outcome UserAgent::message_in_call(CallId id, const std::string& text, sip::TimePoint now) {
  core_.set_now(now);
  auto it = calls_.find(id);
  if (it == calls_.end() || !it->second->has_dialog ||
      it->second->info.state == CallState::kTerminated) {
    return {0, "no call " + std::to_string(id) + " to send the message in"};
  }
  Call& call = *it->second;
  return pager_.send_in_dialog(call.dialog, call.peer, text);
}

Outcome UserAgent::probe(const sip::Uri& target, const sip::Endpoint& destination,
                         sip::TimePoint now) {
  core_.set_now(now);
  return prober_.probe(target, destination);
}

std::vector<CallInfo> UserAgent::calls() const {
  std::vector<CallInfo> out;
  for (const auto& [id, call] : calls_) {
    if (call->info.state != CallState::kTerminated) out.push_back(call->info);
  }
  return out;
}

std::optional<CallInfo> UserAgent::find_call(CallId id) const {
  auto it = calls_.find(id);
  if (it == calls_.end()) return std::nullopt;
  return it->second->info;
}

// ---- Requests we receive ----

void UserAgent::on_request(TransactionId server, const Message& request,
                           const sip::Endpoint& from) {
  if (server == 0) {
    incoming_ack(request);
    return;
  }
  if (reject_if_unacceptable(server, request)) return;
  if (request.method() == Method::kCancel) {
    incoming_cancel(server, request);
    return;
  }
  if (!request.to().tag.empty()) {
    Call* call = call_by_dialog(request);
    if (!call) {
      core_.respond(server, request, 481);  // 12.2.2: no such dialog
      return;
    }
    incoming_in_dialog(*call, server, request);
    return;
  }
  switch (request.method()) {
    case Method::kInvite:
      incoming_invite(server, request, from);
      return;
    case Method::kOptions:
      prober_.answer(server, request, from);
      return;
    case Method::kMessage:
      pager_.receive(server, request, 0);
      return;
    case Method::kBye:
      core_.respond(server, request, 481);
      return;
    case Method::kUnknown:
      core_.respond(server, request, 501, {{"Allow", std::string(kAllow)}});
      return;
    default:
      core_.respond(server, request, 405, {{"Allow", std::string(kAllow)}});
      return;
  }
}

// RFC 3261 8.2.1 to 8.2.3, in that order, and DESIGN.md's rule on the user part.
bool UserAgent::reject_if_unacceptable(TransactionId server, const Message& request) {
  const sip::Uri& uri = request.request_uri();
  if (!uri.is_sip()) {
    core_.respond(server, request, 416);
    return true;
  }
  if (uri.has_user && sip::unescape(uri.user) != core_.config().local.user) {
    // Not ours: a proxy would forward it, and with no hops left answer 483 (16.3).
    core_.respond(server, request, request.max_forwards() == 0 ? 483 : 404);
    return true;
  }
  if (request.method() != Method::kCancel) {
    std::string unsupported;
    request.require().for_each([&unsupported](std::string_view tag) {
      if (!unsupported.empty()) unsupported += ", ";
      unsupported += tag;
    });
    if (!unsupported.empty()) {
      core_.respond(server, request, 420, {{"Unsupported", unsupported}});
      return true;
    }
  }
  if (request.method() == Method::kInvite) {
    for (const auto& error : request.header_errors()) {
      if (error.id == sip::HeaderId::kContact || error.id == sip::HeaderId::kRecordRoute) {
        sip::ResponseSpec spec;
        spec.code = 400;
        spec.reason = "Bad " + std::string(error.name) + ": " + error.reason;
        spec.to_tag = sip::random_token(6);
        if (auto response = sip::build_response(request, spec)) {
          core_.layer().send_response(server, std::move(response).value(), core_.now());
        }
        return true;
      }
    }
    if (!request.body().empty() && request.content_type() &&
        !(request.content_type()->type == "application" &&
          request.content_type()->subtype == "sdp")) {
      core_.respond(server, request, 415, {{"Accept", "application/sdp"}});
      return true;
    }
  }
  return false;
}

void UserAgent::incoming_invite(TransactionId server, const Message& request,
                                const sip::Endpoint& from) {
  // RFC 3261 8.2.2.2: the same request arriving by a second path is a merged request.
  if (by_request_.count(request_key(request)) != 0) {
    core_.respond(server, request, 482);
    return;
  }
  if (!core_.config().auto_answer) {
    for (const auto& [id, existing] : calls_) {
      if (existing->info.state == CallState::kIncoming) {
        core_.respond(server, request, 486);  // one ringing call at a time
        return;
      }
    }
  }
  auto owned = std::make_unique<Call>();
  Call& call = *owned;
  call.session_id = random_engine()() >> 1;
  call.sdp = std::make_unique<sdp::Negotiator>(core_.capabilities(), call.session_id);
  if (!request.body().empty()) {
    // Refused before the phone rings: nobody should pick up a call that cannot work.
    if (auto rejection = call.sdp->check_offer(request.body())) {
      reject_offer(server, request, *rejection);
      return;
    }
    call.remote_offer = std::string(request.body());
  }
  call.info.id = next_call_++;
  call.info.direction = CallDirection::kIncoming;
  call.info.state = CallState::kIncoming;
  call.info.remote_uri = std::string(request.from().uri.text);
  call.info.remote_name = request.from().display_name_text();
  call.info.sip_call_id = std::string(request.call_id());
  call.server_tx = server;
  call.dialog = sip::Dialog::as_uas(request, sip::random_token(6));
  call.peer = from;
  if (auto target = sip::parse_uri(call.dialog.remote_target); target) {
    if (auto endpoint = sip::endpoint_for(*target)) {
      call.peer = *endpoint;
      if (from.reliable()) call.peer = from;  // keep using the caller's connection
    }
  }
  CallId id = call.info.id;
  calls_.emplace(id, std::move(owned));
  track(call, server);
  track_dialog(call);
  call.request_key = request_key(request);
  by_request_[call.request_key] = id;
  core_.respond(server, request, 180, {{"Contact", core_.local_for(call.peer).contact()}},
                call.dialog.local_tag);
  schedule(id, CallTimer::kRingTimeout, core_.now() + kRingFor);
  notify(call);
  if (core_.config().auto_answer) answer(id, core_.now());
}

void UserAgent::incoming_in_dialog(Call& call, TransactionId server, const Message& request) {
  // 12.2.2: requests arrive in CSeq order; an older one is out of order.
  std::uint32_t cseq = request.cseq().number;
  if (call.dialog.remote_seq && cseq < *call.dialog.remote_seq) {
    core_.respond(server, request, 500, {{"Retry-After", "1"}});
    return;
  }
  call.dialog.remote_seq = cseq;
  switch (request.method()) {
    case Method::kBye:
      core_.respond(server, request, 200);
      if (call.info.state != CallState::kTerminated) {
        call.awaiting_ack = false;
        finish(call, 0, "the other side hung up");
      }
      return;
    case Method::kInvite:
      incoming_reinvite(call, server, request);
      return;
    case Method::kMessage:
      pager_.receive(server, request, call.info.id);
      return;
    case Method::kOptions:
      prober_.answer_in_dialog(server, request);
      return;
    case Method::kUnknown:
      core_.respond(server, request, 501, {{"Allow", std::string(kAllow)}});
      return;
    default:
      core_.respond(server, request, 405, {{"Allow", std::string(kAllow)}});
      return;
  }
}

void UserAgent::incoming_reinvite(Call& call, TransactionId server, const Message& request) {
  if (call.info.state != CallState::kEstablished) {
    core_.respond(server, request, 491);
    return;
  }
  if (call.reinvite_tx != 0) {
    core_.respond(server, request, 491);  // RFC 3261 14.2: glare with our own re-INVITE
    return;
  }
  if (call.awaiting_ack) {
    core_.respond(server, request, 500, {{"Retry-After", "1"}});  // 14.2: the last one is pending
    return;
  }
  std::string body;
  std::optional<sdp::AudioAgreement> agreed;
  if (!request.body().empty()) {
    auto result = call.sdp->receive_offer(request.body(), call.info.local_hold);
    if (const auto* rejection = std::get_if<sdp::Rejection>(&result)) {
      // RFC 3264 8: a refused offer leaves the session as it was.
      reject_offer(server, request, *rejection);
      return;
    }
    auto& answer = std::get<sdp::Answer>(result);
    body = std::move(answer.sdp);
    agreed = std::move(answer.audio);
    call.info.remote_hold = holds_us(agreed->remote_direction);
  } else {
    body = call.sdp->create_offer(wanted_direction(call));
    call.offer_in_2xx = true;
  }
  if (!request.contact().contacts.empty()) {
    call.dialog.remote_target = std::string(request.contact().contacts.front().uri.text);
  }
  call.server_tx = server;
  track(call, server);
  if (send_2xx(call, request, server, std::move(body)) && agreed) apply_media(call, *agreed);
  notify(call);
}

void UserAgent::incoming_cancel(TransactionId server, const Message& request) {
  auto invite_tx = core_.layer().find_invite_server(request);
  if (!invite_tx) {
    core_.respond(server, request, 481);  // 9.2: nothing to cancel
    return;
  }
  core_.respond(server, request, 200);
  Call* call = call_by_transaction(*invite_tx);
  if (call && call->info.state == CallState::kIncoming) {
    if (const Message* invite = core_.layer().request(*invite_tx)) {
      core_.respond(*invite_tx, *invite, 487, {}, call->dialog.local_tag);
    }
    finish(*call, 487, "the caller hung up before the answer");
  }
}

void UserAgent::incoming_ack(const Message& ack) {
  Call* call = call_by_dialog(ack);
  if (call && call->awaiting_ack && ack.cseq().number == call->dialog.remote_seq) {
    call->awaiting_ack = false;  // 13.3.1.4: the 2xx has arrived
    if (call->offer_in_2xx) {
      call->offer_in_2xx = false;
      if (take_answer(*call, ack.body(), false)) notify(*call);
    }
  }
}

// ---- Responses to what we sent ----

void UserAgent::on_response(TransactionId client, const Message& response, const sip::Endpoint&) {
  if (prober_.on_response(client, response) || pager_.on_response(client, response)) return;
  Call* call = call_by_transaction(client);
  if (!call) return;
  if (client == call->invite_tx) {
    invite_response(*call, response);
  } else if (client == call->reinvite_tx) {
    reinvite_response(*call, response);
  }
}

void UserAgent::invite_response(Call& call, const Message& response) {
  int code = response.status_code();
  if (code < 200) {
    if (code == 100) return;
    call.got_provisional = true;
    if (call.cancelling && !call.cancel_sent) send_cancel(call);
    if (call.info.state == CallState::kCalling) {
      call.info.state = CallState::kRinging;
      notify(call);
    }
    return;
  }
  if (code < 300) {
    if (call.has_dialog) {
      // A retransmitted 2xx: our ACK was lost (13.2.2.4).
      if (response.to().tag == call.dialog.remote_tag && call.ack) {
        core_.send_direct(*call.ack, call.peer);
      }
      return;
    }
    const Message* invite = core_.layer().request(call.invite_tx);  // Accepted: it lives on
    if (!invite) return;
    call.dialog = sip::Dialog::as_uac(*invite, response);
    track_dialog(call);
    if (auto target = sip::parse_uri(call.dialog.remote_target); target) {
      if (auto endpoint = sip::endpoint_for(*target); endpoint && !call.peer.reliable()) {
        call.peer = *endpoint;
      }
    }
    sip::LocalContact local = core_.local_for(call.peer);
    auto ack = sip::build_request(
        local, sip::in_dialog_request(call.dialog, "ACK", invite->cseq().number));
    if (ack) {
      call.ack = std::move(ack).value();
      core_.send_direct(*call.ack, call.peer);
    }
    if (call.cancelling) {
      // The answer crossed our CANCEL: the call is up, so end it properly (15).
      send_bye(call);
      finish(call, 487, "cancelled");
      return;
    }
    if (!take_answer(call, response.body(), false)) return;
    call.info.state = CallState::kEstablished;
    notify(call);
    return;
  }
  finish(call, code,
         call.cancelling && code == 487 ? "cancelled" : describe_failure(code, response.reason()));
}

void UserAgent::reinvite_response(Call& call, const Message& response) {
  int code = response.status_code();
  if (code < 200) return;
  call.reinvite_tx = 0;
  if (code < 300) {
    sip::LocalContact local = core_.local_for(call.peer);
    auto ack = sip::build_request(
        local, sip::in_dialog_request(call.dialog, "ACK", response.cseq().number));
    if (ack) core_.send_direct(*ack, call.peer);
    call.info.local_hold = call.want_hold;
    if (!take_answer(call, response.body(), true)) return;
    notify(call);
    return;
  }
  call.sdp->rollback();  // no answer to our offer: the session stays as it was
  if (code == 491) {
    // RFC 3261 14.1: the Call-ID's owner waits 2.1 to 4 s, the other side up to 2 s.
    bool owner = call.info.direction == CallDirection::kOutgoing;
    std::uniform_int_distribution<int> wait(owner ? 2100 : 0, owner ? 4000 : 2000);
    schedule(call.info.id, CallTimer::kReinviteRetry,
             core_.now() + sip::Duration(wait(random_engine())));
    return;
  }
  if (code == 481 || code == 408) {
    finish(call, code, "the call no longer exists on the other side");
  }
}

void UserAgent::on_failure(TransactionId id, sip::TransactionFailure failure) {
  if (prober_.on_failure(id, failure) || pager_.on_failure(id, failure)) return;
  bool timeout = failure == sip::TransactionFailure::kTimeout;
  Call* call = call_by_transaction(id);
  if (!call) return;
  if (id == call->invite_tx) {
    finish(*call, 408,
           call->cancelling ? "cancelled"
           : timeout        ? "no answer from the other side"
                            : "could not reach the other side");
  } else if (id == call->reinvite_tx) {
    call->reinvite_tx = 0;
    send_bye(*call);
    finish(*call, 408, "the other side stopped answering");
  }
}

// ---- Helpers ----

// The 2xx to an INVITE or re-INVITE, with our SDP answer; the core resends it until the
// ACK comes (RFC 3261 13.3.1.4), and ends the call if none comes within 64*T1.
bool UserAgent::send_2xx(Call& call, const Message& invite, TransactionId server,
                         std::string body) {
  sip::ResponseSpec spec;
  spec.code = 200;
  spec.to_tag = call.dialog.local_tag;
  spec.headers = {{"Contact", core_.local_for(call.peer).contact()},
                  {"Allow", std::string(kAllow)},
                  {"Server", core_.config().local.user_agent}};
  spec.content_type = "application/sdp";
  spec.body = std::move(body);
  sip::Endpoint to =
      sip::TransactionLayer::response_destination(invite, *core_.layer().source(server));
  auto ok = sip::build_response(invite, spec);
  if (!ok || !core_.layer().send_response(server, std::move(ok).value(), core_.now())) return false;
  call.awaiting_ack = true;
  call.ok_interval = core_.timers().t1;
  if (!to.reliable())
    schedule(call.info.id, CallTimer::kRetransmit2xx, core_.now() + core_.timers().t1);
  schedule(call.info.id, CallTimer::kAckTimeout, core_.now() + 64 * core_.timers().t1);
  return true;
}

// RFC 3261 9.1: from the INVITE its client transaction holds, to the same place.
void UserAgent::send_cancel(Call& call) {
  call.cancel_sent = true;
  const Message* invite = core_.layer().request(call.invite_tx);
  if (!invite) return;
  if (auto cancel = sip::build_cancel(*invite)) {
    core_.layer().send_request(std::move(cancel).value(), call.peer, core_.now());
  }
}

void UserAgent::send_bye(Call& call) {
  if (!call.has_dialog) return;
  sip::Endpoint to = call.peer;
  core_.send_request(sip::in_dialog_request(call.dialog, "BYE"), to);
}

void UserAgent::send_reinvite(Call& call) {
  sip::RequestSpec spec = sip::in_dialog_request(call.dialog, "INVITE");
  spec.content_type = "application/sdp";
  spec.body = call.sdp->create_offer(call.want_hold ? sdp::Direction::kSendOnly
                                                    : sdp::Direction::kSendRecv);
  spec.headers = {{"Allow", std::string(kAllow)}};
  sip::Endpoint to = call.peer;
  call.reinvite_tx = core_.send_request(spec, to);
  track(call, call.reinvite_tx);
}

sdp::Direction UserAgent::wanted_direction(const Call& call) const {
  return call.info.local_hold ? sdp::Direction::kSendOnly : sdp::Direction::kSendRecv;
}

bool UserAgent::reserve_media(Call& call) {
  if (call.ports_ready) return true;
  sdp::LocalEndpoint local{core_.local_for(call.peer).host, core_.config().media_port,
                           static_cast<std::uint16_t>(core_.config().media_port + 1)};
  if (core_.config().media) {
    TransportRequest request;
    request.ipv6 = call.peer.address.find(':') != std::string::npos;
    Preparation prepared = core_.config().media->prepare(call.info.id, request);
    if (prepared.state == PrepareState::kFailed) return false;
    call.media_reserved = true;
    if (prepared.state != PrepareState::kReady || prepared.streams.empty()) return false;
    const LocalTransport& ports = prepared.streams.front();
    local.rtp_port = ports.rtp_port;
    local.rtcp_port = ports.rtcp_port;
    // A wildcard bind says nothing a peer can send to: then the SIP address is ours.
    if (!ports.address.empty() && ports.address != "0.0.0.0" && ports.address != "::") {
      local.address = ports.address;
    }
  }
  call.sdp->set_local(std::move(local));
  call.ports_ready = true;
  return true;
}

void UserAgent::apply_media(Call& call, const sdp::AudioAgreement& agreement) {
  if (core_.config().media && call.media_reserved) {
    core_.config().media->apply(call.info.id, to_negotiated_audio(agreement));
  }
}

void UserAgent::release_media(Call& call) {
  if (!call.media_reserved) return;
  call.media_reserved = false;
  if (core_.config().media) core_.config().media->release(call.info.id);
}

bool UserAgent::take_answer(Call& call, std::string_view body, bool reinvite) {
  auto agreed = call.sdp->receive_answer(body);
  std::string problem;
  if (!agreed) {
    problem = agreed.error().reason;
  } else if (agreed->codecs.empty()) {
    problem = "it accepted no audio";
  }
  if (!problem.empty()) {
    send_bye(call);
    finish(call, 488, "the other side's answer cannot be used: " + problem);
    return false;
  }
  call.info.remote_hold =
      reinvite ? agreed->remote_direction == sdp::Direction::kInactive && !call.want_hold
               : holds_us(agreed->remote_direction);
  apply_media(call, *agreed);
  return true;
}

void UserAgent::reject_offer(TransactionId server, const Message& request,
                             const sdp::Rejection& rejection, std::string to_tag) {
  // RFC 3261 20.43: warn-text is a quoted-string; 399 is "miscellaneous".
  std::string text;
  for (char c : rejection.reason)
    text += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '\'' : c;
  int code = rejection.warning != 0 ? rejection.warning : 399;
  core_.respond(server, request, rejection.status,
                {{"Warning", std::to_string(code) + " lanline \"" + text + "\""}},
                std::move(to_tag));
}

void UserAgent::finish(Call& call, int code, std::string reason) {
  if (call.info.state == CallState::kTerminated) return;
  call.info.state = CallState::kTerminated;
  call.info.end_code = code;
  call.info.end_reason = std::move(reason);
  call.awaiting_ack = false;
  release_media(call);
  notify(call);
  // A caller keeps a finished call while the other side may still resend its 2xx (our ACK
  // went missing); a callee needs nothing more once the call is over, since BYE
  // retransmissions are answered by the transaction layer alone.
  bool caller = call.info.direction == CallDirection::kOutgoing;
  schedule(call.info.id, CallTimer::kForget,
           core_.now() + (caller ? 64 * core_.timers().t1 : core_.timers().t4));
}

void UserAgent::notify(const Call& call) {
  core_.listener().on_call(call.info);
}

UserAgent::Call* UserAgent::call_by_dialog(const Message& request) {
  auto it = by_dialog_.find(dialog_key(request.call_id(), request.to().tag, request.from().tag));
  if (it == by_dialog_.end()) return nullptr;
  auto call = calls_.find(it->second);
  return call == calls_.end() ? nullptr : call->second.get();
}

UserAgent::Call* UserAgent::call_by_transaction(TransactionId id) {
  auto it = by_transaction_.find(id);
  if (it == by_transaction_.end()) return nullptr;
  auto call = calls_.find(it->second);
  if (call == calls_.end()) return nullptr;
  Call& found = *call->second;
  bool current = found.invite_tx == id || found.reinvite_tx == id || found.server_tx == id;
  return current ? &found : nullptr;
}

}  // namespace lanline::core
