#include "desktop.hpp"

#include <fmt/core.h>
#include <glib.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

#include "config.hpp"
#include "gui/engine_link.hpp"
#include "gui/window.hpp"
#include "headless.hpp"
#include "ice/ice_servers.hpp"
#include "logging.hpp"
#include "node.hpp"

namespace lanline::app {
namespace {

// Where fonts, sounds and icons are: LANLINE_DATA_DIR, else the installed data folder,
// else the source tree's data/ (running from the build folder).
std::string find_data_dir() {
  namespace fs = std::filesystem;
  std::error_code code;
  if (const char* forced = std::getenv("LANLINE_DATA_DIR")) return forced;
  for (const char* candidate : {LANLINE_INSTALLED_DATA_DIR, LANLINE_SOURCE_DATA_DIR}) {
    if (fs::exists(fs::path(candidate) / "fonts" / "DejaVuSans.ttf", code)) return candidate;
  }
  return LANLINE_SOURCE_DATA_DIR;
}

gui::Settings settings_from(const NodeOptions& options) {
  gui::Settings settings;
  settings.name = options.name;
  settings.audio_source = options.audio_source;
  settings.audio_sink = options.audio_sink;
  settings.stun = options.stun;
  settings.turn = options.turn;
  settings.sip_port = options.sip_port;
  settings.account = options.account;
  settings.registrar = options.registrar;
  if (!options.account_transport.empty()) settings.account_transport = options.account_transport;
  return settings;
}

// The account's password, typed in Settings: a file of its own under the profile's data
// directory, made with mode 0600 before a byte is written. Returns its path, or "" with
// `error` set.
std::string save_password(const Profile& profile, const std::string& password, std::string& error) {
  std::filesystem::path path = profile.data_file().parent_path() / "account-password";
  std::error_code code;
  std::filesystem::create_directories(path.parent_path(), code);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    error = "cannot write " + path.native() + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return "";
  }
  std::string line = password + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) {
    error = "cannot write " + path.native();
    return "";
  }
  return path.native();
}

// The settings panel's Save: the profile's config file, keeping its comments. A STUN
// or TURN server the engine could not use is refused here, with what to write instead.
std::string save_settings(const Profile& profile, const gui::Settings& settings) {
  if (!settings.stun.empty()) {
    if (auto stun = ice::parse_stun_server(settings.stun); !stun)
      return "Not saved: " + stun.error();
  }
  if (!settings.turn.empty()) {
    if (auto turn = ice::parse_turn_uri(settings.turn); !turn) return "Not saved: " + turn.error();
  }
  // The account's fields are checked as the options check them (a clear message each).
  NodeOptions checked;
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"account", settings.account},
                                   {"registrar", settings.registrar},
                                   {"account-transport", settings.account_transport}}) {
    if (value.empty()) continue;
    if (std::string problem = set_option(checked, key, value); !problem.empty())
      return "Not saved: " + problem;
  }
  std::vector<std::pair<std::string, std::string>> values = {
      {"name", settings.name},
      {"sip-port", std::to_string(settings.sip_port)},
  };
  // Written even when empty: "" is no account, so clearing the field removes it.
  values.emplace_back("account", settings.account);
  values.emplace_back("registrar", settings.registrar);
  if (!settings.account.empty())
    values.emplace_back("account-transport", settings.account_transport);
  if (!settings.account.empty() && !settings.password.empty()) {
    std::string error;
    std::string path = save_password(profile, settings.password, error);
    if (path.empty()) return "Not saved: " + error;
    values.emplace_back("password-file", path);
  }
  if (!settings.audio_source.empty()) values.emplace_back("audio-source", settings.audio_source);
  if (!settings.audio_sink.empty()) values.emplace_back("audio-sink", settings.audio_sink);
  values.emplace_back("stun", settings.stun);
  values.emplace_back("turn", settings.turn);
  // Empty STUN/TURN mean "none": left out rather than written as an invalid value.
  std::erase_if(values, [](const auto& entry) {
    return (entry.first == "stun" || entry.first == "turn" || entry.first == "name") &&
           entry.second.empty();
  });
  std::string error;
  if (!update_config(profile.config_file(), values, error)) return "Not saved: " + error;
  spdlog::info("settings saved to {}", profile.config_file().native());
  return "";
}

