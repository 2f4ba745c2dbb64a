#include "media/ice_media_transport.hpp"

#include <stdexcept>

#include "media/gst_build.hpp"

namespace lanline::media {

std::unique_ptr<IceMediaTransport> IceMediaTransport::create(GObject* agent, unsigned stream_id,
                                                             const StreamDescription& stream,
                                                             const std::string& name,
                                                             std::string& error) {
  std::unique_ptr<IceMediaTransport> transport(new IceMediaTransport());
  transport->name_ = name;
  transport->agent_ = agent;
  transport->stream_id_ = stream_id;
  transport->rtcp_mux_ = stream.rtcp_mux;
  const std::string prefix = "ice" + std::to_string(stream.mline);
  try {
    transport->build_receive(stream, prefix);
    transport->build_send(prefix);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  return transport;
}

IceMediaTransport::~IceMediaTransport() = default;

GstElement* IceMediaTransport::nice_element(const char* factory, const char* name,
                                            unsigned component) const {
  GstElement* element = make_element(factory, name);
  g_object_set(element, "agent", agent_, "stream", stream_id_, "component", component, nullptr);
  return element;
}

void IceMediaTransport::build_receive(const StreamDescription& stream, const std::string& prefix) {
  receive_.reset(owned_bin(prefix + "-receive"));
  GstElement* bin = receive_.get();
  // nicesrc says nothing of what it carries: the caps come from a filter behind it.
  GstElement* rtp_source = nice_element("nicesrc", "rtpsrc", 1);
  GstElement* rtp_caps = capsfilter(
      gst_caps_new_simple(network_rtp_caps(stream), "media", G_TYPE_STRING,
                          stream.kind == StreamKind::kVideo ? "video" : "audio", nullptr));
  gst_bin_add_many(GST_BIN(bin), rtp_source, rtp_caps, nullptr);
  link_or_throw(rtp_source, rtp_caps);
  GstPtr<GstPad> rtp_pad(gst_element_get_static_pad(rtp_source, "src"));

  GstElement* rtcp_out = nullptr;
  if (rtcp_mux_) {
    rtcp_out = make_element("appsrc", "rtcpsrc");
    GstCaps* caps = gst_caps_new_empty_simple(network_rtcp_caps(stream));
    g_object_set(rtcp_out, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME, nullptr);
    gst_caps_unref(caps);
    gst_bin_add(GST_BIN(bin), rtcp_out);
    rtp_demux_ = std::make_unique<DatagramDemux>(name_, DatagramDemux::Flow::kRtpAndRtcp, rtcp_out);
  } else {
    GstElement* rtcp_source = nice_element("nicesrc", "rtcpsrc", 2);
    rtcp_out = capsfilter(gst_caps_new_empty_simple(network_rtcp_caps(stream)));
    gst_bin_add_many(GST_BIN(bin), rtcp_source, rtcp_out, nullptr);
    link_or_throw(rtcp_source, rtcp_out);
    rtp_demux_ = std::make_unique<DatagramDemux>(name_, DatagramDemux::Flow::kRtp);
    rtcp_demux_ = std::make_unique<DatagramDemux>(name_, DatagramDemux::Flow::kRtcp);
    GstPtr<GstPad> rtcp_pad(gst_element_get_static_pad(rtcp_source, "src"));
    rtcp_demux_->attach(rtcp_pad.get());
  }
  rtp_demux_->attach(rtp_pad.get());
  add_ghost_pad(bin, rtp_caps, "src", "rtp_src");
  add_ghost_pad(bin, rtcp_out, "src", "rtcp_src");
}

void IceMediaTransport::build_send(const std::string& prefix) {
  send_.reset(owned_bin(prefix + "-send"));
  GstElement* bin = send_.get();
  GstElement* rtp_sink = nice_element("nicesink", "rtpsink", 1);
  g_object_set(rtp_sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(bin), rtp_sink);
  if (rtcp_mux_) {
    GstElement* funnel = make_element("funnel", "muxfunnel");
    gst_bin_add(GST_BIN(bin), funnel);
    link_or_throw(funnel, rtp_sink);
    ghost_request_pad(bin, funnel, "rtp_sink");
    ghost_request_pad(bin, funnel, "rtcp_sink");
    return;
  }
  add_ghost_pad(bin, rtp_sink, "sink", "rtp_sink");
  GstElement* rtcp_sink = nice_element("nicesink", "rtcpsink", 2);
  g_object_set(rtcp_sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(bin), rtcp_sink);
  add_ghost_pad(bin, rtcp_sink, "sink", "rtcp_sink");
}

void IceMediaTransport::switch_stream(unsigned stream_id) {
  if (stream_id == stream_id_) return;
  stream_id_ = stream_id;
  for (GstElement* bin : {send_.get(), receive_.get()}) {
    for (const char* name : {"rtpsink", "rtcpsink", "rtpsrc", "rtcpsrc"}) {
      GstPtr<GstElement> element(gst_bin_get_by_name(GST_BIN(bin), name));
      if (!element || !g_object_class_find_property(G_OBJECT_GET_CLASS(element.get()), "stream"))
        continue;  // rtcp-mux's rtcpsrc is an appsrc
      const bool source = g_str_has_suffix(name, "src");
      // nicesrc attaches to its stream going to PAUSED and detaches going back to READY.
      if (source) gst_element_set_state(element.get(), GST_STATE_READY);
      g_object_set(element.get(), "stream", stream_id, nullptr);
      if (source) gst_element_sync_state_with_parent(element.get());
    }
  }
}

DemuxCounters IceMediaTransport::received() const {
  DemuxCounters counters = rtp_demux_->counters();
  if (rtcp_demux_) counters += rtcp_demux_->counters();
  return counters;
}

}  // namespace lanline::media
