#include "options.hpp"

#include <fmt/core.h>
#include <glib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "common/codec_table.hpp"
#include "sip/uri.hpp"

namespace lanline::app {
namespace {

constexpr auto kKeys = std::to_array<std::string_view>({
    "name",
    "user",
    "sip-port",
    "auto-answer",
    "sip-trace",
    "log-level",
    "no-discovery",
    "audio-source",
    "audio-sink",
    "audio-codecs",
    "video-codecs",
    "video-source",
    "video-sink",
    "stun",
    "turn",
    "account",
    "registrar",
    "outbound-proxy",
    "account-transport",
    "password-file",
    "account-expires",
});

std::string known_keys() {
  std::string list;
  for (std::string_view key : kKeys) {
    if (!list.empty()) list += ", ";
    list += key;
  }
  return list;
}

std::string parse_bool(std::string_view value, bool& out) {
  for (std::string_view yes : {"true", "yes", "on", "1"})
    if (value == yes) {
      out = true;
      return "";
    }
  for (std::string_view no : {"false", "no", "off", "0"})
    if (value == no) {
      out = false;
      return "";
    }
  return fmt::format("'{}' is not true or false", value);
}

bool parse_number(std::string_view text, unsigned long& out) {
  if (text.empty()) return false;
  auto [end, code] = std::from_chars(text.data(), text.data() + text.size(), out);
  return code == std::errc() && end == text.data() + text.size();
}

std::string parse_port(std::string_view value, std::uint16_t& out, bool allow_zero) {
  unsigned long number = 0;
  if (!parse_number(value, number) || number > 65535 || (number == 0 && !allow_zero))
    return fmt::format("'{}' is not a port number ({}-65535)", value, allow_zero ? 0 : 1);
  out = static_cast<std::uint16_t>(number);
  return "";
}

bool has_control_character(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

// RFC 3261 25.1: user = 1*( unreserved / escaped / user-unreserved ). Escapes are left
// out: a user part that needs them is not one a person types on a command line.
std::string check_user(std::string_view value) {
  constexpr std::string_view kAllowed = "-_.!~*'()&=+$,;?/";
  if (value.empty()) return "the user part is empty";
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              kAllowed.find(c) != std::string_view::npos;
    if (!ok)
      return fmt::format(
          "'{}' cannot be the user part of a SIP address: use letters, digits and {}", value,
          kAllowed);
  }
  return "";
}

// One of `words`, or a prefix from `prefixed` followed by a non-empty argument.
std::string check_choice(std::string_view value, std::initializer_list<std::string_view> words,
                         std::initializer_list<std::string_view> prefixed, std::string_view usage) {
  for (std::string_view word : words)
    if (value == word) return "";
  for (std::string_view prefix : prefixed)
    if (value.size() > prefix.size() && value.substr(0, prefix.size()) == prefix) return "";
  return fmt::format("'{}' is not one of {}", value, usage);
}

std::string check_audio_source(std::string_view value) {
  if (value.substr(0, 5) == "test:") {
    unsigned long hz = 0;
    if (!parse_number(value.substr(5), hz) || hz == 0 || hz > 24000)
      return fmt::format("'{}': the test tone's frequency is a number of Hz from 1 to 24000",
                         value);
    return "";
  }
  return check_choice(value, {"device", "test"}, {"file:"}, "device, test[:HZ], file:PATH.wav");
}

// "opus,g722,pcmu,pcma" (or "vp8,h264") or any ordered part of it: the codecs of `kind`
// a node offers and accepts, preferred first (tests force one codec with it).
std::string parse_codecs(StreamKind kind, std::string_view value, std::vector<std::string>& out) {
  const std::string_view what = kind == StreamKind::kAudio ? "audio" : "video";
  std::string known;  // the table's codecs of that kind: "opus, g722, pcmu, pcma"
  for (const CodecInfo& info : kCodecTable) {
    if (info.kind != kind) continue;
    if (!known.empty()) known += ", ";
    known += info.name;
  }
  std::vector<std::string> codecs;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    std::string name(
        value.substr(start, comma == std::string_view::npos ? value.npos : comma - start));
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto codec = codec_named(name);
    if (!codec || codec_info(*codec).kind != kind) {
      return fmt::format(
          "unknown {} codec '{}' in '{}': list some of {}, separated by commas, preferred "
          "first",
          what, name, value, known);
    }
    if (std::find(codecs.begin(), codecs.end(), name) != codecs.end())
      return fmt::format("{} codec '{}' is listed twice in '{}'", what, name, value);
    codecs.push_back(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  out = std::move(codecs);
  return "";
}

// HOST:PORT, with an IPv6 literal in brackets.
std::string check_stun(std::string_view value) {
  std::size_t colon = value.rfind(':');
  std::uint16_t port = 0;
  bool ok = colon != std::string_view::npos && colon > 0 &&
            parse_port(value.substr(colon + 1), port, false).empty();
  if (ok && value.front() == '[') ok = value[colon - 1] == ']' && colon > 2;
  if (ok && value.front() != '[') ok = value.substr(0, colon).find(':') == std::string_view::npos;
  if (!ok) return fmt::format("'{}' is not HOST:PORT (e.g. stun.example.org:3478)", value);
  return "";
}

// HOST or HOST:PORT.
std::string check_host(std::string_view value) {
  if (value.empty()) return "the host is empty";
  if (value.find(':') == std::string_view::npos || value.front() == '[') {
    if (value.front() == '[' && value.find(']') == std::string_view::npos)
      return fmt::format("'{}' is not HOST[:PORT]", value);
    if (value.front() != '[' || value.back() == ']') return "";
  }
  return check_stun(value).empty() ? "" : fmt::format("'{}' is not HOST[:PORT]", value);
}

// A sip: or sips: URI with a user and a host: an address of record.
std::string check_aor(std::string_view value) {
  auto uri = sip::parse_uri(value);
  if (!uri || !uri->is_sip() || !uri->has_user || uri->host.empty()) {
    return fmt::format("'{}' is not an address of record like sip:alice@example.org", value);
  }
  return "";
}

}  // namespace

std::span<const std::string_view> option_keys() {
  return kKeys;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void fill_in_defaults(NodeOptions& options) {
  std::string login = g_get_user_name();
  if (options.name.empty()) {
    // GLib answers "Unknown" when the password database has no full name.
    std::string real_name = g_get_real_name();
    options.name = real_name.empty() || real_name == "Unknown" ? login : real_name;
  }
  if (options.user.empty()) {
    // A login name a SIP URI cannot carry unescaped still needs some user part.
    options.user = check_user(login).empty() ? login : "lanline";
  }
}

std::string set_option(NodeOptions& options, std::string_view key, std::string_view value) {
  if (has_control_character(value)) return "the value holds a control character";
  if (key == "name") {
    if (value.empty()) return "the display name is empty";
    options.name = value;
  } else if (key == "user") {
    if (std::string problem = check_user(value); !problem.empty()) return problem;
    options.user = value;
  } else if (key == "sip-port") {
    return parse_port(value, options.sip_port, true);
  } else if (key == "auto-answer") {
    return parse_bool(value, options.auto_answer);
  } else if (key == "sip-trace") {
    return parse_bool(value, options.sip_trace);
  } else if (key == "no-discovery") {
    return parse_bool(value, options.no_discovery);
  } else if (key == "log-level") {
    for (LogLevel level :
         {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
      if (value == to_string(level)) {
        options.log_level = level;
        return "";
      }
    }
    return fmt::format("'{}' is not one of trace, debug, info, warn, error", value);
  } else if (key == "audio-source") {
    if (std::string problem = check_audio_source(value); !problem.empty()) return problem;
    options.audio_source = value;
  } else if (key == "audio-sink") {
    if (std::string problem =
            check_choice(value, {"device", "null"}, {"record:"}, "device, null, record:PATH.wav");
        !problem.empty())
      return problem;
    options.audio_sink = value;
  } else if (key == "audio-codecs") {
    return parse_codecs(StreamKind::kAudio, value, options.audio_codecs);
  } else if (key == "video-codecs") {
    return parse_codecs(StreamKind::kVideo, value, options.video_codecs);
  } else if (key == "video-source") {
    if (std::string problem =
            check_choice(value, {"device", "test", "screen", "none"}, {"device:", "test:"},
                         "none, test[:PATTERN], device[:PATH], screen");
        !problem.empty())
      return problem;
    options.video_source = value;
  } else if (key == "video-sink") {
    if (std::string problem = check_choice(value, {"window", "null"}, {}, "window, null");
        !problem.empty())
      return problem;
    options.video_sink = value;
  } else if (key == "stun") {
    // "" switches STUN off again, e.g. on the command line over a config file's server.
    if (std::string problem = value.empty() ? "" : check_stun(value); !problem.empty())
      return problem;
    options.stun = value;
  } else if (key == "turn") {
    if (std::string problem = value.empty() ? ""
                                            : check_choice(value, {}, {"turn:", "turns:"},
                                                           "a turn: or turns: URI (RFC 7065)");
        !problem.empty())
      return problem;
    options.turn = value;
  } else if (key == "account") {
    if (std::string problem = value.empty() ? "" : check_aor(value); !problem.empty())
      return problem;
    options.account = value;
  } else if (key == "registrar") {
    if (std::string problem = value.empty() ? "" : check_host(value); !problem.empty())
      return problem;
    options.registrar = value;
  } else if (key == "outbound-proxy") {
    auto uri = sip::parse_uri(value);
    if (!value.empty() && (!uri || !uri->is_sip() || uri->host.empty()))
      return fmt::format("'{}' is not a SIP URI like sip:proxy.example.org", value);
    options.outbound_proxy = value;
  } else if (key == "account-transport") {
    if (std::string problem = check_choice(value, {"udp", "tcp", "tls"}, {}, "udp, tcp, tls");
        !problem.empty())
      return problem;
    options.account_transport = value;
  } else if (key == "password-file") {
    if (value.empty()) return "the password file's path is empty";
    options.password_file = value;
  } else if (key == "account-expires") {
    std::uint32_t seconds = 0;
    auto [end, code] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (code != std::errc() || end != value.data() + value.size() || seconds < 20 ||
        seconds > 86400)
      return fmt::format("'{}' is not a number of seconds from 20 to 86400", value);
    options.account_expires = seconds;
  } else {
    return fmt::format("unknown option '{}' (the options are {})", key, known_keys());
  }
  return "";
}

}  // namespace lanline::app
