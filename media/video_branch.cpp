#include "media/video_branch.hpp"

#include <gst/app/gstappsink.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "glib_support/callbacks.hpp"
#include "media/audio_branch.hpp"  // codec_to_send
#include "media/gst_build.hpp"

namespace lanline::media {
namespace {

// RTP packets stay under what a TURN relay and an IPv6 path leave of a 1500-byte MTU.
constexpr guint kRtpMtu = 1200;
// A key frame at least this often: 10 s when the peer asks for one after a loss (PLI or
// FIR), 2 s when it cannot, so that it sees a picture soon after the call starts and
// after each loss.
constexpr int kKeyFrameEverySeconds = 10;
constexpr int kKeyFrameEverySecondsWithoutFeedback = 2;
// A peer may ask for key frames as often as it likes (a PLI flood): the encoder makes
// at most one in this time, and a key frame costs several inter frames' bits.
constexpr guint64 kMinKeyFrameInterval = 500 * GST_MSECOND;
// The self view need not run at the camera's rate nor size: it is a small picture in a
// corner (a quarter of the sent size each way: 320x180 for 720p).
constexpr int kSelfViewFps = 15;
constexpr int kSelfViewDivisor = 4;
// With NACK, how long the jitter buffer waits for a missing packet (asking for it again
// meanwhile) before it gives the frame up and the depayloader asks for a key frame. A
// LAN's round trip is a millisecond; what the wait must cover is a resend lost too, and
// two busy hosts. Packets in order are passed on at once (the picture sinks do not
// sync), so the wait costs only when one is missing.
constexpr guint kRetransmissionWaitMs = 150;
// What the sender keeps to resend: a few seconds of a 2.5 Mbit/s shared screen.
constexpr guint kResendablePackets = 1000;
// The send rate never goes below this share of what the encoder was asked for: a picture
// at a tenth of its rate is still a picture.
constexpr int kLowestRateDivisor = 10;
// How often the send rate is set again (RTCP goes every second).
constexpr guint kRateTickMs = 1000;
// Until a key frame comes, every broken frame asks for one: at most one request (PLI)
// goes to the peer in this time. A LAN's round trip and an encoder's frame fit in it
// many times over; what it stops is 28 PLIs a second seen while a key frame was on its way.
constexpr std::int64_t kKeyFrameRequestGapNs = 200'000'000;

// rtprtxsend's and rtprtxreceive's payload-type-map: the codec's type to its rtx type.
GstStructure* rtx_payload_map(int original, int rtx) {
  GstStructure* map = gst_structure_new_empty("application/x-rtp-pt-map");
  gst_structure_set(map, std::to_string(original).c_str(), G_TYPE_UINT, static_cast<guint>(rtx),
                    nullptr);
  return map;
}

// A bin around one rtprtx element with the pads rtpbin links its aux elements by.
GstElement* aux_bin(GstElement* element, unsigned session) {
  GstElement* bin = gst_bin_new(nullptr);
  gst_bin_add(GST_BIN(bin), element);
  add_ghost_pad(bin, element, "sink", ("sink_" + std::to_string(session)).c_str());
  add_ghost_pad(bin, element, "src", ("src_" + std::to_string(session)).c_str());
  return bin;
}

// A queue that never holds its branch back: past `buffers` frames the oldest is dropped.
GstElement* leaky_queue(const char* name, guint buffers) {
  GstElement* queue = make_element("queue", name);
  g_object_set(queue, "max-size-buffers", buffers, "max-size-time", G_GUINT64_CONSTANT(0),
               "max-size-bytes", 0u, nullptr);
  gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
  return queue;
}

guint64 uint_property(GstElement* element, const char* name) {
  guint value = 0;
  if (element && name) g_object_get(element, name, &value, nullptr);
  return value;
}

bool has_feedback(const NegotiatedCodec& codec, std::string_view value) {
  return std::find(codec.rtcp_feedback.begin(), codec.rtcp_feedback.end(), value) !=
         codec.rtcp_feedback.end();
}

}  // namespace

std::optional<VideoSource> parse_video_source(std::string_view text, std::string& error) {
  VideoSource source;
  if (text.empty() || text == "none") return source;
  if (text == "test") {
    source.kind = VideoSource::Kind::kTest;
    return source;
  }
  if (text.rfind("test:", 0) == 0) {
    // A few of videotestsrc's pictures besides the bars: tests tell two sides apart.
    static constexpr std::string_view kPatterns[] = {"smpte", "smpte75", "smpte100", "ball",
                                                     "red",   "green",   "blue",     "white",
                                                     "black", "snow",    "circular", "bar"};
    const std::string_view pattern = text.substr(5);
    for (std::string_view known : kPatterns) {
      if (pattern == known) {
        source.kind = VideoSource::Kind::kTest;
        source.device = std::string(pattern);
        return source;
      }
    }
    error = "unknown test picture '" + std::string(pattern) +
            "': use smpte, smpte75, smpte100, ball, red, green, blue, white, black, snow, "
            "circular or bar";
    return std::nullopt;
  }
  if (text == "screen") {
    source.kind = VideoSource::Kind::kScreen;
    return source;
  }
  if (text == "device" || text.rfind("device:", 0) == 0) {
    source.kind = VideoSource::Kind::kDevice;
    if (text.size() > 7) source.device = std::string(text.substr(7));
    return source;
  }
  error = "unknown video source '" + std::string(text) +
          "': use none, test (colour bars), device or device:/dev/videoN (a camera), or screen";
  return std::nullopt;
}

bool VideoBranch::takes_live(const StreamDescription& built, const StreamDescription& next) {
  const NegotiatedCodec* a = codec_to_send(built);
  const NegotiatedCodec* b = codec_to_send(next);
  return a && b && *a == *b && built.codecs == next.codecs && built.rtcp_mux == next.rtcp_mux;
}

VideoBranch::VideoBranch(const StreamSlot& slot, VideoBranchConfig config)
    : slot_(slot),
      config_(std::move(config)),
      send_rate_(config_.bitrate_kbps, config_.bitrate_kbps / kLowestRateDivisor) {}

VideoBranch::~VideoBranch() {
  if (rtcp_session_) g_signal_handlers_disconnect_by_data(rtcp_session_.get(), this);
}

std::unique_ptr<VideoBranch> VideoBranch::create(const StreamSlot& slot, VideoBranchConfig config,
                                                 std::string& error) {
  const NegotiatedCodec* send = codec_to_send(config.stream);
  if (!send || (send->codec != Codec::kVp8 && send->codec != Codec::kH264)) {
    error = "no agreed video codec to send";
    return nullptr;
  }
  const NegotiatedCodec codec = *send;
  std::unique_ptr<VideoBranch> branch(new VideoBranch(slot, std::move(config)));
  branch->receive_pt_ = codec.receive_pt >= 0 ? codec.receive_pt : codec.send_pt;
  branch->codec_ = codec.codec;
  branch->feedback_pli_ = has_feedback(codec, "nack pli");
  branch->feedback_fir_ = has_feedback(codec, "ccm fir");
  branch->feedback_nack_ = has_feedback(codec, "nack");
  branch->send_pt_ = codec.send_pt;
  branch->rtx_send_pt_ = codec.rtx_send_pt;
  branch->rtx_receive_pt_ = codec.rtx_receive_pt;
  branch->receiving_ = branch->config_.stream.receive;
  const std::string prefix = "video" + std::to_string(branch->config_.stream.mline);
  branch->send_.reset(owned_bin(prefix + "-send"));
  branch->receive_.reset(owned_bin(prefix + "-receive"));
  try {
    branch->build_send(codec);
    branch->build_receive();
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  return branch;
}

GstElement* VideoBranch::make_source() {
  switch (config_.source.kind) {
    case VideoSource::Kind::kTest: {
      GstElement* source = make_element("videotestsrc", "camera");
      const std::string pattern = config_.source.device.empty() ? "smpte" : config_.source.device;
      gst_util_set_object_arg(G_OBJECT(source), "pattern", pattern.c_str());
      g_object_set(source, "is-live", TRUE, nullptr);
      return source;
    }
    case VideoSource::Kind::kDevice: {
      GstElement* source = make_element("v4l2src", "camera");
      if (!config_.source.device.empty())
        g_object_set(source, "device", config_.source.device.c_str(), nullptr);
      return source;
    }
    case VideoSource::Kind::kScreen: {
      if (PortalScreen::wanted()) {
        // A Wayland desktop: no X screen to read; the desktop portal hands over a
        // PipeWire stream of the monitor the user picks in the desktop's own dialog.
        std::string error;
        portal_ = PortalScreen::open(error);
        if (!portal_) throw std::runtime_error(error);
        GstElement* source = make_element("pipewiresrc", "camera");
        // A screen that stands still sends no frame: the last one again each second
        // keeps the encoder (and a peer joining late) fed.
        g_object_set(source, "fd", portal_->fd(), "path", std::to_string(portal_->node()).c_str(),
                     "do-timestamp", TRUE, "keepalive-time", 1000, "always-copy", TRUE, nullptr);
        return source;
      }
      GstElement* source = make_element("ximagesrc", "camera");
      g_object_set(source, "use-damage", FALSE, "show-pointer", TRUE, nullptr);
      if (const auto& area = config_.source.area; area && area->width > 0 && area->height > 0) {
        // One monitor of the screen: ximagesrc's corners are inclusive.
        g_object_set(source, "startx", static_cast<guint>(area->x), "starty",
                     static_cast<guint>(area->y), "endx",
                     static_cast<guint>(area->x + area->width - 1), "endy",
                     static_cast<guint>(area->y + area->height - 1), nullptr);
      }
      return source;
    }
    case VideoSource::Kind::kNone:
      break;
  }
  // Nothing to show: black frames at a low rate keep the stream (and the peer's decoder)
  // going while we only receive.
  GstElement* source = make_element("videotestsrc", "camera");
  gst_util_set_object_arg(G_OBJECT(source), "pattern", "black");
  g_object_set(source, "is-live", TRUE, nullptr);
  return source;
}

GstElement* VideoBranch::frame_sink(const char* name, bool remote) {
  GstElement* sink = make_element("appsink", name);
  // Raw frames as they are (I420): LatestFrame converts only those someone looks at.
  GstCaps* caps = gst_caps_new_empty_simple("video/x-raw");
  g_object_set(sink, "caps", caps, "emit-signals", TRUE, "sync", FALSE, "async", FALSE,
               "max-buffers", 1u, "drop", TRUE, "enable-last-sample", FALSE, nullptr);
  gst_caps_unref(caps);
  g_signal_connect(
      sink, "new-sample",
      G_CALLBACK(remote ? &VideoBranch::on_remote_sample : &VideoBranch::on_local_sample), this);
  return sink;
}

GstFlowReturn VideoBranch::on_remote_sample(GstElement* sink, gpointer self) {
  auto* branch = static_cast<VideoBranch*>(self);
  branch->take_sample(sink, *branch->remote_);
  return GST_FLOW_OK;
}

GstFlowReturn VideoBranch::on_local_sample(GstElement* sink, gpointer self) {
  auto* branch = static_cast<VideoBranch*>(self);
  branch->take_sample(sink, *branch->local_);
  return GST_FLOW_OK;
}

void VideoBranch::take_sample(GstElement* sink, LatestFrame& slot) {
  GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
  if (!sample) return;
  slot.put(sample);
  gst_sample_unref(sample);
  if (config_.on_frame) config_.on_frame();
}

void VideoBranch::build_send(const NegotiatedCodec& codec) {
  GstBin* bin = GST_BIN(send_.get());
  GstElement* source = make_source();
  const bool sending_nothing = config_.source.kind == VideoSource::Kind::kNone;
  const int fps = sending_nothing ? 5 : config_.fps;
  GstElement* convert = make_element("videoconvert");
  GstElement* rate = make_element("videorate");
  g_object_set(rate, "drop-only", TRUE, nullptr);
  GstCaps* raw = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "framerate",
                                     GST_TYPE_FRACTION, fps, 1, "pixel-aspect-ratio",
                                     GST_TYPE_FRACTION, 1, 1, nullptr);
  // A size of 0: the source's own (a shared screen, sent as it is).
  const bool native = config_.width <= 0 || config_.height <= 0;
  if (!native) {
    gst_caps_set_simple(raw, "width", G_TYPE_INT, config_.width, "height", G_TYPE_INT,
                        config_.height, nullptr);
  }
  GstElement* format = capsfilter(raw);
  GstElement* tee = make_element("tee");
  if (native) {
    // No scaler before the tee: with one, the self view's small size would win the
    // negotiation for the whole branch.
    add_and_link(bin, {source, convert, rate, format, tee});
  } else {
    add_and_link(bin, {source, convert, make_element("videoscale"), rate, format, tee});
  }

  // The self view, at a lower rate, never holding the call back.
  GstElement* view_queue = leaky_queue("selfviewqueue", 1);
  GstElement* view_rate = make_element("videorate");
  g_object_set(view_rate, "drop-only", TRUE, "max-rate", kSelfViewFps, nullptr);
  GstElement* view_sink = frame_sink("selfview", false);
  GstElement* view_scale = make_element("videoscale");
  GstCaps* small =
      gst_caps_new_simple("video/x-raw", "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr);
  // The source's own size unknown here: a width of a 720p view's, the height to match.
  gst_caps_set_simple(small, "width", G_TYPE_INT,
                      std::max(2, (native ? 1280 : config_.width) / kSelfViewDivisor), nullptr);
  if (!native) {
    gst_caps_set_simple(small, "height", G_TYPE_INT, std::max(2, config_.height / kSelfViewDivisor),
                        nullptr);
  }
  GstElement* view_size = capsfilter(small);
  add_and_link(bin, {view_queue, view_rate, view_scale, view_size, view_sink});
  link_or_throw(tee, view_queue);

  GstElement* queue = leaky_queue("encodequeue", 2);
  valve_ = make_element("valve", "sendvalve");
  g_object_set(valve_, "drop", !config_.stream.send, nullptr);
  const int key_frame_distance =
      fps * (feedback_pli_ || feedback_fir_ ? kKeyFrameEverySeconds
                                            : kKeyFrameEverySecondsWithoutFeedback);
  const CodecInfo& info = codec_info(codec.codec);
  GstElement* encoder = make_element(info.encoder, "encoder");
  encoder_ = encoder;
  GstElement* payloader = make_element(info.payloader, "payloader");
  g_object_set(payloader, "pt", static_cast<guint>(codec.send_pt), "mtu", kRtpMtu, "ssrc", ssrc_,
               nullptr);
  if (codec.codec == Codec::kH264) {
    // Real time (zerolatency: no B-frames, no look-ahead, sliced threads), the fastest
    // preset, a rate-limited stream of constrained baseline (what we offer, RFC 6184
    // 8.1), SPS and PPS before each key frame so that a receiver can start at any.
    gst_util_set_object_arg(G_OBJECT(encoder), "tune", "zerolatency");
    gst_util_set_object_arg(G_OBJECT(encoder), "speed-preset", "ultrafast");
    g_object_set(encoder, "bitrate", static_cast<guint>(config_.bitrate_kbps), "key-int-max",
                 static_cast<guint>(key_frame_distance), "vbv-buf-capacity", 500u, "threads", 1u,
                 nullptr);
    GstElement* profile = capsfilter(gst_caps_new_simple("video/x-h264", "profile", G_TYPE_STRING,
                                                         "constrained-baseline", "stream-format",
                                                         G_TYPE_STRING, "byte-stream", nullptr));
    g_object_set(payloader, "config-interval", -1, nullptr);
    gst_util_set_object_arg(G_OBJECT(payloader), "aggregate-mode", "zero-latency");
    add_and_link(bin, {queue, valve_, encoder, profile, payloader});
  } else {
    // Real time, no look-ahead, constant bitrate: each frame leaves as it is captured, and
    // the stream fits the link. Error-resilient mode lets a decoder go on after a loss.
    // One thread: with two, libvpx's workers spin between the frames of a live source and
    // the encoder cost twice the CPU (40 % of a core for 720p30 against 18 %, measured).
    gst_util_set_object_arg(G_OBJECT(encoder), "end-usage", "cbr");
    gst_util_set_object_arg(G_OBJECT(encoder), "error-resilient", "default");
    g_object_set(encoder, "deadline", G_GINT64_CONSTANT(1), "cpu-used", 8, "lag-in-frames", 0,
                 "threads", 1, "target-bitrate", config_.bitrate_kbps * 1000, "keyframe-max-dist",
                 key_frame_distance, "buffer-size", 1000, "buffer-initial-size", 500,
                 "buffer-optimal-size", 600, "undershoot", 95, "min-force-key-unit-interval",
                 kMinKeyFrameInterval, nullptr);
    // A screen mostly stands still: blocks that did not change are not coded again (the
    // value libvpx recommends for screen sharing).
    if (config_.source.kind == VideoSource::Kind::kScreen)
      g_object_set(encoder, "static-threshold", 100, nullptr);
    gst_util_set_object_arg(G_OBJECT(payloader), "picture-id-mode", "15-bit");
    add_and_link(bin, {queue, valve_, encoder, payloader});
  }
  link_or_throw(tee, queue);
  GstPtr<GstPad> rtp_out(gst_element_get_static_pad(payloader, "src"));
  gst_pad_add_probe(rtp_out.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                    &VideoBranch::on_upstream_event, this, nullptr);
  GstElement* last = payloader;
  if (feedback_nack_ && rtx_send_pt_ < 0) {
    // A peer that takes NACK but no rtx format: a lost packet is sent again as it was
    // (same SSRC and sequence number), by a queue that answers rtpbin's resend requests.
    GstElement* resend = make_element("rtprtxqueue", "resendqueue");
    g_object_set(resend, "max-size-packets", kResendablePackets, "max-size-time", 0u, nullptr);
    add_and_link(bin, {payloader, resend});
    resender_.reset(GST_ELEMENT(gst_object_ref(resend)));
    resent_count_ = "fulfilled-requests";
    requests_count_ = "requests";
    last = resend;
  }
  add_ghost_pad(send_.get(), last, "src", "src");
  if (slot_.context)
    rate_timer_ = glib::add_timeout(slot_.context, kRateTickMs, &on_rate_tick, this);
}

gboolean VideoBranch::on_rate_tick(gpointer self) {
  static_cast<VideoBranch*>(self)->follow_reports();
  return G_SOURCE_CONTINUE;
}

// On the engine's context, each second: the loss the peer saw sets the encoder's target
// (media/send_rate.hpp). Where it asks for lost packets again, its receiver reports
// count what the resends did not give back, and the network's loss is what it asked
// for: the share of the packets sent in that second. The larger of the two counts.
void VideoBranch::follow_reports() {
  if (!rtcp_session_) watch_reports();
  const RtpCounters now = read_rtp_counters(slot_.rtpbin, slot_.session, 90000);
  const std::uint64_t requests = uint_property(resender_.get(), requests_count_);
  const std::uint64_t sent = now.packets_sent - packets_sent_before_;
  const std::uint64_t asked = requests - requests_before_;
  packets_sent_before_ = now.packets_sent;
  requests_before_ = requests;
  const std::uint64_t reports = reports_.load();
  const bool new_report = reports != reports_followed_;
  reports_followed_ = reports;
  if (sent == 0 || (!new_report && asked == 0)) return;  // not sending, or nothing heard
  double loss = new_report ? lost_256ths_.load() / 256.0 : 0.0;
  loss = std::max(loss, std::min(1.0, static_cast<double>(asked) / static_cast<double>(sent)));
  const double rtt = now.rtt_ms;  // rtpsession's, from the peer's last LSR and DLSR
  const int before = send_rate_.kbps();
  const int after = send_rate_.update(loss, rtt);
  if (after == before) return;
  if (codec_ == Codec::kH264) {
    g_object_set(encoder_, "bitrate", static_cast<guint>(after), nullptr);
  } else {
    g_object_set(encoder_, "target-bitrate", after * 1000, nullptr);
  }
  spdlog::debug("{}: video send rate {} kbit/s (loss {:.0f} %, round trip {:.0f} ms)", config_.name,
                after, loss * 100, rtt);
}

// The session exists once the pipeline linked the branch: from then on, every RTCP
// packet the peer sends in it passes on_rtcp().
void VideoBranch::watch_reports() {
  GObject* internal = nullptr;
  g_signal_emit_by_name(slot_.rtpbin, "get-internal-session", slot_.session, &internal);
  if (!internal) return;
  rtcp_session_.reset(internal);
  g_signal_connect(internal, "on-receiving-rtcp", G_CALLBACK(&VideoBranch::on_rtcp), this);
}

// On the network's streaming thread. rtpsession keeps only the last report block a peer
// sent, which may be about our rtx stream (RFC 4588 gives it an SSRC of its own): the
// loss that counts is the one reported for the video's SSRC.
void VideoBranch::on_rtcp(GObject*, GstBuffer* buffer, gpointer self) {
  auto* branch = static_cast<VideoBranch*>(self);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp)) return;
  GstRTCPPacket packet;
  for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next(&packet)) {
    const GstRTCPType type = gst_rtcp_packet_get_type(&packet);
    if (type != GST_RTCP_TYPE_SR && type != GST_RTCP_TYPE_RR) continue;
    for (guint i = 0; i < gst_rtcp_packet_get_rb_count(&packet); ++i) {
      guint32 ssrc = 0, highest = 0, jitter = 0, lsr = 0, dlsr = 0;
      guint8 fraction = 0;
      gint32 lost = 0;
      gst_rtcp_packet_get_rb(&packet, i, &ssrc, &fraction, &lost, &highest, &jitter, &lsr, &dlsr);
      if (ssrc != branch->ssrc_) continue;
      branch->lost_256ths_ = fraction;
      ++branch->reports_;
    }
  }
  gst_rtcp_buffer_unmap(&rtcp);
}

