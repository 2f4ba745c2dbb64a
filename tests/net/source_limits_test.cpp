// Per-source limits (net/source_limits.hpp), with the time given.
#include "net/source_limits.hpp"

#include <gtest/gtest.h>

namespace lanline::net {
namespace {

constexpr std::int64_t kSecond = 1'000'000;

TEST(SourceLimits, ABurstThenTheSustainedRate) {
  SourceLimits limits({{50, 100}, {10, 20}, 32, 4096});  // rates of its own, small
  int taken = 0;
  for (int i = 0; i < 150; ++i)
    taken += limits.admit_request("198.18.4.9", 0) ? 1 : 0;
  EXPECT_EQ(taken, 100);  // the burst, all at once
  EXPECT_EQ(limits.refused_requests(), 50u);
  // One second later, 50 more; then one every 20 ms.
  taken = 0;
  for (int i = 0; i < 80; ++i)
    taken += limits.admit_request("198.18.4.9", kSecond) ? 1 : 0;
  EXPECT_EQ(taken, 50);
  EXPECT_FALSE(limits.admit_request("198.18.4.9", kSecond + 10'000));
  EXPECT_TRUE(limits.admit_request("198.18.4.9", kSecond + 20'000));
  // Another source has its own bucket; this host's programs have none.
  EXPECT_TRUE(limits.admit_request("198.18.4.10", kSecond));
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(limits.admit_request("127.0.0.1", 0));
  EXPECT_TRUE(limits.admit_request("::1", 0));
}

TEST(SourceLimits, ConnectionsByRateAndByCount) {
  SourceLimits limits({{50, 100}, {10, 20}, 32, 4096});  // rates of its own, small
  int taken = 0;
  for (int i = 0; i < 30; ++i)
    taken += limits.admit_connection("fe80::2%eth0", 0, 0) ? 1 : 0;
  EXPECT_EQ(taken, 20);
  EXPECT_FALSE(limits.admit_connection("198.18.4.9", 32, 0));  // holds as many as it may
  EXPECT_TRUE(limits.admit_connection("198.18.4.9", 31, 0));
  EXPECT_EQ(limits.refused_connections(), 11u);
}

// A flood from forged addresses fills the table: it stays bounded, and a real peer
// quiet meanwhile still gets its burst.
TEST(SourceLimits, TheTableStaysBounded) {
  SourceLimits limits({{50, 100}, {10, 20}, 32, 64});
  for (int i = 0; i < 10'000; ++i) {
    limits.admit_request("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                         i * 100);
  }
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(limits.admit_request("198.18.4.2", 20 * kSecond)) << i;
}

// Many sources, each within its own rate, together beyond what all may ask at once.
TEST(SourceLimits, AllSourcesTogetherHaveABucketToo) {
  SourceLimits limits({{200, 400}, {10, 20}, 32, 4096, {2000, 4000}});
  int taken = 0;
  for (int source = 0; source < 100; ++source) {
    for (int i = 0; i < 100; ++i)
      taken += limits.admit_request("10.1.0." + std::to_string(source), 0) ? 1 : 0;
  }
  EXPECT_EQ(taken, 4000);
  EXPECT_EQ(limits.refused_requests(), 6000u);
}

}  // namespace
}  // namespace lanline::net
