// RFC 3264 offer/answer: our offer, answering offers (codec intersection in the
// offerer's order, payload-type mapping, telephone-event by clock rate, direction and
// hold, rejected streams, rtcp-mux), checking answers to our offer, and o= versioning.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <variant>

#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/printer.hpp"

namespace lanline::sdp {
namespace {

Negotiator make(Capabilities caps = Capabilities::defaults()) {
  Negotiator n(std::move(caps), 7);
  n.set_local({"192.0.2.1", 4000, 4001});
  return n;
}

// The agreed main audio stream; a failure when there is none.
const StreamDescription& audio(const Agreement& agreement) {
  static const StreamDescription kNone;
  const StreamDescription* stream = agreement.audio();
  EXPECT_NE(stream, nullptr) << "no audio stream agreed";
  return stream ? *stream : kNone;
}

Session parsed(const std::string& text) {
  auto s = parse(text);
  EXPECT_TRUE(s.ok()) << s.error().reason << "\n" << text;
  return s.ok() ? *s : Session{};
}

std::string offer_with(const std::string& media, const std::string& session_extra = "",
                       const std::string& address = "198.51.100.2") {
  return "v=0\r\no=peer 1 1 IN IP4 " + address + "\r\ns=-\r\nc=IN IP4 " + address +
         "\r\nt=0 0\r\n" + session_extra + media;
}

Answer answer(Negotiator& n, const std::string& offer, bool hold = false) {
  auto result = n.receive_offer(offer, hold);
  if (const auto* r = std::get_if<Rejection>(&result)) {
    ADD_FAILURE() << "rejected: " << r->reason;
    return {};
  }
  return std::get<Answer>(result);
}

TEST(OfferAnswer, DefaultOffer) {
  Negotiator n = make();
  Session s = parsed(n.create_offer(Direction::kSendRecv));
  EXPECT_EQ(s.origin.session_id, "7");
  EXPECT_EQ(s.origin.session_version, "0");
  EXPECT_EQ(s.connection->address, "192.0.2.1");
  ASSERT_EQ(s.media.size(), 1u);
  const Media& m = s.media[0];
  EXPECT_EQ(m.port, 4000);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"96", "9", "0", "8", "100", "101"}));
  EXPECT_EQ(m.rtpmap(96), (Rtpmap{96, "opus", 48000, 2}));
  EXPECT_EQ(m.fmtp(96), "useinbandfec=1");
  EXPECT_EQ(m.rtpmap(9), (Rtpmap{9, "G722", 8000, 1}));
  EXPECT_EQ(m.rtpmap(100), (Rtpmap{100, "telephone-event", 48000, 1}));
  EXPECT_EQ(m.rtpmap(101), (Rtpmap{101, "telephone-event", 8000, 1}));
  EXPECT_EQ(m.fmtp(100), "0-16");
  EXPECT_EQ(m.fmtp(101), "0-16");
  EXPECT_EQ(m.ptime(), 20u);
  EXPECT_EQ(m.rtcp()->port, 4001);
  EXPECT_TRUE(m.rtcp_mux());
  EXPECT_EQ(s.direction(m), Direction::kSendRecv);
  EXPECT_TRUE(m.attributes.has("sendrecv"));  // written, not implied: SIPp checks for it
}

TEST(OfferAnswer, OpusOptionsAndCodecChoice) {
  OpusOptions opus;
  opus.stereo = true;
  opus.max_average_bitrate = 64000;
  std::vector<std::string> unknown;
  Capabilities caps = Capabilities::from_names({"PCMA", "opus", "speex", "pcma"}, &unknown, opus);
  EXPECT_EQ(unknown, std::vector<std::string>{"speex"});
  ASSERT_EQ(caps.codecs.size(), 2u);  // PCMA once
  Negotiator n = make(caps);
  Session s = parsed(n.create_offer(Direction::kSendRecv));
  EXPECT_EQ(s.media[0].formats, (std::vector<std::string>{"8", "96", "100", "101"}));
  EXPECT_EQ(s.media[0].fmtp(96), "useinbandfec=1;stereo=1;sprop-stereo=1;maxaveragebitrate=64000");
  Capabilities narrow = Capabilities::from_names({"PCMU"});
  Session pcmu = parsed(make(narrow).create_offer(Direction::kSendRecv));
  EXPECT_EQ(pcmu.media[0].formats, (std::vector<std::string>{"0", "101"}));  // no /48000
}

TEST(OfferAnswer, AnswerKeepsTheOfferersOrderAndNumbers) {
  Negotiator n = make();
  Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 8 0 97 9 98\r\n"
                                  "a=rtpmap:97 opus/48000/2\r\n"
                                  "a=fmtp:97 useinbandfec=1;stereo=1\r\n"
                                  "a=rtpmap:98 telephone-event/48000\r\n"
                                  "a=fmtp:98 0-15\r\n"));
  Session s = parsed(a.sdp);
  EXPECT_EQ(s.media[0].formats, (std::vector<std::string>{"8", "0", "97", "9", "98"}));
  EXPECT_EQ(s.media[0].rtpmap(97), (Rtpmap{97, "opus", 48000, 2}));
  EXPECT_EQ(s.media[0].fmtp(97), "useinbandfec=1");  // what we want to receive
  ASSERT_EQ(audio(a.agreement).codecs.size(), 4u);
  EXPECT_EQ(audio(a.agreement).codecs[0].codec, Codec::kPcma);
  EXPECT_EQ(audio(a.agreement).codecs[2].codec, Codec::kOpus);
  EXPECT_EQ(audio(a.agreement).codecs[2].send_pt, 97);
  EXPECT_EQ(audio(a.agreement).codecs[2].receive_pt, 97);
  EXPECT_EQ(audio(a.agreement).codecs[2].fmtp, "useinbandfec=1;stereo=1");  // the peer's
  // Only a 48000 event was offered, which matches Opus but not PCMA: still the one to use.
  EXPECT_EQ(audio(a.agreement).telephone_event_send_pt, 98);
  EXPECT_EQ(audio(a.agreement).plain().address, "198.51.100.2");
  EXPECT_EQ(audio(a.agreement).plain().rtp_port, 5000);
  EXPECT_EQ(audio(a.agreement).plain().rtcp_port, 5001);
  EXPECT_FALSE(audio(a.agreement).rtcp_mux);
  EXPECT_FALSE(s.media[0].rtcp_mux());
  EXPECT_EQ(s.media[0].rtcp()->port, 4001);
}