GstElement* VideoBranch::make_retransmission_sender() {
  if (!feedback_nack_ || rtx_send_pt_ < 0) return nullptr;
  GstElement* rtx = make_element("rtprtxsend", "rtxsend");
  GstStructure* map = rtx_payload_map(send_pt_, rtx_send_pt_);
  g_object_set(rtx, "payload-type-map", map, "max-size-packets", kResendablePackets,
               "max-size-time", 0u, nullptr);
  gst_structure_free(map);
  resender_.reset(GST_ELEMENT(gst_object_ref(rtx)));
  resent_count_ = "num-rtx-packets";
  requests_count_ = "num-rtx-requests";
  return aux_bin(rtx, slot_.session);
}

GstElement* VideoBranch::make_retransmission_receiver() {
  if (!feedback_nack_ || rtx_receive_pt_ < 0) return nullptr;
  GstElement* rtx = make_element("rtprtxreceive", "rtxreceive");
  GstStructure* map = rtx_payload_map(receive_pt_, rtx_receive_pt_);
  g_object_set(rtx, "payload-type-map", map, nullptr);
  gst_structure_free(map);
  rtx_receiver_.reset(GST_ELEMENT(gst_object_ref(rtx)));
  return aux_bin(rtx, slot_.session);
}

// Each new stream from the peer: with NACK agreed, a missing packet is asked for again
// (RFC 4585 6.2.1, rtpbin sends the NACK) and waited for a while.
void VideoBranch::configure_jitter_buffer(GstElement* jitter_buffer) {
  if (!feedback_nack_) return;
  g_object_set(jitter_buffer, "do-retransmission", TRUE, "latency", kRetransmissionWaitMs, nullptr);
}

