// The facade: it owns the core, the usages and the indexes, and routes each request,
// response, failure and timer to the usage it belongs to (RFC 3261 8.2 for what no
// usage takes).
#include "core/user_agent.hpp"

#include <algorithm>
#include <chrono>

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

// RFC 3261 20.43: warn-code 399 (miscellaneous), our agent, the text as a quoted string
// (printable ASCII only, quotes and backslashes escaped).
std::string warning_value(std::string_view text) {
  std::string out = "399 lanline \"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + "\"";
}

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

UserAgent::UserAgent(sip::TransportSender& transport, UserAgentListener& listener,
                     UserAgentConfig config, sip::TimerValues timers)
    : core_(transport, *this, listener, std::move(config), timers), pager_(core_), prober_(core_) {}

UserAgent::~UserAgent() = default;  // each session releases its media, if that is owed

// ---- Indexes ----

void UserAgent::track(CallId call, TransactionId id) {
  auto it = calls_.find(call);
  if (id == 0 || it == calls_.end()) return;
  by_transaction_[id] = call;
  it->second.transactions.push_back(id);
}

void UserAgent::track_dialog(CallId call, const sip::Dialog& dialog) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return;
  it->second.dialog_key = dialog_key(dialog.call_id, dialog.local_tag, dialog.remote_tag);
  by_dialog_[it->second.dialog_key] = call;
}

void UserAgent::forget(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  for (TransactionId tx : it->second.transactions)
    by_transaction_.erase(tx);
  if (!it->second.dialog_key.empty()) by_dialog_.erase(it->second.dialog_key);
  if (!it->second.request_key.empty()) by_request_.erase(it->second.request_key);
  calls_.erase(it);
}

InviteSession* UserAgent::find(CallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.session.get();
}

InviteSession* UserAgent::call_by_dialog(const Message& request) {
  auto it = by_dialog_.find(dialog_key(request.call_id(), request.to().tag, request.from().tag));
  return it == by_dialog_.end() ? nullptr : find(it->second);
}

InviteSession* UserAgent::call_by_transaction(TransactionId id) {
  auto it = by_transaction_.find(id);
  if (it == by_transaction_.end()) return nullptr;
  InviteSession* session = find(it->second);
  return session && session->current(id) ? session : nullptr;
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
  for (auto& registration : registrations_)
    registration->advance(now);
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto [id, kind] = timers_.begin()->second;
    timers_.erase(timers_.begin());
    if (kind == CallTimer::kForget) {
      forget(id);
    } else if (InviteSession* session = find(id)) {
      session->on_timer(kind);
    }
  }
}

std::optional<sip::TimePoint> UserAgent::next_timer() const {
  std::optional<sip::TimePoint> next = core_.layer().next_timer();
  if (!timers_.empty() && (!next || timers_.begin()->first < *next)) next = timers_.begin()->first;
  if (auto probe = prober_.next_timer(); probe && (!next || *probe < *next)) next = probe;
  for (const auto& registration : registrations_) {
    if (auto at = registration->next_timer(); at && (!next || *at < *next)) next = at;
  }
  return next;
}

void UserAgent::schedule(CallId call, CallTimer kind, sip::TimePoint at) {
  timers_.emplace(at, std::make_pair(call, kind));
}

// ---- Commands ----

Outcome UserAgent::call(const sip::Uri& target, const sip::Endpoint& destination,
                        sip::TimePoint now, const std::string& peer_fingerprint,
                        const AccountRoute* account) {
  core_.set_now(now);
  if (!target.is_sip()) return {0, "can only call sip: or sips: addresses"};
  CallId id = next_call_++;
  if (core_.capabilities().codecs.empty()) return {0, "no audio codec is enabled"};
  // In the map before it sends, so that its transaction is indexed.
  CallEntry& entry = calls_[id];
  entry.session =
      InviteSession::outgoing(id, *this, target, destination, peer_fingerprint, account);
  Outcome outcome = entry.session->connect();
  if (!outcome.ok()) forget(id);  // never told anyone: no call to report
  return outcome;
}

Outcome UserAgent::answer(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session) return {id, "no ringing call " + std::to_string(id) + " to answer"};
  return session->answer();
}

Outcome UserAgent::decline(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session) return {id, "no ringing call " + std::to_string(id) + " to decline"};
  return session->decline();
}

Outcome UserAgent::hangup(CallId id, sip::TimePoint now, std::string reason) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session) return {id, "no call " + std::to_string(id)};
  return session->hangup(std::move(reason));
}

