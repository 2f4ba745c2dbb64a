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

// Attaches the trimmer to an audio sink (a GstAudioBaseSink: pulsesink, alsasink...) fed
// from a jitter buffer; anything else is left alone. The probe lives as long as the sink's pad.
void attach_playout_trimmer(GstElement* audio_sink);

}  // namespace lanline::media
