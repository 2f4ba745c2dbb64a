// MediaBridge, the engine's CallMedia: what each SDP outcome does to a call's audio, with
// real pipelines on loopback (two bridges play the two ends of a call).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "../net/loop_support.hpp"
#include "engine/media_bridge.hpp"
#include "wav_analysis.hpp"

namespace lanline::engine {
namespace {

using namespace std::chrono_literals;
using net::test::MainContext;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/lanline-bridge-test-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<MediaBridge> bridge(MainContext& context, const std::string& source,
                                    const std::string& sink) {
  MediaBridgeOptions options;
  options.audio_source = source;
  options.audio_sink = sink;
  options.ipv4_address = "127.0.0.1";
  options.local_addresses = {"127.0.0.1"};  // ICE's host candidates: loopback only
  std::string error;
  auto made = MediaBridge::create(context.get(), options, error);
  EXPECT_TRUE(made) << error;
  return made;
}

// What the UA would hand over after an exchange between the two, seen from one side.
// The bridge's transports are plain sockets: ready at once, never pending.
std::optional<LocalTransport> reserve(MediaBridge& bridge, std::uint64_t call) {
  core::Preparation prepared = bridge.prepare(call, core::TransportRequest{});
  EXPECT_NE(prepared.state, core::PrepareState::kPending);
  if (prepared.state != core::PrepareState::kReady) return std::nullopt;
  EXPECT_EQ(prepared.streams.size(), 1u);
  return prepared.streams.at(0);
}

std::vector<StreamDescription> agreed(std::optional<Codec> codec, int pt,
                                      const LocalTransport& peer) {
  StreamDescription audio;
  if (codec) audio.codecs.push_back(NegotiatedCodec{*codec, {}, pt, pt, {}});
  audio.telephone_event_send_pt = 101;
  audio.telephone_event_receive_pt = 101;
  audio.remote = PlainTransport{"127.0.0.1", peer.rtp_port, peer.rtcp_port};
  return {audio};
}

TEST(MediaBridge, BadSourceOrSinkIsAClearError) {
  MainContext context;
  MediaBridgeOptions options;
  options.audio_source = "microphone";
  std::string error;
  EXPECT_FALSE(MediaBridge::create(context.get(), options, error));
  EXPECT_NE(error.find("device, test[:HZ], file:PATH.wav"), std::string::npos) << error;
  options.audio_source = "test";
  options.audio_sink = "speakers";
  EXPECT_FALSE(MediaBridge::create(context.get(), options, error));
  EXPECT_NE(error.find("device, null, record:PATH.wav"), std::string::npos) << error;
}

TEST(MediaBridge, ReserveKeepsThePortsOfACall) {
  MainContext context;
  auto a = bridge(context, "test", "null");
  auto first = reserve(*a, 7);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->address, "127.0.0.1");
  EXPECT_EQ(first->rtp_port % 2, 0);
  EXPECT_EQ(first->rtcp_port, first->rtp_port + 1);
  auto again = reserve(*a, 7);  // a re-INVITE's offer: the same ports
  ASSERT_TRUE(again);
  EXPECT_EQ(again->rtp_port, first->rtp_port);
  auto other = reserve(*a, 8);
  ASSERT_TRUE(other);
  EXPECT_NE(other->rtp_port, first->rtp_port);
  a->release(7);
  a->release(8);
  a->release(9);  // never reserved: nothing happens
}

core::TransportRequest two_streams() {
  core::TransportRequest request;
  request.streams = 2;
  return request;
}

// A transport per stream: a call that will carry two streams gets two socket pairs, each
// stream the pair of its place among the streams carried (an m-line at port 0 has none).
TEST(MediaBridge, PrepareGivesEachStreamItsOwnPorts) {
  MainContext context;
  auto a = bridge(context, "test", "null");
  core::Preparation prepared = a->prepare(3, two_streams());
  ASSERT_EQ(prepared.state, core::PrepareState::kReady);
  ASSERT_EQ(prepared.streams.size(), 2u);
  EXPECT_NE(prepared.streams[0].rtp_port, prepared.streams[1].rtp_port);
  EXPECT_EQ(prepared.streams[1].rtcp_port, prepared.streams[1].rtp_port + 1);
  auto again = a->prepare(3, two_streams());
  ASSERT_EQ(again.streams.size(), 2u);
  EXPECT_EQ(again.streams[1].rtp_port, prepared.streams[1].rtp_port);

  // The peer is a second bridge; it sends to the pair A's audio should be on.
  auto b = bridge(context, "test:660", "null");
  auto lb = reserve(*b, 4);
  ASSERT_TRUE(lb);
  auto receives_on = [&](std::size_t pair, std::vector<StreamDescription> streams) {
    a->apply(3, streams);
    EXPECT_TRUE(a->has_audio(3));
    b->apply(4, agreed(Codec::kPcmu, 0,
                       LocalTransport{"127.0.0.1", prepared.streams[pair].rtp_port,
                                      prepared.streams[pair].rtcp_port}));
    const auto before = a->stats(3)->packets_received;
    return context.run_until([&] { return a->stats(3)->packets_received > before + 20; }, 3000ms);
  };
  // A rejected video m-line first, then the audio: the audio is the first stream carried.
  auto video_first = agreed(Codec::kPcmu, 0, *lb);
  video_first[0].mline = 1;
  StreamDescription video;
  video.kind = StreamKind::kVideo;  // no codecs: port 0
  video_first.insert(video_first.begin(), video);
  EXPECT_TRUE(receives_on(0, video_first));
  // Another accepted stream (an alternative audio, which media/ does not play) first: the
  // main audio is the second stream carried, on the second pair (a new pipeline).
  auto second = agreed(Codec::kPcmu, 0, *lb);
  second[0].mline = 1;
  StreamDescription alt = second[0];
  alt.mline = 0;
  alt.content = ContentRole::kAlt;
  second.insert(second.begin(), alt);
  second[1].transport = 1;  // as the Negotiator says it: the second transport it handed out
  EXPECT_TRUE(receives_on(1, second));
  a->release(3);
  b->release(4);
}

TEST(MediaBridge, NothingPlayableMeansNoAudioAndClearAnswers) {
  MainContext context;
  auto a = bridge(context, "test", "null");
  auto local = reserve(*a, 1);
  ASSERT_TRUE(local);
  auto video_only = agreed(Codec::kPcmu, 0, *local);
  video_only[0].kind = StreamKind::kVideo;  // no audio stream in the call: nothing to play
  a->apply(1, video_only);
  EXPECT_FALSE(a->has_audio(1));
  EXPECT_FALSE(a->stats(1));
  EXPECT_FALSE(a->send_dtmf(1, "1"));
  a->apply(1, agreed(std::nullopt, 0, *local));  // port 0: no codecs
  EXPECT_FALSE(a->has_audio(1));
  a->apply(2, agreed(Codec::kPcmu, 0, *local));  // never reserved
  EXPECT_FALSE(a->has_audio(2));
  EXPECT_FALSE(a->set_mute(2, true));
}

// A call's life as the UA drives it: answer, hold, resume, a new codec by re-INVITE,
// mute kept across it, DTMF, stats, release with a finished recording.
TEST(MediaBridge, FollowsTheCallsExchanges) {
  MainContext context;
  TempDir dir;
  auto a = bridge(context, "test:440", "null");
  auto b = bridge(context, "test:660", "record:" + dir.file("b.wav"));
  std::string digits;
  b->on_dtmf([&digits](std::uint64_t call, char digit) {
    EXPECT_EQ(call, 2u);
    digits += digit;
  });
  auto la = reserve(*a, 1);
  auto lb = reserve(*b, 2);
  ASSERT_TRUE(la && lb);
  a->apply(1, agreed(Codec::kPcmu, 0, *lb));
  b->apply(2, agreed(Codec::kPcmu, 0, *la));
  ASSERT_TRUE(a->has_audio(1) && b->has_audio(2));
  context.run_for(1000ms);
  EXPECT_TRUE(a->send_dtmf(1, "42"));
  EXPECT_TRUE(context.run_until([&] { return digits.size() == 2; }, 3000ms));
  EXPECT_EQ(digits, "42");
  auto stats = b->stats(2);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->codec, "pcmu/8000");
  EXPECT_GT(stats->packets_received, 30u);

