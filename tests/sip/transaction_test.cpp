// The four transaction state machines of RFC 3261 17 on a fake clock, each timer and
// retransmission checked by time, and two layers talking over a lossy in-memory network.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>

#include "sip/builder.hpp"
#include "sip/parser.hpp"
#include "sip/transaction_layer.hpp"

namespace lanline::sip {
namespace {

using std::chrono::milliseconds;

struct Sent {
  milliseconds at;
  std::string bytes;
  Endpoint to;
};

// Records what a layer sends; can be told to fail.
struct RecordingTransport : TransportSender {
  TimePoint* clock = nullptr;
  TimePoint origin;
  std::vector<Sent> sent;
  bool fail = false;
  bool send(std::string_view bytes, const Endpoint& to) override {
    if (fail) return false;
    sent.push_back(
        {std::chrono::duration_cast<milliseconds>(*clock - origin), std::string(bytes), to});
    return true;
  }
  std::vector<long> times() const {
    std::vector<long> out;
    for (const auto& s : sent)
      out.push_back(static_cast<long>(s.at.count()));
    return out;
  }
};

struct RecordingUser : TransactionUser {
  std::vector<std::pair<TransactionId, std::string>> requests;  // id, method
  std::vector<std::pair<TransactionId, int>> responses;
  std::vector<std::pair<TransactionId, TransactionFailure>> failures;
  void on_request(TransactionId id, const Message& request, const Endpoint&) override {
    requests.emplace_back(id, std::string(request.method_text()));
  }
  void on_response(TransactionId id, const Message& response, const Endpoint&) override {
    responses.emplace_back(id, response.status_code());
  }
  void on_failure(TransactionId id, TransactionFailure failure) override {
    failures.emplace_back(id, failure);
  }
};

Message parse(const std::string& text) {
  auto m = parse_message(text);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().reason) << "\n" << text;
  return std::move(m).value();
}

std::string request_text(std::string_view method, std::string_view branch,
                         std::string_view via_params = "") {
  std::string m(method);
  return m + " sip:bob@198.18.0.2 SIP/2.0\r\n" +
         "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" + std::string(branch) +
         std::string(via_params) + "\r\n" +
         "Max-Forwards: 70\r\nFrom: <sip:alice@198.18.0.1>;tag=a1\r\n"
         "To: <sip:bob@198.18.0.2>\r\nCall-ID: call-1@198.18.0.1\r\n"
         "CSeq: 1 " +
         m + "\r\nContent-Length: 0\r\n\r\n";
}

// What a builder wrote, which must be a message.
Message built(Result<Message> message) {
  EXPECT_TRUE(message.ok()) << (message.ok() ? "" : message.error().reason);
  return std::move(message).value();
}

Message response_to(const Message& request, int code, std::string tag = "b1") {
  ResponseSpec spec;
  spec.code = code;
  spec.to_tag = std::move(tag);
  return built(build_response(request, spec));
}

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = TimePoint{} + std::chrono::hours(1);
    transport_.clock = &now_;
    transport_.origin = now_;
  }
  // Runs the clock forward in 10 ms steps, firing timers.
  void run_until(long ms) {
    TimePoint end = transport_.origin + milliseconds(ms);
    while (now_ < end) {
      now_ = std::min(end, now_ + milliseconds(10));
      if (auto next = layer_.next_timer(); next && *next < now_)
        now_ = std::max(*next, now_ - milliseconds(10));
      layer_.advance(now_);
    }
  }
  Endpoint udp_peer{"198.18.0.2", 5060, TransportKind::kUdp, 0};
  Endpoint tcp_peer{"198.18.0.2", 5060, TransportKind::kTcp, 7};
  TimePoint now_;
  RecordingTransport transport_;
  RecordingUser user_;
  TransactionLayer layer_{transport_, user_};
};

// 17.1.1.2: Timer A at T1, doubling, until Timer B at 64*T1.
TEST_F(TransactionTest, InviteClientRetransmitsUntilTimerB) {
  TransactionId id = layer_.send_request(parse(request_text("INVITE", "z9hG4bKa")), udp_peer, now_);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(layer_.state(id), TransactionState::kCalling);
  run_until(40000);
  EXPECT_EQ(transport_.times(), (std::vector<long>{0, 500, 1500, 3500, 7500, 15500, 31500}));
  ASSERT_EQ(user_.failures.size(), 1u);
  EXPECT_EQ(user_.failures[0].second, TransactionFailure::kTimeout);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);
  EXPECT_EQ(layer_.size(), 0u);
}

