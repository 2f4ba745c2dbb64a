// `lanline ctl`: each command's request object, usage errors, and the real binary against
// a ControlServer in this process (exit codes 0, 1, 2; the event stream; Ctrl-C).
#include <gtest/gtest.h>
#include <signal.h>

#include "app/control_server.hpp"
#include "app/ctl_request.hpp"
#include "app_test_support.hpp"

namespace lanline::app {
namespace {

using namespace testkit;
using nlohmann::json;

json request(std::vector<std::string> args) {
  std::string error;
  auto built = build_ctl_request(args, error);
  EXPECT_TRUE(built) << error;
  return built.value_or(json());
}

std::string usage_error(std::vector<std::string> args) {
  std::string error;
  auto built = build_ctl_request(args, error);
  EXPECT_FALSE(built) << built->dump();
  return error;
}

TEST(CtlRequest, CommandsWithoutArguments) {
  for (const char* cmd : {"status", "peers", "mute", "unmute", "calls", "events", "quit"}) {
    EXPECT_EQ(request({cmd}), (json{{"cmd", cmd}}));
    EXPECT_NE(usage_error({cmd, "extra"}).find("takes no arguments"), std::string::npos);
  }
}

TEST(CtlRequest, TargetCommands) {
  EXPECT_EQ(request({"call", "alice"}), (json{{"cmd", "call"}, {"target", "alice"}}));
  EXPECT_EQ(request({"call", "sips:bob@192.0.2.4:5061"}),
            (json{{"cmd", "call"}, {"target", "sips:bob@192.0.2.4:5061"}}));
  EXPECT_EQ(request({"history", "alice"}), (json{{"cmd", "history"}, {"target", "alice"}}));
  usage_error({"call"});
  usage_error({"call", "a", "b"});
  // Without a target, history is the call log.
  EXPECT_EQ(request({"history"}), (json{{"cmd", "history"}}));
  EXPECT_EQ(request({"history", "alice", "1000"}),
            (json{{"cmd", "history"}, {"target", "alice"}, {"limit", 1000}}));
  usage_error({"history", "a", "b"});
  usage_error({"history", "a", "0"});
  usage_error({"history", "a", "1", "2"});
  EXPECT_EQ(request({"devices"}), (json{{"cmd", "devices"}}));
  usage_error({"devices", "x"});
}

TEST(CtlRequest, CallCommandsTakeAnOptionalCallId) {
  for (const char* cmd : {"answer", "decline", "hangup", "hold", "resume"}) {
    EXPECT_EQ(request({cmd}), (json{{"cmd", cmd}}));
    // The engine's call ids are numbers; one typed as digits goes as a number.
    EXPECT_EQ(request({cmd, "3"}), (json{{"cmd", cmd}, {"call", 3}}));
    EXPECT_EQ(request({cmd, "c-7"}), (json{{"cmd", cmd}, {"call", "c-7"}}));
    usage_error({cmd, "1", "2"});
  }
}

TEST(CtlRequest, Dtmf) {
  EXPECT_EQ(request({"dtmf", "123*#"}), (json{{"cmd", "dtmf"}, {"digits", "123*#"}}));
  EXPECT_EQ(request({"dtmf", "abcd"}), (json{{"cmd", "dtmf"}, {"digits", "ABCD"}}));
  EXPECT_NE(usage_error({"dtmf", "12x"}).find("'x' is not a DTMF digit"), std::string::npos);
  usage_error({"dtmf"});
  usage_error({"dtmf", ""});
}

TEST(CtlRequest, MessageJoinsTheWordsOfTheText) {
  EXPECT_EQ(request({"message", "alice", "hello", "there"}),
            (json{{"cmd", "message"}, {"target", "alice"}, {"text", "hello there"}}));
  EXPECT_EQ(request({"message", "alice", "-- dashes --"}),
            (json{{"cmd", "message"}, {"target", "alice"}, {"text", "-- dashes --"}}));
  usage_error({"message", "alice"});
  usage_error({"message"});
  usage_error({"message", "alice", ""});
}

TEST(CtlRequest, ScreenVideoSnapshotPresence) {
  EXPECT_EQ(request({"screen", "start"}), (json{{"cmd", "screen"}, {"action", "start"}}));
  EXPECT_EQ(request({"screen", "stop"}), (json{{"cmd", "screen"}, {"action", "stop"}}));
  EXPECT_EQ(request({"video", "on"}), (json{{"cmd", "video"}, {"action", "on"}}));
  EXPECT_EQ(request({"video", "off"}), (json{{"cmd", "video"}, {"action", "off"}}));
  EXPECT_EQ(request({"screen", "start", "DP-1"}),
            (json{{"cmd", "screen"}, {"action", "start"}, {"monitor", "DP-1"}}));
  EXPECT_EQ(request({"screen", "monitors"}), (json{{"cmd", "screen"}, {"action", "monitors"}}));
  usage_error({"screen", "stop", "DP-1"});
  usage_error({"screen", "start", "DP-1", "DP-2"});
  usage_error({"screen", "on"});
  EXPECT_EQ(request({"trust", "Bob"}), (json{{"cmd", "trust"}, {"target", "Bob"}}));
  usage_error({"trust"});
  usage_error({"trust", "Bob", "Carol"});
  usage_error({"video", "start"});
  usage_error({"video"});

  EXPECT_EQ(request({"snapshot", "remote", "/tmp/x.png"}),
            (json{{"cmd", "snapshot"}, {"kind", "remote"}, {"path", "/tmp/x.png"}}));
  // The node has its own working directory: a relative path is made absolute here.
  json local = request({"snapshot", "local", "shots/../me.png"});
  EXPECT_EQ(local["kind"], "local");
  EXPECT_EQ(local["path"], (std::filesystem::current_path() / "me.png").string());
  EXPECT_EQ(request({"snapshot", "screen", "/s.png"})["kind"], "screen");
  usage_error({"snapshot", "front", "/x.png"});
  usage_error({"snapshot", "remote"});

  EXPECT_EQ(request({"presence", "away"}), (json{{"cmd", "presence"}, {"state", "away"}}));
  EXPECT_EQ(request({"presence", "busy", "in", "a", "meeting"}),
            (json{{"cmd", "presence"}, {"state", "busy"}, {"note", "in a meeting"}}));
  EXPECT_EQ(request({"presence", "available"})["state"], "available");
  usage_error({"presence"});
  usage_error({"presence", "asleep"});
}

TEST(CtlRequest, UnknownCommandListsTheCommands) {
  std::string error = usage_error({"dial", "alice"});
  EXPECT_NE(error.find("unknown command 'dial'"), std::string::npos);
  for (const char* cmd : {"status", "call TARGET", "snapshot remote|local|screen PATH.png",
                          "presence available|away|busy", "events", "quit"})
    EXPECT_NE(error.find(cmd), std::string::npos) << cmd;
  EXPECT_NE(usage_error({}).find("give a command"), std::string::npos);
}

TEST(CtlRequest, UsageErrorShowsTheCommandsSyntax) {
  EXPECT_NE(usage_error({"call"}).find("usage: lanline ctl call TARGET"), std::string::npos);
}

// The real binary, talking to a server of this test on the profile's socket.
class CtlBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (lanline_binary().empty()) GTEST_SKIP() << "LANLINE_BIN is not set";
    context_ = g_main_context_new();
    env_ = {{"XDG_RUNTIME_DIR", dir_.path().string()}};
    std::filesystem::create_directories(dir_.path() / "lanline");
    ControlServerOptions options;
    options.socket_path = dir_.path() / "lanline" / "t.sock";
    options.profile = "t";
    std::string error;
    server_ = ControlServer::create(context_, options, error);
    ASSERT_TRUE(server_) << error;
    server_->start(handler_);
  }
  void TearDown() override {
    server_.reset();
    if (context_) g_main_context_unref(context_);
  }
  RunResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"ctl", "--profile", "t"});
    return run_lanline(args, env_, dir_, context_);
  }

  TempDir dir_;
  GMainContext* context_ = nullptr;
  std::map<std::string, std::string> env_;
  FakeHandler handler_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(CtlBinaryTest, OkReplyIsPrintedAndExitsZero) {
  handler_.replies["status"] = {{"ok", true}, {"name", "fake node"}};
  RunResult run = ctl({"status"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(json::parse(run.out), (json{{"id", 1}, {"ok", true}, {"name", "fake node"}}));
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1);
  ASSERT_EQ(handler_.requests.size(), 1u);
  EXPECT_EQ(handler_.requests[0], (json{{"id", 1}, {"cmd", "status"}}));
}

TEST_F(CtlBinaryTest, ArgumentsThatLookLikeOptionsBelongToTheCommand) {
  RunResult run = ctl({"message", "alice", "-v", "--not-an-option"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(handler_.requests.size(), 1u);
  EXPECT_EQ(handler_.requests[0]["text"], "-v --not-an-option");
}

TEST_F(CtlBinaryTest, FailedReplyExitsOne) {
  handler_.replies["hangup"] = {{"ok", false}, {"error", "no call"}};
  RunResult run = ctl({"hangup"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(json::parse(run.out)["error"], "no call");
}

TEST_F(CtlBinaryTest, UsageErrorsExitTwoWithoutAsking) {
  RunResult run = ctl({"dial", "alice"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("unknown command 'dial'"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("presence available|away|busy"), std::string::npos) << run.err;
  run = ctl({"call"});
  EXPECT_EQ(run.exit_code, 2);
  run = run_lanline({"ctl", "--profile", "bad/name", "status"}, env_, dir_, context_);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("profile name 'bad/name'"), std::string::npos) << run.err;
  EXPECT_TRUE(handler_.requests.empty());
}

TEST_F(CtlBinaryTest, NoNodeForTheProfileExitsTwo) {
  RunResult run = run_lanline({"ctl", "--profile", "nobody", "status"}, env_, dir_, context_);
  EXPECT_EQ(run.exit_code, 2);
  std::string socket = (dir_.path() / "lanline" / "nobody.sock").string();
  EXPECT_EQ(run.err, "lanline ctl: no Lanline node is running for profile nobody (no socket at " +
                         socket + "): start one with `lanline --headless --profile nobody`\n");
  EXPECT_TRUE(run.out.empty());
}

TEST_F(CtlBinaryTest, ProfileBeforeCtlWorksToo) {
  RunResult run = run_lanline({"--profile", "t", "ctl", "peers"}, env_, dir_, context_);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(handler_.requests.size(), 1u);
}

TEST_F(CtlBinaryTest, EventsArePrintedUntilTheNodeCloses) {
  Child child = start_lanline({"ctl", "--profile", "t", "events"}, env_, dir_);
  ASSERT_TRUE(pump_until(
      context_, [&] { return handler_.subscribers() == 1; }, 10s));
  handler_.emit({{"event", "peer.added"}, {"name", "alice"}});
  handler_.emit({{"event", "message.received"}, {"text", "hi"}});
  // Each line reaches the output as it comes, not when ctl exits.
  ASSERT_TRUE(pump_until(
      context_, [&] { return read_text(child.out_file).find("hi") != std::string::npos; }, 10s));
  server_.reset();  // the node stops
  RunResult run = wait_lanline(child, context_);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "{\"id\":1,\"ok\":true}\n"
            "{\"event\":\"peer.added\",\"name\":\"alice\"}\n"
            "{\"event\":\"message.received\",\"text\":\"hi\"}\n");
}

TEST_F(CtlBinaryTest, EventsStopOnCtrlC) {
  Child child = start_lanline({"ctl", "--profile", "t", "events"}, env_, dir_);
  ASSERT_TRUE(pump_until(
      context_, [&] { return handler_.subscribers() == 1; }, 10s));
  ::kill(child.pid, SIGINT);
  RunResult run = wait_lanline(child, context_);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(pump_until(context_, [&] { return handler_.subscribers() == 0; }));
}

}  // namespace
}  // namespace lanline::app
