// Server transactions: INVITE (RFC 3261 17.2.1, with RFC 6026's Accepted state) and
// non-INVITE (17.2.2). Timer names follow the RFC: G/H/I/L for INVITE, J otherwise.
#include "builder.hpp"
#include "transaction_layer.hpp"

namespace lanline::sip {

void TransactionLayer::server_start(Transaction& t, TimePoint) {
  if (t.kind == TransactionKind::kServerNonInvite) {
    t.state = TransactionState::kTrying;
    return;
  }
  // 17.2.1: the INVITE server transaction answers 100 Trying at once, so the client
  // stops retransmitting while the user decides.
  t.state = TransactionState::kProceeding;
  ResponseSpec spec;
  spec.code = 100;
  auto trying = build_response(t.request, spec);
  if (!trying) return;
  t.last_response = std::move(trying).value();
  send(t, t.last_response->text());
}

void TransactionLayer::server_request(Transaction& t, const Message& request, TimePoint now) {
  bool ack = request.method() == Method::kAck;
  if (t.kind == TransactionKind::kServerInvite) {
    switch (t.state) {
      case TransactionState::kProceeding:
        if (!ack && t.last_response) send(t, t.last_response->text());
        return;
      case TransactionState::kCompleted:
        if (!ack) {
          if (t.last_response) send(t, t.last_response->text());
          return;
        }
        // 17.2.1: the ACK ends retransmission; Timer I absorbs further ACKs.
        t.state = TransactionState::kConfirmed;
        stop_timer(t, kRetransmit);
        stop_timer(t, kTimeout);
        if (Duration i = timers_.timer_i(t.peer.reliable()); i.count() == 0) {
          terminate(t);
        } else {
          start_timer(t, kLinger, now + i);
        }
        return;
      case TransactionState::kAccepted:
        // RFC 6026 7.1: INVITE retransmissions are absorbed (the core resends the 2xx);
        // the ACK for the 2xx goes to the core.
        if (ack) user_.on_request(0, request, t.source);
        return;
      default:
        return;  // Confirmed: absorbed
    }
  }
  // Non-INVITE (17.2.2): retransmissions get the last response again.
  if (t.state != TransactionState::kTrying && t.last_response) send(t, t.last_response->text());
}

bool TransactionLayer::server_respond(Transaction& t, Message response, TimePoint now) {
  int code = response.status_code();
  if (t.kind == TransactionKind::kServerInvite) {
    if (t.state == TransactionState::kAccepted) {
      // RFC 6026: the core retransmits its 2xx through the transaction until the ACK.
      if (code < 200 || code >= 300) return false;
      t.last_response = std::move(response);
      send(t, t.last_response->text());
      return true;
    }
    if (t.state != TransactionState::kProceeding) return false;
    t.last_response = std::move(response);
    if (!send(t, t.last_response->text())) return true;
    if (code < 200) return true;
    if (code < 300) {
      t.state = TransactionState::kAccepted;
      start_timer(t, kLinger, now + timers_.timer_l());  // Timer L
      return true;
    }
    t.state = TransactionState::kCompleted;
    if (!t.peer.reliable()) {
      t.interval = timers_.t1;
      start_timer(t, kRetransmit, now + t.interval);  // Timer G
    }
    start_timer(t, kTimeout, now + timers_.timer_h());  // Timer H
    return true;
  }
  // Non-INVITE.
  if (t.state != TransactionState::kTrying && t.state != TransactionState::kProceeding) {
    return false;
  }
  t.last_response = std::move(response);
  if (!send(t, t.last_response->text())) return true;
  if (code < 200) {
    t.state = TransactionState::kProceeding;
    return true;
  }
  t.state = TransactionState::kCompleted;
  if (Duration j = timers_.timer_j(t.peer.reliable()); j.count() == 0) {
    terminate(t);
  } else {
    start_timer(t, kLinger, now + j);  // Timer J
  }
  return true;
}

void TransactionLayer::server_timer(Transaction& t, Timer timer, TimePoint now) {
  switch (timer) {
    case kRetransmit:  // Timer G
      if (t.state == TransactionState::kCompleted && t.last_response) {
        if (!send(t, t.last_response->text())) return;
        t.interval = std::min(2 * t.interval, timers_.t2);
        start_timer(t, kRetransmit, now + t.interval);
      }
      return;
    case kTimeout:  // Timer H: the ACK never came
      fail(t, TransactionFailure::kNoAck);
      return;
    case kLinger:  // Timer I, J or L
      terminate(t);
      return;
    default:
      return;
  }
}

}  // namespace lanline::sip
