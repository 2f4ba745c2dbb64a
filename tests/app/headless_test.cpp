// `lanline --headless` as a user runs it: the ready line, options from the config file
// and the command line, `ctl` against it, one node per profile, and every way of
// stopping (quit, SIGTERM, SIGKILL and a restart over the stale socket).
#include <gtest/gtest.h>

#include <signal.h>
#include <cstdlib>

#include <fstream>
#include <regex>

#include "app_test_support.hpp"

namespace lanline::app {
namespace {

using namespace testkit;
using nlohmann::json;

class HeadlessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (lanline_binary().empty()) GTEST_SKIP() << "LANLINE_BIN is not set";
    context_ = g_main_context_new();
    env_ = {{"XDG_CONFIG_HOME", (dir_.path() / "config").string()},
            {"XDG_DATA_HOME", (dir_.path() / "data").string()},
            {"XDG_RUNTIME_DIR", (dir_.path() / "run").string()}};
    socket_ = dir_.path() / "run" / "lanline" / "h.sock";
  }
  void TearDown() override {
    for (Child& child : nodes_) {
      if (::kill(child.pid, 0) == 0) {
        ::kill(child.pid, SIGKILL);
        wait_lanline(child, context_);
      }
    }
    if (context_) g_main_context_unref(context_);
  }

  // Starts a node and waits for its ready line.
  Child& start_node(std::vector<std::string> args) {
    nodes_.push_back(start_lanline(args, env_, dir_));
    Child& node = nodes_.back();
    bool ready = pump_until(
        context_, [&] { return read_text(node.out_file).find('\n') != std::string::npos; }, 20s);
    EXPECT_TRUE(ready) << read_text(node.err_file);
    return node;
  }
  RunResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"ctl", "--profile", "h"});
    return run_lanline(args, env_, dir_, context_);
  }

  TempDir dir_;
  GMainContext* context_ = nullptr;
  std::map<std::string, std::string> env_;
  std::filesystem::path socket_;
  std::vector<Child> nodes_;
};

