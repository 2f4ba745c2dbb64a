// A self-signed P-256 certificate and its key, written as PEM files the way a node makes
// its identity (engine/node_identity.cpp), for tests of TLS and DTLS.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <string>

#include "net/certificate_fingerprint.hpp"

namespace lanline::test {

struct TestCertificate {
  std::string certificate_path;
  std::string key_path;
  std::string fingerprint;  // "sha-256 AB:CD:..."
};

inline TestCertificate make_test_certificate(const std::string& dir, const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509_sign(cert, key, EVP_sha256());
  TestCertificate out{dir + "/" + name + ".pem", dir + "/" + name + ".key",
                      net::certificate_fingerprint(cert)};
  FILE* file = std::fopen(out.certificate_path.c_str(), "w");
  PEM_write_X509(file, cert);
  std::fclose(file);
  file = std::fopen(out.key_path.c_str(), "w");
  PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(file);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace lanline::test
