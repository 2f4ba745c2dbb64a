// One SIP-over-TCP connection (RFC 3261 18.3), or over TLS (26.2): accepted or
// connecting, it reads bytes (decrypted, for TLS) into a StreamFramer and hands out whole
// messages, writes through a queue that drains when the socket can take more, and closes
// itself when idle. A TLS connection sends no SIP before its owner has accepted the
// peer's certificate, and closes when the handshake is not done within a bound. All on
// one GMainContext.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "glib_support/handles.hpp"
#include "net/tls_stream.hpp"
#include "sip/endpoint.hpp"
#include "sip/framer.hpp"

namespace lanline::net {

class TcpConnection {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // One framed message (not parsed yet).
    virtual void on_stream_message(TcpConnection& connection, std::string bytes) = 0;
    // The connection is over (peer closed, error, framing error, idle). The owner
    // destroys it here; the connection touches nothing of itself after this call.
    virtual void on_closed(TcpConnection& connection, std::string_view why) = 0;
    // TLS: the handshake is done and the peer showed `fingerprint` (empty: no
    // certificate). Empty to go on; otherwise why not, and the connection closes with it
    // before any SIP goes either way.
    virtual std::string on_tls_established(TcpConnection& connection,
                                           const std::string& fingerprint) = 0;
  };

  struct Settings {
    GMainContext* context = nullptr;
    Owner* owner = nullptr;
    std::uint64_t id = 0;
    int idle_seconds = 120;       // 0: never closed for being idle
    TlsContext* tls = nullptr;    // set: SIP over TLS (we are the client when we connect)
    int tls_handshake_ms = 5000;  // a TLS handshake not done by then closes the connection
  };

  // A connection from the listener; `socket` is connected already.
  static std::unique_ptr<TcpConnection> accepted(const Settings& settings,
                                                 glib::GObjectPtr<GSocket> socket);
  // A new connection to `to`, finished asynchronously; bytes written meanwhile wait.
  // Null, with `error`, when it fails at once (no route, no such family).
  static std::unique_ptr<TcpConnection> connect(const Settings& settings, GSocketAddress* to,
                                                std::string& error);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Queues the bytes and sends what the socket takes now. False when the connection has
  // failed or too much is queued already (a peer that does not read).
  bool write(std::string_view bytes);

  std::uint64_t id() const { return settings_.id; }
  bool we_connected() const { return we_connected_; }
  // TLS, handshake done and the peer's certificate accepted.
  bool secure() const { return tls_ && tls_accepted_; }
  // Bytes that arrived and wait to be read (SIOCINQ).
  std::size_t unread_bytes() const;
  // The peer, with this connection's id (RFC 3261 18.2.1: where a request came from).
  const sip::Endpoint& peer() const { return peer_; }
  // peer_key() of the peer's address, for finding a connection to reuse.
  const std::string& key() const { return key_; }
  // Once a TLS handshake is done: the peer's certificate ("sha-256 ..."), else empty.
  const std::string& peer_fingerprint() const;
  // False once it failed; it is closed from the main loop soon after.
  bool usable() const { return !failed_; }
  // Bytes written but not sent yet (lost if it closes now).
  std::size_t unsent() const { return queue_.size() - queue_sent_ + held_.size(); }

 private:
  TcpConnection(const Settings& settings, glib::GObjectPtr<GSocket> socket, GSocketAddress* peer);

  static gboolean on_readable_cb(GSocket* socket, GIOCondition condition, gpointer self);
  static gboolean on_writable_cb(GSocket* socket, GIOCondition condition, gpointer self);
  static gboolean on_idle_timer_cb(gpointer self);
  static gboolean on_failed_cb(gpointer self);
  static gboolean on_handshake_deadline_cb(gpointer self);

  gboolean on_readable();
  gboolean on_writable();
  gboolean on_idle_timer();
  void start_reading();
  // TLS as `role`: a client's ClientHello is queued at once; the handshake deadline runs.
  bool start_tls(TlsStream::Role role, std::string& error);
  // Sends from the queue until it is empty or the socket is full; false on an error.
  bool flush();
  void watch_writable();
  // TLS: the bytes read, decrypted into `plain`; false when the connection was closed
  // (this is destroyed then).
  bool decrypt(std::string_view bytes, std::string& plain);
  // TLS: what the session has for the wire, onto the queue.
  void queue_records();
  // Sends what the queue holds, or waits for room; false (with failure_) on an error.
  bool send_queued();
  void arm_idle_timer(gint64 at);
  // Ends the connection from inside one of its callbacks (the owner destroys it).
  void close(std::string_view why);
  // Ends it from the main loop, for errors met inside write(), which the owner called.
  void fail_later(std::string why);

  Settings settings_;
  sip::Endpoint peer_;
  std::string key_;
  sip::StreamFramer framer_;
  std::unique_ptr<TlsStream> tls_;
  bool tls_accepted_ = false;   // the owner accepted the peer's certificate
  std::string held_;            // TLS: SIP written before that, not encrypted yet
  std::string queue_;           // bytes not yet sent
  std::size_t queue_sent_ = 0;  // of queue_, already sent
  bool connected_ = false;
  bool we_connected_ = false;  // made by connect(), not accepted
  bool failed_ = false;
  std::string failure_;
  gint64 last_activity_ = 0;  // g_get_monotonic_time()
  // Expires with the connection, so a callback can tell that the owner destroyed it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  glib::GObjectPtr<GSocket> socket_;
  // After socket_: the sources hold references to it and are destroyed first.
  glib::SourceHandle read_watch_;
  glib::SourceHandle write_watch_;
  glib::SourceHandle idle_timer_;
  glib::SourceHandle failed_event_;
  glib::SourceHandle handshake_deadline_;
};

}  // namespace lanline::net
