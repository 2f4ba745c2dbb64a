// ICE in SDP (RFC 8839): candidate grammar, what is dropped as unusable, the peer's ICE
// read from an offer or answer (session-level credentials, ice-mismatch, the cap on
// candidates), and our ICE lines written into offers and answers.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "sdp/ice_attributes.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"

namespace lanline::sdp {
namespace {

constexpr const char* kUfrag = "8hhY";
constexpr const char* kPwd = "asd88fgpdd777uzjYhagZg";

TEST(IceCandidate, ParsesTheRfcExamples) {
  // RFC 8839 5.1's examples.
  auto host = parse_candidate("1 1 UDP 2130706431 203.0.113.141 8998 typ host");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->foundation, "1");
  EXPECT_EQ(host->component, 1);
  EXPECT_EQ(host->transport, "UDP");
  EXPECT_EQ(host->priority, 2130706431u);
  EXPECT_EQ(host->address, "203.0.113.141");
  EXPECT_EQ(host->port, 8998);
  EXPECT_EQ(host->type, "host");
  EXPECT_TRUE(usable_candidate(*host));

  auto srflx = parse_candidate(
      "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport 8998");
  ASSERT_TRUE(srflx);
  EXPECT_EQ(srflx->type, "srflx");
  EXPECT_EQ(srflx->related_address, "203.0.113.141");
  EXPECT_EQ(srflx->related_port, 8998);
  EXPECT_EQ(print_candidate(*srflx),
            "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport 8998");

  // What browsers and libnice add: extension pairs.
  auto extended = parse_candidate(
      "842163049 1 udp 1677729535 198.51.100.7 61665 typ srflx raddr 0.0.0.0 "
      "rport 0 generation 0 network-cost 999");
  ASSERT_TRUE(extended);
  EXPECT_EQ(extended->transport, "udp");
  EXPECT_TRUE(usable_candidate(*extended));

  // rport without raddr (found by fuzz_ice_candidate): kept, and printed back.
  auto rport_only = parse_candidate("2 1 UDP 1694498815 192.0.2.3 45664 typ srflx rport 8998");
  ASSERT_TRUE(rport_only);
  EXPECT_EQ(rport_only->related_port, 8998);
  EXPECT_EQ(parse_candidate(print_candidate(*rport_only)), rport_only);

  auto v6 = parse_candidate("3 2 UDP 2130706430 2001:db8::7 40002 typ host");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(usable_candidate(*v6));
}

TEST(IceCandidate, RefusesWhatBreaksTheGrammar) {
  for (const char* bad : {
           "",
           "1 1 UDP 2130706431 203.0.113.141 8998",            // no typ
           "1 1 UDP 2130706431 203.0.113.141 8998 type host",  // not "typ"
           "1 0 UDP 2130706431 203.0.113.141 8998 typ host",   // component 0
           "1 257 UDP 2130706431 203.0.113.141 8998 typ host",
           "1 1 UDP 4294967296 203.0.113.141 8998 typ host",  // priority over 32 bits
           "1 1 UDP -5 203.0.113.141 8998 typ host",
           "1 1 UDP 2130706431 203.0.113.141 65536 typ host",  // port
           "1 1 UDP 2130706431 203.0.113.141 89x8 typ host",
           "f*o 1 UDP 2130706431 203.0.113.141 8998 typ host",  // not an ice-char
           "012345678901234567890123456789012 1 UDP 1 203.0.113.141 8998 typ host",  // 33
           "1 1 UDP 2130706431 203.0.113.141 8998 typ host generation",  // odd extension
           "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport x",
       }) {
    EXPECT_FALSE(parse_candidate(bad)) << bad;
  }
}

TEST(IceCandidate, UnusableOnesAreRecognised) {
  for (const char* unusable : {
           "1 1 TCP 2130706431 203.0.113.141 9 typ host tcptype active",  // RFC 6544
           "1 1 UDP 2130706431 4f3c1b2a-1234.local 8998 typ host",        // mDNS name
           "1 1 UDP 2130706431 example.org 8998 typ host",
           "1 1 UDP 2130706431 0.0.0.0 8998 typ host",
           "1 1 UDP 2130706431 224.0.0.251 8998 typ host",  // multicast
           "1 1 UDP 2130706431 239.1.2.3 8998 typ host",
           "1 1 UDP 2130706431 255.255.255.255 8998 typ host",  // broadcast
           "1 1 UDP 2130706431 ff02::1 8998 typ host",
           "1 1 UDP 2130706431 :: 8998 typ host",
           "1 1 UDP 2130706431 203.0.113.141 0 typ host",
           "1 3 UDP 2130706431 203.0.113.141 8998 typ host",  // a third component
           "1 1 UDP 2130706431 203.0.113.141 8998 typ weird",
       }) {
    auto c = parse_candidate(unusable);
    ASSERT_TRUE(c) << unusable;
    EXPECT_FALSE(usable_candidate(*c)) << unusable;
  }
}

TEST(IceCredentials, Lengths) {
  EXPECT_TRUE(valid_ufrag("abcd"));
  EXPECT_FALSE(valid_ufrag("abc"));
  EXPECT_FALSE(valid_ufrag("ab d"));
  EXPECT_TRUE(valid_pwd(kPwd));
  EXPECT_FALSE(valid_pwd("short+password/1234"));  // 19
  EXPECT_FALSE(valid_ufrag(std::string(257, 'a')));
}

std::string offer(const std::string& media_lines, const std::string& session_lines = "",
                  const std::string& port = "45664") {
  return "v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\n" +
         session_lines + "m=audio " + port + " RTP/AVP 0\r\n" + media_lines;
}

std::optional<IceTransport> ice_of(const std::string& text) {
  auto session = parse(text);
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().reason);
  if (!session.ok()) return std::nullopt;
  const Media& m = session->media.front();
  PlainTransport d{session->connection_for(m)->address, m.port,
                   static_cast<std::uint16_t>(m.port + 1)};
  return read_ice(*session, m, d);
}

