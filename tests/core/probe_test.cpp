// UserAgent::probe: an out-of-dialog OPTIONS whose result arrives by its own deadline,
// well before Timer F, over an in-memory network on a fake clock that can drop datagrams.
#include <gtest/gtest.h>

#include <deque>

#include "core/user_agent.hpp"
#include "sip/parser.hpp"

namespace lanline::core {
namespace {

using std::chrono::milliseconds;

struct Net;

struct ProbeNode : sip::TransportSender, UserAgentListener {
  ProbeNode(Net& net, std::string user, std::string host);
  bool send(std::string_view bytes, const sip::Endpoint& to) override;
  void on_call(const CallInfo&) override {}
  void on_message(const IncomingMessage&) override {}
  void on_message_result(std::uint64_t, int, const std::string&) override {}
  void on_probe_result(std::uint64_t id, int code) override { results.emplace_back(id, code); }

  Net& net;
  sip::Endpoint address;
  std::unique_ptr<UserAgent> ua;
  std::vector<std::pair<std::uint64_t, int>> results;
  std::vector<std::string> sent;
};

struct Net {
  sip::TimePoint now = sip::TimePoint{} + std::chrono::hours(1);
  int drop_next = 0;  // how many of the next datagrams are lost
  struct Datagram {
    std::string bytes;
    sip::Endpoint from, to;
  };
  std::deque<Datagram> in_flight;
  std::vector<ProbeNode*> nodes;

  void run(milliseconds duration) {
    sip::TimePoint end = now + duration;
    while (now < end) {
      now += milliseconds(5);
      while (!in_flight.empty()) {
        Datagram d = std::move(in_flight.front());
        in_flight.pop_front();
        if (drop_next > 0) {
          --drop_next;
          continue;
        }
        for (ProbeNode* node : nodes) {
          if (node->address.address == d.to.address && node->address.port == d.to.port) {
            auto message = sip::parse_message(d.bytes);
            ASSERT_TRUE(message.ok()) << d.bytes;
            node->ua->receive(std::move(message).value(), d.from, now);
          }
        }
      }
      for (ProbeNode* node : nodes)
        node->ua->advance(now);
    }
  }
};

ProbeNode::ProbeNode(Net& n, std::string user, std::string host) : net(n) {
  address = sip::Endpoint{host, 5060, sip::TransportKind::kUdp, 0};
  UserAgentConfig config;
  config.local.user = user;
  config.local.host = host;
  config.local.port = 5060;
  config.display_name = user;
  ua = std::make_unique<UserAgent>(*this, *this, config);
  net.nodes.push_back(this);
}

bool ProbeNode::send(std::string_view bytes, const sip::Endpoint& to) {
  sent.emplace_back(bytes);
  net.in_flight.push_back({std::string(bytes), address, to});
  return true;
}

class ProbeTest : public ::testing::Test {
 protected:
  Net net;
  ProbeNode alice{net, "alice", "198.18.0.1"};
  ProbeNode bob{net, "bob", "198.18.0.2"};
  std::deque<std::string> texts;

  std::uint64_t probe(const std::string& target, const sip::Endpoint& to) {
    texts.push_back(target);
    auto uri = sip::parse_uri(texts.back());
    EXPECT_TRUE(uri.ok());
    Outcome outcome = alice.ua->probe(uri.value(), to, net.now);
    EXPECT_TRUE(outcome.ok()) << outcome.error;
    return outcome.id;
  }
};

TEST_F(ProbeTest, ALiveNodeAnswers200) {
  std::uint64_t id = probe("sip:bob@198.18.0.2:5060", bob.address);
  ASSERT_FALSE(alice.sent.empty());
  EXPECT_EQ(alice.sent.front().rfind("OPTIONS sip:bob@198.18.0.2:5060 SIP/2.0\r\n", 0), 0u);
  net.run(milliseconds(100));
  ASSERT_EQ(alice.results.size(), 1u);
  EXPECT_EQ(alice.results[0], std::make_pair(id, 200));
  EXPECT_EQ(alice.ua->probes(), 0u);
}

TEST_F(ProbeTest, AnotherUserThereAnswers404) {
  std::uint64_t id = probe("sip:carol@198.18.0.2:5060", bob.address);
  net.run(milliseconds(100));
  ASSERT_EQ(alice.results.size(), 1u);
  EXPECT_EQ(alice.results[0], std::make_pair(id, 404));
}

TEST_F(ProbeTest, SilenceGives408AtTheDeadlineNotAtTimerF) {
  sip::Endpoint nobody{"198.18.0.9", 5060, sip::TransportKind::kUdp, 0};
  sip::TimePoint start = net.now;
  std::uint64_t id = probe("sip:dave@198.18.0.9", nobody);
  // The UA asks to be woken for the deadline, not only for Timer F.
  ASSERT_TRUE(alice.ua->next_timer());
  EXPECT_LE(*alice.ua->next_timer(), start + milliseconds(2000));
  net.run(milliseconds(1950));
  EXPECT_TRUE(alice.results.empty());
  net.run(milliseconds(100));
  ASSERT_EQ(alice.results.size(), 1u);
  EXPECT_EQ(alice.results[0], std::make_pair(id, 408));
  // It went out more than once before giving up (T1 = 500 ms: at 0, 0.5 and 1.5 s).
  EXPECT_EQ(alice.sent.size(), 3u);
  // The transaction itself ends at Timer F without a second report.
  net.run(milliseconds(33000));
  EXPECT_EQ(alice.results.size(), 1u);
}

TEST_F(ProbeTest, ALostRequestIsSentAgainWithinTheDeadline) {
  net.drop_next = 1;
  std::uint64_t id = probe("sip:bob@198.18.0.2", bob.address);
  net.run(milliseconds(1000));
  ASSERT_EQ(alice.results.size(), 1u);
  EXPECT_EQ(alice.results[0], std::make_pair(id, 200));
}

TEST_F(ProbeTest, ALateAnswerAfterTheDeadlineIsDropped) {
  // Bob is silent for the first three transmissions, then the fourth (at 3.5 s) gets an
  // answer: the probe already said 408 and must not report again.
  net.drop_next = 3;
  std::uint64_t id = probe("sip:bob@198.18.0.2", bob.address);
  net.run(milliseconds(5000));
  ASSERT_EQ(alice.results.size(), 1u);
  EXPECT_EQ(alice.results[0], std::make_pair(id, 408));
}

TEST_F(ProbeTest, ManyProbesEachGetOneResult) {
  for (int i = 0; i < 50; ++i)
    probe("sip:bob@198.18.0.2", bob.address);
  net.run(milliseconds(200));
  EXPECT_EQ(alice.results.size(), 50u);
  for (const auto& [id, code] : alice.results)
    EXPECT_EQ(code, 200);
}

TEST_F(ProbeTest, OnlySipUrisAreProbed) {
  texts.push_back("tel:+1234");
  auto uri = sip::parse_uri(texts.back());
  ASSERT_TRUE(uri.ok());
  EXPECT_FALSE(alice.ua->probe(uri.value(), bob.address, net.now).ok());
}

}  // namespace
}  // namespace lanline::core
