#include "headless.hpp"

#include <cstdlib>

#include <fmt/core.h>
#include <glib-unix.h>
#include <glib.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <memory>

#include "logging.hpp"
#include "node.hpp"

namespace lanline::app {
namespace {

struct ContextUnref {
  void operator()(GMainContext* context) const { g_main_context_unref(context); }
};
struct LoopUnref {
  void operator()(GMainLoop* loop) const { g_main_loop_unref(loop); }
};
struct SourceDestroy {
  void operator()(GSource* source) const {
    g_source_destroy(source);
    g_source_unref(source);
  }
};
using ContextPtr = std::unique_ptr<GMainContext, ContextUnref>;
using LoopPtr = std::unique_ptr<GMainLoop, LoopUnref>;
using SourcePtr = std::unique_ptr<GSource, SourceDestroy>;

// The context is this thread's default while the node runs, so GIO's asynchronous calls
// in the engine (and avahi-glib, libnice) dispatch on it.
class ThreadDefault {
 public:
  explicit ThreadDefault(GMainContext* context) : context_(context) {
    g_main_context_push_thread_default(context_);
  }
  ThreadDefault(const ThreadDefault&) = delete;
  ThreadDefault& operator=(const ThreadDefault&) = delete;
  ~ThreadDefault() { g_main_context_pop_thread_default(context_); }

 private:
  GMainContext* context_;
};

struct Stopping {
  GMainLoop* loop;
  Node* node;
  bool asked = false;
};

// The first signal un-registers the accounts, then stops; a second one stops at once.
gboolean on_stop_signal(gpointer data) {
  auto* stopping = static_cast<Stopping*>(data);
  if (stopping->asked) {
    g_main_loop_quit(stopping->loop);
    return G_SOURCE_CONTINUE;
  }
  spdlog::info("stopping on a signal");
  stopping->asked = true;
  stopping->node->leave([loop = stopping->loop] { g_main_loop_quit(loop); });
  return G_SOURCE_CONTINUE;
}

SourcePtr watch_signal(int signal_number, GMainContext* context, Stopping& stopping) {
  // g_unix_signal_add() would attach to the global default context, not ours.
  GSource* source = g_unix_signal_source_new(signal_number);
  g_source_set_callback(source, &on_stop_signal, &stopping, nullptr);
  g_source_attach(source, context);
  return SourcePtr(source);
}

}  // namespace

int run_headless(const Profile& profile, const NodeOptions& options) {
  init_logging(options.log_level);
  // A client that disconnects while we write to it must cost an EPIPE, not the process.
  std::signal(SIGPIPE, SIG_IGN);

  ContextPtr context(g_main_context_new());
  ThreadDefault thread_default(context.get());
  LoopPtr loop(g_main_loop_new(context.get(), FALSE));

  // --video-sink window: the peer's pictures in windows of their own, which need a
  // display (the desktop app draws them in its own window instead).
  const bool video_windows = options.video_sink == "window";
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if (video_windows && (!display || !*display) && (!wayland || !*wayland)) {
    fmt::print(stderr,
               "lanline: --video-sink window needs a display, and DISPLAY and WAYLAND_DISPLAY are "
               "unset: set one, or use --video-sink null (the pictures are still decoded for "
               "`lanline ctl snapshot`)\n");
    return 2;
  }

  std::string error;
  std::unique_ptr<Node> node = Node::create(context.get(), profile, options, video_windows, error);
  if (!node) {
    fmt::print(stderr, "lanline: {}\n", error);
    return 1;
  }
  node->on_quit([loop = loop.get()] {
    spdlog::info("stopping: a client asked to quit");
    g_main_loop_quit(loop);
  });
  Stopping stopping{loop.get(), node.get()};
  SourcePtr on_sigint = watch_signal(SIGINT, context.get(), stopping);
  SourcePtr on_sigterm = watch_signal(SIGTERM, context.get(), stopping);

  fmt::print("lanline: {}\n", node->ready_line());
  std::fflush(stdout);

  g_main_loop_run(loop.get());

  return 0;
}

}  // namespace lanline::app
