// lanline: the command line (DESIGN.md, "The user's interface"). `lanline` and
// `lanline --headless` run a node; `ctl` drives one; `parse` checks SIP messages.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <map>
#include <set>

#include "config.hpp"
#include "ctl_command.hpp"
#include "ctl_request.hpp"
#include "desktop.hpp"
#include "headless.hpp"
#include "options.hpp"
#include "parse_command.hpp"
#include "profile.hpp"

namespace {

using lanline::app::NodeOptions;

constexpr const char* kNodeGroup = "Node options (each also a key of the profile's config file)";
constexpr const char* kAccountGroup =
    "Account options (none by default; each also a config key; the password only in its file)";

struct OptionHelp {
  const char* key;
  const char* value;  // "" for a flag
  const char* help;
  const char* group;
};

const OptionHelp kOptionHelp[] = {
    {"name", "TEXT", "Display name (default: your full name, else $USER)", kNodeGroup},
    {"user", "NAME", "User part of the node's address sip:USER@HOST:PORT (default: login name)",
     kNodeGroup},
    {"sip-port", "N", "SIP port; if taken, the next free one (default 5060; 0: any)", kNodeGroup},
    {"auto-answer", "", "Answer incoming calls at once", kNodeGroup},
    {"sip-trace", "", "Log every SIP message in and out", kNodeGroup},
    {"log-level", "LEVEL", "trace, debug, info, warn or error (default info)", kNodeGroup},
    {"no-discovery", "", "Do not publish or browse DNS-SD (zeroconf peers)", kNodeGroup},
    {"audio-source", "SOURCE", "device | test[:HZ] | file:PATH.wav", kNodeGroup},
    {"audio-sink", "SINK", "device | null | record:PATH.wav", kNodeGroup},
    {"audio-codecs", "LIST", "audio codecs, preferred first (default opus,g722,pcmu,pcma)",
     kNodeGroup},
    {"video-codecs", "LIST", "video codecs, preferred first (default vp8,h264)", kNodeGroup},
    {"video-source", "SOURCE",
     "none | test[:PATTERN] (colour bars, or red, ball...) | device[:/dev/videoN] | screen "
     "(default none: audio only)",
     kNodeGroup},
    {"stun", "HOST:PORT", "STUN server", kNodeGroup},
    {"turn", "URI", "TURN server (turn:USER:PASS@HOST:PORT?transport=udp|tcp)", kNodeGroup},
    {"video-sink", "SINK",
     "window (the desktop app's; a headless node opens a window per picture) | null (decoded "
     "for snapshots, not shown; the headless default)",
     kNodeGroup},
    {"account", "sip:USER@DOMAIN", "A SIP account beyond the LAN: its address of record",
     kAccountGroup},
    {"registrar", "HOST[:PORT]", "Where REGISTER goes when DOMAIN itself is not the registrar",
     kAccountGroup},
    {"outbound-proxy", "URI", "Proxy every request of the account goes through (RFC 3261 8.1.2)",
     kAccountGroup},
    {"account-transport", "T", "udp | tcp | tls (default udp)", kAccountGroup},
    {"password-file", "PATH", "The account's password, alone in a file of mode 0600",
     kAccountGroup},
    {"account-expires", "SECONDS", "Registration asked for (default 600)", kAccountGroup},
};

// The node's options on the command line; applied over the config file after parsing.
struct NodeFlags {
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
  std::map<std::string, CLI::Option*> options;

  void add_to(CLI::App& app) {
    for (const OptionHelp& help : kOptionHelp) {
      std::string name = std::string("--") + help.key;
      bool flag = *help.value == '\0';
      CLI::Option* option =
          flag ? app.add_flag(name, flags[help.key], help.help)
               : app.add_option(name, values[help.key], help.help)->type_name(help.value);
      option->group(help.group);
      options[help.key] = option;
    }
  }

  // Returns "" or the error, naming the option.
  std::string apply(NodeOptions& node) const {
    for (const auto& [key, option] : options) {
      if (option->count() == 0) continue;
      std::string value = flags.count(key) ? "true" : values.at(key);
      if (std::string problem = lanline::app::set_option(node, key, value); !problem.empty())
        return fmt::format("--{}: {}", key, problem);
    }
    return "";
  }
};

int run_node(bool headless, const std::string& profile_name, const NodeFlags& flags,
             std::chrono::steady_clock::time_point started) {
  std::string error;
  std::optional<lanline::app::Profile> profile = lanline::app::Profile::create(profile_name, error);
  if (!profile) {
    fmt::print(stderr, "lanline: --profile: {}\n", error);
    return 2;
  }
  NodeOptions options;
  if (!lanline::app::load_config(profile->config_file(), options, error)) {
    fmt::print(stderr, "lanline: {}\n", error);
    return 2;
  }
  if (std::string problem = flags.apply(options); !problem.empty()) {
    fmt::print(stderr, "lanline: {}\n", problem);
    return 2;
  }
  lanline::app::fill_in_defaults(options);
  if (!headless) return lanline::app::run_desktop(*profile, options, started);
  return lanline::app::run_headless(*profile, options);
}

}  // namespace

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  CLI::App app{"Lanline: a serverless communicator for the local network"};
  app.require_subcommand(0, 1);

  bool headless = false;
  app.add_flag("--headless", headless,
               "Run the node with no window (servers, tests, scripts); without it, `lanline` "
               "opens the desktop app");
  std::string profile = "default";
  app.add_option("--profile", profile,
                 "Profile: its own config, data and control socket (default: default)")
      ->type_name("NAME");
  NodeFlags node_flags;
  node_flags.add_to(app);

  auto* parse = app.add_subcommand("parse", "Check SIP messages: one line per file");
  std::vector<std::string> files;
  double bench_seconds = 0;
  parse
      ->add_option("--bench", bench_seconds,
                   "Parse the files over and over for SECONDS and print msgs/s and MB/s")
      ->check(CLI::PositiveNumber);
  parse->add_option("files", files, "Files that each hold one SIP message")->required();

  auto* ctl = app.add_subcommand("ctl", "Drive a running node over its control socket");
  std::string ctl_profile;
  auto* ctl_profile_option =
      ctl->add_option("--profile", ctl_profile, "Profile of the node (default: default)")
          ->type_name("NAME");
  // Everything from COMMAND on is the command's, even words that start with '-'.
  ctl->prefix_command();
  ctl->footer("lanline ctl [--profile NAME] COMMAND [ARGS]; the commands:\n" +
              lanline::app::ctl_commands_usage());

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*parse) {
    if (bench_seconds > 0) return lanline::app::run_parse_bench(bench_seconds, files);
    return lanline::app::run_parse(files);
  }
  if (*ctl) {
    std::vector<std::string> args = ctl->remaining();
    return lanline::app::run_ctl(ctl_profile_option->count() ? ctl_profile : profile, args);
  }
  return run_node(headless, profile, node_flags, started);
}
