#include "media/dtls_handshake.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "glib_support/callbacks.hpp"

namespace lanline::media {
namespace {

// RFC 5764 4.1.2: the profiles libsrtp runs, AES_CM_128 with an 80-bit tag first.
constexpr const char* kSrtpProfiles = "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";
constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";  // RFC 5764 4.2
// Lanline's own exporter label (RFC 5705 4: "EXPORTER" and a name of our own) for the
// short authentication string.
constexpr char kSasLabel[] = "EXPORTER-lanline-short-authentication-string";
constexpr std::size_t kKeyLength = 16;
constexpr std::size_t kSaltLength = 14;
// A handshake still unfinished after this gives up (OpenSSL resends a flight after 1 s,
// then 2, 4, 8...): the path is gone, or the peer does not speak DTLS.
constexpr guint kGiveUpMs = 20000;

// OpenSSL resends an unanswered flight after 1 s (RFC 6347 4.2.4.1's initial value for an
// unknown path). On a LAN an answer takes milliseconds, and a first flight is lost mostly
// because it reached the peer before its media pipeline was reading: resend after
// 100 ms, then twice as long each time, up to 2 s.
unsigned int resend_after(SSL* /*ssl*/, unsigned int previous_us) {
  constexpr unsigned int kFirstUs = 100000, kLongestUs = 2000000;
  return previous_us == 0 ? kFirstUs : std::min(previous_us * 2, kLongestUs);
}

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "no detail from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

}  // namespace

std::string sha256_fingerprint(const std::vector<std::uint8_t>& der) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(der.data(), der.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    char pair[4];
    std::snprintf(pair, sizeof pair, i == 0 ? "%02X" : ":%02X", digest[i]);
    out += pair;
  }
  return out;
}

struct DtlsHandshake::Tls {
  SSL_CTX* context = nullptr;
  SSL* ssl = nullptr;
  BIO* incoming = nullptr;  // owned by ssl
  BIO* outgoing = nullptr;  // owned by ssl
  ~Tls() {
    if (ssl) SSL_free(ssl);
    if (context) SSL_CTX_free(context);
  }

  // OpenSSL's verify callback, for each certificate of the peer's chain. Ours are
  // self-signed, so what OpenSSL thinks of the chain does not count: the end certificate
  // must be the one the SDP's fingerprint names.
  static int verify(int /*preverified*/, X509_STORE_CTX* store) {
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* self = ssl ? static_cast<DtlsHandshake*>(SSL_get_app_data(ssl)) : nullptr;
    X509* certificate = X509_STORE_CTX_get_current_cert(store);
    if (!self || !certificate) return 0;
    unsigned char* der = nullptr;
    const int size = i2d_X509(certificate, &der);
    if (size <= 0) return 0;
    std::vector<std::uint8_t> bytes(der, der + size);
    OPENSSL_free(der);
    const std::string seen = sha256_fingerprint(bytes);
    if (seen == self->peer_.fingerprint) return 1;
    self->refusal_ = "the peer's DTLS certificate (SHA-256 " + seen +
                     ") is not the one its SDP names (" + self->peer_.fingerprint + ")";
    return 0;
  }
};

