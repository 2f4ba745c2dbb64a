// A running node, whichever face it has (`lanline --headless` or the desktop app): the
// engine, the history kept beside it, and the control socket, all on one GLib main
// context. Created and destroyed on the thread that runs that context.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>
#include <string>

#include "engine/command_handler.hpp"

namespace lanline::media {
class FrameBoard;
}
#include "options.hpp"
#include "profile.hpp"

namespace lanline::app {

class Node {
 public:
  // `context` must be the calling thread's default context (GIO's asynchronous calls in
  // the engine dispatch there). `video_windows`: the peer's pictures in windows of their
  // own (a headless node's --video-sink window). On failure returns nullptr and `error`
  // says why.
  static std::unique_ptr<Node> create(GMainContext* context, const Profile& profile,
                                      const NodeOptions& options, bool video_windows,
                                      std::string& error);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // What clients talk to: the engine with the history in front of it.
  engine::CommandHandler& handler();
  // The calls' newest video frames, for the window.
  std::shared_ptr<media::FrameBoard> video_frames() const;
  // Called when a client sends "quit" (once the accounts un-registered).
  void on_quit(std::function<void()> callback);
  // Un-registers the accounts, then `done`: how a node stopping on a signal leaves.
  void leave(std::function<void()> done);
  // "NAME ready on sip:USER@ADDRESS:PORT, control socket PATH"
  std::string ready_line() const;

 private:
  Node();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::app
