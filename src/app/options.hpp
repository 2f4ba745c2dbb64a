// The options of a node (DESIGN.md: shared by `lanline` and `lanline --headless`), each
// with one key used both in the config file and, as --KEY, on the command line. Values
// are checked here, once, whichever of the two they come from.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lanline::app {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

struct NodeOptions {
  std::string name;  // display name; "" for the default (the user's full name or $USER)
  std::string user;  // user part of sip:USER@HOST:PORT; "" for the login name
  std::uint16_t sip_port = 5060;  // 0: any free port
  bool auto_answer = false;
  bool sip_trace = false;
  LogLevel log_level = LogLevel::kInfo;
  // Stored now, used when discovery, media and ICE land; "" leaves the choice to them.
  bool no_discovery = false;
  std::string audio_source;  // device | test[:HZ] | file:PATH.wav
  std::string audio_sink;    // device | null | record:PATH.wav
  std::vector<std::string>
      audio_codecs;  // "opus", "g722", "pcmu", "pcma"; empty: all, in that order
  std::vector<std::string> video_codecs;  // "vp8", "h264"; empty: both, in that order
  std::string video_source;               // device | test | screen | none
  std::string video_sink;                 // window | null
  std::string stun;                       // HOST:PORT
  std::string turn;                       // turn:... or turns:... URI
  // An account beyond the LAN (issue 16); none when `account` is empty.
  std::string account;                  // the address of record, sip:USER@DOMAIN
  std::string registrar;                // HOST[:PORT] where REGISTER goes; "": DOMAIN itself
  std::string outbound_proxy;           // a sip: URI every request of the account goes through
  std::string account_transport;        // udp | tcp | tls; "": udp (tls for a sips: account)
  std::string password_file;            // the password, alone in a file of mode 0600
  std::uint32_t account_expires = 600;  // the registration asked for, in seconds (20-86400)
};

// Every key, in the order --help and error messages list them.
std::span<const std::string_view> option_keys();

// Sets option `key` from its text. Returns "" on success, else what is wrong with the
// key or the value, without saying where it came from (the caller knows).
std::string set_option(NodeOptions& options, std::string_view key, std::string_view value);

// Fills an empty name with the user's full name (or $USER when there is none) and an
// empty user with the login name.
void fill_in_defaults(NodeOptions& options);

std::string_view to_string(LogLevel level);

}  // namespace lanline::app
