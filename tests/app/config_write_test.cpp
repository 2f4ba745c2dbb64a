// Writing the profile's config file from the settings panel: keys set in place, comments
// and other keys kept, a bad value refused before anything is written, and the result
// always loads again.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "app/config.hpp"
#include "app_test_support.hpp"

namespace lanline::app {
namespace {

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigWrite, CreatesTheFileAndItsFolder) {
  testkit::TempDir dir;
  auto file = dir.path() / "lanline" / "p" / "config";
  std::string error;
  ASSERT_TRUE(update_config(file, {{"name", "Zoë \"Z\" Smith"}, {"sip-port", "5070"}}, error))
      << error;
  NodeOptions options;
  ASSERT_TRUE(load_config(file, options, error)) << error;
  EXPECT_EQ(options.name, "Zoë \"Z\" Smith");
  EXPECT_EQ(options.sip_port, 5070);
}

TEST(ConfigWrite, KeepsCommentsAndOtherKeysAndReplacesInPlace) {
  testkit::TempDir dir;
  auto file = dir.path() / "config";
  { std::ofstream(file) << "# my settings\nname = \"Old Name\"  # who I am\nauto-answer = true\n"; }
  std::string error;
  ASSERT_TRUE(update_config(file, {{"name", "New Name"}, {"stun", "192.0.2.1:3478"}}, error))
      << error;
  std::string text = read(file);
  EXPECT_EQ(text,
            "# my settings\nname = \"New Name\"\nauto-answer = true\nstun = \"192.0.2.1:3478\"\n");
  NodeOptions options;
  ASSERT_TRUE(load_config(file, options, error)) << error;
  EXPECT_EQ(options.name, "New Name");
  EXPECT_TRUE(options.auto_answer);
  EXPECT_EQ(options.stun, "192.0.2.1:3478");
}

TEST(ConfigWrite, ABadValueIsRefusedAndTheFileUntouched) {
  testkit::TempDir dir;
  auto file = dir.path() / "config";
  { std::ofstream(file) << "sip-port = 5062\n"; }
  std::string error;
  EXPECT_FALSE(update_config(file, {{"sip-port", "70000"}}, error));
  EXPECT_NE(error.find("sip-port"), std::string::npos) << error;
  EXPECT_FALSE(update_config(file, {{"colour", "blue"}}, error));
  EXPECT_EQ(read(file), "sip-port = 5062\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "config.new"));
}

}  // namespace
}  // namespace lanline::app