TEST_F(TransactionTest, InviteClientOverTcpDoesNotRetransmit) {
  layer_.send_request(parse(request_text("INVITE", "z9hG4bKa")), tcp_peer, now_);
  run_until(31990);
  EXPECT_EQ(transport_.sent.size(), 1u);
  EXPECT_TRUE(user_.failures.empty());
  run_until(32010);
  EXPECT_EQ(user_.failures.size(), 1u);
}

// A provisional response stops Timer A and Timer B: the core's Timer C or CANCEL decide.
TEST_F(TransactionTest, InviteClientProceedingWaitsForTheFinalResponse) {
  Message invite = parse(request_text("INVITE", "z9hG4bKa"));
  Message ringing = response_to(invite, 180);
  TransactionId id = layer_.send_request(std::move(invite), udp_peer, now_);
  run_until(600);
  layer_.receive(std::move(ringing), udp_peer, now_);
  EXPECT_EQ(layer_.state(id), TransactionState::kProceeding);
  run_until(60000);
  EXPECT_EQ(transport_.times(), (std::vector<long>{0, 500}));
  EXPECT_TRUE(user_.failures.empty());
  ASSERT_EQ(user_.responses.size(), 1u);
  EXPECT_EQ(user_.responses[0].second, 180);
}

// 17.1.1.3: non-2xx final: the transaction sends the ACK, resends it for each
// retransmitted response without bothering the user, and ends after Timer D (32 s).
TEST_F(TransactionTest, InviteClientAcknowledgesFailureResponses) {
  Message invite = parse(request_text("INVITE", "z9hG4bKa"));
  std::string busy(built(build_response(invite, ResponseSpec{486, "", "b1", {}, "", ""})).text());
  TransactionId id = layer_.send_request(std::move(invite), udp_peer, now_);
  run_until(100);
  layer_.receive(parse(busy), udp_peer, now_);
  EXPECT_EQ(layer_.state(id), TransactionState::kCompleted);
  ASSERT_EQ(transport_.sent.size(), 2u);
  Message ack = parse(transport_.sent[1].bytes);
  EXPECT_EQ(ack.method(), Method::kAck);
  EXPECT_EQ(ack.cseq().number, 1u);
  EXPECT_EQ(ack.cseq().method, Method::kAck);
  EXPECT_EQ(ack.to().tag, "b1");               // To from the response
  EXPECT_EQ(ack.via()[0].branch, "z9hG4bKa");  // same branch as the INVITE
  run_until(2000);
  layer_.receive(parse(busy), udp_peer, now_);
  EXPECT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(user_.responses.size(), 1u);
  run_until(32090);
  EXPECT_EQ(layer_.state(id), TransactionState::kCompleted);
  run_until(32110);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);
  EXPECT_TRUE(user_.failures.empty());
}

// RFC 6026: after a 2xx the transaction is Accepted and passes further 2xx up.
TEST_F(TransactionTest, InviteClientAcceptedPassesRetransmitted2xx) {
  Message invite = parse(request_text("INVITE", "z9hG4bKa"));
  std::string ok(built(build_response(invite, ResponseSpec{200, "", "b1", {}, "", ""})).text());
  TransactionId id = layer_.send_request(std::move(invite), udp_peer, now_);
  layer_.receive(parse(ok), udp_peer, now_);
  EXPECT_EQ(layer_.state(id), TransactionState::kAccepted);
  run_until(1000);
  layer_.receive(parse(ok), udp_peer, now_);
  EXPECT_EQ(user_.responses.size(), 2u);
  EXPECT_EQ(transport_.sent.size(), 1u);  // no ACK from the transaction: the core sends it
  run_until(32010);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);
  layer_.receive(parse(ok), udp_peer, now_);  // stray after Timer M: dropped
  EXPECT_EQ(user_.responses.size(), 2u);
}

