#include "net/sip_transport.hpp"

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <unordered_map>
#include <vector>

#include "glib_support/callbacks.hpp"
#include "net/log_limiter.hpp"
#include "net/port_binder.hpp"
#include "net/socket_address.hpp"
#include "net/source_limits.hpp"
#include "net/tcp_connection.hpp"
#include "sip/builder.hpp"
#include "sip/parser.hpp"

namespace lanline::net {
namespace {

// Each connection holds a file descriptor; a flood of them must not take the last one
// the process has (the usual soft limit is 1024).
constexpr std::size_t kMaxConnections = 512;
// RFC 3261 18.1.1 allows messages up to 65535 bytes on UDP; one more byte tells a
// datagram of exactly that size from a longer one the kernel cut short.
constexpr std::size_t kDatagramBuffer = 65536;
constexpr guint kAcceptPauseMs = 1000;
// Datagrams read per wake-up, so that a flood on one socket does not starve the rest.
constexpr int kDatagramsPerWakeup = 32;

// RFC 5626 3.5.1 keep-alives: CRLFs alone, not a message.
bool is_keepalive(std::string_view bytes) {
  return bytes.find_first_not_of("\r\n") == std::string_view::npos;
}

// For the log: hostile bytes must not reach a terminal as control characters.
std::string printable(std::string_view text, std::size_t limit = 120) {
  std::string out;
  for (char c : text.substr(0, limit))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > limit) out += "...";
  return out;
}

std::string_view first_line(std::string_view bytes) {
  return bytes.substr(0, bytes.find_first_of("\r\n"));
}

}  // namespace

struct SipTransport::Impl : TcpConnection::Owner {
  // A listening stream socket: its connections are TCP, or TLS.
  struct Acceptor {
    SipTransport::Impl* impl = nullptr;
    GSocket* socket = nullptr;  // owned by the listener
    bool tls = false;
    glib::SourceHandle watch;
    glib::SourceHandle pause;  // while accept() fails for lack of descriptors
  };
  struct Listener {
    SipTransport::Impl* impl = nullptr;
    FamilySockets sockets;  // UDP and TCP, or (TLS) TCP alone
    // After the sockets: they hold references to them and go first.
    glib::SourceHandle udp_watch;
    Acceptor acceptor;
  };

  GMainContext* context = nullptr;
  TransportOptions options;
  // Shared, so that a receiver that destroys the transport is not destroyed mid-call.
  std::shared_ptr<const Receiver> receiver;
  SipTransport::SendFailure send_failure;  // bytes taken by send() that never left
  std::uint16_t port = 0;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::unique_ptr<TlsContext> tls;
  std::uint16_t tls_port = 0;
  std::vector<std::unique_ptr<Listener>> tls_listeners;
  SipTransport::TlsCheck tls_check;
  std::unordered_map<std::uint64_t, std::unique_ptr<TcpConnection>> connections;
  // connection_key() -> newest connection
  std::unordered_map<std::string, std::uint64_t> by_peer;
  std::uint64_t next_connection = 1;
  std::vector<char> datagram = std::vector<char>(kDatagramBuffer);
  LogLimiter problems;
  SourceLimits limits;    // per source: new requests, new TCP connections
  LogLimiter over_limit;  // sources told about in the log
  // Expires with the transport, so a callback can tell that the receiver destroyed it.
  std::shared_ptr<int> alive = std::make_shared<int>(0);

  ~Impl() override {
    // Sockets and their sources go first, while everything their destructors might
    // touch still exists. (A connection calls its owner only from its own callbacks.)
    connections.clear();
    listeners.clear();
    tls_listeners.clear();
  }

  // TCP and TLS connections to one address and port are different connections.
  static std::string connection_key(bool tls, std::string_view peer) {
    return (tls ? "tls/" : "tcp/") + std::string(peer);
  }
  static std::string connection_key(const TcpConnection& connection) {
    return connection_key(connection.peer().transport == sip::TransportKind::kTls,
                          connection.key());
  }

  Listener* listener(GSocketFamily family) {
    for (auto& l : listeners) {
      if (l->sockets.family == family) return l.get();
    }
    return nullptr;
  }

  void trace(const char* direction, std::string_view bytes, const sip::Endpoint& peer) {
    if (!options.trace) return;
    std::string where = sip::to_string(peer);
    if (peer.connection != 0) where += " #" + std::to_string(peer.connection);
    spdlog::info("SIP {} {} ({} bytes)\n{}", direction, where, bytes.size(), bytes);
  }

