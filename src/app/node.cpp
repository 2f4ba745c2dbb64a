#include "node.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "control_server.hpp"
#include "engine/audio_devices.hpp"
#include "engine/engine.hpp"
#include "history/history_handler.hpp"
#include "local_address.hpp"

namespace lanline::app {
namespace {

// The account's password (--password-file): the file's first line. A file others may read
// is refused, as ssh refuses such a key: the password would not be the user's alone.
bool read_password_file(const std::string& path, std::string& password, std::string& error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    error = fmt::format("cannot read the password file {}: {}", path, std::strerror(errno));
    return false;
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    error =
        fmt::format("the password file {} can be read by others (mode {:o}): run `chmod 600 {}`",
                    path, info.st_mode & 0777, path);
    return false;
  }
  std::ifstream in(path);
  if (!in || !std::getline(in, password)) {
    error = fmt::format("cannot read a password from {}: the file is empty", path);
    return false;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return true;
}

}  // namespace

// Members in the order they must be built; they are destroyed in reverse: the server
// first (it unsubscribes from the handler), then the handler (from the engine).
struct Node::Impl {
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<history::HistoryHandler> history;
  std::unique_ptr<ControlServer> server;
  std::string ready;
  guint outbox_timer = 0;  // the history's outbox: retries and expiries
  GMainContext* context = nullptr;

  guint outbox_soon = 0;  // an idle tick asked for (one at a time)

  static gboolean on_outbox_tick(gpointer data) {
    static_cast<Impl*>(data)->history->tick();
    return G_SOURCE_CONTINUE;
  }
  static gboolean on_outbox_soon(gpointer data) {
    auto* impl = static_cast<Impl*>(data);
    impl->outbox_soon = 0;
    impl->history->tick();
    return G_SOURCE_REMOVE;
  }
  void tick_soon() {
    if (outbox_soon != 0) return;
    GSource* idle = g_idle_source_new();
    g_source_set_callback(idle, &on_outbox_soon, this, nullptr);
    outbox_soon = g_source_attach(idle, context);
    g_source_unref(idle);
  }
};

Node::Node() : impl_(std::make_unique<Impl>()) {}
Node::~Node() {
  // Explicit order: see Impl.
  for (guint source : {impl_->outbox_timer, impl_->outbox_soon}) {
    if (source == 0) continue;
    if (GSource* found = g_main_context_find_source_by_id(impl_->context, source))
      g_source_destroy(found);
  }
  if (impl_->engine) impl_->engine->set_message_store({});
  impl_->server.reset();
  impl_->history.reset();
  impl_->engine.reset();
}

std::unique_ptr<Node> Node::create(GMainContext* context, const Profile& profile,
                                   const NodeOptions& options, bool video_windows,
                                   std::string& error) {
  if (!profile.prepare_socket_directory(error)) return nullptr;
  std::unique_ptr<Node> node(new Node());
  Impl& impl = *node->impl_;
  // The socket is claimed before the engine binds its SIP port, so a second node for the
  // same profile stops here and touches nothing.
  ControlServerOptions server_options;
  server_options.socket_path = profile.control_socket();
  server_options.profile = profile.name();
  impl.server = ControlServer::create(context, server_options, error);
  if (!impl.server) return nullptr;

  engine::EngineOptions engine_options;
  engine_options.profile = profile.name();
  engine_options.display_name = options.name;
  engine_options.user = options.user;
  engine_options.sip_port = options.sip_port;
  engine_options.auto_answer = options.auto_answer;
  engine_options.sip_trace = options.sip_trace;
  engine_options.audio_source = options.audio_source;
  engine_options.video_source = options.video_source;
  engine_options.audio_sink = options.audio_sink;
  engine_options.audio_codecs = options.audio_codecs;
  engine_options.video_codecs = options.video_codecs;
  engine_options.video_windows = video_windows;
  engine_options.discovery = !options.no_discovery;
  engine_options.stun = options.stun;
  engine_options.turn = options.turn;
  if (!options.account.empty()) {
    engine::AccountOptions account;
    account.aor = options.account;
    account.registrar = options.registrar;
    account.outbound_proxy = options.outbound_proxy;
    account.transport = options.account_transport;
    account.expires = options.account_expires;
    if (!options.password_file.empty() &&
        !read_password_file(options.password_file, account.password, error))
      return nullptr;
    engine_options.account = std::move(account);
  }
  engine_options.data_dir = profile.data_file().parent_path();
  engine_options.database = profile.data_file();
  impl.engine = engine::Engine::create(context, engine_options, error);
  if (!impl.engine) return nullptr;

  // A history that cannot be opened costs the history, not the node: calls and chat
  // still work, and `history` answers with the reason.
  std::string store_error;
  std::unique_ptr<history::HistoryStore> store =
      history::HistoryStore::open(profile.data_file(), store_error);
  if (!store) spdlog::error("{}", store_error);
  impl.context = context;
  impl.history = std::make_unique<history::HistoryHandler>(
      *impl.engine, std::move(store), store_error, &engine::list_audio_devices,
      history::HistoryHandler::Clock{}, history::OutboxOptions{}, [&impl] { impl.tick_soon(); });
  // A received message is kept in the history before the engine answers 200 (issue 15).
  impl.engine->set_message_store([history = impl.history.get()](const core::IncomingMessage& in) {
    history::StoredMessage message;
    message.remote = in.from_uri;
    message.name = in.from_name;
    message.text = in.text;
    message.msg_id = in.meta.id;
    message.seq = in.meta.seq;
    message.sort_ms = in.meta.sent_ms;
    switch (history->store_incoming(std::move(message))) {
      case history::HistoryStore::Insert::kNew:
        return core::StoreVerdict::kNew;
      case history::HistoryStore::Insert::kDuplicate:
        return core::StoreVerdict::kDuplicate;
      case history::HistoryStore::Insert::kFailed:
        break;
    }
    return core::StoreVerdict::kFailed;
  });
  GSource* timer = g_timeout_source_new(250);
  g_source_set_callback(timer, &Impl::on_outbox_tick, &impl, nullptr);
  impl.outbox_timer = g_source_attach(timer, context);
  g_source_unref(timer);
  impl.server->start(*impl.history);
  impl.ready =
      fmt::format("{} ready on sip:{}@{}:{}, control socket {}", options.name, options.user,
                  dialable_host(), impl.engine->sip_port(), profile.control_socket().native());
  return node;
}

std::shared_ptr<media::FrameBoard> Node::video_frames() const {
  return impl_->engine->video_frames();
}

engine::CommandHandler& Node::handler() {
  return *impl_->history;
}

void Node::leave(std::function<void()> done) {
  impl_->engine->leave(std::move(done));
}

void Node::on_quit(std::function<void()> callback) {
  impl_->engine->on_quit(std::move(callback));
}

std::string Node::ready_line() const {
  return impl_->ready;
}

}  // namespace lanline::app
