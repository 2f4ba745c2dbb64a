#include "media/audio_session.hpp"

#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <stdexcept>
#include <string_view>

#include "media/gst_build.hpp"
#include "media/gst_handles.hpp"
#include "media/session_stats.hpp"
#include "net/glib_callbacks.hpp"
#include "net/glib_handles.hpp"

namespace lanline::media {
namespace {

// The jitter buffer, sized for a LAN. Jitter on a switched LAN is well under 5 ms; what
// the buffer must cover is the gap until the packet after a lost one arrives, so that
// Opus's in-band FEC copy of the lost packet, carried in the next one, is there before the
// lost one is due to play (rtpjitterbuffer's do-lost event then lets opusdec decode it
// from the FEC data): one packet (10 ms of Opus from Lanline, 20 ms from most phones),
// plus the scheduling jitter of two busy hosts. 20 ms in all left 85-185 ms gaps in the
// tests on a loaded 2-core machine; 30 ms does not. It costs a device call nothing while
// packets come in order: the device sink plays as they come (unsynced), and the buffer
// only waits when one is missing. GStreamer's jitter buffer does not adapt its size;
// drop-on-latency keeps it from growing past that.
constexpr guint kJitterBufferMs = 30;
// Opus frames of 10 ms rather than the usual 20: the encoder waits for a whole frame
// before it sends, so each frame's length is mouth-to-ear latency (tests/bench/
// latency_bench.sh: about 10 ms less). The cost is 100 packets a second instead of 50,
// about 16 kbit/s more of RTP/UDP/IP headers, nothing on a LAN. RFC 7587 makes a=ptime
// a preference, not a rule, and every Opus decoder takes any frame length (baresip does:
// tests/integration/baresip_interop.sh). A peer asking for more (ptime 40, 60) gets it.
constexpr const char* kOpusFrame = "10";
// Opus's expected loss for in-band FEC: a LAN rarely loses, Wi-Fi does, and 10 % makes the
// encoder spend a little of its bitrate so that single losses are recovered.
constexpr int kOpusExpectedLossPercent = 10;
constexpr int kOpusBitrate = 32000;  // wideband voice with room for FEC
constexpr int kPlayRate = 48000;     // what the sink gets
// DTMF timing (RFC 4733 2.5): tones of 100 ms, 70 ms apart.
constexpr guint kDtmfToneMs = 100;
constexpr guint kDtmfGapMs = 70;

GstCaps* raw_caps(int rate) {
  return gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT,
                             rate, "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING,
                             "interleaved", nullptr);
}

int dtmf_event_number(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit == '*') return 10;
  if (digit == '#') return 11;
  if (digit >= 'A' && digit <= 'D') return 12 + (digit - 'A');
  if (digit >= 'a' && digit <= 'd') return 12 + (digit - 'a');
  return -1;
}

char dtmf_digit(int number) {
  static constexpr char kDigits[] = "0123456789*#ABCD";
  return number >= 0 && number < 16 ? kDigits[number] : '?';
}

// The level meters' floor: digital silence reads -inf dB, reported as this.
constexpr double kSilenceDb = -100.0;
// How often the level meters report; each reading is the peak of that stretch. The
// window shows the newest once a second.
constexpr GstClockTime kLevelInterval = 100 * GST_MSECOND;

// A `level` element: audio passes unchanged; it posts its readings on the bus.
GstElement* level_meter(const char* name) {
  GstElement* level = make_element("level", name);
  g_object_set(level, "interval", kLevelInterval, "post-messages", TRUE, nullptr);
  return level;
}

// The loudest channel's value of a level message's `field` ("rms", "peak", "decay").
// `level` still posts GValueArrays (a GLib type deprecated since 2.32, kept by the element
// for compatibility), hence the pragmas.
double loudest_channel_db(const GstStructure* message, const char* field) {
  double loudest = kSilenceDb;
  const GValue* list = gst_structure_get_value(message, field);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!list || !G_VALUE_HOLDS_BOXED(list)) return loudest;
  const auto* channels = static_cast<const GValueArray*>(g_value_get_boxed(list));
  for (guint i = 0; channels && i < channels->n_values; ++i) {
    const double db = g_value_get_double(&channels->values[i]);
    if (std::isfinite(db)) loudest = std::max(loudest, db);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  return loudest;
}