// A PLI or FIR from the peer reaches the encoder as an upstream force-key-unit event.
// rtpsession's own counters miss some of them (1.22 counts no FIR received).
GstPadProbeReturn VideoBranch::on_upstream_event(GstPad*, GstPadProbeInfo* info, gpointer self) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (event && gst_video_event_is_force_key_unit(event))
    ++static_cast<VideoBranch*>(self)->key_frames_asked_;
  return GST_PAD_PROBE_OK;
}

// Every key frame request on its way to rtpbin, which sends FIR for one that asks for
// "all headers" (what the depayloader asks) and PLI otherwise, whatever the SDP said:
// the request becomes what the peer named, PLI first (RFC 5104 4.3.1.2: FIR is not for
// loss), and none at all for a peer that named neither. baresip 1.0 answers PLI only.
GstPadProbeReturn VideoBranch::on_key_frame_request(GstPad*, GstPadProbeInfo* info, gpointer self) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (!event || !gst_video_event_is_force_key_unit(event)) return GST_PAD_PROBE_OK;
  auto* branch = static_cast<VideoBranch*>(self);
  if (!branch->feedback_pli_ && !branch->feedback_fir_) return GST_PAD_PROBE_DROP;
  const std::int64_t now = g_get_monotonic_time() * 1000;
  if (now - branch->last_key_frame_request_.load() < kKeyFrameRequestGapNs)
    return GST_PAD_PROBE_DROP;
  branch->last_key_frame_request_ = now;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  gboolean all_headers = FALSE;
  guint count = 0;
  gst_video_event_parse_upstream_force_key_unit(event, &running_time, &all_headers, &count);
  const gboolean want_fir = branch->feedback_pli_ ? FALSE : TRUE;
  if (all_headers == want_fir) return GST_PAD_PROBE_OK;
  GST_PAD_PROBE_INFO_DATA(info) =
      gst_video_event_new_upstream_force_key_unit(running_time, want_fir, count);
  gst_event_unref(event);
  return GST_PAD_PROBE_OK;
}