void UserAgent::peer_unreachable(const sip::Endpoint& peer, sip::TimePoint now) {
  core_.set_now(now);
  core_.layer().peer_unreachable(peer, now);
}

Outcome UserAgent::renew_media(CallId id, const Preparation& outcome, sip::TimePoint now) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session) return {id, "no call " + std::to_string(id)};
  return session->renew_media(outcome);
}

Outcome UserAgent::hold(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session) return {id, "no established call " + std::to_string(id)};
  return session->hold();
}

Outcome UserAgent::set_stream(CallId id, StreamKind kind, ContentRole content, bool on,
                              sip::TimePoint now) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session) return {id, "no established call " + std::to_string(id)};
  return session->set_stream(kind, content, on);
}

Outcome UserAgent::resume(CallId id, sip::TimePoint now) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session) return {id, "no established call " + std::to_string(id)};
  return session->resume();
}

Outcome UserAgent::message(const sip::Uri& target, const sip::Endpoint& destination,
                           const std::string& text, sip::TimePoint now, const MessageMeta& meta,
                           const AccountRoute* account) {
  core_.set_now(now);
  return pager_.send(target, destination, text, meta, account);
}

Outcome UserAgent::message_in_call(CallId id, const std::string& text, sip::TimePoint now) {
  core_.set_now(now);
  InviteSession* session = find(id);
  if (!session || !session->dialog() || session->terminated()) {
    return {0, "no call " + std::to_string(id) + " to send the message in"};
  }
  return pager_.send_in_dialog(*session->dialog(), session->peer(), text);
}

std::size_t UserAgent::add_account(AccountConfig config, sip::TimePoint now) {
  core_.set_now(now);
  std::size_t index = registrations_.size();
  registrations_.push_back(std::make_unique<Registration>(core_, index, std::move(config)));
  registrations_.back()->start();
  return index;
}

bool UserAgent::unregister_accounts(sip::TimePoint now) {
  core_.set_now(now);
  bool waiting = false;
  for (auto& registration : registrations_)
    waiting = registration->stop() || waiting;
  return waiting;
}

bool UserAgent::unregistering() const {
  return std::any_of(registrations_.begin(), registrations_.end(),
                     [](const auto& registration) { return registration->stopping(); });
}

std::vector<RegistrationInfo> UserAgent::accounts() const {
  std::vector<RegistrationInfo> out;
  for (const auto& registration : registrations_)
    out.push_back(registration->info());
  return out;
}

const AccountConfig* UserAgent::account(std::size_t index) const {
  return index < registrations_.size() ? &registrations_[index]->config() : nullptr;
}

std::optional<AccountRoute> UserAgent::route_through(std::size_t index) const {
  const AccountConfig* config = account(index);
  if (!config) return std::nullopt;
  return AccountRoute{config->aor, config->display_name, config->routes, config->credentials};
}

Outcome UserAgent::probe(const sip::Uri& target, const sip::Endpoint& destination,
                         sip::TimePoint now) {
  core_.set_now(now);
  return prober_.probe(target, destination);
}

void UserAgent::media_ready(CallId id, const Preparation& outcome, sip::TimePoint now) {
  core_.set_now(now);
  if (InviteSession* session = find(id)) session->media_ready(outcome);
}

std::vector<CallInfo> UserAgent::calls() const {
  std::vector<CallInfo> out;
  for (const auto& [id, entry] : calls_) {
    if (!entry.session->terminated()) out.push_back(entry.session->info());
  }
  return out;
}

std::optional<CallInfo> UserAgent::find_call(CallId id) const {
  auto it = calls_.find(id);
  if (it == calls_.end()) return std::nullopt;
  return it->second.session->info();
}

// ---- Requests we receive ----