  // RFC 3261 18.2.1 and 18.1.2: a parsed message goes up with where it came from; a
  // request that does not parse is answered where it came from, a response is dropped.
  void deliver(std::string_view bytes, sip::Framing framing, const sip::Endpoint& from) {
    if (is_keepalive(bytes)) return;
    trace("in from", bytes, from);
    auto message = sip::parse_message(bytes, framing);
    // Every request counts against its source's rate but ACK (a 2xx's, or a failure's:
    // it ends a transaction and is never answered), and before anything is answered, so
    // that a flood of garbage from a forged source gets no 400s to reflect. What cannot
    // be parsed counts as a request. A legitimate peer stays far below the rate, its
    // retransmissions and in-dialog requests included.
    const bool request = !message || message->is_request();
    const bool ack = message && message->is_request() && message->method() == sip::Method::kAck;
    if (request && !ack && !limits.admit_request(from.address, g_get_monotonic_time())) {
      if (over_limit.allow()) {
        spdlog::warn(
            "SIP: {} sends more requests than a peer needs (over {} a second, or all sources "
            "over {}); dropping them ({} so far)",
            from.address, SourceLimitOptions{}.requests.per_second,
            SourceLimitOptions{}.all_sources.per_second, limits.refused_requests());
      }
      return;
    }
    if (!message) {
      const sip::ParseError& error = message.error();
      std::optional<std::string> answer = sip::build_error_response(bytes, error);
      bool log = problems.allow();
      if (answer) {
        if (log) {
          spdlog::info("SIP request from {} does not parse ({}); answered {}", sip::to_string(from),
                       printable(error.reason), error.status_code());
        }
        send_to(*answer, from);
      } else if (log) {
        spdlog::info("SIP message from {} dropped: {} (starts \"{}\")", sip::to_string(from),
                     printable(error.reason), printable(first_line(bytes), 60));
      }
      return;
    }
    std::shared_ptr<const Receiver> call = receiver;
    if (!call || !*call) return;
    try {
      (*call)(std::move(message).value(), from);
    } catch (const std::exception& e) {
      spdlog::error("SIP receiver failed on a message from {}: {}", sip::to_string(from), e.what());
    }
  }

  bool send_to(std::string_view bytes, const sip::Endpoint& to) {
    if (bytes.empty()) return false;
    return to.reliable() ? send_stream(bytes, to) : send_udp(bytes, to);
  }

  bool send_udp(std::string_view bytes, const sip::Endpoint& to) {
    glib::GObjectPtr<GSocketAddress> address = socket_address(to.address, to.port);
    if (!address) {
      spdlog::warn("SIP send to {}: not an IP address", sip::to_string(to));
      return false;
    }
    Listener* l = listener(g_socket_address_get_family(address.get()));
    if (!l) {
      spdlog::warn("SIP send to {}: not listening on that address family", sip::to_string(to));
      return false;
    }
    trace("out to", bytes, to);
    glib::GErrorOut error;
    gssize sent = g_socket_send_to(l->sockets.udp.get(), address.get(), bytes.data(), bytes.size(),
                                   nullptr, error.out());
    if (sent >= 0) return true;
    // A full send buffer loses the datagram like the network could; the transaction
    // layer retransmits (RFC 3261 17.1.1.2), so this is no failure of the transport.
    if (error.matches(G_IO_ERROR_WOULD_BLOCK)) {
      spdlog::debug("SIP send to {}: socket buffer full, datagram lost", sip::to_string(to));
      return true;
    }
    spdlog::warn("SIP send to {}: {}", sip::to_string(to), error.message());
    return false;
  }

