// The node's identity: made once under the profile's data directory, kept across starts,
// the key private to its owner.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "engine/node_identity.hpp"

namespace lanline::engine {
namespace {

namespace fs = std::filesystem;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lanline-identity-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST_F(IdentityTest, MadeOnceAndKept) {
  std::string error;
  auto first = load_or_create_identity(dir / "identity", error);
  ASSERT_TRUE(first) << error;
  EXPECT_TRUE(std::regex_match(first->instance_id,
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                          "[0-9a-f]{12}")));
  EXPECT_TRUE(
      std::regex_match(first->fingerprint, std::regex("sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}")));
  EXPECT_EQ(mode_of(first->key), 0600u);
  EXPECT_EQ(mode_of(dir / "identity"), 0700u);
  auto second = load_or_create_identity(dir / "identity", error);
  ASSERT_TRUE(second) << error;
  EXPECT_EQ(second->instance_id, first->instance_id);
  EXPECT_EQ(second->fingerprint, first->fingerprint);
}

TEST_F(IdentityTest, ALostKeyMeansANewCertificateButTheSameInstance) {
  std::string error;
  auto first = load_or_create_identity(dir, error);
  ASSERT_TRUE(first) << error;
  fs::remove(first->key);
  auto second = load_or_create_identity(dir, error);
  ASSERT_TRUE(second) << error;
  EXPECT_EQ(second->instance_id, first->instance_id);
  EXPECT_NE(second->fingerprint, first->fingerprint);
}

TEST_F(IdentityTest, AGarbledInstanceIdIsReplaced) {
  std::ofstream(dir / "instance_id") << "not a uuid\n";
  std::string error;
  auto identity = load_or_create_identity(dir, error);
  ASSERT_TRUE(identity) << error;
  EXPECT_NE(identity->instance_id, "not a uuid");
}

TEST_F(IdentityTest, AnUnwritableDirectorySaysWhatToDo) {
  std::ofstream(dir / "file") << "x";
  std::string error;
  EXPECT_FALSE(load_or_create_identity(dir / "file" / "identity", error));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
}

}  // namespace
}  // namespace lanline::engine
