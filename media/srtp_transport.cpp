#include "media/srtp_transport.hpp"

#include <stdexcept>

#include "media/gst_build.hpp"

namespace lanline::media {
namespace {

const char* cipher_of(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAes256Sha1_80:
    case SrtpSuite::kAes256Sha1_32:
      return "aes-256-icm";
    case SrtpSuite::kAes128Sha1_80:
    case SrtpSuite::kAes128Sha1_32:
      break;
  }
  return "aes-128-icm";
}

// RFC 4568 6.2: the _32 suites shorten the SRTP tag only; SRTCP keeps 80 bits.
const char* rtp_auth_of(SrtpSuite suite) {
  return suite == SrtpSuite::kAes128Sha1_32 || suite == SrtpSuite::kAes256Sha1_32 ? "hmac-sha1-32"
                                                                                  : "hmac-sha1-80";
}

std::size_t key_size_of(SrtpSuite suite) {
  return suite == SrtpSuite::kAes256Sha1_80 || suite == SrtpSuite::kAes256Sha1_32 ? 46 : 30;
}

GstBuffer* key_buffer(const std::vector<std::uint8_t>& key) {
  return gst_buffer_new_memdup(key.data(), key.size());
}

}  // namespace

std::unique_ptr<SrtpTransport> SrtpTransport::wrap(std::unique_ptr<MediaTransport> inner,
                                                   const StreamDescription& stream,
                                                   const std::string& name, std::string& error) {
  if (!stream.srtp) {
    error = "no SRTP keys for " + name;
    return nullptr;
  }
  auto transport = build(std::move(inner), stream, name, error);
  if (transport && !transport->set_keys(*stream.srtp)) {
    error = "the SRTP keys of " + name + " do not fit their suite";
    return nullptr;
  }
  return transport;
}

std::unique_ptr<SrtpTransport> SrtpTransport::wrap_unkeyed(std::unique_ptr<MediaTransport> inner,
                                                           const StreamDescription& stream,
                                                           const std::string& name,
                                                           std::string& error) {
  return build(std::move(inner), stream, name, error);
}