void set_send_socket(GstElement* udpsink, GSocket* socket) {
  // multiudpsink keeps one socket per family; a given IPv6 socket goes in socket-v6.
  const bool v6 = g_socket_get_family(socket) == G_SOCKET_FAMILY_IPV6;
  g_object_set(udpsink, v6 ? "socket-v6" : "socket", socket, "close-socket", FALSE, "sync", FALSE,
               "async", FALSE, nullptr);
}

}  // namespace

struct AudioSession::Impl {
  GMainContext* context = nullptr;
  SessionConfig config;
  SessionEvents events;
  GstPtr<GstElement> pipeline;  // owns every element below
  GstElement* rtpbin = nullptr;
  GstElement* volume = nullptr;
  GstElement* valve = nullptr;
  struct Decoder {
    int pt;
    GstElement* depay;
  };
  std::vector<Decoder> decoders;
  GstElement* dtmf_source = nullptr;
  GstElement* rtcp_appsrc = nullptr;  // rtcp-mux: RTCP split from the RTP socket goes here
  GstElement* rtp_sink = nullptr;
  GstElement* rtcp_sink = nullptr;  // nullptr with rtcp-mux (RTCP leaves by rtp_sink)
  std::atomic<bool> receiving{true};
  std::atomic<bool> stopped{false};
  net::SourceHandle bus_watch;
  // DTMF digits waiting, and the timer that plays them one by one.
  std::deque<int> dtmf_queue;
  bool dtmf_tone_on = false;
  net::SourceHandle dtmf_timer;
  // For bitrates: the counters at the previous stats() call.
  RtpCounters last_counters;
  std::chrono::steady_clock::time_point last_time = std::chrono::steady_clock::now();
  double send_kbps = 0;
  double receive_kbps = 0;
  // The level meters' latest readings (dBFS), from their bus messages.
  double mic_level_db = kSilenceDb;
  double speaker_level_db = kSilenceDb;

  ~Impl() { shutdown(); }

  void build(const UdpTransport& transport) {
    GstBin* bin = GST_BIN(pipeline.get());
    rtpbin = make_element("rtpbin", "rtpbin");
    g_object_set(rtpbin, "latency", kJitterBufferMs, "do-lost", TRUE, "drop-on-latency", TRUE,
                 nullptr);
    gst_bin_add(bin, rtpbin);
    g_signal_connect(rtpbin, "request-pt-map", G_CALLBACK(&Impl::on_request_pt_map), this);
    g_signal_connect(rtpbin, "pad-added", G_CALLBACK(&Impl::on_pad_added), this);
    const bool echo_cancel = config.source.kind == AudioSource::Kind::kDevice &&
                             config.sink.kind == AudioSink::Kind::kDevice;
    build_send(echo_cancel);
    build_receive(echo_cancel);
    network_ends(transport);
    // RTCP every second rather than rtpbin's 5 s: `lanline ctl calls` shows loss, jitter
    // and RTT within a second or two of a call's start. RFC 3550 6.2 allows a minimum
    // below 5 s; one report a second is ~100 bytes/s, nothing next to the audio.
    GObject* session = nullptr;
    g_signal_emit_by_name(rtpbin, "get-internal-session", 0u, &session);
    if (session) {
      g_object_set(session, "rtcp-min-interval", static_cast<guint64>(GST_SECOND), nullptr);
      g_object_unref(session);
    }
  }

