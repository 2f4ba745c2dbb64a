// The ICE network end of one stream: nicesrc and nicesink on the components of a libnice
// agent's stream (ice/ice_agent.hpp owns the agent and runs the checks). RTP and RTCP
// leave on the pair the checks selected, not to c=/m=; with rtcp-mux (RFC 5761) both use
// component 1 and the demux (datagram_demux.hpp) hands RTCP to an appsrc in front of
// rtpbin's RTCP pad, as on plain UDP; without it RTCP has component 2. STUN never reaches
// the pipeline: libnice answers it. Built anew with each pipeline; the agent stays for the
// call, and a restart that gathers anew moves it to the agent's new stream.
#pragma once

#include <glib-object.h>

#include <memory>
#include <string>

#include "media/gst_handles.hpp"
#include "media/media_transport.hpp"

namespace lanline::media {

class IceMediaTransport final : public MediaTransport {
 public:
  // For `stream` (its kind and rtcp-mux) on `stream_id` of `agent` (a NiceAgent), which
  // must outlive it and have component 2 when the stream does not multiplex. nullptr with
  // `error` when an element is missing (gstreamer1.0-nice).
  static std::unique_ptr<IceMediaTransport> create(GObject* agent, unsigned stream_id,
                                                   const StreamDescription& stream,
                                                   const std::string& name, std::string& error);
  ~IceMediaTransport() override;

  GstElement* send_element() const override { return send_.get(); }
  GstElement* receive_element() const override { return receive_.get(); }
  // The pair the checks select is where media goes; c=/m= says nothing here.
  void set_remote(const PlainTransport& /*remote*/) override {}
  DemuxCounters received() const override;
  void on_dtls(DtlsReceiver receiver) override {
    rtp_demux_->set_dtls_receiver(std::move(receiver));
  }
  // Moves to another stream of the same agent (an ICE restart that gathered anew,
  // ice::IceAgent::regather) while the pipeline runs: the sinks send on it from their next
  // buffer, and each nicesrc starts again attached to it. The rest of the pipeline, and
  // a recording, go on.
  void switch_stream(unsigned stream_id);

 private:
  IceMediaTransport() = default;
  void build_receive(const StreamDescription& stream, const std::string& prefix);
  void build_send(const std::string& prefix);
  GstElement* nice_element(const char* factory, const char* name, unsigned component) const;

  std::string name_;
  GObject* agent_ = nullptr;
  unsigned stream_id_ = 0;
  bool rtcp_mux_ = false;
  GstPtr<GstElement> send_;
  GstPtr<GstElement> receive_;
  std::unique_ptr<DatagramDemux> rtp_demux_;
  std::unique_ptr<DatagramDemux> rtcp_demux_;  // nullptr with rtcp-mux
};

}  // namespace lanline::media
