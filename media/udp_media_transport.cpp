#include "media/udp_media_transport.hpp"

#include <stdexcept>

#include "media/gst_build.hpp"

namespace lanline::media {
namespace {

void set_send_socket(GstElement* udpsink, GSocket* socket) {
  // multiudpsink keeps one socket per family; a given IPv6 socket goes in socket-v6.
  const bool v6 = g_socket_get_family(socket) == G_SOCKET_FAMILY_IPV6;
  g_object_set(udpsink, v6 ? "socket-v6" : "socket", socket, "close-socket", FALSE, "sync", FALSE,
               "async", FALSE, nullptr);
}

}  // namespace

std::unique_ptr<UdpMediaTransport> UdpMediaTransport::create(const UdpTransport& sockets,
                                                             const StreamDescription& stream,
                                                             const std::string& name,
                                                             std::string& error) {
  std::unique_ptr<UdpMediaTransport> transport(new UdpMediaTransport());
  transport->name_ = name;
  transport->rtcp_mux_ = stream.rtcp_mux;
  const std::string prefix = "udp" + std::to_string(stream.mline);
  try {
    transport->build_receive(sockets, stream, prefix);
    transport->build_send(sockets, prefix);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  transport->set_remote(stream.plain());
  return transport;
}

UdpMediaTransport::~UdpMediaTransport() = default;

void UdpMediaTransport::build_receive(const UdpTransport& sockets, const StreamDescription& stream,
                                      const std::string& prefix) {
  receive_.reset(owned_bin(prefix + "-receive"));
  GstElement* bin = receive_.get();
  GstElement* rtp_source = make_element("udpsrc", "rtpsrc");
  GstCaps* rtp_caps =
      gst_caps_new_simple(network_rtp_caps(stream), "media", G_TYPE_STRING,
                          stream.kind == StreamKind::kVideo ? "video" : "audio", nullptr);
  g_object_set(rtp_source, "socket", sockets.rtp_socket(), "close-socket", FALSE, "caps", rtp_caps,
               nullptr);
  gst_caps_unref(rtp_caps);
  gst_bin_add(GST_BIN(bin), rtp_source);
  GstPtr<GstPad> rtp_pad(gst_element_get_static_pad(rtp_source, "src"));

  GstElement* rtcp_source = nullptr;
  GstCaps* rtcp_caps = gst_caps_new_empty_simple(network_rtcp_caps(stream));
  if (rtcp_mux_) {
    rtcp_source = make_element("appsrc", "rtcpsrc");
    g_object_set(rtcp_source, "caps", rtcp_caps, "is-live", TRUE, "format", GST_FORMAT_TIME,
                 nullptr);
    rtp_demux_ =
        std::make_unique<DatagramDemux>(name_, DatagramDemux::Flow::kRtpAndRtcp, rtcp_source);
  } else {
    rtcp_source = make_element("udpsrc", "rtcpsrc");
    g_object_set(rtcp_source, "socket", sockets.rtcp_socket(), "close-socket", FALSE, "caps",
                 rtcp_caps, nullptr);
    rtp_demux_ = std::make_unique<DatagramDemux>(name_, DatagramDemux::Flow::kRtp);
    rtcp_demux_ = std::make_unique<DatagramDemux>(name_, DatagramDemux::Flow::kRtcp);
    GstPtr<GstPad> rtcp_pad(gst_element_get_static_pad(rtcp_source, "src"));
    rtcp_demux_->attach(rtcp_pad.get());
  }
  gst_caps_unref(rtcp_caps);
  gst_bin_add(GST_BIN(bin), rtcp_source);
  rtp_demux_->attach(rtp_pad.get());
  add_ghost_pad(bin, rtp_source, "src", "rtp_src");
  add_ghost_pad(bin, rtcp_source, "src", "rtcp_src");
}

void UdpMediaTransport::build_send(const UdpTransport& sockets, const std::string& prefix) {
  send_.reset(owned_bin(prefix + "-send"));
  GstElement* bin = send_.get();
  rtp_sink_ = make_element("udpsink", "rtpsink");
  set_send_socket(rtp_sink_, sockets.rtp_socket());
  gst_bin_add(GST_BIN(bin), rtp_sink_);
  if (rtcp_mux_) {
    // RFC 5761: RTP and RTCP share the RTP socket both ways.
    GstElement* funnel = make_element("funnel", "muxfunnel");
    gst_bin_add(GST_BIN(bin), funnel);
    link_or_throw(funnel, rtp_sink_);
    ghost_request_pad(bin, funnel, "rtp_sink");
    ghost_request_pad(bin, funnel, "rtcp_sink");
    return;
  }
  add_ghost_pad(bin, rtp_sink_, "sink", "rtp_sink");
  rtcp_sink_ = make_element("udpsink", "rtcpsink");
  set_send_socket(rtcp_sink_, sockets.rtcp_socket());
  gst_bin_add(GST_BIN(bin), rtcp_sink_);
  add_ghost_pad(bin, rtcp_sink_, "sink", "rtcp_sink");
}

void UdpMediaTransport::set_remote(const PlainTransport& remote) {
  const std::uint16_t rtcp_port =
      rtcp_mux_
          ? remote.rtp_port
          : (remote.rtcp_port ? remote.rtcp_port : static_cast<std::uint16_t>(remote.rtp_port + 1));
  g_object_set(rtp_sink_, "host", remote.address.c_str(), "port",
               static_cast<gint>(remote.rtp_port), nullptr);
  if (rtcp_sink_) {
    g_object_set(rtcp_sink_, "host", remote.address.c_str(), "port", static_cast<gint>(rtcp_port),
                 nullptr);
  }
}

DemuxCounters UdpMediaTransport::received() const {
  DemuxCounters counters = rtp_demux_->counters();
  if (rtcp_demux_) counters += rtcp_demux_->counters();
  return counters;
}

}  // namespace lanline::media