  void build_send(bool echo_cancel) {
    GstBin* bin = GST_BIN(pipeline.get());
    const CodecInfo& codec = codec_info(config.send_codec);
    std::string error;
    GstElement* source = make_source_bin(config.source, error);
    if (!source) throw std::runtime_error(error);
    gst_bin_add(bin, source);
    GstElement* convert = make_element("audioconvert");
    GstElement* resample = make_element("audioresample");
    GstElement* format = capsfilter(raw_caps(codec.sample_rate));
    volume = make_element("volume", "mute");
    valve = make_element("valve", "sendvalve");
    g_object_set(valve, "drop", !config.send, nullptr);
    GstElement* encoder = make_element(codec.encoder);
    GstElement* payloader = make_element(codec.payloader);
    g_object_set(payloader, "pt", static_cast<guint>(config.send_pt), nullptr);
    if (config.send_codec == Codec::kOpus) {
      const char* frame = config.ptime_ms >= 60 ? "60" : config.ptime_ms >= 40 ? "40" : kOpusFrame;
      gst_util_set_object_arg(G_OBJECT(encoder), "audio-type", "voice");
      gst_util_set_object_arg(G_OBJECT(encoder), "frame-size", frame);
      g_object_set(encoder, "inband-fec", TRUE, "packet-loss-percentage", kOpusExpectedLossPercent,
                   "bitrate", kOpusBitrate, nullptr);
    } else {
      // G.711 and G.722 payloaders cut packets by time: exactly ptime each.
      const gint64 ptime = static_cast<gint64>(config.ptime_ms) * GST_MSECOND;
      g_object_set(payloader, "min-ptime", ptime, "max-ptime", ptime, nullptr);
    }
    gst_bin_add_many(bin, convert, resample, format, volume, valve, encoder, payloader, nullptr);
    link_or_throw(source, convert);
    link_or_throw(convert, resample);
    if (echo_cancel) {
      // webrtcdsp must run at its echo probe's rate, the sink's (kPlayRate), and only
      // then go down to the codec's rate: a DSP at 8 kHz against a 48 kHz probe is a
      // stream error, and PCMU/PCMA/G.722 calls with devices had no audio at all.
      GstElement* play_format = capsfilter(raw_caps(kPlayRate));
      GstElement* dsp = make_element("webrtcdsp");
      // Echo cancellation, gain control and the high-pass filter, but no noise
      // suppression: Debian 12's webrtc-audio-processing 0.3 suppresses noise with 5 to
      // 9 ms of delay of its own (capture to playback through webrtcdsp alone, the
      // PulseAudio lab of tests/bench/latency_bench.sh: 27-29 ms with it, 19-22 ms
      // without, 13 ms with nothing on), which would put mouth-to-ear latency over 40 ms.
      g_object_set(dsp, "probe", "echoprobe", "noise-suppression", FALSE, nullptr);
      GstElement* to_codec_rate = make_element("audioresample");
      gst_bin_add_many(bin, play_format, dsp, to_codec_rate, nullptr);
      link_or_throw(resample, play_format);
      link_or_throw(play_format, dsp);
      link_or_throw(dsp, to_codec_rate);
      link_or_throw(to_codec_rate, format);
    } else {
      link_or_throw(resample, format);
    }
    GstElement* mic_level = level_meter("miclevel");
    gst_bin_add(bin, mic_level);
    link_or_throw(format, mic_level);
    link_or_throw(mic_level, volume);
    link_or_throw(volume, valve);
    link_or_throw(valve, encoder);
    link_or_throw(encoder, payloader);

    GstElement* last = payloader;
    if (config.dtmf_send_pt >= 0) {
      // Events go as their own RTP stream (own SSRC and timeline) beside the audio,
      // through a funnel that keeps the audio's caps downstream. Muxing them into the
      // audio's SSRC went wrong both ways GStreamer offers: rtpdtmfmux kept dropping the
      // audio after the first digit, rtpmux mixed two RTP timelines and the peer's jitter
      // buffer dropped audio around each digit. RFC 4733 2.1 allows a separate stream.
      GstElement* mux = make_element("funnel");
      g_object_set(mux, "forward-sticky-events", FALSE, nullptr);
      dtmf_source = make_element("rtpdtmfsrc", "dtmfsrc");
      g_object_set(dtmf_source, "pt", static_cast<guint>(config.dtmf_send_pt), "clock-rate",
                   static_cast<guint>(codec.clock_rate), nullptr);
      gst_bin_add_many(bin, mux, dtmf_source, nullptr);
      GstPad* audio_pad = gst_element_request_pad_simple(mux, "sink_%u");
      GstPad* dtmf_pad = gst_element_request_pad_simple(mux, "sink_%u");
      GstPad* payload_src = gst_element_get_static_pad(payloader, "src");
      GstPad* dtmf_src = gst_element_get_static_pad(dtmf_source, "src");
      link_pads_or_throw(payload_src, audio_pad);
      link_pads_or_throw(dtmf_src, dtmf_pad);
      gst_object_unref(audio_pad);
      gst_object_unref(dtmf_pad);
      gst_object_unref(payload_src);
      gst_object_unref(dtmf_src);
      last = mux;
    }
    GstPad* rtp_in = gst_element_request_pad_simple(rtpbin, "send_rtp_sink_0");
    GstPad* last_src = gst_element_get_static_pad(last, "src");
    link_pads_or_throw(last_src, rtp_in);
    gst_object_unref(last_src);
    gst_object_unref(rtp_in);
  }

