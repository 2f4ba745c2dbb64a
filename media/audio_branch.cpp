#include "media/audio_branch.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "media/gst_build.hpp"

namespace lanline::media {
namespace {

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
constexpr int kDefaultPtimeMs = 20;  // RFC 3551 4.2, when the SDP says nothing

GstCaps* raw_caps(int rate) {
  return gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT,
                             rate, "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING,
                             "interleaved", nullptr);
}

int ptime_of(const StreamDescription& stream) {
  return stream.ptime_ms > 0 ? stream.ptime_ms : kDefaultPtimeMs;
}

// What the peer may send us: each agreed codec on the payload type we wrote for it.
std::vector<std::pair<Codec, int>> received_codecs(const StreamDescription& stream) {
  std::vector<std::pair<Codec, int>> received;
  for (const NegotiatedCodec& codec : stream.codecs) {
    if (codec.receive_pt >= 0) received.emplace_back(codec.codec, codec.receive_pt);
  }
  return received;
}

}  // namespace

const NegotiatedCodec* codec_to_send(const StreamDescription& stream) {
  for (const NegotiatedCodec& codec : stream.codecs) {
    if (codec.send_pt >= 0) return &codec;
  }
  return nullptr;
}

bool AudioBranch::takes_live(const StreamDescription& built, const StreamDescription& next) {
  const NegotiatedCodec* a = codec_to_send(built);
  const NegotiatedCodec* b = codec_to_send(next);
  if (!a || !b || a->codec != b->codec || a->send_pt != b->send_pt) return false;
  return received_codecs(built) == received_codecs(next) &&
         built.telephone_event_send_pt == next.telephone_event_send_pt &&
         built.telephone_event_receive_pt == next.telephone_event_receive_pt &&
         ptime_of(built) == ptime_of(next);
}

AudioBranch::AudioBranch(const StreamSlot& slot, AudioBranchConfig config, AudioEvents events)
    : slot_(slot), config_(std::move(config)), events_(std::move(events)) {}

AudioBranch::~AudioBranch() = default;

