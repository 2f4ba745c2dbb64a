#include "media/playout_trimmer.hpp"

#include <gst/audio/audio.h>
#include <gst/audio/gstaudiobasesink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lanline::media {

GstClockTime TrimDecision::to_drop(GstClockTime wait, GstClockTime duration) {
  window_min_ = GST_CLOCK_TIME_IS_VALID(window_min_) ? std::min(window_min_, wait) : wait;
  window_elapsed_ += duration;
  played_ += duration;
  if (window_elapsed_ >= kWindow) end_window();
  // Never more than the excess: dropping more would leave the speaker waiting.
  return excess_ >= kMinTrim ? std::min(excess_, duration) : 0;
}

void TrimDecision::end_window() {
  // Something was dropped only if the window before left an excess, so last_window_min_
  // is then the floor the drops started from.
  const bool dropped_since = dropped_ > 0;
  if (dropped_since) {
    // Did the drops lower the floor by at least half of what was dropped? If not, the
    // floor is an offset in the timestamps, not a queue: make it the target.
    const bool futile = window_min_ + dropped_ / 2 > last_window_min_;
    futile_drops_ = futile ? futile_drops_ + 1 : 0;
    if (futile_drops_ >= kFutileDrops) {
      target_ = std::min(kMaxTarget, std::max(target_, window_min_ + GST_MSECOND));
      futile_drops_ = 0;
      calm_ = 0;
      spdlog::debug("playout: waits of {} ms are the floor here; target raised to it",
                    window_min_ / GST_MSECOND);
    }
  }
  calm_ += window_elapsed_;
  const bool late = !dropped_since && played_ > kSettle &&
                    GST_CLOCK_TIME_IS_VALID(last_window_min_) &&
                    window_min_ > last_window_min_ + kLateJump;
  if (late) {
    const GstClockTime jump = window_min_ - last_window_min_;
    target_ = std::min(kMaxTarget, target_ + jump);
    calm_ = 0;
    spdlog::debug("playout: audio came {} ms late; target now {} ms", jump / GST_MSECOND,
                  target_ / GST_MSECOND);
  } else if (calm_ >= kCalm && target_ > kTargetWait) {
    target_ = std::max(kTargetWait, target_ - kTargetStep);
    calm_ = 0;
  }
  excess_ = window_min_ > target_ ? window_min_ - target_ : 0;
  last_window_min_ = window_min_;
  window_min_ = GST_CLOCK_TIME_NONE;
  window_elapsed_ = 0;
  dropped_ = 0;
}

void TrimDecision::dropped(GstClockTime amount) {
  spdlog::debug("playout: audio waited {:.1f} ms or more for {} ms; dropped {:.1f} ms of silence",
                (excess_ + target_) / 1e6, kWindow / GST_MSECOND, amount / 1e6);
  excess_ = amount < excess_ ? excess_ - amount : 0;
  dropped_ += amount;
}

namespace {

// Silence: every sample below -50 dBFS.
constexpr double kSilencePeak = 0.0032;

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
  auto* decision = static_cast<TrimDecision*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstAudioInfo audio;
  GstCaps* caps = gst_pad_get_current_caps(pad);
  const bool known = caps && gst_audio_info_from_caps(&audio, caps);
  if (caps) gst_caps_unref(caps);
  if (!known || GST_AUDIO_INFO_BPF(&audio) == 0) return GST_PAD_PROBE_OK;
  const int bpf = GST_AUDIO_INFO_BPF(&audio);
  const gsize frames = gst_buffer_get_size(buffer) / bpf;
  const GstClockTime duration =
      gst_util_uint64_scale_int(frames, GST_SECOND, GST_AUDIO_INFO_RATE(&audio));
  const GstClockTime wait = waited(pad, buffer);
  if (!GST_CLOCK_TIME_IS_VALID(wait)) return GST_PAD_PROBE_OK;
  const GstClockTime drop = decision->to_drop(wait, duration);
  if (drop == 0 || peak_of(buffer, audio) >= kSilencePeak) return GST_PAD_PROBE_OK;
  const gsize drop_frames = std::min<gsize>(
      frames, gst_util_uint64_scale_int(drop, GST_AUDIO_INFO_RATE(&audio), GST_SECOND));
  if (drop_frames == 0) return GST_PAD_PROBE_OK;
  if (drop_frames == frames) {
    decision->dropped(duration);
    return GST_PAD_PROBE_DROP;
  }
  // Part of it: cut the silence from the buffer's start. The sink is unsynced (it plays
  // samples as they come), so the timestamps only need to stay plausible.
  buffer = gst_buffer_make_writable(buffer);
  gst_buffer_resize(buffer, static_cast<gssize>(drop_frames * bpf),
                    static_cast<gssize>((frames - drop_frames) * bpf));
  const GstClockTime cut =
      gst_util_uint64_scale_int(drop_frames, GST_SECOND, GST_AUDIO_INFO_RATE(&audio));
  if (GST_BUFFER_PTS_IS_VALID(buffer)) GST_BUFFER_PTS(buffer) += cut;
  if (GST_BUFFER_DURATION_IS_VALID(buffer)) GST_BUFFER_DURATION(buffer) = duration - cut;
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  decision->dropped(cut);
  return GST_PAD_PROBE_OK;
}

void free_decision(gpointer data) {
  delete static_cast<TrimDecision*>(data);
}

}  // namespace

void attach_playout_trimmer(GstElement* audio_sink) {
  if (!GST_IS_AUDIO_BASE_SINK(audio_sink)) return;
  GstPad* pad = gst_element_get_static_pad(audio_sink, "sink");
  if (!pad) return;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &on_buffer, new TrimDecision, &free_decision);
  gst_object_unref(pad);
}

}  // namespace lanline::media