// One decoder, for the payload type we wrote for the codec both send; frames into the
// remote slot.
void VideoBranch::build_receive() {
  GstBin* bin = GST_BIN(receive_.get());
  const CodecInfo& info = codec_info(codec_);
  GstElement* depay = make_element(info.depayloader, "depayloader");
  // A gap in the stream: wait for a key frame rather than show a broken picture, and ask
  // for one (the force-key-unit event becomes RTCP PLI or FIR in rtpbin, which sends it
  // whatever the SDP said: only a peer that named PLI or FIR is asked). Without them,
  // the decoder goes on over the gap, as such a peer expects.
  const bool ask = feedback_pli_ || feedback_fir_;
  g_object_set(depay, "request-keyframe", ask, "wait-for-keyframe", ask, nullptr);
  // The decoder asks too, after a frame it could not decode.
  GstPtr<GstPad> depay_sink(gst_element_get_static_pad(depay, "sink"));
  gst_pad_add_probe(depay_sink.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                    &VideoBranch::on_key_frame_request, this, nullptr);
  GstElement* decoder = make_element(info.decoder, "decoder");
  if (codec_ == Codec::kH264) {
    g_object_set(decoder, "max-threads", 1, nullptr);
  } else {
    g_object_set(decoder, "threads", 1u, nullptr);
  }
  GstElement* sink = frame_sink("remoteview", true);
  if (config_.window_title.empty()) {
    add_and_link(bin, {depay, decoder, sink});
  } else {
    // The window never holds the picture back: it shows what it can, unsynced, and a
    // frame it is late for is dropped before it.
    GstElement* tee = make_element("tee");
    GstElement* slot_queue = leaky_queue("slotqueue", 2);
    GstElement* window_queue = leaky_queue("windowqueue", 2);
    GstElement* title = make_element("taginject");  // ximagesink names its window after it
    const std::string tags = "title=\"" + config_.window_title + "\"";
    g_object_set(title, "tags", tags.c_str(), nullptr);
    GstElement* window = make_element("autovideosink", "window");
    g_object_set(window, "sync", FALSE, nullptr);
    add_and_link(bin, {depay, decoder, tee});
    add_and_link(bin, {slot_queue, sink});
    add_and_link(bin, {window_queue, title, make_element("videoconvert"), window});
    link_or_throw(tee, slot_queue);
    link_or_throw(tee, window_queue);
  }
  const std::string pad = "rtp_" + std::to_string(receive_pt_);
  decoder_sink_ = add_ghost_pad(receive_.get(), depay, "sink", pad.c_str());
}

