#include "ctl_request.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <string_view>

namespace lanline::app {
namespace {

struct CommandSyntax {
  std::string_view name;
  std::string_view arguments;
};

constexpr auto kCommands = std::to_array<CommandSyntax>({
    {"status", ""},
    {"peers", ""},
    {"trust", "PEER"},
    {"call", "TARGET"},
    {"answer", "[CALL]"},
    {"decline", "[CALL]"},
    {"hangup", "[CALL]"},
    {"hold", "[CALL]"},
    {"resume", "[CALL]"},
    {"mute", ""},
    {"unmute", ""},
    {"dtmf", "DIGITS"},
    {"message", "TARGET TEXT..."},
    {"history", "[TARGET [LIMIT]]"},
    {"calls", ""},
    {"verify", "[CALL]"},
    {"devices", ""},
    {"screen", "start [MONITOR]|stop|monitors"},
    {"video", "on|off"},
    {"snapshot", "remote|local|screen PATH.png"},
    {"presence", "available|away|busy [NOTE...]"},
    {"accounts", ""},
    {"events", ""},
    {"quit", ""},
});

std::string join(std::span<const std::string> words) {
  std::string text;
  for (const std::string& word : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> choices) {
  return std::find(choices.begin(), choices.end(), value) != choices.end();
}

// The node's call ids are numbers (core::CallId); one typed as digits is sent as a
// number so that it matches, anything else as the string it is.
nlohmann::json call_id(const std::string& text) {
  std::uint64_t number = 0;
  auto [end, code] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (code == std::errc() && end == text.data() + text.size()) return number;
  return text;
}

}  // namespace

std::string ctl_commands_usage() {
  std::string usage;
  for (const CommandSyntax& command : kCommands) {
    usage += command.arguments.empty() ? fmt::format("  {}\n", command.name)
                                       : fmt::format("  {} {}\n", command.name, command.arguments);
  }
  return usage;
}

std::optional<nlohmann::json> build_ctl_request(std::span<const std::string> args,
                                                std::string& error) {
  if (args.empty()) {
    error = "give a command:\n" + ctl_commands_usage();
    return std::nullopt;
  }
  const std::string& name = args[0];
  auto syntax = std::find_if(kCommands.begin(), kCommands.end(),
                             [&](const CommandSyntax& c) { return c.name == name; });
  if (syntax == kCommands.end()) {
    error = fmt::format("unknown command '{}'; the commands are:\n{}", name, ctl_commands_usage());
    return std::nullopt;
  }
  std::span<const std::string> rest = args.subspan(1);
  auto usage = [&](std::string_view problem) {
    error = fmt::format("{}: {}\nusage: lanline ctl {}{}{}", name, problem, name,
                        syntax->arguments.empty() ? "" : " ", syntax->arguments);
    return std::nullopt;
  };
  auto count_between = [&](std::size_t least, std::size_t most) {
    return rest.size() >= least && rest.size() <= most;
  };

  nlohmann::json request = {{"cmd", name}};
  if (one_of(name, {"status", "peers", "mute", "unmute", "calls", "devices", "accounts", "events",
                    "quit"})) {
    if (!rest.empty()) return usage("takes no arguments");
  } else if (name == "call") {
    if (!count_between(1, 1) || rest[0].empty()) return usage("give one TARGET");
    request["target"] = rest[0];
  } else if (name == "trust") {
    // A peer whose announced identity changed: its new fingerprint is pinned in place of
    // the old one.
    if (!count_between(1, 1) || rest[0].empty())
      return usage("give one PEER (name or instance id)");
    request["target"] = rest[0];
  } else if (name == "history") {
    // With a TARGET: the chat and calls with that peer (the newest LIMIT, 200 unless
    // given); without: the call log.
    if (!count_between(0, 2) || (!rest.empty() && rest[0].empty()))
      return usage("give at most one TARGET, and how many of its newest entries");
    if (!rest.empty()) request["target"] = rest[0];
    if (rest.size() == 2) {
      const std::string& limit = rest[1];
      if (limit.empty() || limit.size() > 5 ||
          limit.find_first_not_of("0123456789") != std::string::npos || std::stoi(limit) == 0)
        return usage("LIMIT is a number from 1 to 10000");
      request["limit"] = std::stoi(limit);
    }
  } else if (one_of(name, {"answer", "decline", "hangup", "hold", "resume", "verify"})) {
    if (!count_between(0, 1)) return usage("takes at most one CALL id");
    if (!rest.empty()) request["call"] = call_id(rest[0]);
  } else if (name == "dtmf") {
    if (!count_between(1, 1) || rest[0].empty()) return usage("give the DIGITS to send");
    std::string digits = rest[0];
    for (char& c : digits) {
      if (c >= 'a' && c <= 'd') c = static_cast<char>(c - 'a' + 'A');
      // RFC 4733 3.2: events 0-15 are the digits, '*', '#' and A to D.
      if (!((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')))
        return usage(fmt::format("'{}' is not a DTMF digit (0-9, *, #, A-D)", c));
    }
    request["digits"] = digits;
  } else if (name == "message") {
    if (rest.size() < 2 || rest[0].empty()) return usage("give a TARGET and the TEXT");
    std::string text = join(rest.subspan(1));
    if (text.empty()) return usage("the TEXT is empty");
    request["target"] = rest[0];
    request["text"] = text;
  } else if (name == "screen") {
    // start [MONITOR]: a monitor's name or number (`screen monitors` lists them), or all.
    const bool start = !rest.empty() && rest[0] == "start";
    if (!count_between(1, start ? 2 : 1) || !one_of(rest[0], {"start", "stop", "monitors"}))
      return usage("say start [MONITOR], stop or monitors");
    request["action"] = rest[0];
    if (rest.size() == 2) request["monitor"] = rest[1];
  } else if (name == "video") {
    if (!count_between(1, 1) || !one_of(rest[0], {"on", "off"})) return usage("say on or off");
    request["action"] = rest[0];
  } else if (name == "snapshot") {
    if (!count_between(2, 2) || !one_of(rest[0], {"remote", "local", "screen"}) || rest[1].empty())
      return usage("say which stream (remote, local or screen) and the PNG file to write");
    request["kind"] = rest[0];
    // The node writes the file from its own working directory, not ours.
    std::error_code code;
    std::filesystem::path path = std::filesystem::absolute(rest[1], code);
    request["path"] = code ? rest[1] : path.lexically_normal().string();
  } else if (name == "presence") {
    if (rest.empty() || !one_of(rest[0], {"available", "away", "busy"}))
      return usage("say available, away or busy, then an optional note");
    request["state"] = rest[0];
    if (rest.size() > 1) request["note"] = join(rest.subspan(1));
  }
  return request;
}

}  // namespace lanline::app
