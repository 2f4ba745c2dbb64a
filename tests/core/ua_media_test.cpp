// The UA drives the CallMedia seam: ports reserved before the first offer or answer,
// every completed offer/answer exchange applied (initial, hold, resume, offer-less
// INVITE, re-INVITE either way), released when the call ends however it ends; a
// transport that is ready later waited for, within a bound; and offers it cannot take
// refused with the right status and Warning. The media is a fake
// that records the calls: the seam's other side is tested in media/.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "sdp/parser.hpp"
#include "ua_harness.hpp"

namespace lanline::core {
namespace {

using namespace test;  // NOLINT: the harness is this file's vocabulary
using std::chrono::milliseconds;

struct FakeMedia : CallMedia {
  struct Event {
    std::string what;  // "reserve", "apply", "release"
    CallId call = 0;
    StreamDescription audio;  // the first stream applied
    bool ipv6 = false;
    std::size_t streams = 0;                 // prepare: how many transports were asked for
    std::vector<StreamDescription> applied;  // apply: every m-line's stream
  };
  std::vector<Event> events;
  std::set<CallId> live;
  std::uint16_t next_port = 50000;
  bool refuse = false;
  bool pending = false;  // answer kPending: the test calls media_ready() itself

  Preparation prepare(std::uint64_t call, const TransportRequest& request) override {
    // Asked again for a call under way: more streams for it (all of them are returned).
    const bool grow = live.count(call) != 0;
    events.push_back({grow ? "grow" : "reserve", call, {}, request.ipv6, request.streams, {}});
    Preparation prepared;
    if (refuse) return prepared;
    if (grow) {
      EXPECT_GT(request.streams, transports[call]) << "asked again for no more: " << call;
    }
    live.insert(call);
    if (pending) {
      prepared.state = PrepareState::kPending;
      return prepared;
    }
    prepared.state = PrepareState::kReady;
    prepared.streams = transports_for(call, request.streams);
    return prepared;
  }
  // The call's transports, `count` of them: those it has, and new ones.
  std::vector<LocalTransport> transports_for(CallId call, std::size_t count) {
    std::vector<LocalTransport>& have = made[call];
    while (have.size() < count) {
      have.push_back({"", next_port, static_cast<std::uint16_t>(next_port + 1)});
      next_port += 2;
    }
    transports[call] = count;
    return have;
  }
  std::map<CallId, std::vector<LocalTransport>> made;
  std::map<CallId, std::size_t> transports;
  void apply(std::uint64_t call, const std::vector<StreamDescription>& streams) override {
    EXPECT_EQ(live.count(call), 1u) << "apply without reserve: call " << call;
    EXPECT_FALSE(streams.empty());
    events.push_back(
        {"apply", call, streams.empty() ? StreamDescription{} : streams[0], false, 0, streams});
  }
  void release(std::uint64_t call) override {
    EXPECT_EQ(live.erase(call), 1u) << "release without reserve: call " << call;
    made.erase(call);
    transports.erase(call);
    events.push_back({"release", call, {}, false, 0, {}});
  }
  bool set_mute(std::uint64_t, bool) override { return true; }
  bool send_dtmf(std::uint64_t, const std::string&) override { return true; }
  std::optional<MediaStats> stats(std::uint64_t) const override { return std::nullopt; }

  std::string sequence() const {
    std::string out;
    for (const auto& e : events) {
      if (!out.empty()) out += ' ';
      out += e.what;
    }
    return out;
  }
  const StreamDescription& last_applied() const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->what == "apply") return it->audio;
    }
    static const StreamDescription kNone;
    ADD_FAILURE() << "nothing applied";
    return kNone;
  }
};

// What media_ready() is told when a pending transport is ready at `port`.
Preparation ready_at(std::uint16_t port) {
  Preparation prepared;
  prepared.state = PrepareState::kReady;
  prepared.streams.push_back({"", port, static_cast<std::uint16_t>(port + 1)});
  return prepared;
}

Preparation failed_with(std::string error) {
  Preparation prepared;
  prepared.state = PrepareState::kFailed;
  prepared.error = std::move(error);
  return prepared;
}

// How many messages `node` sent that satisfy `pred`.
std::size_t count_sent(const Node& node, const std::function<bool(const sip::Message&)>& pred) {
  std::size_t n = 0;
  for (const auto& bytes : node.sent) {
    auto m = sip::parse_message(bytes);
    if (m && pred(*m)) ++n;
  }
  return n;
}

bool is_invite(const sip::Message& m) {
  return m.is_request() && m.method() == sip::Method::kInvite;
}

bool is_ok(const sip::Message& m) {
  return m.is_response() && m.status_code() == 200;
}

// The first message `node` sent from index `from` on that satisfies `pred`.
std::optional<sip::Message> find_sent(const Node& node, std::size_t from,
                                      const std::function<bool(const sip::Message&)>& pred) {
  for (std::size_t i = from; i < node.sent.size(); ++i) {
    auto m = sip::parse_message(node.sent[i]);
    if (m && pred(*m)) return std::move(m).value();
  }
  return std::nullopt;
}

class UaMediaTest : public ::testing::Test {
 protected:
  Network net;
  FakeMedia alice_media;
  FakeMedia bob_media;
  Node alice{net, "alice", "198.18.0.1", &alice_media};
  Node bob{net, "bob", "198.18.0.2", &bob_media};

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
  std::pair<CallId, CallId> established() {
    CallId call = place_call();
    CallId incoming = incoming_at_bob();
    EXPECT_NE(incoming, 0u);
    EXPECT_TRUE(bob.ua->answer(incoming, net.now).ok());
    net.run(milliseconds(100));
    EXPECT_EQ(alice.calls[call].state, CallState::kEstablished);
    return {call, incoming};
  }
};

