// Two video calls in one process over loopback sockets, as the engine builds them (a
// call pipeline with a video branch over a plain-UDP transport): each sends the SMPTE
// test pattern, and the frame each decodes must match the pattern pixel for pixel within
// a tolerance (VP8 is lossy). A burst of lost packets at one receiver must be repaired
// by a key frame asked for with RTCP PLI/FIR well within a second; a peer that named no
// feedback in its SDP is never asked.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>

#include "../net/loop_support.hpp"
#include "frame_compare.hpp"
#include "media/call_pipeline.hpp"
#include "media/udp_media_transport.hpp"
#include "media/udp_transport.hpp"
#include "media/video_branch.hpp"

namespace lanline::media {
namespace {

using namespace std::chrono_literals;
using net::test::MainContext;
using Clock = std::chrono::steady_clock;

constexpr int kWidth = 320;
constexpr int kHeight = 240;

struct Peer {
  std::unique_ptr<UdpTransport> sockets;
  std::unique_ptr<CallPipeline> pipeline;
  VideoBranch* video = nullptr;  // in pipeline
  std::string errors;
};

StreamDescription video_stream(int send_pt, int receive_pt, const UdpTransport& remote,
                               bool feedback) {
  StreamDescription stream;
  stream.kind = StreamKind::kVideo;
  std::vector<std::string> fb;
  if (feedback) fb = {"nack pli", "ccm fir"};
  stream.codecs = {NegotiatedCodec{Codec::kVp8, {}, send_pt, receive_pt, fb}};
  stream.remote = PlainTransport{"127.0.0.1", remote.rtp_port(), remote.rtcp_port()};
  return stream;
}

void start(MainContext& context, Peer& peer, const std::string& name, int send_pt, int receive_pt,
           const UdpTransport& remote, bool feedback) {
  std::string error;
  PipelineEvents events;
  events.on_error = [&peer](const std::string& problem) { peer.errors += problem + "; "; };
  peer.pipeline = CallPipeline::create(context.get(), name, std::move(events), error);
  ASSERT_TRUE(peer.pipeline) << error;
  VideoBranchConfig config;
  config.stream = video_stream(send_pt, receive_pt, remote, feedback);
  config.source.kind = VideoSource::Kind::kTest;
  config.name = name;
  config.width = kWidth;
  config.height = kHeight;
  config.bitrate_kbps = 800;
  auto transport = UdpMediaTransport::create(*peer.sockets, config.stream, name, error);
  ASSERT_TRUE(transport) << error;
  auto branch = VideoBranch::create(peer.pipeline->next_slot(), std::move(config), error);
  ASSERT_TRUE(branch) << error;
  peer.video = branch.get();
  ASSERT_TRUE(peer.pipeline->add_stream(std::move(transport), std::move(branch), error)) << error;
  ASSERT_TRUE(peer.pipeline->start(error)) << error;
}

// Drops every RTP packet into b's depayloader while `dropping` is set: a burst of loss
// after the jitter buffer, which the depayloader sees as a gap in sequence numbers.
struct Dropper {
  std::atomic<bool> dropping{false};
  std::atomic<int> dropped{0};
  static GstPadProbeReturn probe(GstPad*, GstPadProbeInfo*, gpointer self) {
    auto* d = static_cast<Dropper*>(self);
    if (!d->dropping) return GST_PAD_PROBE_OK;
    ++d->dropped;
    return GST_PAD_PROBE_DROP;
  }
};

class VideoSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    a_.sockets = UdpTransport::bind(false, {}, error);
    b_.sockets = UdpTransport::bind(false, {}, error);
    ASSERT_TRUE(a_.sockets && b_.sockets) << error;
  }
  void start_both(bool feedback) {
    // Payload types differ on purpose: each side receives on the one it wrote.
    start(context_, a_, "a", 98, 97, *b_.sockets, feedback);
    start(context_, b_, "b", 97, 98, *a_.sockets, feedback);
  }
  void TearDown() override {
    if (a_.pipeline) a_.pipeline->stop();
    if (b_.pipeline) b_.pipeline->stop();
  }
  // Drops every packet into b's depayloader for 300 ms; how long until 10 frames are
  // decoded again (-1: not within `limit`), in recovery_ms_.
  void burst_then_recovery(std::chrono::milliseconds limit);
  MainContext context_;
  Peer a_;
  Peer b_;
  int dropped_ = 0;
  double recovery_ms_ = -1;
};

