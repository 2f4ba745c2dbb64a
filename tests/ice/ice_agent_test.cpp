// The ICE agent on real libnice agents and real loopback sockets: two agents exchange
// what their SDP would carry, connect, and carry datagrams both ways; a STUN server that
// never answers costs gathering no more than its bound; candidates that point back at
// the agent itself are not checked; a restart that gathers anew connects again.
#include <gtest/gtest.h>
#include <nice/agent.h>

#include <chrono>
#include <functional>
#include <string>

#include "glib_support/handles.hpp"
#include "ice/ice_agent.hpp"
#include "ice_test_support.hpp"

namespace lanline::ice {
namespace {

using Clock = std::chrono::steady_clock;

class IceAgentTest : public ::testing::Test {
 protected:
  void SetUp() override { context_ = g_main_context_new(); }
  void TearDown() override {
    // Agents close their sockets from the context: let it run a little.
    spin_until([] { return false; }, std::chrono::milliseconds(50));
    g_main_context_unref(context_);
  }

  bool spin_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    return test::spin_until(context_, done, limit);
  }

  std::unique_ptr<IceAgent> make(bool controlling, unsigned components = 1,
                                 std::optional<StunServer> stun = std::nullopt,
                                 const std::string& address = "127.0.0.1") {
    IceConfig config;
    config.controlling = controlling;
    config.components = components;
    config.stun = std::move(stun);
    config.local_addresses = {address};
    std::string error;
    auto agent = IceAgent::create(context_, config, error);
    EXPECT_TRUE(agent) << error;
    return agent;
  }

  // Gathers and waits for it; how long it took.
  std::chrono::milliseconds gather(IceAgent& agent) {
    bool done = false;
    std::string error;
    const auto start = Clock::now();
    EXPECT_TRUE(agent.gather([&] { done = true; }, error)) << error;
    EXPECT_TRUE(spin_until([&] { return done; }, std::chrono::seconds(10)));
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }

  GMainContext* context_ = nullptr;
};

struct Received {
  std::string data;
  static void on_data(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer self) {
    static_cast<Received*>(self)->data.append(buf, len);
  }
};

TEST_F(IceAgentTest, TwoAgentsConnectAndCarryDatagramsBothWays) {
  auto a = make(true);
  auto b = make(false);
  ASSERT_TRUE(a && b);
  gather(*a);
  gather(*b);
  LocalTransport a_local = a->default_transport({});
  ASSERT_TRUE(a_local.ice);
  EXPECT_GE(a_local.ice->ufrag.size(), 4u);
  EXPECT_GE(a_local.ice->pwd.size(), 22u);
  ASSERT_FALSE(a_local.ice->candidates.empty());
  EXPECT_EQ(a_local.address, "127.0.0.1");
  EXPECT_NE(a_local.rtp_port, 0);
  EXPECT_EQ(a_local.ice->candidates.front().type, "host");

  std::vector<IceState> a_states;
  a->on_state([&](IceState s) { a_states.push_back(s); });
  ASSERT_TRUE(b->set_remote(test::as_remote(*a)));
  ASSERT_TRUE(a->set_remote(test::as_remote(*b)));
  ASSERT_TRUE(spin_until(
      [&] { return a->state() == IceState::kConnected && b->state() == IceState::kConnected; },
      std::chrono::seconds(5)))
      << "a " << to_string(a->state()) << ", b " << to_string(b->state());
  ASSERT_FALSE(a_states.empty());
  EXPECT_EQ(a_states.back(), IceState::kConnected);
  EXPECT_TRUE(a->controlling());
  EXPECT_FALSE(b->controlling());

  auto pair = a->selected(1);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->local.type, "host");
  EXPECT_EQ(pair->remote.address, "127.0.0.1");
  EXPECT_EQ(pair->remote.port, b->default_transport({}).rtp_port);