TEST_F(UaMediaTest, CallReservesAppliesAndReleasesOnBothSides) {
  CallId call = place_call();
  // The caller reserved before it wrote the offer, which names the reserved ports.
  ASSERT_EQ(alice_media.sequence(), "reserve");
  EXPECT_FALSE(alice_media.events[0].ipv6);
  auto invite = find_sent(alice, 0, [](const sip::Message& m) { return m.is_request(); });
  ASSERT_TRUE(invite);
  auto offer = sdp::parse(invite->body());
  ASSERT_TRUE(offer.ok()) << offer.error().reason;
  EXPECT_EQ(offer->media[0].port, 50000);
  ASSERT_TRUE(offer->media[0].rtcp());
  EXPECT_EQ(offer->media[0].rtcp()->port, 50001);
  EXPECT_TRUE(offer->media[0].rtcp_mux());
  // The callee reserves only when it answers, not while it rings.
  EXPECT_EQ(bob_media.sequence(), "");
  CallId incoming = incoming_at_bob();
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  EXPECT_EQ(bob_media.sequence(), "reserve apply");
  net.run(milliseconds(100));
  EXPECT_EQ(alice_media.sequence(), "reserve apply");

  const StreamDescription& a = alice_media.last_applied();
  ASSERT_FALSE(a.codecs.empty());
  EXPECT_EQ(a.codecs[0].codec, Codec::kOpus);
  EXPECT_EQ(a.codecs[0].send_pt, 96);
  EXPECT_EQ(a.codecs[0].receive_pt, 96);
  EXPECT_EQ(a.codecs[0].fmtp, "useinbandfec=1");
  EXPECT_EQ(a.telephone_event_send_pt, 100);  // the 48000 one, as Opus's clock
  EXPECT_EQ(a.plain().address, "198.18.0.2");
  EXPECT_EQ(a.plain().rtp_port, 50000);  // bob's fake counts from 50000 too
  EXPECT_EQ(a.plain().rtcp_port, 50000);
  EXPECT_TRUE(a.rtcp_mux);
  EXPECT_TRUE(a.send);
  EXPECT_TRUE(a.receive);
  EXPECT_EQ(a.ptime_ms, 20);
  const StreamDescription& b = bob_media.last_applied();
  EXPECT_EQ(b.plain().address, "198.18.0.1");
  EXPECT_EQ(b.codecs.size(), 4u);  // opus, G722, PCMU, PCMA: all in common
  EXPECT_EQ(b.codecs[0].codec, Codec::kOpus);

  ASSERT_TRUE(alice.ua->hangup(call, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice_media.sequence(), "reserve apply release");
  EXPECT_EQ(bob_media.sequence(), "reserve apply release");
  EXPECT_TRUE(alice_media.live.empty());
  EXPECT_TRUE(bob_media.live.empty());
}

// RFC 3261 13.2.2.4: every retransmission of a 2xx gets an ACK, a re-INVITE's too. The
// first ACK of alice's hold is lost: bob sends its 2xx again, alice acknowledges it
// again, and the call outlives bob's 64*T1 wait for an ACK.
TEST_F(UaMediaTest, ALostAckOfAReinviteIsSentAgain) {
  auto [call, incoming] = established();
  int acks_dropped = 0;
  net.drop = [&](const Network::Datagram& d) {
    bool reinvite_ack =
        d.bytes.rfind("ACK ", 0) == 0 && d.bytes.find("CSeq: 2 ACK") != std::string::npos;
    if (reinvite_ack && acks_dropped == 0) {
      ++acks_dropped;
      return true;
    }
    return false;
  };
  ASSERT_TRUE(alice.ua->hold(call, net.now).ok());
  net.run(milliseconds(40000));
  EXPECT_EQ(acks_dropped, 1);
  std::size_t acks = 0;
  for (const std::string& bytes : alice.sent)
    acks += bytes.rfind("ACK ", 0) == 0 && bytes.find("CSeq: 2 ACK") != std::string::npos;
  EXPECT_GE(acks, 2u) << "the retransmitted 2xx was not acknowledged again";
  EXPECT_EQ(bob.calls[incoming].state, CallState::kEstablished) << bob.calls[incoming].end_reason;
  EXPECT_EQ(alice.calls[call].state, CallState::kEstablished);
  EXPECT_TRUE(alice.calls[call].local_hold);
}

TEST_F(UaMediaTest, HoldAndResumeAreAppliedBothWays) {
  auto [call, incoming] = established();
  ASSERT_TRUE(alice.ua->hold(call, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_TRUE(alice.calls[call].local_hold);
  EXPECT_TRUE(bob.calls[incoming].remote_hold);
  // alice offered sendonly, bob answered recvonly.
  EXPECT_TRUE(alice_media.last_applied().send);
  EXPECT_FALSE(alice_media.last_applied().receive);
  EXPECT_FALSE(bob_media.last_applied().send);
  EXPECT_TRUE(bob_media.last_applied().receive);
  ASSERT_TRUE(alice.ua->resume(call, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_FALSE(alice.calls[call].local_hold);
  EXPECT_FALSE(bob.calls[incoming].remote_hold);
  EXPECT_TRUE(alice_media.last_applied().receive);
  EXPECT_TRUE(bob_media.last_applied().send);
  // The callee holds too: it is the offerer of that exchange.
  ASSERT_TRUE(bob.ua->hold(incoming, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_TRUE(bob.calls[incoming].local_hold);
  EXPECT_TRUE(alice.calls[call].remote_hold);
  EXPECT_FALSE(alice_media.last_applied().send);
  EXPECT_FALSE(bob_media.last_applied().receive);
  EXPECT_EQ(alice_media.sequence(), "reserve apply apply apply apply");
  EXPECT_EQ(bob_media.sequence(), "reserve apply apply apply apply");
}

// Screen sharing: a second video stream (slides) added by re-INVITE on a transport the
// media side makes for it, taken to receive by a peer without a camera (which needs one
// too, and holds its answer until it is made), and removed again with port 0.
TEST(UaStreams, TheSharedScreenComesAndGoesByReinvite) {
  Network net;
  FakeMedia alice_media;
  FakeMedia bob_media;
  Node alice{net, "alice", "198.18.0.1", &alice_media, true};
  Node bob{net, "bob", "198.18.0.2", &bob_media, true};
  Outcome placed = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now);
  ASSERT_TRUE(placed.ok());
  net.run(milliseconds(100));
  CallId incoming = 0;
  for (const auto& [id, call] : bob.calls)
    incoming = id;
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  net.run(milliseconds(100));
  const CallId call = placed.id;
  ASSERT_EQ(alice.calls[call].state, CallState::kEstablished);
  ASSERT_EQ(alice_media.events.back().applied.size(), 1u);  // no camera: audio only

  // Held while another change is under way; then the share, whose transport is ready.
  bob_media.pending = true;
  ASSERT_TRUE(
      alice.ua->set_stream(call, StreamKind::kVideo, ContentRole::kSlides, true, net.now).ok());
  EXPECT_FALSE(alice.ua->set_stream(call, StreamKind::kVideo, ContentRole::kSlides, true, net.now)
                   .ok());  // its re-INVITE is under way
  EXPECT_EQ(alice_media.sequence(), "reserve apply grow");
  net.run(milliseconds(100));
  // Bob needs a second transport for it: asked for, and the answer waits.
  EXPECT_EQ(bob_media.sequence(), "reserve apply grow");
  EXPECT_EQ(bob_media.events.back().streams, 2u);
  EXPECT_EQ(alice_media.sequence(), "reserve apply grow");
  Preparation made;
  made.state = PrepareState::kReady;
  made.streams = bob_media.transports_for(incoming, 2);
  ASSERT_TRUE(bob.ua->renew_media(incoming, made, net.now).ok());
  net.run(milliseconds(100));
  ASSERT_EQ(alice_media.sequence(), "reserve apply grow apply");
  ASSERT_EQ(bob_media.sequence(), "reserve apply grow apply");
  const auto& sent = alice_media.events.back().applied;
  const auto& got = bob_media.events.back().applied;
  ASSERT_EQ(sent.size(), 2u);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(sent[1].content, ContentRole::kSlides);
  EXPECT_TRUE(sent[1].send);
  EXPECT_FALSE(sent[1].receive);
  EXPECT_EQ(sent[1].transport, 1u);
  EXPECT_EQ(got[1].content, ContentRole::kSlides);
  EXPECT_FALSE(got[1].send);
  EXPECT_TRUE(got[1].receive);
  EXPECT_EQ(got[1].transport, 1u);
  EXPECT_EQ(got[1].plain().rtp_port, alice_media.made[call][1].rtp_port);
  EXPECT_TRUE(got[0].send && got[0].receive);  // the audio as it was

  // Stopped: port 0 in its place, both sides agree it is off; the transports stay.
  ASSERT_TRUE(
      alice.ua->set_stream(call, StreamKind::kVideo, ContentRole::kSlides, false, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice_media.sequence(), "reserve apply grow apply apply");
  EXPECT_EQ(bob_media.sequence(), "reserve apply grow apply apply");
  ASSERT_EQ(bob_media.events.back().applied.size(), 2u);
  EXPECT_FALSE(bob_media.events.back().applied[1].accepted());
  EXPECT_FALSE(alice_media.events.back().applied[1].accepted());
  EXPECT_FALSE(alice.ua->set_stream(call, StreamKind::kVideo, ContentRole::kSlides, false, net.now)
                   .ok());  // not shared any more
  EXPECT_EQ(alice.calls[call].state, CallState::kEstablished);
}

// Two video-taking nodes in an established audio call, for the tests of streams added
// mid-call.
class UaStreamsTest : public ::testing::Test {
 protected:
  Network net;
  FakeMedia alice_media;
  FakeMedia bob_media;
  Node alice{net, "alice", "198.18.0.1", &alice_media, true};
  Node bob{net, "bob", "198.18.0.2", &bob_media, true};
  CallId call = 0;
  CallId incoming = 0;

  void SetUp() override {
    Outcome placed = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now);
    ASSERT_TRUE(placed.ok());
    net.run(milliseconds(100));
    for (const auto& [id, info] : bob.calls)
      incoming = id;
    ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
    net.run(milliseconds(100));
    call = placed.id;
    ASSERT_EQ(alice.calls[call].state, CallState::kEstablished);
  }
  Outcome share(bool on) {
    return alice.ua->set_stream(call, StreamKind::kVideo, ContentRole::kSlides, on, net.now);
  }
  static Preparation made(FakeMedia& media, CallId id, std::size_t count) {
    Preparation out;
    out.state = PrepareState::kReady;
    out.streams = media.transports_for(id, count);
    return out;
  }
};

// Our share waits for its transport: meanwhile the peer's re-INVITE is glare (491) and a
// hold is refused; once the transport is made, the share is offered.
TEST_F(UaStreamsTest, OurShareWaitsForItsTransport) {
  // Bob's hold, refused with 491, is tried again after a random 0-2 s (RFC 3261 14.1);
  // drawn at under 200 ms it meets our share's re-INVITE and both are refused again,
  // which is not what this test is about: a fixed draw, well after the share.
  random_engine().seed(1);
  alice_media.pending = true;
  ASSERT_TRUE(share(true).ok());
  EXPECT_EQ(alice_media.sequence(), "reserve apply grow");
  const std::size_t sent = alice.sent.size();
  EXPECT_EQ(count_sent(alice, is_invite), 1u);  // nothing offered yet
  EXPECT_FALSE(alice.ua->hold(call, net.now).ok());
  ASSERT_TRUE(bob.ua->hold(incoming, net.now).ok());
  net.run(milliseconds(100));
  auto glare = find_sent(
      alice, sent, [](const sip::Message& m) { return m.is_response() && m.status_code() == 491; });
  EXPECT_TRUE(glare) << "the peer's re-INVITE during our growth gets 491";
  alice_media.pending = false;
  ASSERT_TRUE(alice.ua->renew_media(call, made(alice_media, call, 2), net.now).ok());
  net.run(milliseconds(100));
  ASSERT_EQ(bob_media.sequence(), "reserve apply grow apply");
  EXPECT_EQ(bob_media.events.back().applied.at(1).content, ContentRole::kSlides);
  EXPECT_TRUE(bob_media.events.back().applied.at(1).receive);
}

// The call ends while the peer's re-INVITE waits for its transport: that re-INVITE gets
// its final response (487, RFC 3261 15.1.2), and nothing is applied after the release.
TEST_F(UaStreamsTest, AHeldReinviteIsAnsweredWhenTheCallEnds) {
  bob_media.pending = true;
  ASSERT_TRUE(share(true).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(bob_media.sequence(), "reserve apply grow");
  const std::size_t sent = bob.sent.size();
  ASSERT_TRUE(bob.ua->hangup(incoming, net.now).ok());
  net.run(milliseconds(100));
  auto final = find_sent(
      bob, sent, [](const sip::Message& m) { return m.is_response() && m.status_code() == 487; });
  EXPECT_TRUE(final) << "the held re-INVITE got no final response";
  EXPECT_EQ(bob_media.sequence(), "reserve apply grow release");
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
}

// RFC 3261 15: a callee that hangs up before the ACK of its 2xx sends no BYE until the ACK
// comes; its 2xx goes on being resent meanwhile, so a caller that lost it gets it, and the
// call ends on both sides (it once stayed up at a caller that never got the 2xx).
TEST_F(UaMediaTest, ACalleeHangingUpBeforeTheAckWaitsForIt) {
  CallId call = place_call();
  CallId incoming = incoming_at_bob();
  ASSERT_NE(incoming, 0u);
  const sip::TimePoint until = net.now + milliseconds(1200);
  net.drop = [&](const Network::Datagram& d) {
    auto m = sip::parse_message(d.bytes);
    return net.now < until && m && m->is_response() && m->status_code() == 200;
  };
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  net.run(milliseconds(100));
  const std::size_t sent = bob.sent.size();
  ASSERT_TRUE(bob.ua->hangup(incoming, net.now).ok());
  EXPECT_EQ(bob.calls[incoming].state, CallState::kTerminated);  // for the user, at once
  auto is_bye = [](const sip::Message& m) {
    return m.is_request() && m.method() == sip::Method::kBye;
  };
  net.run(milliseconds(900));
  EXPECT_FALSE(find_sent(bob, sent, is_bye)) << "a BYE before the ACK";
  EXPECT_NE(alice.calls[call].state, CallState::kEstablished);  // every 2xx lost so far
  net.run(milliseconds(3000));
  EXPECT_TRUE(find_sent(bob, sent, is_bye)) << "no BYE after the ACK";
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(bob_media.sequence(), "reserve apply release");
}

TEST_F(UaMediaTest, OVersionRisesOnlyWhenTheDescriptionChanges) {
  auto [call, incoming] = established();
  auto version_of = [](const Node& node, std::size_t from, bool request) {
    std::string version;
    for (std::size_t i = from; i < node.sent.size(); ++i) {
      auto m = sip::parse_message(node.sent[i]);
      if (!m || m->body().empty() || m->is_request() != request) continue;
      auto s = sdp::parse(m->body());
      if (s) version = s->origin.session_version;
    }
    return version;
  };
  EXPECT_EQ(version_of(alice, 0, true), "0");
  std::size_t mark = alice.sent.size();
  alice.ua->hold(call, net.now);
  net.run(milliseconds(100));
  EXPECT_EQ(version_of(alice, mark, true), "1");
  // Holding again offers the same description: same version, and the same answer too.
  std::size_t bob_mark = bob.sent.size();
  mark = alice.sent.size();
  alice.ua->hold(call, net.now);
  net.run(milliseconds(100));
  EXPECT_EQ(version_of(alice, mark, true), "1");
  EXPECT_EQ(version_of(bob, bob_mark, false), "1");  // 0: first answer, 1: recvonly
  mark = alice.sent.size();
  alice.ua->resume(call, net.now);
  net.run(milliseconds(100));
  EXPECT_EQ(version_of(alice, mark, true), "2");
  EXPECT_EQ(version_of(bob, 0, false), "2");  // sendrecv again differs from recvonly
}

TEST_F(UaMediaTest, CancelledDeclinedAndFailedCallsRelease) {
  CallId call = place_call();
  ASSERT_TRUE(alice.ua->hangup(call, net.now).ok());
  net.run(milliseconds(200));
  EXPECT_EQ(alice.calls[call].end_code, 487);
  EXPECT_EQ(alice_media.sequence(), "reserve release");
  EXPECT_EQ(bob_media.sequence(), "");  // never answered: never reserved

  call = place_call();
  ASSERT_TRUE(bob.ua->decline(incoming_at_bob(), net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].end_code, 603);
  EXPECT_EQ(alice_media.sequence(), "reserve release reserve release");

  sip::Endpoint nowhere{"198.18.0.9", 5060, sip::TransportKind::kUdp, 0};
  call = alice.ua->call(uri("sip:x@198.18.0.9"), nowhere, net.now).id;
  net.run(milliseconds(40000));
  EXPECT_EQ(alice.calls[call].end_code, 408);
  EXPECT_TRUE(alice_media.live.empty());
}

TEST_F(UaMediaTest, NoPortsNoCall) {
  alice_media.refuse = true;
  Outcome outcome = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now);
  EXPECT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error.find("ports"), std::string::npos);
  EXPECT_TRUE(alice.sent.empty());
  alice_media.refuse = false;
  bob_media.refuse = true;
  CallId call = place_call();
  Outcome answer = bob.ua->answer(incoming_at_bob(), net.now);
  EXPECT_FALSE(answer.ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].end_code, 500);
  EXPECT_TRUE(alice_media.live.empty());
}

TEST_F(UaMediaTest, CodecListLimitsTheAnswer) {
  Network other;
  FakeMedia carol_media;
  FakeMedia dave_media;
  Node carol{other, "carol", "198.18.0.3", &carol_media};
  Node dave{other, "dave", "198.18.0.4", &dave_media};
  UserAgentConfig config = dave.ua->config();
  config.codecs = {"PCMA", "PCMU"};  // order of preference is the offerer's in the answer
  dave.ua = std::make_unique<UserAgent>(dave, dave, config);
  CallId call = carol.ua->call(uri("sip:dave@198.18.0.4"), dave.address, other.now).id;
  other.run(milliseconds(100));
  ASSERT_EQ(dave.calls.size(), 1u);
  dave.ua->answer(dave.calls.begin()->first, other.now);
  other.run(milliseconds(100));
  ASSERT_EQ(carol.calls[call].state, CallState::kEstablished);
  const StreamDescription& a = carol_media.last_applied();
  ASSERT_EQ(a.codecs.size(), 2u);
  EXPECT_EQ(a.codecs[0].codec, Codec::kPcmu);  // carol offered PCMU before PCMA
  EXPECT_EQ(a.codecs[0].send_pt, 0);
  EXPECT_EQ(a.codecs[1].codec, Codec::kPcma);
  EXPECT_EQ(a.telephone_event_send_pt, 101);  // at 8000, as PCMU's clock
  EXPECT_EQ(a.telephone_event_receive_pt, 101);
}

TEST_F(UaMediaTest, PeerOverIpv6) {
  Network other;
  FakeMedia carol_media;
  FakeMedia dave_media;
  Node carol{other, "carol", "2001:db8::3", &carol_media};
  Node dave{other, "dave", "2001:db8::4", &dave_media};
  CallId call = carol.ua->call(uri("sip:dave@[2001:db8::4]"), dave.address, other.now).id;
  // RFC 3261 18.1.1: the INVITE with our whole offer still fits in UDP (under 1300
  // bytes), even with IPv6 addresses; over TCP a UDP-only phone would never see it.
  ASSERT_FALSE(carol.sent.empty());
  EXPECT_EQ(carol.destinations[0].transport, sip::TransportKind::kUdp);
  EXPECT_LT(carol.sent[0].size(), 1100u) << carol.sent[0];
  other.run(milliseconds(100));
  ASSERT_EQ(carol_media.events.size(), 1u);
  EXPECT_TRUE(carol_media.events[0].ipv6);
  ASSERT_EQ(dave.calls.size(), 1u);
  dave.ua->answer(dave.calls.begin()->first, other.now);
  other.run(milliseconds(100));
  ASSERT_EQ(carol.calls[call].state, CallState::kEstablished);
  EXPECT_EQ(carol_media.last_applied().plain().address, "2001:db8::4");
  EXPECT_TRUE(dave_media.events[0].ipv6);
  EXPECT_EQ(dave_media.last_applied().plain().address, "2001:db8::3");
}

// ---- Transports that are ready later (prepare() answers kPending) ----

TEST_F(UaMediaTest, CallerSendsItsInviteWhenTheTransportIsReady) {
  alice_media.pending = true;
  Outcome outcome = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now);
  ASSERT_TRUE(outcome.ok()) << outcome.error;
  CallId call = outcome.id;
  EXPECT_EQ(alice.calls[call].state, CallState::kCalling);  // a call from the start
  net.run(milliseconds(1000));
  EXPECT_EQ(count_sent(alice, is_invite), 0u);
  EXPECT_TRUE(bob.calls.empty());
  EXPECT_EQ(alice_media.sequence(), "reserve");

  alice.ua->media_ready(call, ready_at(50100), net.now);
  EXPECT_EQ(count_sent(alice, is_invite), 1u);
  auto invite = find_sent(alice, 0, is_invite);
  ASSERT_TRUE(invite);
  auto offer = sdp::parse(invite->body());
  ASSERT_TRUE(offer.ok()) << offer.error().reason;
  EXPECT_EQ(offer->media[0].port, 50100);
  ASSERT_TRUE(offer->media[0].rtcp());
  EXPECT_EQ(offer->media[0].rtcp()->port, 50101);
  EXPECT_EQ(alice.calls[call].sip_call_id, std::string(invite->call_id()));

  net.run(milliseconds(100));
  EXPECT_EQ(count_sent(alice, is_invite), 1u);  // answered at once: never resent
  ASSERT_TRUE(bob.ua->answer(incoming_at_bob(), net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].state, CallState::kEstablished);
  EXPECT_EQ(bob_media.last_applied().plain().rtp_port, 50100);
  ASSERT_TRUE(alice.ua->hangup(call, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice_media.sequence(), "reserve apply release");
}

TEST_F(UaMediaTest, CalleeHoldsItsAnswerUntilTheTransportIsReady) {
  bob_media.pending = true;
  CallId call = place_call();
  CallId incoming = incoming_at_bob();
  ASSERT_NE(incoming, 0u);
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  EXPECT_FALSE(bob.ua->answer(incoming, net.now).ok());  // once is enough
  net.run(milliseconds(1000));
  EXPECT_EQ(count_sent(bob, is_ok), 0u);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kIncoming);  // still unanswered
  EXPECT_EQ(alice.calls[call].state, CallState::kRinging);

  bob.ua->media_ready(incoming, ready_at(51000), net.now);
  EXPECT_EQ(count_sent(bob, is_ok), 1u);
  auto ok = find_sent(bob, 0, is_ok);
  ASSERT_TRUE(ok);
  auto answer = sdp::parse(ok->body());
  ASSERT_TRUE(answer.ok()) << answer.error().reason;
  EXPECT_EQ(answer->media[0].port, 51000);
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].state, CallState::kEstablished);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kEstablished);
  EXPECT_EQ(alice_media.last_applied().plain().rtp_port, 51000);
  EXPECT_EQ(bob_media.sequence(), "reserve apply");
}