TEST_F(VideoSessionTest, EachSideDecodesThePatternTheOtherSends) {
  start_both(true);
  ASSERT_TRUE(context_.run_until(
      [&] { return a_.video->remote().frames() > 30 && b_.video->remote().frames() > 30; }, 10s))
      << "a decoded " << a_.video->remote().frames() << ", b " << b_.video->remote().frames();
  std::string error;
  auto reference = test::pattern_reference("smpte", kWidth, kHeight, error);
  ASSERT_TRUE(reference) << error;
  for (Peer* peer : {&a_, &b_}) {
    auto frame = peer->video->remote().newest();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->width, kWidth);
    EXPECT_EQ(frame->height, kHeight);
    auto difference = test::compare(*frame, *reference);
    ASSERT_TRUE(difference);
    std::printf("    decoded against the pattern: mean error %.2f, %.1f %% close\n",
                difference->mean_error, difference->share_close * 100);
    EXPECT_LT(difference->mean_error, 12.0);
    EXPECT_GT(difference->share_close, 0.95);
    // And the self view is what we send, at a quarter of the size each way (scaled from
    // the sent picture: the bars' edges blend where the small pattern has them sharp).
    auto self = peer->video->local().newest();
    ASSERT_TRUE(self);
    EXPECT_EQ(self->width, kWidth / 4);
    auto small =
        test::pattern_reference("smpte", self->width, self->height, error, kWidth, kHeight);
    ASSERT_TRUE(small) << error;
    auto own = test::compare(*self, *small);
    ASSERT_TRUE(own);
    std::printf("    self view against the pattern: mean error %.2f, %.1f %% close\n",
                own->mean_error, own->share_close * 100);
    EXPECT_LT(own->mean_error, 2.0);
    EXPECT_GT(own->share_close, 0.95);
  }
  VideoStats stats = a_.video->stats();
  EXPECT_EQ(stats.codec, "vp8");
  EXPECT_EQ(stats.width, kWidth);

  // Through a PNG and back, as `ctl snapshot` writes it.
  const std::string png = "/tmp/lanline-video-test-" + std::to_string(getpid()) + ".png";
  ASSERT_TRUE(write_png(*a_.video->remote().newest(), png, error)) << error;
  auto loaded = test::load_png(png, error);
  if (!getenv("KEEP_PNG")) std::filesystem::remove(png);
  ASSERT_TRUE(loaded) << error;
  auto difference = test::compare(*loaded, *reference);
  ASSERT_TRUE(difference);
  EXPECT_LT(difference->mean_error, 12.0);
}

TEST_F(VideoSessionTest, ABurstOfLossIsRepairedByAKeyFrameAskedForWithPli) {
  start_both(true);
  ASSERT_TRUE(context_.run_until([&] { return b_.video->remote().frames() > 30; }, 10s));
  burst_then_recovery(5s);
  VideoStats receiver = b_.video->stats();
  VideoStats sender = a_.video->stats();
  std::printf(
      "    %d packets dropped; 10 frames again %.0f ms after the burst; PLI/FIR sent %llu, "
      "received by the sender %llu\n",
      dropped_, recovery_ms_, static_cast<unsigned long long>(receiver.plis_sent),
      static_cast<unsigned long long>(sender.plis_received));
  EXPECT_LT(recovery_ms_, 1000);
  EXPECT_GE(receiver.plis_sent, 1u);
  EXPECT_GE(sender.plis_received, 1u);
}

