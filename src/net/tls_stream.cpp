#include "net/tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>

#include "net/certificate_fingerprint.hpp"

namespace lanline::net {
namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "no detail from OpenSSL";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  ERR_clear_error();
  return text.data();
}

// Self-signed certificates all round: the chain has nothing to be checked against, and
// the fingerprint is judged once the handshake is done. Asking (SSL_VERIFY_PEER) is what
// makes a server request the client's certificate.
int accept_any_certificate(int /*preverified*/, X509_STORE_CTX* /*store*/) {
  return 1;
}

}  // namespace

std::string certificate_fingerprint(X509* certificate) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!certificate || X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1)
    return {};
  std::string out = "sha-256 ";
  std::array<char, 4> byte{};
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte.data(), byte.size(), i + 1 < length ? "%02X:" : "%02X", digest[i]);
    out += byte.data();
  }
  return out;
}

struct TlsContext::Impl {
  SSL_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

TlsContext::~TlsContext() = default;

std::unique_ptr<TlsContext> TlsContext::create(const TlsCredentials& credentials,
                                               std::string& error) {
  std::unique_ptr<TlsContext> context(new TlsContext());
  context->impl_ = std::make_unique<Impl>();
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  context->impl_->ctx = ctx;
  if (!ctx) {
    error = "TLS is not available: " + openssl_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_file(ctx, credentials.certificate_path.c_str(), SSL_FILETYPE_PEM) !=
          1 ||
      SSL_CTX_use_PrivateKey_file(ctx, credentials.key_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    error = "the node's certificate or key (" + credentials.certificate_path +
            ") does not load for SIP over TLS: " + openssl_error() +
            "; remove the profile's identity directory to make a new one";
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &accept_any_certificate);
  // No session cache: every connection shows its certificate, which is what is judged.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  return context;
}

struct TlsStream::Impl {
  SSL* ssl = nullptr;
  BIO* incoming = nullptr;  // owned by ssl
  BIO* outgoing = nullptr;  // owned by ssl
  ~Impl() {
    if (ssl) SSL_free(ssl);
  }
};

TlsStream::~TlsStream() = default;

std::unique_ptr<TlsStream> TlsStream::create(TlsContext& context, Role role, std::string& error) {
  std::unique_ptr<TlsStream> stream(new TlsStream());
  stream->impl_ = std::make_unique<Impl>();
  Impl& tls = *stream->impl_;
  tls.ssl = SSL_new(context.impl_->ctx);
  tls.incoming = BIO_new(BIO_s_mem());
  tls.outgoing = BIO_new(BIO_s_mem());
  if (!tls.ssl || !tls.incoming || !tls.outgoing) {
    if (tls.incoming && !tls.ssl) BIO_free(tls.incoming);
    if (tls.outgoing && !tls.ssl) BIO_free(tls.outgoing);
    error = "TLS could not be set up: " + openssl_error();
    return nullptr;
  }
  BIO_set_mem_eof_return(tls.incoming, -1);  // empty means "wait", not end of stream
  SSL_set_bio(tls.ssl, tls.incoming, tls.outgoing);
  if (role == Role::kClient) {
    SSL_set_connect_state(tls.ssl);
    stream->advance_handshake();  // the ClientHello
  } else {
    SSL_set_accept_state(tls.ssl);
  }
  return stream;
}

bool TlsStream::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  return false;
}

bool TlsStream::advance_handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(impl_->ssl);
  if (result == 1) {
    established_ = true;
    X509* certificate = SSL_get1_peer_certificate(impl_->ssl);
    peer_fingerprint_ = certificate_fingerprint(certificate);
    if (certificate) X509_free(certificate);
    return true;
  }
  const int code = SSL_get_error(impl_->ssl, result);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return true;
  return fail("TLS handshake failed: " + openssl_error());
}

bool TlsStream::receive(std::string_view bytes, std::string& plain) {
  if (!error_.empty()) return false;
  if (!bytes.empty() && BIO_write(impl_->incoming, bytes.data(), static_cast<int>(bytes.size())) !=
                            static_cast<int>(bytes.size())) {
    return fail("TLS: cannot buffer the peer's records");
  }
  if (!established_ && (!advance_handshake() || !established_)) return error_.empty();
  std::array<char, 16384> buffer{};
  for (;;) {
    ERR_clear_error();
    const int got = SSL_read(impl_->ssl, buffer.data(), static_cast<int>(buffer.size()));
    if (got > 0) {
      plain.append(buffer.data(), static_cast<std::size_t>(got));
      continue;
    }
    const int code = SSL_get_error(impl_->ssl, got);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return true;
    if (code == SSL_ERROR_ZERO_RETURN) return fail("TLS closed by the peer (close_notify)");
    return fail("TLS record refused: " + openssl_error());
  }
}

bool TlsStream::send(std::string_view plain) {
  if (!error_.empty() || !established_) return false;
  while (!plain.empty()) {
    ERR_clear_error();
    const int wrote = SSL_write(impl_->ssl, plain.data(), static_cast<int>(plain.size()));
    if (wrote <= 0) return fail("TLS: cannot encrypt: " + openssl_error());
    plain.remove_prefix(static_cast<std::size_t>(wrote));
  }
  return true;
}

std::string TlsStream::take_output() {
  std::string out;
  const std::size_t pending = BIO_ctrl_pending(impl_->outgoing);
  if (pending == 0) return out;
  out.resize(pending);
  const int got = BIO_read(impl_->outgoing, out.data(), static_cast<int>(pending));
  out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return out;
}

}  // namespace lanline::net
