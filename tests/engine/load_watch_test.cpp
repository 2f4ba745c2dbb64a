// LoadWatch: the share of each window the engine spent working, and its verdict.
#include "engine/load_watch.hpp"

#include <gtest/gtest.h>

namespace lanline::engine {
namespace {

using std::chrono::milliseconds;
using Verdict = LoadWatch::Verdict;

class LoadWatchTest : public ::testing::Test {
 protected:
  LoadWatch watch{milliseconds(250), 0.8};
  LoadWatch::Clock::time_point t = LoadWatch::Clock::time_point{} + std::chrono::hours(1);
  // Work of `busy` ms, then `idle` ms of nothing; the verdict of the work.
  Verdict work(int busy, int idle = 0) {
    const auto start = t;
    t += milliseconds(busy);
    Verdict verdict = watch.record(start, t);
    t += milliseconds(idle);
    return verdict;
  }
};

TEST_F(LoadWatchTest, AWindowOfSteadyWorkIsBehind) {
  Verdict last = Verdict::kWindowOpen;
  for (int i = 0; i < 30 && last == Verdict::kWindowOpen; ++i)
    last = work(10);
  EXPECT_EQ(last, Verdict::kBehind);
  EXPECT_GT(watch.last_share(), 0.99);
}

TEST_F(LoadWatchTest, WorkWithRoomBetweenKeepsUp) {
  Verdict last = Verdict::kWindowOpen;
  for (int i = 0; i < 30 && last == Verdict::kWindowOpen; ++i)
    last = work(5, 5);  // 50 %
  EXPECT_EQ(last, Verdict::kKeepsUp);
  EXPECT_NEAR(watch.last_share(), 0.5, 0.05);
}

TEST_F(LoadWatchTest, ALongIdleSpellIsNotBusy) {
  work(1);
  t += std::chrono::seconds(10);
  EXPECT_EQ(work(50), Verdict::kKeepsUp);
  EXPECT_LT(watch.last_share(), 0.01);
}

TEST_F(LoadWatchTest, OneLongBlockingPieceIsBehind) {
  work(1, 1);
  EXPECT_EQ(work(400), Verdict::kBehind);  // a pipeline that took 400 ms to build
}

TEST_F(LoadWatchTest, TheVerdictFollowsTheLoadBothWays) {
  Verdict last = Verdict::kWindowOpen;
  while (last == Verdict::kWindowOpen)
    last = work(10);
  ASSERT_EQ(last, Verdict::kBehind);
  last = Verdict::kWindowOpen;
  while (last == Verdict::kWindowOpen)
    last = work(1, 9);
  EXPECT_EQ(last, Verdict::kKeepsUp);
}

}  // namespace
}  // namespace lanline::engine