TEST(OfferAnswer, TelephoneEventMatchedByClockRate) {
  Negotiator n = make();
  Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 0 101 102\r\n"
                                  "a=rtpmap:101 telephone-event/48000\r\n"
                                  "a=rtpmap:102 telephone-event/8000\r\n"));
  // PCMU runs at 8000: the /48000 event is left out of the answer.
  EXPECT_EQ(parsed(a.sdp).media[0].formats, (std::vector<std::string>{"0", "102"}));
  EXPECT_EQ(audio(a.agreement).telephone_event_send_pt, 102);
  EXPECT_EQ(audio(a.agreement).telephone_event_receive_pt, 102);
  Negotiator none = make();
  Answer b = answer(none, offer_with("m=audio 5000 RTP/AVP 0\r\n"));
  EXPECT_EQ(audio(b.agreement).telephone_event_send_pt, -1);
}

TEST(OfferAnswer, DynamicTypeWithoutRtpmapAndDuplicatesAreSkipped) {
  Negotiator n = make();
  Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 96 0 118 \r\n"
                                  "a=rtpmap:118 PCMU/8000\r\n"));
  EXPECT_EQ(parsed(a.sdp).media[0].formats, std::vector<std::string>{"0"});
}

TEST(OfferAnswer, DirectionsAndHold) {
  struct Case {
    std::string attribute;  // in the offer's audio section
    bool hold;
    Direction answered;
    bool send;
    bool receive;
  };
  for (const Case& c : std::vector<Case>{
           {"a=sendrecv\r\n", false, Direction::kSendRecv, true, true},
           {"", false, Direction::kSendRecv, true, true},
           {"a=sendonly\r\n", false, Direction::kRecvOnly, false, true},
           {"a=recvonly\r\n", false, Direction::kSendOnly, true, false},
           {"a=inactive\r\n", false, Direction::kInactive, false, false},
           {"a=sendrecv\r\n", true, Direction::kSendOnly, true, false},
           {"a=sendonly\r\n", true, Direction::kInactive, false, false},
       }) {
    Negotiator n = make();
    Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 0\r\n" + c.attribute), c.hold);
    Session s = parsed(a.sdp);
    EXPECT_EQ(s.direction(s.media[0]), c.answered) << c.attribute << c.hold;
    EXPECT_EQ(audio(a.agreement).send, c.send) << c.attribute << c.hold;
    EXPECT_EQ(audio(a.agreement).receive, c.receive) << c.attribute << c.hold;
  }
  // Session-level direction, overridden at media level.
  Negotiator n = make();
  Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 0\r\n", "a=sendonly\r\n"));
  EXPECT_EQ(a.agreement.remote_direction, Direction::kSendOnly);
  Answer b = answer(n, offer_with("m=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n", "a=sendonly\r\n"));
  EXPECT_EQ(b.agreement.remote_direction, Direction::kSendRecv);
}

TEST(OfferAnswer, NullAddressIsLegacyHold) {
  Negotiator n = make();
  Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 0\r\n", "", "0.0.0.0"));
  EXPECT_EQ(a.agreement.remote_direction, Direction::kSendOnly);
  EXPECT_FALSE(audio(a.agreement).send);  // nowhere to send to
  EXPECT_TRUE(audio(a.agreement).receive);
  Session s = parsed(a.sdp);
  EXPECT_EQ(s.direction(s.media[0]), Direction::kRecvOnly);
}

TEST(OfferAnswer, OtherStreamsAreRejectedInPlace) {
  Negotiator n = make();
  Answer a = answer(n, offer_with("m=video 6000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
                                  "m=audio 5000 RTP/SAVP 0\r\n"
                                  "m=audio 0 RTP/AVP 0\r\n"
                                  "m=audio 5002 RTP/AVP 0\r\n"
                                  "m=audio 5004 RTP/AVP 8\r\n"
                                  "m=application 7000 udp wb\r\n"));
  Session s = parsed(a.sdp);
  ASSERT_EQ(s.media.size(), 6u);
  std::vector<std::uint16_t> ports;
  for (const auto& m : s.media)
    ports.push_back(m.port);
  EXPECT_EQ(ports, (std::vector<std::uint16_t>{0, 0, 0, 4000, 0, 0}));
  EXPECT_EQ(s.media[0].type, "video");
  EXPECT_EQ(s.media[0].formats, std::vector<std::string>{"96"});
  EXPECT_EQ(s.media[1].proto, "RTP/SAVP");
  EXPECT_EQ(s.media[5].formats, std::vector<std::string>{"wb"});
  EXPECT_EQ(audio(a.agreement).plain().rtp_port, 5002);
  // Our next offer keeps the six m-lines in their places (RFC 3264 8).
  Session next = parsed(n.create_offer(Direction::kSendOnly));
  ASSERT_EQ(next.media.size(), 6u);
  EXPECT_EQ(next.media[3].port, 4000);
  EXPECT_EQ(next.direction(next.media[3]), Direction::kSendOnly);
  EXPECT_EQ(next.media[0].port, 0);
  EXPECT_EQ(next.media[0].type, "video");
}

