// DTLS-SRTP in the SDP (RFC 5763, 5764, 8122): our offer to a Lanline node, the answer's
// fingerprint and role, the one the peer announced, and offers of it answered.
#include <gtest/gtest.h>

#include <cctype>
#include <variant>

#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"

namespace lanline::sdp {
namespace {

const std::string kOurs =
    "sha-256 11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:"
    "11:11:11:11:11";
const std::string kTheirs =
    "AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:"
    "AB:AB";

Capabilities with_certificate() {
  Capabilities caps = Capabilities::defaults();
  caps.dtls_fingerprint = kOurs;
  return caps;
}

Negotiator negotiator(Capabilities caps) {
  Negotiator n(std::move(caps), 7);
  n.set_local({"192.0.2.1", 4000, 4000});
  return n;
}

std::string sdp_of(const std::string& media) {
  return "v=0\r\no=peer 1 1 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\nt=0 0\r\n" +
         media;
}

std::string dtls_media(const std::string& setup, const std::string& fingerprint = kTheirs,
                       const std::string& proto = "UDP/TLS/RTP/SAVP") {
  return "m=audio 6000 " + proto + " 0\r\na=rtcp-mux\r\na=fingerprint:sha-256 " + fingerprint +
         "\r\na=setup:" + setup + "\r\n";
}

TEST(DtlsSdp, OursToALanlineNodeAndItsAnswer) {
  Capabilities caps = with_certificate();
  caps.offer_dtls = true;
  caps.expected_peer_fingerprint = "sha-256 " + kTheirs;
  Negotiator n = negotiator(caps);
  auto offer = parse(n.create_offer(Direction::kSendRecv));
  ASSERT_TRUE(offer.ok());
  const Media& m = offer->media.at(0);
  EXPECT_EQ(m.proto, "UDP/TLS/RTP/SAVP");
  EXPECT_EQ(m.attributes.value("fingerprint"), kOurs);
  EXPECT_EQ(m.attributes.value("setup"), "actpass");  // RFC 5763 5: the offerer's
  EXPECT_TRUE(m.attributes.values("crypto").empty());

  // Its answer takes the server's role (active: it opens the handshake): we are passive.
  std::string lower = kTheirs;
  for (char& c : lower)
    c = static_cast<char>(std::tolower(c));
  auto agreed = n.receive_answer(sdp_of(dtls_media("active", lower)));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  const auto& dtls = agreed->streams.at(0).dtls;
  ASSERT_TRUE(dtls);
  EXPECT_EQ(dtls->fingerprint, kTheirs);  // compared upper case
  EXPECT_EQ(dtls->setup, DtlsSetup::kActive);
  EXPECT_FALSE(dtls->client);

  // Our re-offer (hold) keeps DTLS and says the role we have.
  auto reoffer = parse(n.create_offer(Direction::kSendOnly));
  ASSERT_TRUE(reoffer.ok());
  EXPECT_EQ(reoffer->media.at(0).proto, "UDP/TLS/RTP/SAVP");
  EXPECT_EQ(reoffer->media.at(0).attributes.value("setup"), "passive");
}

TEST(DtlsSdp, AnAnswerThatIsNotThePeerAnnouncedIsRefused) {
  Capabilities caps = with_certificate();
  caps.offer_dtls = true;
  caps.expected_peer_fingerprint = "sha-256 " + kTheirs;
  const std::string other =
      "CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:"
      "CD:CD";
  Negotiator n = negotiator(caps);
  n.create_offer(Direction::kSendRecv);
  auto impostor = n.receive_answer(sdp_of(dtls_media("active", other)));
  ASSERT_FALSE(impostor.ok());
  EXPECT_NE(impostor.error().reason.find("announced"), std::string::npos);

  for (const std::string& bad :
       {std::string("m=audio 6000 RTP/AVP 0\r\n"),  // plain answer to DTLS: a downgrade
        dtls_media("actpass"),                      // an answer must pick a role
        dtls_media("active", "AB:AB"),              // not a SHA-256 fingerprint
        std::string("m=audio 6000 UDP/TLS/RTP/SAVP 0\r\na=setup:active\r\n")}) {
    Negotiator again = negotiator(caps);
    again.create_offer(Direction::kSendRecv);
    EXPECT_FALSE(again.receive_answer(sdp_of(bad)).ok()) << bad;
  }
}

TEST(DtlsSdp, AnOfferOfItIsAnsweredInKind) {
  Negotiator n = negotiator(with_certificate());
  auto result = n.receive_offer(sdp_of(dtls_media("actpass")), false);
  ASSERT_TRUE(std::holds_alternative<Answer>(result)) << std::get<Rejection>(result).reason;
  const Answer& answer = std::get<Answer>(result);
  auto s = parse(answer.sdp);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->media.at(0).proto, "UDP/TLS/RTP/SAVP");
  EXPECT_EQ(s->media.at(0).attributes.value("fingerprint"), kOurs);
  EXPECT_EQ(s->media.at(0).attributes.value("setup"), "active");  // we open the handshake
  const auto& dtls = answer.agreement.streams.at(0).dtls;
  ASSERT_TRUE(dtls);
  EXPECT_TRUE(dtls->client);
  EXPECT_EQ(dtls->fingerprint, kTheirs);
  EXPECT_FALSE(answer.agreement.streams.at(0).srtp);  // keys come from the handshake