  Received at_a, at_b;
  nice_agent_attach_recv(a->agent(), a->stream_id(), 1, context_, &Received::on_data, &at_a);
  nice_agent_attach_recv(b->agent(), b->stream_id(), 1, context_, &Received::on_data, &at_b);
  EXPECT_EQ(nice_agent_send(a->agent(), a->stream_id(), 1, 5, "hello"), 5);
  EXPECT_EQ(nice_agent_send(b->agent(), b->stream_id(), 1, 3, "hi!"), 3);
  EXPECT_TRUE(spin_until([&] { return at_b.data == "hello" && at_a.data == "hi!"; },
                         std::chrono::seconds(2)))
      << "a got '" << at_a.data << "', b got '" << at_b.data << "'";
  nice_agent_attach_recv(a->agent(), a->stream_id(), 1, context_, nullptr, nullptr);
  nice_agent_attach_recv(b->agent(), b->stream_id(), 1, context_, nullptr, nullptr);
}

TEST_F(IceAgentTest, RegatherIsARestartOnANewStreamThatConnectsAgain) {
  auto a = make(true);
  auto b = make(false);
  ASSERT_TRUE(a && b);
  gather(*a);
  gather(*b);
  ASSERT_TRUE(b->set_remote(test::as_remote(*a)));
  ASSERT_TRUE(a->set_remote(test::as_remote(*b)));
  ASSERT_TRUE(
      spin_until([&] { return a->selected(1) && b->selected(1); }, std::chrono::seconds(5)));
  const LocalTransport before = a->default_transport({});
  const unsigned old_stream = a->stream_id();

  bool done = false;
  std::string error;
  ASSERT_TRUE(a->regather([&] { done = true; }, error)) << error;
  ASSERT_TRUE(spin_until([&] { return done; }, std::chrono::seconds(5)));
  const LocalTransport after = a->default_transport({});
  ASSERT_TRUE(before.ice && after.ice);
  EXPECT_NE(a->stream_id(), old_stream);
  EXPECT_NE(after.ice->ufrag, before.ice->ufrag);  // RFC 8445 9: new credentials
  EXPECT_NE(after.ice->pwd, before.ice->pwd);
  EXPECT_NE(after.rtp_port, before.rtp_port);  // a new socket, gathered now
  EXPECT_FALSE(a->selected(1));                // no pair until the checks run again
  // The old stream still sends until it is retired (media moves first).
  EXPECT_EQ(nice_agent_send(a->agent(), old_stream, 1, 3, "old"), 3);
  a->retire_old_stream();
  EXPECT_LT(nice_agent_send(a->agent(), old_stream, 1, 3, "old"), 0);

  // The peer restarts in its answer; both connect on the new stream.
  ASSERT_TRUE(b->restart());
  ASSERT_TRUE(b->set_remote(test::as_remote(*a)));
  ASSERT_TRUE(a->set_remote(test::as_remote(*b)));
  ASSERT_TRUE(spin_until([&] { return a->state() == IceState::kConnected && a->selected(1); },
                         std::chrono::seconds(5)))
      << to_string(a->state());
  EXPECT_EQ(a->selected(1)->local.port, after.rtp_port);
  Received at_b;
  nice_agent_attach_recv(b->agent(), b->stream_id(), 1, context_, &Received::on_data, &at_b);
  EXPECT_EQ(nice_agent_send(a->agent(), a->stream_id(), 1, 5, "again"), 5);
  EXPECT_TRUE(spin_until([&] { return at_b.data == "again"; }, std::chrono::seconds(2)));
  nice_agent_attach_recv(b->agent(), b->stream_id(), 1, context_, nullptr, nullptr);
}

TEST_F(IceAgentTest, TwoComponentsWithoutRtcpMux) {
  auto a = make(true, 2);
  auto b = make(false, 2);
  ASSERT_TRUE(a && b);
  gather(*a);
  gather(*b);
  LocalTransport local = a->default_transport({});
  EXPECT_NE(local.rtcp_port, local.rtp_port);
  int rtcp = 0;
  for (const auto& c : local.ice->candidates)
    rtcp += c.component == 2;
  EXPECT_GE(rtcp, 1);
  ASSERT_TRUE(b->set_remote(test::as_remote(*a)));
  ASSERT_TRUE(a->set_remote(test::as_remote(*b)));
  ASSERT_TRUE(
      spin_until([&] { return a->selected(2) && b->selected(2); }, std::chrono::seconds(5)));
  EXPECT_EQ(a->selected(2)->remote.port, b->default_transport({}).rtcp_port);
}

