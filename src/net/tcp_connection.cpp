#include "net/tcp_connection.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "glib_support/callbacks.hpp"
#include "net/socket_address.hpp"

namespace lanline::net {
namespace {

// A peer that stops reading cannot make us hold more than this for it.
constexpr std::size_t kMaxQueued = 1024 * 1024;
constexpr std::size_t kReadChunk = 65536;

}  // namespace

TcpConnection::TcpConnection(const Settings& settings, glib::GObjectPtr<GSocket> socket,
                             GSocketAddress* peer)
    : settings_(settings),
      peer_(endpoint_of(peer, settings.tls ? sip::TransportKind::kTls : sip::TransportKind::kTcp,
                        settings.id)),
      key_(peer_key(peer)),
      last_activity_(g_get_monotonic_time()),
      socket_(std::move(socket)) {
  g_socket_set_blocking(socket_.get(), FALSE);
  // SIP messages go out whole; Nagle would only hold back the last segment of each.
  g_socket_set_option(socket_.get(), IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
  if (settings_.idle_seconds > 0) {
    arm_idle_timer(last_activity_ + gint64{settings_.idle_seconds} * G_USEC_PER_SEC);
  }
}

TcpConnection::~TcpConnection() {
  // Sources first (they hold the socket), then close it even if GLib still holds a ref.
  read_watch_.reset();
  write_watch_.reset();
  idle_timer_.reset();
  failed_event_.reset();
  handshake_deadline_.reset();
  if (socket_) g_socket_close(socket_.get(), nullptr);
}

std::unique_ptr<TcpConnection> TcpConnection::accepted(const Settings& settings,
                                                       glib::GObjectPtr<GSocket> socket) {
  glib::GObjectPtr<GSocketAddress> peer(g_socket_get_remote_address(socket.get(), nullptr));
  if (!peer) return nullptr;  // reset before we got to it
  std::unique_ptr<TcpConnection> connection(
      new TcpConnection(settings, std::move(socket), peer.get()));
  std::string error;
  if (settings.tls && !connection->start_tls(TlsStream::Role::kServer, error)) {
    spdlog::warn("SIP TLS from {}: {}", connection->key(), error);
    return nullptr;
  }
  connection->connected_ = true;
  connection->start_reading();
  return connection;
}

std::unique_ptr<TcpConnection> TcpConnection::connect(const Settings& settings, GSocketAddress* to,
                                                      std::string& error) {
  glib::GErrorOut failure;
  glib::GObjectPtr<GSocket> socket(g_socket_new(
      g_socket_address_get_family(to), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, failure.out()));
  if (!socket) {
    error = failure.message();
    return nullptr;
  }
  g_socket_set_blocking(socket.get(), FALSE);
  bool done = g_socket_connect(socket.get(), to, nullptr, failure.out());
  if (!done && !failure.matches(G_IO_ERROR_PENDING)) {
    error = failure.message();
    return nullptr;
  }
  std::unique_ptr<TcpConnection> connection(new TcpConnection(settings, std::move(socket), to));
  connection->we_connected_ = true;
  if (settings.tls && !connection->start_tls(TlsStream::Role::kClient, error)) return nullptr;
  if (done) {
    connection->connected_ = true;
    connection->start_reading();
    if (!connection->send_queued()) {
      error = connection->failure_;
      return nullptr;
    }
  } else {
    // Writable means connected, or failed: on_writable() tells which.
    connection->watch_writable();
  }
  return connection;
}

bool TcpConnection::start_tls(TlsStream::Role role, std::string& error) {
  tls_ = TlsStream::create(*settings_.tls, role, error);
  if (!tls_) return false;
  queue_records();
  // An unanswered or dawdling handshake must not hold a descriptor (a scanner's trick).
  handshake_deadline_ =
      glib::add_timeout(settings_.context, static_cast<guint>(settings_.tls_handshake_ms),
                        on_handshake_deadline_cb, this);
  return true;
}

const std::string& TcpConnection::peer_fingerprint() const {
  static const std::string none;
  return tls_ ? tls_->peer_fingerprint() : none;
}

void TcpConnection::queue_records() {
  queue_.append(tls_->take_output());
}

bool TcpConnection::send_queued() {
  // While connecting, or while a write watch waits for room, the bytes wait their turn.
  if (!connected_ || write_watch_) return true;
  if (!flush()) return false;
  if (queue_sent_ < queue_.size()) watch_writable();
  return true;
}

bool TcpConnection::write(std::string_view bytes) {
  if (failed_) return false;
  if (unsent() + bytes.size() > kMaxQueued) {
    spdlog::warn("SIP TCP #{} to {}: {} bytes queued already, peer not reading; message dropped",
                 id(), sip::to_string(peer_), unsent());
    return false;
  }
  if (tls_ && !tls_accepted_) {
    held_.append(bytes);  // no SIP before the peer's certificate is accepted
    return true;
  }
  if (tls_) {
    if (!tls_->send(bytes)) {
      fail_later(tls_->error());
      return false;
    }
    queue_records();
  } else {
    queue_.append(bytes);
  }
  if (!send_queued()) {
    fail_later(failure_);
    return false;
  }
  return true;
}

bool TcpConnection::decrypt(std::string_view bytes, std::string& plain) {
  const bool was_established = tls_->established();
  const bool ok = tls_->receive(bytes, plain);
  queue_records();  // the handshake's next flight, or an alert
  if (!send_queued()) {
    std::string why = failure_;  // close() destroys the connection
    close(why);
    return false;
  }
  if (!ok) {
    std::string why = tls_->error();
    close(why);
    return false;
  }
  if (!tls_->established() || was_established) return true;
  handshake_deadline_.reset();
  std::weak_ptr<int> alive = alive_;
  std::string refusal = settings_.owner->on_tls_established(*this, tls_->peer_fingerprint());
  if (alive.expired()) return false;
  if (!refusal.empty()) {
    close(refusal);
    return false;
  }
  tls_accepted_ = true;
  if (held_.empty()) return true;
  std::string held = std::move(held_);
  held_.clear();
  if (!tls_->send(held)) {
    std::string why = tls_->error();
    close(why);
    return false;
  }
  queue_records();
  if (!send_queued()) {
    std::string why = failure_;
    close(why);
    return false;
  }
  return true;
}

bool TcpConnection::flush() {
  while (queue_sent_ < queue_.size()) {
    glib::GErrorOut error;
    gssize sent = g_socket_send(socket_.get(), queue_.data() + queue_sent_,
                                queue_.size() - queue_sent_, nullptr, error.out());
    if (sent < 0) {
      if (error.matches(G_IO_ERROR_WOULD_BLOCK)) break;
      failure_ = std::string("send failed: ") + error.message();
      return false;
    }
    queue_sent_ += static_cast<std::size_t>(sent);
    last_activity_ = g_get_monotonic_time();
  }
  if (queue_sent_ == queue_.size()) {
    queue_.clear();
    queue_sent_ = 0;
  } else if (queue_sent_ > 65536 && queue_sent_ * 2 > queue_.size()) {
    queue_.erase(0, queue_sent_);
    queue_sent_ = 0;
  }
  return true;
}

void TcpConnection::start_reading() {
  read_watch_ = glib::watch_socket(settings_.context, socket_.get(),
                                   static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                                   on_readable_cb, this);
}

void TcpConnection::watch_writable() {
  write_watch_ =
      glib::watch_socket(settings_.context, socket_.get(), G_IO_OUT, on_writable_cb, this);
}

void TcpConnection::arm_idle_timer(gint64 at) {
  gint64 now = g_get_monotonic_time();
  gint64 delay_ms = at > now ? (at - now + 999) / 1000 : 0;
  // At least 1 ms: a zero delay would make it an idle source.
  idle_timer_ = glib::add_timeout(
      settings_.context, static_cast<guint>(std::max<gint64>(delay_ms, 1)), on_idle_timer_cb, this);
}

gboolean TcpConnection::on_readable_cb(GSocket*, GIOCondition, gpointer self) {
  return glib::guarded("SIP TCP read",
                       [self] { return static_cast<TcpConnection*>(self)->on_readable(); });
}

gboolean TcpConnection::on_writable_cb(GSocket*, GIOCondition, gpointer self) {
  return glib::guarded("SIP TCP write",
                       [self] { return static_cast<TcpConnection*>(self)->on_writable(); });
}

gboolean TcpConnection::on_idle_timer_cb(gpointer self) {
  return glib::guarded("SIP TCP idle timer",
                       [self] { return static_cast<TcpConnection*>(self)->on_idle_timer(); });
}

gboolean TcpConnection::on_handshake_deadline_cb(gpointer self) {
  return glib::guarded("SIP TLS handshake deadline", [self] {
    auto* connection = static_cast<TcpConnection*>(self);
    connection->close("TLS handshake not done within " +
                      std::to_string(connection->settings_.tls_handshake_ms) + " ms");
    return G_SOURCE_REMOVE;
  });
}

gboolean TcpConnection::on_failed_cb(gpointer self) {
  return glib::guarded("SIP TCP close", [self] {
    auto* connection = static_cast<TcpConnection*>(self);
    std::string why = connection->failure_;  // close() destroys the connection
    connection->close(why);
    return G_SOURCE_REMOVE;
  });
}

gboolean TcpConnection::on_readable() {
  std::array<char, kReadChunk> buffer;
  glib::GErrorOut error;
  gssize got = g_socket_receive(socket_.get(), buffer.data(), buffer.size(), nullptr, error.out());
  if (got < 0) {
    if (error.matches(G_IO_ERROR_WOULD_BLOCK)) return G_SOURCE_CONTINUE;
    close(std::string("receive failed: ") + error.message());
    return G_SOURCE_REMOVE;
  }
  if (got == 0) {
    close("closed by the peer");
    return G_SOURCE_REMOVE;
  }
  last_activity_ = g_get_monotonic_time();
  std::string_view bytes(buffer.data(), static_cast<std::size_t>(got));
  std::string plain;
  if (tls_) {
    if (!decrypt(bytes, plain)) return G_SOURCE_REMOVE;  // closed
    bytes = plain;
  }
  framer_.feed(bytes);
  std::weak_ptr<int> alive = alive_;
  for (;;) {
    auto next = framer_.next();
    if (!next) {
      // The stream can no longer be cut into messages (RFC 3261 18.3).
      close("cannot frame the stream: " + next.error().reason);
      return G_SOURCE_REMOVE;
    }
    if (!next.value()) break;
    settings_.owner->on_stream_message(*this, std::move(*next.value()));
    if (alive.expired()) return G_SOURCE_REMOVE;  // the owner closed us meanwhile
  }
  return G_SOURCE_CONTINUE;
}

gboolean TcpConnection::on_writable() {
  if (!connected_) {
    glib::GErrorOut error;
    if (!g_socket_check_connect_result(socket_.get(), error.out())) {
      close(std::string("connect failed: ") + error.message());
      return G_SOURCE_REMOVE;
    }
    connected_ = true;
    last_activity_ = g_get_monotonic_time();
    start_reading();
  }
  if (!flush()) {
    std::string why = failure_;  // close() destroys the connection
    close(why);
    return G_SOURCE_REMOVE;
  }
  if (queue_sent_ < queue_.size()) return G_SOURCE_CONTINUE;
  write_watch_.reset();  // safe inside its own callback (see SourceHandle)
  return G_SOURCE_REMOVE;
}

gboolean TcpConnection::on_idle_timer() {
  const gint64 idle = gint64{settings_.idle_seconds} * G_USEC_PER_SEC;
  const gint64 now = g_get_monotonic_time();
  if (now - last_activity_ >= idle) {
    close("idle for " + std::to_string(settings_.idle_seconds) + " s");
    return G_SOURCE_REMOVE;
  }
  arm_idle_timer(last_activity_ + idle);  // replaces this source
  return G_SOURCE_REMOVE;
}

void TcpConnection::close(std::string_view why) {
  failed_ = true;
  settings_.owner->on_closed(*this, why);  // destroys this
}

void TcpConnection::fail_later(std::string why) {
  failed_ = true;
  failure_ = std::move(why);
  if (failed_event_) return;
  failed_event_ = glib::add_timeout(settings_.context, 0, on_failed_cb, this);
}

std::size_t TcpConnection::unread_bytes() const {
  int unread = 0;
  if (!socket_ || ioctl(g_socket_get_fd(socket_.get()), SIOCINQ, &unread) != 0 || unread < 0) {
    return 0;
  }
  return static_cast<std::size_t>(unread);
}

}  // namespace lanline::net