const std::string kCredentials =
    std::string("a=ice-ufrag:") + kUfrag + "\r\na=ice-pwd:" + kPwd + "\r\n";
const std::string kDefaultHost = "a=candidate:1 1 UDP 2130706431 192.0.2.3 45664 typ host\r\n";

TEST(ReadIce, MediaOrSessionCredentialsAndCandidates) {
  auto ice = ice_of(offer(kCredentials + kDefaultHost +
                          "a=candidate:1 2 UDP 2130706430 192.0.2.3 45665 typ host\r\n"));
  ASSERT_TRUE(ice);
  EXPECT_EQ(ice->ufrag, kUfrag);
  EXPECT_EQ(ice->pwd, kPwd);
  EXPECT_EQ(ice->candidates.size(), 2u);
  EXPECT_FALSE(ice->lite);
  EXPECT_EQ(ice->default_candidate.rtp_port, 45664);

  // RFC 8839 5.4: credentials at session level apply to every stream; ice-lite too.
  auto session_level = ice_of(offer(kDefaultHost, kCredentials + "a=ice-lite\r\n"));
  ASSERT_TRUE(session_level);
  EXPECT_TRUE(session_level->lite);
}

TEST(ReadIce, NoIceWithoutCredentialsOrCandidates) {
  EXPECT_FALSE(ice_of(offer(kDefaultHost)));  // candidates, no credentials
  EXPECT_FALSE(ice_of(offer(kCredentials)));  // credentials, no candidate
  EXPECT_FALSE(ice_of(offer("a=ice-ufrag:ab\r\na=ice-pwd:" + std::string(kPwd) + "\r\n" +
                            kDefaultHost)));  // ufrag too short
  // Only unusable candidates: as good as none.
  EXPECT_FALSE(
      ice_of(offer(kCredentials + "a=candidate:1 1 UDP 2130706431 224.0.0.1 45664 typ host\r\n")));
}

TEST(ReadIce, IceMismatchMeansPlainRtp) {
  // RFC 8839 4.2: c=/m= is none of the candidates (a middlebox rewrote it).
  EXPECT_FALSE(ice_of(offer(kCredentials + kDefaultHost, "", "50000")));
  // RFC 8840's placeholder default, 0.0.0.0 port 9, is not a mismatch.
  std::string placeholder =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
      "m=audio 9 RTP/AVP 0\r\n" +
      kCredentials + kDefaultHost;
  EXPECT_TRUE(ice_of(placeholder));
}

TEST(ReadIce, HundredsOfCandidatesAreCappedAndDuplicatesDropped) {
  std::string lines = kCredentials + kDefaultHost + kDefaultHost;
  for (int i = 0; i < 500; ++i) {
    lines += "a=candidate:" + std::to_string(i) + " 1 UDP 100 10.0." + std::to_string(i / 250) +
             "." + std::to_string(i % 250 + 1) + " 4000 typ host\r\n";
    lines += "a=candidate:x" + std::to_string(i) + " 1 UDP nonsense\r\n";
  }
  auto ice = ice_of(offer(lines));
  ASSERT_TRUE(ice);
  EXPECT_EQ(ice->candidates.size(), kMaxCandidatesPerStream);
  EXPECT_EQ(ice->candidates[0].address, "192.0.2.3");
  EXPECT_EQ(ice->candidates[1].address, "10.0.0.1");  // the duplicate default is gone
}

