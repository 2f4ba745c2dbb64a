// The window's line to the engine, which runs its GLib main loop on its own thread
// (DESIGN.md, Threads). Commands are posted onto the engine's context and run there;
// replies and events come back through a locked queue, and an SDL user event wakes the
// GUI thread, which takes them at the start of a frame. The same JSON commands and
// events as `lanline ctl`: the window is one more client of the engine.
#pragma once

#include <SDL.h>
#include <glib.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/command_handler.hpp"
#include "media/frame_board.hpp"

namespace lanline::gui {

class EngineLink {
 public:
  using Reply = std::function<void(const nlohmann::json& reply)>;

  // `wake_event` is an SDL event type from SDL_RegisterEvents.
  EngineLink(GMainContext* engine_context, std::uint32_t wake_event);
  ~EngineLink();
  EngineLink(const EngineLink&) = delete;
  EngineLink& operator=(const EngineLink&) = delete;

  // Engine thread: the handler to send commands to; subscribes to its events. Call once
  // before the engine's loop runs.
  void attach(engine::CommandHandler& handler);
  // Engine thread: the handler is going away; commands posted from now on fail at once.
  void detach();

  // GUI thread: runs `request` on the engine thread; `on_reply` runs on the GUI thread
  // when the reply has been taken with take().
  void post(nlohmann::json request, Reply on_reply = {});

  // GUI thread: what has arrived since the last call, in order.
  struct Arrival {
    nlohmann::json value;  // a reply or an event
    Reply on_reply;        // set for a reply whose poster wanted it
    bool is_event = false;
  };
  std::vector<Arrival> take();

  // Engine thread, once, before calls: where the calls' video frames are; each new frame
  // wakes the GUI (one wake-up until it has drawn).
  void watch_video(std::shared_ptr<media::FrameBoard> frames);
  // GUI thread: the same, or nullptr.
  std::shared_ptr<media::FrameBoard> video_frames();

 private:
  static gboolean run_request(gpointer data);
  static void free_request(gpointer data);
  void deliver(Arrival arrival);

  GMainContext* context_;
  std::uint32_t wake_event_;
  engine::CommandHandler* handler_ = nullptr;  // touched on the engine thread only
  std::uint64_t token_ = 0;
  std::atomic<bool> attached_{false};
  std::mutex mutex_;
  std::deque<Arrival> arrived_;                // guarded by mutex_
  std::shared_ptr<media::FrameBoard> frames_;  // guarded by mutex_
  std::atomic<bool> frame_wake_pending_{false};
};

}  // namespace lanline::gui
