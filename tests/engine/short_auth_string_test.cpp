// The short authentication string (engine/short_auth_string.hpp): the same on both sides,
// six digits, and another one when either certificate is another.
#include "engine/short_auth_string.hpp"

#include <gtest/gtest.h>

#include <set>

namespace lanline::engine {
namespace {

const std::string kAlice =
    "sha-256 75:B1:6A:AB:E7:CE:1B:63:46:E3:C8:97:B8:73:F0:88:35:02:68:D8:25:8F:7B:67:4B:86:33:D6:"
    "5A:F6:DD:F6";
const std::string kBob =
    "22:C7:16:F7:5B:85:60:52:2F:D7:1F:CB:CB:20:3A:61:94:FD:DF:95:DD:A4:72:36:7A:6F:4F:38:8A:95:"
    "B5:0D";

TEST(ShortAuthString, BothSidesReadTheSame) {
  const std::string sas = short_auth_string(kAlice, kBob);
  ASSERT_EQ(sas.size(), 7u);
  EXPECT_EQ(sas[3], ' ');
  for (std::size_t i : {0u, 1u, 2u, 4u, 5u, 6u})
    EXPECT_TRUE(sas[i] >= '0' && sas[i] <= '9') << sas;
  EXPECT_EQ(short_auth_string(kBob, kAlice), sas);
  std::string lower = kBob;
  for (char& c : lower)
    c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(short_auth_string("sha-256 " + lower, kAlice), sas);  // however it is written
  EXPECT_EQ(short_auth_string(kAlice, ""), "");
}

// A man in the middle shows each side a certificate of its own: each side's string is
// made with that one, and they differ (and differ from the true one).
TEST(ShortAuthString, AnotherCertificateGivesAnotherString) {
  const std::string truth = short_auth_string(kAlice, kBob);
  std::set<std::string> impostors;
  for (int i = 0; i < 256; ++i) {
    std::string mallory = kBob;
    mallory[i % 32 * 3] = "0123456789ABCDEF"[i % 16];
    mallory[i % 32 * 3 + 1] = "FEDCBA9876543210"[i / 16];
    if (mallory != kBob) impostors.insert(mallory);
  }
  std::set<std::string> strings;
  for (const std::string& mallory : impostors) {
    const std::string sas = short_auth_string(kAlice, mallory);
    EXPECT_NE(sas, truth) << mallory;  // (a chance of one in 10^6 each; these are fixed)
    strings.insert(sas);
  }
  // 20 bits: among a few hundred strings one collision may happen, not more.
  EXPECT_GE(strings.size() + 1, impostors.size());
}

}  // namespace
}  // namespace lanline::engine