  // One decoding branch per codec the peer may send, made before the pipeline starts
  // (adding elements to a running live pipeline races with its latency set-up), all into
  // a funnel: the peer sends one at a time. rtpbin's per-stream pads are linked to them as
  // they appear (add_stream). audiorate turns the time the peer sent nothing (hold) into
  // silence, so a recording keeps the call's real length.
  void build_receive(bool echo_cancel) {
    GstBin* bin = GST_BIN(pipeline.get());
    GstElement* funnel = make_element("funnel", "decoded");
    GstElement* rate = make_element("audiorate");
    std::string error;
    GstElement* sink = make_sink_bin(config.sink, error);
    if (!sink) throw std::runtime_error(error);
    GstElement* speaker_level = level_meter("speakerlevel");
    add_and_link(bin, {funnel, rate, speaker_level});
    gst_bin_add(bin, sink);
    if (echo_cancel) {
      GstElement* probe = make_element("webrtcechoprobe", "echoprobe");
      add_and_link(bin, {probe});
      link_or_throw(speaker_level, probe);
      link_or_throw(probe, sink);
    } else {
      link_or_throw(speaker_level, sink);
    }
    for (const ReceiveCodec& receive : config.receive_codecs) {
      const CodecInfo& info = codec_info(receive.codec);
      GstElement* depay = make_element(info.depayloader);
      GstElement* decoder = make_element(info.decoder);
      if (receive.codec == Codec::kOpus) {
        // Lost packets (the jitter buffer's do-lost events) are concealed. Not rebuilt
        // from the next packet's in-band FEC: opusdec does that by holding every packet
        // back until the next one arrives, one frame (10 ms) more mouth-to-ear latency on
        // every packet. Measured with 20% loss each way (the `media loss` test): longest
        // gap 25-50 ms and 0.4-0.6 s near-silent in 10 s without it, 40-50 ms and
        // 0.5-0.8 s with it. We still send FEC, for peers that decode it.
        g_object_set(decoder, "use-inband-fec", FALSE, "plc", TRUE, nullptr);
      }
      GstElement* convert = make_element("audioconvert");
      GstElement* resample = make_element("audioresample");
      GstElement* format = capsfilter(raw_caps(kPlayRate));
      add_and_link(bin, {depay, decoder, convert, resample, format});
      link_or_throw(format, funnel);
      decoders.push_back({receive.pt, depay});
    }
  }

  // The pipeline's network ends on the transport's sockets. ICE replaces this function's
  // elements with its own (nicesrc/nicesink on its component sockets), nothing else.
  void network_ends(const UdpTransport& transport) {
    GstBin* bin = GST_BIN(pipeline.get());
    GstElement* rtp_source = make_element("udpsrc", "rtpsrc");
    GstCaps* rtp_caps =
        gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", nullptr);
    g_object_set(rtp_source, "socket", transport.rtp_socket(), "close-socket", FALSE, "caps",
                 rtp_caps, nullptr);
    gst_caps_unref(rtp_caps);
    gst_bin_add(bin, rtp_source);
    GstPad* source_pad = gst_element_get_static_pad(rtp_source, "src");
    gst_pad_add_probe(source_pad, GST_PAD_PROBE_TYPE_BUFFER, &Impl::on_received_datagram, this,
                      nullptr);
    GstPad* rtp_in = gst_element_request_pad_simple(rtpbin, "recv_rtp_sink_0");
    link_pads_or_throw(source_pad, rtp_in);
    gst_object_unref(source_pad);
    gst_object_unref(rtp_in);

    GstElement* rtcp_source = nullptr;
    if (config.rtcp_mux) {
      rtcp_source = make_element("appsrc", "rtcpsrc");
      GstCaps* caps = gst_caps_new_empty_simple("application/x-rtcp");
      g_object_set(rtcp_source, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME, nullptr);
      gst_caps_unref(caps);
      rtcp_appsrc = rtcp_source;
    } else {
      rtcp_source = make_element("udpsrc", "rtcpsrc");
      GstCaps* caps = gst_caps_new_empty_simple("application/x-rtcp");
      g_object_set(rtcp_source, "socket", transport.rtcp_socket(), "close-socket", FALSE, "caps",
                   caps, nullptr);
      gst_caps_unref(caps);
    }
    gst_bin_add(bin, rtcp_source);
    GstPad* rtcp_out = gst_element_get_static_pad(rtcp_source, "src");
    GstPad* rtcp_in = gst_element_request_pad_simple(rtpbin, "recv_rtcp_sink_0");
    link_pads_or_throw(rtcp_out, rtcp_in);
    gst_object_unref(rtcp_out);
    gst_object_unref(rtcp_in);

    rtp_sink = make_element("udpsink", "rtpsink");
    set_send_socket(rtp_sink, transport.rtp_socket());
    gst_bin_add(bin, rtp_sink);
    GstPad* rtp_from = gst_element_get_static_pad(rtpbin, "send_rtp_src_0");
    GstPad* rtcp_from = gst_element_request_pad_simple(rtpbin, "send_rtcp_src_0");
    if (config.rtcp_mux) {
      // RFC 5761: RTP and RTCP share the RTP socket both ways.
      GstElement* funnel = make_element("funnel", "muxfunnel");
      gst_bin_add(bin, funnel);
      link_or_throw(funnel, rtp_sink);
      GstPad* a = gst_element_request_pad_simple(funnel, "sink_%u");
      GstPad* b = gst_element_request_pad_simple(funnel, "sink_%u");
      link_pads_or_throw(rtp_from, a);
      link_pads_or_throw(rtcp_from, b);
      gst_object_unref(a);
      gst_object_unref(b);
    } else {
      GstPad* rtp_to = gst_element_get_static_pad(rtp_sink, "sink");
      link_pads_or_throw(rtp_from, rtp_to);
      gst_object_unref(rtp_to);
      rtcp_sink = make_element("udpsink", "rtcpsink");
      set_send_socket(rtcp_sink, transport.rtcp_socket());
      gst_bin_add(bin, rtcp_sink);
      GstPad* rtcp_to = gst_element_get_static_pad(rtcp_sink, "sink");
      link_pads_or_throw(rtcp_from, rtcp_to);
      gst_object_unref(rtcp_to);
    }
    gst_object_unref(rtp_from);
    gst_object_unref(rtcp_from);
    apply_remote();
  }