// The same burst where the peer named no feedback in its SDP: no PLI or FIR is sent
// (rtpbin would send them whatever the SDP said), and the decoder goes on over the gap.
TEST_F(VideoSessionTest, APeerThatNamedNoFeedbackIsAskedForNoKeyFrame) {
  start_both(false);
  ASSERT_TRUE(context_.run_until([&] { return b_.video->remote().frames() > 30; }, 10s));
  burst_then_recovery(2s);
  std::printf("    %d packets dropped; frames again after %.0f ms\n", dropped_, recovery_ms_);
  EXPECT_EQ(b_.video->stats().plis_sent, 0u);
  EXPECT_EQ(a_.video->stats().plis_received, 0u);
}

void VideoSessionTest::burst_then_recovery(std::chrono::milliseconds limit) {
  GstPtr<GstElement> depay(
      gst_bin_get_by_name(GST_BIN(b_.video->receive_element()), "depayloader"));
  ASSERT_TRUE(depay);
  GstPtr<GstPad> sink(gst_element_get_static_pad(depay.get(), "sink"));
  Dropper dropper;
  const gulong probe =
      gst_pad_add_probe(sink.get(), GST_PAD_PROBE_TYPE_BUFFER, &Dropper::probe, &dropper, nullptr);
  dropper.dropping = true;
  context_.run_for(300ms);
  dropper.dropping = false;
  const auto burst_end = Clock::now();
  const std::uint64_t before = b_.video->remote().frames();
  ASSERT_GT(dropper.dropped.load(), 5);
  dropped_ = dropper.dropped.load();
  // The frame in flight when the burst ended may still decode; recovery is a run of
  // frames again.
  recovery_ms_ = -1;
  if (context_.run_until([&] { return b_.video->remote().frames() > before + 10; }, limit)) {
    recovery_ms_ = std::chrono::duration<double, std::milli>(Clock::now() - burst_end).count();
  }
  context_.run_for(1500ms);  // the RTCP that carried the requests is counted on both sides
  gst_pad_remove_probe(sink.get(), probe);
}

// Bad input on the video port: RTP with VP8's payload type carrying garbage, VP8 key
// frames claiming 16383x16383 pixels, truncated payload descriptors, and datagrams that
// are not RTP at all. The call goes on: b still decodes a's stream afterwards, no frame
// of absurd size reaches the slot, and the pipeline reports no error.
TEST_F(VideoSessionTest, GarbageOnTheVideoPortDoesNotStopThePicture) {
  start_both(true);
  ASSERT_TRUE(context_.run_until([&] { return b_.video->remote().frames() > 10; }, 10s));
  net::test::RawSocket attacker(AF_INET, SOCK_DGRAM);
  std::mt19937 random(7);
  auto bytes = [&](std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out)
      c = static_cast<char>(random() & 0xff);
    return out;
  };
  // A's SSRC would be too easy to guess for a test: garbage comes from a stream of its own,
  // and from a's own SSRC too (what an attacker on the path could do).
  for (int i = 0; i < 3000; ++i) {
    std::string packet;
    const int kind = i % 4;
    std::string header = std::string("\x80\x62", 2);  // V=2, PT 98: what b receives VP8 on
    header += static_cast<char>(i >> 8);
    header += static_cast<char>(i);
    header += bytes(8);  // timestamp, SSRC
    if (kind == 0) {
      packet = header + bytes(1 + i % 1100);  // garbage payload
    } else if (kind == 1) {
      // A VP8 key frame start (RFC 6386 9.1) claiming the largest picture there is.
      packet = header + std::string("\x10", 1) +
               std::string("\x00\x00\x00\x9d\x01\x2a\xff\x3f\xff\x3f", 10) + bytes(200);
    } else if (kind == 2) {
      packet = header + std::string("\x90\x80", 2);  // a descriptor cut short
    } else {
      packet = bytes(1 + i % 40);  // not RTP
    }
    attacker.send_to_loopback(packet, b_.sockets->rtp_port());
  }
  const std::uint64_t before = b_.video->remote().frames();
  EXPECT_TRUE(context_.run_until([&] { return b_.video->remote().frames() > before + 30; }, 10s))
      << "b decoded " << b_.video->remote().frames() - before << " frames after the garbage";
  auto frame = b_.video->remote().newest();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->width, kWidth);
  EXPECT_TRUE(b_.errors.empty()) << b_.errors;
}

}  // namespace
}  // namespace lanline::media
