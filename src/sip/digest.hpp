// HTTP Digest authentication as SIP uses it (RFC 3261 22.4, RFC 8760 for SHA-256, the
// computation of RFC 7616 3.4): reading a 401's WWW-Authenticate or a 407's
// Proxy-Authenticate, and writing the Authorization or Proxy-Authorization that answers
// it. Only qop "auth" (or none, RFC 2069 compatibility): SIP has no use for auth-int's
// body hashing and no server in use requires it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "message.hpp"
#include "result.hpp"

namespace lanline::sip {

enum class DigestAlgorithm { kMd5, kMd5Sess, kSha256, kSha256Sess };
std::string_view to_string(DigestAlgorithm algorithm);

struct DigestChallenge {
  bool proxy = false;  // Proxy-Authenticate (a 407), else WWW-Authenticate (a 401)
  std::string realm;
  std::string nonce;
  std::string opaque;
  bool has_opaque = false;
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  bool qop_auth = false;  // the server offered qop "auth": cnonce and nc are then sent
  bool stale = false;     // the nonce expired, the credentials were right (RFC 7616 3.3)
};

// Bounds on what a server may make us hold and hash: a realm or nonce longer than this is
// refused as absurd (real ones are tens of characters).
inline constexpr std::size_t kLongestDigestValue = 1024;

// One challenge's value (after the header name): `Digest realm="...", nonce="..."`.
// An error names what makes it unanswerable: another scheme, an unknown algorithm, a
// missing or absurd realm or nonce, a qop list without "auth".
Result<DigestChallenge> parse_challenge(std::string_view value, bool proxy);

// The challenge of a 401 or 407 that we answer: of its WWW-Authenticate (401) or
// Proxy-Authenticate (407) fields, the topmost we can answer (RFC 8760 2.4), so a server
// that lists SHA-256 first gets SHA-256. The error, when none is answerable, is the
// topmost field's reason.
Result<DigestChallenge> choose_challenge(const Message& response);

struct DigestCredentials {
  std::string user;
  std::string password;
};

// The Authorization (or Proxy-Authorization) value answering `challenge` for a request of
// `method` to `uri`; `cnonce` and `nonce_count` are used when the challenge offered qop.
std::string digest_authorization(const DigestChallenge& challenge,
                                 const DigestCredentials& credentials, std::string_view method,
                                 std::string_view uri, std::string_view cnonce,
                                 std::uint32_t nonce_count);

// "Authorization" or "Proxy-Authorization".
inline std::string_view authorization_header(const DigestChallenge& challenge) {
  return challenge.proxy ? "Proxy-Authorization" : "Authorization";
}

}  // namespace lanline::sip
