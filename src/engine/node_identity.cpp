#include "engine/node_identity.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>

#include "net/certificate_fingerprint.hpp"

namespace lanline::engine {
namespace {

namespace fs = std::filesystem;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FileClose {
  void operator()(FILE* file) const { std::fclose(file); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using FilePtr = std::unique_ptr<FILE, FileClose>;

// A file only its owner may read or write, created that way (never a window at 0644).
FilePtr open_private(const fs::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  ::fchmod(fd, 0600);  // an older file with a wider mode
  FILE* file = ::fdopen(fd, "w");
  if (!file) ::close(fd);
  return FilePtr(file);
}

std::optional<std::string> new_uuid() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return std::nullopt;
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return std::string(text);
}

bool valid_uuid(const std::string& text) {
  static const std::regex pattern("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  return std::regex_match(text, pattern);
}

X509Ptr read_certificate(const fs::path& path) {
  FilePtr file(std::fopen(path.c_str(), "r"));
  if (!file) return nullptr;
  return X509Ptr(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
}

bool key_present(const fs::path& path) {
  FilePtr file(std::fopen(path.c_str(), "r"));
  if (!file) return false;
  return PkeyPtr(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr)) != nullptr;
}

// A self-signed certificate for DTLS-SRTP: what peers check is its fingerprint, carried
// in signalling (RFC 5763 5), not a chain, so a long validity costs nothing.
X509Ptr make_certificate(EVP_PKEY* key, const std::string& common_name) {
  X509Ptr cert(X509_new());
  if (!cert) return nullptr;
  X509_set_version(cert.get(), 2);
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7F;  // a positive serial
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24 * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

}  // namespace

std::optional<NodeIdentity> load_or_create_identity(const fs::path& directory, std::string& error) {
  std::error_code code;
  fs::create_directories(directory, code);
  if (code) {
    error = "cannot create " + directory.string() + ": " + code.message() +
            "; check XDG_DATA_HOME and the directory's permissions";
    return std::nullopt;
  }
  ::chmod(directory.c_str(), 0700);
  NodeIdentity identity;
  identity.certificate = directory / "certificate.pem";
  identity.key = directory / "key.pem";
  fs::path id_file = directory / "instance_id";

  {
    std::ifstream in(id_file);
    std::getline(in, identity.instance_id);
  }
  if (!valid_uuid(identity.instance_id)) {
    auto uuid = new_uuid();
    if (!uuid) {
      error = "cannot make an instance id: no random bytes from OpenSSL";
      return std::nullopt;
    }
    identity.instance_id = *uuid;
    FilePtr out = open_private(id_file);
    if (!out || std::fprintf(out.get(), "%s\n", uuid->c_str()) < 0) {
      error = "cannot write " + id_file.string() + "; check the directory's permissions";
      return std::nullopt;
    }
  }

  X509Ptr cert = read_certificate(identity.certificate);
  if (!cert || !key_present(identity.key)) {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
      error = "cannot make a P-256 key with OpenSSL";
      return std::nullopt;
    }
    cert = make_certificate(key.get(), "lanline-" + identity.instance_id);
    if (!cert) {
      error = "cannot make a certificate with OpenSSL";
      return std::nullopt;
    }
    FilePtr key_file = open_private(identity.key);
    FilePtr cert_file = open_private(identity.certificate);
    if (!key_file || !cert_file ||
        PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1 ||
        PEM_write_X509(cert_file.get(), cert.get()) != 1) {
      error = "cannot write the certificate and key under " + directory.string() +
              "; check the directory's permissions";
      return std::nullopt;
    }
  }
  identity.fingerprint = net::certificate_fingerprint(cert.get());
  if (identity.fingerprint.empty()) {
    error = "cannot compute the certificate's fingerprint";
    return std::nullopt;
  }
  return identity;
}

}  // namespace lanline::engine
