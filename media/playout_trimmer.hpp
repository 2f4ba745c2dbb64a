#pragma once
// Keeps the audio waiting in front of a device's speaker short, so that mouth-to-ear
// latency stays what the jitter buffer and the device need, not what the call's first
// second happened to leave behind.
//
// The device sink plays audio as it arrives (unsynced: see audio_endpoints.cpp), at
// exactly the rate the peer sends, so whatever queued up while the call started (the
// sound server opening the device, the jitter buffer's first release, a burst of
// concealment for packets "lost" during set-up) stays queued for the whole call: 10 to
// 25 ms more mouth-to-ear latency, different from call to call (tests/bench/
// latency_bench.sh). The trimmer measures how long each buffer has waited since its
// packet arrived (its jitter-buffer timestamp against the clock) and, while the lowest
// wait over a short window stays above a target, drops one buffer of silence per window,
// which lets the queue behind it move up. Only silence is dropped, so no word is cut; in
// a conversation the pauses between words are enough. If dropping does not lower the wait
// (a constant offset in the timestamps), the target rises to that floor rather than
// dropping silence for ever.

#include <gst/gst.h>

namespace lanline::media {

// The trimmer's decision, apart from GStreamer (tests/media/playout_trimmer_test.cpp).
// For every buffer that reaches the sink: wants_to_drop() with how long it waited and how
// long it plays; if that says yes and the buffer is silence, the caller drops it and says
// so with dropped().
class TrimDecision {
 public:
  bool wants_to_drop(GstClockTime wait, GstClockTime duration);
  void dropped(GstClockTime duration);
  // The wait it trims down to: 8 ms, or the floor it found dropping could not lower.
  GstClockTime target() const { return target_; }

 private:
  GstClockTime target_ = kTargetWait;
  GstClockTime window_min_ = GST_CLOCK_TIME_NONE;
  GstClockTime window_elapsed_ = 0;
  bool trim_pending_ = false;
  GstClockTime pending_min_ = 0;  // the window minimum that set trim_pending_
  // After a drop: the window minimum before it, to see whether dropping helped.
  GstClockTime min_before_drop_ = GST_CLOCK_TIME_NONE;
  GstClockTime dropped_duration_ = 0;
  int futile_drops_ = 0;  // drops in a row that did not lower the wait

 public:
  // The wait a buffer may have behind the sink: most of one 10 ms Opus packet.
  static constexpr GstClockTime kTargetWait = 8 * GST_MSECOND;
  // How long the wait must stay above the target before a buffer is dropped: long enough
  // that one late packet (which empties the queue, then refills it) is not mistaken for
  // a standing queue.
  static constexpr GstClockTime kWindow = 300 * GST_MSECOND;
  // Drops in a row that did not lower the wait before the target is raised to it, and
  // how far it may rise.
  static constexpr int kFutileDrops = 3;
  static constexpr GstClockTime kMaxTarget = 60 * GST_MSECOND;
};

// Attaches the trimmer to an audio sink (a GstAudioBaseSink: pulsesink, alsasink...) fed
// from a jitter buffer; anything else is left alone. The probe lives as long as the sink's pad.
void attach_playout_trimmer(GstElement* audio_sink);

}  // namespace lanline::media
