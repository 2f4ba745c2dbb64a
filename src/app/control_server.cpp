#include "control_server.hpp"

#include <fmt/core.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "control_protocol.hpp"
#include "glib_support/callbacks.hpp"
#include "glib_support/handles.hpp"

namespace lanline::app {

using glib::GErrorOut;
using glib::GObjectPtr;
using glib::SourceHandle;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

enum class SocketState { kAbsent, kLive, kStale, kNotASocket };

// Whether a node answers on `path`. A Unix socket whose listener died refuses the
// connection; a live one accepts it (or, with a full backlog, would block).
SocketState probe(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return SocketState::kAbsent;
  if (!S_ISSOCK(info.st_mode)) return SocketState::kNotASocket;
  GObjectPtr<GSocket> socket(
      g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, nullptr));
  if (!socket) return SocketState::kLive;  // cannot tell: do not take the socket away
  g_socket_set_blocking(socket.get(), FALSE);
  GObjectPtr<GSocketAddress> address(g_unix_socket_address_new(path.c_str()));
  GErrorOut error;
  if (g_socket_connect(socket.get(), address.get(), nullptr, error.out()))
    return SocketState::kLive;
  if (error.matches(G_IO_ERROR_CONNECTION_REFUSED)) return SocketState::kStale;
  if (error.matches(G_IO_ERROR_NOT_FOUND)) return SocketState::kAbsent;
  return SocketState::kLive;
}

}  // namespace

struct ControlServer::Impl {
  struct Client {
    Impl* server = nullptr;
    std::uint64_t id = 0;
    GObjectPtr<GSocket> socket;
    SourceHandle read_source;
    SourceHandle write_source;
    LineReader reader;
    std::string output;
    std::optional<std::uint64_t> subscription;
    bool closing = false;  // sends what is queued, then closes
    bool dead = false;     // waits for reap() to unsubscribe and free it

    explicit Client(std::size_t max_line) : reader(max_line) {}
  };

  GMainContext* context = nullptr;
  ControlServerOptions options;
  GObjectPtr<GSocket> listener;
  SourceHandle accept_source;
  SourceHandle reap_source;
  engine::CommandHandler* handler = nullptr;
  std::map<std::uint64_t, std::unique_ptr<Client>> clients;
  std::uint64_t next_client = 1;
  dev_t socket_device = 0;
  ino_t socket_inode = 0;

  ~Impl() {
    accept_source.reset();
    reap_source.reset();
    for (auto& [id, client] : clients) {
      if (client->subscription && handler) handler->unsubscribe(*client->subscription);
      client->read_source.reset();
      client->write_source.reset();
      g_socket_close(client->socket.get(), nullptr);
    }
    clients.clear();
    if (listener) g_socket_close(listener.get(), nullptr);
    remove_socket_file();
  }

  // Only the file this server bound: a node started after a stale-socket takeover may
  // own the path now.
  void remove_socket_file() const {
    struct stat info {};
    if (::lstat(options.socket_path.c_str(), &info) == 0 && info.st_dev == socket_device &&
        info.st_ino == socket_inode)
      ::unlink(options.socket_path.c_str());
  }

  static gboolean on_accept(GSocket*, GIOCondition, gpointer data) {
    return glib::guarded("control socket: accept", [&] {
      static_cast<Impl*>(data)->accept_all();
      return G_SOURCE_CONTINUE;
    });
  }

  static gboolean on_readable(GSocket*, GIOCondition, gpointer data) {
    auto* client = static_cast<Client*>(data);
    return glib::guarded("control socket: read", [&] {
      try {
        client->server->read(*client);
      } catch (...) {
        client->server->drop(*client);  // whatever broke would likely break again
        throw;
      }
      return G_SOURCE_CONTINUE;
    });
  }

  static gboolean on_writable(GSocket*, GIOCondition, gpointer data) {
    auto* client = static_cast<Client*>(data);
    return glib::guarded("control socket: write", [&] {
      client->server->flush(*client);
      return G_SOURCE_CONTINUE;
    });
  }

  static gboolean on_reap(gpointer data) {
    return glib::guarded("control socket: closing connections", [&] {
      static_cast<Impl*>(data)->reap();
      return G_SOURCE_REMOVE;
    });
  }