LocalIce our_ice() {
  LocalIce ice;
  ice.ufrag = "Lnl1";
  ice.pwd = "0123456789abcdefghijkl";
  ice.candidates.push_back({"1", 1, "UDP", 2130706431, "192.0.2.1", 4000, "host", "", 0});
  ice.candidates.push_back(
      {"2", 1, "UDP", 1694498815, "198.51.100.9", 61000, "srflx", "192.0.2.1", 4000});
  return ice;
}

TEST(NegotiatorIce, OfferAndAnswerCarryOurIceAndTakeTheirs) {
  Negotiator offerer(Capabilities::defaults(), 1);
  LocalTransport local{"192.0.2.1", 4000, 4001, our_ice()};
  offerer.set_local(local);
  std::string ours = offerer.create_offer(Direction::kSendRecv);
  auto parsed = parse(ours);
  ASSERT_TRUE(parsed.ok());
  const Media& m = parsed->media.front();
  EXPECT_EQ(m.attributes.value("ice-ufrag"), "Lnl1");
  EXPECT_EQ(m.attributes.value("ice-pwd"), "0123456789abcdefghijkl");
  EXPECT_EQ(m.attributes.value("ice-options"), "ice2");  // RFC 8445 10
  EXPECT_EQ(m.attributes.values("candidate").size(), 2u);
  EXPECT_EQ(m.port, 4000);  // the default candidate in m=

  // The peer answers with ICE of its own: the agreed stream holds its candidates.
  Negotiator answerer(Capabilities::defaults(), 2);
  LocalIce theirs = our_ice();
  theirs.ufrag = "Peer";
  theirs.candidates = {{"7", 1, "UDP", 2130706431, "192.0.2.2", 5000, "host", "", 0}};
  answerer.set_local(LocalTransport{"192.0.2.2", 5000, 5001, theirs});
  auto result = answerer.receive_offer(ours, false);
  ASSERT_TRUE(std::holds_alternative<Answer>(result));
  const Answer& answer = std::get<Answer>(result);
  const StreamDescription* offered_audio = answer.agreement.audio();
  ASSERT_NE(offered_audio, nullptr);
  const auto* offered = std::get_if<IceTransport>(&offered_audio->remote);
  ASSERT_NE(offered, nullptr) << "the answerer did not see our ICE";
  EXPECT_EQ(offered->ufrag, "Lnl1");
  EXPECT_EQ(offered->candidates.size(), 2u);

  auto agreed = offerer.receive_answer(answer.sdp);
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  const StreamDescription* answered_audio = agreed->audio();
  ASSERT_NE(answered_audio, nullptr);
  const auto* answered = std::get_if<IceTransport>(&answered_audio->remote);
  ASSERT_NE(answered, nullptr);
  EXPECT_EQ(answered->ufrag, "Peer");
  ASSERT_EQ(answered->candidates.size(), 1u);
  EXPECT_EQ(answered->candidates[0].port, 5000);
}

TEST(NegotiatorIce, APeerWithoutIceGetsPlainRtp) {
  Negotiator offerer(Capabilities::defaults(), 1);
  offerer.set_local(LocalTransport{"192.0.2.1", 4000, 4001, our_ice()});
  offerer.create_offer(Direction::kSendRecv);
  auto agreed = offerer.receive_answer(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n"
      "m=audio 7000 RTP/AVP 0\r\n");
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  const StreamDescription* plain_audio = agreed->audio();
  ASSERT_NE(plain_audio, nullptr);
  const auto* plain = std::get_if<PlainTransport>(&plain_audio->remote);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->address, "192.0.2.5");
  EXPECT_EQ(plain->rtp_port, 7000);
}

TEST(NegotiatorIce, RemoteCandidatesInAReoffer) {
  LocalIce ice = our_ice();
  ice.remote_candidates = {{"", 1, "UDP", 0, "192.0.2.2", 5000, "host", "", 0},
                           {"", 2, "UDP", 0, "192.0.2.2", 5001, "host", "", 0}};
  Negotiator n(Capabilities::defaults(), 1);
  n.set_local(LocalTransport{"192.0.2.1", 4000, 4001, ice});
  auto parsed = parse(n.create_offer(Direction::kSendRecv));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->media.front().attributes.value("remote-candidates"),
            "1 192.0.2.2 5000 2 192.0.2.2 5001");
}

}  // namespace
}  // namespace lanline::sdp