std::unique_ptr<AudioBranch> AudioBranch::create(const StreamSlot& slot, AudioBranchConfig config,
                                                 AudioEvents events, std::string& error) {
  const NegotiatedCodec* send = codec_to_send(config.stream);
  if (!send) {
    error = "no agreed audio codec to send";
    return nullptr;
  }
  const NegotiatedCodec send_codec = *send;
  std::unique_ptr<AudioBranch> branch(new AudioBranch(slot, std::move(config), std::move(events)));
  try {
    branch->build(send_codec);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  return branch;
}

void AudioBranch::build(const NegotiatedCodec& send_codec) {
  const StreamDescription& stream = config_.stream;
  send_codec_ = send_codec.codec;
  for (const auto& [codec, pt] : received_codecs(stream))
    receive_codecs_.push_back({codec, pt});
  if (receive_codecs_.empty()) receive_codecs_.push_back({send_codec.codec, send_codec.send_pt});
  ptime_ms_ = ptime_of(stream);
  receiving_ = stream.receive;
  const std::string prefix = "audio" + std::to_string(stream.mline);
  send_.reset(owned_bin(prefix + "-send"));
  receive_.reset(owned_bin(prefix + "-receive"));
  const bool echo_cancel = config_.source.kind == AudioSource::Kind::kDevice &&
                           config_.sink.kind == AudioSink::Kind::kDevice;
  build_send(send_codec, echo_cancel);
  build_receive(echo_cancel);
}

void AudioBranch::build_send(const NegotiatedCodec& send_codec, bool echo_cancel) {
  GstBin* bin = GST_BIN(send_.get());
  const CodecInfo& codec = codec_info(send_codec.codec);
  std::string error;
  GstElement* source = make_source_bin(config_.source, error);
  if (!source) throw std::runtime_error(error);
  gst_bin_add(bin, source);
  GstElement* convert = make_element("audioconvert");
  GstElement* resample = make_element("audioresample");
  GstElement* format = capsfilter(raw_caps(static_cast<int>(codec.sample_rate)));
  volume_ = make_element("volume", "mute");
  valve_ = make_element("valve", "sendvalve");
  g_object_set(valve_, "drop", !config_.stream.send, nullptr);
  GstElement* encoder = make_element(codec.encoder);
  GstElement* payloader = make_element(codec.payloader);
  g_object_set(payloader, "pt", static_cast<guint>(send_codec.send_pt), nullptr);
  if (send_codec.codec == Codec::kOpus) {
    const char* frame = ptime_ms_ >= 60 ? "60" : ptime_ms_ >= 40 ? "40" : kOpusFrame;
    gst_util_set_object_arg(G_OBJECT(encoder), "audio-type", "voice");
    gst_util_set_object_arg(G_OBJECT(encoder), "frame-size", frame);
    g_object_set(encoder, "inband-fec", TRUE, "packet-loss-percentage", kOpusExpectedLossPercent,
                 "bitrate", kOpusBitrate, nullptr);
  } else {
    // G.711 and G.722 payloaders cut packets by time: exactly ptime each.
    const gint64 ptime = static_cast<gint64>(ptime_ms_) * GST_MSECOND;
    g_object_set(payloader, "min-ptime", ptime, "max-ptime", ptime, nullptr);
  }
  gst_bin_add_many(bin, convert, resample, format, volume_, valve_, encoder, payloader, nullptr);
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
  GstElement* mic_level = make_level_meter("miclevel");
  gst_bin_add(bin, mic_level);
  link_or_throw(format, mic_level);
  link_or_throw(mic_level, volume_);
  link_or_throw(volume_, valve_);
  link_or_throw(valve_, encoder);
  link_or_throw(encoder, payloader);

  GstElement* last = payloader;
  if (config_.stream.telephone_event_send_pt >= 0) {
    last = add_dtmf_source(payloader, static_cast<int>(codec.clock_rate));
  }
  add_ghost_pad(send_.get(), last, "src", "src");
}

// Events go as their own RTP stream (own SSRC and timeline) beside the audio, through a
// funnel that keeps the audio's caps downstream. Muxing them into the audio's SSRC went
// wrong both ways GStreamer offers: rtpdtmfmux kept dropping the audio after the first
// digit, rtpmux mixed two RTP timelines and the peer's jitter buffer dropped audio around
// each digit. RFC 4733 2.1 allows a separate stream. Returns the funnel.
GstElement* AudioBranch::add_dtmf_source(GstElement* payloader, int clock_rate) {
  GstBin* bin = GST_BIN(send_.get());
  GstElement* mux = make_element("funnel");
  g_object_set(mux, "forward-sticky-events", FALSE, nullptr);
  GstElement* source = make_element("rtpdtmfsrc", "dtmfsrc");
  g_object_set(source, "pt", static_cast<guint>(config_.stream.telephone_event_send_pt),
               "clock-rate", static_cast<guint>(clock_rate), nullptr);
  gst_bin_add_many(bin, mux, source, nullptr);
  GstPtr<GstPad> audio_pad(gst_element_request_pad_simple(mux, "sink_%u"));
  GstPtr<GstPad> dtmf_pad(gst_element_request_pad_simple(mux, "sink_%u"));
  GstPtr<GstPad> payload_src(gst_element_get_static_pad(payloader, "src"));
  GstPtr<GstPad> dtmf_src(gst_element_get_static_pad(source, "src"));
  link_pads_or_throw(payload_src.get(), audio_pad.get());
  link_pads_or_throw(dtmf_src.get(), dtmf_pad.get());
  dtmf_ = std::make_unique<DtmfSender>(slot_.context, source, config_.name);
  return mux;
}

// One decoding branch per codec the peer may send, made before the pipeline starts
// (adding elements to a running live pipeline races with its latency set-up), all into
// a funnel: the peer sends one at a time. rtpbin's per-stream pads are linked to them as
// they appear (add_received). audiorate turns the time the peer sent nothing (hold) into
// silence, so a recording keeps the call's real length.
void AudioBranch::build_receive(bool echo_cancel) {
  GstBin* bin = GST_BIN(receive_.get());
  GstElement* funnel = make_element("funnel", "decoded");
  GstElement* rate = make_element("audiorate");
  std::string error;
  GstElement* sink = make_sink_bin(config_.sink, error);
  if (!sink) throw std::runtime_error(error);
  GstElement* speaker_level = make_level_meter("speakerlevel");
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
  for (const ReceiveCodec& receive : receive_codecs_) {
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
    const std::string pad = "rtp_" + std::to_string(receive.pt);
    decoders_.push_back({receive.pt, add_ghost_pad(receive_.get(), depay, "sink", pad.c_str())});
  }
}

// rtpbin asks what a payload type carries: the codecs we offered, and telephone-event.
GstCaps* AudioBranch::caps_for(guint pt) {
  for (const ReceiveCodec& receive : receive_codecs_) {
    if (receive.pt != static_cast<int>(pt)) continue;
    const CodecInfo& info = codec_info(receive.codec);
    return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "clock-rate",
                               G_TYPE_INT, static_cast<int>(info.clock_rate), "encoding-name",
                               G_TYPE_STRING, info.caps_encoding, "payload", G_TYPE_INT,
                               static_cast<int>(pt), nullptr);
  }
  if (static_cast<int>(pt) == config_.stream.telephone_event_receive_pt) {
    return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "clock-rate",
                               G_TYPE_INT, dtmf_clock_rate(), "encoding-name", G_TYPE_STRING,
                               "TELEPHONE-EVENT", "payload", G_TYPE_INT, static_cast<int>(pt),
                               nullptr);
  }
  return nullptr;
}

int AudioBranch::dtmf_clock_rate() const {
  return static_cast<int>(codec_info(receive_codecs_.front().codec).clock_rate);
}