  void accept_all() {
    for (;;) {
      GErrorOut error;
      GObjectPtr<GSocket> socket(g_socket_accept(listener.get(), nullptr, error.out()));
      if (!socket) {
        if (!error.matches(G_IO_ERROR_WOULD_BLOCK))
          spdlog::warn("control socket: accept failed: {}", error.message());
        return;
      }
      g_socket_set_blocking(socket.get(), FALSE);
      auto client = std::make_unique<Client>(options.max_line);
      client->server = this;
      client->id = next_client++;
      client->socket = std::move(socket);
      client->read_source = glib::watch_socket(
          context, client->socket.get(), static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
          &Impl::on_readable, client.get());
      spdlog::debug("control socket: client {} connected", client->id);
      clients.emplace(client->id, std::move(client));
    }
  }

  void read(Client& client) {
    char buffer[kReadChunk];
    GErrorOut error;
    gssize received =
        g_socket_receive(client.socket.get(), buffer, sizeof buffer, nullptr, error.out());
    if (received < 0 && error.matches(G_IO_ERROR_WOULD_BLOCK)) return;
    if (received <= 0) {
      // 0: the client closed; otherwise it vanished (ECONNRESET and the like).
      if (received < 0) spdlog::debug("control socket: client {}: {}", client.id, error.message());
      drop(client);
      return;
    }
    client.reader.append(std::string_view(buffer, static_cast<std::size_t>(received)));
    std::string line;
    // Requests already received run even when the client has gone meanwhile: a script
    // may write a few commands and close without waiting for the replies.
    while (!client.closing) {
      LineReader::Status status = client.reader.next(line);
      if (status == LineReader::Status::kNeedMore) break;
      if (status == LineReader::Status::kTooLong) {
        send(client, error_reply(fmt::format(
                         "a request line is longer than {} bytes: closing the connection",
                         options.max_line)));
        close_after_output(client);
        break;
      }
      if (!blank(line)) handle(client, line);
    }
  }

  void handle(Client& client, std::string_view line) {
    ParsedRequest parsed = parse_request(line);
    if (!parsed.error_reply.is_null()) {
      send(client, parsed.error_reply);
      return;
    }
    if (parsed.request["cmd"] == "events") {
      nlohmann::json ack = {{"ok", true}};
      if (auto id = parsed.request.find("id"); id != parsed.request.end()) ack["id"] = *id;
      // The acknowledgement goes first, so a client knows that every event after it
      // reaches it, even one the subscription itself sets off.
      send(client, ack);
      if (!client.subscription && !client.dead) {
        std::uint64_t id = client.id;
        client.subscription =
            handler->subscribe([this, id](const nlohmann::json& event) { deliver(id, event); });
      }
      return;
    }
    // The reply may come later (a host name to look up): the client is found again by
    // id then, since it may have gone.
    std::uint64_t id = client.id;
    execute_request_async(*handler, parsed.request,
                          [this, id](nlohmann::json reply) { deliver(id, reply); });
  }

  // Found by id, not held by pointer: the engine may call a sink (or answer a command)
  // after the client went.
  void deliver(std::uint64_t id, const nlohmann::json& event) {
    auto it = clients.find(id);
    if (it == clients.end() || it->second->dead || it->second->closing) return;
    send(*it->second, event);
  }

  void send(Client& client, const nlohmann::json& object) {
    if (client.dead) return;
    client.output += to_line(object);
    if (client.output.size() > options.max_pending_output) {
      spdlog::warn("control socket: client {} reads nothing ({} bytes queued): closing it",
                   client.id, client.output.size());
      drop(client);
      return;
    }
    flush(client);
  }