TEST_F(UaMediaTest, CallerTransportNeverReadyEndsTheCallUnsent) {
  alice_media.pending = true;
  CallId call = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now).id;
  net.run(milliseconds(3900));
  EXPECT_EQ(alice.calls[call].state, CallState::kCalling);
  net.run(milliseconds(200));  // past the 4 s bound
  EXPECT_TRUE(alice.sent.empty());
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[call].end_code, 500);
  EXPECT_EQ(alice.calls[call].end_reason, "the call's media transport was not ready within 4 s");
  EXPECT_EQ(alice_media.sequence(), "reserve release");
  // Too late: it changes nothing, and nothing more is owed.
  alice.ua->media_ready(call, ready_at(50100), net.now);
  net.run(milliseconds(100));
  EXPECT_TRUE(alice.sent.empty());
  EXPECT_EQ(alice_media.sequence(), "reserve release");
}

TEST_F(UaMediaTest, CalleeTransportNeverReadyAnswers500) {
  bob_media.pending = true;
  CallId call = place_call();
  CallId incoming = incoming_at_bob();
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  net.run(milliseconds(4100));
  auto error = find_sent(
      bob, 0, [](const sip::Message& m) { return m.is_response() && m.status_code() >= 200; });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->status_code(), 500);
  EXPECT_NE(error->text().find("Warning: 399 lanline \"the call's media transport was not ready "
                               "within 4 s\""),
            std::string::npos)
      << error->text();
  EXPECT_EQ(count_sent(bob, is_ok), 0u);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kTerminated);
  EXPECT_EQ(bob.calls[incoming].end_code, 500);
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[call].end_code, 500);
  EXPECT_EQ(bob_media.sequence(), "reserve release");
  EXPECT_TRUE(alice_media.live.empty());
}