// 17.1.2.2: Timer E doubles to T2, Timer F ends it at 64*T1.
TEST_F(TransactionTest, NonInviteClientRetransmitsUpToT2) {
  layer_.send_request(parse(request_text("MESSAGE", "z9hG4bKm")), udp_peer, now_);
  run_until(40000);
  EXPECT_EQ(transport_.times(), (std::vector<long>{0, 500, 1500, 3500, 7500, 11500, 15500, 19500,
                                                   23500, 27500, 31500}));
  ASSERT_EQ(user_.failures.size(), 1u);
  EXPECT_EQ(user_.failures[0].second, TransactionFailure::kTimeout);
}

TEST_F(TransactionTest, NonInviteClientProceedingRetransmitsEveryT2) {
  Message request = parse(request_text("OPTIONS", "z9hG4bKo"));
  Message trying = response_to(request, 100);
  Message ok = response_to(request, 200);
  TransactionId id = layer_.send_request(std::move(request), udp_peer, now_);
  run_until(600);
  layer_.receive(std::move(trying), udp_peer, now_);
  EXPECT_EQ(layer_.state(id), TransactionState::kProceeding);
  run_until(13000);
  // 0 and 500 while Trying; the next retransmission was due at 1500, then every T2.
  EXPECT_EQ(transport_.times(), (std::vector<long>{0, 500, 1500, 5500, 9500}));
  layer_.receive(parse(std::string(ok.text())), udp_peer, now_);
  EXPECT_EQ(layer_.state(id), TransactionState::kCompleted);
  layer_.receive(std::move(ok), udp_peer, now_);  // retransmission: absorbed by Timer K
  EXPECT_EQ(user_.responses.size(), 2u);          // 100 and one 200
  run_until(13000 + 4990);
  EXPECT_EQ(layer_.state(id), TransactionState::kCompleted);
  run_until(13000 + 5010);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);
}

TEST_F(TransactionTest, TransportErrorEndsTheTransaction) {
  TransactionId id =
      layer_.send_request(parse(request_text("OPTIONS", "z9hG4bKo")), udp_peer, now_);
  transport_.fail = true;
  run_until(600);
  ASSERT_EQ(user_.failures.size(), 1u);
  EXPECT_EQ(user_.failures[0], std::make_pair(id, TransactionFailure::kTransportError));
  EXPECT_EQ(layer_.send_request(parse(request_text("OPTIONS", "z9hG4bKp")), udp_peer, now_), 0u);
}

// A TCP connection refused after send() took the bytes: the transactions sending to that
// peer fail at once (the TU can try UDP), not at Timer B 32 s later; others go on.
TEST_F(TransactionTest, UnreachablePeerFailsItsClientTransactionsAtOnce) {
  TransactionId invite =
      layer_.send_request(parse(request_text("INVITE", "z9hG4bKu1")), tcp_peer, now_);
  TransactionId options =
      layer_.send_request(parse(request_text("OPTIONS", "z9hG4bKu2")), udp_peer, now_);
  Endpoint refused = tcp_peer;
  refused.connection = 0;  // the transport names the peer, not our connection id
  layer_.peer_unreachable(refused, now_);
  ASSERT_EQ(user_.failures.size(), 1u);
  EXPECT_EQ(user_.failures[0], std::make_pair(invite, TransactionFailure::kTransportError));
  EXPECT_EQ(layer_.state(invite), TransactionState::kTerminated);
  EXPECT_NE(layer_.state(options), TransactionState::kTerminated);
  layer_.peer_unreachable(refused, now_);  // nothing left there: nothing more
  EXPECT_EQ(user_.failures.size(), 1u);
}

// 17.2.1: 100 Trying at once; a non-2xx final response is retransmitted by Timer G
// (T1 doubling to T2) until the ACK, or Timer H gives up.
TEST_F(TransactionTest, InviteServerRetransmitsFinalResponseUntilTimerH) {
  Endpoint alice{"198.18.0.1", 5060, TransportKind::kUdp, 0};
  layer_.receive(parse(request_text("INVITE", "z9hG4bKi")), alice, now_);
  ASSERT_EQ(user_.requests.size(), 1u);
  TransactionId id = user_.requests[0].first;
  EXPECT_EQ(layer_.state(id), TransactionState::kProceeding);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(parse(transport_.sent[0].bytes).status_code(), 100);
  layer_.receive(parse(request_text("INVITE", "z9hG4bKi")), alice, now_);  // retransmission
  EXPECT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(user_.requests.size(), 1u);
  EXPECT_TRUE(layer_.send_response(id, response_to(*layer_.request(id), 486), now_));
  EXPECT_EQ(layer_.state(id), TransactionState::kCompleted);
  run_until(40000);
  std::vector<long> expected{0,     0,     0,     500,   1500,  3500, 7500,
                             11500, 15500, 19500, 23500, 27500, 31500};
  EXPECT_EQ(transport_.times(), expected);
  ASSERT_EQ(user_.failures.size(), 1u);
  EXPECT_EQ(user_.failures[0], std::make_pair(id, TransactionFailure::kNoAck));
}