GstCaps* VideoBranch::caps_for(guint pt) {
  if (rtx_receive_pt_ >= 0 && static_cast<int>(pt) == rtx_receive_pt_) {
    // The peer's resent packets (RFC 4588 8.6), before rtprtxreceive unwraps them.
    return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video", "clock-rate",
                               G_TYPE_INT, 90000, "encoding-name", G_TYPE_STRING, "RTX", "payload",
                               G_TYPE_INT, rtx_receive_pt_, "apt", G_TYPE_INT, receive_pt_,
                               nullptr);
  }
  if (static_cast<int>(pt) != receive_pt_) return nullptr;
  // rtpbin's session reads the rtcp-fb-* fields: which feedback the sender takes.
  return gst_caps_new_simple(
      "application/x-rtp", "media", G_TYPE_STRING, "video", "clock-rate", G_TYPE_INT, 90000,
      "encoding-name", G_TYPE_STRING, codec_info(codec_).caps_encoding, "payload", G_TYPE_INT,
      static_cast<int>(pt), "rtcp-fb-nack", G_TYPE_BOOLEAN, feedback_nack_ ? TRUE : FALSE,
      "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, feedback_pli_ ? TRUE : FALSE, "rtcp-fb-ccm-fir",
      G_TYPE_BOOLEAN, feedback_fir_ ? TRUE : FALSE, nullptr);
}

