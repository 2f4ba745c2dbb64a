#include "media/screen_portal.hpp"

#include <gio/gunixfdlist.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

namespace lanline::media {
namespace {

constexpr const char* kPortal = "org.freedesktop.portal.Desktop";
constexpr const char* kPath = "/org/freedesktop/portal/desktop";
constexpr const char* kScreenCast = "org.freedesktop.portal.ScreenCast";
constexpr guint32 kMonitor = 1;         // SelectSources types: a monitor (not a window)
constexpr guint32 kCursorEmbedded = 2;  // the pointer drawn into the picture

// One step's answer: the Response signal on the request object the call names.
struct Response {
  bool done = false;
  guint32 code = 2;  // 0 success, 1 cancelled by the user, 2 other
  GVariant* results = nullptr;
};

void on_response(GDBusConnection*, const gchar*, const gchar*, const gchar*, const gchar*,
                 GVariant* parameters, gpointer data) {
  auto* response = static_cast<Response*>(data);
  if (response->done) return;
  g_variant_get(parameters, "(u@a{sv})", &response->code, &response->results);
  response->done = true;
}

// The request path the portal will use for `token` (its documented form): subscribed to
// before the call, so that a fast answer is not missed.
std::string request_path(GDBusConnection* bus, const std::string& token) {
  std::string sender = g_dbus_connection_get_unique_name(bus) + 1;  // drop the ':'
  for (char& c : sender)
    if (c == '.') c = '_';
  return std::string(kPath) + "/request/" + sender + "/" + token;
}

std::string next_token() {
  static int counter = 0;
  return "lanline" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// Calls `method` with `arguments` (whose options must carry handle_token `token`) and
// waits for its Response; the results on success, nullopt with `error` otherwise.
std::optional<GVariant*> call_and_wait(GDBusConnection* bus, const char* method,
                                       GVariant* arguments, const std::string& token,
                                       std::chrono::milliseconds bound, std::string& error) {
  GMainContext* context = g_main_context_new();
  g_main_context_push_thread_default(context);
  Response response;
  const std::string path = request_path(bus, token);
  const guint subscription = g_dbus_connection_signal_subscribe(
      bus, kPortal, "org.freedesktop.portal.Request", "Response", path.c_str(), nullptr,
      G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE, &on_response, &response, nullptr);
  GError* gerror = nullptr;
  GVariant* reply = g_dbus_connection_call_sync(bus, kPortal, kPath, kScreenCast, method, arguments,
                                                nullptr, G_DBUS_CALL_FLAGS_NONE,
                                                static_cast<int>(bound.count()), nullptr, &gerror);
  if (!reply) {
    error = std::string("the desktop portal refused ") + method + ": " +
            (gerror ? gerror->message : "no reply");
    g_clear_error(&gerror);
  } else {
    g_variant_unref(reply);
    const gint64 deadline = g_get_monotonic_time() + bound.count() * 1000;
    while (!response.done && g_get_monotonic_time() < deadline) {
      if (!g_main_context_iteration(context, FALSE)) g_usleep(5000);
    }
    if (!response.done) error = std::string("the desktop portal did not answer ") + method;
  }
  g_dbus_connection_signal_unsubscribe(bus, subscription);
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
  if (!error.empty()) return std::nullopt;
  if (response.code != 0) {
    if (response.results) g_variant_unref(response.results);
    error = response.code == 1 ? "screen sharing was cancelled in the desktop's dialog"
                               : std::string("the desktop portal failed ") + method;
    return std::nullopt;
  }
  return response.results;
}

GVariant* options_with_token(const std::string& token, GVariantBuilder* extra = nullptr) {
  GVariantBuilder builder;
  g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&builder, "{sv}", "handle_token", g_variant_new_string(token.c_str()));
  if (extra) {
    GVariant* more = g_variant_builder_end(extra);
    GVariantIter iter;
    g_variant_iter_init(&iter, more);
    gchar* key = nullptr;
    GVariant* value = nullptr;
    while (g_variant_iter_next(&iter, "{sv}", &key, &value)) {
      g_variant_builder_add(&builder, "{sv}", key, value);
      g_free(key);
      g_variant_unref(value);
    }
    g_variant_unref(g_variant_ref_sink(more));
  }
  return g_variant_builder_end(&builder);
}

}  // namespace

bool PortalScreen::wanted() {
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  const char* x = std::getenv("DISPLAY");
  return wayland && *wayland && (!x || !*x);
}

std::unique_ptr<PortalScreen> PortalScreen::open(std::string& error,
                                                 std::chrono::milliseconds bound) {
  GError* gerror = nullptr;
  GDBusConnection* bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nullptr, &gerror);
  if (!bus) {
    error = std::string("no session bus for the desktop portal: ") +
            (gerror ? gerror->message : "unknown");
    g_clear_error(&gerror);
    return nullptr;
  }
  std::unique_ptr<PortalScreen> screen(new PortalScreen());
  screen->bus_ = bus;

