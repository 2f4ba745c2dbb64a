// Digest authentication against the published examples (RFC 2617 3.5, RFC 7616 3.9.1),
// and the challenges a hostile or odd server sends.
#include "sip/digest.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sip/parser.hpp"

namespace lanline::sip {
namespace {

Message response_with(const std::string& headers, int code = 401) {
  std::string text = "SIP/2.0 " + std::to_string(code) +
                     " Unauthorized\r\n"
                     "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                     "From: <sip:alice@example.org>;tag=1\r\n"
                     "To: <sip:alice@example.org>;tag=2\r\n"
                     "Call-ID: c1\r\n"
                     "CSeq: 1 REGISTER\r\n" +
                     headers + "Content-Length: 0\r\n\r\n";
  auto message = parse_message(text);
  EXPECT_TRUE(message.ok()) << (message ? "" : message.error().reason);
  return std::move(message).value();
}

// Extracts `name="value"` or `name=value` from an Authorization value.
std::string param_of(const std::string& value, const std::string& name) {
  std::size_t at = value.find(" " + name + "=");
  if (at == std::string::npos) at = value.find("," + name + "=");
  if (at == std::string::npos) return "?";
  std::size_t start = at + name.size() + 2;
  if (value[start] == '"') return value.substr(start + 1, value.find('"', start + 1) - start - 1);
  return value.substr(start, value.find(',', start) - start);
}

TEST(Digest, Rfc2617Example) {
  auto challenge = parse_challenge(
      R"(Digest realm="testrealm@host.com", qop="auth,auth-int", )"
      R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41")",
      false);
  ASSERT_TRUE(challenge.ok()) << challenge.error().reason;
  EXPECT_TRUE(challenge->qop_auth);
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kMd5);
  std::string value = digest_authorization(*challenge, {"Mufasa", "Circle Of Life"}, "GET",
                                           "/dir/index.html", "0a4f113b", 1);
  EXPECT_EQ(param_of(value, "response"), "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(param_of(value, "nc"), "00000001");
  EXPECT_EQ(param_of(value, "qop"), "auth");
  EXPECT_EQ(param_of(value, "opaque"), "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(param_of(value, "username"), "Mufasa");
}

// RFC 7616 3.9.1: the same request answered with SHA-256 and with MD5.
constexpr const char* kRfc7616Params = R"(realm="http-auth@example.org", qop="auth, auth-int", )"
                                       R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
                                       R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr const char* kRfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

TEST(Digest, Rfc7616Sha256) {
  auto challenge =
      parse_challenge(std::string("Digest ") + kRfc7616Params + ", algorithm=SHA-256", false);
  ASSERT_TRUE(challenge.ok()) << challenge.error().reason;
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kSha256);
  std::string value = digest_authorization(*challenge, {"Mufasa", "Circle of Life"}, "GET",
                                           "/dir/index.html", kRfc7616Cnonce, 1);
  EXPECT_EQ(param_of(value, "response"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(param_of(value, "algorithm"), "SHA-256");
}

TEST(Digest, Rfc7616Md5) {
  auto challenge =
      parse_challenge(std::string("Digest ") + kRfc7616Params + ", algorithm=MD5", false);
  ASSERT_TRUE(challenge.ok()) << challenge.error().reason;
  std::string value = digest_authorization(*challenge, {"Mufasa", "Circle of Life"}, "GET",
                                           "/dir/index.html", kRfc7616Cnonce, 1);
  EXPECT_EQ(param_of(value, "response"), "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(Digest, WithoutQopTheRfc2069Form) {
  auto challenge = parse_challenge(R"(Digest realm="r", nonce="n")", false);
  ASSERT_TRUE(challenge.ok());
  std::string value = digest_authorization(*challenge, {"u", "p"}, "REGISTER", "sip:r", "c", 1);
  EXPECT_EQ(value.find("cnonce"), std::string::npos);
  EXPECT_EQ(value.find("qop"), std::string::npos);
  // MD5(MD5("u:r:p") ":n:" MD5("REGISTER:sip:r")), worked out with md5sum.
  EXPECT_EQ(param_of(value, "response"), "5790559ba44538767b07fb5adb649909");
}

TEST(Digest, QuotedPairsInRealmAndUserAreEscapedBack) {
  auto challenge = parse_challenge(R"(Digest realm="a \"quoted\" realm", nonce="n")", false);
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ(challenge->realm, "a \"quoted\" realm");
  std::string value =
      digest_authorization(*challenge, {"o\"brien", "p"}, "REGISTER", "sip:x", "c", 1);
  EXPECT_NE(value.find(R"(username="o\"brien")"), std::string::npos);
  EXPECT_NE(value.find(R"(realm="a \"quoted\" realm")"), std::string::npos);
}

TEST(Digest, ChoosesTheTopmostAnswerableChallenge) {
  // RFC 8760 2.4: SHA-256 listed first is used; an unknown algorithm above it is passed over.
  Message response = response_with(
      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-512-256\r\n"
      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256\r\n"
      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\", algorithm=MD5\r\n");
  auto chosen = choose_challenge(response);
  ASSERT_TRUE(chosen.ok()) << chosen.error().reason;
  EXPECT_EQ(chosen->nonce, "n2");
  EXPECT_FALSE(chosen->proxy);
}

TEST(Digest, SeveralChallengesInOneField) {
  Message response = response_with(
      "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-512-256, "
      "Digest realm=\"r\", nonce=\"n2\", algorithm=MD5, qop=\"auth\"\r\n",
      407);
  auto chosen = choose_challenge(response);
  ASSERT_TRUE(chosen.ok()) << chosen.error().reason;
  EXPECT_EQ(chosen->nonce, "n2");
  EXPECT_TRUE(chosen->proxy);
  EXPECT_TRUE(chosen->qop_auth);
  EXPECT_EQ(authorization_header(*chosen), "Proxy-Authorization");
}

TEST(Digest, StaleIsRead) {
  auto challenge = parse_challenge(R"(Digest realm="r", nonce="n", stale=TRUE)", false);
  ASSERT_TRUE(challenge.ok());
  EXPECT_TRUE(challenge->stale);
}

TEST(Digest, UnanswerableChallengesSayWhy) {
  auto reason = [](const std::string& value) {
    auto challenge = parse_challenge(value, false);
    return challenge.ok() ? std::string("accepted") : challenge.error().reason;
  };
  EXPECT_NE(reason(R"(Basic realm="r")").find("Basic"), std::string::npos);
  EXPECT_NE(reason(R"(Digest realm="r", nonce="n", algorithm=SHA-512-256)").find("SHA-512-256"),
            std::string::npos);
  EXPECT_NE(reason(R"(Digest nonce="n")").find("realm"), std::string::npos);
  EXPECT_NE(reason(R"(Digest realm="r")").find("nonce"), std::string::npos);
  EXPECT_NE(reason(R"(Digest realm="r", nonce="")").find("nonce"), std::string::npos);
  EXPECT_NE(reason(R"(Digest realm="r", nonce="n", qop="auth-int")").find("auth-int"),
            std::string::npos);
  EXPECT_NE(reason(R"(Digest realm="r", nonce="n)").find("quoted"), std::string::npos);
  EXPECT_NE(reason("Digest realm=\"r\", nonce=\"" + std::string(5000, 'x') + "\"").find("absurd"),
            std::string::npos);
  EXPECT_EQ(reason(""), "no authentication scheme");
  EXPECT_NE(choose_challenge(response_with("")).error().reason.find("WWW-Authenticate"),
            std::string::npos);
}

}  // namespace
}  // namespace lanline::sip
