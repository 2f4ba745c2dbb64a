// Client transactions: INVITE (RFC 3261 17.1.1, with RFC 6026's Accepted state) and
// non-INVITE (17.1.2). Timer names follow the RFC: A/B/D/M for INVITE, E/F/K otherwise.
#include "builder.hpp"
#include "transaction_layer.hpp"

namespace lanline::sip {
namespace {

bool is_final(int code) {
  return code >= 200;
}

}  // namespace

void TransactionLayer::client_start(Transaction& t, TimePoint now) {
  bool invite = t.kind == TransactionKind::kClientInvite;
  t.state = invite ? TransactionState::kCalling : TransactionState::kTrying;
  if (!send(t, t.request.text())) return;
  if (!t.peer.reliable()) {
    t.interval = timers_.t1;
    start_timer(t, kRetransmit, now + t.interval);  // Timer A or E
  }
  start_timer(t, kTimeout, now + (invite ? timers_.timer_b() : timers_.timer_f()));
}

void TransactionLayer::client_response(Transaction& t, const Message& response,
                                       const Endpoint& from, TimePoint now) {
  int code = response.status_code();
  if (t.kind == TransactionKind::kClientInvite) {
    switch (t.state) {
      case TransactionState::kCalling:
      case TransactionState::kProceeding:
        if (!is_final(code)) {
          // 17.1.1.2: no more retransmissions; Timer B only applies in Calling.
          t.state = TransactionState::kProceeding;
          stop_timer(t, kRetransmit);
          stop_timer(t, kTimeout);
        } else if (code < 300) {
          // RFC 6026 7.2: Accepted, so retransmitted or forked 2xx still reach the core.
          t.state = TransactionState::kAccepted;
          stop_timer(t, kRetransmit);
          stop_timer(t, kTimeout);
          start_timer(t, kLinger, now + timers_.timer_m());
        } else {
          // 17.1.1.3: the transaction acknowledges a non-2xx final response itself.
          t.state = TransactionState::kCompleted;
          stop_timer(t, kRetransmit);
          stop_timer(t, kTimeout);
          if (auto ack = build_ack_for_non2xx(t.request, response)) t.ack = std::move(ack).value();
          if (t.ack && !send(t, t.ack->text())) return;
          Duration d = timers_.timer_d(t.peer.reliable());
          if (d.count() == 0) {
            terminate(t);
          } else {
            start_timer(t, kLinger, now + d);  // Timer D
          }
        }
        user_.on_response(t.id, response, from);
        return;
      case TransactionState::kAccepted:
        if (is_final(code) && code < 300) user_.on_response(t.id, response, from);
        return;
      case TransactionState::kCompleted:
        if (code >= 300 && t.ack) send(t, t.ack->text());  // the ACK was lost: send it again
        return;
      default:
        return;
    }
  }
  // Non-INVITE (17.1.2.2).
  switch (t.state) {
    case TransactionState::kTrying:
    case TransactionState::kProceeding:
      if (!is_final(code)) {
        t.state = TransactionState::kProceeding;
      } else {
        t.state = TransactionState::kCompleted;
        stop_timer(t, kRetransmit);
        stop_timer(t, kTimeout);
        Duration k = timers_.timer_k(t.peer.reliable());
        if (k.count() == 0) {
          terminate(t);
        } else {
          start_timer(t, kLinger, now + k);  // Timer K absorbs retransmitted responses
        }
      }
      user_.on_response(t.id, response, from);
      return;
    default:
      return;  // Completed: a retransmission, absorbed
  }
}

void TransactionLayer::client_timer(Transaction& t, Timer timer, TimePoint now) {
  bool invite = t.kind == TransactionKind::kClientInvite;
  switch (timer) {
    case kRetransmit:
      if (invite && t.state == TransactionState::kCalling) {
        if (!send(t, t.request.text())) return;
        t.interval *= 2;  // Timer A doubles without a cap
        start_timer(t, kRetransmit, now + t.interval);
      } else if (!invite && (t.state == TransactionState::kTrying ||
                             t.state == TransactionState::kProceeding)) {
        if (!send(t, t.request.text())) return;
        // Timer E doubles up to T2 while Trying, and stays at T2 once Proceeding.
        t.interval = t.state == TransactionState::kTrying ? std::min(2 * t.interval, timers_.t2)
                                                          : timers_.t2;
        start_timer(t, kRetransmit, now + t.interval);
      }
      return;
    case kTimeout:  // Timer B or F
      fail(t, TransactionFailure::kTimeout);
      return;
    case kLinger:  // Timer D, K or M
      terminate(t);
      return;
    default:
      return;
  }
}

}  // namespace lanline::sip
