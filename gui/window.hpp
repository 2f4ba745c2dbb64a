// The desktop window: SDL2 + Dear ImGui on the GUI thread, drawn with OpenGL 3 where there
// is a GPU and with SDL's software renderer where there is none. It draws the panels from
// the Model, which it updates from what the EngineLink delivers, and sleeps in
// SDL_WaitEventTimeout between input and engine events (a 1 Hz tick only while a call
// shows its duration), so an idle window costs almost nothing.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine_link.hpp"
#include "ui.hpp"

namespace lanline::gui {

struct WindowOptions {
  std::string title = "Lanline";
  std::string data_dir;  // fonts/, sounds/, icons/
  Settings settings;     // as the config file has them
  SaveSettings save_settings;
  std::chrono::steady_clock::time_point started;  // for the time to the first frame
  std::string layout_file;                        // test hook: LANLINE_GUI_LAYOUT
};

class Window {
 public:
  // Initialises SDL video and opens the window. On failure (no display server, no renderer)
  // returns nullptr and `error` says why.
  static std::unique_ptr<Window> create(const WindowOptions& options, std::string& error);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  // The SDL event type that wakes the window for the engine's replies and events.
  std::uint32_t wake_event() const;
  // Runs until the window is closed or the engine stops.
  void run(EngineLink& link);

 private:
  Window();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::gui