TEST_F(TransactionTest, InviteServerConfirmedByAckThenTimerI) {
  Endpoint alice{"198.18.0.1", 5060, TransportKind::kUdp, 0};
  Message invite = parse(request_text("INVITE", "z9hG4bKi"));
  layer_.receive(parse(std::string(invite.text())), alice, now_);
  TransactionId id = user_.requests.at(0).first;
  Message busy = response_to(invite, 486);
  layer_.send_response(id, parse(std::string(busy.text())), now_);
  run_until(700);
  std::size_t sent = transport_.sent.size();
  layer_.receive(built(build_ack_for_non2xx(invite, busy)), alice, now_);
  EXPECT_EQ(layer_.state(id), TransactionState::kConfirmed);
  layer_.receive(built(build_ack_for_non2xx(invite, busy)), alice, now_);  // absorbed
  run_until(5690);
  EXPECT_EQ(layer_.state(id), TransactionState::kConfirmed);
  run_until(5710);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);
  EXPECT_EQ(transport_.sent.size(), sent);  // no more retransmissions after the ACK
  EXPECT_EQ(user_.requests.size(), 1u);     // the ACKs never reached the user
  EXPECT_TRUE(user_.failures.empty());
}

// RFC 6026 7.1: after a 2xx, INVITE retransmissions are absorbed and the ACK goes up.
TEST_F(TransactionTest, InviteServerAcceptedPassesAckToTheCore) {
  Endpoint alice{"198.18.0.1", 5060, TransportKind::kUdp, 0};
  Message invite = parse(request_text("INVITE", "z9hG4bKi"));
  layer_.receive(parse(std::string(invite.text())), alice, now_);
  TransactionId id = user_.requests.at(0).first;
  EXPECT_TRUE(layer_.send_response(id, response_to(invite, 200), now_));
  EXPECT_EQ(layer_.state(id), TransactionState::kAccepted);
  std::size_t sent = transport_.sent.size();
  layer_.receive(parse(std::string(invite.text())), alice, now_);
  EXPECT_EQ(transport_.sent.size(), sent);
  EXPECT_TRUE(layer_.send_response(id, response_to(invite, 200), now_));  // core's retransmit
  EXPECT_EQ(transport_.sent.size(), sent + 1);
  std::string ack = request_text("ACK", "z9hG4bKack2xx");  // a 2xx ACK has its own branch
  layer_.receive(parse(ack), alice, now_);
  ASSERT_EQ(user_.requests.size(), 2u);
  EXPECT_EQ(user_.requests[1], std::make_pair(TransactionId{0}, std::string("ACK")));
  run_until(32010);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);
}

// RFC 6026 7.1: the core resends its 2xx from the Accepted transaction, byte for byte,
// until Timer L ends it; nothing else can be resent that way.
TEST_F(TransactionTest, InviteServerResendsTheCoresTwoHundred) {
  Endpoint alice{"198.18.0.1", 5060, TransportKind::kUdp, 0};
  Message invite = parse(request_text("INVITE", "z9hG4bKs"));
  layer_.receive(parse(std::string(invite.text())), alice, now_);
  TransactionId id = user_.requests.at(0).first;
  EXPECT_FALSE(layer_.resend_response(id));  // only the 100 so far
  ASSERT_TRUE(layer_.send_response(id, response_to(invite, 200), now_));
  std::string sent = transport_.sent.back().bytes;
  EXPECT_TRUE(layer_.resend_response(id));
  EXPECT_EQ(transport_.sent.back().bytes, sent);
  EXPECT_EQ(transport_.sent.back().to, alice);
  run_until(32010);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);
  EXPECT_FALSE(layer_.resend_response(id));
  Message options = parse(request_text("OPTIONS", "z9hG4bKs2"));
  layer_.receive(parse(std::string(options.text())), alice, now_);
  TransactionId other = user_.requests.back().first;
  layer_.send_response(other, response_to(options, 200), now_);
  EXPECT_FALSE(layer_.resend_response(other));  // a non-INVITE answers retransmissions itself
}