// A new stream from the peer (one per SSRC and payload type): to its decoder.
void AudioBranch::add_received(GstPad* pad, guint pt) {
  if (static_cast<int>(pt) == config_.stream.telephone_event_receive_pt) {
    add_dtmf_receiver(pad);
    return;
  }
  for (const Decoder& decoder : decoders_) {
    if (decoder.pt != static_cast<int>(pt)) continue;
    // A new SSRC on the same payload type (the peer restarted its stream) replaces the
    // old one.
    if (GstPad* old = gst_pad_get_peer(decoder.sink)) {
      gst_pad_unlink(old, decoder.sink);
      gst_object_unref(old);
    }
    link_pads_or_throw(pad, decoder.sink);
    // The branch now reaches the jitter buffer: have the latency distributed again, on
    // the engine's thread (CallPipeline's bus), so a device sink plays in time.
    gst_element_post_message(slot_.pipeline, gst_message_new_latency(GST_OBJECT(slot_.rtpbin)));
    spdlog::info("{}: receiving on payload type {}", config_.name, pt);
    return;
  }
}

// The depayloader posts "dtmf-event" messages (handle()); its tones go nowhere. Not live
// and not synced, so adding it to the running pipeline is safe.
void AudioBranch::add_dtmf_receiver(GstPad* pad) {
  GstBin* bin = GST_BIN(receive_.get());
  GstElement* depay = make_element("rtpdtmfdepay");
  GstElement* fake = make_element("fakesink");
  g_object_set(fake, "sync", FALSE, "async", FALSE, nullptr);
  add_and_link(bin, {depay, fake});
  gst_element_sync_state_with_parent(fake);
  gst_element_sync_state_with_parent(depay);
  const std::string name = "dtmf_" + std::to_string(dtmf_receivers_++);
  link_pads_or_throw(pad, add_ghost_pad(receive_.get(), depay, "sink", name.c_str()));
}

void AudioBranch::handle(GstMessage* message) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT) return;
  const GstStructure* s = gst_message_get_structure(message);
  if (s && gst_structure_has_name(s, "level")) {
    const char* name = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
    double& target = std::string_view(name) == "miclevel" ? mic_level_db_ : speaker_level_db_;
    target = loudest_channel_db(s, "peak");
    return;
  }
  if (auto digit = received_dtmf_digit(s)) {
    spdlog::info("{}: DTMF '{}' received", config_.name, *digit);
    if (events_.on_dtmf) events_.on_dtmf(*digit);
  }
}

void AudioBranch::finish() {
  if (dtmf_) dtmf_->stop();
  if (config_.sink.kind != AudioSink::Kind::kRecord) return;
  // End-of-stream straight into the WAV writer: it rewrites the header with the final
  // length and passes EOS on to the file, all within this call (a streaming thread waits
  // on the pad's stream lock meanwhile and then gets EOS back).
  GstPtr<GstElement> wav(gst_bin_get_by_name(GST_BIN(receive_.get()), "wavenc"));
  GstPtr<GstPad> sink(wav ? gst_element_get_static_pad(wav.get(), "sink") : nullptr);
  GstEvent* started =
      sink ? gst_pad_get_sticky_event(sink.get(), GST_EVENT_STREAM_START, 0) : nullptr;
  if (!started) return;  // nothing was ever written
  gst_event_unref(started);
  if (!gst_pad_send_event(sink.get(), gst_event_new_eos())) {
    spdlog::warn("{}: the recording {} may lack its final header", config_.name, config_.sink.path);
  }
}

void AudioBranch::set_direction(bool send, bool receive) {
  config_.stream.send = send;
  config_.stream.receive = receive;
  g_object_set(valve_, "drop", send ? FALSE : TRUE, nullptr);
  receiving_ = receive;
}

void AudioBranch::set_mute(bool muted) {
  g_object_set(volume_, "mute", muted ? TRUE : FALSE, nullptr);
}

bool AudioBranch::muted() const {
  gboolean muted = FALSE;
  g_object_get(volume_, "mute", &muted, nullptr);
  return muted;
}

bool AudioBranch::send_dtmf(const std::string& digits) {
  return dtmf_ && dtmf_->send(digits);
}

AudioStats AudioBranch::stats() {
  const int clock_rate = static_cast<int>(codec_info(send_codec_).clock_rate);
  RtpCounters now = read_rtp_counters(slot_.rtpbin, slot_.session, clock_rate);
  bitrates_.update(now);
  AudioStats stats;
  stats.codec = codec_label(send_codec_);
  stats.mic_level_db = mic_level_db_;
  stats.speaker_level_db = speaker_level_db_;
  stats.send_kbps = bitrates_.send_kbps();
  stats.receive_kbps = bitrates_.receive_kbps();
  stats.packets_sent = now.packets_sent;
  stats.packets_received = now.packets_received;
  stats.packets_lost = now.packets_lost;
  stats.loss_fraction = std::max(0.0, now.loss_fraction);
  stats.jitter_ms = now.jitter_ms;
  stats.rtt_ms = now.rtt_ms;
  return stats;
}

}  // namespace lanline::media