TEST_F(UaMediaTest, TransportThatFailsLaterFailsTheCall) {
  alice_media.pending = true;
  CallId call = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now).id;
  net.run(milliseconds(500));
  alice.ua->media_ready(call, failed_with("no ICE candidates"), net.now);
  EXPECT_TRUE(alice.sent.empty());
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[call].end_reason,
            "could not open ports for the call's audio: no ICE candidates");
  EXPECT_EQ(alice_media.sequence(), "reserve release");  // pending, so release is owed

  alice_media.pending = false;
  bob_media.pending = true;
  call = place_call();
  CallId incoming = incoming_at_bob();
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  bob.ua->media_ready(incoming, failed_with("no ICE candidates"), net.now);
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].end_code, 500);
  EXPECT_EQ(bob.calls[incoming].end_code, 500);
  EXPECT_EQ(bob_media.sequence(), "reserve release");
  net.run(milliseconds(5000));  // the bound passes without a second end or release
  EXPECT_EQ(bob_media.sequence(), "reserve release");
}

TEST_F(UaMediaTest, HangupWhileTheTransportIsPending) {
  // The caller: nothing was sent, so nothing is sent.
  alice_media.pending = true;
  CallId call = alice.ua->call(uri("sip:bob@198.18.0.2"), bob.address, net.now).id;
  net.run(milliseconds(500));
  ASSERT_TRUE(alice.ua->hangup(call, net.now).ok());
  net.run(milliseconds(5000));
  EXPECT_TRUE(alice.sent.empty());
  EXPECT_EQ(alice.calls[call].state, CallState::kTerminated);
  EXPECT_EQ(alice.calls[call].end_code, 487);
  EXPECT_EQ(alice_media.sequence(), "reserve release");

  // The callee: its INVITE is still unanswered, so a hangup declines it.
  alice_media.pending = false;
  bob_media.pending = true;
  call = place_call();
  CallId incoming = incoming_at_bob();
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  ASSERT_TRUE(bob.ua->hangup(incoming, net.now).ok());
  net.run(milliseconds(100));
  EXPECT_EQ(alice.calls[call].end_code, 603);
  bob.ua->media_ready(incoming, ready_at(51000), net.now);  // too late
  net.run(milliseconds(5000));
  EXPECT_EQ(count_sent(bob, is_ok), 0u);
  EXPECT_EQ(bob_media.sequence(), "reserve release");

  // The caller gives up while the callee waits: CANCEL, 487, one release.
  call = place_call();
  incoming = incoming_at_bob();
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  ASSERT_TRUE(alice.ua->hangup(call, net.now).ok());
  net.run(milliseconds(200));
  EXPECT_EQ(alice.calls[call].end_code, 487);
  EXPECT_EQ(bob.calls[incoming].end_code, 487);
  EXPECT_EQ(bob_media.sequence(), "reserve release reserve release");
}

