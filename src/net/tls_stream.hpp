// TLS for one SIP connection (RFC 3261 26.2, RFC 5630), made with OpenSSL over memory
// BIOs: the connection reads and writes the socket, this turns its bytes into
// plaintext and back. Both sides present the node's self-signed certificate and accept
// any: there is no authority to check a chain against, so who the peer is, is decided by
// its certificate's SHA-256 fingerprint against the one it announced in DNS-SD and the
// one pinned for it (the transport's owner judges, sip_transport.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace lanline::net {

// The node's certificate and key (PEM files, engine/node_identity.hpp).
struct TlsCredentials {
  std::string certificate_path;
  std::string key_path;
};

// One SSL_CTX for every connection of a transport.
class TlsContext {
 public:
  // nullptr, with `error` saying what to do, when the credentials do not load.
  static std::unique_ptr<TlsContext> create(const TlsCredentials& credentials, std::string& error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

 private:
  friend class TlsStream;
  TlsContext() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class TlsStream {
 public:
  enum class Role { kClient, kServer };

  // nullptr with `error` when OpenSSL cannot make the session. A client's ClientHello is
  // in output() at once.
  static std::unique_ptr<TlsStream> create(TlsContext& context, Role role, std::string& error);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Bytes from the network; the plaintext they carry is appended to `plain`. False when
  // the stream is over: a malformed or truncated record, a failed handshake, or the
  // peer's close_notify; error() says which.
  bool receive(std::string_view bytes, std::string& plain);
  // Plaintext to send, once established(). False when the stream has failed.
  bool send(std::string_view plain);
  // Records waiting to be written to the socket (handshake and data), taken.
  std::string take_output();

  bool established() const { return established_; }
  // Once established: the peer's certificate as "sha-256 AB:CD:..." (the form DNS-SD's
  // `fp` and SDP's a=fingerprint use), empty when it sent none.
  const std::string& peer_fingerprint() const { return peer_fingerprint_; }
  const std::string& error() const { return error_; }

 private:
  TlsStream() = default;
  bool advance_handshake();
  bool fail(std::string why);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool established_ = false;
  std::string peer_fingerprint_;
  std::string error_;
};

}  // namespace lanline::net