  // The offerer that will open it (active) gets a passive answerer.
  Negotiator passive = negotiator(with_certificate());
  auto second = std::get<Answer>(passive.receive_offer(sdp_of(dtls_media("active")), false));
  EXPECT_FALSE(second.agreement.streams.at(0).dtls->client);
  EXPECT_EQ(parse(second.sdp)->media.at(0).attributes.value("setup"), "passive");
}

TEST(DtlsSdp, WhatCannotBeCheckedIsRefused) {
  // No certificate of ours: refused, saying why.
  Negotiator none = negotiator(Capabilities::defaults());
  auto refused = none.receive_offer(sdp_of(dtls_media("actpass")), false);
  ASSERT_TRUE(std::holds_alternative<Rejection>(refused));
  EXPECT_EQ(std::get<Rejection>(refused).warning, 302);
  // A SHA-1 fingerprint only, or holdconn: not a handshake we can check or make.
  Negotiator n = negotiator(with_certificate());
  auto sha1 = n.receive_offer(
      sdp_of("m=audio 6000 UDP/TLS/RTP/SAVP 0\r\na=fingerprint:sha-1 "
             "AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB\r\na=setup:actpass\r\n"),
      false);
  EXPECT_TRUE(std::holds_alternative<Rejection>(sha1));
  EXPECT_TRUE(
      std::holds_alternative<Rejection>(n.receive_offer(sdp_of(dtls_media("holdconn")), false)));
}

// Once DTLS-SRTP runs, a re-offer cannot take a stream out of it, nor (in a call placed to
// an announced identity) bring another certificate; the session stays as it was (488).
TEST(DtlsSdp, ReoffersKeepToDtlsAndToTheAnnouncedCertificate) {
  Capabilities caps = with_certificate();
  caps.offer_dtls = true;
  caps.expected_peer_fingerprint = "sha-256 " + kTheirs;
  Negotiator n = negotiator(caps);
  n.create_offer(Direction::kSendRecv);
  ASSERT_TRUE(n.receive_answer(sdp_of(dtls_media("active"))).ok());
  auto plain = n.receive_offer(sdp_of("m=audio 6000 RTP/AVP 0\r\na=rtcp-mux\r\n"), false);
  ASSERT_TRUE(std::holds_alternative<Rejection>(plain));
  EXPECT_EQ(std::get<Rejection>(plain).status, 488);
  const std::string other =
      "CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:CD:"
      "CD:CD";
  auto swapped = n.receive_offer(sdp_of(dtls_media("actpass", other)), false);
  ASSERT_TRUE(std::holds_alternative<Rejection>(swapped));
  EXPECT_NE(std::get<Rejection>(swapped).reason.find("announced"), std::string::npos);
  // The same certificate again: answered, our role kept.
  auto same = n.receive_offer(sdp_of(dtls_media("actpass")), false);
  ASSERT_TRUE(std::holds_alternative<Answer>(same)) << std::get<Rejection>(same).reason;
  EXPECT_FALSE(std::get<Answer>(same).agreement.streams.at(0).dtls->client);

  // Callee side: no identity announced to hold to, but the session stays DTLS.
  Negotiator callee = negotiator(with_certificate());
  ASSERT_TRUE(
      std::holds_alternative<Answer>(callee.receive_offer(sdp_of(dtls_media("actpass")), false)));
  EXPECT_TRUE(std::holds_alternative<Rejection>(
      callee.receive_offer(sdp_of("m=audio 6000 RTP/AVP 0\r\n"), false)));
}

// One handshake a stream: DTLS-SRTP is taken with rtcp-mux only.
TEST(DtlsSdp, WithoutRtcpMuxItIsNotTaken) {
  Negotiator n = negotiator(with_certificate());
  auto result = n.receive_offer(sdp_of("m=audio 6000 UDP/TLS/RTP/SAVP 0\r\na=fingerprint:sha-256 " +
                                       kTheirs + "\r\na=setup:actpass\r\n"),
                                false);
  EXPECT_TRUE(std::holds_alternative<Rejection>(result));
}

}  // namespace
}  // namespace lanline::sdp