// ---- A peer that is not Lanline: raw requests with SDP a phone would write ----

std::string invite(int n, const std::string& body, const std::string& to_tag = "", int cseq = 1) {
  std::string text =
      "INVITE sip:bob@198.18.0.2 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKmedia" +
      std::to_string(n) + "-" + std::to_string(cseq) +
      "\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:phone@198.18.0.1>;tag=p1\r\n"
      "To: <sip:bob@198.18.0.2>" +
      (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\nCall-ID: media" + std::to_string(n) +
      "\r\nCSeq: " + std::to_string(cseq) + " INVITE\r\nContact: <sip:phone@198.18.0.1>\r\n";
  if (!body.empty()) text += "Content-Type: application/sdp\r\n";
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return text;
}

std::string ack(int n, const std::string& to_tag, int cseq, const std::string& body) {
  std::string text =
      "ACK sip:bob@198.18.0.2 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKmediaack" +
      std::to_string(n) + "-" + std::to_string(cseq) +
      "\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:phone@198.18.0.1>;tag=p1\r\n"
      "To: <sip:bob@198.18.0.2>;tag=" +
      to_tag + "\r\nCall-ID: media" + std::to_string(n) + "\r\nCSeq: " + std::to_string(cseq) +
      " ACK\r\n";
  if (!body.empty()) text += "Content-Type: application/sdp\r\n";
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return text;
}

// A softphone's offer: Opus on another dynamic number, telephone-event at 8000 only,
// no rtcp-mux, an a=rtcp port, a video stream we do not take.
const char* kPhoneOffer =
    "v=0\r\n"
    "o=phone 1234 1 IN IP4 198.18.0.1\r\n"
    "s=call\r\n"
    "c=IN IP4 198.18.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 7078 RTP/AVP 111 0 101\r\n"
    "a=rtpmap:111 OPUS/48000/2\r\n"
    "a=fmtp:111 useinbandfec=1; stereo=0\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=rtcp:7079\r\n"
    "m=video 9078 RTP/AVP 96\r\n"
    "a=rtpmap:96 VP8/90000\r\n";

class UaMediaRawTest : public UaMediaTest {
 protected:
  // Sends `text` as alice's side would and returns bob's final response to it.
  std::optional<sip::Message> bob_final(const std::string& text) {
    std::size_t before = bob.sent.size();
    alice.send(text, bob.address);
    net.run(milliseconds(50));
    return find_sent(bob, before, [](const sip::Message& m) {
      return m.is_response() && m.status_code() >= 200;
    });
  }
};

TEST_F(UaMediaRawTest, AnswersAPhoneWithItsNumbersAndRejectsVideo) {
  alice.send(invite(1, kPhoneOffer), bob.address);
  net.run(milliseconds(50));
  CallId incoming = incoming_at_bob();
  ASSERT_NE(incoming, 0u);
  std::size_t before = bob.sent.size();
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  auto ok = find_sent(bob, before, [](const sip::Message& m) { return m.is_response(); });
  ASSERT_TRUE(ok);
  auto answer = sdp::parse(ok->body());
  ASSERT_TRUE(answer.ok()) << answer.error().reason;
  ASSERT_EQ(answer->media.size(), 2u);
  const sdp::Media& audio = answer->media[0];
  EXPECT_EQ(audio.formats, (std::vector<std::string>{"111", "0", "101"}));
  EXPECT_EQ(audio.rtpmap(111)->encoding, "opus");
  EXPECT_FALSE(audio.rtcp_mux());  // not offered, so not answered
  EXPECT_EQ(answer->direction(audio), sdp::Direction::kSendRecv);
  EXPECT_EQ(answer->media[1].type, "video");
  EXPECT_EQ(answer->media[1].port, 0);

  // One transport asked for: the one stream taken. Every m-line is applied, the
  // video one rejected (no codecs) in its place.
  ASSERT_EQ(bob_media.events.front().what, "reserve");
  EXPECT_EQ(bob_media.events.front().streams, 1u);
  ASSERT_EQ(bob_media.events.back().applied.size(), 2u);
  EXPECT_EQ(bob_media.events.back().applied[1].kind, StreamKind::kVideo);
  EXPECT_FALSE(bob_media.events.back().applied[1].accepted());

  const StreamDescription& a = bob_media.last_applied();
  ASSERT_EQ(a.codecs.size(), 2u);
  EXPECT_EQ(a.codecs[0].codec, Codec::kOpus);
  EXPECT_EQ(a.codecs[0].send_pt, 111);
  EXPECT_EQ(a.codecs[0].receive_pt, 111);
  EXPECT_EQ(a.codecs[0].fmtp, "useinbandfec=1; stereo=0");
  EXPECT_EQ(a.codecs[1].codec, Codec::kPcmu);
  EXPECT_EQ(a.telephone_event_send_pt, 101);  // no 48000 one offered: 8000 it is
  EXPECT_EQ(a.plain().rtp_port, 7078);
  EXPECT_EQ(a.plain().rtcp_port, 7079);
  EXPECT_FALSE(a.rtcp_mux);
}

TEST_F(UaMediaRawTest, RefusesOffersItCannotTake) {
  auto g729 = std::string(kPhoneOffer);
  g729.replace(g729.find("m=audio 7078 RTP/AVP 111 0 101"), 30, "m=audio 7078 RTP/AVP 18");
  auto r = bob_final(invite(2, g729));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_code(), 488);
  EXPECT_NE(r->text().find("Warning: 305 lanline"), std::string::npos) << r->text();

  std::string video_only =
      "v=0\r\no=- 1 1 IN IP4 198.18.0.1\r\ns=-\r\nt=0 0\r\n"
      "m=video 9078 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
  r = bob_final(invite(3, video_only));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_code(), 488);
  EXPECT_NE(r->text().find("Warning: 304 lanline"), std::string::npos) << r->text();

  r = bob_final(invite(4, "v=0\r\no=- 1 1 IN IP4 198.18.0.1\r\nbogus\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_code(), 400);
  EXPECT_NE(r->text().find("Warning: 399 lanline \"the offer is not valid SDP: line 3: not a"),
            std::string::npos)
      << r->text();
  EXPECT_EQ(incoming_at_bob(), 0u);
  EXPECT_TRUE(bob_media.events.empty());
}

// RFC 3261 13.2.1: an INVITE without a body gets the offer in the 2xx, the answer in the ACK.
TEST_F(UaMediaRawTest, OfferlessInviteTakesTheAnswerFromTheAck) {
  alice.send(invite(5, ""), bob.address);
  net.run(milliseconds(50));
  CallId incoming = incoming_at_bob();
  ASSERT_NE(incoming, 0u);
  std::size_t before = bob.sent.size();
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  EXPECT_EQ(bob_media.sequence(), "reserve");  // nothing agreed yet
  // No second offer while the first awaits its answer (RFC 3264 4).
  EXPECT_FALSE(bob.ua->hold(incoming, net.now).ok());
  auto ok = find_sent(bob, before, [](const sip::Message& m) { return m.is_response(); });
  ASSERT_TRUE(ok);
  auto offer = sdp::parse(ok->body());
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->media[0].formats.front(), "96");  // bob's own offer, Opus first
  std::string to_tag(ok->to().tag);
  std::string answer =
      "v=0\r\no=phone 9 9 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 198.18.0.1\r\nt=0 0\r\n"
      "m=audio 7000 RTP/AVP 8\r\na=sendrecv\r\n";
  alice.send(ack(5, to_tag, 1, answer), bob.address);
  net.run(milliseconds(50));
  EXPECT_EQ(bob_media.sequence(), "reserve apply");
  const StreamDescription& a = bob_media.last_applied();
  ASSERT_EQ(a.codecs.size(), 1u);
  EXPECT_EQ(a.codecs[0].codec, Codec::kPcma);  // static type, no rtpmap needed
  EXPECT_EQ(a.codecs[0].send_pt, 8);
  EXPECT_EQ(a.plain().rtp_port, 7000);
  EXPECT_EQ(a.plain().rtcp_port, 7001);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kEstablished);

  // An offer-less re-INVITE: the same again, and c=0.0.0.0 in that answer is hold.
  std::size_t mark = bob.sent.size();
  alice.send(invite(5, "", to_tag, 2), bob.address);
  net.run(milliseconds(50));
  auto reok = find_sent(
      bob, mark, [](const sip::Message& m) { return m.is_response() && m.status_code() >= 200; });
  ASSERT_TRUE(reok);
  EXPECT_EQ(reok->status_code(), 200);
  std::string hold = answer;
  hold.replace(hold.find("c=IN IP4 198.18.0.1"), 19, "c=IN IP4 0.0.0.0");
  alice.send(ack(5, to_tag, 2, hold), bob.address);
  net.run(milliseconds(50));
  EXPECT_EQ(bob_media.sequence(), "reserve apply apply");
  EXPECT_FALSE(bob_media.last_applied().send);
  EXPECT_TRUE(bob.calls[incoming].remote_hold);
}

