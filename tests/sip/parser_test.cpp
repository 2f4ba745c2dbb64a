// The message parser, printer and stream framer on hand-written messages; the external
// corpora are in tests/corpus.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sip/framer.hpp"
#include "sip/parser.hpp"
#include "sip/printer.hpp"

namespace lanline::sip {
namespace {

// Builds a message from lines; "\n" in the text become CRLF.
std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const std::string kInvite = crlf(
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\n"
    "Via: SIP/2.0/TCP [2001:db8::9]:5062;branch=z9hG4bK1;received=192.0.2.1\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "From: \"Alice \\\"A\\\" Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>;expires=3600;q=0.7, sip:a2@192.0.2.8\n"
    "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n"
    "Allow: INVITE, ACK, CANCEL\n"
    "Allow: BYE, MESSAGE\n"
    "k: replaces, 100rel\n"
    "Require: timer\n"
    "Expires: 120\n"
    "Event: presence;id=7\n"
    "User-Agent: Lanline/0.1 (test)\n"
    "X-Custom: \"a, b\" <c,d>, e\n"
    "c: application/sdp;charset=utf-8\n"
    "l: 5\n"
    "\n"
    "v=0\n");

Message must_parse(std::string_view text, Framing framing = Framing::kDatagram) {
  auto message = parse_message(text, framing);
  EXPECT_TRUE(message.ok()) << (message.ok() ? "" : message.error().reason);
  if (!message.ok()) return Message{};
  return std::move(message).value();
}

TEST(Parser, RequestWithEveryTypedHeader) {
  Message m = must_parse(kInvite);
  ASSERT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.request_uri().user, "bob");
  ASSERT_EQ(m.via().size(), 2u);
  EXPECT_EQ(m.via()[0].transport, "UDP");
  EXPECT_EQ(m.via()[0].branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(m.via()[0].has_rport);
  EXPECT_EQ(m.via()[0].rport, -1);
  EXPECT_EQ(m.via()[1].host, "[2001:db8::9]");
  EXPECT_EQ(m.via()[1].host_kind, HostKind::kIPv6);
  EXPECT_EQ(m.via()[1].port, 5062);
  EXPECT_EQ(m.via()[1].received, "192.0.2.1");
  EXPECT_EQ(m.max_forwards(), 70);
  EXPECT_EQ(m.to().display_name, "Bob");
  EXPECT_TRUE(m.to().tag.empty());
  EXPECT_EQ(m.from().display_name_text(), "Alice \"A\" Liddell");
  EXPECT_EQ(m.from().tag, "1928301774");
  EXPECT_EQ(m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq().number, 314159u);
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  ASSERT_EQ(m.contact().contacts.size(), 2u);
  EXPECT_EQ(m.contact().contacts[0].expires, 3600u);
  EXPECT_EQ(m.contact().contacts[0].q, 700);
  EXPECT_FALSE(m.contact().contacts[1].bracketed);
  EXPECT_EQ(m.contact().contacts[1].uri.host, "192.0.2.8");
  ASSERT_EQ(m.record_route().size(), 2u);
  EXPECT_TRUE(m.record_route()[1].uri.params.has("lr"));
  EXPECT_TRUE(m.allow().contains("MESSAGE"));  // from the second Allow line
  EXPECT_FALSE(m.allow().contains("message"));
  EXPECT_EQ(m.allow().items().size(), 5u);
  EXPECT_TRUE(m.supported().contains_nocase("100REL"));
  EXPECT_TRUE(m.require().contains("timer"));
  EXPECT_EQ(m.expires(), 120u);
  ASSERT_TRUE(m.event());
  EXPECT_EQ(m.event()->package, "presence");
  EXPECT_EQ(m.event()->id, "7");
  EXPECT_EQ(m.user_agent(), "Lanline/0.1 (test)");
  ASSERT_TRUE(m.content_type());
  EXPECT_EQ(m.content_type()->subtype, "sdp");
  EXPECT_EQ(m.content_type()->params.find("charset")->value, "utf-8");
  EXPECT_EQ(m.content_length(), 5u);
  EXPECT_EQ(m.body(), "v=0\r\n");
  EXPECT_EQ(m.header("x-custom"), "\"a, b\" <c,d>, e");
  EXPECT_EQ(split_comma_values(*m.header("X-Custom")).size(), 2u);
  EXPECT_EQ(m.header_values("allow").size(), 2u);
  EXPECT_EQ(m.header("l"), "5");  // compact and full names find each other
  EXPECT_TRUE(m.header_errors().empty());
}

TEST(Parser, ResponseStatusLine) {
  Message m = must_parse(
      crlf("SIP/2.0 180 Ringing\n"
           "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx;received=192.0.2.9;rport=6000\n"
           "To: <sip:b@example.com>;tag=8321234356\n"
           "From: <sip:a@example.com>;tag=9fxced76sl\n"
           "Call-ID: 3848276298220188511@example.com\n"
           "CSeq: 1 INVITE\n"
           "Content-Length: 0\n\n"));
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status_code(), 180);
  EXPECT_EQ(m.reason(), "Ringing");
  EXPECT_EQ(m.via()[0].rport, 6000);
}

TEST(Parser, FoldingCompactFormsAndOddSpacing) {
  Message m =
      must_parse(crlf("OPTIONS sip:x@example.com SIP/2.0\n"
                      "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n"
                      "  branch  =   z9hG4bK9ikj8  ,\n"
                      " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n"
                      " z9hG4bK30239\n"
                      "t :\n sip:x@example.com ;   tag    = 1918181833n\n"
                      "f: <sip:y@example.com>;tag=1\n"
                      "i: fold\n"
                      "cseq: 0009\n  OPTIONS\n"
                      "MaX-fOrWaRdS: 0068\n"
                      "l: 0\n\n"));
  ASSERT_EQ(m.via().size(), 2u);
  EXPECT_EQ(m.via()[0].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(m.via()[1].branch, "z9hG4bK30239");
  EXPECT_EQ(m.to().tag, "1918181833n");
  EXPECT_EQ(m.cseq().number, 9u);
  EXPECT_EQ(m.max_forwards(), 68);
}

TEST(Parser, ContactStar) {
  std::string text = crlf(
      "REGISTER sip:example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\n"
      "To: <sip:u@example.com>\nFrom: <sip:u@example.com>;tag=1\n"
      "Call-ID: r1\nCSeq: 2 REGISTER\nContact: *\nExpires: 0\nContent-Length: 0\n\n");
  Message m = must_parse(text);
  EXPECT_TRUE(m.contact().star);
  EXPECT_EQ(m.expires(), 0u);
}

TEST(Parser, ErrorsSayWhatWasWrong) {
  struct Case {
    std::string text;
    ParseErrorCode code;
    std::string reason_has;
  };
  const std::string head =
      "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\n"
      "To: <sip:u@example.com>\nFrom: <sip:u@example.com>;tag=1\nCall-ID: c1\n";
  const Case cases[] = {
      {"INVITE sip:a@b SIP/3.0\n" + head + "CSeq: 1 INVITE\n\n",
       ParseErrorCode::kUnsupportedVersion, "3.0"},
      {"INVITE  sip:a@b SIP/2.0\n" + head + "CSeq: 1 INVITE\n\n", ParseErrorCode::kMalformed, "SP"},
      {"INVITE sip:a@b SIP/2.0\n" + head + "\n", ParseErrorCode::kMissingHeader, "CSeq"},
      {"OPTIONS sip:a@b SIP/2.0\n" + head + "CSeq: 1 INVITE\n\n", ParseErrorCode::kMethodMismatch,
       "OPTIONS"},
      {"INVITE sip:a@b SIP/2.0\n" + head + "CSeq: 1 INVITE\nCall-ID: c2\n\n",
       ParseErrorCode::kDuplicateHeader, "Call-ID"},
      {"INVITE sip:a@b SIP/2.0\n" + head + "CSeq: 1 INVITE\nContent-Length: 10\n\nshort",
       ParseErrorCode::kBadContentLength, "10"},
      {"INVITE sip:a@b SIP/2.0\n" + head + "CSeq: 1 INVITE\nMax-Forwards: 256\n\n",
       ParseErrorCode::kMalformed, "Max-Forwards"},
      {"INVITE sip:a@b SIP/2.0\n" + head + "CSeq: 1 INVITE\nNo colon here\n\n",
       ParseErrorCode::kMalformed, "':'"},
      {"SIP/2.0 99 Odd\n" + head + "CSeq: 1 INVITE\n\n", ParseErrorCode::kMalformed, "99"},
      {"", ParseErrorCode::kMalformed, "empty"},
  };
  for (const Case& c : cases) {
    auto result = parse_message(crlf(c.text));
    ASSERT_FALSE(result.ok()) << c.text;
    EXPECT_EQ(result.error().code, c.code) << result.error().reason;
    EXPECT_NE(result.error().reason.find(c.reason_has), std::string::npos)
        << "reason: " << result.error().reason;
  }
  EXPECT_EQ(parse_message(crlf("INVITE sip:a@b SIP/3.0\n")).error().status_code(), 505);
}

TEST(Parser, SizeBounds) {
  ParserLimits limits;
  limits.max_message_size = 100;
  auto big = parse_message(kInvite, Framing::kDatagram, limits);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ParseErrorCode::kTooLarge);
  EXPECT_EQ(big.error().status_code(), 513);
  limits = ParserLimits{};
  limits.max_header_count = 5;
  EXPECT_EQ(parse_message(kInvite, Framing::kDatagram, limits).error().code,
            ParseErrorCode::kTooLarge);
}

TEST(Parser, UnreadableOptionalHeaderIsKeptAndReported) {
  std::string text = crlf(
      "SIP/2.0 200 OK\n"
      "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\n"
      "To: <sip:u@example.com>;tag=2\nFrom: <sip:u@example.com>;tag=1\n"
      "Call-ID: c1\nCSeq: 1 INVITE\nContact: sip: 172.17.2.2:5060\nContent-Length: 0\n\n");
  Message m = must_parse(text);
  EXPECT_TRUE(m.contact().contacts.empty());
  ASSERT_EQ(m.header_errors().size(), 1u);
  EXPECT_EQ(m.header_errors()[0].id, HeaderId::kContact);
  EXPECT_EQ(m.header("Contact"), "sip: 172.17.2.2:5060");
}

TEST(Printer, RoundTripIsEqualAndUsesFullNames) {
  Message m = must_parse(kInvite);
  std::string printed = print_message(m);
  EXPECT_NE(printed.find("\r\nContent-Type: application/sdp;charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(printed.find("\r\nSupported: replaces, 100rel\r\n"), std::string::npos);
  EXPECT_NE(printed.find("\r\nContent-Length: 5\r\n\r\nv=0\r\n"), std::string::npos);
  Message again = must_parse(printed);
  EXPECT_TRUE(again == m);
  EXPECT_EQ(print_message(again), printed);
}

TEST(Printer, UnfoldsLinesAndAddsContentLength) {
  std::string text = crlf(
      "OPTIONS sip:x@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP h.example.com\n ;branch=z9hG4bKa\n"
      "To: <sip:u@example.com>\nFrom: <sip:u@example.com>;tag=1\n"
      "Call-ID: c1\nCSeq: 1 OPTIONS\n\nbody");  // no Content-Length: a datagram's rest
  Message m = must_parse(text);
  EXPECT_EQ(m.body(), "body");
  std::string printed = print_message(m);
  EXPECT_NE(printed.find("Via: SIP/2.0/UDP h.example.com ;branch=z9hG4bKa\r\n"), std::string::npos);
  EXPECT_NE(printed.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_TRUE(must_parse(printed) == m);
}

TEST(Equality, DetectsDifferences) {
  Message a = must_parse(kInvite);
  std::string changed = kInvite;
  changed.replace(changed.find("314159"), 6, "314160");
  EXPECT_FALSE(must_parse(changed) == a);
  changed = kInvite;
  changed.replace(changed.find("v=0"), 3, "v=1");
  EXPECT_FALSE(must_parse(changed) == a);
}

// ---- StreamFramer ----

std::vector<std::string> drain(StreamFramer& framer) {
  std::vector<std::string> out;
  while (true) {
    auto next = framer.next();
    EXPECT_TRUE(next.ok()) << (next.ok() ? "" : next.error().reason);
    if (!next.ok() || !next.value()) break;
    out.push_back(std::move(*next.value()));
  }
  return out;
}

TEST(StreamFramer, PipelinedMessagesAndKeepalives) {
  StreamFramer framer;
  framer.feed("\r\n\r\n" + kInvite + kInvite + "\r\n");
  auto messages = drain(framer);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], kInvite);
  EXPECT_TRUE(must_parse(messages[1], Framing::kStream) == must_parse(kInvite));
  EXPECT_EQ(framer.keepalives(), 3u);
}

TEST(StreamFramer, ByteByByteAndRandomChunks) {
  std::string stream;
  for (int i = 0; i < 20; ++i)
    stream += kInvite;
  std::mt19937 random(42);
  for (int chunk_max : {1, 7, 300}) {
    StreamFramer framer;
    std::vector<std::string> got;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      std::size_t n = std::min<std::size_t>(1 + random() % chunk_max, stream.size() - pos);
      framer.feed(std::string_view(stream).substr(pos, n));
      pos += n;
      for (auto& m : drain(framer))
        got.push_back(std::move(m));
    }
    ASSERT_EQ(got.size(), 20u) << "chunks up to " << chunk_max;
    for (const auto& m : got)
      EXPECT_EQ(m, kInvite);
    EXPECT_EQ(framer.buffered(), 0u);
  }
}

TEST(StreamFramer, BadLengthsBreakTheStream) {
  StreamFramer negative;
  negative.feed("INVITE sip:a@b SIP/2.0\r\nContent-Length: -5\r\n\r\n");
  ASSERT_FALSE(negative.next().ok());
  StreamFramer conflicting;
  conflicting.feed("INVITE sip:a@b SIP/2.0\r\nl: 5\r\nContent-Length: 6\r\n\r\n");
  ASSERT_FALSE(conflicting.next().ok());
  ParserLimits limits;
  limits.max_message_size = 200;
  StreamFramer huge(limits);
  huge.feed("INVITE sip:a@b SIP/2.0\r\nContent-Length: 100000\r\n\r\n");
  ASSERT_FALSE(huge.next().ok());
  EXPECT_EQ(huge.next().error().code, ParseErrorCode::kTooLarge);
  StreamFramer endless(limits);
  endless.feed(std::string(300, 'a'));
  ASSERT_FALSE(endless.next().ok());
}

TEST(StreamFramer, WaitsForTheBody) {
  StreamFramer framer;
  std::string head = kInvite.substr(0, kInvite.size() - 2);
  framer.feed(head);
  auto first = framer.next();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first.value().has_value());
  framer.feed(kInvite.substr(head.size()));
  auto second = framer.next();
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second.value().has_value());
  EXPECT_EQ(*second.value(), kInvite);
}

}  // namespace
}  // namespace lanline::sip
