#include "media/playout_trimmer.hpp"

#include <gst/audio/audio.h>
#include <gst/audio/gstaudiobasesink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lanline::media {
namespace {

// The wait a buffer may have behind the sink: most of one 10 ms Opus packet. Below this
// nothing is dropped.
constexpr GstClockTime kTargetWait = 8 * GST_MSECOND;
// How long the wait must stay above the target before a buffer is dropped: long enough
// that one late packet (which empties the queue, then refills it) is not mistaken for a
// standing queue.
constexpr GstClockTime kWindow = 300 * GST_MSECOND;
// Drops in a row that did not lower the wait before the target is raised to it, and how
// far it may rise.
constexpr int kFutileDrops = 3;
constexpr GstClockTime kMaxTarget = 60 * GST_MSECOND;
// Silence: every sample below -50 dBFS.
constexpr double kSilencePeak = 0.0032;

struct TrimmerState {
  GstClockTime target = kTargetWait;
  GstClockTime window_min = GST_CLOCK_TIME_NONE;
  GstClockTime window_elapsed = 0;
  bool trim_pending = false;
  // After a drop: the window minimum before it, to see whether dropping helped.
  GstClockTime min_before_drop = GST_CLOCK_TIME_NONE;
  GstClockTime dropped_duration = 0;
  int futile_drops = 0;  // drops in a row that did not lower the queue
};

// The peak of an S16 or F32 interleaved buffer, as a fraction of full scale; 1.0 (never
// silent) for other formats.
double peak_of(GstBuffer* buffer, const GstAudioInfo& info) {
  const GstAudioFormat format = GST_AUDIO_INFO_FORMAT(&info);
  if (format != GST_AUDIO_FORMAT_S16 && format != GST_AUDIO_FORMAT_F32) return 1.0;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return 1.0;
  double peak = 0;
  if (format == GST_AUDIO_FORMAT_S16) {
    const auto* samples = reinterpret_cast<const std::int16_t*>(map.data);
    int largest = 0;
    for (gsize i = 0; i < map.size / 2; ++i)
      largest = std::max(largest, std::abs(int{samples[i]}));
    peak = largest / 32768.0;
  } else {
    const auto* samples = reinterpret_cast<const float*>(map.data);
    for (gsize i = 0; i < map.size / 4; ++i)
      peak = std::max(peak, double{std::fabs(samples[i])});
  }
  gst_buffer_unmap(buffer, &map);
  return peak;
}

// How long this buffer has waited since it left the network: now, less its timestamp.
// The jitter buffer stamps each packet with its arrival time (rtpjitterbuffer's "slave"
// mode), and the decoder keeps the stamp, so the difference is the time the audio spent
// queued in front of the sink: in the jitter buffer while the sink was still busy with
// earlier audio. A sink that keeps up takes each buffer as it comes: about 0.
GstClockTime waited(GstPad* pad, GstBuffer* buffer) {
  if (!GST_BUFFER_PTS_IS_VALID(buffer)) return GST_CLOCK_TIME_NONE;
  GstElement* sink = GST_ELEMENT(gst_pad_get_parent(pad));
  if (!sink) return GST_CLOCK_TIME_NONE;
  GstClockTime result = GST_CLOCK_TIME_NONE;
  GstClock* clock = gst_element_get_clock(sink);
  GstEvent* event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (clock && event) {
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(event, &segment);
    const GstClockTime stamp =
        gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    const GstClockTime now = gst_clock_get_time(clock) - gst_element_get_base_time(sink);
    if (GST_CLOCK_TIME_IS_VALID(stamp)) result = now > stamp ? now - stamp : 0;
  }
  if (event) gst_event_unref(event);
  if (clock) gst_object_unref(clock);
  gst_object_unref(sink);
  return result;
}

GstPadProbeReturn on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* state = static_cast<TrimmerState*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstAudioInfo audio;
  GstCaps* caps = gst_pad_get_current_caps(pad);
  const bool known = caps && gst_audio_info_from_caps(&audio, caps);
  if (caps) gst_caps_unref(caps);
  if (!known || GST_AUDIO_INFO_BPF(&audio) == 0) return GST_PAD_PROBE_OK;
  const GstClockTime duration =
      gst_util_uint64_scale_int(gst_buffer_get_size(buffer) / GST_AUDIO_INFO_BPF(&audio),
                                GST_SECOND, GST_AUDIO_INFO_RATE(&audio));
  const GstClockTime wait = waited(pad, buffer);
  if (!GST_CLOCK_TIME_IS_VALID(wait)) return GST_PAD_PROBE_OK;

  state->window_min =
      GST_CLOCK_TIME_IS_VALID(state->window_min) ? std::min(state->window_min, wait) : wait;
  state->window_elapsed += duration;
  if (state->window_elapsed >= kWindow) {
    if (GST_CLOCK_TIME_IS_VALID(state->min_before_drop)) {
      // Did the last drop lower the floor by at least half of what was dropped? If not,
      // the floor is the device's own latency: make it the target.
      const bool futile = state->window_min + state->dropped_duration / 2 > state->min_before_drop;
      state->futile_drops = futile ? state->futile_drops + 1 : 0;
      if (state->futile_drops >= kFutileDrops) {
        state->target =
            std::min(kMaxTarget, std::max(state->target, state->window_min + GST_MSECOND));
        state->futile_drops = 0;
        spdlog::debug("playout: waits of {} ms are the floor here; target raised to it",
                      state->window_min / GST_MSECOND);
      }
      state->min_before_drop = GST_CLOCK_TIME_NONE;
    }
    state->trim_pending = state->window_min > state->target;
    if (state->trim_pending) state->min_before_drop = state->window_min;
    state->window_min = GST_CLOCK_TIME_NONE;
    state->window_elapsed = 0;
  }

  if (state->trim_pending && duration <= state->min_before_drop - state->target + duration / 2 &&
      peak_of(buffer, audio) < kSilencePeak) {
    state->trim_pending = false;
    state->dropped_duration = duration;
    spdlog::debug("playout: audio waited over {} ms for {} ms; dropped {} ms of silence",
                  state->min_before_drop / GST_MSECOND, kWindow / GST_MSECOND,
                  duration / GST_MSECOND);
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

void free_state(gpointer data) {
  delete static_cast<TrimmerState*>(data);
}

}  // namespace

void attach_playout_trimmer(GstElement* audio_sink) {
  if (!GST_IS_AUDIO_BASE_SINK(audio_sink)) return;
  GstPad* pad = gst_element_get_static_pad(audio_sink, "sink");
  if (!pad) return;
  auto* state = new TrimmerState;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &on_buffer, state, &free_state);
  gst_object_unref(pad);
}

}  // namespace lanline::media