void UserAgent::on_request(TransactionId server, const Message& request,
                           const sip::Endpoint& from) {
  if (server == 0) {  // the ACK of a 2xx (13.3.1.4)
    if (InviteSession* session = call_by_dialog(request)) session->on_ack(request);
    return;
  }
  if (reject_if_unacceptable(server, request)) return;
  if (request.method() != Method::kCancel && core_.config().screen) {
    if (std::string refusal = core_.config().screen(request, from); !refusal.empty()) {
      core_.respond(server, request, 403, {{"Warning", warning_value(refusal)}});
      return;
    }
  }
  if (request.method() == Method::kCancel) {
    incoming_cancel(server, request);
    return;
  }
  if (!request.to().tag.empty()) {
    InviteSession* session = call_by_dialog(request);
    if (!session) {
      core_.respond(server, request, 481);  // 12.2.2: no such dialog
      return;
    }
    incoming_in_dialog(*session, server, request);
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

namespace {

// Calls at once from one host of the LAN (UserAgent::incoming_invite).
constexpr std::size_t kCallsPerSource = 4;

}  // namespace

// RFC 3261 21.5.4: 503 when the node cannot take the call now, with Retry-After for when
// to try again. Before the INVITE costs anything (no session, no media).
bool UserAgent::refuse_if_busy(TransactionId server, const Message& request) {
  const sip::TimePoint now = core_.now();
  bool busy = now < refuse_until_;
  // Counted only when the calls kept (live and lingering) could reach the limit at all.
  if (!busy && core_.config().max_calls != 0 && calls_.size() >= core_.config().max_calls) {
    std::size_t live = 0;
    for (const auto& [id, entry] : calls_) {
      if (entry.session->state() != CallState::kTerminated) ++live;
    }
    busy = live >= core_.config().max_calls;
  }
  if (!busy) return false;
  ++refused_busy_;
  // Whole seconds, at least one: how long the engine said it would refuse, rounded up.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(refuse_until_ - now);
  const long long seconds = std::max<long long>(1, (left.count() + 999) / 1000);
  core_.respond(server, request, 503, {{"Retry-After", std::to_string(seconds)}});
  return true;
}

void UserAgent::incoming_invite(TransactionId server, const Message& request,
                                const sip::Endpoint& from) {
  // RFC 3261 8.2.2.2: the same request arriving by a second path is a merged request.
  if (by_request_.count(request_key(request)) != 0) {
    core_.respond(server, request, 482);
    return;
  }
  if (refuse_if_busy(server, request)) return;
  // One host on the LAN gets a few calls at once, not the node's every pipeline (a flood
  // of INVITEs to a node that answers by itself). This host's own programs (loopback:
  // load tests, SIPp) are not counted.
  if (!from.loopback()) {
    std::size_t from_there = 0;
    for (const auto& [id, entry] : calls_) {
      if (entry.session->state() != CallState::kTerminated &&
          entry.session->info().direction == CallDirection::kIncoming &&
          entry.session->peer().address == from.address)
        ++from_there;
    }
    if (from_there >= kCallsPerSource) {
      core_.respond(server, request, 486);
      return;
    }
  }
  if (!core_.config().auto_answer) {
    for (const auto& [id, entry] : calls_) {
      if (entry.session->state() == CallState::kIncoming) {
        core_.respond(server, request, 486);  // one ringing call at a time
        return;
      }
    }
  }
  auto session = InviteSession::incoming(next_call_, *this, server, request, from);
  if (!session) return;  // its offer was refused
  CallId id = next_call_++;
  CallEntry& entry = calls_[id];
  entry.session = std::move(session);
  entry.request_key = request_key(request);
  by_request_[entry.request_key] = id;
  entry.session->ring();
  if (core_.config().auto_answer) answer(id, core_.now());
}

void UserAgent::incoming_in_dialog(InviteSession& session, TransactionId server,
                                   const Message& request) {
  if (!session.in_order(server, request)) return;
  switch (request.method()) {
    case Method::kBye:
      session.on_bye(server, request);
      return;
    case Method::kInvite:
      session.on_reinvite(server, request);
      return;
    case Method::kMessage:
      pager_.receive(server, request, session.id());
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

void UserAgent::incoming_cancel(TransactionId server, const Message& request) {
  auto invite_tx = core_.layer().find_invite_server(request);
  if (!invite_tx) {
    core_.respond(server, request, 481);  // 9.2: nothing to cancel
    return;
  }
  core_.respond(server, request, 200);
  if (InviteSession* session = call_by_transaction(*invite_tx)) session->on_cancel(*invite_tx);
}

// ---- Responses to what we sent ----

void UserAgent::on_response(TransactionId client, const Message& response, const sip::Endpoint&) {
  if (prober_.on_response(client, response) || pager_.on_response(client, response)) return;
  for (auto& registration : registrations_) {
    if (registration->on_response(client, response)) return;
  }
  if (InviteSession* session = call_by_transaction(client)) session->on_response(client, response);
}

void UserAgent::on_failure(TransactionId id, sip::TransactionFailure failure) {
  if (prober_.on_failure(id, failure) || pager_.on_failure(id, failure)) return;
  for (auto& registration : registrations_) {
    if (registration->on_failure(id, failure)) return;
  }
  if (InviteSession* session = call_by_transaction(id)) session->on_failure(id, failure);
}

}  // namespace lanline::core