void VideoBranch::add_received(GstPad* pad, guint pt) {
  if (static_cast<int>(pt) != receive_pt_) return;
  if (GstPad* old = gst_pad_get_peer(decoder_sink_)) {
    gst_pad_unlink(old, decoder_sink_);
    gst_object_unref(old);
  }
  link_pads_or_throw(pad, decoder_sink_);
  spdlog::info("{}: receiving video on payload type {}", config_.name, pt);
}

void VideoBranch::set_direction(bool send, bool receive) {
  config_.stream.send = send;
  config_.stream.receive = receive;
  g_object_set(valve_, "drop", send ? FALSE : TRUE, nullptr);
  receiving_ = receive;
}

VideoStats VideoBranch::stats() {
  RtpCounters now = read_rtp_counters(slot_.rtpbin, slot_.session, 90000);
  bitrates_.update(now);
  VideoStats stats;
  stats.codec = std::string(codec_info(codec_).name);
  remote_->size(stats.width, stats.height);
  const auto time = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(time - last_reading_).count();
  const std::uint64_t frames = remote_->frames();
  if (seconds >= 0.5) {
    fps_ = static_cast<double>(frames - frames_at_last_reading_) / seconds;
    frames_at_last_reading_ = frames;
    last_reading_ = time;
  }
  stats.fps = fps_;
  stats.send_kbps = bitrates_.send_kbps();
  stats.target_kbps = send_rate_.kbps();
  stats.receive_kbps = bitrates_.receive_kbps();
  stats.packets_lost = std::max<std::int64_t>(0, now.packets_lost);
  stats.frames_received = frames;
  stats.nacks_sent = now.nacks_sent;
  stats.nacks_received = now.nacks_received;
  stats.plis_sent = now.plis_sent + now.firs_sent;
  stats.plis_received = key_frames_asked_.load();
  stats.packets_resent = uint_property(resender_.get(), resent_count_);
  stats.packets_recovered = uint_property(rtx_receiver_.get(), "num-rtx-assoc-packets");
  return stats;
}

}  // namespace lanline::media
