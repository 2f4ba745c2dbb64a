// Two UA cores talk over an in-memory network on a fake clock: calls set up and torn
// down, cancelled, declined, held and resumed (with glare), messages delivered once,
// and the answers to requests a UA must refuse. The network can drop datagrams.
#include <gtest/gtest.h>

#include "core/pager.hpp"
#include "ua_harness.hpp"

namespace lanline::core {
namespace {

using namespace test;  // NOLINT: the harness is this file's vocabulary
using std::chrono::milliseconds;

class UserAgentTest : public ::testing::Test {
 protected:
  Network net;
  Node alice{net, "alice", "198.18.0.1"};
  Node bob{net, "bob", "198.18.0.2"};

  CallId place_call() {
    Outcome outcome = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now);
    EXPECT_TRUE(outcome.ok()) << outcome.error;
    net.run(milliseconds(100));
    return outcome.id;
  }
  CallId incoming_at_bob() const {
    for (const auto& [id, call] : bob.calls) {
      if (call.state == CallState::kIncoming) return id;
    }
    return 0;
  }
  // Sends raw text from alice to bob and returns bob's final answer.
  int bob_answers(const std::string& text) {
    std::size_t before = bob.sent.size();
    alice.send(text, bob.address);
    net.run(milliseconds(50));
    for (std::size_t i = before; i < bob.sent.size(); ++i) {
      auto m = sip::parse_message(bob.sent[i]);
      if (m && m->is_response() && m->status_code() >= 200) return m->status_code();
    }
    return 0;
  }
};

TEST_F(UserAgentTest, CallRingsIsAnsweredAndHungUp) {
  CallId call = place_call();
  EXPECT_EQ(alice.calls[call].state, CallState::kRinging);
  CallId incoming = incoming_at_bob();
  ASSERT_NE(incoming, 0u);
  EXPECT_EQ(bob.calls[incoming].remote_name, "alice");
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].state, CallState::kEstablished);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kEstablished);
  net.run(milliseconds(40000));  // the ACK arrived: no BYE for want of one, no 2xx resends
  EXPECT_EQ(bob.calls[incoming].state, CallState::kEstablished);
  ASSERT_TRUE(alice.ua->hangup(call, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kTerminated);
  EXPECT_EQ(bob.calls[incoming].end_reason, "the other side hung up");
  net.run(milliseconds(70000));
  EXPECT_EQ(alice.ua->transactions(), 0u);
  EXPECT_EQ(bob.ua->transactions(), 0u);
}

TEST_F(UserAgentTest, CancelBeforeAnswer) {
  CallId call = place_call();
  CallId incoming = incoming_at_bob();
  ASSERT_TRUE(alice.ua->hangup(call, net.now).ok());
  net.run(milliseconds(200));
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[call].end_code, 487);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kTerminated);
  EXPECT_EQ(bob.calls[incoming].end_code, 487);
}

TEST_F(UserAgentTest, DeclineAndBusy) {
  CallId call = place_call();
  // A second caller while bob's phone rings gets 486.
  Node carol(net, "carol", "198.18.0.3");
  CallId second = carol.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now).id;
  net.run(milliseconds(100));
  EXPECT_EQ(carol.calls[second].end_code, 486);
  EXPECT_EQ(carol.calls[second].end_reason, "busy");
  ASSERT_TRUE(bob.ua->decline(incoming_at_bob(), net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[call].end_code, 603);
  EXPECT_EQ(alice.calls[call].end_reason, "declined");
}