  bool send_stream(std::string_view bytes, const sip::Endpoint& to) {
    const bool over_tls = to.transport == sip::TransportKind::kTls;
    if (over_tls && !tls) {
      spdlog::warn("SIP send to {}: TLS is not enabled on this node", sip::to_string(to));
      return false;
    }
    // RFC 3261 18.2.2: a response goes back over the connection its request came on;
    // RFC 3261 18.1.1: a request reuses an open connection to the same place.
    TcpConnection* connection = nullptr;
    if (auto it = connections.find(to.connection); to.connection != 0 && it != connections.end() &&
                                                   it->second->peer().transport == to.transport) {
      connection = it->second.get();
    }
    glib::GObjectPtr<GSocketAddress> address;
    if (!connection || !connection->usable()) {
      address = socket_address(to.address, to.port);
      if (!address) {
        spdlog::warn("SIP send to {}: not an IP address", sip::to_string(to));
        return false;
      }
      connection = nullptr;
      if (auto it = by_peer.find(connection_key(over_tls, peer_key(address.get())));
          it != by_peer.end()) {
        auto found = connections.find(it->second);
        if (found != connections.end() && found->second->usable()) {
          connection = found->second.get();
        }
      }
    }
    if (!connection) connection = open_connection(address.get(), over_tls);
    if (!connection) return false;
    trace("out to", bytes, connection->peer());
    return connection->write(bytes);
  }

  TcpConnection* open_connection(GSocketAddress* to, bool over_tls) {
    std::string where = peer_key(to);
    if (connections.size() >= kMaxConnections) {
      spdlog::warn("SIP TCP to {}: {} connections open already", where, connections.size());
      return nullptr;
    }
    if (!listener(g_socket_address_get_family(to))) {
      // Only a family we listen on: the peer could not reach our Via sent-by otherwise.
      spdlog::warn("SIP TCP to {}: not listening on that address family", where);
      return nullptr;
    }
    std::string error;
    auto connection = TcpConnection::connect(settings(over_tls), to, error);
    if (!connection) {
      spdlog::warn("SIP {} to {}: {}", over_tls ? "TLS" : "TCP", where, error);
      return nullptr;
    }
    spdlog::debug("SIP {} #{} to {}: connecting", over_tls ? "TLS" : "TCP", connection->id(),
                  where);
    return adopt(std::move(connection));
  }

  TcpConnection::Settings settings(bool over_tls) {
    return TcpConnection::Settings{context,
                                   this,
                                   next_connection++,
                                   options.tcp_idle_seconds,
                                   over_tls ? tls.get() : nullptr,
                                   options.tls_handshake_ms};
  }

  TcpConnection* adopt(std::unique_ptr<TcpConnection> connection) {
    TcpConnection* raw = connection.get();
    by_peer[connection_key(*raw)] = raw->id();
    connections.emplace(raw->id(), std::move(connection));
    return raw;
  }

  void on_stream_message(TcpConnection& connection, std::string bytes) override {
    // A copy: the connection may be closed while the message is handled.
    sip::Endpoint from = connection.peer();
    deliver(bytes, sip::Framing::kStream, from);
  }

  std::string on_tls_established(TcpConnection& connection,
                                 const std::string& fingerprint) override {
    std::string refusal =
        tls_check ? tls_check(connection.peer(), connection.we_connected(), fingerprint) : "";
    if (refusal.empty()) {
      spdlog::debug("SIP TLS #{} with {}: established, certificate {}", connection.id(),
                    connection.key(), fingerprint.empty() ? "none" : fingerprint);
    } else {
      spdlog::warn("SIP TLS #{} with {}: refused: {}", connection.id(), connection.key(), refusal);
    }
    return refusal;
  }

  void on_closed(TcpConnection& connection, std::string_view why) override {
    const bool undelivered = connection.unsent() > 0;
    const char* kind = connection.peer().transport == sip::TransportKind::kTls ? "TLS" : "TCP";
    if (undelivered) {
      spdlog::warn("SIP {} #{} with {} closed, {} bytes not sent: {}", kind, connection.id(),
                   connection.key(), connection.unsent(), why);
    } else if (connection.peer().transport == sip::TransportKind::kTls && !connection.secure() &&
               problems.allow()) {
      // A handshake that failed or never came: a scanner, or a peer that is not one of us.
      spdlog::info("SIP TLS #{} with {} closed before it was secure: {}", connection.id(),
                   connection.key(), why);
    } else {
      spdlog::debug("SIP {} #{} with {} closed: {}", kind, connection.id(), connection.key(), why);
    }
    sip::Endpoint peer = connection.peer();
    if (auto it = by_peer.find(connection_key(connection));
        it != by_peer.end() && it->second == connection.id()) {
      by_peer.erase(it);
    }
    connections.erase(connection.id());  // destroys the connection
    if (undelivered && send_failure) send_failure(peer);
  }

