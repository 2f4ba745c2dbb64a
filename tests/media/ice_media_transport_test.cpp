// The ICE transport alone in a pipeline on two real libnice agents connected over
// loopback: RTP pushed into one side's send pads leaves on the selected pair and comes
// out of the other side's RTP pad, RTCP likewise out of its RTCP pad, with rtcp-mux on
// component 1 and without it on component 2; and the demux counts what it passed.
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "../ice/ice_test_support.hpp"
#include "ice/ice_agent.hpp"
#include "media/gst_handles.hpp"
#include "media/ice_media_transport.hpp"

namespace lanline::media {
namespace {

std::string bytes(std::initializer_list<int> octets, std::size_t pad_to) {
  std::string out;
  for (int octet : octets)
    out.push_back(static_cast<char>(octet));
  out.resize(pad_to, '\x5a');
  return out;
}
// RFC 3550 5.1: PCMU, sequence 7, timestamp 160, SSRC 0x11223344, 160 octets of payload.
const std::string kRtp = bytes({0x80, 0x00, 0x00, 0x07, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44}, 172);
// RFC 3550 6.4.1: a sender report without report blocks.
const std::string kRtcp = bytes({0x80, 200, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44}, 28);

// One side: an agent, its transport in a pipeline between appsrcs and appsinks.
struct Side {
  std::unique_ptr<ice::IceAgent> agent;
  std::unique_ptr<IceMediaTransport> transport;
  GstPtr<GstElement> pipeline;
  GstElement* rtp_in = nullptr;
  GstElement* rtcp_in = nullptr;
  GstElement* rtp_out = nullptr;
  GstElement* rtcp_out = nullptr;

  ~Side() { reset(); }
  // The pipeline stops before its transport goes, and both before the agent.
  void reset() {
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    pipeline.reset();
    transport.reset();
    agent.reset();
  }

  GstElement* add(const char* factory, const char* name) {
    GstElement* e = gst_element_factory_make(factory, name);
    gst_bin_add(GST_BIN(pipeline.get()), e);
    return e;
  }

  void build(bool mux) {
    StreamDescription stream;
    stream.rtcp_mux = mux;
    std::string error;
    transport = IceMediaTransport::create(G_OBJECT(agent->agent()), agent->stream_id(), stream,
                                          "test", error);
    ASSERT_TRUE(transport) << error;
    pipeline = GstPtr<GstElement>(gst_pipeline_new(nullptr));
    gst_object_ref_sink(pipeline.get());
    gst_bin_add_many(GST_BIN(pipeline.get()), transport->send_element(),
                     transport->receive_element(), nullptr);
    rtp_in = add("appsrc", "rtpin");
    rtcp_in = add("appsrc", "rtcpin");
    rtp_out = add("appsink", "rtpout");
    rtcp_out = add("appsink", "rtcpout");
    for (GstElement* sink : {rtp_out, rtcp_out}) {
      g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    }
    for (GstElement* src : {rtp_in, rtcp_in}) {
      g_object_set(src, "is-live", TRUE, "format", GST_FORMAT_TIME, nullptr);
    }
    ASSERT_TRUE(gst_element_link_pads(rtp_in, "src", transport->send_element(), "rtp_sink"));
    ASSERT_TRUE(gst_element_link_pads(rtcp_in, "src", transport->send_element(), "rtcp_sink"));
    ASSERT_TRUE(gst_element_link_pads(transport->receive_element(), "rtp_src", rtp_out, "sink"));
    ASSERT_TRUE(gst_element_link_pads(transport->receive_element(), "rtcp_src", rtcp_out, "sink"));
    ASSERT_NE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  }
};

void push(GstElement* appsrc, const std::string& data) {
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, data.size(), nullptr);
  gst_buffer_fill(buffer, 0, data.data(), data.size());
  ASSERT_EQ(gst_app_src_push_buffer(GST_APP_SRC(appsrc), buffer), GST_FLOW_OK);
}

class IceMediaTransportTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string gst_error;
    ASSERT_TRUE(ensure_gstreamer(gst_error)) << gst_error;
    context_ = g_main_context_new();
    for (bool controlling : {true, false}) {
      ice::IceConfig config;
      config.controlling = controlling;
      config.components = GetParam() ? 1 : 2;
      config.local_addresses = {"127.0.0.1"};
      std::string error;
      auto agent = ice::IceAgent::create(context_, config, error);
      ASSERT_TRUE(agent) << error;
      bool done = false;
      ASSERT_TRUE(agent->gather([&] { done = true; }, error)) << error;
      ASSERT_TRUE(spin_until([&] { return done; }));
      (controlling ? a_ : b_).agent = std::move(agent);
    }
    ASSERT_TRUE(a_.agent->set_remote(ice::test::as_remote(*b_.agent)));
    ASSERT_TRUE(b_.agent->set_remote(ice::test::as_remote(*a_.agent)));
    ASSERT_TRUE(spin_until([&] {
      return a_.agent->state() == ice::IceState::kConnected &&
             b_.agent->state() == ice::IceState::kConnected;
    }));
    // kConnected follows RTP's component; RTCP's has its own checks.
    if (!GetParam()) {
      ASSERT_TRUE(spin_until([&] { return a_.agent->selected(2) && b_.agent->selected(2); }));
    }
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    spin_until([] { return false; }, std::chrono::milliseconds(50));
    g_main_context_unref(context_);
  }

  bool spin_until(const std::function<bool()>& done,
                  std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    return ice::test::spin_until(context_, done, limit);
  }

  // What `appsink` got within a few seconds, the agents' context running meanwhile.
  std::optional<std::string> pull(GstElement* appsink) {
    std::optional<std::string> got;
    spin_until([&] {
      GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(appsink), GST_MSECOND);
      if (!sample) return false;
      GstBuffer* buffer = gst_sample_get_buffer(sample);
      std::string data(gst_buffer_get_size(buffer), '\0');
      gst_buffer_extract(buffer, 0, data.data(), data.size());
      gst_sample_unref(sample);
      got = std::move(data);
      return true;
    });
    return got;
  }

  GMainContext* context_ = nullptr;
  Side a_;
  Side b_;
};

TEST_P(IceMediaTransportTest, RtpAndRtcpCrossOnTheSelectedPair) {
  a_.build(GetParam());
  b_.build(GetParam());
  push(a_.rtp_in, kRtp);
  EXPECT_EQ(pull(b_.rtp_out), kRtp);
  push(b_.rtp_in, kRtp);
  EXPECT_EQ(pull(a_.rtp_out), kRtp);
  push(a_.rtcp_in, kRtcp);
  EXPECT_EQ(pull(b_.rtcp_out), kRtcp) << "RTCP did not come out of the RTCP pad";
  DemuxCounters counted = b_.transport->received();
  EXPECT_EQ(counted.rtp, 1u);
  EXPECT_EQ(counted.rtcp, 1u);
  EXPECT_EQ(counted.stun, 0u);  // libnice keeps STUN to itself
}

INSTANTIATE_TEST_SUITE_P(RtcpMux, IceMediaTransportTest, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "Mux" : "TwoComponents"; });

}  // namespace
}  // namespace lanline::media