  void apply_remote() {
    const std::uint16_t rtcp_port =
        config.rtcp_mux
            ? config.remote_rtp_port
            : (config.remote_rtcp_port ? config.remote_rtcp_port
                                       : static_cast<std::uint16_t>(config.remote_rtp_port + 1));
    g_object_set(rtp_sink, "host", config.remote_address.c_str(), "port",
                 static_cast<gint>(config.remote_rtp_port), nullptr);
    if (rtcp_sink) {
      g_object_set(rtcp_sink, "host", config.remote_address.c_str(), "port",
                   static_cast<gint>(rtcp_port), nullptr);
    }
  }

  // On udpsrc's streaming thread, for every datagram of the RTP socket.
  static GstPadProbeReturn on_received_datagram(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (self->rtcp_appsrc && buffer) {
      // RFC 5761 4: with rtcp-mux, the second octet 192-223 is an RTCP packet type
      // (SR 200, RR 201 ...), never an RTP marker+payload type in use.
      guint8 second = 0;
      if (gst_buffer_extract(buffer, 1, &second, 1) == 1 && second >= 192 && second <= 223) {
        gst_app_src_push_buffer(GST_APP_SRC(self->rtcp_appsrc), gst_buffer_ref(buffer));
        return GST_PAD_PROBE_DROP;
      }
    }
    // On hold (sendonly, inactive) what the peer still sends is not played.
    return self->receiving.load() ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  }

