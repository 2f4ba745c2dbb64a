#include "media/audio_endpoints.hpp"

#include <charconv>
#include <stdexcept>

#include <gst/base/gstbasesink.h>
#include <spdlog/spdlog.h>

#include "media/gst_build.hpp"
#include "media/playout_trimmer.hpp"
#include "media/wav_loop_source.hpp"

namespace lanline::media {
namespace {

// 10 ms per buffer at 48 kHz: the source adds no more than that to the mouth-to-ear
// latency (the default 1024 samples would add 21 ms).
constexpr int kSourceSamplesPerBuffer = 480;

// The devices' own buffers (GstAudioBaseSink/Src "buffer-time", "latency-time", in us).
// GStreamer's defaults, 200 ms and 10 ms, made pulsesink ask PulseAudio for a buffer of
// hundreds of ms that it then ran through unevenly: tests/bench/latency_bench.sh heard
// 2 to 4 clicks of 25, 330-380 ms late. Capture: 20 ms, two of its segments, holds a
// scheduling hiccup of the sound server. Playback: 10 ms, since the device sink plays as
// audio arrives (unsynced, below) and so keeps its buffer nearly full: every ms of it is a
// ms of mouth-to-ear latency (20 ms measured about 10 ms slower; no click lost at 10 in
// tests/bench/latency_bench.sh or tests/integration/device_audio_test.sh).
constexpr gint64 kCaptureBufferUs = 20000;
constexpr gint64 kPlayBufferUs = 10000;
// The capture segment is webrtcdsp's processing block, 10 ms, and must not be smaller:
// webrtcdsp (GStreamer 1.22) clears its input adapter whenever GstBaseTransform hands it
// a buffer flagged discontinuous, and GstBaseTransform keeps that flag set until the
// element has pushed an output buffer. A first capture buffer of 5 ms produces no output,
// so the flag stays set, the adapter is cleared again on every following 5 ms buffer and
// never holds the 10 ms the DSP needs: the echo canceller passed no audio at all (GST_DEBUG
// webrtcdsp:6 shows "Received discont, clearing adapter." on every buffer). A smaller
// segment would gain nothing anyway: the DSP waits for 10 ms of input before it outputs.
constexpr gint64 kCaptureSegmentUs = 10000;
// Playback has no such block: 5 ms segments let PulseAudio start playing a packet's audio
// 5 ms sooner than 10 ms ones would (measured: no click lost, no underrun in the tests).
constexpr gint64 kPlaySegmentUs = 5000;

// autoaudiosrc/autoaudiosink pick their real element (pulsesrc, alsasink...) when they
// go to READY and add it as a child: set its buffer then. A static trampoline: nothing
// may throw into GLib.
void on_device_element_added(GstBin* /*bin*/, GstElement* element, gpointer /*user_data*/) {
  try {
    GObjectClass* klass = G_OBJECT_GET_CLASS(element);
    if (g_object_class_find_property(klass, "buffer-time") &&
        g_object_class_find_property(klass, "latency-time")) {
      const bool playback = GST_IS_BASE_SINK(element);
      g_object_set(element, "buffer-time", playback ? kPlayBufferUs : kCaptureBufferUs,
                   "latency-time", playback ? kPlaySegmentUs : kCaptureSegmentUs, nullptr);
    }
    // Unsynced: synced to the clock, pulsesink dropped most buffers as late even with the
    // smaller buffer (0 of 15 clicks heard), so the pipeline's latency figure does not
    // cover the device's. The jitter buffer already paces what reaches the sink. The cost:
    // drift between two sound cards' clocks is not corrected, PulseAudio's buffer absorbs
    // it (underrun or slow growth over a long call). Revisit with the latency query.
    if (GST_IS_BASE_SINK(element)) {
      g_object_set(element, "sync", FALSE, nullptr);
      attach_playout_trimmer(element);
    }
  } catch (...) {
  }
}

void add_ghost(GstElement* bin, GstElement* element, const char* pad_name, const char* ghost) {
  GstPad* pad = gst_element_get_static_pad(element, pad_name);
  gst_element_add_pad(bin, gst_ghost_pad_new(ghost, pad));
  gst_object_unref(pad);
}

// Adds the elements to `bin` and links them in order; throws if a link fails.
void add_chain(GstElement* bin, std::initializer_list<GstElement*> chain) {
  GstElement* previous = nullptr;
  for (GstElement* element : chain) {
    gst_bin_add(GST_BIN(bin), element);
    if (previous && !gst_element_link(previous, element)) {
      throw std::runtime_error(std::string("cannot link ") + GST_ELEMENT_NAME(previous) + " to " +
                               GST_ELEMENT_NAME(element));
    }
    previous = element;
  }
}

// Once, on the first buffer a recording gets: the moment of its first sample, in the log.
// The sink is not synced and is fed live, so a sample's place in the file is its time
// after this line; tests locate what they caused (mute, hold) in the recording by it.
GstPadProbeReturn log_recording_start(GstPad*, GstPadProbeInfo*, gpointer data) {
  spdlog::info("recording {}: first sample now", static_cast<const char*>(data));
  return GST_PAD_PROBE_REMOVE;
}

}  // namespace

std::optional<AudioSource> parse_audio_source(std::string_view text, std::string& error) {
  AudioSource source;
  if (text.empty() || text == "device") return source;
  if (text == "test") {
    source.kind = AudioSource::Kind::kTest;
    return source;
  }
  if (text.rfind("test:", 0) == 0) {
    std::string_view digits = text.substr(5);
    int hz = 0;
    auto [end, code] = std::from_chars(digits.data(), digits.data() + digits.size(), hz);
    if (code != std::errc() || end != digits.data() + digits.size() || hz < 1 || hz > 24000) {
      error = "audio source '" + std::string(text) + "': the tone must be 1-24000 Hz (test:440)";
      return std::nullopt;
    }
    source.kind = AudioSource::Kind::kTest;
    source.hz = hz;
    return source;
  }
  if (text.rfind("file:", 0) == 0 && text.size() > 5) {
    source.kind = AudioSource::Kind::kFile;
    source.path = std::string(text.substr(5));
    return source;
  }
  error = "audio source '" + std::string(text) + "' is not one of device, test[:HZ], file:PATH.wav";
  return std::nullopt;
}

std::optional<AudioSink> parse_audio_sink(std::string_view text, std::string& error) {
  AudioSink sink;
  if (text.empty() || text == "device") return sink;
  if (text == "null") {
    sink.kind = AudioSink::Kind::kNull;
    return sink;
  }
  if (text.rfind("record:", 0) == 0 && text.size() > 7) {
    sink.kind = AudioSink::Kind::kRecord;
    sink.path = std::string(text.substr(7));
    return sink;
  }
  error = "audio sink '" + std::string(text) + "' is not one of device, null, record:PATH.wav";
  return std::nullopt;
}

GstElement* make_source_bin(const AudioSource& source, std::string& error) {
  try {
    switch (source.kind) {
      case AudioSource::Kind::kFile:
        return make_wav_loop_source(source.path, error);
      case AudioSource::Kind::kTest: {
        GstElement* bin = gst_bin_new("source");
        GstElement* tone = make_element("audiotestsrc");
        g_object_set(tone, "is-live", TRUE, "freq", static_cast<gdouble>(source.hz), "volume", 0.3,
                     "samplesperbuffer", kSourceSamplesPerBuffer, nullptr);
        GstElement* caps = make_element("capsfilter");
        GstCaps* raw = gst_caps_new_simple("audio/x-raw", "rate", G_TYPE_INT, 48000, "channels",
                                           G_TYPE_INT, 1, nullptr);
        g_object_set(caps, "caps", raw, nullptr);
        gst_caps_unref(raw);
        add_chain(bin, {tone, caps});
        add_ghost(bin, caps, "src", "src");
        return bin;
      }
      case AudioSource::Kind::kDevice: {
        GstElement* bin = gst_bin_new("source");
        GstElement* device = make_element("autoaudiosrc");
        g_signal_connect(device, "element-added", G_CALLBACK(&on_device_element_added), nullptr);
        add_chain(bin, {device});
        add_ghost(bin, device, "src", "src");
        return bin;
      }
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  return nullptr;
}

GstElement* make_sink_bin(const AudioSink& sink, std::string& error) {
  try {
    GstElement* bin = gst_bin_new("sink");
    switch (sink.kind) {
      case AudioSink::Kind::kRecord: {
        GstElement* convert = make_element("audioconvert");
        GstElement* wav = make_element("wavenc", "wavenc");
        GstElement* file = make_element("filesink", "recordfile");
        // No clock sync: the mixer in front is already paced by the live sources.
        g_object_set(file, "location", sink.path.c_str(), "sync", FALSE, "async", FALSE, nullptr);
        add_chain(bin, {convert, wav, file});
        add_ghost(bin, convert, "sink", "sink");
        GstPad* first = gst_element_get_static_pad(convert, "sink");
        gst_pad_add_probe(first, GST_PAD_PROBE_TYPE_BUFFER, &log_recording_start,
                          g_strdup(sink.path.c_str()), g_free);
        gst_object_unref(first);
        break;
      }
      case AudioSink::Kind::kNull: {
        GstElement* fake = make_element("fakesink");
        g_object_set(fake, "sync", FALSE, "async", FALSE, nullptr);
        add_chain(bin, {fake});
        add_ghost(bin, fake, "sink", "sink");
        break;
      }
      case AudioSink::Kind::kDevice: {
        GstElement* convert = make_element("audioconvert");
        GstElement* resample = make_element("audioresample");
        GstElement* device = make_element("autoaudiosink");
        g_signal_connect(device, "element-added", G_CALLBACK(&on_device_element_added), nullptr);
        add_chain(bin, {convert, resample, device});
        add_ghost(bin, convert, "sink", "sink");
        break;
      }
    }
    return bin;
  } catch (const std::exception& e) {
    error = e.what();
  }
  return nullptr;
}

}  // namespace lanline::media