// The 2xx to an offer-less INVITE carries our offer: it waits for the transport too.
TEST_F(UaMediaRawTest, OfferlessInviteWaitsForTheTransport) {
  bob_media.pending = true;
  alice.send(invite(8, ""), bob.address);
  net.run(milliseconds(50));
  CallId incoming = incoming_at_bob();
  ASSERT_NE(incoming, 0u);
  ASSERT_TRUE(bob.ua->answer(incoming, net.now).ok());
  net.run(milliseconds(1000));
  EXPECT_EQ(count_sent(bob, is_ok), 0u);
  bob.ua->media_ready(incoming, ready_at(52000), net.now);
  auto ok = find_sent(bob, 0, is_ok);
  ASSERT_TRUE(ok);
  auto offer = sdp::parse(ok->body());
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->media[0].port, 52000);
  std::string answer =
      "v=0\r\no=phone 9 9 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 198.18.0.1\r\nt=0 0\r\n"
      "m=audio 7000 RTP/AVP 0\r\n";
  alice.send(ack(8, std::string(ok->to().tag), 1, answer), bob.address);
  net.run(milliseconds(50));
  EXPECT_EQ(bob.calls[incoming].state, CallState::kEstablished);
  EXPECT_EQ(bob_media.sequence(), "reserve apply");
  EXPECT_EQ(bob_media.last_applied().plain().rtp_port, 7000);
}

