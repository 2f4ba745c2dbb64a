// Two video calls in one process over loopback sockets, as the engine builds them (a
// call pipeline with a video branch over a plain-UDP transport): each sends the SMPTE
// test pattern, and the frame each decodes must match the pattern pixel for pixel within
// a tolerance (VP8 is lossy). A burst of lost packets at one receiver must be repaired
// by a key frame asked for with RTCP PLI/FIR well within a second; a peer that named no
// feedback in its SDP is never asked.
#include <gst/video/video.h>
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

// `frame` is `reference` within `max_mean_error`, and 95 % of its pixels close to it.
void expect_like(const VideoFrame& frame, const test::Reference& reference, const char* what,
                 double max_mean_error) {
  auto difference = test::compare(frame, reference);
  ASSERT_TRUE(difference);
  std::printf("    %s against the pattern: mean error %.2f, %.1f %% close\n", what,
              difference->mean_error, difference->share_close * 100);
  EXPECT_LT(difference->mean_error, max_mean_error);
  EXPECT_GT(difference->share_close, 0.95);
}

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
    expect_like(*frame, *reference, "decoded", 12.0);
    // And the self view is what we send, at a quarter of the size each way (scaled from
    // the sent picture: the bars' edges blend where the small pattern has them sharp).
    auto self = peer->video->local().newest();
    ASSERT_TRUE(self);
    EXPECT_EQ(self->width, kWidth / 4);
    auto small =
        test::pattern_reference("smpte", self->width, self->height, error, kWidth, kHeight);
    ASSERT_TRUE(small) << error;
    expect_like(*self, *small, "self view", 2.0);
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
  expect_like(*loaded, *reference, "through a PNG", 12.0);
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
  // What the decoder does after a frame it could not decode: ask upstream, through the
  // depayloader.
  GstPtr<GstElement> depay(
      gst_bin_get_by_name(GST_BIN(b_.video->receive_element()), "depayloader"));
  ASSERT_TRUE(depay);
  GstPtr<GstPad> depay_out(gst_element_get_static_pad(depay.get(), "src"));
  for (int i = 0; i < 5; ++i) {
    gst_pad_send_event(depay_out.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  }
  burst_then_recovery(2s);
  std::printf("    %d packets dropped; frames again after %.0f ms\n", dropped_, recovery_ms_);
  EXPECT_GE(recovery_ms_, 0) << "the decoder did not go on over the gap";
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
  dropped_ = dropper.dropped.load();
  EXPECT_GT(dropped_, 5);
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
// frames claiming 16383x16383 pixels, truncated payload descriptors, each from an SSRC of
// its own, and datagrams that are not RTP at all. The call goes on: b still decodes a's
// stream afterwards, at its size, and the pipeline reports no error. (A new SSRC stays
// on probation until its second packet in sequence, so this reaches rtpbin's session,
// not the depayloader and the decoder: those are not fuzzed here.)
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

// A peer that floods PLIs: every request reaches the encoder as a force-key-unit event
// (what rtpbin makes of a PLI), 500 of them in 2 s; the encoder makes at most one key
// frame per 500 ms, so the stream keeps its size and b its picture.
TEST_F(VideoSessionTest, AFloodOfKeyFrameRequestsMakesFewKeyFrames) {
  start_both(true);
  ASSERT_TRUE(context_.run_until([&] { return b_.video->remote().frames() > 10; }, 10s));
  GstPtr<GstElement> encoder(gst_bin_get_by_name(GST_BIN(a_.video->send_element()), "encoder"));
  GstPtr<GstElement> payloader(gst_bin_get_by_name(GST_BIN(a_.video->send_element()), "payloader"));
  ASSERT_TRUE(encoder && payloader);
  std::atomic<int> key_frames{0};
  GstPtr<GstPad> encoded(gst_element_get_static_pad(encoder.get(), "src"));
  const gulong probe = gst_pad_add_probe(
      encoded.get(), GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer counter) {
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        if (buffer && !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT))
          ++*static_cast<std::atomic<int>*>(counter);
        return GST_PAD_PROBE_OK;
      },
      &key_frames, nullptr);
  GstPtr<GstPad> rtp_out(gst_element_get_static_pad(payloader.get(), "src"));
  const std::uint64_t before = b_.video->remote().frames();
  const auto started = Clock::now();
  for (int i = 0; i < 500; ++i) {
    gst_pad_send_event(rtp_out.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
    context_.run_for(4ms);
  }
  gst_pad_remove_probe(encoded.get(), probe);
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  // One key frame per 500 ms at most, one more for the periodic one, one at each edge.
  const int allowed = static_cast<int>(elapsed_s / 0.5) + 3;
  std::printf(
      "    500 requests in %.1f s: %d key frames (at most %d); b decoded %llu frames "
      "meanwhile\n",
      elapsed_s, key_frames.load(), allowed,
      static_cast<unsigned long long>(b_.video->remote().frames() - before));
  EXPECT_GE(key_frames.load(), 1);
  EXPECT_LE(key_frames.load(), allowed);
  EXPECT_GT(b_.video->remote().frames() - before, 30u);
  EXPECT_GE(a_.video->stats().plis_received, 500u);  // each counted, few honoured
}

}  // namespace
}  // namespace lanline::media