  // Hold by A (sendonly / recvonly) changes the running sessions, no new ones.
  auto hold_a = agreed(Codec::kPcmu, 0, *lb);
  hold_a[0].receive = false;
  auto hold_b = agreed(Codec::kPcmu, 0, *la);
  hold_b[0].send = false;
  a->apply(1, hold_a);
  b->apply(2, hold_b);
  context.run_for(500ms);
  a->apply(1, agreed(Codec::kPcmu, 0, *lb));
  b->apply(2, agreed(Codec::kPcmu, 0, *la));

  // A re-INVITE moves the call to Opus: new pipelines on the same ports; A's mute stays.
  EXPECT_TRUE(a->set_mute(1, true));
  a->apply(1, agreed(Codec::kOpus, 96, *lb));
  b->apply(2, agreed(Codec::kOpus, 96, *la));
  context.run_for(1000ms);
  EXPECT_EQ(b->stats(2)->codec, "opus/48000/2");
  b->release(2);  // b.wav now holds the Opus part: A muted, so silence
  a->release(1);
  EXPECT_FALSE(b->has_audio(2));
  test::WavReport report = test::analyse_wav(dir.file("b.wav"), {});
  std::printf("    b.wav after the re-INVITE with A muted: %s\n", test::describe(report).c_str());
  EXPECT_TRUE(report.header_ok) << report.problem;
  EXPECT_TRUE(test::check_wav(report, {.expect_silence = true}).empty());
}