  // rtpbin asks what a payload type carries: the codecs we offered, and telephone-event.
  static GstCaps* on_request_pt_map(GstElement*, guint /*session*/, guint pt, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    for (const ReceiveCodec& receive : self->config.receive_codecs) {
      if (receive.pt != static_cast<int>(pt)) continue;
      const CodecInfo& info = codec_info(receive.codec);
      return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "clock-rate",
                                 G_TYPE_INT, info.clock_rate, "encoding-name", G_TYPE_STRING,
                                 info.caps_encoding, "payload", G_TYPE_INT, static_cast<int>(pt),
                                 nullptr);
    }
    if (static_cast<int>(pt) == self->config.dtmf_receive_pt) {
      return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "clock-rate",
                                 G_TYPE_INT, self->dtmf_clock_rate(), "encoding-name",
                                 G_TYPE_STRING, "TELEPHONE-EVENT", "payload", G_TYPE_INT,
                                 static_cast<int>(pt), nullptr);
    }
    spdlog::debug("{}: payload type {} was not agreed; its packets are dropped", self->config.name,
                  pt);
    return nullptr;
  }

  int dtmf_clock_rate() const {
    const Codec codec =
        config.receive_codecs.empty() ? config.send_codec : config.receive_codecs.front().codec;
    return codec_info(codec).clock_rate;
  }

  // A new stream from the peer (one per SSRC and payload type): to its decoder.
  static void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    try {
      self->add_stream(pad);
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot play the peer's audio: {}", self->config.name, e.what());
    }
  }

  void add_stream(GstPad* pad) {
    const std::string name = GST_PAD_NAME(pad);
    if (name.rfind("recv_rtp_src_", 0) != 0) return;  // send pads are linked in build()
    const int pt = std::stoi(name.substr(name.rfind('_') + 1));
    GstBin* bin = GST_BIN(pipeline.get());
    if (pt == config.dtmf_receive_pt) {
      // The depayloader posts "dtmf-event" messages (on_bus); its tones go nowhere. Not
      // live and not synced, so adding it to the running pipeline is safe.
      GstElement* depay = make_element("rtpdtmfdepay");
      GstElement* fake = make_element("fakesink");
      g_object_set(fake, "sync", FALSE, "async", FALSE, nullptr);
      add_and_link(bin, {depay, fake});
      gst_element_sync_state_with_parent(fake);
      gst_element_sync_state_with_parent(depay);
      GstPtr<GstPad> sink(gst_element_get_static_pad(depay, "sink"));
      link_pads_or_throw(pad, sink.get());
      return;
    }
    for (const Decoder& decoder : decoders) {
      if (decoder.pt != pt) continue;
      GstPtr<GstPad> sink(gst_element_get_static_pad(decoder.depay, "sink"));
      // A new SSRC on the same payload type (the peer restarted its stream) replaces
      // the old one.
      if (GstPad* old = gst_pad_get_peer(sink.get())) {
        gst_pad_unlink(old, sink.get());
        gst_object_unref(old);
      }
      link_pads_or_throw(pad, sink.get());
      // The branch now reaches the jitter buffer: have the latency distributed again, on
      // the engine's thread (handle()), so a device sink plays in time.
      gst_element_post_message(pipeline.get(), gst_message_new_latency(GST_OBJECT(rtpbin)));
      spdlog::info("{}: receiving on payload type {}", config.name, pt);
      return;
    }
  }

  // On the engine's context.
  static gboolean on_bus(GstBus*, GstMessage* message, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    try {
      self->handle(message);
    } catch (const std::exception& e) {
      spdlog::error("{}: bus message: {}", self->config.name, e.what());
    }
    return G_SOURCE_CONTINUE;
  }

  void handle(GstMessage* message) {
    switch (GST_MESSAGE_TYPE(message)) {
      case GST_MESSAGE_ERROR:
      case GST_MESSAGE_WARNING: {
        GError* gerror = nullptr;
        gchar* debug = nullptr;
        const bool is_error = GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR;
        if (is_error)
          gst_message_parse_error(message, &gerror, &debug);
        else
          gst_message_parse_warning(message, &gerror, &debug);
        std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " +
                           (gerror ? gerror->message : "unknown");
        if (is_error) {
          spdlog::error("{} audio: {} ({})", config.name, text, debug ? debug : "");
        } else {
          spdlog::warn("{} audio: {}", config.name, text);
        }
        g_clear_error(&gerror);
        g_free(debug);
        if (is_error && events.on_error) events.on_error(text);
        break;
      }
      case GST_MESSAGE_LATENCY:
        gst_bin_recalculate_latency(GST_BIN(pipeline.get()));
        break;
      case GST_MESSAGE_STATE_CHANGED: {
        // A live audiotestsrc answers the latency query only once it has negotiated, which
        // can be after the pipeline asked on its way to PLAYING: ask again once there.
        GstState old_state, new_state;
        gst_message_parse_state_changed(message, &old_state, &new_state, nullptr);
        if (GST_MESSAGE_SRC(message) == GST_OBJECT(pipeline.get()) &&
            new_state == GST_STATE_PLAYING) {
          gst_bin_recalculate_latency(GST_BIN(pipeline.get()));
        }
        break;
      }
      case GST_MESSAGE_ELEMENT: {
        const GstStructure* s = gst_message_get_structure(message);
        if (s && gst_structure_has_name(s, "level")) {
          const char* name = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
          double& target = std::string_view(name) == "miclevel" ? mic_level_db : speaker_level_db;
          target = loudest_channel_db(s, "peak");
          break;
        }
        int number = -1;
        if (s && gst_structure_has_name(s, "dtmf-event") &&
            gst_structure_get_int(s, "number", &number)) {
          char digit = dtmf_digit(number);
          spdlog::info("{}: DTMF '{}' received", config.name, digit);
          if (events.on_dtmf) events.on_dtmf(digit);
        }
        break;
      }
      default:
        break;
    }
  }

  void watch_bus() {
    GstPtr<GstBus> bus(gst_pipeline_get_bus(GST_PIPELINE(pipeline.get())));
    GSource* source = gst_bus_create_watch(bus.get());
    // GLib stores every callback as a GSourceFunc and calls it with the source's own
    // signature (GstBusFunc here); the detour through void(*)() is how G_SOURCE_FUNC casts.
    g_source_set_callback(
        source,
        reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(
            static_cast<gboolean (*)(GstBus*, GstMessage*, gpointer)>(&Impl::on_bus))),
        this, nullptr);
    g_source_attach(source, context);
    bus_watch = net::SourceHandle(source);
  }

  // DTMF: one step of the queue per timer tick (tone on, tone off, next digit).
  static gboolean on_dtmf_timer(gpointer data) {
    auto* self = static_cast<Impl*>(data);
    try {
      return self->dtmf_step();
    } catch (const std::exception& e) {
      spdlog::error("{}: DTMF: {}", self->config.name, e.what());
    }
    return G_SOURCE_REMOVE;
  }

  gboolean dtmf_step() {
    if (dtmf_tone_on) {
      send_dtmf_event(-1, false);
      dtmf_tone_on = false;
      if (dtmf_queue.empty()) {
        dtmf_timer = net::SourceHandle();
        return G_SOURCE_REMOVE;
      }
      dtmf_timer = net::add_timeout(context, kDtmfGapMs, &Impl::on_dtmf_timer, this);
      return G_SOURCE_REMOVE;
    }
    if (dtmf_queue.empty()) {
      dtmf_timer = net::SourceHandle();
      return G_SOURCE_REMOVE;
    }
    int number = dtmf_queue.front();
    dtmf_queue.pop_front();
    send_dtmf_event(number, true);
    dtmf_tone_on = true;
    dtmf_timer = net::add_timeout(context, kDtmfToneMs, &Impl::on_dtmf_timer, this);
    return G_SOURCE_REMOVE;
  }

  void send_dtmf_event(int number, bool start) {
    GstStructure* s = gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "start",
                                        G_TYPE_BOOLEAN, start ? TRUE : FALSE, nullptr);
    if (start)
      gst_structure_set(s, "number", G_TYPE_INT, number, "volume", G_TYPE_INT, 10, nullptr);
    // Into rtpdtmfsrc's source pad, as if from downstream: how the element takes requests.
    GstPtr<GstPad> pad(gst_element_get_static_pad(dtmf_source, "src"));
    gst_pad_send_event(pad.get(), gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
    if (start) spdlog::info("{}: DTMF '{}' sent", config.name, dtmf_digit(number));
  }

  void stop() {
    if (stopped.exchange(true)) return;
    dtmf_timer = net::SourceHandle();
    if (!pipeline) return;
    if (config.sink.kind == AudioSink::Kind::kRecord) {
      // End-of-stream straight into the WAV writer: it rewrites the header with the final
      // length and passes EOS on to the file, all within this call (a streaming thread
      // waits on the pad's stream lock meanwhile and then gets EOS back).
      GstPtr<GstElement> wav(gst_bin_get_by_name(GST_BIN(pipeline.get()), "wavenc"));
      GstPtr<GstPad> sink(wav ? gst_element_get_static_pad(wav.get(), "sink") : nullptr);
      GstEvent* started =
          sink ? gst_pad_get_sticky_event(sink.get(), GST_EVENT_STREAM_START, 0) : nullptr;
      if (started) {  // else nothing was ever written
        gst_event_unref(started);
        if (!gst_pad_send_event(sink.get(), gst_event_new_eos())) {
          spdlog::warn("{}: the recording {} may lack its final header", config.name,
                       config.sink.path);
        }
      }
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  }

  void shutdown() {
    stop();
    bus_watch = net::SourceHandle();
    if (rtpbin) {
      g_signal_handlers_disconnect_by_data(rtpbin, this);
    }
    pipeline.reset();
  }
};

