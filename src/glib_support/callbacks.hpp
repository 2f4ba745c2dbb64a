// Attaching callbacks to a GMainContext, and the guard every such callback runs in:
// an exception must not unwind through GLib's C frames (STYLE.md, habit 7).
#pragma once

#include <gio/gio.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <functional>
#include <utility>

#include "glib_support/handles.hpp"

namespace lanline::glib {

// Runs `handler` (returning G_SOURCE_CONTINUE or G_SOURCE_REMOVE); an exception is
// logged with `what` and the source kept.
template <class Handler>
gboolean guarded(const char* what, Handler&& handler) {
  try {
    return handler();
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", what, e.what());
  } catch (...) {
    spdlog::error("{}: unknown exception", what);
  }
  return G_SOURCE_CONTINUE;
}

// Calls `callback(socket, condition, data)` when `socket` meets `condition`.
inline SourceHandle watch_socket(GMainContext* context, GSocket* socket, GIOCondition condition,
                                 GSocketSourceFunc callback, gpointer data) {
  GSource* source = g_socket_create_source(socket, condition, nullptr);
  // GLib stores every callback as a GSourceFunc and calls it with the source's own
  // signature; the detour through void(*)() is how G_SOURCE_FUNC casts it.
  g_source_set_callback(
      source, reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(callback)), data, nullptr);
  g_source_attach(source, context);
  return SourceHandle(source);
}

// Calls `callback(data)` after `milliseconds` (0: on the next loop iteration).
inline SourceHandle add_timeout(GMainContext* context, guint milliseconds, GSourceFunc callback,
                                gpointer data) {
  GSource* source = milliseconds == 0 ? g_idle_source_new() : g_timeout_source_new(milliseconds);
  g_source_set_callback(source, callback, data, nullptr);
  g_source_attach(source, context);
  return SourceHandle(source);
}

// Runs `work` on `context`: at once when this thread owns it, else from an idle source
// there. For callbacks a library makes on its own threads (libnice's signals).
inline void invoke_on(GMainContext* context, const char* what, std::function<void()> work) {
  struct Job {
    const char* what;
    std::function<void()> work;
  };
  g_main_context_invoke_full(
      context, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* job = static_cast<Job*>(data);
        guarded(job->what, [job] {
          job->work();
          return G_SOURCE_REMOVE;
        });
        return G_SOURCE_REMOVE;
      },
      new Job{what, std::move(work)}, [](gpointer data) { delete static_cast<Job*>(data); });
}

}  // namespace lanline::glib
