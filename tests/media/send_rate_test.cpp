// The video send rate's rule (media/send_rate.hpp), report by report.
#include "media/send_rate.hpp"

#include <gtest/gtest.h>

using lanline::media::SendRate;

TEST(SendRate, StartsAtTheMostAndHoldsWithoutReports) {
  SendRate rate(1500, 150);
  EXPECT_EQ(rate.kbps(), 1500);
  EXPECT_EQ(rate.update(-1, -1), 1500);  // a report without a report block
}

TEST(SendRate, HeavyLossCutsInProportion) {
  SendRate rate(1500, 150);
  EXPECT_EQ(rate.update(0.30, 2), 1275);  // x (1 - 0.15)
  EXPECT_EQ(rate.update(0.30, 2), 1083);
  for (int i = 0; i < 40; ++i)
    rate.update(0.5, 2);
  EXPECT_EQ(rate.kbps(), 150);  // never below the floor
}

TEST(SendRate, ModerateLossHoldsAndLittleLossGrowsBackToTheMost) {
  SendRate rate(1000, 100);
  rate.update(0.40, 2);
  EXPECT_EQ(rate.kbps(), 800);
  EXPECT_EQ(rate.update(0.05, 2), 800);  // between 2 and 10 %: held
  EXPECT_EQ(rate.update(0.10, 2), 800);
  EXPECT_EQ(rate.update(0.0, 2), 864);  // + 8 %
  for (int i = 0; i < 20; ++i)
    rate.update(0.01, 2);
  EXPECT_EQ(rate.kbps(), 1000);  // never above what was asked for
}

TEST(SendRate, AGrowingRoundTripCutsWithoutLoss) {
  SendRate rate(1000, 100);
  rate.update(0, 10);                    // the lowest round trip: 10 ms
  EXPECT_EQ(rate.update(0, 150), 1000);  // higher, but not by 200 ms: still at the most
  EXPECT_EQ(rate.update(0, 260), 850);   // queues filling
  EXPECT_EQ(rate.update(0, 20), 918);    // drained: grows again
}