AudioSession::AudioSession() : impl_(std::make_unique<Impl>()) {}
AudioSession::~AudioSession() = default;

std::unique_ptr<AudioSession> AudioSession::create(GMainContext* context,
                                                   const UdpTransport& transport,
                                                   const SessionConfig& config,
                                                   SessionEvents events, std::string& error) {
  if (!ensure_gstreamer(error)) return nullptr;
  std::unique_ptr<AudioSession> session(new AudioSession());
  Impl& impl = *session->impl_;
  impl.context = context;
  impl.config = config;
  if (impl.config.receive_codecs.empty()) {
    impl.config.receive_codecs.push_back({config.send_codec, config.send_pt});
  }
  impl.events = std::move(events);
  impl.receiving = config.receive;
  impl.pipeline = GstPtr<GstElement>(gst_pipeline_new(config.name.c_str()));
  gst_object_ref_sink(impl.pipeline.get());
  try {
    impl.build(transport);
  } catch (const std::exception& e) {
    error = e.what();
    impl.stopped = true;
    return nullptr;
  }
  impl.watch_bus();
  if (gst_element_set_state(impl.pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "the audio pipeline does not start (see the log for the element that failed)";
    // The bus still holds the reason: log it before giving up.
    GstPtr<GstBus> bus(gst_pipeline_get_bus(GST_PIPELINE(impl.pipeline.get())));
    while (GstMessage* message = gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR)) {
      impl.handle(message);
      gst_message_unref(message);
    }
    return nullptr;
  }
  spdlog::info("{}: audio {} pt {} to {}:{}{}", config.name, codec_label(config.send_codec),
               config.send_pt, config.remote_address, config.remote_rtp_port,
               config.rtcp_mux ? " (rtcp-mux)" : "");
  return session;
}

