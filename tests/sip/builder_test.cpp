// The builders write a message once: the Message they return reads like a received one
// and sends the bytes they wrote; an input that would put an unreadable message on the
// wire is an error instead.
#include <gtest/gtest.h>

#include "sip/builder.hpp"
#include "sip/dialog.hpp"
#include "sip/parser.hpp"

namespace lanline::sip {
namespace {

LocalContact alice() {
  LocalContact local;
  local.user = "alice";
  local.host = "198.18.0.1";
  return local;
}

RequestSpec invite_spec() {
  RequestSpec spec;
  spec.method = "INVITE";
  spec.request_uri = "sip:bob@198.18.0.2";
  spec.from = "\"Alice\" <sip:alice@198.18.0.1:5060>;tag=a1";
  spec.to = "<sip:bob@198.18.0.2>";
  spec.call_id = "c1@198.18.0.1";
  spec.content_type = "application/sdp";
  spec.body = "v=0\r\n";
  return spec;
}

TEST(Builder, RequestIsAMessageOfTheBytesItWrote) {
  auto invite = build_request(alice(), invite_spec());
  ASSERT_TRUE(invite.ok()) << invite.error().reason;
  EXPECT_EQ(invite->method(), Method::kInvite);
  EXPECT_EQ(invite->from().tag, "a1");
  EXPECT_EQ(invite->from().display_name_text(), "Alice");
  EXPECT_EQ(invite->cseq().number, 1u);
  EXPECT_EQ(invite->body(), "v=0\r\n");
  ASSERT_EQ(invite->contact().contacts.size(), 1u);
  EXPECT_EQ(invite->contact().contacts[0].uri.text, "sip:alice@198.18.0.1:5060");
  // What a peer receives is what the Message holds.
  auto received = parse_message(invite->text());
  ASSERT_TRUE(received.ok());
  EXPECT_TRUE(*received == *invite);
}

TEST(Builder, ResponseAndCancelFollowTheirRequest) {
  auto invite = build_request(alice(), invite_spec());
  ASSERT_TRUE(invite.ok());
  ResponseSpec spec;
  spec.code = 180;
  spec.to_tag = "b1";
  auto ringing = build_response(*invite, spec);
  ASSERT_TRUE(ringing.ok()) << ringing.error().reason;
  EXPECT_EQ(ringing->status_code(), 180);
  EXPECT_EQ(ringing->reason(), "Ringing");
  EXPECT_EQ(ringing->to().tag, "b1");
  EXPECT_EQ(ringing->via()[0].branch, invite->via()[0].branch);
  auto cancel = build_cancel(*invite);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->method(), Method::kCancel);
  EXPECT_EQ(cancel->cseq().number, invite->cseq().number);
  EXPECT_EQ(cancel->via()[0].branch, invite->via()[0].branch);
}

TEST(Builder, AnInputThatWouldNotParseIsAnError) {
  RequestSpec spec = invite_spec();
  spec.from = "\"Al\"ice\" <sip:alice@198.18.0.1:5060>;tag=a1";  // a stray quote
  auto invite = build_request(alice(), spec);
  ASSERT_FALSE(invite.ok());
  EXPECT_NE(invite.error().reason.find("From"), std::string::npos) << invite.error().reason;
}

}  // namespace
}  // namespace lanline::sip

namespace lanline::sip {
namespace {

// --- Where a URI's requests go (RFC 3263 4.2, RFC 5630) --------------------------------

Endpoint endpoint_of(std::string_view text) {
  auto uri = parse_uri(text);
  EXPECT_TRUE(uri.ok()) << text;
  auto endpoint = uri.ok() ? endpoint_for(uri.value()) : std::nullopt;
  EXPECT_TRUE(endpoint.has_value()) << text;
  return endpoint.value_or(Endpoint{});
}

TEST(EndpointFor, TransportAndDefaultPortFollowTheUri) {
  EXPECT_EQ(endpoint_of("sip:bob@198.18.0.2"), (Endpoint{"198.18.0.2", 5060, TransportKind::kUdp}));
  EXPECT_EQ(endpoint_of("sip:bob@198.18.0.2;transport=TCP"),
            (Endpoint{"198.18.0.2", 5060, TransportKind::kTcp}));
  // TLS defaults to 5061, whether asked for by the parameter or by the sips scheme.
  EXPECT_EQ(endpoint_of("sip:bob@198.18.0.2;transport=tls"),
            (Endpoint{"198.18.0.2", 5061, TransportKind::kTls}));
  EXPECT_EQ(endpoint_of("sips:bob@[2001:db8::2]"),
            (Endpoint{"2001:db8::2", 5061, TransportKind::kTls}));
  // RFC 5630 3.1.3: sips is TLS whatever the transport parameter says.
  EXPECT_EQ(endpoint_of("sips:bob@198.18.0.2:5071;transport=tcp"),
            (Endpoint{"198.18.0.2", 5071, TransportKind::kTls}));
  EXPECT_EQ(endpoint_of("sip:bob@198.18.0.2:5070;transport=sctp"),
            (Endpoint{"198.18.0.2", 5070, TransportKind::kUdp}));
}

TEST(EndpointFor, TransportNamesAndText) {
  EXPECT_EQ(transport_named("TLS"), TransportKind::kTls);
  EXPECT_EQ(transport_named("tcp"), TransportKind::kTcp);
  EXPECT_EQ(transport_named("Udp"), TransportKind::kUdp);
  EXPECT_EQ(transport_named("ws"), std::nullopt);
  EXPECT_EQ(to_string(Endpoint{"::1", 5061, TransportKind::kTls}), "tls:[::1]:5061");
  EXPECT_TRUE((Endpoint{"::1", 5061, TransportKind::kTls}).reliable());
}

TEST(Builder, ViaAndContactOverTls) {
  LocalContact local = alice();
  local.transport = TransportKind::kTls;
  local.port = 5061;
  EXPECT_EQ(local.contact(), "<sip:alice@198.18.0.1:5061;transport=tls>");
  auto invite = build_request(local, invite_spec());
  ASSERT_TRUE(invite.ok()) << invite.error().reason;
  EXPECT_NE(std::string(invite->text()).find("Via: SIP/2.0/TLS 198.18.0.1:5061;"),
            std::string::npos);
}

}  // namespace
}  // namespace lanline::sip
