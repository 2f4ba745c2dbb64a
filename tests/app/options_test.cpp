// Node options from the config file and the command line: each key's values, the file's
// syntax, errors that name file, line and key, and the command line winning.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "app/config.hpp"
#include "app/options.hpp"
#include "app/profile.hpp"
#include "app_test_support.hpp"

namespace lanline::app {
namespace {

using namespace testkit;

std::string set(NodeOptions& options, std::string_view key, std::string_view value) {
  return set_option(options, key, value);
}

TEST(Options, EveryKeyIsSettable) {
  NodeOptions o;
  EXPECT_EQ(set(o, "name", "Alice Liddell"), "");
  EXPECT_EQ(set(o, "user", "alice"), "");
  EXPECT_EQ(set(o, "sip-port", "5070"), "");
  EXPECT_EQ(set(o, "auto-answer", "true"), "");
  EXPECT_EQ(set(o, "sip-trace", "yes"), "");
  EXPECT_EQ(set(o, "log-level", "debug"), "");
  EXPECT_EQ(set(o, "no-discovery", "on"), "");
  EXPECT_EQ(set(o, "audio-source", "test:440"), "");
  EXPECT_EQ(set(o, "audio-sink", "record:/tmp/out.wav"), "");
  EXPECT_EQ(set(o, "audio-codecs", "pcmu"), "");
  EXPECT_EQ(set(o, "video-codecs", "H264,vp8"), "");
  EXPECT_EQ(set(o, "video-source", "screen"), "");
  EXPECT_EQ(set(o, "video-sink", "null"), "");
  EXPECT_EQ(set(o, "stun", "stun.example.org:3478"), "");
  EXPECT_EQ(set(o, "turn", "turn:turn.example.org:3478?transport=udp"), "");
  EXPECT_EQ(o.name, "Alice Liddell");
  EXPECT_EQ(o.user, "alice");
  EXPECT_EQ(o.sip_port, 5070);
  EXPECT_TRUE(o.auto_answer);
  EXPECT_TRUE(o.sip_trace);
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
  EXPECT_TRUE(o.no_discovery);
  EXPECT_EQ(o.audio_source, "test:440");
  EXPECT_EQ(o.audio_sink, "record:/tmp/out.wav");
  EXPECT_EQ(o.video_source, "screen");
  EXPECT_EQ(o.video_sink, "null");
  EXPECT_EQ(o.stun, "stun.example.org:3478");
  EXPECT_EQ(o.turn, "turn:turn.example.org:3478?transport=udp");
  EXPECT_EQ(o.audio_codecs, std::vector<std::string>{"pcmu"});
  EXPECT_EQ(o.video_codecs, (std::vector<std::string>{"h264", "vp8"}));
  EXPECT_EQ(option_keys().size(), 21u);
  for (std::string_view key : option_keys())
    EXPECT_EQ(set(o, key, "\x01"), "the value holds a control character") << key;
}

TEST(Options, AnAccount) {
  NodeOptions o;
  EXPECT_EQ(set(o, "account", "sip:alice@example.org"), "");
  EXPECT_EQ(o.account, "sip:alice@example.org");
  EXPECT_EQ(set(o, "registrar", "registrar.example.org"), "");
  EXPECT_EQ(set(o, "registrar", "192.0.2.1:5070"), "");
  EXPECT_EQ(set(o, "registrar", "[2001:db8::1]"), "");
  EXPECT_EQ(set(o, "registrar", "[2001:db8::1]:5070"), "");
  EXPECT_EQ(set(o, "outbound-proxy", "sip:proxy.example.org;lr"), "");
  EXPECT_EQ(set(o, "account-transport", "tls"), "");
  EXPECT_EQ(set(o, "password-file", "/home/alice/.sip-password"), "");
  EXPECT_EQ(set(o, "account-expires", "3600"), "");
  EXPECT_EQ(o.account_expires, 3600u);
  EXPECT_EQ(set(o, "account", "alice@example.org"),
            "'alice@example.org' is not an address of record like sip:alice@example.org");
  EXPECT_EQ(set(o, "account", "sip:example.org"),
            "'sip:example.org' is not an address of record like sip:alice@example.org");
  EXPECT_EQ(set(o, "registrar", "host:port"), "'host:port' is not HOST[:PORT]");
  EXPECT_EQ(set(o, "outbound-proxy", "http://proxy"),
            "'http://proxy' is not a SIP URI like sip:proxy.example.org");
  EXPECT_EQ(set(o, "account-transport", "sctp"), "'sctp' is not one of udp, tcp, tls");
  EXPECT_EQ(set(o, "account-expires", "5"), "'5' is not a number of seconds from 20 to 86400");
}

TEST(Options, GoodValuesOfEachKind) {
  NodeOptions o;
  for (const char* v : {"device", "test", "test:1000", "file:/a.wav"})
    EXPECT_EQ(set(o, "audio-source", v), "") << v;
  for (const char* v : {"device", "null", "record:x.wav"})
    EXPECT_EQ(set(o, "audio-sink", v), "");
  for (const char* v : {"device", "test", "screen", "none"})
    EXPECT_EQ(set(o, "video-source", v), "");
  for (const char* v : {"[2001:db8::1]:3478", "192.0.2.1:3478", ""})
    EXPECT_EQ(set(o, "stun", v), "") << v;
  for (const char* v : {"turns:t.example.org", ""})
    EXPECT_EQ(set(o, "turn", v), "") << v;
  EXPECT_EQ(set(o, "sip-port", "0"), "");  // any free port
  EXPECT_EQ(set(o, "user", "a.b-c_d+1"), "");
  for (const char* v : {"false", "no", "off", "0"}) {
    EXPECT_EQ(set(o, "auto-answer", v), "");
    EXPECT_FALSE(o.auto_answer);
  }
  for (const char* v : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_EQ(set(o, "log-level", v), "");
    EXPECT_EQ(to_string(o.log_level), v);
  }
}

TEST(Options, BadValuesSayWhatIsWrong) {
  NodeOptions o;
  EXPECT_EQ(set(o, "sip-port", "abc"), "'abc' is not a port number (0-65535)");
  EXPECT_EQ(set(o, "sip-port", "65536"), "'65536' is not a port number (0-65535)");
  EXPECT_EQ(set(o, "sip-port", "-1"), "'-1' is not a port number (0-65535)");
  EXPECT_EQ(set(o, "auto-answer", "maybe"), "'maybe' is not true or false");
  EXPECT_EQ(set(o, "log-level", "verbose"),
            "'verbose' is not one of trace, debug, info, warn, error");
  EXPECT_NE(set(o, "user", "al ice").find("cannot be the user part"), std::string::npos);
  EXPECT_NE(set(o, "user", "a@b").find("cannot be the user part"), std::string::npos);
  EXPECT_EQ(set(o, "user", ""), "the user part is empty");
  EXPECT_EQ(set(o, "name", ""), "the display name is empty");
  EXPECT_NE(set(o, "audio-source", "mic").find("device, test[:HZ], file:PATH.wav"),
            std::string::npos);
  EXPECT_NE(set(o, "audio-source", "test:loud").find("frequency"), std::string::npos);
  EXPECT_NE(set(o, "audio-source", "file:").find("is not one of"), std::string::npos);
  EXPECT_NE(set(o, "audio-sink", "speaker").find("is not one of"), std::string::npos);
  EXPECT_NE(set(o, "audio-codecs", "opus,gsm").find("unknown audio codec 'gsm'"),
            std::string::npos);
  EXPECT_NE(set(o, "audio-codecs", "pcmu,PCMU").find("listed twice"), std::string::npos);
  EXPECT_NE(set(o, "audio-codecs", "").find("unknown audio codec ''"), std::string::npos);
  EXPECT_NE(set(o, "video-codecs", "vp8,opus").find("unknown video codec 'opus'"),
            std::string::npos);
  EXPECT_NE(set(o, "audio-codecs", "h264").find("unknown audio codec 'h264'"), std::string::npos);
  EXPECT_EQ(set(o, "audio-codecs", "PCMA,opus"), "");
  EXPECT_EQ(o.audio_codecs, (std::vector<std::string>{"pcma", "opus"}));
  EXPECT_NE(set(o, "video-source", "camera").find("is not one of"), std::string::npos);
  EXPECT_NE(set(o, "video-sink", "screen").find("is not one of"), std::string::npos);
  for (const char* v : {"stun.example.org", "host:0", ":3478", "2001:db8::1:3478", "[::1:3478"})
    EXPECT_NE(set(o, "stun", v).find("is not HOST:PORT"), std::string::npos) << v;
  EXPECT_NE(set(o, "turn", "http://x").find("turn: or turns:"), std::string::npos);
  EXPECT_NE(set(o, "sip_port", "5060").find("unknown option 'sip_port' (the options are name,"),
            std::string::npos);
  EXPECT_EQ(o.sip_port, 5060);  // untouched by the failures
}

TEST(Options, DefaultsFillOnlyWhatIsEmpty) {
  NodeOptions o;
  fill_in_defaults(o);
  EXPECT_FALSE(o.name.empty());
  EXPECT_FALSE(o.user.empty());
  NodeOptions given;
  given.name = "N";
  given.user = "u";
  fill_in_defaults(given);
  EXPECT_EQ(given.name, "N");
  EXPECT_EQ(given.user, "u");
}

TEST(Config, ReadsKeyValueLines) {
  NodeOptions o;
  std::string error;
  ASSERT_TRUE(parse_config(R"(# my node
name = "Alice \"A\" Liddell"   # quoted: keeps the quotes inside
user="alice"
sip-port = 5070
auto-answer = true

  log-level = "warn"
audio-source = "file:/music/a#1.wav"  # a '#' inside quotes is text
turn = ""
)",
                           "cfg", o, error))
      << error;
  EXPECT_EQ(o.name, "Alice \"A\" Liddell");
  EXPECT_EQ(o.user, "alice");
  EXPECT_EQ(o.sip_port, 5070);
  EXPECT_TRUE(o.auto_answer);
  EXPECT_EQ(o.log_level, LogLevel::kWarn);
  EXPECT_EQ(o.audio_source, "file:/music/a#1.wav");
}

TEST(Config, EmptyFileChangesNothing) {
  NodeOptions o;
  std::string error;
  EXPECT_TRUE(parse_config("", "cfg", o, error));
  EXPECT_TRUE(parse_config("\n# only a comment\n\n", "cfg", o, error));
  EXPECT_EQ(o.sip_port, 5060);
}

TEST(Config, ErrorsNameFileLineAndKey) {
  auto error_of = [](std::string_view text) {
    NodeOptions o;
    std::string error;
    EXPECT_FALSE(parse_config(text, "/home/a/.config/lanline/default/config", o, error));
    return error;
  };
  EXPECT_EQ(error_of("name = \"A\"\n\nsip-port = \"high\"\n"),
            "/home/a/.config/lanline/default/config:3: sip-port: 'high' is not a port number "
            "(0-65535)");
  EXPECT_EQ(error_of("sip-port = 99999"),
            "/home/a/.config/lanline/default/config:1: sip-port: '99999' is not a port number "
            "(0-65535)");
  EXPECT_EQ(error_of("auto-answer = \"sometimes\""),
            "/home/a/.config/lanline/default/config:1: auto-answer: 'sometimes' is not true or "
            "false");
  // Bare words were taken before TOML: the message says how to write them now.
  EXPECT_EQ(error_of("user = alice"),
            "/home/a/.config/lanline/default/config:1: user: 'alice' is not a TOML value: text "
            "goes in double quotes (user = \"alice\")");
  EXPECT_NE(error_of("colour = \"blue\"").find("config:1: colour: unknown option 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of("just words").find("config:1: "), std::string::npos);
  EXPECT_NE(error_of("name = \"A\"\n[node]\nname = \"A\"")
                .find("config:2: node: sections and lists are not used"),
            std::string::npos);
  EXPECT_NE(error_of("name = [1, 2]").find("config:1: name: sections and lists are not used"),
            std::string::npos);
  EXPECT_NE(error_of("name = 1.5").find("config:1: name: write text in double quotes"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"A\"\nname = \"B\"").find("config:2: name: the key is set twice"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"open").find("config:1: name: "), std::string::npos);
  EXPECT_NE(error_of("name = \"a\" b").find("config:1: name: "), std::string::npos);
  EXPECT_NE(error_of("name = \"a\\qb\"").find("unknown escape"), std::string::npos);
  EXPECT_NE(error_of("= 5").find("config:1: "), std::string::npos);
}

TEST(Config, MissingFileIsDefaultsAndUnreadableIsAnError) {
  TempDir dir;
  NodeOptions o;
  std::string error;
  EXPECT_TRUE(load_config(dir.path() / "none" / "config", o, error)) << error;
  EXPECT_FALSE(load_config(dir.path(), o, error));
  EXPECT_NE(error.find("is a directory"), std::string::npos);
  std::ofstream(dir.path() / "config") << "sip-port = 6000\n";
  EXPECT_TRUE(load_config(dir.path() / "config", o, error)) << error;
  EXPECT_EQ(o.sip_port, 6000);
}

TEST(Profile, NamesAreChecked) {
  for (const char* name : {"default", "alice-2", "a_b.c", "X"})
    EXPECT_EQ(check_profile_name(name), "") << name;
  EXPECT_EQ(check_profile_name(""), "the profile name is empty");
  EXPECT_NE(check_profile_name(".."), "");
  EXPECT_NE(check_profile_name("."), "");
  EXPECT_EQ(check_profile_name("a/b"),
            "profile name 'a/b' has '/': use letters, digits, '-', '_' and '.' only");
  EXPECT_NE(check_profile_name("a b").find("has ' '"), std::string::npos);
  EXPECT_NE(check_profile_name("a\nb").find("has '\\x0a'"), std::string::npos);
  EXPECT_NE(check_profile_name(std::string(65, 'a')).find("longer than 64"), std::string::npos);
  std::string error;
  EXPECT_FALSE(Profile::create("no/slash", error));
  EXPECT_NE(error.find("no/slash"), std::string::npos);
}

TEST(Profile, PathsFollowTheXdgVariables) {
  ScopedEnv config("XDG_CONFIG_HOME", "/x/config");
  ScopedEnv data("XDG_DATA_HOME", "/x/data");
  ScopedEnv runtime("XDG_RUNTIME_DIR", "/x/run");
  std::string error;
  auto profile = Profile::create("work", error);
  ASSERT_TRUE(profile) << error;
  EXPECT_EQ(profile->name(), "work");
  EXPECT_EQ(profile->config_file(), "/x/config/lanline/work/config");
  EXPECT_EQ(profile->data_file(), "/x/data/lanline/work/lanline.db");
  EXPECT_EQ(profile->control_socket(), "/x/run/lanline/work.sock");
}

TEST(Profile, DefaultsUnderHomeAndTmp) {
  ScopedEnv home("HOME", "/home/someone");
  ScopedEnv config("XDG_CONFIG_HOME", std::nullopt);
  ScopedEnv data("XDG_DATA_HOME", "relative/is/ignored");
  ScopedEnv runtime("XDG_RUNTIME_DIR", std::nullopt);
  std::string error;
  auto profile = Profile::create("default", error);
  ASSERT_TRUE(profile) << error;
  EXPECT_EQ(profile->config_file(), "/home/someone/.config/lanline/default/config");
  EXPECT_EQ(profile->data_file(), "/home/someone/.local/share/lanline/default/lanline.db");
  EXPECT_EQ(profile->control_socket(),
            "/tmp/lanline-" + std::to_string(::getuid()) + "/default.sock");
}

TEST(Profile, SocketDirectoryIsCreatedPrivate) {
  TempDir dir;
  ScopedEnv runtime("XDG_RUNTIME_DIR", (dir.path() / "run").string());
  std::string error;
  auto profile = Profile::create("p", error);
  ASSERT_TRUE(profile) << error;
  ASSERT_TRUE(profile->prepare_socket_directory(error)) << error;
  auto status = std::filesystem::status(dir.path() / "run" / "lanline");
  EXPECT_EQ(status.type(), std::filesystem::file_type::directory);
  EXPECT_EQ(status.permissions() & std::filesystem::perms::all, std::filesystem::perms::owner_all);
  // A second time, and with a loosened mode, it is made private again.
  std::filesystem::permissions(dir.path() / "run" / "lanline", std::filesystem::perms::all);
  ASSERT_TRUE(profile->prepare_socket_directory(error)) << error;
  status = std::filesystem::status(dir.path() / "run" / "lanline");
  EXPECT_EQ(status.permissions() & std::filesystem::perms::all, std::filesystem::perms::owner_all);
}

TEST(Profile, SocketDirectoryThatIsAFileIsRefused) {
  TempDir dir;
  std::ofstream(dir.path() / "lanline") << "file";
  ScopedEnv runtime("XDG_RUNTIME_DIR", dir.path().string());
  std::string error;
  auto profile = Profile::create("p", error);
  ASSERT_TRUE(profile) << error;
  EXPECT_FALSE(profile->prepare_socket_directory(error));
  EXPECT_NE(error.find("is not a directory owned by you"), std::string::npos) << error;
}

TEST(Profile, TooLongSocketPathIsRefusedWithAWayOut) {
  ScopedEnv runtime("XDG_RUNTIME_DIR", "/" + std::string(100, 'r'));
  std::string error;
  EXPECT_FALSE(Profile::create("profile", error));
  EXPECT_NE(error.find("set XDG_RUNTIME_DIR to a shorter directory"), std::string::npos) << error;
}

// The binary stops on bad options before it starts anything.
class NodeCommandLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (lanline_binary().empty()) GTEST_SKIP() << "LANLINE_BIN is not set";
    context_ = g_main_context_new();
    env_ = {{"XDG_CONFIG_HOME", (dir_.path() / "config").string()},
            {"XDG_DATA_HOME", (dir_.path() / "data").string()},
            {"XDG_RUNTIME_DIR", (dir_.path() / "run").string()}};
  }
  void TearDown() override {
    if (context_) g_main_context_unref(context_);
  }
  RunResult lanline(const std::vector<std::string>& args) {
    return run_lanline(args, env_, dir_, context_);
  }

  TempDir dir_;
  GMainContext* context_ = nullptr;
  std::map<std::string, std::string> env_;
};

TEST_F(NodeCommandLineTest, BadConfigFileNamesFileLineAndKey) {
  std::filesystem::path file = dir_.path() / "config" / "lanline" / "p" / "config";
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << "name = \"A\"\nlog-level = \"loud\"\n";
  RunResult run = lanline({"--headless", "--profile", "p"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "lanline: " + file.string() +
                         ":2: log-level: 'loud' is not one of trace, debug, info, warn, error\n");
}

TEST_F(NodeCommandLineTest, BadOptionValuesAndProfileNames) {
  RunResult run = lanline({"--headless", "--sip-port", "high"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "lanline: --sip-port: 'high' is not a port number (0-65535)\n");
  run = lanline({"--headless", "--profile", "../etc"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("profile name '../etc' has '/'"), std::string::npos) << run.err;
  run = lanline({"--headless", "--video-sink", "tv"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--video-sink: 'tv' is not one of window, null"), std::string::npos);
  run = lanline({"--headless", "--no-such-option"});
  EXPECT_EQ(run.exit_code, 2);
}

// A headless node's video windows need a display: without one it says so and stops.
TEST_F(NodeCommandLineTest, VideoWindowsWithoutADisplayAreRefused) {
  env_["DISPLAY"] = "";
  env_["WAYLAND_DISPLAY"] = "";
  RunResult run = lanline({"--headless", "--video-sink", "window"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--video-sink window needs a display"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--video-sink null"), std::string::npos) << run.err;
}

TEST_F(NodeCommandLineTest, HelpListsTheOptions) {
  RunResult run = lanline({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* option : {"--headless", "--profile", "--name", "--user", "--sip-port",
                             "--no-discovery", "--auto-answer", "--audio-source", "--audio-sink",
                             "--audio-codecs", "--video-codecs", "--video-source", "--video-sink",
                             "--stun", "--turn", "--log-level", "--sip-trace", "ctl", "parse"})
    EXPECT_NE(run.out.find(option), std::string::npos) << option;
}

}  // namespace
}  // namespace lanline::app