// RFC 3261 13.3.1.4: an ACK whose answer cannot be used ends the call with a BYE.
TEST_F(UaMediaRawTest, UnusableAnswerInTheAckEndsTheCall) {
  alice.send(invite(6, ""), bob.address);
  net.run(milliseconds(50));
  CallId incoming = incoming_at_bob();
  std::size_t before = bob.sent.size();
  bob.ua->answer(incoming, net.now);
  auto ok = find_sent(bob, before, [](const sip::Message& m) { return m.is_response(); });
  ASSERT_TRUE(ok);
  std::string answer =
      "v=0\r\no=p 9 9 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 198.18.0.1\r\n"
      "t=0 0\r\nm=audio 7000 RTP/AVP 18\r\n";  // G729: never offered
  before = bob.sent.size();
  alice.send(ack(6, std::string(ok->to().tag), 1, answer), bob.address);
  net.run(milliseconds(50));
  EXPECT_EQ(bob.calls[incoming].state, CallState::kTerminated);
  EXPECT_NE(bob.calls[incoming].end_reason.find("G729"), std::string::npos)
      << bob.calls[incoming].end_reason;
  EXPECT_TRUE(find_sent(bob, before, [](const sip::Message& m) {
    return m.is_request() && m.method() == sip::Method::kBye;
  }));
  EXPECT_EQ(bob_media.sequence(), "reserve release");
}