  // 1. CreateSession: the session's handle comes in the Response.
  std::string token = next_token();
  GVariantBuilder create;
  g_variant_builder_init(&create, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&create, "{sv}", "session_handle_token",
                        g_variant_new_string(("s" + token).c_str()));
  auto results = call_and_wait(bus, "CreateSession",
                               g_variant_new("(@a{sv})", options_with_token(token, &create)), token,
                               bound, error);
  if (!results) return nullptr;
  const gchar* handle = nullptr;
  if (g_variant_lookup(*results, "session_handle", "&s", &handle)) screen->session_ = handle;
  g_variant_unref(*results);
  if (screen->session_.empty()) {
    error = "the desktop portal made no screen-cast session";
    return nullptr;
  }

  // 2. SelectSources: one monitor, the pointer drawn in.
  token = next_token();
  GVariantBuilder select;
  g_variant_builder_init(&select, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&select, "{sv}", "types", g_variant_new_uint32(kMonitor));
  g_variant_builder_add(&select, "{sv}", "multiple", g_variant_new_boolean(FALSE));
  g_variant_builder_add(&select, "{sv}", "cursor_mode", g_variant_new_uint32(kCursorEmbedded));
  results = call_and_wait(
      bus, "SelectSources",
      g_variant_new("(o@a{sv})", screen->session_.c_str(), options_with_token(token, &select)),
      token, bound, error);
  if (!results) return nullptr;
  g_variant_unref(*results);

  // 3. Start: the user (or the compositor's configuration) picks; the stream's node.
  token = next_token();
  results = call_and_wait(
      bus, "Start",
      g_variant_new("(os@a{sv})", screen->session_.c_str(), "", options_with_token(token)), token,
      bound, error);
  if (!results) return nullptr;
  GVariant* streams = g_variant_lookup_value(*results, "streams", G_VARIANT_TYPE("a(ua{sv})"));
  if (streams && g_variant_n_children(streams) > 0) {
    GVariant* properties = nullptr;
    g_variant_get_child(streams, 0, "(u@a{sv})", &screen->node_, &properties);
    if (properties) g_variant_unref(properties);
  }
  if (streams) g_variant_unref(streams);
  g_variant_unref(*results);
  if (screen->node_ == 0) {
    error = "the desktop portal started no screen stream";
    return nullptr;
  }

  // 4. OpenPipeWireRemote: the connection to read it on.
  GUnixFDList* fds = nullptr;
  GVariantBuilder none;
  g_variant_builder_init(&none, G_VARIANT_TYPE_VARDICT);
  GVariant* reply = g_dbus_connection_call_with_unix_fd_list_sync(
      bus, kPortal, kPath, kScreenCast, "OpenPipeWireRemote",
      g_variant_new("(oa{sv})", screen->session_.c_str(), &none), G_VARIANT_TYPE("(h)"),
      G_DBUS_CALL_FLAGS_NONE, static_cast<int>(bound.count()), nullptr, &fds, nullptr, &gerror);
  if (!reply) {
    error = std::string("the desktop portal gave no PipeWire connection: ") +
            (gerror ? gerror->message : "no reply");
    g_clear_error(&gerror);
    return nullptr;
  }
  gint32 index = -1;
  g_variant_get(reply, "(h)", &index);
  g_variant_unref(reply);
  screen->fd_ = fds ? g_unix_fd_list_get(fds, index, nullptr) : -1;
  if (fds) g_object_unref(fds);
  if (screen->fd_ < 0) {
    error = "the desktop portal's PipeWire connection did not come through";
    return nullptr;
  }
  spdlog::info("sharing the screen through the desktop portal: PipeWire node {}", screen->node_);
  return screen;
}

PortalScreen::~PortalScreen() {
  if (bus_ && !session_.empty()) {
    // Closing the session ends the stream (the compositor stops its indicator too).
    g_dbus_connection_call(bus_, kPortal, session_.c_str(), "org.freedesktop.portal.Session",
                           "Close", nullptr, nullptr, G_DBUS_CALL_FLAGS_NONE, -1, nullptr, nullptr,
                           nullptr);
    g_dbus_connection_flush_sync(bus_, nullptr, nullptr);
  }
  if (fd_ >= 0) close(fd_);
  if (bus_) g_object_unref(bus_);
}

}  // namespace lanline::media