TEST_F(UserAgentTest, HoldAndResumeWithGlare) {
  CallId call = place_call();
  CallId incoming = incoming_at_bob();
  bob.ua->answer(incoming, net.now);
  net.run(milliseconds(100));
  ASSERT_TRUE(alice.ua->hold(call, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_TRUE(alice.calls[call].local_hold);
  EXPECT_TRUE(bob.calls[incoming].remote_hold);
  // Both change the session at once: both get 491 and retry after a random wait.
  ASSERT_TRUE(alice.ua->resume(call, net.now).ok());
  ASSERT_TRUE(bob.ua->hold(incoming, net.now).ok());
  net.run(milliseconds(100));
  int glare = 0;
  for (const auto* node : {&alice, &bob}) {
    for (const auto& bytes : node->sent) {
      auto m = sip::parse_message(bytes);
      if (m && m->is_response() && m->status_code() == 491) ++glare;
    }
  }
  EXPECT_EQ(glare, 2);
  net.run(milliseconds(10000));
  EXPECT_FALSE(alice.calls[call].local_hold);
  EXPECT_TRUE(bob.calls[incoming].local_hold);
  EXPECT_EQ(alice.calls[call].state, CallState::kEstablished);
}

TEST_F(UserAgentTest, MessagesInAndOutOfADialog) {
  Outcome sent = alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address, "hello bob", net.now);
  ASSERT_TRUE(sent.ok());
  net.run(milliseconds(100));
  ASSERT_EQ(bob.messages.size(), 1u);
  EXPECT_EQ(bob.messages[0].text, "hello bob");
  EXPECT_EQ(bob.messages[0].call, 0u);
  EXPECT_EQ(alice.results[sent.id], 200);
  CallId call = place_call();
  bob.ua->answer(incoming_at_bob(), net.now);
  net.run(milliseconds(100));
  Outcome in_call = alice.ua->message_in_call(call, "in the call", net.now);
  ASSERT_TRUE(in_call.ok());
  net.run(milliseconds(100));
  ASSERT_EQ(bob.messages.size(), 2u);
  EXPECT_EQ(bob.messages[1].text, "in the call");
  EXPECT_NE(bob.messages[1].call, 0u);
  EXPECT_EQ(alice.results[in_call.id], 200);
}

// RFC 3261 18.1.1: a request over 1300 bytes goes over TCP.
TEST_F(UserAgentTest, LargeRequestsGoOverTcp) {
  std::string text(2000, 'x');
  Outcome sent = alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address, text, net.now);
  ASSERT_TRUE(sent.ok());
  ASSERT_FALSE(alice.destinations.empty());
  EXPECT_EQ(alice.destinations.back().transport, sip::TransportKind::kTcp);
  auto message = sip::parse_message(alice.sent.back());
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->via()[0].transport, "TCP");
  net.run(milliseconds(100));
  ASSERT_EQ(bob.messages.size(), 1u);
  EXPECT_EQ(bob.messages[0].text, text);
  alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address, "short", net.now);
  EXPECT_EQ(alice.destinations.back().transport, sip::TransportKind::kUdp);
}

TEST_F(UserAgentTest, MessageToNobodyTimesOut) {
  sip::Endpoint nowhere{"198.18.0.9", 5060, sip::TransportKind::kUdp, 0};
  Outcome sent = alice.ua->message(uri("sip:x@198.18.0.9"), nowhere, "anyone?", net.now);
  net.run(milliseconds(40000));
  EXPECT_EQ(alice.results[sent.id], 408);
}

