// The plain-UDP transport alone in a pipeline, fed real datagrams on loopback: what
// arrives is sorted by RFC 7983's first-octet ranges inside the transport (RTP to its RTP
// pad, RTCP to its RTCP pad, STUN and DTLS dropped and counted), with rtcp-mux (RFC 5761)
// and with RTCP on its own socket; and what rtpbin would send leaves from the sockets
// bound, so the peer sees it come from the ports it sends to (RFC 4961).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "../net/loop_support.hpp"
#include "media/datagram_demux.hpp"
#include "media/gst_handles.hpp"
#include "media/udp_media_transport.hpp"
#include "media/udp_transport.hpp"

namespace lanline::media {
namespace {

using namespace std::chrono_literals;
using net::test::RawSocket;

std::string bytes(std::initializer_list<int> octets, std::size_t pad_to = 0) {
  std::string out;
  for (int octet : octets)
    out.push_back(static_cast<char>(octet));
  if (out.size() < pad_to) out.resize(pad_to, '\x5a');
  return out;
}

// RFC 5389 6: a Binding request, first octet 0x00.
const std::string kStun =
    bytes({0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
// RFC 6347 4.1: a DTLS 1.2 handshake record (content type 22) holding a ClientHello (1).
const std::string kDtls = bytes({22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0,    0,    0x30, 1,
                                 0,  0,    0x24, 0, 0, 0, 0, 0, 0, 0, 0x24, 0xfe, 0xfd},
                                13 + 0x30);
// RFC 3550 5.1: PCMU (PT 0), sequence 7, timestamp 160, SSRC 0x11223344, 160 octets.
const std::string kRtp =
    bytes({0x80, 0x00, 0x00, 0x07, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44}, 12 + 160);
// RFC 3550 6.4.1: a sender report (PT 200) with no report blocks, length 6 words.
const std::string kRtcp = bytes({0x80, 200, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44}, 28);
// RFC 7983 7: 64-79 is a TURN channel, which Lanline does not use.
const std::string kTurnChannel = bytes({0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4});

std::optional<std::string> pull(GstElement* appsink, GstClockTime timeout) {
  GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(appsink), timeout);
  if (!sample) return std::nullopt;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  std::string data(gst_buffer_get_size(buffer), '\0');
  gst_buffer_extract(buffer, 0, data.data(), data.size());
  gst_sample_unref(sample);
  return data;
}

void push(GstElement* appsrc, const std::string& data) {
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, data.size(), nullptr);
  gst_buffer_fill(buffer, 0, data.data(), data.size());
  ASSERT_EQ(gst_app_src_push_buffer(GST_APP_SRC(appsrc), buffer), GST_FLOW_OK);
}

// A datagram on `socket` within `timeout`, with the port it came from.
std::optional<std::pair<std::string, std::uint16_t>> receive(RawSocket& socket,
                                                             std::chrono::milliseconds timeout) {
  pollfd p{socket.fd(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buffer[2048];
  sockaddr_in from{};
  socklen_t size = sizeof from;
  ssize_t got =
      ::recvfrom(socket.fd(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &size);
  if (got < 0) return std::nullopt;
  return std::make_pair(std::string(buffer, static_cast<std::size_t>(got)), ntohs(from.sin_port));
}

// The transport's two elements in a pipeline of their own: appsinks behind its receive
// pads, appsrcs in front of its send pads, a "peer" of two plain sockets.
class TransportBench {
 public:
  explicit TransportBench(bool rtcp_mux)
      : peer_rtp_(AF_INET, SOCK_DGRAM), peer_rtcp_(AF_INET, SOCK_DGRAM) {
    std::string error;
    EXPECT_TRUE(ensure_gstreamer(error)) << error;
    sockets_ = UdpTransport::bind(false, {}, error);
    EXPECT_TRUE(sockets_) << error;
    const std::uint16_t rtp_port = peer_rtp_.bind_loopback();
    const std::uint16_t rtcp_port = peer_rtcp_.bind_loopback();
    StreamDescription stream;
    stream.rtcp_mux = rtcp_mux;
    stream.remote = PlainTransport{"127.0.0.1", rtp_port, rtcp_mux ? rtp_port : rtcp_port};
    transport_ = UdpMediaTransport::create(*sockets_, stream, "bench", error);
    EXPECT_TRUE(transport_) << error;
    if (!transport_) return;
    pipeline_ = GstPtr<GstElement>(gst_pipeline_new("bench"));
    gst_object_ref_sink(pipeline_.get());
    GstBin* bin = GST_BIN(pipeline_.get());
    gst_bin_add_many(bin, transport_->receive_element(), transport_->send_element(), nullptr);
    rtp_out_ = appsink("rtpout");
    rtcp_out_ = appsink("rtcpout");
    rtp_in_ = appsrc("rtpin", "application/x-rtp");
    rtcp_in_ = appsrc("rtcpin", "application/x-rtcp");
    EXPECT_TRUE(gst_element_link_pads(transport_->receive_element(), "rtp_src", rtp_out_, "sink"));
    EXPECT_TRUE(
        gst_element_link_pads(transport_->receive_element(), "rtcp_src", rtcp_out_, "sink"));
    EXPECT_TRUE(gst_element_link_pads(rtp_in_, "src", transport_->send_element(), "rtp_sink"));
    EXPECT_TRUE(gst_element_link_pads(rtcp_in_, "src", transport_->send_element(), "rtcp_sink"));
    EXPECT_NE(gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    EXPECT_TRUE(sender_.bind_loopback());
  }
  ~TransportBench() {
    if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    pipeline_.reset();
  }

  bool ready() const { return transport_ && pipeline_; }
  std::uint16_t rtp_port() const { return sockets_->rtp_port(); }
  std::uint16_t rtcp_port() const { return sockets_->rtcp_port(); }
  void send_to(std::uint16_t port, const std::string& datagram) {
    EXPECT_TRUE(sender_.send_to_loopback(datagram, port));
  }
  std::optional<std::string> rtp(GstClockTime timeout = 2 * GST_SECOND) {
    return pull(rtp_out_, timeout);
  }
  std::optional<std::string> rtcp(GstClockTime timeout = 2 * GST_SECOND) {
    return pull(rtcp_out_, timeout);
  }
  // The counters once `done` holds for them (they are kept on a streaming thread).
  template <class Condition>
  DemuxCounters counters_when(Condition done) {
    auto deadline = std::chrono::steady_clock::now() + 2s;
    DemuxCounters counters = transport_->received();
    while (!done(counters) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      counters = transport_->received();
    }
    return counters;
  }
  UdpMediaTransport& transport() { return *transport_; }
  GstElement* rtp_in() const { return rtp_in_; }
  GstElement* rtcp_in() const { return rtcp_in_; }
  RawSocket& peer_rtp() { return peer_rtp_; }
  RawSocket& peer_rtcp() { return peer_rtcp_; }

 private:
  GstElement* appsink(const char* name) {
    GstElement* sink = gst_element_factory_make("appsink", name);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(pipeline_.get()), sink);
    return sink;
  }
  GstElement* appsrc(const char* name, const char* caps_name) {
    GstElement* source = gst_element_factory_make("appsrc", name);
    GstCaps* caps = gst_caps_new_empty_simple(caps_name);
    g_object_set(source, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME, nullptr);
    gst_caps_unref(caps);
    gst_bin_add(GST_BIN(pipeline_.get()), source);
    return source;
  }

  RawSocket peer_rtp_;
  RawSocket peer_rtcp_;
  RawSocket sender_{AF_INET, SOCK_DGRAM};
  std::unique_ptr<UdpTransport> sockets_;
  std::unique_ptr<UdpMediaTransport> transport_;
  GstPtr<GstElement> pipeline_;
  GstElement* rtp_out_ = nullptr;
  GstElement* rtcp_out_ = nullptr;
  GstElement* rtp_in_ = nullptr;
  GstElement* rtcp_in_ = nullptr;
};

TEST(DatagramDemux, SortsByTheFirstOctet) {
  auto kind = [](const std::string& datagram) {
    return classify_datagram(reinterpret_cast<const std::uint8_t*>(datagram.data()),
                             datagram.size());
  };
  EXPECT_EQ(kind(kStun), PacketKind::kStun);
  EXPECT_EQ(kind(bytes({3, 0})), PacketKind::kStun);
  EXPECT_EQ(kind(kDtls), PacketKind::kDtls);
  EXPECT_EQ(kind(bytes({20, 0})), PacketKind::kDtls);
  EXPECT_EQ(kind(bytes({63, 0})), PacketKind::kDtls);
  EXPECT_EQ(kind(kRtp), PacketKind::kRtp);
  EXPECT_EQ(kind(bytes({0x80, 0x80 | 96})), PacketKind::kRtp);  // marker bit and PT 96
  EXPECT_EQ(kind(kRtcp), PacketKind::kRtcp);
  EXPECT_EQ(kind(bytes({0x81, 201})), PacketKind::kRtcp);  // RR
  EXPECT_EQ(kind(bytes({0x80, 223})), PacketKind::kRtcp);
  EXPECT_EQ(kind(bytes({0x80, 224})), PacketKind::kRtp);
  EXPECT_EQ(kind(bytes({191, 0})), PacketKind::kRtp);
  EXPECT_EQ(kind(kTurnChannel), PacketKind::kUnknown);
  EXPECT_EQ(kind(bytes({16, 0})), PacketKind::kUnknown);   // ZRTP
  EXPECT_EQ(kind(bytes({192, 0})), PacketKind::kUnknown);  // above RTP's range
  EXPECT_EQ(kind(bytes({0x80})), PacketKind::kUnknown);    // no second octet
  EXPECT_EQ(kind(""), PacketKind::kUnknown);
}

TEST(UdpMediaTransport, RtcpMuxSortsOnePort) {
  TransportBench bench(true);
  ASSERT_TRUE(bench.ready());
  for (const std::string* datagram : {&kStun, &kDtls, &kRtp, &kRtcp, &kTurnChannel})
    bench.send_to(bench.rtp_port(), *datagram);
  EXPECT_EQ(bench.rtp(), kRtp);
  EXPECT_EQ(bench.rtcp(), kRtcp);
  EXPECT_FALSE(bench.rtp(200 * GST_MSECOND));  // STUN, DTLS and the TURN channel went nowhere
  EXPECT_FALSE(bench.rtcp(0));
  DemuxCounters counters = bench.counters_when([](const DemuxCounters& c) { return c.unknown; });
  EXPECT_EQ(counters.rtp, 1u);
  EXPECT_EQ(counters.rtcp, 1u);
  EXPECT_EQ(counters.stun, 1u);
  EXPECT_EQ(counters.dtls, 1u);
  EXPECT_EQ(counters.unknown, 1u);
}

TEST(UdpMediaTransport, TwoSocketsEachCarryTheirOwn) {
  TransportBench bench(false);
  ASSERT_TRUE(bench.ready());
  for (const std::string* datagram : {&kStun, &kDtls, &kRtp})
    bench.send_to(bench.rtp_port(), *datagram);
  // ICE's second component would check connectivity on the RTCP port.
  for (const std::string* datagram : {&kStun, &kRtcp})
    bench.send_to(bench.rtcp_port(), *datagram);
  EXPECT_EQ(bench.rtp(), kRtp);
  EXPECT_EQ(bench.rtcp(), kRtcp);
  EXPECT_FALSE(bench.rtp(200 * GST_MSECOND));
  EXPECT_FALSE(bench.rtcp(0));
  DemuxCounters counters =
      bench.counters_when([](const DemuxCounters& c) { return c.stun == 2 && c.rtcp == 1; });
  EXPECT_EQ(counters.rtp, 1u);
  EXPECT_EQ(counters.rtcp, 1u);
  EXPECT_EQ(counters.stun, 2u);
  EXPECT_EQ(counters.dtls, 1u);
  EXPECT_EQ(counters.unknown, 0u);
}

// What rtpbin sends leaves from the bound sockets: symmetric RTP (RFC 4961); with
// rtcp-mux RTCP leaves from the RTP socket to the peer's RTP port, else from the RTCP
// socket to its RTCP port. A new remote address takes effect at once.
TEST(UdpMediaTransport, SendsFromTheBoundPorts) {
  for (bool mux : {true, false}) {
    SCOPED_TRACE(mux ? "rtcp-mux" : "two sockets");
    TransportBench bench(mux);
    ASSERT_TRUE(bench.ready());
    push(bench.rtp_in(), kRtp);
    auto rtp = receive(bench.peer_rtp(), 2000ms);
    ASSERT_TRUE(rtp);
    EXPECT_EQ(rtp->first, kRtp);
    EXPECT_EQ(rtp->second, bench.rtp_port());
    push(bench.rtcp_in(), kRtcp);
    auto rtcp = receive(mux ? bench.peer_rtp() : bench.peer_rtcp(), 2000ms);
    ASSERT_TRUE(rtcp);
    EXPECT_EQ(rtcp->first, kRtcp);
    EXPECT_EQ(rtcp->second, mux ? bench.rtp_port() : bench.rtcp_port());

    RawSocket moved(AF_INET, SOCK_DGRAM);
    const std::uint16_t port = moved.bind_loopback();
    bench.transport().set_remote(PlainTransport{"127.0.0.1", port, 0});
    push(bench.rtp_in(), kRtp);
    auto again = receive(moved, 2000ms);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->first, kRtp);
  }
}

}  // namespace
}  // namespace lanline::media
