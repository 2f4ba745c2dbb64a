// One stream's DTLS-SRTP handshake (RFC 5764), made with OpenSSL over memory BIOs: the
// records go out and come in through the stream's own network end (the ICE pair, or the
// plain RTP socket), told apart from RTP by their first octet (RFC 7983,
// datagram_demux.hpp). It outlives the call's pipelines (a re-INVITE that rebuilds one
// keeps the keys), so it belongs to the stream, not to a transport.
//
// Authentication is the SDP's: the peer's certificate must hash (SHA-256) to the
// a=fingerprint its SDP gave (RFC 5763 5), checked while the handshake runs, so that a
// certificate that does not match ends it with an alert and no key is ever made. Once
// done, the SRTP master keys and salts come from the TLS exporter (RFC 5764 4.2), one
// pair for each direction, for the profile the handshake chose (AES_CM_128 with an 80
// or 32-bit tag).
//
// Driven on the engine's GMainContext: receive() there (the demux hands records over
// from the streaming thread), the retransmission timer there, `send` and `done` called
// there.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/stream_description.hpp"
#include "glib_support/handles.hpp"

namespace lanline::media {

// Our side: the node's certificate and key (PEM files, engine/node_identity.hpp).
struct DtlsCredentials {
  std::string certificate_path;
  std::string key_path;
};

struct DtlsOutcome {
  std::optional<SrtpKeys> keys;  // set when the handshake finished and authenticated
  std::string error;             // why not, otherwise
  // With the keys: a number both sides of this very handshake derive from its master
  // secret (an exporter of its own label, RFC 5705), for the short authentication
  // string. Someone in the middle runs two handshakes with two secrets, and cannot
  // choose either before the peer's random is known.
  std::uint32_t sas_value = 0;
};

class DtlsHandshake {
 public:
  using Send = std::function<void(const std::uint8_t* data, std::size_t size)>;
  using Done = std::function<void(const DtlsOutcome&)>;

  // For a stream agreed with `peer` (its fingerprint, and `client`: we open it). nullptr
  // with `error` when the credentials do not load.
  static std::unique_ptr<DtlsHandshake> create(GMainContext* context,
                                               const DtlsCredentials& credentials,
                                               const DtlsParameters& peer, std::string name,
                                               Send send, Done done, std::string& error);
  ~DtlsHandshake();
  DtlsHandshake(const DtlsHandshake&) = delete;
  DtlsHandshake& operator=(const DtlsHandshake&) = delete;

  // A client sends its ClientHello now (and again while no answer comes); a server waits.
  void start();
  // A DTLS record from the peer.
  void receive(const std::uint8_t* data, std::size_t size);

  const DtlsParameters& peer() const { return peer_; }
  bool finished() const { return finished_; }
  const std::optional<SrtpKeys>& keys() const { return keys_; }
  std::uint32_t sas_value() const { return sas_value_; }

 private:
  struct Tls;  // OpenSSL's objects

  DtlsHandshake() = default;
  void advance();
  void flush();
  void arm_timer();
  void finish(DtlsOutcome outcome);
  std::optional<SrtpKeys> export_keys();
  static gboolean on_timer(gpointer self);
  static gboolean on_give_up(gpointer self);

  GMainContext* context_ = nullptr;
  std::string name_;
  DtlsParameters peer_;
  Send send_;
  Done done_;
  std::unique_ptr<Tls> tls_;
  glib::SourceHandle timer_;
  glib::SourceHandle give_up_;
  bool started_ = false;
  bool finished_ = false;
  std::string refusal_;  // why the peer's certificate was refused
  std::optional<SrtpKeys> keys_;
  std::uint32_t sas_value_ = 0;
};

// "AB:CD:..." (upper case): the SHA-256 of a DER certificate, as a=fingerprint writes it.
std::string sha256_fingerprint(const std::vector<std::uint8_t>& der);

}  // namespace lanline::media