TEST(OfferAnswer, RejectionsCarryStatusAndWarning) {
  Negotiator n = make();
  auto no_codec = n.check_offer(offer_with("m=audio 5000 RTP/AVP 18 3\r\n"));
  ASSERT_TRUE(no_codec);
  EXPECT_EQ(no_codec->status, 488);
  EXPECT_EQ(no_codec->warning, 305);
  auto no_audio = n.check_offer(offer_with("m=video 5000 RTP/AVP 31\r\n"));
  ASSERT_TRUE(no_audio);
  EXPECT_EQ(no_audio->warning, 304);
  auto disabled = n.check_offer(offer_with("m=audio 0 RTP/AVP 0\r\n"));
  ASSERT_TRUE(disabled);
  EXPECT_EQ(disabled->warning, 304);
  auto secure = n.check_offer(offer_with("m=audio 5000 UDP/TLS/RTP/SAVPF 0\r\n"));
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->warning, 302);
  auto garbage = n.check_offer("v=0\r\nbogus\r\n");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(garbage->reason,
            "the offer is not valid SDP: line 2: not a '<type>=<value>' line: 'bogus'");
  EXPECT_FALSE(n.check_offer(offer_with("m=audio 5000 RTP/AVPF 0\r\n")));
  auto nowhere =
      n.check_offer("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n");
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 400);
  EXPECT_EQ(nowhere->reason, "the audio stream has no connection address (c=)");
  // A c= in the media section is enough.
  EXPECT_FALSE(n.check_offer(
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\nc=IN IP4 h\r\n"));
  auto result = n.receive_offer(offer_with("m=audio 5000 RTP/AVP 18\r\n"), false);
  EXPECT_TRUE(std::holds_alternative<Rejection>(result));
}

// RFC 3264 8.2: a re-offer may turn the audio off (port 0), and a later one on again.
TEST(OfferAnswer, ReofferMayDisableAndReenableAudio) {
  Negotiator n = make();
  answer(n, offer_with("m=audio 5000 RTP/AVP 0\r\nm=video 6000 RTP/AVP 31\r\n"));
  Answer off = answer(n, offer_with("m=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"));
  EXPECT_FALSE(off.agreement.audio());
  ASSERT_EQ(off.agreement.streams.size(), 2u);
  EXPECT_TRUE(off.agreement.streams[0].codecs.empty());
  EXPECT_FALSE(off.agreement.streams[0].send);
  Session s = parsed(off.sdp);
  ASSERT_EQ(s.media.size(), 2u);
  EXPECT_EQ(s.media[0].port, 0);
  EXPECT_EQ(s.media[1].port, 0);
  Answer on = answer(n, offer_with("m=audio 5002 RTP/AVP 8\r\nm=video 0 RTP/AVP 31\r\n"));
  ASSERT_EQ(audio(on.agreement).codecs.size(), 1u);
  EXPECT_EQ(audio(on.agreement).codecs[0].codec, Codec::kPcma);
  EXPECT_EQ(parsed(on.sdp).media[0].port, 4000);
  // Never negotiated: a first offer with audio off is refused.
  Negotiator fresh = make();
  EXPECT_TRUE(std::holds_alternative<Rejection>(
      fresh.receive_offer(offer_with("m=audio 0 RTP/AVP 0\r\n"), false)));
}

TEST(OfferAnswer, RtcpMuxOnlyWhenOffered) {
  Negotiator n = make();
  Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 0\r\na=rtcp-mux\r\na=rtcp:5000\r\n"));
  EXPECT_TRUE(audio(a.agreement).rtcp_mux);
  EXPECT_EQ(audio(a.agreement).plain().rtcp_port, 5000);
  Session s = parsed(a.sdp);
  EXPECT_TRUE(s.media[0].rtcp_mux());
  EXPECT_FALSE(s.media[0].rtcp());  // multiplexed: no separate port to name
  Capabilities no_mux = Capabilities::defaults();
  no_mux.rtcp_mux = false;
  Negotiator m = make(no_mux);
  EXPECT_FALSE(parsed(m.create_offer(Direction::kSendRecv)).media[0].rtcp_mux());
  Answer b = answer(m, offer_with("m=audio 5000 RTP/AVP 0\r\na=rtcp-mux\r\n"));
  EXPECT_FALSE(audio(b.agreement).rtcp_mux);
  EXPECT_EQ(audio(b.agreement).plain().rtcp_port, 5001);
}

// ---- Answers to our offer ----

std::string answer_with(const std::string& media) {
  return "v=0\r\no=peer 5 5 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\nt=0 0\r\n" +
         media;
}

TEST(OfferAnswer, AnswerWithOtherNumbersMapsBothWays) {
  Negotiator n = make();
  n.create_offer(Direction::kSendRecv);
  auto agreed =
      n.receive_answer(answer_with("m=audio 6000 RTP/AVP 111 0 126\r\n"
                                   "a=rtpmap:111 OPUS/48000/2\r\n"
                                   "a=fmtp:111 useinbandfec=1\r\n"
                                   "a=rtpmap:126 telephone-event/48000\r\n"
                                   "a=rtcp-mux\r\na=ptime:40\r\n"));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  ASSERT_EQ(audio(*agreed).codecs.size(), 2u);
  EXPECT_EQ(audio(*agreed).codecs[0].codec, Codec::kOpus);
  EXPECT_EQ(audio(*agreed).codecs[0].send_pt, 111);
  EXPECT_EQ(audio(*agreed).codecs[0].receive_pt, 96);
  EXPECT_EQ(audio(*agreed).codecs[0].fmtp, "useinbandfec=1");
  EXPECT_EQ(audio(*agreed).codecs[1].send_pt, 0);
  EXPECT_EQ(audio(*agreed).telephone_event_send_pt, 126);
  EXPECT_EQ(audio(*agreed).telephone_event_receive_pt, 100);
  EXPECT_TRUE(audio(*agreed).rtcp_mux);
  EXPECT_EQ(audio(*agreed).plain().rtcp_port, 6000);
  EXPECT_EQ(audio(*agreed).ptime_ms, 40);
  EXPECT_FALSE(n.offer_pending());
}

TEST(OfferAnswer, AnswerDirections) {
  struct Case {
    Direction offered;
    std::string answered;
    bool send;
    bool receive;
  };
  for (const Case& c : std::vector<Case>{
           {Direction::kSendRecv, "a=sendrecv\r\n", true, true},
           {Direction::kSendRecv, "a=recvonly\r\n", true, false},
           {Direction::kSendOnly, "a=recvonly\r\n", true, false},
           {Direction::kSendOnly, "a=inactive\r\n", false, false},
           {Direction::kRecvOnly, "a=sendonly\r\n", false, true},
       }) {
    Negotiator n = make();
    n.create_offer(c.offered);
    auto agreed = n.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\n" + c.answered));
    ASSERT_TRUE(agreed.ok());
    EXPECT_EQ(audio(*agreed).send, c.send) << c.answered;
    EXPECT_EQ(audio(*agreed).receive, c.receive) << c.answered;
  }
}

TEST(OfferAnswer, InvalidAnswersAreRefused) {
  auto refuse = [](const std::string& text) {
    Negotiator n = make();
    n.create_offer(Direction::kSendRecv);
    auto agreed = n.receive_answer(text);
    EXPECT_FALSE(agreed.ok()) << text;
    return agreed.ok() ? std::string() : agreed.error().reason;
  };
  EXPECT_EQ(refuse(answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n")),
            "the answer has 2 media descriptions for the offer's 1");
  EXPECT_EQ(refuse(answer_with("")), "the answer has 0 media descriptions for the offer's 1");
  EXPECT_EQ(refuse(answer_with("m=video 6000 RTP/AVP 31\r\n")),
            "the answer's m-line 1 is video where the offer's is audio");
  EXPECT_EQ(refuse(answer_with("m=audio 6000 RTP/AVP 18\r\n")),
            "the answer has G729/8000 (payload type 18), which was not offered");
  EXPECT_EQ(refuse(answer_with("m=audio 6000 RTP/AVP 0 110\r\na=rtpmap:110 speex/16000\r\n")),
            "the answer has speex/16000 (payload type 110), which was not offered");
  EXPECT_EQ(refuse(answer_with("m=audio 6000 RTP/AVP 97\r\n")),
            "payload type 97 in the answer has no rtpmap");
  EXPECT_EQ(
      refuse(answer_with("m=audio 6000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n")),
      "the answer accepts audio but names no codec");
  EXPECT_EQ(refuse("v=0\r\n").substr(0, 32), "the answer is not valid SDP: no ");
  EXPECT_EQ(refuse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"),
            "the answer has no connection address (c=)");
  Negotiator fresh = make();
  EXPECT_EQ(fresh.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\n")).error().reason,
            "an answer without an offer");
  // Port 0: the peer turned audio down, which is an answer, not an error.
  Negotiator n = make();
  n.create_offer(Direction::kSendRecv);
  auto rejected = n.receive_answer(answer_with("m=audio 0 RTP/AVP 0\r\n"));
  ASSERT_TRUE(rejected.ok());
  EXPECT_FALSE(rejected->audio());
  ASSERT_EQ(rejected->streams.size(), 1u);
  EXPECT_TRUE(rejected->streams[0].codecs.empty());
}

TEST(OfferAnswer, VersionRisesOnlyOnChange) {
  Negotiator n = make();
  auto version = [](const std::string& text) { return parsed(text).origin.session_version; };
  EXPECT_EQ(version(n.create_offer(Direction::kSendRecv)), "0");
  n.rollback();
  EXPECT_EQ(version(n.create_offer(Direction::kSendRecv)), "0");  // the same again
  n.rollback();
  EXPECT_EQ(version(n.create_offer(Direction::kSendOnly)), "1");
  n.rollback();
  EXPECT_EQ(version(n.create_offer(Direction::kSendOnly)), "1");
  n.set_local({"192.0.2.1", 4010, 4011});
  EXPECT_EQ(version(n.create_offer(Direction::kSendOnly)), "2");
  // An answer counts too: same session id, next version only if it differs.
  std::string offer = offer_with("m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n");
  Answer a = answer(n, offer);
  EXPECT_EQ(version(a.sdp), "3");
  EXPECT_EQ(parsed(a.sdp).origin.session_id, "7");
  EXPECT_EQ(version(answer(n, offer).sdp), "3");
}

// ---- Several streams (RFC 3264 6 and 8, RFC 4796) ------------------------------------

// A real softphone's offer (baresip's INVITE in the corpora: audio, and video marked
// a=content:main) with a third m-line for a shared screen as RFC 4796 7 writes one
// (a video marked a=content:slides). Lanline has no video yet: the answer takes the audio
// and rejects both video streams with port 0, each in its place.
TEST(OfferAnswer, AudioVideoAndSlidesFromARealSoftphone) {
  const char* env = std::getenv("LANLINE_CORPORA");
  std::filesystem::path file =
      std::filesystem::path(env ? env : LANLINE_CORPORA_DEFAULT) / "real/baresip/invite.sip";
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in) << "the corpora are missing: cannot read " << file;
  std::stringstream text;
  text << in.rdbuf();
  std::string message = text.str();
  // The file keeps the capture's line ends (LF); the SDP parser takes them (RFC 8866 5).
  std::size_t body = message.find("\n\n");
  ASSERT_NE(body, std::string::npos);
  std::string offer = message.substr(body + 2) +
                      "m=video 37774 RTP/AVP 96\n"
                      "a=rtpmap:96 H264/90000\n"
                      "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\n"
                      "a=content:slides\n";
  ASSERT_NE(offer.find("a=content:main"), std::string::npos);

  Negotiator n = make();
  EXPECT_FALSE(n.check_offer(offer));
  EXPECT_EQ(n.offered_transports(offer).accepted, 1u);
  Answer a = answer(n, offer);
  Session s = parsed(a.sdp);
  ASSERT_EQ(s.media.size(), 3u);
  EXPECT_EQ(s.media[0].type, "audio");
  EXPECT_EQ(s.media[0].port, 4000);
  EXPECT_EQ(s.media[0].formats, (std::vector<std::string>{"9", "0", "8", "101"}));
  EXPECT_EQ(s.media[1].type, "video");
  EXPECT_EQ(s.media[1].port, 0);
  EXPECT_EQ(s.media[1].formats, (std::vector<std::string>{"96", "97", "98"}));
  EXPECT_EQ(s.media[2].type, "video");
  EXPECT_EQ(s.media[2].port, 0);
  EXPECT_EQ(s.media[2].formats, (std::vector<std::string>{"96"}));

  ASSERT_EQ(a.agreement.streams.size(), 3u);
  const StreamDescription& voice = a.agreement.streams[0];
  EXPECT_EQ(voice.kind, StreamKind::kAudio);
  ASSERT_TRUE(voice.accepted());
  EXPECT_EQ(voice.codecs[0].codec, Codec::kG722);  // the offerer's order
  EXPECT_EQ(voice.telephone_event_send_pt, 101);
  EXPECT_EQ(voice.plain(), (PlainTransport{"192.168.1.1", 7574, 7575}));
  EXPECT_EQ(a.agreement.streams[1].kind, StreamKind::kVideo);
  EXPECT_EQ(a.agreement.streams[1].content, ContentRole::kMain);
  EXPECT_FALSE(a.agreement.streams[1].accepted());
  EXPECT_EQ(a.agreement.streams[2].kind, StreamKind::kVideo);
  EXPECT_EQ(a.agreement.streams[2].content, ContentRole::kSlides);
  EXPECT_FALSE(a.agreement.streams[2].accepted());
  EXPECT_EQ(a.agreement.streams[2].mline, 2u);

  // Our re-offer (hold) keeps the three m-lines, the two video ones still at port 0.
  Session hold = parsed(n.create_offer(Direction::kSendOnly));
  ASSERT_EQ(hold.media.size(), 3u);
  EXPECT_EQ(hold.media[0].port, 4000);
  EXPECT_EQ(hold.media[1].port, 0);
  EXPECT_EQ(hold.media[2].port, 0);
}

Capabilities with_video() {
  Capabilities caps = Capabilities::defaults();
  auto vp8 = codec_named("vp8");
  EXPECT_TRUE(vp8);
  if (vp8) caps.video_codecs.push_back(*vp8);
  return caps;
}

// With a video codec, each kind and role is taken once, on its own transport; a second
// audio stream is rejected; slides are answered as slides.
TEST(OfferAnswer, EachKindAndRoleOnceOnItsOwnTransport) {
  Negotiator n(with_video(), 7);
  std::string offer = offer_with(
      "m=audio 5000 RTP/AVP 0\r\n"
      "m=video 5002 RTP/AVPF 100\r\na=rtpmap:100 VP8/90000\r\na=rtcp-fb:100 nack\r\n"
      "m=audio 5004 RTP/AVP 0\r\n"
      "m=video 5006 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=content:slides\r\n"
      "m=application 5008 UDP/BFCP *\r\n");
  EXPECT_EQ(n.offered_transports(offer).accepted, 3u);
  n.set_local(std::vector<LocalTransport>{
      {"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}, {"192.0.2.1", 4004, 4005}});
  Answer a = answer(n, offer);
  Session s = parsed(a.sdp);
  ASSERT_EQ(s.media.size(), 5u);
  EXPECT_EQ(s.media[0].port, 4000);
  EXPECT_EQ(s.media[1].port, 4002);
  EXPECT_EQ(s.media[1].proto, "RTP/AVPF");
  EXPECT_EQ(s.media[1].rtpmap(100), (Rtpmap{100, "VP8", 90000, 1}));
  EXPECT_FALSE(s.media[1].ptime());  // ptime is for audio
  EXPECT_EQ(s.media[2].port, 0);     // a second main audio
  EXPECT_EQ(s.media[3].port, 4004);
  EXPECT_EQ(s.media[3].attributes.value("content"), "slides");
  EXPECT_EQ(s.media[4].port, 0);  // BFCP: not a kind Lanline carries
  EXPECT_EQ(s.media[4].type, "application");
  ASSERT_EQ(a.agreement.streams.size(), 5u);
  EXPECT_EQ(a.agreement.streams[1].codecs.at(0).codec, Codec::kVp8);
  EXPECT_EQ(a.agreement.streams[1].plain().rtp_port, 5002);
  EXPECT_EQ(a.agreement.streams[3].content, ContentRole::kSlides);
  EXPECT_EQ(a.agreement.streams[4].kind, StreamKind::kOther);
  EXPECT_EQ(a.agreement.audio(), &a.agreement.streams[0]);
}

// RFC 3264 8: a re-offer adds a stream after the others, removes one with port 0 in its
// place, and adds it again in the same place.
TEST(OfferAnswer, ReoffersAddAndRemoveStreams) {
  Negotiator plain = make();
  EXPECT_FALSE(plain.add_stream(StreamKind::kVideo));  // no video codec: nothing to add

  Negotiator n(with_video(), 7);
  n.set_local(std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  EXPECT_EQ(n.offered_streams(), 2u);  // with a video codec, the first offer has video
  Session first = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(first.media.size(), 2u);
  EXPECT_EQ(first.media[1].type, "video");
  EXPECT_EQ(first.media[1].rtcp_feedback(97),
            (std::vector<std::string>{"nack", "nack pli", "ccm fir"}));
  EXPECT_TRUE(first.media[1].connections.empty());  // the session's c= holds for it
  // An audio-only peer refuses it with port 0.
  ASSERT_TRUE(
      n.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 0 RTP/AVP 97\r\n")).ok());

  ASSERT_TRUE(n.add_stream(StreamKind::kVideo));
  EXPECT_EQ(n.offered_streams(), 2u);
  n.set_local(std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Session two = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(two.media.size(), 2u);
  EXPECT_EQ(two.media[1].type, "video");
  EXPECT_EQ(two.media[1].port, 4002);
  EXPECT_EQ(two.media[1].rtpmap(97), (Rtpmap{97, "VP8", 90000, 1}));
  auto agreed = n.receive_answer(answer_with(
      "m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\na=rtpmap:97 VP8/90000\r\n"));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  ASSERT_EQ(agreed->streams.size(), 2u);
  EXPECT_TRUE(agreed->streams[1].accepted());
  EXPECT_EQ(agreed->streams[1].plain().rtp_port, 6002);

  ASSERT_TRUE(n.remove_stream(StreamKind::kVideo));
  n.set_local({"192.0.2.1", 4000, 4001});
  Session removed = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(removed.media.size(), 2u);  // the m-line stays, at port 0
  EXPECT_EQ(removed.media[1].port, 0);
  agreed = n.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 0 RTP/AVP 97\r\n"));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  EXPECT_FALSE(agreed->streams[1].accepted());

  // Slides are new: after the others. Video again: in its old place.
  ASSERT_TRUE(n.add_stream(StreamKind::kVideo, ContentRole::kSlides));
  ASSERT_TRUE(n.add_stream(StreamKind::kVideo));
  EXPECT_EQ(n.offered_streams(), 3u);
  n.set_local(std::vector<LocalTransport>{
      {"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}, {"192.0.2.1", 4004, 4005}});
  Session three = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(three.media.size(), 3u);
  EXPECT_EQ(three.media[1].port, 4002);
  EXPECT_FALSE(three.media[1].attributes.has("content"));
  EXPECT_EQ(three.media[2].port, 4004);
  EXPECT_EQ(three.media[2].attributes.value("content"), "slides");
}

// Each stream keeps its transport for the session: one going off (port 0) moves none of
// the others, and it comes back on its own (StreamDescription::transport says which).
TEST(OfferAnswer, AStreamKeepsItsTransportWhileAnotherGoes) {
  const std::vector<LocalTransport> three{
      {"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}, {"192.0.2.1", 4004, 4005}};
  const std::string vp8 = "a=rtpmap:97 VP8/90000\r\n";
  Negotiator n(with_video(), 7);
  n.set_local(std::vector<LocalTransport>(three.begin(), three.begin() + 2));
  n.create_offer(Direction::kSendRecv);
  ASSERT_TRUE(
      n.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\n" + vp8))
          .ok());
  ASSERT_TRUE(n.add_stream(StreamKind::kVideo, ContentRole::kSlides));
  EXPECT_EQ(n.offered_streams(), 3u);
  n.set_local(three);
  n.create_offer(Direction::kSendRecv);
  ASSERT_TRUE(
      n.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\n" + vp8 +
                                   "m=video 6004 RTP/AVP 97\r\n" + vp8 + "a=content:slides\r\n"))
          .ok());

  // Our camera's stream goes: the slides stay on the third transport.
  ASSERT_TRUE(n.remove_stream(StreamKind::kVideo));
  EXPECT_EQ(n.offered_streams(), 3u);
  Session offer = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(offer.media.size(), 3u);
  EXPECT_EQ(offer.media[1].port, 0);
  EXPECT_EQ(offer.media[2].port, 4004);
  auto agreed = n.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 0 RTP/AVP 97\r\n" +
                                             std::string("m=video 6004 RTP/AVP 97\r\n") + vp8 +
                                             "a=content:slides\r\n"));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  EXPECT_EQ(agreed->streams[2].transport, 2u);

  // The peer's offer turns the camera's stream on again and the slides off: each on its
  // own transport still, and an answer needs all three.
  const std::string reoffer = offer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\n" +
                                         vp8 + "m=video 0 RTP/AVP 97\r\na=content:slides\r\n");
  EXPECT_EQ(n.offered_transports(reoffer).transports, 3u);
  EXPECT_EQ(n.offered_transports(reoffer).accepted, 2u);
  Answer a = answer(n, reoffer);
  Session s = parsed(a.sdp);
  ASSERT_EQ(s.media.size(), 3u);
  EXPECT_EQ(s.media[1].port, 4002);
  EXPECT_EQ(s.media[2].port, 0);
  EXPECT_EQ(a.agreement.streams[1].transport, 1u);
}

// RFC 3261 14.1 glare: our re-offer that adds the slides is refused (491, rolled back),
// then the peer's own re-offer (a hold, without the slides) is answered. The slides are
// still ours to add: the retried offer carries them, on the transport made for them.
TEST(OfferAnswer, AStreamWeAddSurvivesThePeersOfferInAGlare) {
  const std::vector<LocalTransport> three{
      {"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}, {"192.0.2.1", 4004, 4005}};
  const std::string vp8 = "a=rtpmap:97 VP8/90000\r\n";
  Negotiator n(with_video(), 7);
  n.set_local(std::vector<LocalTransport>(three.begin(), three.begin() + 2));
  n.create_offer(Direction::kSendRecv);
  ASSERT_TRUE(
      n.receive_answer(answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\n" + vp8))
          .ok());
  n.set_sending(ContentRole::kSlides, true);
  ASSERT_TRUE(n.add_stream(StreamKind::kVideo, ContentRole::kSlides));
  n.set_local(three);
  ASSERT_EQ(parsed(n.create_offer(Direction::kSendRecv)).media.size(), 3u);
  n.rollback();  // 491

  Answer held = answer(n, offer_with("m=audio 6000 RTP/AVP 0\r\na=sendonly\r\n"
                                     "m=video 6002 RTP/AVP 97\r\n" +
                                     vp8 + "a=sendonly\r\n"));
  EXPECT_EQ(parsed(held.sdp).media.size(), 2u);  // the answer has the offer's m-lines
  EXPECT_EQ(n.offered_streams(), 3u);

  Session retry = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(retry.media.size(), 3u);
  EXPECT_EQ(retry.media[2].port, 4004);
  EXPECT_EQ(retry.media[2].attributes.value("content"), "slides");
  EXPECT_EQ(retry.media[2].attributes.direction(), Direction::kSendRecv);
}

// A node without a picture of its own (no camera) offers no video first, takes the
// peer's to receive only, and sends its shared screen only while it shares it.
TEST(OfferAnswer, WithoutAPictureVideoIsReceivedOnly) {
  Capabilities caps = with_video();
  caps.send_video = false;
  Negotiator n(caps, 7);
  n.set_local({"192.0.2.1", 4000, 4001});
  EXPECT_EQ(n.offered_streams(), 1u);
  EXPECT_EQ(parsed(n.create_offer(Direction::kSendRecv)).media.size(), 1u);
  n.rollback();

  n.set_local(std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Answer a = answer(n, offer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\n"
                                  "a=rtpmap:97 VP8/90000\r\n"));
  Session s = parsed(a.sdp);
  ASSERT_EQ(s.media.size(), 2u);
  EXPECT_EQ(s.media[1].port, 4002);
  EXPECT_EQ(s.media[1].attributes.direction(), Direction::kRecvOnly);
  EXPECT_FALSE(a.agreement.streams[1].send);
  EXPECT_TRUE(a.agreement.streams[1].receive);
  EXPECT_EQ(s.media[0].attributes.direction(), Direction::kSendRecv);  // audio as always

  // Sharing the screen: the slides stream sends; held, nothing does.
  n.set_sending(ContentRole::kSlides, true);
  ASSERT_TRUE(n.add_stream(StreamKind::kVideo, ContentRole::kSlides));
  n.set_local(std::vector<LocalTransport>{
      {"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}, {"192.0.2.1", 4004, 4005}});
  Session share = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(share.media.size(), 3u);
  EXPECT_EQ(share.media[1].attributes.direction(), Direction::kRecvOnly);
  EXPECT_EQ(share.media[2].attributes.direction(), Direction::kSendRecv);
  EXPECT_EQ(share.media[2].attributes.value("content"), "slides");
  n.rollback();
  n.set_sending(ContentRole::kSlides, false);
  Session held = parsed(n.create_offer(Direction::kSendOnly));
  EXPECT_EQ(held.media[1].attributes.direction(), Direction::kInactive);
  EXPECT_EQ(held.media[2].attributes.direction(), Direction::kInactive);
}

TEST(OfferAnswer, ContentRoles) {
  auto role = [](const std::string& value) {
    Media m;
    m.attributes.add("content", value);
    return content_role(m);
  };
  EXPECT_EQ(content_role(Media{}), ContentRole::kMain);
  EXPECT_EQ(role("slides"), ContentRole::kSlides);
  EXPECT_EQ(role("Slides"), ContentRole::kSlides);
  EXPECT_EQ(role("x-new,speaker"), ContentRole::kSpeaker);  // the first one we know
  EXPECT_EQ(role("sl"), ContentRole::kSignLanguage);
  EXPECT_EQ(role("unknown"), ContentRole::kMain);
}

// RFC 4585 4.2: the answer keeps of the offer's a=rtcp-fb only what we take (NACK, PLI, FIR;
// "*" stands for every format), and the agreement says what both named; the offerer
// learns the same from the answer. A peer that names none gets none.
TEST(OfferAnswer, VideoFeedbackIsWhatBothSidesName) {
  Negotiator n(with_video(), 7);
  n.set_local(std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Answer a = answer(n, offer_with("m=audio 5000 RTP/AVP 0\r\n"
                                  "m=video 5002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n"
                                  "a=rtcp-fb:100 nack\r\na=rtcp-fb:100  NACK   PLI\r\n"
                                  "a=rtcp-fb:* ccm fir\r\na=rtcp-fb:100 goog-remb\r\n"
                                  "a=rtcp-fb:101 ccm tmmbr\r\n"));
  ASSERT_EQ(a.agreement.streams.size(), 2u);
  EXPECT_EQ(a.agreement.streams[1].codecs.at(0).rtcp_feedback,
            (std::vector<std::string>{"nack", "nack pli", "ccm fir"}));
  Session s = parsed(a.sdp);
  EXPECT_EQ(s.media[1].attributes.values("rtcp-fb").size(), 3u);
  EXPECT_EQ(s.media[1].rtcp_feedback(100),
            (std::vector<std::string>{"nack", "nack pli", "ccm fir"}));

  Negotiator none(with_video(), 8);
  none.set_local(std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Answer b = answer(none, offer_with("m=audio 5000 RTP/AVP 0\r\n"
                                     "m=video 5002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n"));
  EXPECT_TRUE(b.agreement.streams[1].codecs.at(0).rtcp_feedback.empty());
  EXPECT_TRUE(parsed(b.sdp).media[1].attributes.values("rtcp-fb").empty());

  Negotiator offerer(with_video(), 9);
  offerer.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  offerer.create_offer(Direction::kSendRecv);
  auto agreed = offerer.receive_answer(
      answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\na=rtpmap:97 VP8/90000\r\n"
                  "a=rtcp-fb:97 nack pli\r\n"));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  EXPECT_EQ(agreed->streams[1].codecs.at(0).rtcp_feedback, (std::vector<std::string>{"nack pli"}));
}

// RFC 4588 8.6: the offer carries an rtx format for VP8 (apt=97); the agreement names
// the peer's rtx type and ours when both wrote one for the codec, and none otherwise.
TEST(OfferAnswer, RetransmissionIsAgreedWhenBothWriteAnRtxFormat) {
  Negotiator offerer(with_video(), 7);
  offerer.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Session offer = parsed(offerer.create_offer(Direction::kSendRecv));
  EXPECT_EQ(offer.media[1].formats, (std::vector<std::string>{"97", "98"}));
  EXPECT_EQ(offer.media[1].rtpmap(98), (Rtpmap{98, "rtx", 90000, 1}));
  EXPECT_EQ(offer.media[1].fmtp(98), "apt=97");
  EXPECT_EQ(rtx_payload_type_for(offer.media[1], 97, 90000), 98);
  EXPECT_EQ(rtx_payload_type_for(offer.media[0], 0, 8000), -1);  // audio: none
  // The peer answers with numbers of its own.
  auto agreed = offerer.receive_answer(
      answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97 99\r\n"
                  "a=rtpmap:97 VP8/90000\r\na=rtpmap:99 rtx/90000\r\n"
                  "a=fmtp:99 apt=97;rtx-time=3000\r\na=rtcp-fb:97 nack\r\n"));
  ASSERT_TRUE(agreed.ok()) << agreed.error().reason;
  const NegotiatedCodec& vp8 = agreed->streams[1].codecs.at(0);
  EXPECT_EQ(agreed->streams[1].codecs.size(), 1u);  // rtx is not a codec of its own
  EXPECT_EQ(vp8.rtx_send_pt, 99);
  EXPECT_EQ(vp8.rtx_receive_pt, 98);
  EXPECT_EQ(vp8.rtcp_feedback, (std::vector<std::string>{"nack"}));

  // An answer without rtx: none, and NACK alone (the peer resends packets as they were).
  Negotiator plain(with_video(), 8);
  plain.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  plain.create_offer(Direction::kSendRecv);
  auto without = plain.receive_answer(
      answer_with("m=audio 6000 RTP/AVP 0\r\nm=video 6002 RTP/AVP 97\r\na=rtpmap:97 VP8/90000\r\n"
                  "a=rtcp-fb:97 nack\r\n"));
  ASSERT_TRUE(without.ok()) << without.error().reason;
  EXPECT_EQ(without->streams[1].codecs.at(0).rtx_send_pt, -1);
  EXPECT_EQ(without->streams[1].codecs.at(0).rtx_receive_pt, -1);

  // As answerer: the offer's rtx for the codec we take, on its number; one for a codec
  // we do not take, or at another clock, is left out.
  Negotiator answerer(with_video(), 9);
  answerer.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Answer a = answer(answerer, offer_with("m=audio 5000 RTP/AVP 0\r\n"
                                         "m=video 5002 RTP/AVPF 100 120 101 121 122\r\n"
                                         "a=rtpmap:100 VP8/90000\r\na=rtpmap:120 H265/90000\r\n"
                                         "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
                                         "a=rtpmap:121 rtx/90000\r\na=fmtp:121 apt=120\r\n"
                                         "a=rtpmap:122 rtx/8000\r\na=fmtp:122 apt=100\r\n"
                                         "a=rtcp-fb:100 nack\r\n"));
  const NegotiatedCodec& taken = a.agreement.streams[1].codecs.at(0);
  EXPECT_EQ(taken.rtx_send_pt, 101);
  EXPECT_EQ(taken.rtx_receive_pt, 101);
  Session s = parsed(a.sdp);
  EXPECT_EQ(s.media[1].formats, (std::vector<std::string>{"100", "101"}));
  EXPECT_EQ(s.media[1].fmtp(101), "apt=100");
  EXPECT_EQ(s.media[1].rtcp_feedback(100), (std::vector<std::string>{"nack"}));

  Negotiator old_phone(with_video(), 10);
  old_phone.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Answer b =
      answer(old_phone, offer_with("m=audio 5000 RTP/AVP 0\r\n"
                                   "m=video 5002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n"));
  EXPECT_EQ(b.agreement.streams[1].codecs.at(0).rtx_send_pt, -1);
  EXPECT_EQ(parsed(b.sdp).media[1].formats, (std::vector<std::string>{"100"}));
}

// A stream whose default candidate is not at the session's c= address gets its own c=.
TEST(OfferAnswer, AStreamElsewhereThanTheSessionHasItsOwnConnection) {
  Negotiator n(with_video(), 7);
  n.set_local(std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"fe80::1", 4002, 4002}});
  Session s = parsed(n.create_offer(Direction::kSendRecv));
  ASSERT_EQ(s.media.size(), 2u);
  EXPECT_TRUE(s.media[0].connections.empty());
  ASSERT_EQ(s.media[1].connections.size(), 1u);
  EXPECT_EQ(s.media[1].connections[0].address, "fe80::1");
  EXPECT_TRUE(s.media[1].connections[0].is_ipv6());
}

// RFC 6184 8.1: H.264 is offered in packetization mode 1 (with its own rtx), taken from
// a peer only in mode 1: a mode 0 H.264 (no packetization-mode) is not a format we can
// send a 720p frame in, and the offer's next codec is taken instead.
TEST(OfferAnswer, H264IsTakenInPacketizationModeOneOnly) {
  Capabilities caps = Capabilities::defaults();
  caps.video_codecs.push_back(*codec_named("h264"));
  caps.video_codecs.push_back(*codec_named("vp8"));
  Negotiator offerer(caps, 7);
  offerer.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Session offer = parsed(offerer.create_offer(Direction::kSendRecv));
  EXPECT_EQ(offer.media[1].formats, (std::vector<std::string>{"102", "97", "103", "98"}));
  EXPECT_EQ(fmtp_parameter(offer.media[1].fmtp(102).value_or(""), "packetization-mode"), "1");
  EXPECT_EQ(fmtp_parameter(offer.media[1].fmtp(102).value_or(""), "profile-level-id"), "42e01f");
  EXPECT_EQ(rtx_payload_type_for(offer.media[1], 102, 90000), 103);

  Negotiator answerer(caps, 8);
  answerer.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Answer a =
      answer(answerer, offer_with("m=audio 5000 RTP/AVP 0\r\n"
                                  "m=video 5002 RTP/AVP 126 120 100\r\n"
                                  "a=rtpmap:126 H264/90000\r\n"
                                  "a=fmtp:126 profile-level-id=42e01f\r\n"
                                  "a=rtpmap:120 H264/90000\r\n"
                                  "a=fmtp:120 profile-level-id=42e01f; packetization-mode=1\r\n"
                                  "a=rtpmap:100 VP8/90000\r\n"));
  ASSERT_EQ(a.agreement.streams[1].codecs.size(), 2u);
  EXPECT_EQ(a.agreement.streams[1].codecs[0].codec, Codec::kH264);
  EXPECT_EQ(a.agreement.streams[1].codecs[0].send_pt, 120);
  EXPECT_EQ(a.agreement.streams[1].codecs[1].codec, Codec::kVp8);

  Negotiator mode0(caps, 9);
  mode0.set_local(
      std::vector<LocalTransport>{{"192.0.2.1", 4000, 4001}, {"192.0.2.1", 4002, 4003}});
  Answer b =
      answer(mode0, offer_with("m=audio 5000 RTP/AVP 0\r\n"
                               "m=video 5002 RTP/AVP 126\r\na=rtpmap:126 H264/90000\r\n"
                               "a=fmtp:126 profile-level-id=42e01f;packetization-mode=0\r\n"));
  EXPECT_FALSE(b.agreement.streams[1].accepted());  // port 0: nothing we can send in
  EXPECT_EQ(parsed(b.sdp).media[1].port, 0);
}

}  // namespace
}  // namespace lanline::sdp
