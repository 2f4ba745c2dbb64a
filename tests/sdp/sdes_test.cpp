// RFC 4568 SDES: a=crypto lines read and written, and offers of SRTP answered with a key
// of ours (RTP/SAVP, and baresip's RTP/AVP with a=crypto); the session keyed once stays
// keyed in our own re-offers, each stream with the key it had.
#include "sdp/sdes.hpp"

#include <gtest/gtest.h>

#include <variant>

#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"

namespace lanline::sdp {
namespace {

// 30 bytes (AES_CM_128 key and salt) as RFC 4568's own example writes them.
constexpr const char* kKey30 = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

TEST(Sdes, ReadsTheLinesPhonesWrite) {
  auto line = parse_crypto(std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + kKey30);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->tag, 1u);
  EXPECT_EQ(line->suite, SrtpSuite::kAes128Sha1_80);
  ASSERT_EQ(line->key.size(), 30u);
  EXPECT_EQ(line->key[0], 'Y');
  EXPECT_EQ(format_crypto(*line), std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + kKey30);

  // A lifetime is read past (Lanline does not re-key: 2^20 audio packets are 5.8 hours);
  // two spaces between fields too.
  auto timed = parse_crypto(std::string("2  AES_CM_128_HMAC_SHA1_32 inline:") + kKey30 + "|2^20");
  ASSERT_TRUE(timed);
  EXPECT_EQ(timed->suite, SrtpSuite::kAes128Sha1_32);

  std::string key46 = base64_encode(std::vector<std::uint8_t>(46, 7));
  auto big = parse_crypto("3 AES_256_CM_HMAC_SHA1_80 inline:" + key46);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->key, std::vector<std::uint8_t>(46, 7));
}

TEST(Sdes, RefusesWhatItCannotRun) {
  std::string why;
  const std::string key = kKey30;
  EXPECT_FALSE(parse_crypto("1 AEAD_AES_256_GCM inline:" + key, &why));
  EXPECT_NE(why.find("AEAD_AES_256_GCM"), std::string::npos) << why;
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4", &why));
  EXPECT_NE(why.find("MKI"), std::string::npos) << why;
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + key + " UNENCRYPTED_SRTP", &why));
  EXPECT_NE(why.find("UNENCRYPTED_SRTP"), std::string::npos) << why;
  EXPECT_FALSE(parse_crypto("1 AES_256_CM_HMAC_SHA1_80 inline:" + key, &why));  // 30 of 46
  EXPECT_NE(why.find("46 bytes"), std::string::npos) << why;
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:not*base64!", &why));
  EXPECT_FALSE(parse_crypto("x AES_CM_128_HMAC_SHA1_80 inline:" + key, &why));
  EXPECT_FALSE(parse_crypto("1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key, &why));
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 " + key, &why));  // no inline:
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80", &why));
}

TEST(Sdes, Base64BothWays) {
  for (std::size_t n = 0; n < 50; ++n) {
    std::vector<std::uint8_t> bytes(n);
    for (std::size_t i = 0; i < n; ++i)
      bytes[i] = static_cast<std::uint8_t>(i * 37 + 11);
    const std::string text = base64_encode(bytes);
    if (n == 0) {
      EXPECT_TRUE(text.empty());
      continue;
    }
    auto back = base64_decode(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_FALSE(base64_decode("abc"));  // not whole groups of four
}

TEST(Sdes, KeysAreFreshEachTime) {
  auto a = random_key(SrtpSuite::kAes128Sha1_80);
  auto b = random_key(SrtpSuite::kAes128Sha1_80);
  EXPECT_EQ(a.size(), 30u);
  EXPECT_EQ(random_key(SrtpSuite::kAes256Sha1_32).size(), 46u);
  EXPECT_NE(a, b);
}

std::string offer_of(const std::string& media) {
  return "v=0\r\no=peer 1 1 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\nt=0 0\r\n" +
         media;
}

Negotiator negotiator() {
  Negotiator n(Capabilities::defaults(), 7);
  n.set_local({"192.0.2.1", 4000, 4001});
  return n;
}

const Media& only_media(const Session& s) {
  EXPECT_EQ(s.media.size(), 1u);
  return s.media.front();
}

// What baresip's srtp module (mediaenc srtp-mand) offers: two suites, the first preferred.
const std::string kSavpOffer = offer_of(
    "m=audio 6000 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" +
    std::string(kKey30) +
    "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" +
    std::string(kKey30) + "\r\n");

TEST(Sdes, AnswersAnSrtpOfferWithAKeyOfItsOwn) {
  Negotiator n = negotiator();
  auto result = n.receive_offer(kSavpOffer, false);
  ASSERT_TRUE(std::holds_alternative<Answer>(result)) << std::get<Rejection>(result).reason;
  const Answer& answer = std::get<Answer>(result);
  auto s = parse(answer.sdp);
  ASSERT_TRUE(s.ok());
  const Media& m = only_media(*s);
  EXPECT_EQ(m.proto, "RTP/SAVP");
  auto lines = m.attributes.values("crypto");
  ASSERT_EQ(lines.size(), 1u);  // RFC 4568 7.1.2: exactly one, the offer's tag
  auto ours = parse_crypto(lines[0]);
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->tag, 1u);
  EXPECT_EQ(ours->suite, SrtpSuite::kAes128Sha1_32);
  ASSERT_EQ(answer.agreement.streams.size(), 1u);
  const auto& srtp = answer.agreement.streams[0].srtp;
  ASSERT_TRUE(srtp);
  EXPECT_EQ(srtp->suite, SrtpSuite::kAes128Sha1_32);
  EXPECT_EQ(srtp->send_key, ours->key);
  EXPECT_EQ(srtp->receive_key, *base64_decode(kKey30));
  EXPECT_NE(srtp->send_key, srtp->receive_key);

  // The same offer again (a refresh): the same key of ours, so media goes on as it was.
  auto again = std::get<Answer>(n.receive_offer(kSavpOffer, false));
  EXPECT_EQ(again.agreement.streams[0].srtp->send_key, srtp->send_key);

  // Our own re-offer (hold) keys the stream again with it, over RTP/SAVP.
  auto reoffer = parse(n.create_offer(Direction::kSendOnly));
  ASSERT_TRUE(reoffer.ok());
  const Media& r = only_media(*reoffer);
  EXPECT_EQ(r.proto, "RTP/SAVP");
  auto keyed = r.attributes.values("crypto");
  ASSERT_EQ(keyed.size(), 1u);
  auto line = parse_crypto(keyed[0]);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->key, srtp->send_key);

  // The answer keys it with the peer's (new) key; one without a=crypto is refused.
  const std::string peer_key = base64_encode(std::vector<std::uint8_t>(30, 9));
  auto agreed = n.receive_answer(
      offer_of("m=audio 6000 RTP/SAVP 0\r\na=recvonly\r\na=crypto:" + std::to_string(line->tag) +
               " " + std::string(suite_name(line->suite)) + " inline:" + peer_key + "\r\n"));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  ASSERT_TRUE(agreed->streams[0].srtp);
  EXPECT_EQ(agreed->streams[0].srtp->receive_key, std::vector<std::uint8_t>(30, 9));
  n.create_offer(Direction::kSendRecv);
  auto plain = n.receive_answer(offer_of("m=audio 6000 RTP/SAVP 0\r\n"));
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().reason.find("a=crypto"), std::string::npos);
}