std::string raw(std::string_view method, std::string_view ruri, std::string extra = "",
                std::string to_tag = "") {
  static int counter = 0;
  int n = ++counter;
  std::string m(method);
  return m + " " + std::string(ruri) + " SIP/2.0\r\n" +
         "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKraw" + std::to_string(n) + "\r\n" +
         "Max-Forwards: 70\r\nFrom: <sip:alice@198.18.0.1>;tag=r1\r\n" +
         "To: <sip:bob@198.18.0.2>" + (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\n" +
         "Call-ID: raw" + std::to_string(n) + "\r\nCSeq: 1 " + m + "\r\n" + extra +
         "Content-Length: 0\r\n\r\n";
}

TEST_F(UserAgentTest, AnswersWhatItCannotDo) {
  EXPECT_EQ(bob_answers(raw("OPTIONS", "sip:bob@198.18.0.2")), 200);
  EXPECT_EQ(bob_answers(raw("FOO", "sip:bob@198.18.0.2")), 501);
  EXPECT_EQ(bob_answers(raw("REGISTER", "sip:bob@198.18.0.2")), 405);
  EXPECT_EQ(bob_answers(raw("OPTIONS", "sip:bob@198.18.0.2", "Require: 100rel\r\n")), 420);
  EXPECT_EQ(bob_answers(raw("OPTIONS", "sip:carol@198.18.0.2")), 404);
  std::string hops = raw("OPTIONS", "sip:carol@198.18.0.2");
  hops.replace(hops.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  EXPECT_EQ(bob_answers(hops), 483);
  EXPECT_EQ(bob_answers(raw("BYE", "sip:bob@198.18.0.2", "", "nosuch")), 481);
  EXPECT_EQ(bob_answers(raw("BYE", "sip:bob@198.18.0.2")), 481);
  EXPECT_EQ(bob_answers(raw("CANCEL", "sip:bob@198.18.0.2")), 481);
  EXPECT_EQ(bob_answers(raw("OPTIONS", "tel:+1234")), 416);
  EXPECT_EQ(bob_answers(raw("MESSAGE", "sip:bob@198.18.0.2", "Content-Type: image/png\r\n")), 415);
  EXPECT_EQ(bob_answers(raw("OPTIONS", "sip:198.18.0.2")), 200);  // no user part: accepted
}

// Issue 15: a received message is stored before it is answered. One the store holds
// already is answered 200 again and not told twice; one it cannot store gets 500 with
// Retry-After (the sender tries again); the sender's id, place and time come through.
TEST_F(UserAgentTest, AReceivedMessageIsStoredBeforeIts200) {
  std::vector<IncomingMessage> stored;
  StoreVerdict verdict = StoreVerdict::kNew;
  bob.ua->set_message_store([&](const IncomingMessage& m) {
    stored.push_back(m);
    return verdict;
  });
  const MessageMeta meta{"6f1c2a0e-1111-4111-8111-111111111111", 7, 1'700'000'000'123};
  Outcome first = alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address, "once", net.now, meta);
  net.run(milliseconds(100));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].meta.id, meta.id);
  EXPECT_EQ(stored[0].meta.seq, 7);
  EXPECT_EQ(stored[0].meta.sent_ms, 1'700'000'000'123);
  EXPECT_EQ(bob.messages.size(), 1u);
  EXPECT_EQ(alice.results[first.id], 200);

  verdict = StoreVerdict::kDuplicate;  // the same message again (a retry after a timeout)
  Outcome again = alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address, "once", net.now, meta);
  net.run(milliseconds(100));
  EXPECT_EQ(stored.size(), 2u);
  EXPECT_EQ(bob.messages.size(), 1u);  // not told twice
  EXPECT_EQ(alice.results[again.id], 200);

  verdict = StoreVerdict::kFailed;  // the disk is full
  Outcome failed = alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address, "later", net.now);
  net.run(milliseconds(100));
  EXPECT_EQ(alice.results[failed.id], 500);
  EXPECT_EQ(bob.messages.size(), 1u);
  auto answer = sip::parse_message(bob.sent.back());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->header("Retry-After").value_or(""), "5");
}

// RFC 3428 7: a MESSAGE Lanline cannot read is refused as it says; one too large, 413.
TEST_F(UserAgentTest, MessagesItCannotTakeAreRefused) {
  auto message = [](const std::string& type, const std::string& body) {
    static int n = 0;
    ++n;
    return "MESSAGE sip:bob@198.18.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP "
           "198.18.0.1:5060;branch=z9hG4bKm" +
           std::to_string(n) +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@198.18.0.1>;tag=m1\r\nTo: "
           "<sip:bob@198.18.0.2>\r\nCall-ID: m" +
           std::to_string(n) + "\r\nCSeq: 1 MESSAGE\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  EXPECT_EQ(bob_answers(message("text/plain;charset=UTF-8", "fine")), 200);
  EXPECT_EQ(bob_answers(message("text/plain;charset=\"utf-8\"", "fine too")), 200);
  EXPECT_EQ(bob_answers(message("text/plain", "US-ASCII")), 200);
  EXPECT_EQ(bob_answers(message("text/plain;charset=ISO-8859-1", "caf\xe9")), 415);
  EXPECT_EQ(bob_answers(message("text/html", "<b>x</b>")), 415);
  EXPECT_EQ(bob_answers(message("text/plain", std::string(Pager::kLargestText + 1, 'x'))), 413);
  EXPECT_EQ(bob.messages.size(), 3u);
  // Ours are refused before they leave.
  Outcome big = alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address,
                                  std::string(Pager::kLargestText + 1, 'x'), net.now);
  EXPECT_FALSE(big.ok());
}

// RFC 3261 8.2.2.2: the same INVITE arriving again with another branch (forked by a
// proxy, taking two paths) is a merged request: 482, while the first one rings.
TEST_F(UserAgentTest, MergedRequestGets482) {
  CallId call = place_call();
  ASSERT_NE(incoming_at_bob(), 0u);
  std::string invite = alice.sent.front();
  std::size_t branch = invite.find("branch=") + 7;
  invite.replace(branch, invite.find(';', branch) - branch, "z9hG4bKsecondpath");
  EXPECT_EQ(bob_answers(invite), 482);
  EXPECT_EQ(alice.calls[call].state, CallState::kRinging);
}