// 17.2.2: a non-INVITE server absorbs retransmissions until it answers, then repeats its
// answer until Timer J (64*T1 on UDP, at once on TCP).
TEST_F(TransactionTest, NonInviteServer) {
  Endpoint alice{"198.18.0.1", 5060, TransportKind::kUdp, 0};
  std::string text = request_text("MESSAGE", "z9hG4bKn");
  layer_.receive(parse(text), alice, now_);
  TransactionId id = user_.requests.at(0).first;
  EXPECT_EQ(layer_.state(id), TransactionState::kTrying);
  layer_.receive(parse(text), alice, now_);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_TRUE(layer_.send_response(id, response_to(*layer_.request(id), 200), now_));
  EXPECT_FALSE(layer_.send_response(id, response_to(*layer_.request(id), 500), now_));
  layer_.receive(parse(text), alice, now_);
  EXPECT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(user_.requests.size(), 1u);
  run_until(31990);
  EXPECT_EQ(layer_.state(id), TransactionState::kCompleted);
  run_until(32010);
  EXPECT_EQ(layer_.state(id), TransactionState::kTerminated);

  Endpoint tcp{"198.18.0.1", 40000, TransportKind::kTcp, 3};
  layer_.receive(parse(request_text("OPTIONS", "z9hG4bKt")), tcp, now_);
  TransactionId over_tcp = user_.requests.back().first;
  layer_.send_response(over_tcp, response_to(*layer_.request(over_tcp), 200), now_);
  EXPECT_EQ(layer_.state(over_tcp), TransactionState::kTerminated);
  EXPECT_EQ(transport_.sent.back().to.connection, 3u);
}

// RFC 3261 9.2: a CANCEL finds the INVITE it refers to, and has its own transaction.
TEST_F(TransactionTest, CancelMatchesItsInvite) {
  Endpoint alice{"198.18.0.1", 5060, TransportKind::kUdp, 0};
  Message invite = parse(request_text("INVITE", "z9hG4bKc"));
  layer_.receive(parse(std::string(invite.text())), alice, now_);
  TransactionId invite_id = user_.requests.at(0).first;
  Message cancel = built(build_cancel(invite));
  EXPECT_EQ(layer_.find_invite_server(cancel), invite_id);
  layer_.receive(std::move(cancel), alice, now_);
  ASSERT_EQ(user_.requests.size(), 2u);
  EXPECT_EQ(user_.requests[1].second, "CANCEL");
  EXPECT_NE(user_.requests[1].first, invite_id);
  EXPECT_FALSE(
      layer_.find_invite_server(built(build_cancel(parse(request_text("INVITE", "z9hG4bKz"))))));
}

// A user that answers from inside on_request and then still reads the request: over TCP
// the answer ends the transaction at once (Timer J = 0), and the request must live on
// until the layer's outermost call returns (found by ASan under SIPp over TCP).
TEST(TransactionReentry, RequestOutlivesAnAnswerThatEndsTheTransaction) {
  struct AnswerAtOnce : TransportSender, TransactionUser {
    TransactionLayer* layer = nullptr;
    TimePoint now{};
    std::string call_id_after_answer;
    bool send(std::string_view, const Endpoint&) override { return true; }
    void on_request(TransactionId id, const Message& request, const Endpoint&) override {
      layer->send_response(id, response_to(request, 200), now);
      call_id_after_answer = std::string(request.call_id());
    }
    void on_response(TransactionId, const Message&, const Endpoint&) override {}
    void on_failure(TransactionId, TransactionFailure) override {}
  } user;
  TransactionLayer layer(user, user);
  user.layer = &layer;
  Endpoint tcp{"198.18.0.1", 40000, TransportKind::kTcp, 3};
  layer.receive(parse(request_text("MESSAGE", "z9hG4bKre")), tcp, user.now);
  EXPECT_EQ(user.call_id_after_answer, "call-1@198.18.0.1");
  EXPECT_EQ(layer.size(), 0u);
}