void AudioSession::set_direction(bool send, bool receive) {
  impl_->config.send = send;
  impl_->config.receive = receive;
  g_object_set(impl_->valve, "drop", send ? FALSE : TRUE, nullptr);
  impl_->receiving = receive;
}

void AudioSession::set_remote(const std::string& address, std::uint16_t rtp_port,
                              std::uint16_t rtcp_port) {
  impl_->config.remote_address = address;
  impl_->config.remote_rtp_port = rtp_port;
  impl_->config.remote_rtcp_port = rtcp_port;
  impl_->apply_remote();
}

void AudioSession::set_mute(bool muted) {
  g_object_set(impl_->volume, "mute", muted ? TRUE : FALSE, nullptr);
}

bool AudioSession::muted() const {
  gboolean muted = FALSE;
  g_object_get(impl_->volume, "mute", &muted, nullptr);
  return muted;
}

bool AudioSession::send_dtmf(const std::string& digits) {
  if (!impl_->dtmf_source || digits.empty()) return false;
  for (char c : digits) {
    if (dtmf_event_number(c) < 0) return false;
  }
  for (char c : digits)
    impl_->dtmf_queue.push_back(dtmf_event_number(c));
  if (!impl_->dtmf_timer) {
    impl_->dtmf_timer = net::add_timeout(impl_->context, 0, &Impl::on_dtmf_timer, impl_.get());
  }
  return true;
}

SessionStats AudioSession::stats() {
  Impl& impl = *impl_;
  const int clock_rate = codec_info(impl.config.send_codec).clock_rate;
  RtpCounters now = read_rtp_counters(impl.rtpbin, clock_rate);
  auto time = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(time - impl.last_time).count();
  // Bitrates over the time since the previous reading (at least half a second of it).
  if (seconds >= 0.5) {
    impl.send_kbps =
        static_cast<double>(now.octets_sent - impl.last_counters.octets_sent) * 8 / seconds / 1000;
    impl.receive_kbps =
        static_cast<double>(now.octets_received - impl.last_counters.octets_received) * 8 /
        seconds / 1000;
    impl.last_counters = now;
    impl.last_time = time;
  }
  SessionStats stats;
  stats.codec = codec_label(impl.config.send_codec);
  stats.mic_level_db = impl.mic_level_db;
  stats.speaker_level_db = impl.speaker_level_db;
  stats.send_kbps = impl.send_kbps;
  stats.receive_kbps = impl.receive_kbps;
  stats.packets_sent = now.packets_sent;
  stats.packets_received = now.packets_received;
  stats.packets_lost = now.packets_lost;
  stats.loss_fraction = std::max(0.0, now.loss_fraction);
  stats.jitter_ms = now.jitter_ms;
  stats.rtt_ms = now.rtt_ms;
  return stats;
}

const SessionConfig& AudioSession::config() const {
  return impl_->config;
}

void AudioSession::stop() {
  impl_->stop();
}

}  // namespace lanline::media