TEST_F(HeadlessTest, ReadyLineThenCtlThenQuit) {
  std::filesystem::path config = dir_.path() / "config" / "lanline" / "h" / "config";
  std::filesystem::create_directories(config.parent_path());
  std::ofstream(config) << "name = \"From Config\"\nuser = \"cfguser\"\nsip-port = 0\n";
  Child& node = start_node({"--headless", "--profile", "h", "--name", "Test Node"});

  std::string ready = read_text(node.out_file);
  std::smatch match;
  ASSERT_TRUE(std::regex_match(
      ready, match,
      std::regex(
          R"(lanline: (.+) ready on sip:([^@]+)@([0-9.]+):([0-9]+), control socket (.+)\n)")))
      << ready;
  EXPECT_EQ(match[1], "Test Node");  // the command line over the config file
  EXPECT_EQ(match[2], "cfguser");    // the config file over the default
  EXPECT_NE(match[4], "0");
  EXPECT_EQ(match[5], socket_.string());

  RunResult status = ctl({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(json::parse(status.out)["ok"], true);

  // Subscribed for sure (the ack came) before the quit, so the stream's end is seen.
  TestClient events(socket_, context_);
  events.send("{\"cmd\":\"events\"}\n");
  auto ack = events.read_json();
  ASSERT_TRUE(ack);
  EXPECT_EQ((*ack)["ok"], true);
  RunResult quit = ctl({"quit"});
  EXPECT_EQ(quit.exit_code, 0) << quit.err;
  RunResult stopped = wait_lanline(node, context_, 10s);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_FALSE(std::filesystem::exists(socket_));
  EXPECT_TRUE(events.closed_by_server());  // the stream ended with the node

  RunResult after = ctl({"status"});
  EXPECT_EQ(after.exit_code, 2);
  EXPECT_NE(after.err.find("no Lanline node is running for profile h"), std::string::npos);
}

TEST_F(HeadlessTest, SecondNodeForTheProfileIsRefused) {
  start_node({"--headless", "--profile", "h", "--sip-port", "0"});
  RunResult second =
      run_lanline({"--headless", "--profile", "h", "--sip-port", "0"}, env_, dir_, context_);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(second.err, "lanline: profile h is already running (socket " + socket_.string() +
                            "); use --profile to run another node\n");
  EXPECT_TRUE(second.out.empty());
  EXPECT_EQ(ctl({"status"}).exit_code, 0);  // the first one is untouched

  // Another profile is another node.
  Child& other = start_node({"--headless", "--profile", "h2", "--sip-port", "0"});
  EXPECT_NE(read_text(other.out_file).find("h2.sock"), std::string::npos);
}

TEST_F(HeadlessTest, SigtermStopsCleanly) {
  Child& node = start_node({"--headless", "--profile", "h", "--sip-port", "0"});
  ::kill(node.pid, SIGTERM);
  RunResult stopped = wait_lanline(node, context_, 10s);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(HeadlessTest, RestartAfterAKillTakesOverTheStaleSocket) {
  Child& first = start_node({"--headless", "--profile", "h", "--sip-port", "0"});
  ::kill(first.pid, SIGKILL);
  wait_lanline(first, context_);
  ASSERT_TRUE(std::filesystem::exists(socket_));  // left behind
  EXPECT_EQ(ctl({"status"}).exit_code, 2);

  start_node({"--headless", "--profile", "h", "--sip-port", "0"});
  RunResult status = ctl({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
}

TEST_F(HeadlessTest, WithoutADisplayTheAppSaysSoAndRunsHeadless) {
  testkit::ScopedEnv no_x("DISPLAY", std::nullopt);
  testkit::ScopedEnv no_wayland("WAYLAND_DISPLAY", std::nullopt);
  Child& node = start_node({"--profile", "h", "--sip-port", "0"});
  EXPECT_NE(read_text(node.out_file).find("ready on sip:"), std::string::npos);
  EXPECT_EQ(read_text(node.err_file).substr(0, 69),
            "lanline: no display (DISPLAY/WAYLAND_DISPLAY unset): running headless");
  ::kill(node.pid, SIGINT);
  EXPECT_EQ(wait_lanline(node, context_, 10s).exit_code, 0);
}

TEST_F(HeadlessTest, ADisplayThatCannotBeOpenedFallsBackToHeadless) {
  testkit::ScopedEnv dead_x("DISPLAY", ":4242");  // no X server there
  testkit::ScopedEnv no_wayland("WAYLAND_DISPLAY", std::nullopt);
  // SDL's failed start leaves libdbus's own allocations behind (SDL 2.26 never calls
  // dbus_shutdown). In the sanitizer build the node's leaks are judged from its log,
  // against the leaks libraries leave by design (tests/sanitizers/lsan_by_design.txt),
  // not by its exit status.
  testkit::ScopedEnv lsan("LSAN_OPTIONS", std::string("exitcode=0"));
  Child& node = start_node({"--profile", "h", "--sip-port", "0"});
  EXPECT_NE(read_text(node.out_file).find("ready on sip:"), std::string::npos);
  std::string err = read_text(node.err_file);
  EXPECT_EQ(err.rfind("lanline: cannot open a window", 0), 0u) << err;
  EXPECT_NE(err.find("running headless"), std::string::npos) << err;
  ::kill(node.pid, SIGINT);
  EXPECT_EQ(wait_lanline(node, context_, 10s).exit_code, 0);
  if (read_text(node.err_file).find("ERROR: LeakSanitizer") != std::string::npos) {
    const std::string root = LANLINE_SOURCE_ROOT;
    const std::string check = "gawk -v known=" + root + "/tests/sanitizers/lsan_by_design.txt -f " +
                              root + "/tests/lib/lsan_check.awk " + node.err_file.string();
    EXPECT_EQ(std::system(check.c_str()), 0) << read_text(node.err_file);
  }
}

}  // namespace
}  // namespace lanline::app
