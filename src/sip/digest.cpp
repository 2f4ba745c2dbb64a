#include "digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <optional>

#include "charset.hpp"

namespace lanline::sip {
namespace {

bool is_lws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// A reader of one header value: `scheme auth-param *(COMMA auth-param)`, where a value
// may hold several challenges one after another ("Digest a=1, Digest b=2").
class ChallengeReader {
 public:
  explicit ChallengeReader(std::string_view text) : text_(text) {}

  void skip_lws() {
    while (pos_ < text_.size() && is_lws(text_[pos_]))
      ++pos_;
  }
  bool at_end() {
    skip_lws();
    return pos_ >= text_.size();
  }
  std::string_view token() {
    skip_lws();
    std::size_t start = pos_;
    while (pos_ < text_.size() && charset::is_token(text_[pos_]))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool consume(char c) {
    skip_lws();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // A token or a quoted-string (its quoted-pairs resolved); nothing when malformed.
  std::optional<std::string> value() {
    skip_lws();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      std::string out;
      ++pos_;
      while (pos_ < text_.size() && text_[pos_] != '"') {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        out.push_back(text_[pos_++]);
      }
      if (pos_ >= text_.size()) return std::nullopt;  // no closing quote
      ++pos_;
      return out;
    }
    std::string_view t = token();
    if (t.empty()) return std::nullopt;
    return std::string(t);
  }
  // After a comma: is the next thing a new scheme (a token not followed by '=')?
  bool next_is_scheme() {
    std::size_t saved = pos_;
    token();
    bool scheme = !consume('=');
    pos_ = saved;
    return scheme;
  }
  std::size_t position() const { return pos_; }
  std::string_view rest() const { return text_.substr(pos_); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<DigestAlgorithm> algorithm_named(std::string_view name) {
  if (charset::iequals(name, "MD5")) return DigestAlgorithm::kMd5;
  if (charset::iequals(name, "MD5-sess")) return DigestAlgorithm::kMd5Sess;
  if (charset::iequals(name, "SHA-256")) return DigestAlgorithm::kSha256;
  if (charset::iequals(name, "SHA-256-sess")) return DigestAlgorithm::kSha256Sess;
  return std::nullopt;
}

ParseError refused(std::string reason) {
  return parse_error(ParseErrorCode::kMalformed, std::move(reason));
}

// Reads one challenge from `reader`, up to the comma before the next scheme or the end.
Result<DigestChallenge> read_challenge(ChallengeReader& reader, bool proxy) {
  std::string_view scheme = reader.token();
  if (scheme.empty()) return refused("no authentication scheme");
  // Read every parameter even of a scheme we refuse, so that the next challenge is found.
  DigestChallenge challenge;
  challenge.proxy = proxy;
  bool has_realm = false, has_nonce = false, has_qop = false;
  std::string algorithm_text = "MD5";
  std::optional<ParseError> problem;
  while (!reader.at_end()) {
    std::string_view name = reader.token();
    if (name.empty() || !reader.consume('='))
      return refused("a challenge parameter without a value");
    auto value = reader.value();
    if (!value) return refused("an unterminated quoted string in a challenge");
    if (charset::iequals(name, "realm")) {
      challenge.realm = std::move(*value);
      has_realm = true;
    } else if (charset::iequals(name, "nonce")) {
      challenge.nonce = std::move(*value);
      has_nonce = true;
    } else if (charset::iequals(name, "opaque")) {
      challenge.opaque = std::move(*value);
      challenge.has_opaque = true;
    } else if (charset::iequals(name, "algorithm")) {
      algorithm_text = std::move(*value);
    } else if (charset::iequals(name, "stale")) {
      challenge.stale = charset::iequals(*value, "true");
    } else if (charset::iequals(name, "qop")) {
      has_qop = true;
      // A comma-separated list inside the quotes: "auth,auth-int".
      std::string_view list = *value;
      while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && is_lws(item.front()))
          item.remove_prefix(1);
        while (!item.empty() && is_lws(item.back()))
          item.remove_suffix(1);
        if (charset::iequals(item, "auth")) challenge.qop_auth = true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
    if (!reader.consume(',')) break;
    if (reader.next_is_scheme()) break;
  }
  if (!charset::iequals(scheme, "Digest")) {
    return refused("the server asks for " + std::string(scheme) +
                   " authentication; SIP uses Digest (RFC 3261 22.1)");
  }
  auto algorithm = algorithm_named(algorithm_text);
  if (!algorithm) {
    return refused("the server asks for digest algorithm '" + algorithm_text.substr(0, 40) +
                   "', which Lanline does not know (it answers MD5 and SHA-256)");
  }
  challenge.algorithm = *algorithm;
  if (!has_realm) return refused("a digest challenge without a realm");
  if (!has_nonce || challenge.nonce.empty()) return refused("a digest challenge without a nonce");
  if (challenge.realm.size() > kLongestDigestValue ||
      challenge.nonce.size() > kLongestDigestValue ||
      challenge.opaque.size() > kLongestDigestValue) {
    return refused("a digest challenge with an absurd realm, nonce or opaque (over " +
                   std::to_string(kLongestDigestValue) + " characters)");
  }
  if (has_qop && !challenge.qop_auth) {
    return refused("the server asks for qop auth-int only, which Lanline does not answer");
  }
  return challenge;
}

std::string hex_digest(DigestAlgorithm algorithm, std::string_view data) {
  const EVP_MD* md = algorithm == DigestAlgorithm::kMd5 || algorithm == DigestAlgorithm::kMd5Sess
                         ? EVP_md5()
                         : EVP_sha256();
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 0xf]);
  }
  return hex;
}

// A quoted-string of RFC 3261 25.1: '"' and '\' escaped.
void append_quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string_view to_string(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5:
      return "MD5";
    case DigestAlgorithm::kMd5Sess:
      return "MD5-sess";
    case DigestAlgorithm::kSha256:
      return "SHA-256";
    case DigestAlgorithm::kSha256Sess:
      return "SHA-256-sess";
  }
  return "MD5";
}

Result<DigestChallenge> parse_challenge(std::string_view value, bool proxy) {
  ChallengeReader reader(value);
  return read_challenge(reader, proxy);
}

Result<DigestChallenge> choose_challenge(const Message& response) {
  bool proxy = response.status_code() == 407;
  std::optional<ParseError> first_error;
  for (std::string_view value :
       response.header_values(proxy ? "Proxy-Authenticate" : "WWW-Authenticate")) {
    ChallengeReader reader(value);
    while (!reader.at_end()) {
      std::size_t before = reader.position();
      auto challenge = read_challenge(reader, proxy);
      if (challenge) return challenge;
      if (!first_error) first_error = challenge.error();
      if (reader.position() == before) break;  // nothing read: the rest is unreadable
    }
  }
  if (first_error) return *first_error;
  return refused(std::string("a ") +
                 (proxy ? "407 without Proxy-Authenticate" : "401 without WWW-Authenticate"));
}

std::string digest_authorization(const DigestChallenge& challenge,
                                 const DigestCredentials& credentials, std::string_view method,
                                 std::string_view uri, std::string_view cnonce,
                                 std::uint32_t nonce_count) {
  DigestAlgorithm algorithm = challenge.algorithm;
  std::string a1 = credentials.user + ":" + challenge.realm + ":" + credentials.password;
  std::string ha1 = hex_digest(algorithm, a1);
  if (algorithm == DigestAlgorithm::kMd5Sess || algorithm == DigestAlgorithm::kSha256Sess) {
    ha1 = hex_digest(algorithm, ha1 + ":" + challenge.nonce + ":" + std::string(cnonce));
  }
  std::string ha2 = hex_digest(algorithm, std::string(method) + ":" + std::string(uri));
  char nc[9];
  std::snprintf(nc, sizeof nc, "%08x", nonce_count);
  std::string response = challenge.qop_auth
                             ? hex_digest(algorithm, ha1 + ":" + challenge.nonce + ":" + nc + ":" +
                                                         std::string(cnonce) + ":auth:" + ha2)
                             : hex_digest(algorithm, ha1 + ":" + challenge.nonce + ":" + ha2);

  std::string out = "Digest username=";
  append_quoted(out, credentials.user);
  out += ", realm=";
  append_quoted(out, challenge.realm);
  out += ", nonce=";
  append_quoted(out, challenge.nonce);
  out += ", uri=";
  append_quoted(out, uri);
  out += ", response=\"" + response + "\", algorithm=" + std::string(to_string(algorithm));
  if (challenge.qop_auth) {
    out += ", cnonce=";
    append_quoted(out, cnonce);
    out += ", qop=auth, nc=" + std::string(nc);
  }
  if (challenge.has_opaque) {
    out += ", opaque=";
    append_quoted(out, challenge.opaque);
  }
  return out;
}

}  // namespace lanline::sip