// A re-INVITE whose offer cannot be taken gets 488 and leaves the call as it was.
TEST_F(UaMediaRawTest, RefusedReofferKeepsTheCall) {
  alice.send(invite(7, kPhoneOffer), bob.address);
  net.run(milliseconds(50));
  CallId incoming = incoming_at_bob();
  std::size_t before = bob.sent.size();
  bob.ua->answer(incoming, net.now);
  auto ok = find_sent(bob, before, [](const sip::Message& m) { return m.is_response(); });
  ASSERT_TRUE(ok);
  std::string to_tag(ok->to().tag);
  alice.send(ack(7, to_tag, 1, ""), bob.address);
  net.run(milliseconds(50));
  std::string g729 = kPhoneOffer;
  g729.replace(g729.find("m=audio 7078 RTP/AVP 111 0 101"), 30, "m=audio 7078 RTP/AVP 18");
  std::string re = invite(7, g729, to_tag, 2);
  auto r = bob_final(re);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_code(), 488);
  EXPECT_EQ(bob.calls[incoming].state, CallState::kEstablished);
  EXPECT_EQ(bob_media.sequence(), "reserve apply");
  // Turning the audio off (port 0, RFC 3264 8.2) is answered, and applied as no codecs.
  std::string off = kPhoneOffer;
  off.replace(off.find("m=audio 7078"), 12, "m=audio 0");
  r = bob_final(invite(7, off, to_tag, 3));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_code(), 200);
  EXPECT_EQ(bob_media.sequence(), "reserve apply apply");
  EXPECT_TRUE(bob_media.last_applied().codecs.empty());
  EXPECT_FALSE(bob_media.last_applied().send);
}

}  // namespace
}  // namespace lanline::core
