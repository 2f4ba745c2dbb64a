// The playout trimmer's decision (media/playout_trimmer.hpp), fed the waits a device sink
// would see: a queue left over from the call's start is trimmed in silence, never in
// speech; a constant offset that dropping cannot lower stops the dropping.
#include "media/playout_trimmer.hpp"

#include <gtest/gtest.h>

namespace lanline::media {
namespace {

constexpr GstClockTime kMs = GST_MSECOND;
constexpr GstClockTime kPacket = 10 * kMs;

// Feeds `count` 10 ms buffers; the queue in front of the sink is `queue`, less what was
// dropped. Drops a buffer whenever the decision wants one and `silent` allows it. Returns
// the number dropped.
int feed(TrimDecision& decision, GstClockTime& queue, int count, bool silent) {
  int drops = 0;
  for (int i = 0; i < count; ++i) {
    if (decision.wants_to_drop(queue, kPacket) && silent) {
      decision.dropped(kPacket);
      ++drops;
      queue = queue > kPacket ? queue - kPacket : 0;  // the queue behind it moves up
    }
  }
  return drops;
}

TEST(PlayoutTrimmer, TrimsAStandingQueueInSilenceDownToTheTarget) {
  TrimDecision decision;
  GstClockTime queue = 35 * kMs;
  const int drops = feed(decision, queue, 300, true);  // 3 s of silence
  EXPECT_EQ(drops, 3);
  EXPECT_EQ(queue, 5 * kMs);
  EXPECT_LE(queue, TrimDecision::kTargetWait);
  EXPECT_EQ(decision.target(), TrimDecision::kTargetWait);
}

TEST(PlayoutTrimmer, DropsAtMostOneBufferPerWindow) {
  TrimDecision decision;
  GstClockTime queue = 200 * kMs;
  // 1 s: windows end at 300, 600 and 900 ms, one drop after each.
  EXPECT_EQ(feed(decision, queue, 100, true), 3);
}

TEST(PlayoutTrimmer, NeverDropsSpeech) {
  TrimDecision decision;
  GstClockTime queue = 35 * kMs;
  EXPECT_EQ(feed(decision, queue, 300, false), 0);
  EXPECT_EQ(queue, 35 * kMs);
  // The talker pauses: the queue goes then.
  EXPECT_GT(feed(decision, queue, 100, true), 0);
  EXPECT_LT(queue, 35 * kMs);
}

TEST(PlayoutTrimmer, LeavesAShortQueueAlone) {
  TrimDecision decision;
  GstClockTime queue = 6 * kMs;
  EXPECT_EQ(feed(decision, queue, 500, true), 0);
}

TEST(PlayoutTrimmer, OneLatePacketIsNotAStandingQueue) {
  TrimDecision decision;
  int drops = 0;
  for (int i = 0; i < 300; ++i) {
    const GstClockTime wait = i == 50 ? 40 * kMs : 2 * kMs;  // one packet 40 ms late
    if (decision.wants_to_drop(wait, kPacket)) {
      decision.dropped(kPacket);
      ++drops;
    }
  }
  EXPECT_EQ(drops, 0);
}

TEST(PlayoutTrimmer, AnOffsetThatDroppingCannotLowerRaisesTheTarget) {
  TrimDecision decision;
  int drops = 0;
  for (int i = 0; i < 600; ++i) {  // 6 s, the wait stuck at 14 ms whatever is dropped
    if (decision.wants_to_drop(14 * kMs, kPacket)) {
      decision.dropped(kPacket);
      ++drops;
    }
  }
  EXPECT_EQ(drops, TrimDecision::kFutileDrops);
  EXPECT_EQ(decision.target(), 15 * kMs);
}

TEST(PlayoutTrimmer, DropsAStartUpBurstOfConcealmentWhole) {
  TrimDecision decision;
  // The jitter buffer's "lost" packets of the call set-up, concealed as one long buffer
  // that waited over a second.
  // 290 ms of a window, then the long buffer ends it.
  for (int i = 0; i < 29; ++i)
    EXPECT_FALSE(decision.wants_to_drop(1070 * kMs, kPacket));
  EXPECT_TRUE(decision.wants_to_drop(1070 * kMs, 1000 * kMs));
  // But never one longer than the excess: it would leave the speaker waiting.
  TrimDecision other;
  for (int i = 0; i < 29; ++i)
    other.wants_to_drop(30 * kMs, kPacket);
  EXPECT_FALSE(other.wants_to_drop(30 * kMs, 100 * kMs));
  EXPECT_TRUE(other.wants_to_drop(30 * kMs, kPacket));
}

}  // namespace
}  // namespace lanline::media
