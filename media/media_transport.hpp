// What a call pipeline needs from one stream's network end, whatever carries it: plain
// UDP sockets (udp_media_transport.hpp) today, an ICE component pair (nicesrc/nicesink)
// later, with DTLS-SRTP on top. The pipeline links these elements to the stream's rtpbin
// session and knows nothing else of the network; the branches do not see them at all.
//
// Two elements, not one: rtpbin sits between them both ways, so one bin that both sent
// and received would close a loop in the pipeline's graph (GStreamer then warns "loop
// detected in the graph" on every state change and orders the changes as it can).
// webrtcbin splits its transports into a send and a receive bin for the same reason.
#pragma once

#include <gst/gst.h>

#include <cstddef>
#include <cstdint>
#include <functional>

#include "common/stream_description.hpp"
#include "media/datagram_demux.hpp"

namespace lanline::media {

// The caps of what a stream's network end gives the pipeline: SRTP and SRTCP when the
// stream is protected, by SDES or DTLS (srtp_transport.hpp decrypts them), RTP and RTCP
// otherwise.
inline bool protected_stream(const StreamDescription& stream) {
  return stream.srtp.has_value() || stream.dtls.has_value();
}
inline const char* network_rtp_caps(const StreamDescription& stream) {
  return protected_stream(stream) ? "application/x-srtp" : "application/x-rtp";
}
inline const char* network_rtcp_caps(const StreamDescription& stream) {
  return protected_stream(stream) ? "application/x-srtcp" : "application/x-rtcp";
}

class MediaTransport {
 public:
  virtual ~MediaTransport() = default;

  // Sends what rtpbin gives it: sink pads "rtp_sink" and "rtcp_sink" (with rtcp-mux both
  // leave on the RTP flow, RFC 5761). Kept alive by the transport; the pipeline adds it.
  virtual GstElement* send_element() const = 0;
  // What arrived, sorted (datagram_demux.hpp): src pads "rtp_src" and "rtcp_src"; STUN,
  // DTLS and anything else never leave it.
  virtual GstElement* receive_element() const = 0;
  // Where a peer without ICE receives (c=, m=, a=rtcp), changed live. An ICE transport
  // sends on the pair its checks select instead, and ignores this.
  virtual void set_remote(const PlainTransport& remote) = 0;
  // What has arrived so far, by kind. Any thread.
  virtual DemuxCounters received() const = 0;
  // DTLS records that arrive on the RTP flow (RFC 7983: first octet 20-63) go to
  // `receiver`, on the streaming thread; without one they are dropped and counted. Set
  // before the pipeline starts.
  virtual void on_dtls(DtlsReceiver receiver) = 0;
};

}  // namespace lanline::media