TEST(ResponseDestination, FollowsViaAndRport) {
  Endpoint source{"203.0.113.9", 40123, TransportKind::kUdp, 0};
  Message with_rport = parse(request_text("OPTIONS", "z9hG4bKr", ";rport"));
  EXPECT_EQ(TransactionLayer::response_destination(with_rport, source).port, 40123);
  Message without = parse(request_text("OPTIONS", "z9hG4bKr"));
  Endpoint to = TransactionLayer::response_destination(without, source);
  EXPECT_EQ(to.address, "203.0.113.9");  // the received address, not the sent-by host
  EXPECT_EQ(to.port, 5060);
}

// Two layers over a network that drops 30% of datagrams each way: every transaction ends
// once on each side, and every request reaches the server exactly once.
TEST(TransactionLoss, EveryTransactionCompletesDespiteLoss) {
  struct Node : TransportSender, TransactionUser {
    std::deque<std::pair<std::string, TimePoint>>* outbox = nullptr;
    TransactionLayer* layer = nullptr;
    TimePoint* clock = nullptr;
    std::vector<std::string> requests_seen;  // Call-IDs
    std::vector<int> finals;
    int failures = 0;
    bool send(std::string_view bytes, const Endpoint&) override {
      outbox->emplace_back(std::string(bytes), *clock);
      return true;
    }
    void on_request(TransactionId id, const Message& request, const Endpoint&) override {
      requests_seen.emplace_back(request.call_id());
      if (id == 0) return;
      int code = request.method() == Method::kInvite ? 486 : 200;
      layer->send_response(id, response_to(request, code), *clock);
    }
    void on_response(TransactionId, const Message& response, const Endpoint&) override {
      if (response.status_code() >= 200) finals.push_back(response.status_code());
    }
    void on_failure(TransactionId, TransactionFailure) override { ++failures; }
  };
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  std::deque<std::pair<std::string, TimePoint>> a_to_b, b_to_a;
  Node alice, bob;
  TransactionLayer alice_layer(alice, alice), bob_layer(bob, bob);
  alice.outbox = &a_to_b;
  bob.outbox = &b_to_a;
  alice.layer = &alice_layer;
  bob.layer = &bob_layer;
  alice.clock = bob.clock = &now;
  std::mt19937 random(7);
  std::bernoulli_distribution lost(0.3);
  Endpoint to_bob{"198.18.0.2", 5060, TransportKind::kUdp, 0};
  Endpoint to_alice{"198.18.0.1", 5060, TransportKind::kUdp, 0};
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    std::string method = i % 2 ? "MESSAGE" : "INVITE";
    std::string text = request_text(method, "z9hG4bK" + std::to_string(i));
    std::string call_id = "call-" + std::to_string(i);
    text.replace(text.find("call-1"), 6, call_id);
    ASSERT_NE(alice_layer.send_request(parse(text), to_bob, now), 0u);
  }
  auto deliver = [&](std::deque<std::pair<std::string, TimePoint>>& queue, TransactionLayer& to,
                     const Endpoint& from) {
    while (!queue.empty() && queue.front().second + milliseconds(5) <= now) {
      std::string bytes = std::move(queue.front().first);
      queue.pop_front();
      if (!lost(random)) to.receive(parse(bytes), from, now);
    }
  };
  for (int step = 0; step < 70000 / 5; ++step) {
    now += milliseconds(5);
    deliver(a_to_b, bob_layer, to_alice);
    deliver(b_to_a, alice_layer, to_bob);
    alice_layer.advance(now);
    bob_layer.advance(now);
  }
  EXPECT_EQ(alice.failures, 0);
  EXPECT_EQ(alice.finals.size(), static_cast<std::size_t>(kCount));
  // Each request reached bob's user once; ACKs for 486 stay inside the transaction.
  std::sort(bob.requests_seen.begin(), bob.requests_seen.end());
  EXPECT_EQ(std::adjacent_find(bob.requests_seen.begin(), bob.requests_seen.end()),
            bob.requests_seen.end());
  EXPECT_EQ(bob.requests_seen.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(alice_layer.size(), 0u);
  EXPECT_EQ(bob_layer.size(), 0u);
}

}  // namespace
}  // namespace lanline::sip