TEST_F(IceAgentTest, ASilentStunServerCostsGatheringOnlyItsBound) {
  // A STUN "server" that takes every request and never answers.
  glib::GErrorOut error;
  glib::GObjectPtr<GSocket> silent(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                                G_SOCKET_PROTOCOL_UDP, error.out()));
  ASSERT_TRUE(silent);
  glib::GObjectPtr<GInetAddress> loopback(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
  glib::GObjectPtr<GSocketAddress> any(g_inet_socket_address_new(loopback.get(), 0));
  ASSERT_TRUE(g_socket_bind(silent.get(), any.get(), FALSE, error.out()));
  glib::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(silent.get(), error.out()));
  const auto port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));

  auto a = make(true, 1, StunServer{"127.0.0.1", static_cast<std::uint16_t>(port)});
  ASSERT_TRUE(a);
  const auto took = gather(*a);
  EXPECT_LT(took.count(), 400) << "gathering waited on a dead STUN server";
  EXPECT_GE(took.count(), 100) << "the bound did not wait for the server at all";
  LocalIce local = a->local();
  ASSERT_FALSE(local.candidates.empty());
  for (const auto& c : local.candidates)
    EXPECT_EQ(c.type, "host");
  // The request did go out: the server got it.
  EXPECT_TRUE(spin_until([&] { return g_socket_get_available_bytes(silent.get()) > 0; },
                         std::chrono::seconds(1)));
}

TEST_F(IceAgentTest, CandidatesAtOurOwnAddressAreNotChecked) {
  auto a = make(true);
  ASSERT_TRUE(a);
  gather(*a);
  IceTransport self = test::as_remote(*a);
  self.ufrag = "peer";
  self.pwd = "0123456789012345678901";
  EXPECT_FALSE(a->set_remote(self));
  EXPECT_EQ(a->state(), IceState::kGathered);
}

TEST_F(IceAgentTest, OurOwnIpv6AddressIsRecognisedHoweverItIsSpelt) {
  auto a = make(true, 1, std::nullopt, "::1");
  ASSERT_TRUE(a);
  gather(*a);
  IceTransport self = test::as_remote(*a);
  ASSERT_FALSE(self.candidates.empty());
  ASSERT_EQ(self.candidates.front().address, "::1");
  for (IceCandidate& c : self.candidates)
    c.address = "0:0:0:0:0:0:0:1";
  self.ufrag = "peer";
  self.pwd = "0123456789012345678901";
  EXPECT_FALSE(a->set_remote(self));
  EXPECT_EQ(a->state(), IceState::kGathered);
}

// On a LAN the default candidate, what a peer without ICE sends to, is the host address
// SIP uses towards that peer, whichever interface libnice lists first; of the other
// family there is none to give.
TEST_F(IceAgentTest, DefaultCandidateOnALanIsTheSipAddress) {
  IceConfig config;
  config.components = 2;
  config.local_addresses = {"127.0.0.1", "127.0.0.2"};
  std::string error;
  auto agent = IceAgent::create(context_, config, error);
  ASSERT_TRUE(agent) << error;
  gather(*agent);
  ASSERT_EQ(agent->local().candidates.size(), 4u);
  for (const std::string address : {"127.0.0.1", "127.0.0.2"}) {
    LocalTransport local = agent->default_transport({false, true, address, {}});
    EXPECT_EQ(local.address, address);
    EXPECT_NE(local.rtp_port, local.rtcp_port);  // two components: a=rtcp has the second
    for (const IceCandidate& c : local.ice->candidates) {
      if (c.address == address) {
        EXPECT_EQ(c.component == 1 ? local.rtp_port : local.rtcp_port, c.port);
      }
    }
  }
  EXPECT_EQ(agent->default_transport({true, true, "", {}}).address, "");
}

}  // namespace
}  // namespace lanline::ice
