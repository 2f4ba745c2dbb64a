// What the window shows, built only from the engine's command replies and events (the
// JSON of the control protocol). The GUI thread owns it; nothing here speaks SIP.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lanline::gui {

struct Peer {
  std::string key;   // the history's peer key ("user@host"), also the conversation's
  std::string name;  // display name
  std::string uri;   // what `call` and `message` take for it
  std::string instance_id;
  std::string presence = "available";  // available | away | busy | offline
  std::string note;
  std::vector<std::string> caps;  // audio, video, screen, chat, ...
  bool reachable = true;
  bool discovered = false;  // from the peer list, not only from history
  // Its announced identity against the one pinned when first seen (trust on first use):
  // "pinned", "changed" (not trusted: someone may be posing as it) or "unknown".
  std::string identity = "unknown";
  std::string fp;         // the certificate fingerprint it announces now
  std::string pinned_fp;  // with "changed": the one pinned
  bool identity_changed() const { return identity == "changed"; }
  // What a click calls: a discovered peer by its instance id, so that the engine holds
  // the call to the identity it announced (DTLS-SRTP, the pinned fingerprint); else its
  // URI, else its key.
  std::string call_target() const {
    if (discovered && !instance_id.empty()) return instance_id;
    return uri.empty() ? key : uri;
  }
};

struct ChatLine {
  std::int64_t time_ms = 0;
  // Where it is shown: the sender's time, then its place in the sender's conversation
  // (messages that arrive out of order are shown in the order they were written).
  std::int64_t sort_ms = 0;
  std::int64_t seq = 0;
  bool outgoing = false;
  std::string text;
  std::string state;  // received | queued | sending | delivered | failed
  std::uint64_t engine_id = 0;
  std::string reason;
};

struct Conversation {
  std::string key;
  std::string name;
  std::string uri;
  std::vector<ChatLine> lines;
  int unread = 0;
  bool history_loaded = false;
  std::int64_t last_activity_ms = 0;
};

struct Call {
  std::uint64_t id = 0;
  std::string state;      // calling | ringing | incoming | established | terminated
  std::string direction;  // outgoing | incoming
  std::string remote;
  std::string name;
  std::string peer;
  bool local_hold = false;
  bool remote_hold = false;
  bool muted = false;
  std::optional<std::chrono::steady_clock::time_point> answered;
  nlohmann::json stats;  // the call's entry of `calls` (codec, path, loss, ...) when media has them

  // From the media figures in `stats`: we share our screen; the peer shares its; our
  // camera's video goes out.
  bool sharing_screen() const { return video_flag("screen", "sending"); }
  bool viewing_screen() const { return video_flag("screen", "receiving"); }
  bool sending_video() const { return video_flag("video", "sending"); }

 private:
  bool video_flag(const char* stream, const char* flag) const;
};

struct CallRecord {
  std::string peer, remote, name, direction, result, reason;
  std::int64_t start_ms = 0, duration_ms = 0;
};

struct Device {
  std::string name, api;
};

// An account beyond the LAN (issue 16), as `accounts` and account.state events tell it.
struct Account {
  std::string aor;
  std::string state;  // registered | registering | failed | off
  int expires = 0;
  std::string error;
};

struct Me {
  std::string name, uri, profile;
  int sip_port = 0;
  std::string presence = "available";
  std::string note;
};

class Model {
 public:
  // Every event of the control protocol; unknown ones are ignored.
  void apply_event(const nlohmann::json& event);
  void apply_status(const nlohmann::json& reply);
  void apply_peers(const nlohmann::json& reply);
  void apply_calls(const nlohmann::json& reply);
  void apply_history(const std::string& key, const nlohmann::json& reply);
  void apply_call_log(const nlohmann::json& reply);
  void apply_devices(const nlohmann::json& reply);
  void apply_accounts(const nlohmann::json& reply);

  // A conversation for `uri_or_key`, made if new.
  Conversation& conversation(const std::string& key, const std::string& name,
                             const std::string& uri);
  // The call the in-call panel shows: established or being placed, newest first.
  Call* active_call();
  // The newest incoming call that still rings.
  Call* ringing_call();
  // Peers to list: discovered ones, then others we talked to; filtered by `search`.
  std::vector<const Peer*> visible_peers(const std::string& search) const;
  Peer* find_peer(const std::string& key);

  Me me;
  std::vector<Account> accounts;
  std::map<std::string, Peer> peers;  // by key
  std::map<std::string, Conversation> conversations;
  std::map<std::uint64_t, Call> calls;
  std::vector<CallRecord> call_log;
  std::vector<Device> sources, sinks;
  std::string devices_note;
  std::string open_chat;      // key of the conversation shown, "" for none
  std::string last_error;     // the newest failed command, shown in the status line
  std::string history_error;  // why history is off, if it is
  bool call_log_stale = true;
  // Share screen with several monitors: which one, asked in a popup of the call panel.
  struct ScreenChoice {
    std::uint64_t call = 0;
    std::vector<std::pair<std::string, std::string>> monitors;  // name, label
    bool asked = false;                                         // the popup is open
  };
  std::optional<ScreenChoice> screen_choice;
  // A call asked for to a peer whose identity changed: the peer list asks first.
  std::string confirm_identity;  // its key, "" for none

 private:
  void remember_contact(const std::string& key, const std::string& name, const std::string& uri);
  void on_call_state(const nlohmann::json& event);
  void on_message(const nlohmann::json& event, bool outgoing);
  void on_message_status(const nlohmann::json& event);
  void on_peer(const nlohmann::json& event, bool removed);
  void on_account(const nlohmann::json& event);
};

// The peer key of an address, as the engine's history files it ("user@host").
std::string key_of(const std::string& uri);

}  // namespace lanline::gui
