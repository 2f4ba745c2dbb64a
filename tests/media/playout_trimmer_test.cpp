// The playout trimmer's decision (media/playout_trimmer.hpp), fed the waits a device sink
// would see: a queue left over from the call's start is trimmed to the target in
// silence, never in speech; late audio raises the target, calm brings it down; a
// constant offset that dropping cannot lower stops the dropping.
#include "media/playout_trimmer.hpp"

#include <gtest/gtest.h>

namespace lanline::media {
namespace {

constexpr GstClockTime kMs = GST_MSECOND;
constexpr GstClockTime kPacket = 10 * kMs;

// A sink fed 10 ms buffers, with `queue` of audio waiting in front of it. The trimmer
// drops what it asks for whenever `silent` allows; what it drops moves the queue up.
struct Sink {
  TrimDecision decision;
  GstClockTime queue = 0;
  GstClockTime dropped = 0;

  void play(int buffers, bool silent) {
    for (int i = 0; i < buffers; ++i) {
      const GstClockTime drop = decision.to_drop(queue, kPacket);
      if (drop > 0 && silent) {
        decision.dropped(drop);
        dropped += drop;
        queue = queue > drop ? queue - drop : 0;
      }
    }
  }
};

TEST(PlayoutTrimmer, TrimsAStandingQueueInSilenceDownToTheTarget) {
  Sink sink;
  sink.queue = 35 * kMs;
  sink.play(300, true);  // 3 s of silence
  EXPECT_EQ(sink.queue, TrimDecision::kTargetWait);
  EXPECT_EQ(sink.dropped, 35 * kMs - TrimDecision::kTargetWait);
  EXPECT_EQ(sink.decision.target(), TrimDecision::kTargetWait);
}

TEST(PlayoutTrimmer, DropsTheWholeExcessAfterOneWindow) {
  Sink sink;
  sink.queue = 200 * kMs;
  sink.play(29, true);  // the first window is not over: nothing yet
  EXPECT_EQ(sink.dropped, 0u);
  sink.play(30, true);
  EXPECT_EQ(sink.queue, TrimDecision::kTargetWait);
}

TEST(PlayoutTrimmer, NeverDropsSpeech) {
  Sink sink;
  sink.queue = 35 * kMs;
  sink.play(300, false);
  EXPECT_EQ(sink.queue, 35 * kMs);
  EXPECT_EQ(sink.dropped, 0u);
  // The talker pauses: the queue goes then.
  sink.play(100, true);
  EXPECT_EQ(sink.queue, TrimDecision::kTargetWait);
}

TEST(PlayoutTrimmer, LeavesAQueueWithinAMillisecondOfTheTargetAlone) {
  Sink sink;
  sink.queue = TrimDecision::kTargetWait + TrimDecision::kMinTrim / 2;
  sink.play(500, true);
  EXPECT_EQ(sink.dropped, 0u);
}

TEST(PlayoutTrimmer, OneLatePacketIsNotAStandingQueue) {
  TrimDecision decision;
  GstClockTime dropped = 0;
  for (int i = 0; i < 300; ++i) {
    const GstClockTime wait = i == 50 ? 40 * kMs : 2 * kMs;  // one packet 40 ms late
    const GstClockTime drop = decision.to_drop(wait, kPacket);
    if (drop > 0) decision.dropped(drop);
    dropped += drop;
  }
  EXPECT_EQ(dropped, 0u);
}

TEST(PlayoutTrimmer, LateAudioRaisesTheTargetAndCalmLowersItAgain) {
  Sink sink;
  sink.queue = 2 * kMs;
  sink.play(400, true);  // past the settling time
  EXPECT_EQ(sink.decision.target(), TrimDecision::kTargetWait);
  // A packet 12 ms late: the speaker ran dry, and everything after plays 12 ms later.
  sink.queue += 12 * kMs;
  sink.play(60, true);
  EXPECT_EQ(sink.decision.target(), 14 * kMs);
  EXPECT_EQ(sink.queue, 14 * kMs);  // kept: the next such packet finds audio queued
  EXPECT_EQ(sink.dropped, 0u);
  // 10 s of calm take it down 1 ms, and the queue with it.
  sink.play(1030, true);
  EXPECT_EQ(sink.decision.target(), 13 * kMs);
  EXPECT_EQ(sink.queue, 13 * kMs);
  // It never rises past its limit.
  sink.queue += 100 * kMs;
  sink.play(60, true);
  EXPECT_EQ(sink.decision.target(), TrimDecision::kMaxTarget);
}

TEST(PlayoutTrimmer, TheStartUpBurstIsTrimmedButNotTakenAsLateness) {
  Sink sink;
  sink.queue = 5 * kMs;
  sink.play(60, true);
  sink.queue = 800 * kMs;  // the jitter buffer's first release, concealment of set-up
  sink.play(150, true);
  EXPECT_EQ(sink.queue, TrimDecision::kTargetWait);
  EXPECT_EQ(sink.decision.target(), TrimDecision::kTargetWait);
}

TEST(PlayoutTrimmer, AnOffsetThatDroppingCannotLowerRaisesTheTarget) {
  TrimDecision decision;
  GstClockTime dropped = 0;
  for (int i = 0; i < 600; ++i) {  // 6 s, the wait stuck at 14 ms whatever is dropped
    const GstClockTime drop = decision.to_drop(14 * kMs, kPacket);
    if (drop > 0) decision.dropped(drop);
    dropped += drop;
  }
  EXPECT_EQ(decision.target(), 15 * kMs);
  EXPECT_EQ(dropped, TrimDecision::kFutileDrops * (14 * kMs - TrimDecision::kTargetWait));
}

TEST(PlayoutTrimmer, NeverDropsMoreThanTheExcess) {
  TrimDecision decision;
  for (int i = 0; i < 29; ++i)
    EXPECT_EQ(decision.to_drop(30 * kMs, kPacket), 0u);
  // The window ends on a 100 ms buffer: only the excess of it goes.
  EXPECT_EQ(decision.to_drop(30 * kMs, 100 * kMs), 30 * kMs - TrimDecision::kTargetWait);
}

}  // namespace
}  // namespace lanline::media