  static gboolean on_udp_readable_cb(GSocket*, GIOCondition, gpointer data) {
    auto* l = static_cast<Listener*>(data);
    return glib::guarded("SIP UDP receive", [l] { return l->impl->on_udp_readable(*l); });
  }

  static gboolean on_acceptable_cb(GSocket*, GIOCondition, gpointer data) {
    auto* a = static_cast<Acceptor*>(data);
    return glib::guarded("SIP TCP accept", [a] { return a->impl->on_acceptable(*a); });
  }

  static gboolean on_accept_resume_cb(gpointer data) {
    auto* a = static_cast<Acceptor*>(data);
    return glib::guarded("SIP TCP accept", [a] {
      a->impl->watch_acceptor(*a);
      a->pause.reset();  // safe inside its own callback (see SourceHandle)
      return G_SOURCE_REMOVE;
    });
  }

  void watch_acceptor(Acceptor& a) {
    a.watch = glib::watch_socket(context, a.socket, G_IO_IN, on_acceptable_cb, &a);
  }

  // Listens on `l`'s TCP socket; `tls`: its connections run TLS.
  void start_listener(Listener& l, bool over_tls) {
    l.impl = this;
    l.acceptor = Acceptor{this, l.sockets.tcp.get(), over_tls, {}, {}};
    watch_acceptor(l.acceptor);
    if (l.sockets.udp) {
      l.udp_watch =
          glib::watch_socket(context, l.sockets.udp.get(), G_IO_IN, Impl::on_udp_readable_cb, &l);
    }
  }

