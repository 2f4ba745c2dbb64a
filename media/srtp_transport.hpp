// SRTP (RFC 3711) around a stream's network end: what rtpbin sends is encrypted and
// authenticated by srtpenc before the inner transport sends it, and what the inner
// transport receives (SRTP and SRTCP, network_rtp_caps()) is checked and decrypted by
// srtpdec before rtpbin sees it; a packet that fails its authentication is dropped there.
// The keys are the stream's: agreed by SDES (StreamDescription::srtp) when it is built, or
// made by its DTLS handshake (dtls_handshake.hpp), perhaps later: until set_keys() nothing
// is sent and nothing received goes further. Ours for every SSRC we send (the codec's and
// rtx's), the peer's for every SSRC it sends.
//
//   rtpbin ─ srtpenc ─ inner send            inner receive ─ srtpdec ─ rtpbin
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "media/gst_handles.hpp"
#include "media/media_transport.hpp"

namespace lanline::media {

class SrtpTransport final : public MediaTransport {
 public:
  // `inner` built for `stream` (so it gives SRTP caps); nullptr with `error` when the
  // srtp plugin (gstreamer1.0-plugins-bad) is missing or the keys do not fit the suite.
  static std::unique_ptr<SrtpTransport> wrap(std::unique_ptr<MediaTransport> inner,
                                             const StreamDescription& stream,
                                             const std::string& name, std::string& error);
  // The same for keys that come later (DTLS-SRTP): set_keys() gives them.
  static std::unique_ptr<SrtpTransport> wrap_unkeyed(std::unique_ptr<MediaTransport> inner,
                                                     const StreamDescription& stream,
                                                     const std::string& name, std::string& error);
  // From now on, these (any thread). false when they do not fit their suite.
  bool set_keys(const SrtpKeys& keys);
  bool keyed() const { return keyed_.load(); }
  ~SrtpTransport() override;

  GstElement* send_element() const override { return send_.get(); }
  GstElement* receive_element() const override { return receive_.get(); }
  void set_remote(const PlainTransport& remote) override { inner_->set_remote(remote); }
  DemuxCounters received() const override { return inner_->received(); }
  void on_dtls(DtlsReceiver receiver) override { inner_->on_dtls(std::move(receiver)); }

 private:
  SrtpTransport() = default;
  static std::unique_ptr<SrtpTransport> build(std::unique_ptr<MediaTransport> inner,
                                              const StreamDescription& stream,
                                              const std::string& name, std::string& error);
  void build_send(const std::string& prefix);
  void build_receive(const std::string& prefix);
  void key_encoder();
  static GstCaps* on_request_key(GstElement* decoder, guint ssrc, gpointer self);
  static GstPadProbeReturn on_unkeyed(GstPad* pad, GstPadProbeInfo* info, gpointer self);

  std::unique_ptr<MediaTransport> inner_;
  mutable std::mutex keys_mutex_;
  SrtpKeys keys_;  // under keys_mutex_
  std::atomic<bool> keyed_{false};
  GstElement* encoder_ = nullptr;  // in send_
  GstElement* decoder_ = nullptr;  // in receive_
  GstPtr<GstElement> send_;
  GstPtr<GstElement> receive_;
};

}  // namespace lanline::media
