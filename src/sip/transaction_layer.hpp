// The transaction layer of RFC 3261 section 17: client and server, INVITE and non-INVITE,
// with RFC 6026's Accepted states. It does no I/O: it is fed messages and the time, and
// it sends through a TransportSender and reports to a TransactionUser. Timers are
// deadlines that the owner fires with advance(now), so tests run it on a fake clock.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "endpoint.hpp"
#include "message.hpp"
#include "timers.hpp"

namespace lanline::sip {

using TransactionId = std::uint64_t;

enum class TransactionKind : std::uint8_t {
  kClientInvite,     // ICT, 17.1.1
  kClientNonInvite,  // NICT, 17.1.2
  kServerInvite,     // IST, 17.2.1
  kServerNonInvite,  // NIST, 17.2.2
};

enum class TransactionState : std::uint8_t {
  kCalling,     // ICT
  kTrying,      // NICT, NIST
  kProceeding,  // all
  kCompleted,   // all
  kConfirmed,   // IST
  kAccepted,    // ICT and IST after a 2xx (RFC 6026)
  kTerminated,
};

enum class TransactionFailure : std::uint8_t {
  kTimeout,         // Timer B or F: no final response
  kNoAck,           // Timer H: a non-2xx final response was never acknowledged
  kTransportError,  // the transport could not send
};

std::string_view to_string(TransactionState state);

class TransportSender {
 public:
  virtual ~TransportSender() = default;
  // False when the message could not be sent (no route, connection refused).
  virtual bool send(std::string_view bytes, const Endpoint& to) = 0;
};

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A new request in a new server transaction; answer it with send_response(server, ...).
  // An ACK that matches no transaction (the ACK for a 2xx, RFC 3261 13.3.1.4) and a
  // CANCEL's own transaction come here too: for an ACK, `server` is 0.
  virtual void on_request(TransactionId server, const Message& request, const Endpoint& from) = 0;
  // A response in a client transaction. Retransmitted 2xx responses to an INVITE reach
  // the UA core this way as long as the transaction is Accepted (RFC 6026 7.2).
  virtual void on_response(TransactionId client, const Message& response, const Endpoint& from) = 0;
  virtual void on_failure(TransactionId id, TransactionFailure failure) = 0;
};

class TransactionLayer {
 public:
  TransactionLayer(TransportSender& transport, TransactionUser& user, TimerValues timers = {});

  // A message from the transport.
  void receive(Message message, const Endpoint& from, TimePoint now);

  // Starts a client transaction and sends the request. Its top Via must carry a branch
  // with the magic cookie, unique to this request (new_branch()). Returns 0 if the
  // request could not be sent at all (on_failure is not called then).
  TransactionId send_request(Message request, const Endpoint& to, TimePoint now);

  // Sends a response in a server transaction. False if the transaction has ended or
  // already sent a final response.
  bool send_response(TransactionId server, Message response, TimePoint now);
  // RFC 3261 13.3.1.4 with RFC 6026 7.1: the core's retransmission of its 2xx to an
  // INVITE, sent again from the Accepted transaction that holds it, so the core keeps no
  // copy. False once the transaction has left Accepted (Timer L) or could not send.
  bool resend_response(TransactionId server);

  // Fires every timer that is due; call at next_timer() or later.
  void advance(TimePoint now);
  std::optional<TimePoint> next_timer() const;

  // The transport gave up on `peer` (a TCP connection refused or closed with our bytes
  // unsent): each client transaction sending there that has no final response fails with
  // kTransportError now, instead of at Timer B or F (RFC 3261 17.1.4: a transport error
  // is reported to the TU).
  void peer_unreachable(const Endpoint& peer, TimePoint now);

  // kTerminated once a transaction has ended and been forgotten.
  TransactionState state(TransactionId id) const;
  std::size_t size() const { return transactions_.size(); }

  // RFC 3261 9.2: the INVITE server transaction a CANCEL refers to.
  std::optional<TransactionId> find_invite_server(const Message& cancel) const;
  // The request of a transaction while it lives: the one a server transaction answers,
  // or the one a client transaction sent (its INVITE, for a CANCEL or a dialog).
  const Message* request(TransactionId id) const;
  const Endpoint* source(TransactionId id) const;

  // RFC 3261 18.2.2 (with RFC 3581 rport): where responses to a request go.
  static Endpoint response_destination(const Message& request, const Endpoint& source);

 private:
  enum Timer : std::uint8_t { kRetransmit, kTimeout, kLinger, kTimerCount };
  struct TimerEntry {
    TransactionId id;
    Timer timer;
  };
  using TimerQueue = std::multimap<TimePoint, TimerEntry>;

  struct Transaction {
    TransactionId id = 0;
    TransactionKind kind = TransactionKind::kClientInvite;
    TransactionState state = TransactionState::kTrying;
    std::string key;
    Message request;
    Endpoint peer;                         // where requests go (client) or responses go (server)
    Endpoint source;                       // server: where the request came from
    std::optional<Message> last_response;  // server: for retransmission
    std::optional<Message> ack;            // ICT: the ACK for a non-2xx response
    Duration interval{0};                  // current retransmission interval
    std::array<std::optional<TimerQueue::iterator>, kTimerCount> timers;
  };

  bool is_client(const Transaction& t) const {
    return t.kind == TransactionKind::kClientInvite || t.kind == TransactionKind::kClientNonInvite;
  }

  // Matching keys (17.1.3 and 17.2.3).
  static std::string client_key(const Message& message);
  static std::string server_key(const Message& message);

  // client_transaction.cpp
  void client_start(Transaction& t, TimePoint now);
  void client_response(Transaction& t, const Message& response, const Endpoint& from,
                       TimePoint now);
  void client_timer(Transaction& t, Timer timer, TimePoint now);
  // server_transaction.cpp
  void server_start(Transaction& t, TimePoint now);
  void server_request(Transaction& t, const Message& request, TimePoint now);
  bool server_respond(Transaction& t, Message response, TimePoint now);
  void server_timer(Transaction& t, Timer timer, TimePoint now);

  // Shared plumbing.
  bool send(Transaction& t, std::string_view bytes);
  void start_timer(Transaction& t, Timer timer, TimePoint at);
  void stop_timer(Transaction& t, Timer timer);
  void terminate(Transaction& t);
  void fail(Transaction& t, TransactionFailure failure);

  TransportSender& transport_;
  TransactionUser& user_;
  TimerValues timers_;
  TransactionId next_id_ = 1;
  std::unordered_map<TransactionId, Transaction> transactions_;
  std::unordered_map<std::string, TransactionId> by_key_;
  TimerQueue queue_;
  // Terminated transactions are erased only when the outermost public call returns: the
  // user may answer from inside on_request, and the request it holds a reference to must
  // outlive that answer even when the answer ends the transaction (Timer J = 0 on TCP).
  std::vector<TransactionId> finished_;
  int depth_ = 0;
  struct Reentry {
    explicit Reentry(TransactionLayer& layer) : layer_(layer) { ++layer_.depth_; }
    ~Reentry();
    TransactionLayer& layer_;
  };
};

}  // namespace lanline::sip