  void flush(Client& client) {
    std::size_t sent = 0;
    while (sent < client.output.size()) {
      GErrorOut error;
      gssize n = g_socket_send(client.socket.get(), client.output.data() + sent,
                               client.output.size() - sent, nullptr, error.out());
      if (n < 0) {
        if (error.matches(G_IO_ERROR_WOULD_BLOCK)) break;
        spdlog::debug("control socket: client {}: {}", client.id, error.message());
        drop(client);
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
    client.output.erase(0, sent);
    if (client.output.empty()) {
      client.write_source.reset();
      if (client.closing) drop(client);
    } else if (!client.write_source) {
      client.write_source = glib::watch_socket(
          context, client.socket.get(), static_cast<GIOCondition>(G_IO_OUT | G_IO_HUP | G_IO_ERR),
          &Impl::on_writable, &client);
    }
  }

  void close_after_output(Client& client) {
    client.closing = true;
    client.read_source.reset();
    if (client.output.empty()) drop(client);
  }

  // Freeing happens later, from an idle source: drop() can run inside an event sink
  // while the engine walks its subscribers, or inside this client's own callback.
  void drop(Client& client) {
    if (client.dead) return;
    client.dead = true;
    client.read_source.reset();
    client.write_source.reset();
    g_socket_close(client.socket.get(), nullptr);
    if (!reap_source) reap_source = glib::add_timeout(context, 0, &Impl::on_reap, this);
  }

  void reap() {
    reap_source.reset();
    for (auto it = clients.begin(); it != clients.end();) {
      Client& client = *it->second;
      if (!client.dead) {
        ++it;
        continue;
      }
      std::optional<std::uint64_t> subscription = client.subscription;
      spdlog::debug("control socket: client {} closed", client.id);
      it = clients.erase(it);
      if (subscription) handler->unsubscribe(*subscription);
    }
  }
};

ControlServer::ControlServer() : impl_(std::make_unique<Impl>()) {}
ControlServer::~ControlServer() = default;

std::unique_ptr<ControlServer> ControlServer::create(GMainContext* context,
                                                     const ControlServerOptions& options,
                                                     std::string& error) {
  const std::filesystem::path& path = options.socket_path;
  auto already_running = [&] {
    return fmt::format(
        "profile {} is already running (socket {}); use --profile to run another node",
        options.profile, path.native());
  };
  switch (probe(path)) {
    case SocketState::kLive:
      error = already_running();
      return nullptr;
    case SocketState::kNotASocket:
      error = fmt::format("{} is in the way of the control socket and is not a socket: remove it",
                          path.native());
      return nullptr;
    case SocketState::kStale:
      spdlog::info("removing the stale control socket {} (its node is gone)", path.native());
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        error = fmt::format("cannot remove the stale control socket {}: {}", path.native(),
                            std::strerror(errno));
        return nullptr;
      }
      break;
    case SocketState::kAbsent:
      break;
  }

  std::unique_ptr<ControlServer> server(new ControlServer());
  Impl& impl = *server->impl_;
  impl.context = context;
  impl.options = options;

  GErrorOut gerror;
  impl.listener.reset(g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                   G_SOCKET_PROTOCOL_DEFAULT, gerror.out()));
  if (!impl.listener) {
    error = fmt::format("cannot create the control socket: {}", gerror.message());
    return nullptr;
  }
  GObjectPtr<GSocketAddress> address(g_unix_socket_address_new(path.c_str()));
  if (!g_socket_bind(impl.listener.get(), address.get(), FALSE, gerror.out())) {
    // Two nodes starting at once both find no socket; the second loses here.
    error =
        gerror.matches(G_IO_ERROR_ADDRESS_IN_USE)
            ? already_running()
            : fmt::format("cannot bind the control socket {}: {}", path.native(), gerror.message());
    return nullptr;
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    impl.socket_device = info.st_dev;
    impl.socket_inode = info.st_ino;
  }
  // The directory is 0700 already, so the moment between bind and chmod exposes nothing;
  // the mode keeps the socket private should the directory's ever be loosened.
  if (::chmod(path.c_str(), 0600) != 0) {
    error = fmt::format("cannot make the control socket {} private: {}", path.native(),
                        std::strerror(errno));
    return nullptr;
  }
  g_socket_set_listen_backlog(impl.listener.get(), 64);
  if (!g_socket_listen(impl.listener.get(), gerror.out())) {
    error =
        fmt::format("cannot listen on the control socket {}: {}", path.native(), gerror.message());
    return nullptr;
  }
  g_socket_set_blocking(impl.listener.get(), FALSE);
  return server;
}

void ControlServer::start(engine::CommandHandler& handler) {
  if (impl_->accept_source) return;
  impl_->handler = &handler;
  impl_->accept_source = glib::watch_socket(impl_->context, impl_->listener.get(), G_IO_IN,
                                            &Impl::on_accept, impl_.get());
}

std::size_t ControlServer::connections() const {
  std::size_t open = 0;
  for (const auto& [id, client] : impl_->clients)
    open += client->dead ? 0 : 1;
  return open;
}

const std::filesystem::path& ControlServer::socket_path() const {
  return impl_->options.socket_path;
}

}  // namespace lanline::app
