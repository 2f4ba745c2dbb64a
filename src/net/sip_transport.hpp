// SIP over UDP and TCP on one port, and over TLS on a second one, IPv4 and IPv6, on a
// GLib main context (RFC 3261 sections 18 and 26.2, RFC 3581). Datagrams and
// stream-framed messages are parsed and handed to the receiver with where they came
// from; sends go out over UDP, or over TCP or TLS reusing an open connection (the one a
// request came in on, for its responses).
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/tls_stream.hpp"
#include "sip/endpoint.hpp"
#include "sip/message.hpp"
#include "sip/transaction_layer.hpp"

namespace lanline::net {

struct TransportOptions {
  std::uint16_t port = 5060;  // 0: any free port
  // If `port` is taken, try the next ones (DESIGN.md: --sip-port takes the next free port).
  int port_attempts = 20;
  std::string bind_ipv4 = "0.0.0.0";  // "" to skip IPv4
  std::string bind_ipv6 = "::";       // "" to skip IPv6
  int tcp_idle_seconds = 120;         // an idle TCP connection is closed after this (0: never)
  bool trace = false;                 // log every message in and out (--sip-trace)
  int tls_handshake_ms = 5000;        // a TLS handshake not done by then ends its connection
};

// Every call, and every callback, on the thread that runs `context`; it starts no
// threads of its own.
class SipTransport : public sip::TransportSender {
 public:
  // Binds UDP and TCP on the same port for each address family. On failure, `error`
  // says what happened and what to do.
  static std::unique_ptr<SipTransport> create(GMainContext* context,
                                              const TransportOptions& options, std::string& error);
  ~SipTransport() override;

  // Gets every message that parses, with its real source (RFC 3261 18.2.1): address
  // (IPv6 without brackets, a link-local one with its interface: "fe80::1%eth0"), port,
  // transport and, for TCP, the connection. Requests that do not parse are answered
  // here (400/505/513), responses that do not parse are dropped. The receiver may send,
  // and may destroy the transport.
  using Receiver = std::function<void(sip::Message message, const sip::Endpoint& from)>;
  void set_receiver(Receiver receiver);

  // UDP: one datagram. TCP: over `to.connection` if it is open, else over an open
  // connection to the same address and port, else a new connection (connected
  // asynchronously; the bytes are queued until then). False when it cannot be sent: no
  // socket of that family, not an IP literal (names are resolved above, RFC 3263), a
  // connect that fails at once, or 1 MiB already queued for a peer that does not read.
  bool send(std::string_view bytes, const sip::Endpoint& to) override;

  // Told when bytes for `peer` could not be delivered after send() had taken them (a TCP
  // connection refused or closed with bytes unsent); may send, not destroy the transport.
  using SendFailure = std::function<void(const sip::Endpoint& peer)>;
  void set_send_failure(SendFailure callback);

  // SIP over TLS with the node's certificate, on `port` (0: the SIP port + 1, or the
  // next free one). False, with `error`, when the credentials do not load or no port
  // can be bound.
  bool enable_tls(const TlsCredentials& credentials, std::uint16_t port, std::string& error);

  // Judges a TLS peer once its handshake is done, before any SIP goes either way: `peer`
  // (with its connection id), whether we opened the connection, and the fingerprint of
  // the certificate it showed ("sha-256 ...", empty for none). Empty to go on; otherwise
  // why not (logged; the connection closes, and bytes that waited for it are reported to
  // SendFailure). Unset: every peer is taken.
  using TlsCheck = std::function<std::string(const sip::Endpoint& peer, bool we_connected,
                                             const std::string& fingerprint)>;
  void set_tls_check(TlsCheck check);
  // The certificate fingerprint a TLS connection's peer showed; empty for none, or for a
  // connection that is not TLS or no longer open.
  std::string peer_fingerprint(std::uint64_t connection) const;

  std::uint16_t port() const;
  std::uint16_t tls_port() const;  // 0 without TLS
  std::size_t open_connections() const;
  // What has arrived and waits to be read, in bytes: the UDP sockets' receive queues (as
  // the kernel counts them, with its per-datagram overhead: SO_MEMINFO) and the unread
  // bytes of every TCP connection. Work piling up in front of the engine (overload
  // control, engine/engine.cpp).
  std::size_t queued_bytes() const;
  // What sources over their limits were refused so far (source_limits.hpp).
  std::uint64_t refused_requests() const;
  std::uint64_t refused_connections() const;

 private:
  SipTransport();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::net
