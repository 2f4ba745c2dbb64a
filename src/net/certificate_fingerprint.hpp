// A certificate's identity as Lanline publishes and compares it: its SHA-256 digest
// written "sha-256 AB:CD:..." (RFC 8122's a=fingerprint form, also DNS-SD's `fp`).
#pragma once

#include <string>

// OpenSSL's certificate type, without its headers.
using X509 = struct x509_st;

namespace lanline::net {

// Empty when `certificate` is null or cannot be hashed.
std::string certificate_fingerprint(X509* certificate);

}  // namespace lanline::net
