// The plain-UDP network end of one stream: udpsrc and udpsink on the very sockets of a
// UdpTransport, bound before the offer or answer, so RTP is symmetric (RFC 4961): the
// peer sees our packets come from the port it sends to. RTCP on its own socket, or with
// rtcp-mux (RFC 5761) on the RTP one both ways: then a funnel sends both out of the RTP
// socket, and the demux (datagram_demux.hpp) hands RTCP to an appsrc in front of
// rtpbin's RTCP pad. Built anew with each pipeline; the sockets stay for the call.
#pragma once

#include <memory>
#include <string>

#include "media/gst_handles.hpp"
#include "media/media_transport.hpp"
#include "media/udp_transport.hpp"

namespace lanline::media {

class UdpMediaTransport final : public MediaTransport {
 public:
  // For `stream` (its kind, rtcp-mux and remote address) on `sockets`, which must outlive
  // it. nullptr with `error` when an element is missing.
  static std::unique_ptr<UdpMediaTransport> create(const UdpTransport& sockets,
                                                   const StreamDescription& stream,
                                                   const std::string& name, std::string& error);
  ~UdpMediaTransport() override;

  GstElement* send_element() const override { return send_.get(); }
  GstElement* receive_element() const override { return receive_.get(); }
  void set_remote(const PlainTransport& remote) override;
  DemuxCounters received() const override;
  void on_dtls(DtlsReceiver receiver) override {
    rtp_demux_->set_dtls_receiver(std::move(receiver));
  }

 private:
  UdpMediaTransport() = default;
  void build_receive(const UdpTransport& sockets, const StreamDescription& stream,
                     const std::string& prefix);
  void build_send(const UdpTransport& sockets, const std::string& prefix);

  std::string name_;
  bool rtcp_mux_ = false;
  GstPtr<GstElement> send_;
  GstPtr<GstElement> receive_;
  GstElement* rtp_sink_ = nullptr;   // in send_
  GstElement* rtcp_sink_ = nullptr;  // nullptr with rtcp-mux (RTCP leaves by rtp_sink_)
  std::unique_ptr<DatagramDemux> rtp_demux_;
  std::unique_ptr<DatagramDemux> rtcp_demux_;  // nullptr with rtcp-mux
};

}  // namespace lanline::media