std::unique_ptr<DtlsHandshake> DtlsHandshake::create(GMainContext* context,
                                                     const DtlsCredentials& credentials,
                                                     const DtlsParameters& peer, std::string name,
                                                     Send send, Done done, std::string& error) {
  std::unique_ptr<DtlsHandshake> handshake(new DtlsHandshake());
  handshake->context_ = context;
  handshake->name_ = std::move(name);
  handshake->peer_ = peer;
  handshake->send_ = std::move(send);
  handshake->done_ = std::move(done);
  auto tls = std::make_unique<Tls>();
  tls->context = SSL_CTX_new(DTLS_method());
  if (!tls->context) {
    error = "DTLS is not available: " + openssl_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(tls->context, DTLS1_2_VERSION);
  if (SSL_CTX_use_certificate_file(tls->context, credentials.certificate_path.c_str(),
                                   SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(tls->context, credentials.key_path.c_str(), SSL_FILETYPE_PEM) !=
          1 ||
      SSL_CTX_check_private_key(tls->context) != 1) {
    error = "the node's certificate or key (" + credentials.certificate_path +
            ") does not load: " + openssl_error();
    return nullptr;
  }
  // 0 is success here (OpenSSL's one inverted return).
  if (SSL_CTX_set_tlsext_use_srtp(tls->context, kSrtpProfiles) != 0) {
    error = "OpenSSL offers no DTLS-SRTP profile: " + openssl_error();
    return nullptr;
  }
  SSL_CTX_set_verify(tls->context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &Tls::verify);
  tls->ssl = SSL_new(tls->context);
  tls->incoming = BIO_new(BIO_s_mem());
  tls->outgoing = BIO_new(BIO_s_mem());
  if (!tls->ssl || !tls->incoming || !tls->outgoing) {
    error = "DTLS could not be set up: " + openssl_error();
    return nullptr;
  }
  BIO_set_mem_eof_return(tls->incoming, -1);  // empty means "wait", not end of stream
  SSL_set_bio(tls->ssl, tls->incoming, tls->outgoing);
  SSL_set_app_data(tls->ssl, handshake.get());
  // Records fit a datagram on any LAN or tunnel; no MTU discovery on a memory BIO.
  SSL_set_options(tls->ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(tls->ssl, 1200);
  DTLS_set_timer_cb(tls->ssl, &resend_after);
  if (peer.client) {
    SSL_set_connect_state(tls->ssl);
  } else {
    SSL_set_accept_state(tls->ssl);
  }
  handshake->tls_ = std::move(tls);
  return handshake;
}

DtlsHandshake::~DtlsHandshake() = default;

void DtlsHandshake::start() {
  if (started_ || finished_) return;
  started_ = true;
  give_up_ = glib::add_timeout(context_, kGiveUpMs, &DtlsHandshake::on_give_up, this);
  spdlog::info("{}: DTLS handshake, as {}", name_, peer_.client ? "client" : "server");
  if (peer_.client) advance();
}

void DtlsHandshake::receive(const std::uint8_t* data, std::size_t size) {
  if (!tls_ || size == 0) return;
  BIO_write(tls_->incoming, data, static_cast<int>(size));
  if (!finished_) {
    if (!started_) start();
    advance();
    return;
  }
  // After the handshake: a resent flight (our last was lost) or an alert. SSL_read
  // answers the first and reads the second; there is no application data on this path.
  std::uint8_t sink[2048];
  ERR_clear_error();
  while (SSL_read(tls_->ssl, sink, sizeof sink) > 0) {
  }
  if (SSL_get_shutdown(tls_->ssl) & SSL_RECEIVED_SHUTDOWN) {
    spdlog::info("{}: the peer closed its DTLS association", name_);
  }
  ERR_clear_error();
  flush();
}

void DtlsHandshake::advance() {
  ERR_clear_error();  // SSL_get_error reads the queue: nothing stale in it
  const int result = SSL_do_handshake(tls_->ssl);
  flush();
  if (result == 1) {
    auto keys = export_keys();
    if (!keys) {
      finish({std::nullopt, "the DTLS handshake agreed no SRTP profile (RFC 5764 4.1.2)"});
      return;
    }
    std::uint8_t sas[4] = {};
    if (SSL_export_keying_material(tls_->ssl, sas, sizeof sas, kSasLabel, sizeof kSasLabel - 1,
                                   nullptr, 0, 0) != 1) {
      ERR_clear_error();
      finish({std::nullopt, "the DTLS handshake gave no short authentication string"});
      return;
    }
    spdlog::info("{}: DTLS-SRTP keys agreed ({}), the peer's certificate matches its SDP", name_,
                 keys->suite == SrtpSuite::kAes128Sha1_32 ? "AES_CM_128_HMAC_SHA1_32"
                                                          : "AES_CM_128_HMAC_SHA1_80");
    finish({std::move(keys),
            {},
            (std::uint32_t{sas[0]} << 24) | (std::uint32_t{sas[1]} << 16) |
                (std::uint32_t{sas[2]} << 8) | sas[3]});
    return;
  }
  const int reason = SSL_get_error(tls_->ssl, result);
  if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
    arm_timer();
    return;
  }
  std::string why = refusal_.empty() ? "the DTLS handshake failed: " + openssl_error() : refusal_;
  ERR_clear_error();
  finish({std::nullopt, std::move(why)});
}

// Whatever OpenSSL wrote goes out as one datagram: a flight of records fits one (an EC
// P-256 certificate is about 500 bytes), and DTLS takes several records a datagram.
void DtlsHandshake::flush() {
  char* data = nullptr;
  const long size = BIO_get_mem_data(tls_->outgoing, &data);
  if (size <= 0) return;
  send_(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size));
  (void)BIO_reset(tls_->outgoing);
}

void DtlsHandshake::arm_timer() {
  timeval wait{};
  if (DTLSv1_get_timeout(tls_->ssl, &wait) != 1) return;
  const auto ms = static_cast<guint>(wait.tv_sec * 1000 + wait.tv_usec / 1000);
  timer_ = glib::add_timeout(context_, ms == 0 ? 1 : ms, &DtlsHandshake::on_timer, this);
}

gboolean DtlsHandshake::on_timer(gpointer data) {
  return glib::guarded("media: DTLS timer", [data] {
    auto* self = static_cast<DtlsHandshake*>(data);
    self->timer_.reset();
    if (self->finished_) return G_SOURCE_REMOVE;
    ERR_clear_error();
    if (DTLSv1_handle_timeout(self->tls_->ssl) < 0) {
      self->finish({std::nullopt, "the DTLS handshake failed: " + openssl_error()});
      return G_SOURCE_REMOVE;
    }
    self->flush();
    self->arm_timer();
    return G_SOURCE_REMOVE;
  });
}

gboolean DtlsHandshake::on_give_up(gpointer data) {
  return glib::guarded("media: DTLS give-up", [data] {
    auto* self = static_cast<DtlsHandshake*>(data);
    self->give_up_.reset();
    if (!self->finished_) {
      self->finish({std::nullopt, "no DTLS handshake with the peer within " +
                                      std::to_string(kGiveUpMs / 1000) + " s"});
    }
    return G_SOURCE_REMOVE;
  });
}

void DtlsHandshake::finish(DtlsOutcome outcome) {
  if (finished_) return;
  finished_ = true;
  timer_.reset();
  give_up_.reset();
  keys_ = outcome.keys;
  sas_value_ = outcome.sas_value;
  if (!outcome.keys) spdlog::warn("{}: {}", name_, outcome.error);
  if (done_) done_(outcome);  // may destroy this
}

// RFC 5764 4.2: client key, server key, client salt, server salt; we send with ours.
std::optional<SrtpKeys> DtlsHandshake::export_keys() {
  const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(tls_->ssl);
  if (!profile) return std::nullopt;
  SrtpKeys keys;
  if (profile->id == SRTP_AES128_CM_SHA1_80) {
    keys.suite = SrtpSuite::kAes128Sha1_80;
  } else if (profile->id == SRTP_AES128_CM_SHA1_32) {
    keys.suite = SrtpSuite::kAes128Sha1_32;
  } else {
    return std::nullopt;
  }
  std::uint8_t material[2 * (kKeyLength + kSaltLength)];
  if (SSL_export_keying_material(tls_->ssl, material, sizeof material, kExporterLabel,
                                 sizeof kExporterLabel - 1, nullptr, 0, 0) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  const std::uint8_t* client_key = material;
  const std::uint8_t* server_key = material + kKeyLength;
  const std::uint8_t* client_salt = material + 2 * kKeyLength;
  const std::uint8_t* server_salt = client_salt + kSaltLength;
  auto join = [](const std::uint8_t* key, const std::uint8_t* salt) {
    std::vector<std::uint8_t> out(kKeyLength + kSaltLength);
    for (std::size_t i = 0; i < kKeyLength; ++i)
      out[i] = key[i];
    for (std::size_t i = 0; i < kSaltLength; ++i)
      out[kKeyLength + i] = salt[i];
    return out;
  };
  const bool client = peer_.client;
  keys.send_key = client ? join(client_key, client_salt) : join(server_key, server_salt);
  keys.receive_key = client ? join(server_key, server_salt) : join(client_key, client_salt);
  return keys;
}

}  // namespace lanline::media
