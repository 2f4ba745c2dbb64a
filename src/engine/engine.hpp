// The engine of a node: the SIP user agent on a transport, on one GLib main context.
// Everything in it runs on the thread that runs that context (DESIGN.md, Threads).
#pragma once

#include <glib.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ua_types.hpp"
#include "engine/command_handler.hpp"
namespace lanline::media {
class FrameBoard;
}

namespace lanline::engine {

// A SIP account beyond the LAN (issue 16), as the options give it (app/options.hpp).
struct AccountOptions {
  std::string aor;             // sip:USER@DOMAIN
  std::string registrar;       // HOST[:PORT]; "": DOMAIN
  std::string outbound_proxy;  // a sip: URI; "": none
  std::string transport;       // udp | tcp | tls; "": udp, or tls for a sips: account
  std::string password;        // read from its file; "" when there is none
  std::uint32_t expires = 600;
};

struct EngineOptions {
  std::string profile = "default";
  std::string display_name;       // default: the user's full name or $USER
  std::string user;               // user part of sip:USER@HOST:PORT; default: the login name
  std::uint16_t sip_port = 5060;  // if taken, the next free one
  bool auto_answer = false;
  bool sip_trace = false;
  std::string audio_source;    // --audio-source; "" is device
  std::string audio_sink;      // --audio-sink; "" is device
  std::string video_source;    // --video-source; "" is none
  bool video_windows = false;  // --video-sink window on a headless node: windows of their own
  std::vector<std::string> audio_codecs;  // --audio-codecs, preferred first; empty: all
  std::vector<std::string> video_codecs;  // --video-codecs, preferred first; empty: all
  bool discovery = true;                  // publish and browse DNS-SD (--no-discovery turns it off)
  std::string stun;                       // --stun HOST:PORT; "" for none
  std::string turn;                       // --turn turn:USER:PASS@HOST:PORT?transport=...
  std::optional<AccountOptions> account;  // --account and its options; none by default
  // Where the profile keeps its data; the node's identity (instance id, certificate) is
  // kept in its "identity" folder. Empty: an identity for this run only.
  std::filesystem::path data_dir;
  // The profile's SQLite database, where peers' identities are pinned (trust on first
  // use). Empty: none are.
  std::filesystem::path database;
};

class Engine : public CommandHandler {
 public:
  // Binds the SIP transport; on failure `error` says why and what to do.
  static std::unique_ptr<Engine> create(GMainContext* context, const EngineOptions& options,
                                        std::string& error);
  ~Engine() override;

  nlohmann::json execute(const nlohmann::json& request) override;
  void execute_async(const nlohmann::json& request, ReplySink reply) override;
  std::uint64_t subscribe(EventSink sink) override;
  void unsubscribe(std::uint64_t token) override;

  // Called when a client sends "quit" (after the accounts un-registered, a few seconds
  // at most).
  void on_quit(std::function<void()> callback);
  // Un-registers the accounts, then calls `done` (at once when there are none): a node
  // stopping on a signal leaves its registrar no stale binding.
  void leave(std::function<void()> done);
  std::uint16_t sip_port() const;
  // The calls' newest video frames, for the window (media::FrameBoard).
  std::shared_ptr<media::FrameBoard> video_frames() const;
  // Where received messages are kept before they are answered (core::MessageStore): the
  // history's database, so that each is stored exactly once.
  void set_message_store(core::MessageStore store);

 private:
  Engine();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::engine
