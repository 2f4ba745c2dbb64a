// The SDP parser and printer: every line type of RFC 8866, the typed attribute readers,
// the sloppiness real phones need tolerated, the errors that must be precise, and the
// print -> parse round trip.
#include <gtest/gtest.h>

#include "sdp/parser.hpp"
#include "sdp/printer.hpp"

namespace lanline::sdp {
namespace {

// RFC 8866 5's example, with every other line type added.
const char* kFull =
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Call to John Smith\r\n"
    "i=SDP Offer #1\r\n"
    "u=http://www.jdoe.example.com/home.html\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "b=CT:128\r\n"
    "t=3724394400 3724398000\r\n"
    "r=604800 3600 0 90000\r\n"
    "t=0 0\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "k=prompt\r\n"
    "a=recvonly\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "i=voice\r\n"
    "c=IN IP6 2001:db8::1\r\n"
    "b=AS:64\r\n"
    "k=clear:secret\r\n"
    "a=mid:0\r\n"
    "m=video 51372/2 RTP/AVPF 99 100\r\n"
    "c=IN IP4 233.252.0.1/127/2\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
    "a=x-unknown:anything goes: here\r\n"
    "a=flag\r\n";

TEST(SdpParser, ReadsEveryLineType) {
  auto s = parse(kFull);
  ASSERT_TRUE(s.ok()) << s.error().reason;
  EXPECT_EQ(s->origin.username, "jdoe");
  EXPECT_EQ(s->origin.session_id, "3724394400");
  EXPECT_EQ(s->origin.session_version, "3724394405");
  EXPECT_EQ(s->origin.address, "198.51.100.1");
  EXPECT_EQ(s->name, "Call to John Smith");
  EXPECT_EQ(s->info, "SDP Offer #1");
  EXPECT_EQ(s->uri, "http://www.jdoe.example.com/home.html");
  ASSERT_EQ(s->emails.size(), 1u);
  ASSERT_EQ(s->phones.size(), 1u);
  ASSERT_TRUE(s->connection);
  EXPECT_EQ(s->connection->address, "198.51.100.1");
  ASSERT_EQ(s->bandwidths.size(), 1u);
  EXPECT_EQ(s->bandwidths[0].type, "CT");
  EXPECT_EQ(s->bandwidths[0].value, 128u);
  ASSERT_EQ(s->timings.size(), 2u);
  EXPECT_EQ(s->timings[0].start, 3724394400u);
  EXPECT_EQ(s->timings[0].repeats, std::vector<std::string>{"604800 3600 0 90000"});
  EXPECT_EQ(s->zone, "2882844526 -1h 2898848070 0");
  EXPECT_EQ(s->key, "prompt");
  EXPECT_EQ(s->attributes.value("group"), "BUNDLE 0 1");
  ASSERT_EQ(s->media.size(), 2u);
  const Media& audio = s->media[0];
  EXPECT_EQ(audio.type, "audio");
  EXPECT_EQ(audio.port, 49170);
  EXPECT_EQ(audio.title, "voice");
  ASSERT_EQ(audio.connections.size(), 1u);
  EXPECT_TRUE(audio.connections[0].is_ipv6());
  EXPECT_EQ(audio.connections[0].address, "2001:db8::1");
  EXPECT_EQ(audio.key, "clear:secret");
  EXPECT_EQ(audio.attributes.value("mid"), "0");
  const Media& video = s->media[1];
  EXPECT_EQ(video.port_count, 2u);
  EXPECT_EQ(video.proto, "RTP/AVPF");
  EXPECT_EQ(video.connections[0].ttl, 127u);
  EXPECT_EQ(video.connections[0].count, 2u);
  EXPECT_EQ(video.attributes.value("x-unknown"), "anything goes: here");
  EXPECT_TRUE(video.attributes.has("flag"));
  EXPECT_FALSE(video.attributes.value("flag"));
  // Session-level recvonly applies to both; the session connection is the video's fallback.
  EXPECT_EQ(s->direction(audio), Direction::kRecvOnly);
  EXPECT_EQ(s->connection_for(audio)->address, "2001:db8::1");
}

TEST(SdpParser, PrintsBackWhatItRead) {
  auto s = parse(kFull);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(print(*s), kFull);  // already in RFC order with CRLF: byte for byte
  auto again = parse(print(*s));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *s);
}

TEST(SdpParser, ToleratesWhatRealPhonesWrite) {
  // Bare LF, trailing spaces and tabs, two spaces between fields, an empty line at the
  // end, "s=" empty, a ptime with a fraction, a rejected stream with no format.
  std::string sloppy =
      "v=0\n"
      "o=-  42 42 IN IP4 10.0.0.1 \n"
      "s=\n"
      "c=IN IP4 10.0.0.1\t\n"
      "t=0 0\n"
      "m=audio 4000  RTP/AVP 0 8\n"
      "a=ptime:20.0\n"
      "a=sendonly \n"
      "m=video 0 RTP/AVP\n"
      "\n";
  auto s = parse(sloppy);
  ASSERT_TRUE(s.ok()) << s.error().reason;
  EXPECT_EQ(s->origin.session_id, "42");
  EXPECT_EQ(s->name, "");
  EXPECT_EQ(s->media[0].formats, (std::vector<std::string>{"0", "8"}));
  EXPECT_EQ(s->media[0].ptime(), 20u);
  EXPECT_EQ(s->direction(s->media[0]), Direction::kSendOnly);
  EXPECT_TRUE(s->media[1].formats.empty());
  std::string printed = print(*s);
  EXPECT_NE(printed.find("s= \r\n"), std::string::npos);  // RFC 8866 5.3's empty name
  auto again = parse(printed);
  ASSERT_TRUE(again.ok()) << again.error().reason;
  EXPECT_EQ(*again, *s);
}

TEST(SdpParser, KeepsABrokenOriginVerbatim) {
  // Asterisk glues the username to the session id; a Cisco SIPUA writes "(null)".
  for (const char* origin :
       {"o=-1307081803 2 IN IP4 172.17.2.10", "o=Cisco-SIPUA (null) (null) IN IP4 192.168.1.100"}) {
    std::string text = std::string("v=0\r\n") + origin + "\r\ns=-\r\nt=0 0\r\n";
    auto s = parse(text);
    ASSERT_TRUE(s.ok()) << s.error().reason;
    EXPECT_EQ(s->origin.verbatim, std::string(origin).substr(2));
    EXPECT_EQ(print(*s), text);
  }
}

TEST(SdpParser, TypedAttributes) {
  std::string text =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\na=sendonly\r\n"
      "m=audio 5004 RTP/AVP 111 9 0 101\r\n"
      "a=rtpmap:111 opus/48000/2\r\n"
      "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=ptime:20\r\n"
      "a=maxptime:60\r\n"
      "a=rtcp:53020 IN IP4 126.16.64.4\r\n"
      "a=rtcp-mux\r\n"
      "a=inactive\r\n"
      "a=candidate:1 1 UDP 2130706431 192.0.2.1 5004 typ host\r\n"
      "a=ice-ufrag:8hhY\r\n"
      "a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
      "a=fingerprint:sha-256 19:E2:1C:3B\r\n"
      "a=setup:actpass\r\n";
  auto s = parse(text);
  ASSERT_TRUE(s.ok()) << s.error().reason;
  const Media& m = s->media[0];
  EXPECT_EQ(m.payload_types(), (std::vector<int>{111, 9, 0, 101}));
  EXPECT_EQ(m.rtpmap(111), (Rtpmap{111, "opus", 48000, 2}));
  EXPECT_EQ(m.rtpmap(9), (Rtpmap{9, "G722", 8000, 1}));  // static: RFC 3551 table
  EXPECT_EQ(m.rtpmap(0), (Rtpmap{0, "PCMU", 8000, 1}));
  EXPECT_FALSE(m.rtpmap(96));  // dynamic without rtpmap: unknown
  EXPECT_EQ(m.fmtp(111), "minptime=10;useinbandfec=1");
  EXPECT_EQ(m.fmtp(101), "0-16");
  EXPECT_FALSE(m.fmtp(9));
  EXPECT_EQ(m.ptime(), 20u);
  EXPECT_EQ(m.maxptime(), 60u);
  ASSERT_TRUE(m.rtcp());
  EXPECT_EQ(m.rtcp()->port, 53020);
  EXPECT_EQ(m.rtcp()->connection->address, "126.16.64.4");
  EXPECT_TRUE(m.rtcp_mux());
  EXPECT_EQ(s->direction(m), Direction::kInactive);  // media level overrides session level
  EXPECT_EQ(m.attributes.value("ice-ufrag"), "8hhY");
  EXPECT_EQ(m.attributes.value("fingerprint"), "sha-256 19:E2:1C:3B");
  EXPECT_EQ(m.attributes.value("candidate"), "1 1 UDP 2130706431 192.0.2.1 5004 typ host");
  EXPECT_EQ(print(*s), text);
}

TEST(SdpParser, MulticastConnectionForms) {
  auto c = [](const std::string& line) {
    return parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n" + line + "\r\nt=0 0\r\n");
  };
  auto v4 = c("c=IN IP4 233.252.0.1/127/3");
  ASSERT_TRUE(v4.ok()) << v4.error().reason;
  EXPECT_EQ(v4->connection->ttl, 127u);
  EXPECT_EQ(v4->connection->count, 3u);
  auto v6 = c("c=IN IP6 ff15::101/3");
  ASSERT_TRUE(v6.ok());
  EXPECT_FALSE(v6->connection->ttl);
  EXPECT_EQ(v6->connection->count, 3u);
  auto host = c("c=IN IP4 media.example.com");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->connection->address, "media.example.com");
  EXPECT_FALSE(c("c=IN IP4 233.252.0.1/300").ok());  // TTL is 0-255
  EXPECT_FALSE(c("c=IN IP6 ff15::101/3/2").ok());    // IP6 has no TTL
  EXPECT_FALSE(c("c=IN IP4 <From-IP>").ok());
  EXPECT_FALSE(c("c=IN IP4").ok());
  for (auto* text : {"c=IN IP4 233.252.0.1/127/3", "c=IN IP6 ff15::101/3"}) {
    auto s = c(text);
    EXPECT_NE(print(*s).find(std::string(text) + "\r\n"), std::string::npos) << text;
  }
}