// An ICE request is pending until the agent has gathered; the outcome, through
// on_ready, is what our SDP writes: ICE credentials and candidates, and as c=/m= a host
// candidate, the one at our SIP address.
core::Preparation prepare_ice(MainContext& context, MediaBridge& bridge, std::uint64_t call,
                              bool offerer) {
  core::TransportRequest request;
  request.offerer = offerer;
  request.ice = !offerer;
  request.rtcp_mux = !offerer;
  request.peer_address = "127.0.0.1";
  request.local_address = "127.0.0.1";
  std::optional<core::Preparation> ready;
  bridge.on_ready([&](std::uint64_t id, const core::Preparation& outcome) {
    EXPECT_EQ(id, call);
    ready = outcome;
  });
  EXPECT_EQ(bridge.prepare(call, request).state, core::PrepareState::kPending);
  EXPECT_TRUE(context.run_until([&] { return ready.has_value(); }, 1000ms));
  return ready.value_or(core::Preparation{});
}

std::vector<StreamDescription> agreed_ice(const LocalTransport& peer) {
  auto streams = agreed(Codec::kOpus, 96, peer);
  streams[0].rtcp_mux = true;
  IceTransport remote;
  remote.ufrag = peer.ice->ufrag;
  remote.pwd = peer.ice->pwd;
  remote.candidates = peer.ice->candidates;
  remote.default_candidate = {peer.address, peer.rtp_port, peer.rtcp_port};
  streams[0].remote = remote;
  return streams;
}

// Both ends do ICE: the offerer's two components (the answer may refuse rtcp-mux), the
// answerer's one (the offer has rtcp-mux); audio flows both ways on the pair the checks
// chose, and `calls` can show it.
TEST(MediaBridge, IceBetweenTwoBridges) {
  MainContext context;
  auto a = bridge(context, "test:440", "null");
  auto b = bridge(context, "test:660", "null");
  core::Preparation offer = prepare_ice(context, *a, 1, true);
  core::Preparation answer = prepare_ice(context, *b, 2, false);
  ASSERT_EQ(offer.state, core::PrepareState::kReady);
  ASSERT_EQ(answer.state, core::PrepareState::kReady);
  const LocalTransport& la = offer.streams.at(0);
  const LocalTransport& lb = answer.streams.at(0);
  ASSERT_TRUE(la.ice && lb.ice);
  EXPECT_EQ(la.address, "127.0.0.1");
  EXPECT_NE(la.rtcp_port, la.rtp_port);  // component 2's candidate in a=rtcp
  EXPECT_EQ(lb.rtcp_port, lb.rtp_port);  // one component
  EXPECT_EQ(la.ice->candidates.size(), 2u);
  EXPECT_EQ(lb.ice->candidates.size(), 1u);
  b->apply(2, agreed_ice(la));
  a->apply(1, agreed_ice(lb));
  ASSERT_TRUE(context.run_until(
      [&] {
        auto sa = a->stats(1);
        auto sb = b->stats(2);
        return sa && sb && sa->packets_received > 25 && sb->packets_received > 25;
      },
      5000ms));
  auto path = a->stats(1)->path;
  EXPECT_EQ(path.ice_state, "connected");
  ASSERT_TRUE(path.local && path.remote);
  EXPECT_EQ(path.local->type, "host");
  EXPECT_EQ(path.remote->port, lb.rtp_port);
  EXPECT_EQ(b->stats(2)->path.remote->port, la.rtp_port);
  a->release(1);
  b->release(2);
}