// Overload control (RFC 3261 21.5.4): while the engine says it is behind, a new INVITE
// gets 503 with Retry-After at once (no session, nothing rings); the call already up
// is served as always (its BYE), and once the time has passed calls ring again.
TEST_F(UserAgentTest, RefusesNewCallsWith503WhileBehind) {
  CallId first = place_call();
  CallId ringing = incoming_at_bob();
  ASSERT_NE(ringing, 0u);
  ASSERT_TRUE(bob.ua->answer(ringing, net.now).ok());
  net.run(milliseconds(100));
  ASSERT_EQ(alice.calls[first].state, CallState::kEstablished);

  bob.ua->refuse_new_calls_until(net.now + milliseconds(2500));
  std::size_t bob_calls = bob.calls.size();
  std::size_t before = bob.sent.size();
  Outcome refused = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now);
  ASSERT_TRUE(refused.ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[refused.id].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[refused.id].end_code, 503);
  EXPECT_EQ(bob.calls.size(), bob_calls);  // bob never had the call
  EXPECT_EQ(bob.ua->calls_refused_busy(), 1u);
  std::string answer;
  for (std::size_t i = before; i < bob.sent.size(); ++i) {
    if (bob.sent[i].rfind("SIP/2.0 503", 0) == 0) answer = bob.sent[i];
  }
  ASSERT_FALSE(answer.empty());
  EXPECT_NE(answer.find("\r\nRetry-After: 3\r\n"), std::string::npos) << answer;

  ASSERT_TRUE(alice.ua->hangup(first, net.now).ok());  // in the dialog: served
  net.run(milliseconds(100));
  EXPECT_EQ(bob.calls[ringing].state, CallState::kTerminated);

  net.run(milliseconds(2500));
  CallId later = place_call();
  EXPECT_EQ(alice.calls[later].state, CallState::kRinging);
}

// UserAgentConfig::max_calls: beyond it, 503 with Retry-After; a call that ended (and
// lingers for late retransmissions) does not count.
TEST_F(UserAgentTest, MaxCallsBoundsTheCallsAtOnce) {
  UserAgentConfig config = bob.ua->config();
  config.max_calls = 1;
  bob.ua = std::make_unique<UserAgent>(bob, bob, config);
  CallId first = place_call();
  ASSERT_EQ(alice.calls[first].state, CallState::kRinging);
  CallId second = place_call();
  EXPECT_EQ(alice.calls[second].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[second].end_code, 503);
  ASSERT_TRUE(alice.ua->hangup(first, net.now).ok());
  net.run(milliseconds(100));
  ASSERT_EQ(alice.calls[first].state, CallState::kTerminated);
  CallId third = place_call();
  EXPECT_EQ(alice.calls[third].state, CallState::kRinging);
}

// 30% of datagrams lost each way: every call still sets up and tears down, and every
// message arrives exactly once.
TEST_F(UserAgentTest, CallsAndMessagesSurviveLoss) {
  net.loss = 0.3;
  for (int round = 0; round < 10; ++round) {
    CallId call = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now).id;
    net.run(milliseconds(20000));
    CallId incoming = incoming_at_bob();
    ASSERT_NE(incoming, 0u) << "round " << round;
    ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
    net.run(milliseconds(20000));
    ASSERT_EQ(alice.calls[call].state, CallState::kEstablished) << "round " << round;
    ASSERT_EQ(bob.calls[incoming].state, CallState::kEstablished) << "round " << round;
    Outcome text = alice.ua->message(uri("sip:bob@198.18.0.2"), bob.address,
                                     "message " + std::to_string(round), net.now);
    alice.ua->hangup(call, net.now);
    net.run(milliseconds(40000));
    EXPECT_EQ(bob.calls[incoming].state, CallState::kTerminated) << "round " << round;
    EXPECT_EQ(alice.results[text.id], 200) << "round " << round;
  }
  ASSERT_EQ(bob.messages.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(bob.messages[i].text, "message " + std::to_string(i));
}

}  // namespace
}  // namespace lanline::core