// baresip's optional SRTP (mediaenc srtp): RTP/AVP with a=crypto. Keyed back, so both
// encrypt; a phone without SDES would just not have written the line.
TEST(Sdes, KeysBestEffortSrtpOverAvp) {
  Negotiator n = negotiator();
  auto answer = std::get<Answer>(n.receive_offer(
      offer_of("m=audio 6000 RTP/AVP 0\r\na=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" +
               std::string(kKey30) + "\r\n"),
      false));
  auto s = parse(answer.sdp);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(only_media(*s).proto, "RTP/AVP");
  EXPECT_EQ(only_media(*s).attributes.values("crypto").size(), 1u);
  EXPECT_TRUE(answer.agreement.streams[0].srtp);

  // Without a=crypto: plain, as ever.
  Negotiator plain = negotiator();
  auto none = std::get<Answer>(plain.receive_offer(offer_of("m=audio 6000 RTP/AVP 0\r\n"), false));
  EXPECT_FALSE(none.agreement.streams[0].srtp);
  EXPECT_EQ(parse(plain.create_offer(Direction::kSendRecv))->media[0].proto, "RTP/AVP");
}

TEST(Sdes, SrtpWithNoSuiteWeRunIsRefusedWithAReason) {
  Negotiator n = negotiator();
  auto result =
      n.receive_offer(offer_of("m=audio 6000 RTP/SAVP 0\r\na=crypto:1 AEAD_AES_128_GCM inline:" +
                               base64_encode(std::vector<std::uint8_t>(28, 1)) + "\r\n"),
                      false);
  ASSERT_TRUE(std::holds_alternative<Rejection>(result));
  const Rejection& r = std::get<Rejection>(result);
  EXPECT_EQ(r.status, 488);
  EXPECT_EQ(r.warning, 302);
  EXPECT_NE(r.reason.find("AES_CM_128_HMAC_SHA1_80"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace lanline::sdp
