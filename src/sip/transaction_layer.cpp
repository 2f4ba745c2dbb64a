// Matching, dispatch and timers of the transaction layer; the state machines are in
// client_transaction.cpp and server_transaction.cpp.
#include "transaction_layer.hpp"

#include "charset.hpp"

namespace lanline::sip {

std::string_view to_string(TransactionState state) {
  switch (state) {
    case TransactionState::kCalling:
      return "Calling";
    case TransactionState::kTrying:
      return "Trying";
    case TransactionState::kProceeding:
      return "Proceeding";
    case TransactionState::kCompleted:
      return "Completed";
    case TransactionState::kConfirmed:
      return "Confirmed";
    case TransactionState::kAccepted:
      return "Accepted";
    case TransactionState::kTerminated:
      return "Terminated";
  }
  return "?";
}

std::string_view transport_name(TransportKind kind) {
  switch (kind) {
    case TransportKind::kTcp:
      return "TCP";
    case TransportKind::kTls:
      return "TLS";
    case TransportKind::kUdp:
      break;
  }
  return "UDP";
}

std::optional<TransportKind> transport_named(std::string_view name) {
  for (TransportKind kind : {TransportKind::kUdp, TransportKind::kTcp, TransportKind::kTls})
    if (charset::iequals(name, transport_name(kind))) return kind;
  return std::nullopt;
}

std::string to_string(const Endpoint& endpoint) {
  std::string out(transport_name(endpoint.transport));
  for (char& c : out)
    c = static_cast<char>(c - 'A' + 'a');
  out += ':';
  bool v6 = endpoint.address.find(':') != std::string::npos;
  if (v6) out += '[';
  out += endpoint.address;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(endpoint.port);
  return out;
}

TransactionLayer::TransactionLayer(TransportSender& transport, TransactionUser& user,
                                   TimerValues timers)
    : transport_(transport), user_(user), timers_(timers) {}

// RFC 3261 17.1.3: a response belongs to the client transaction whose request carried the
// same top Via branch, with the same CSeq method (a CANCEL shares its INVITE's branch).
std::string TransactionLayer::client_key(const Message& message) {
  std::string key(message.via().front().branch);
  key += '|';
  key += message.cseq().method_text;
  return key;
}

// RFC 3261 17.2.3: branch, sent-by and method, with ACK matching its INVITE; requests
// from RFC 2543 peers (no magic cookie) are matched on the dialog-identifying fields.
std::string TransactionLayer::server_key(const Message& message) {
  const Via& via = message.via().front();
  std::string_view method =
      message.method() == Method::kAck ? std::string_view("INVITE") : message.method_text();
  std::string key;
  if (via.branch.size() > 7 && via.branch.substr(0, 7) == "z9hG4bK") {
    key = via.branch;
  } else {
    key = "2543|";
    key += message.call_id();
    key += '|';
    key += std::to_string(message.cseq().number);
    key += '|';
    key += message.from().tag;
  }
  key += '|';
  key += via.host;
  key += ':';
  key += std::to_string(via.port);
  key += '|';
  key += method;
  return key;
}

Endpoint TransactionLayer::response_destination(const Message& request, const Endpoint& source) {
  Endpoint to = source;
  if (source.reliable()) return to;  // back over the same connection (18.2.2)
  const Via& via = request.via().front();
  // RFC 3581 4: with rport, to the source address and port; otherwise to the source
  // address (the "received" address) and the port in sent-by.
  if (!via.has_rport) to.port = static_cast<std::uint16_t>(via.port > 0 ? via.port : 5060);
  return to;
}

TransactionLayer::Reentry::~Reentry() {
  if (--layer_.depth_ > 0) return;
  for (TransactionId id : layer_.finished_)
    layer_.transactions_.erase(id);
  layer_.finished_.clear();
}

void TransactionLayer::receive(Message message, const Endpoint& from, TimePoint now) {
  Reentry guard(*this);
  if (message.via().empty()) return;  // the parser requires one; keep the layer safe anyway
  if (message.is_response()) {
    auto it = by_key_.find(client_key(message));
    if (it != by_key_.end()) {
      client_response(transactions_.at(it->second), message, from, now);
    }
    // No transaction: a stray response. RFC 6026 8.4: the UAC core drops it.
  } else {
    auto it = by_key_.find(server_key(message));
    if (it != by_key_.end()) {
      server_request(transactions_.at(it->second), message, now);
    } else if (message.method() == Method::kAck) {
      user_.on_request(0, message, from);  // the ACK for a 2xx goes to the UA core
    } else {
      TransactionId id = next_id_++;
      Transaction& t = transactions_[id];
      t.id = id;
      t.kind = message.method() == Method::kInvite ? TransactionKind::kServerInvite
                                                   : TransactionKind::kServerNonInvite;
      t.key = server_key(message);
      t.source = from;
      t.peer = response_destination(message, from);
      t.request = std::move(message);
      by_key_[t.key] = id;
      server_start(t, now);
      if (t.state != TransactionState::kTerminated) user_.on_request(id, t.request, from);
    }
  }
}

TransactionId TransactionLayer::send_request(Message request, const Endpoint& to, TimePoint now) {
  Reentry guard(*this);
  if (request.via().empty() || request.method() == Method::kAck) return 0;  // ACK has none
  TransactionId id = next_id_++;
  Transaction& t = transactions_[id];
  t.id = id;
  t.kind = request.method() == Method::kInvite ? TransactionKind::kClientInvite
                                               : TransactionKind::kClientNonInvite;
  t.key = client_key(request);
  t.peer = to;
  t.request = std::move(request);
  by_key_[t.key] = id;
  client_start(t, now);
  bool sent = t.state != TransactionState::kTerminated;
  if (!sent) {
    by_key_.erase(t.key);
    transactions_.erase(id);
    return 0;
  }
  return id;
}

bool TransactionLayer::send_response(TransactionId server, Message response, TimePoint now) {
  Reentry guard(*this);
  auto it = transactions_.find(server);
  if (it == transactions_.end() || is_client(it->second) ||
      it->second.state == TransactionState::kTerminated) {
    return false;
  }
  bool ok = server_respond(it->second, std::move(response), now);
  return ok;
}

bool TransactionLayer::resend_response(TransactionId server) {
  Reentry guard(*this);
  auto it = transactions_.find(server);
  if (it == transactions_.end()) return false;
  Transaction& t = it->second;
  if (t.kind != TransactionKind::kServerInvite || t.state != TransactionState::kAccepted ||
      !t.last_response) {
    return false;
  }
  return send(t, t.last_response->text());
}

void TransactionLayer::peer_unreachable(const Endpoint& peer, TimePoint /*now*/) {
  Reentry guard(*this);
  std::vector<TransactionId> failing;
  for (const auto& [id, t] : transactions_) {
    if (is_client(t) && t.peer == peer &&
        (t.state == TransactionState::kCalling || t.state == TransactionState::kTrying ||
         t.state == TransactionState::kProceeding)) {
      failing.push_back(id);
    }
  }
  for (TransactionId id : failing) {
    auto it = transactions_.find(id);
    if (it != transactions_.end() && it->second.state != TransactionState::kTerminated) {
      fail(it->second, TransactionFailure::kTransportError);
    }
  }
}

void TransactionLayer::advance(TimePoint now) {
  Reentry guard(*this);
  while (!queue_.empty() && queue_.begin()->first <= now) {
    auto entry = queue_.begin();
    TimerEntry timer = entry->second;
    queue_.erase(entry);
    auto it = transactions_.find(timer.id);
    if (it == transactions_.end()) continue;
    Transaction& t = it->second;
    t.timers[timer.timer].reset();
    if (is_client(t)) {
      client_timer(t, timer.timer, now);
    } else {
      server_timer(t, timer.timer, now);
    }
  }
}

std::optional<TimePoint> TransactionLayer::next_timer() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

TransactionState TransactionLayer::state(TransactionId id) const {
  auto it = transactions_.find(id);
  return it == transactions_.end() ? TransactionState::kTerminated : it->second.state;
}

std::optional<TransactionId> TransactionLayer::find_invite_server(const Message& cancel) const {
  if (cancel.via().empty()) return std::nullopt;
  std::string key = server_key(cancel);
  key.replace(key.rfind('|') + 1, std::string::npos, "INVITE");
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

const Message* TransactionLayer::request(TransactionId id) const {
  auto it = transactions_.find(id);
  return it == transactions_.end() ? nullptr : &it->second.request;
}

const Endpoint* TransactionLayer::source(TransactionId id) const {
  auto it = transactions_.find(id);
  return it == transactions_.end() ? nullptr : &it->second.source;
}

bool TransactionLayer::send(Transaction& t, std::string_view bytes) {
  if (transport_.send(bytes, t.peer)) return true;
  fail(t, TransactionFailure::kTransportError);  // 17.1.4, 17.2.4
  return false;
}

void TransactionLayer::start_timer(Transaction& t, Timer timer, TimePoint at) {
  stop_timer(t, timer);
  t.timers[timer] = queue_.emplace(at, TimerEntry{t.id, timer});
}

void TransactionLayer::stop_timer(Transaction& t, Timer timer) {
  if (t.timers[timer]) {
    queue_.erase(*t.timers[timer]);
    t.timers[timer].reset();
  }
}

void TransactionLayer::terminate(Transaction& t) {
  if (t.state == TransactionState::kTerminated) return;
  t.state = TransactionState::kTerminated;
  for (int timer = 0; timer < kTimerCount; ++timer)
    stop_timer(t, static_cast<Timer>(timer));
  auto it = by_key_.find(t.key);
  if (it != by_key_.end() && it->second == t.id) by_key_.erase(it);
  finished_.push_back(t.id);
}

void TransactionLayer::fail(Transaction& t, TransactionFailure failure) {
  terminate(t);
  user_.on_failure(t.id, failure);
}

}  // namespace lanline::sip
