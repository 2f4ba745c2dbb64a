// Trust on first use (engine/identity_pins.hpp) on a real SQLite file.
#include "engine/identity_pins.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace lanline::engine {
namespace {

class IdentityPinsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/lanline-pins-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(IdentityPinsTest, TheFirstFingerprintIsPinnedAndAnotherIsFlagged) {
  std::string error;
  auto pins = IdentityPins::open(dir_ / "lanline.db", error);
  ASSERT_TRUE(pins) << error;
  IdentityCheck first = pins->check("id-bob", "sha-256 AA");
  EXPECT_EQ(first.state, IdentityState::kPinned);
  EXPECT_TRUE(first.first_seen);
  IdentityCheck again = pins->check("id-bob", "sha-256 AA");
  EXPECT_EQ(again.state, IdentityState::kPinned);
  EXPECT_FALSE(again.first_seen);
  IdentityCheck other = pins->check("id-bob", "sha-256 BB");
  EXPECT_EQ(other.state, IdentityState::kChanged);
  EXPECT_EQ(other.pinned, "sha-256 AA");  // the old one stays pinned
  EXPECT_EQ(pins->check("id-bob", "sha-256 BB").state, IdentityState::kChanged);
  // Nothing announced: nothing to pin.
  EXPECT_EQ(pins->check("", "sha-256 CC").state, IdentityState::kUnknown);
  EXPECT_EQ(pins->check("id-carol", "").state, IdentityState::kUnknown);
}

TEST_F(IdentityPinsTest, TrustReplacesThePinAndItSurvivesAReopen) {
  std::string error;
  {
    auto pins = IdentityPins::open(dir_ / "lanline.db", error);
    ASSERT_TRUE(pins) << error;
    pins->check("id-bob", "sha-256 AA");
    ASSERT_TRUE(pins->trust("id-bob", "sha-256 BB", error)) << error;
    EXPECT_EQ(pins->check("id-bob", "sha-256 BB").state, IdentityState::kPinned);
  }
  auto reopened = IdentityPins::open(dir_ / "lanline.db", error);
  ASSERT_TRUE(reopened) << error;
  EXPECT_EQ(reopened->check("id-bob", "sha-256 BB").state, IdentityState::kPinned);
  IdentityCheck old = reopened->check("id-bob", "sha-256 AA");
  EXPECT_EQ(old.state, IdentityState::kChanged);
  EXPECT_EQ(old.pinned, "sha-256 BB");
}

// A short authentication string confirmed with a peer verifies its pinned identity (by
// the certificate, either way it is written) until another identity is trusted for it.
TEST_F(IdentityPinsTest, AVerificationStaysWithThePinnedIdentity) {
  std::string error;
  auto pins = IdentityPins::open(dir_ / "lanline.db", error);
  ASSERT_TRUE(pins) << error;
  pins->check("id-bob", "sha-256 AA:01");
  EXPECT_FALSE(pins->verified("AA:01"));
  ASSERT_TRUE(pins->verify("AA:01", error)) << error;  // as SDP's a=fingerprint has it
  EXPECT_TRUE(pins->verified("sha-256 AA:01"));
  EXPECT_TRUE(pins->check("id-bob", "sha-256 AA:01").verified);
  EXPECT_FALSE(pins->verify("CC:02", error));  // nobody pinned has it
  EXPECT_NE(error.find("no pinned identity"), std::string::npos) << error;
  ASSERT_TRUE(pins->trust("id-bob", "sha-256 BB:03", error)) << error;
  EXPECT_FALSE(pins->verified("BB:03"));  // a new identity is not verified yet
}

TEST_F(IdentityPinsTest, AFileThatIsNoDatabaseIsRefusedClearly) {
  std::filesystem::create_directories(dir_);
  FILE* f = std::fopen((dir_ / "lanline.db").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a database, and it is long enough to have a header.........", f);
  std::fclose(f);
  std::string error;
  EXPECT_FALSE(IdentityPins::open(dir_ / "lanline.db", error));
  EXPECT_NE(error.find("pinned identities"), std::string::npos) << error;
}

}  // namespace
}  // namespace lanline::engine