std::unique_ptr<SrtpTransport> SrtpTransport::build(std::unique_ptr<MediaTransport> inner,
                                                    const StreamDescription& stream,
                                                    const std::string& name, std::string& error) {
  if (!inner) {
    error = "no transport to protect for " + name;
    return nullptr;
  }
  std::unique_ptr<SrtpTransport> transport(new SrtpTransport());
  transport->inner_ = std::move(inner);
  const std::string prefix = "srtp" + std::to_string(stream.mline);
  try {
    transport->build_send(prefix);
    transport->build_receive(prefix);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  return transport;
}

SrtpTransport::~SrtpTransport() = default;

bool SrtpTransport::set_keys(const SrtpKeys& keys) {
  if (keys.send_key.size() != key_size_of(keys.suite) ||
      keys.receive_key.size() != key_size_of(keys.suite)) {
    return false;
  }
  {
    std::lock_guard lock(keys_mutex_);
    keys_ = keys;
  }
  key_encoder();
  const bool before = keyed_.exchange(true);
  // Whatever srtpdec asked for before (nothing: it dropped those packets) or knew (the
  // old keys) is forgotten: it asks again with the next packet of each SSRC.
  if (before) g_signal_emit_by_name(decoder_, "clear-keys");
  return true;
}

void SrtpTransport::key_encoder() {
  SrtpKeys keys;
  {
    std::lock_guard lock(keys_mutex_);
    keys = keys_;
  }
  GstBuffer* key = key_buffer(keys.send_key);
  g_object_set(encoder_, "random-key", FALSE, "key", key, nullptr);
  gst_buffer_unref(key);
  gst_util_set_object_arg(G_OBJECT(encoder_), "rtp-cipher", cipher_of(keys.suite));
  gst_util_set_object_arg(G_OBJECT(encoder_), "rtcp-cipher", cipher_of(keys.suite));
  gst_util_set_object_arg(G_OBJECT(encoder_), "rtp-auth", rtp_auth_of(keys.suite));
  gst_util_set_object_arg(G_OBJECT(encoder_), "rtcp-auth", "hmac-sha1-80");
}

// On rtpbin's streaming thread: nothing leaves before there are keys to protect it with.
GstPadProbeReturn SrtpTransport::on_unkeyed(GstPad*, GstPadProbeInfo*, gpointer self) {
  return static_cast<SrtpTransport*>(self)->keyed_.load() ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

void SrtpTransport::build_send(const std::string& prefix) {
  send_.reset(owned_bin(prefix + "-send"));
  GstElement* bin = send_.get();
  GstElement* encoder = make_element("srtpenc", "srtpenc");
  encoder_ = encoder;
  // srtpenc does not start without a key: a random one until set_keys() (nothing passes
  // the probes below before then, so nothing is ever sent with it).
  g_object_set(encoder, "random-key", TRUE, nullptr);
  // A peer without rtx gets a lost packet resent as it was (rtprtxqueue): the same
  // sequence number with the same payload, which SRTP allows (RFC 3711 3.3.2 is about a
  // different payload under the same index).
  g_object_set(encoder, "allow-repeat-tx", TRUE, nullptr);
  GstElement* network = inner_->send_element();
  gst_bin_add_many(GST_BIN(bin), encoder, network, nullptr);

  GstPtr<GstPad> rtp_in(gst_element_request_pad_simple(encoder, "rtp_sink_0"));
  GstPtr<GstPad> rtcp_in(gst_element_request_pad_simple(encoder, "rtcp_sink_0"));
  if (!rtp_in || !rtcp_in) throw std::runtime_error("srtpenc gave no sink pads");
  for (GstPad* pad : {rtp_in.get(), rtcp_in.get()}) {
    gst_pad_add_probe(
        pad,
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        &SrtpTransport::on_unkeyed, this, nullptr);
  }
  link_named_pads_or_throw(encoder, "rtp_src_0", network, "rtp_sink");
  link_named_pads_or_throw(encoder, "rtcp_src_0", network, "rtcp_sink");
  add_ghost_pad(bin, encoder, "rtp_sink_0", "rtp_sink");
  add_ghost_pad(bin, encoder, "rtcp_sink_0", "rtcp_sink");
}

void SrtpTransport::build_receive(const std::string& prefix) {
  receive_.reset(owned_bin(prefix + "-receive"));
  GstElement* bin = receive_.get();
  GstElement* decoder = make_element("srtpdec", "srtpdec");
  decoder_ = decoder;
  g_signal_connect(decoder, "request-key", G_CALLBACK(&SrtpTransport::on_request_key), this);
  GstElement* network = inner_->receive_element();
  gst_bin_add_many(GST_BIN(bin), network, decoder, nullptr);
  link_named_pads_or_throw(network, "rtp_src", decoder, "rtp_sink");
  link_named_pads_or_throw(network, "rtcp_src", decoder, "rtcp_sink");
  add_ghost_pad(bin, decoder, "rtp_src", "rtp_src");
  add_ghost_pad(bin, decoder, "rtcp_src", "rtcp_src");
}

// On the network's streaming thread, for each new SSRC of the peer's (its codec's, its
// rtx's): the peer's key, the same for all of them (RFC 4568 6.1).
GstCaps* SrtpTransport::on_request_key(GstElement* /*decoder*/, guint /*ssrc*/, gpointer data) {
  auto* self = static_cast<SrtpTransport*>(data);
  if (!self->keyed_.load()) return nullptr;  // dropped until the handshake is done
  SrtpKeys keys;
  {
    std::lock_guard lock(self->keys_mutex_);
    keys = self->keys_;
  }
  GstBuffer* key = key_buffer(keys.receive_key);
  GstCaps* caps = gst_caps_new_simple(
      "application/x-srtp", "srtp-key", GST_TYPE_BUFFER, key, "srtp-cipher", G_TYPE_STRING,
      cipher_of(keys.suite), "srtp-auth", G_TYPE_STRING, rtp_auth_of(keys.suite), "srtcp-cipher",
      G_TYPE_STRING, cipher_of(keys.suite), "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", nullptr);
  gst_buffer_unref(key);
  return caps;
}

}  // namespace lanline::media
