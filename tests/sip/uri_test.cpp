// URI parsing, printing and RFC 3261 19.1.4 comparison.
#include <gtest/gtest.h>

#include <string>

#include "sip/uri.hpp"

namespace lanline::sip {
namespace {

Uri must_parse(std::string_view text) {
  auto uri = parse_uri(text);
  EXPECT_TRUE(uri.ok()) << text << ": " << (uri.ok() ? "" : uri.error().reason);
  return uri.ok() ? uri.value() : Uri{};
}

TEST(UriParse, SipUriComponents) {
  Uri uri = must_parse(
      "sip:alice:secretword@atlanta.com:5070;transport=tcp;lr?subject=project%20x&priority=urgent");
  EXPECT_EQ(uri.scheme, UriScheme::kSip);
  EXPECT_EQ(uri.user, "alice");
  EXPECT_EQ(uri.password, "secretword");
  EXPECT_EQ(uri.host, "atlanta.com");
  EXPECT_EQ(uri.host_kind, HostKind::kName);
  EXPECT_EQ(uri.port, 5070);
  ASSERT_TRUE(uri.params.find("transport"));
  EXPECT_EQ(uri.params.find("transport")->value, "tcp");
  EXPECT_TRUE(uri.params.has("lr"));
  EXPECT_FALSE(uri.params.find("lr")->has_value);
  EXPECT_EQ(uri.headers.find("subject")->value, "project%20x");
  EXPECT_EQ(uri.headers.size(), 2u);
}

TEST(UriParse, HostKindsAndPorts) {
  EXPECT_EQ(must_parse("sips:1212@gateway.com").scheme, UriScheme::kSips);
  EXPECT_EQ(must_parse("sip:192.0.2.4").host_kind, HostKind::kIPv4);
  Uri v6 = must_parse("sip:[2001:db8::10]:5070");
  EXPECT_EQ(v6.host_kind, HostKind::kIPv6);
  EXPECT_EQ(v6.host_address(), "2001:db8::10");
  EXPECT_EQ(v6.port, 5070);
  // RFC 5118 4.3: the whole bracket is the address; there is no port.
  Uri ambiguous = must_parse("sip:[2001:db8::10:5070]");
  EXPECT_EQ(ambiguous.port, -1);
  EXPECT_EQ(ambiguous.port_or_default(), 5060);
  EXPECT_EQ(must_parse("sips:example.com").port_or_default(), 5061);
  // RFC 5118 4.9 and 4.10: IPv4-mapped, and the 3261 ABNF's three-colon spelling.
  EXPECT_EQ(must_parse("sip:[::ffff:192.0.2.10]").host_kind, HostKind::kIPv6);
  EXPECT_EQ(must_parse("sip:[2001:db8::192.0.2.1]").host_kind, HostKind::kIPv6);
  EXPECT_EQ(must_parse("sip:[2001:db8:::192.0.2.1]").host_kind, HostKind::kIPv6);
  // Names with a numeric top label are sent by real phones.
  EXPECT_EQ(must_parse("sip:8219000@sip.194.213.29.100").host_kind, HostKind::kName);
}

TEST(UriParse, UserPartsWithUnusualCharacters) {
  // RFC 4475 3.1.1.9: the user part runs to the '@', semicolons and all.
  Uri semi = must_parse("sip:user;par=u%40example.net@example.com");
  EXPECT_EQ(semi.user, "user;par=u%40example.net");
  EXPECT_EQ(semi.host, "example.com");
  EXPECT_EQ(unescape(semi.user), "user;par=u@example.net");
  Uri escaped_null = must_parse("sip:null-%00-null@example.com");
  EXPECT_EQ(unescape(escaped_null.user).size(), 11u);  // %00 does not end the string
  Uri telephone = must_parse("sip:+1-212-555-1212:1234@gateway.com;user=phone");
  EXPECT_EQ(telephone.user, "+1-212-555-1212");
  EXPECT_EQ(telephone.password, "1234");
}

TEST(UriParse, TelAndOtherSchemes) {
  Uri tel = must_parse("tel:+1-201-555-0123;phone-context=example.com");
  EXPECT_EQ(tel.scheme, UriScheme::kTel);
  EXPECT_EQ(tel.user, "+1-201-555-0123");
  EXPECT_EQ(tel.params.find("phone-context")->value, "example.com");
  Uri other = must_parse("soap.beep://192.0.2.103:3002");
  EXPECT_EQ(other.scheme, UriScheme::kOther);
  EXPECT_EQ(other.scheme_text, "soap.beep");
  EXPECT_EQ(other.opaque, "//192.0.2.103:3002");
}

TEST(UriParse, RejectsMalformed) {
  for (std::string_view bad : {
           "",
           "sip:",
           "example.com",
           "sip:user@",
           "sip:@example.com",
           "sip:2001:db8::10",
           "sip:[2001:db8::10",
           "sip:[2001:db8:::::1]",
           "sip:host:99999",
           "sip:host:",
           "sip:a..b",
           "sip:-a.com",
           "sip:a-.com",
           "sip:300.1.1.1",
           "sip:user@host;",
           "sip:user@host;=x",
           "sip:user@host?",
           "sip:us%zzer@host",
           "sip:host name",
           "sip:user@host>",
           "tel:",
           "1sip:host",
       }) {
    auto uri = parse_uri(bad);
    EXPECT_FALSE(uri.ok()) << "accepted: '" << bad << "'";
    if (!uri.ok()) {
      EXPECT_FALSE(uri.error().reason.empty());
    }
  }
}

TEST(UriParse, ContextsDecideWhereTheUriEnds) {
  std::size_t used = 0;
  auto bracketed = parse_uri("sip:a@b.com;lr>;tag=1", UriContext::kBracketed, &used);
  ASSERT_TRUE(bracketed.ok());
  EXPECT_EQ(used, 14u);
  EXPECT_TRUE(bracketed->params.has("lr"));
  auto spec = parse_uri("sip:a@b.com;tag=1", UriContext::kAddrSpec, &used);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(used, 11u);  // parameters after an addr-spec belong to the header
  EXPECT_TRUE(spec->params.empty());
  auto request = parse_uri("sip:a@b.com?Route=x SIP/2.0", UriContext::kRequestUri, &used);
  EXPECT_FALSE(request.ok());  // RFC 3261 19.1.1: no headers in a Request-URI
}

TEST(UriPrint, PrintsAsWritten) {
  for (std::string_view text : {
           "sip:alice@atlanta.com",
           "sips:alice@[2001:db8::1]:5061;transport=tls",
           "sip:%61lice@atlanta.com;transport=TCP",
           "sip:carol@chicago.com?Subject=next%20meeting",
           "tel:+358-555-1234567;postd=pp22",
           "urn:service:sos",
           "sip:host.example.com.",
       }) {
    EXPECT_EQ(to_string(must_parse(text)), text);
  }
}

// The equal and unequal pairs that RFC 3261 19.1.4 lists.
TEST(UriCompare, Rfc3261Examples) {
  auto same = [](std::string_view a, std::string_view b) {
    return uri_equivalent(must_parse(a), must_parse(b));
  };
  EXPECT_TRUE(same("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  EXPECT_TRUE(same("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(same("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(same("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(same("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                   "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  EXPECT_TRUE(same("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                   "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));

  EXPECT_FALSE(same("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  EXPECT_FALSE(same("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  EXPECT_FALSE(same("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  EXPECT_FALSE(same("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  EXPECT_FALSE(same("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  EXPECT_FALSE(same("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
  EXPECT_FALSE(same("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
  EXPECT_FALSE(same("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
}

TEST(UriCompare, Ipv6AndTel) {
  auto same = [](std::string_view a, std::string_view b) {
    return uri_equivalent(must_parse(a), must_parse(b));
  };
  EXPECT_TRUE(same("sip:[2001:DB8::1]", "sip:[2001:db8:0:0:0:0:0:1]"));
  EXPECT_FALSE(same("sip:[2001:db8::1]", "sip:[2001:db8::2]"));
  EXPECT_TRUE(same("tel:+1-201-555-0123", "tel:+1(201)555.0123"));
  EXPECT_FALSE(same("tel:+1-201-555-0123", "tel:+1-201-555-0124"));
}

// RFC 3261 19.1.1 forbids a parameter name twice; a peer may still send one. The first
// occurrence counts, names compared unescaped, so a URI always equals itself (fuzz_uri
// found "p%41r" then "par=x" then "par=y" comparing unequal to itself).
TEST(UriCompare, ANameGivenTwiceCountsByItsFirstOccurrence) {
  auto same = [](std::string_view a, std::string_view b) {
    return uri_equivalent(must_parse(a), must_parse(b));
  };
  for (std::string_view uri :
       {"sip:a@h;p%41r;par=x;par=y", "sip:a@h;par=x;PAR=y;p%61r", "sip:a@h;lr;lr;lr",
        "sip:a@h;transport=tcp;%74ransport=udp", "tel:+1234;p%41r;par=x"}) {
    EXPECT_TRUE(same(uri, uri)) << uri;
  }
  EXPECT_TRUE(same("sip:a@h;par=x;par=y", "sip:a@h;par=x"));
  EXPECT_FALSE(same("sip:a@h;par=x;par=y", "sip:a@h;par=y"));
  EXPECT_TRUE(same("sip:a@h;%74ransport=tcp", "sip:a@h;transport=TCP"));
  EXPECT_FALSE(same("sip:a@h;%74ransport=tcp", "sip:a@h"));  // transport must match
}

TEST(Unescape, KeepsInvalidEscapes) {
  EXPECT_EQ(unescape("a%20b"), "a b");
  EXPECT_EQ(unescape("%Z%45"), "%ZE");
  EXPECT_EQ(unescape("100%"), "100%");
}

}  // namespace
}  // namespace lanline::sip