// A peer without ICE answers our ICE offer with plain SDP: it sends to our c=/m=, the
// default candidate's port, where a plain socket pair now listens; and ours reach its.
TEST(MediaBridge, PlainAnswerToAnIceOffer) {
  MainContext context;
  auto a = bridge(context, "test:440", "null");
  auto b = bridge(context, "test:660", "null");
  core::Preparation offer = prepare_ice(context, *a, 1, true);
  ASSERT_EQ(offer.state, core::PrepareState::kReady);
  const LocalTransport la = offer.streams.at(0);
  auto lb = reserve(*b, 2);
  ASSERT_TRUE(lb);
  a->apply(1, agreed(Codec::kPcmu, 0, *lb));
  b->apply(2, agreed(Codec::kPcmu, 0, LocalTransport{la.address, la.rtp_port, la.rtcp_port}));
  EXPECT_TRUE(context.run_until(
      [&] { return a->stats(1)->packets_received > 25 && b->stats(2)->packets_received > 25; },
      3000ms));
  EXPECT_EQ(a->stats(1)->path.ice_state, "");  // plain now
  a->release(1);
  b->release(2);
}

// A STUN server that never answers costs the first call the gathering bound, and no
// later call anything: the bridge stops waiting for a server it has found silent.
TEST(MediaBridge, SilentStunServerCostsOneCallTheBound) {
  MainContext context;
  net::test::RawSocket silent(AF_INET, SOCK_DGRAM);  // bound, never read: no answer
  const std::uint16_t port = silent.bind_loopback();
  MediaBridgeOptions options;
  options.audio_source = "test";
  options.audio_sink = "null";
  options.ipv4_address = "127.0.0.1";
  options.local_addresses = {"127.0.0.1"};
  options.stun = ice::StunServer{"127.0.0.1", port};
  std::string error;
  auto a = MediaBridge::create(context.get(), options, error);
  ASSERT_TRUE(a) << error;
  auto timed = [&](std::uint64_t call) {
    const auto start = std::chrono::steady_clock::now();
    core::Preparation ready = prepare_ice(context, *a, call, true);
    EXPECT_EQ(ready.state, core::PrepareState::kReady);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  };
  const auto first = timed(1);
  const auto second = timed(2);
  std::printf("    gathering with a silent STUN server: first call %lld ms, second %lld ms\n",
              static_cast<long long>(first.count()), static_cast<long long>(second.count()));
  EXPECT_GE(first.count(), 140);
  EXPECT_LT(second.count(), 50);
  a->release(1);
  a->release(2);
}

// Released while the agent gathers: no outcome comes afterwards.
TEST(MediaBridge, ReleasedWhileGathering) {
  MainContext context;
  auto a = bridge(context, "test", "null");
  bool told = false;
  a->on_ready([&](std::uint64_t, const core::Preparation&) { told = true; });
  core::TransportRequest request;
  request.offerer = true;
  EXPECT_EQ(a->prepare(5, request).state, core::PrepareState::kPending);
  a->release(5);
  context.run_for(300ms);
  EXPECT_FALSE(told);
}

}  // namespace
}  // namespace lanline::engine
