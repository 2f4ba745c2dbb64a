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
// packet arrived (its jitter-buffer timestamp against the clock) and, when the lowest
// wait over a short window is above a target, drops that excess from the silence that
// follows (whole buffers, and the start of the last one), which lets the queue behind it
// move up. Only silence is dropped, so no word is cut; in a conversation the pauses
// between words are enough. If dropping does not lower the wait (a constant offset in
// the timestamps), the target rises to that floor rather than dropping silence for ever.

#include <gst/gst.h>

namespace lanline::media {

// The trimmer's decision, apart from GStreamer (tests/media/playout_trimmer_test.cpp).
// For every buffer that reaches the sink: to_drop() with how long it waited and how long
// it plays says how much of its start to drop (nothing, part, or all of it); if that is
// something and the buffer is silence, the caller drops it and says so with dropped().
//
// The target adapts, as a playout delay should: when audio arrives late (the floor of
// the waits jumps up with nothing dropped: the speaker ran dry meanwhile and everything
// after plays later), the target rises by that much so the next late packet of that
// size finds audio still queued; after a calm spell it comes down again, 1 ms at a time.
class TrimDecision {
 public:
  GstClockTime to_drop(GstClockTime wait, GstClockTime duration);
  void dropped(GstClockTime amount);
  // The wait it trims down to.
  GstClockTime target() const { return target_; }

  // The lowest target: what the scheduling of two busy hosts on a LAN needs.
  static constexpr GstClockTime kTargetWait = 2 * GST_MSECOND;
  // How long the wait must stay above the target before anything is dropped: long
  // enough that one late packet (which empties the queue, then refills it) is not
  // mistaken for a standing queue.
  static constexpr GstClockTime kWindow = 300 * GST_MSECOND;
  // Less excess than this is left alone: not worth cutting a buffer for.
  static constexpr GstClockTime kMinTrim = GST_MSECOND;
  // A floor that rises by more than this from one window to the next, with nothing
  // dropped, is audio that arrived late.
  static constexpr GstClockTime kLateJump = 4 * GST_MSECOND;
  // The call's first seconds of audio, when the jitter buffer's first release and
  // concealment of the set-up arrive in bursts: trimmed, but not taken as lateness.
  static constexpr GstClockTime kSettle = 3 * GST_SECOND;
  // After this long without late audio the target comes down by kTargetStep.
  static constexpr GstClockTime kCalm = 10 * GST_SECOND;
  static constexpr GstClockTime kTargetStep = GST_MSECOND;
  // Drops in a row that did not lower the wait before the target is raised to it.
  static constexpr int kFutileDrops = 3;
  static constexpr GstClockTime kMaxTarget = 40 * GST_MSECOND;

 private:
  void end_window();

  GstClockTime target_ = kTargetWait;
  GstClockTime played_ = 0;  // audio seen so far
  GstClockTime window_min_ = GST_CLOCK_TIME_NONE;
  GstClockTime window_elapsed_ = 0;
  GstClockTime last_window_min_ = GST_CLOCK_TIME_NONE;
  GstClockTime calm_ = 0;     // audio since the last late arrival (or target change)
  GstClockTime excess_ = 0;   // what the last window left to drop
  GstClockTime dropped_ = 0;  // how much, since the window before
  int futile_drops_ = 0;      // drops in a row that did not lower the wait
};

// Attaches the trimmer to an audio sink (a GstAudioBaseSink: pulsesink, alsasink...) fed
// from a jitter buffer; anything else is left alone. The probe lives as long as the sink's pad.
void attach_playout_trimmer(GstElement* audio_sink);

}  // namespace lanline::media