struct Bad {
  const char* text;
  const char* reason;
};

class SdpParserErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(SdpParserErrors, SaysWhatAndWhere) {
  auto s = parse(GetParam().text);
  ASSERT_FALSE(s.ok()) << GetParam().text;
  EXPECT_EQ(s.error().reason, GetParam().reason);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
INSTANTIATE_TEST_SUITE_P(
    Cases, SdpParserErrors,
    ::testing::Values(
        Bad{"", "empty description (no v=0)"},
        Bad{"o=- 1 1 IN IP4 h\r\n", "line 1 (o=): the description must begin with v=0"},
        Bad{"v=1\r\n", "line 1 (v=): unsupported protocol version '1'"},
        Bad{"v=0\r\ns=-\r\nt=0 0\r\n", "no o= (origin) line"},
        Bad{"v=0\r\no=- 1 1 IN IP4 h\r\nt=0 0\r\n", "no s= (session name) line"},
        Bad{"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n", "no t= (timing) line"},
        Bad{HEAD "m=audio 70000 RTP/AVP 0\r\n", "line 5 (m=): bad port '70000'"},
        Bad{HEAD "m=audio 7x RTP/AVP 0\r\n", "line 5 (m=): bad port '7x'"},
        Bad{HEAD "m=audio 4000/0 RTP/AVP 0\r\n", "line 5 (m=): bad number of ports '4000/0'"},
        Bad{HEAD "m=audio 4000 RTP/AVP\r\n", "line 5 (m=): no formats"},
        Bad{HEAD "m=audio 4000 RTP/AVP 0 abc\r\n",
            "line 5 (m=): RTP format 'abc' is not a payload type 0-127"},
        Bad{HEAD "m=audio 4000 RTP/AVP 128\r\n",
            "line 5 (m=): RTP format '128' is not a payload type 0-127"},
        Bad{HEAD "m=audio 4000 /AVP 0\r\n", "line 5 (m=): bad transport protocol '/AVP'"},
        Bad{HEAD "m=audio 4000\r\n", "line 5 (m=): needs '<media> <port> <proto> <fmt> ...'"},
        Bad{"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n",
            "line 4 (m=): m= before the session's o=, s= and t= lines"},
        Bad{HEAD "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n",
            "line 6 (t=): only allowed at session level, before the first m="},
        Bad{HEAD "x=what\r\n", "line 5 (x=): unknown line type"},
        Bad{HEAD "a=:value\r\n", "line 5 (a=): bad attribute name ''"},
        Bad{HEAD "a=na me\r\n", "line 5 (a=): bad attribute name 'na me'"},
        Bad{HEAD "b=AS:lots\r\n", "line 5 (b=): bandwidth is not a number: 'lots'"},
        Bad{HEAD "b=AS\r\n", "line 5 (b=): needs '<bwtype>:<bandwidth>'"},
        Bad{"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=now 0\r\n",
            "line 4 (t=): times are not numbers: 'now 0'"},
        Bad{"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nr=1 2 3\r\nt=0 0\r\n",
            "line 4 (r=): r= before any t="},
        Bad{HEAD "s=again\r\n", "line 5 (s=): appears twice at session level"},
        Bad{HEAD "c=IN IP4 a\r\nc=IN IP4 b\r\n", "line 6 (c=): appears twice at session level"},
        Bad{HEAD "v=0\r\n", "line 5 (v=): v= appears twice"},
        Bad{HEAD "i=x\rz\r\n", "line 5: a CR inside the line"},
        Bad{HEAD " a=x\r\n", "line 5: not a '<type>=<value>' line: ' a=x'"},
        Bad{HEAD "m =video 0 RTP/AVP 0\r\n",
            "line 5: not a '<type>=<value>' line: 'm =video 0 RTP/AVP 0'"}));
#undef HEAD

TEST(SdpParser, RefusesNulAndBoundsItsInput) {
  std::string nul = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\na=x\0y\r\n";
  nul.insert(nul.find("a=x") + 3, 1, '\0');
  EXPECT_EQ(parse(nul).error().reason, "the description contains a NUL byte");
  std::string big = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n";
  big += "a=" + std::string(70000, 'x') + "\r\n";
  EXPECT_EQ(parse(big).error().reason, "the description is " + std::to_string(big.size()) +
                                           " bytes, over the 65536-byte limit");
  std::string many = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n";
  for (int i = 0; i < 65; ++i)
    many += "m=audio 0 RTP/AVP 0\r\n";
  EXPECT_EQ(parse(many).error().reason, "line 69 (m=): more than 64 media descriptions");
  std::string formats = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP";
  for (int i = 0; i < 129; ++i)
    formats += " 0";
  EXPECT_EQ(parse(formats).error().reason, "line 5 (m=): more than 128 formats");
  ParserLimits small;
  small.max_lines = 3;
  EXPECT_EQ(parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n", small).error().reason,
            "line 4: more than 3 lines");
}

TEST(SdpParser, DirectionAttributesAreEdited) {
  Attributes a;
  a.add("rtpmap", "0 PCMU/8000");
  a.add("sendonly");
  a.set_direction(Direction::kInactive);
  EXPECT_EQ(a.direction(), Direction::kInactive);
  EXPECT_EQ(a.list.size(), 2u);
  EXPECT_TRUE(sends(Direction::kSendOnly));
  EXPECT_FALSE(receives(Direction::kSendOnly));
  EXPECT_EQ(to_string(Direction::kRecvOnly), "recvonly");
}

}  // namespace
}  // namespace lanline::sdp
