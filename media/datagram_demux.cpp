#include "media/datagram_demux.hpp"

#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace lanline::media {

DemuxCounters& DemuxCounters::operator+=(const DemuxCounters& other) {
  rtp += other.rtp;
  rtcp += other.rtcp;
  stun += other.stun;
  dtls += other.dtls;
  unknown += other.unknown;
  return *this;
}

DatagramDemux::DatagramDemux(std::string name, Flow flow, GstElement* rtcp_out)
    : name_(std::move(name)), flow_(flow), rtcp_out_(rtcp_out) {}

DatagramDemux::~DatagramDemux() {
  if (pad_) {
    gst_pad_remove_probe(pad_, probe_);
    gst_object_unref(pad_);
  }
}

void DatagramDemux::attach(GstPad* pad) {
  pad_ = GST_PAD(gst_object_ref(pad));
  probe_ =
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &DatagramDemux::on_buffer, this, nullptr);
}

DemuxCounters DatagramDemux::counters() const {
  DemuxCounters counters;
  counters.rtp = rtp_.load(std::memory_order_relaxed);
  counters.rtcp = rtcp_.load(std::memory_order_relaxed);
  counters.stun = stun_.load(std::memory_order_relaxed);
  counters.dtls = dtls_.load(std::memory_order_relaxed);
  counters.unknown = unknown_.load(std::memory_order_relaxed);
  return counters;
}

// On the source's streaming thread, for every datagram.
GstPadProbeReturn DatagramDemux::on_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<DatagramDemux*>(data);
  try {
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    return buffer ? self->sort(buffer) : GST_PAD_PROBE_OK;
  } catch (const std::exception& e) {
    spdlog::error("{}: received datagram: {}", self->name_, e.what());
  }
  return GST_PAD_PROBE_DROP;
}

GstPadProbeReturn DatagramDemux::sort(GstBuffer* buffer) {
  std::uint8_t head[2] = {0, 0};
  const std::size_t size = gst_buffer_extract(buffer, 0, head, sizeof head);
  switch (classify_datagram(head, size)) {
    case PacketKind::kStun:
      stun_.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("{}: STUN datagram of {} bytes dropped (no ICE on this stream)", name_,
                    gst_buffer_get_size(buffer));
      return GST_PAD_PROBE_DROP;
    case PacketKind::kDtls:
      dtls_.fetch_add(1, std::memory_order_relaxed);
      if (dtls_receiver_) {
        GstMapInfo map;
        if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
          dtls_receiver_(map.data, map.size);
          gst_buffer_unmap(buffer, &map);
        }
        return GST_PAD_PROBE_DROP;
      }
      spdlog::debug("{}: DTLS datagram of {} bytes dropped (no DTLS-SRTP on this stream)", name_,
                    gst_buffer_get_size(buffer));
      return GST_PAD_PROBE_DROP;
    case PacketKind::kUnknown:
      unknown_.fetch_add(1, std::memory_order_relaxed);
      return GST_PAD_PROBE_DROP;
    case PacketKind::kRtcp:
      if (flow_ == Flow::kRtpAndRtcp) {
        rtcp_.fetch_add(1, std::memory_order_relaxed);
        // A copy of its own: srtpdec decrypts SRTCP in place, and handing it the
        // source's buffer corrupted udpsrc's memory ("Failed to map memory", its
        // stream stopped; AudioSession.SrtpCarriesBothTones). One RTCP packet a second.
        gst_app_src_push_buffer(GST_APP_SRC(rtcp_out_), gst_buffer_copy_deep(buffer));
        return GST_PAD_PROBE_DROP;
      }
      break;
    case PacketKind::kRtp:
      break;
  }
  // Without rtcp-mux a flow is what its port is for: rtpbin checks the packets (RFC 3550
  // A.1, A.2) and drops what does not fit, as it did before this sorting existed.
  (flow_ == Flow::kRtcp ? rtcp_ : rtp_).fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

}  // namespace lanline::media