struct ContextUnref {
  void operator()(GMainContext* context) const { g_main_context_unref(context); }
};
struct LoopUnref {
  void operator()(GMainLoop* loop) const { g_main_loop_unref(loop); }
};

// The desktop's options for a headless node when there is no window after all: the
// window --video-sink meant (the app's own) is not there, so nothing shows the pictures.
NodeOptions headless_options(NodeOptions options) {
  if (options.video_sink == "window") options.video_sink = "null";
  return options;
}

}  // namespace

int run_desktop(const Profile& profile, const NodeOptions& options,
                std::chrono::steady_clock::time_point started) {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((!display || !*display) && (!wayland || !*wayland)) {
    fmt::print(stderr,
               "lanline: no display (DISPLAY/WAYLAND_DISPLAY unset): running headless; drive "
               "it with `lanline ctl`, stop it with `lanline ctl quit` or Ctrl-C\n");
    return run_headless(profile, headless_options(options));
  }
  init_logging(options.log_level);
  std::signal(SIGPIPE, SIG_IGN);

  gui::WindowOptions window_options;
  window_options.title = "Lanline";
  if (profile.name() != "default") window_options.title += " \u2014 " + profile.name();
  window_options.data_dir = find_data_dir();
  window_options.settings = settings_from(options);
  window_options.save_settings = [&profile](const gui::Settings& settings) {
    return save_settings(profile, settings);
  };
  window_options.started = started;
  if (const char* layout = std::getenv("LANLINE_GUI_LAYOUT")) window_options.layout_file = layout;

  std::string error;
  std::unique_ptr<gui::Window> window = gui::Window::create(window_options, error);
  if (!window) {
    fmt::print(stderr, "lanline: {}: running headless\n", error);
    return run_headless(profile, headless_options(options));
  }

  // The engine's thread: builds the node on its own context, runs the loop, and tells
  // the window when it stops (a client sent "quit").
  std::unique_ptr<GMainContext, ContextUnref> context(g_main_context_new());
  std::unique_ptr<GMainLoop, LoopUnref> loop(g_main_loop_new(context.get(), FALSE));
  gui::EngineLink link(context.get(), window->wake_event());
  std::promise<std::string> ready;
  std::future<std::string> started_engine = ready.get_future();
  std::thread engine([&] {
    g_main_context_push_thread_default(context.get());
    std::string node_error;
    std::unique_ptr<Node> node = Node::create(context.get(), profile, options, false, node_error);
    if (node) {
      link.attach(node->handler());
      // --video-sink null: the call panel shows no pictures (they are still decoded, for
      // `lanline ctl snapshot`); window, the default, draws them in the call panel.
      if (options.video_sink != "null") link.watch_video(node->video_frames());
      node->on_quit([&loop] {
        spdlog::info("stopping: a client asked to quit");
        g_main_loop_quit(loop.get());
      });
      fmt::print("lanline: {}\n", node->ready_line());
      std::fflush(stdout);
      ready.set_value("");
      g_main_loop_run(loop.get());
      link.detach();
      node.reset();
      // The window may still be open: close it.
      SDL_Event quit{};
      quit.type = SDL_QUIT;
      SDL_PushEvent(&quit);
    } else {
      ready.set_value(node_error);
    }
    g_main_context_pop_thread_default(context.get());
  });
  if (std::string node_error = started_engine.get(); !node_error.empty()) {
    engine.join();
    fmt::print(stderr, "lanline: {}\n", node_error);
    return 1;
  }

  window->run(link);

  // The window closed: stop the engine (if it has not stopped by itself).
  g_main_context_invoke(
      context.get(),
      [](gpointer data) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop*>(data));
        return G_SOURCE_REMOVE;
      },
      loop.get());
  engine.join();
  return 0;
}

}  // namespace lanline::app
