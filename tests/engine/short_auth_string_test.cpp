// The short authentication string (engine/short_auth_string.hpp): six digits in two
// groups from the handshake's number; the handshake test checks both ends get the same.
#include "engine/short_auth_string.hpp"

#include <gtest/gtest.h>

#include <set>

namespace lanline::engine {
namespace {

TEST(ShortAuthString, SixDigitsInTwoGroups) {
  EXPECT_EQ(short_auth_string(0), "000 000");
  EXPECT_EQ(short_auth_string(123456), "123 456");
  EXPECT_EQ(short_auth_string(1000000 + 42), "000 042");
  EXPECT_EQ(short_auth_string(4294967295u), "967 295");
}

TEST(ShortAuthString, NeighbouringNumbersReadDifferently) {
  std::set<std::string> seen;
  for (std::uint32_t v = 0x7fff0000u; v < 0x7fff0000u + 1000; ++v)
    seen.insert(short_auth_string(v));
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace lanline::engine