  gboolean on_udp_readable(Listener& l) {
    std::weak_ptr<int> token = alive;
    for (int i = 0; i < kDatagramsPerWakeup; ++i) {
      GSocketAddress* raw_source = nullptr;
      glib::GErrorOut error;
      gssize got = g_socket_receive_from(l.sockets.udp.get(), &raw_source, datagram.data(),
                                         datagram.size(), nullptr, error.out());
      glib::GObjectPtr<GSocketAddress> source(raw_source);
      if (got < 0) {
        // ICMP errors of earlier sends surface here too; none of them ends the socket.
        if (!error.matches(G_IO_ERROR_WOULD_BLOCK)) {
          spdlog::debug("SIP UDP receive: {}", error.message());
        }
        break;
      }
      if (!source) continue;
      sip::Endpoint from = endpoint_of(source.get(), sip::TransportKind::kUdp);
      if (static_cast<std::size_t>(got) >= datagram.size()) {
        if (problems.allow()) {
          spdlog::info("SIP datagram from {} dropped: over {} bytes", sip::to_string(from),
                       datagram.size() - 1);
        }
        continue;
      }
      // A copy, since the receiver may send, or even destroy the transport.
      std::string bytes(datagram.data(), static_cast<std::size_t>(got));
      deliver(bytes, sip::Framing::kDatagram, from);
      if (token.expired()) return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
  }

  gboolean on_acceptable(Acceptor& a) {
    for (;;) {
      glib::GErrorOut error;
      glib::GObjectPtr<GSocket> socket(g_socket_accept(a.socket, nullptr, error.out()));
      if (!socket) {
        if (error.matches(G_IO_ERROR_WOULD_BLOCK)) break;
        // Out of descriptors (EMFILE) leaves the listener readable: without a pause the
        // loop would spin on it.
        spdlog::warn("SIP TCP accept: {}; not accepting for {} ms", error.message(),
                     kAcceptPauseMs);
        a.pause = glib::add_timeout(context, kAcceptPauseMs, on_accept_resume_cb, &a);
        a.watch.reset();  // safe inside its own callback (see SourceHandle)
        return G_SOURCE_REMOVE;
      }
      if (connections.size() >= kMaxConnections) {
        if (problems.allow()) {
          spdlog::warn("SIP TCP: {} connections open already; refusing a new one",
                       connections.size());
        }
        g_socket_close(socket.get(), nullptr);
        continue;
      }
      auto connection = TcpConnection::accepted(settings(a.tls), std::move(socket));
      if (!connection) continue;
      const std::string address = connection->peer().address;
      std::size_t open = 0;
      for (const auto& [id, other] : connections)
        open += other->peer().address == address ? 1 : 0;
      if (!limits.admit_connection(address, open, g_get_monotonic_time())) {
        if (over_limit.allow()) {
          spdlog::warn(
              "SIP TCP: {} opens more connections than a peer needs ({} open); "
              "refusing ({} so far)",
              address, open, limits.refused_connections());
        }
        continue;  // closed as it goes
      }
      spdlog::debug("SIP TCP #{} from {}: accepted", connection->id(), connection->key());
      adopt(std::move(connection));
    }
    return G_SOURCE_CONTINUE;
  }
};

SipTransport::SipTransport() : impl_(std::make_unique<Impl>()) {}
SipTransport::~SipTransport() = default;

std::unique_ptr<SipTransport> SipTransport::create(GMainContext* context,
                                                   const TransportOptions& options,
                                                   std::string& error) {
  BindRequest request{options.port, options.port_attempts, options.bind_ipv4, options.bind_ipv6};
  std::optional<BoundPort> bound = bind_sip_port(request, error);
  if (!bound) return nullptr;

  std::unique_ptr<SipTransport> transport(new SipTransport());
  Impl& impl = *transport->impl_;
  impl.context = context;
  impl.options = options;
  impl.port = bound->port;
  for (FamilySockets& sockets : bound->families) {
    auto l = std::make_unique<Impl::Listener>();
    l->sockets = std::move(sockets);
    impl.start_listener(*l, false);
    impl.listeners.push_back(std::move(l));
  }
  spdlog::debug("SIP listening on UDP and TCP port {}", impl.port);
  return transport;
}

bool SipTransport::enable_tls(const TlsCredentials& credentials, std::uint16_t port,
                              std::string& error) {
  Impl& impl = *impl_;
  impl.tls = TlsContext::create(credentials, error);
  if (!impl.tls) return false;
  BindRequest request{port != 0 ? port : static_cast<std::uint16_t>(impl.port + 1),
                      impl.options.port_attempts, impl.options.bind_ipv4, impl.options.bind_ipv6,
                      false};
  if (port == 0 && impl.port == 65535) request.port = 0;
  std::optional<BoundPort> bound = bind_sip_port(request, error);
  if (!bound) {
    impl.tls.reset();
    error = "SIP over TLS: " + error;
    return false;
  }
  impl.tls_port = bound->port;
  for (FamilySockets& sockets : bound->families) {
    auto l = std::make_unique<Impl::Listener>();
    l->sockets = std::move(sockets);
    impl.start_listener(*l, true);
    impl.tls_listeners.push_back(std::move(l));
  }
  spdlog::debug("SIP listening on TLS port {}", impl.tls_port);
  return true;
}

void SipTransport::set_tls_check(TlsCheck check) {
  impl_->tls_check = std::move(check);
}

std::string SipTransport::peer_fingerprint(std::uint64_t connection) const {
  auto it = impl_->connections.find(connection);
  if (it == impl_->connections.end() || !it->second->secure()) return {};
  return it->second->peer_fingerprint();
}

std::uint16_t SipTransport::tls_port() const {
  return impl_->tls_port;
}

void SipTransport::set_send_failure(SendFailure callback) {
  impl_->send_failure = std::move(callback);
}

std::uint64_t SipTransport::refused_requests() const {
  return impl_->limits.refused_requests();
}

std::uint64_t SipTransport::refused_connections() const {
  return impl_->limits.refused_connections();
}

void SipTransport::set_receiver(Receiver receiver) {
  impl_->receiver = std::make_shared<const Receiver>(std::move(receiver));
}

bool SipTransport::send(std::string_view bytes, const sip::Endpoint& to) {
  return impl_->send_to(bytes, to);
}

std::uint16_t SipTransport::port() const {
  return impl_->port;
}

std::size_t SipTransport::open_connections() const {
  return impl_->connections.size();
}

std::size_t SipTransport::queued_bytes() const {
  std::size_t queued = 0;
  for (const auto& l : impl_->listeners) {
    if (!l->sockets.udp) continue;
    std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
    socklen_t size = sizeof(meminfo);
    if (getsockopt(g_socket_get_fd(l->sockets.udp.get()), SOL_SOCKET, SO_MEMINFO, meminfo, &size) ==
        0) {
      queued += meminfo[SK_MEMINFO_RMEM_ALLOC];
    }
  }
  for (const auto& [id, connection] : impl_->connections)
    queued += connection->unread_bytes();
  return queued;
}

}  // namespace lanline::net
