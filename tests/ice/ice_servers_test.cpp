// --stun and --turn as a user writes them, read into what the ICE agent takes, and the
// mistakes a user makes told back with what to write instead.
#include <gtest/gtest.h>

#include "ice/ice_servers.hpp"

namespace lanline::ice {
namespace {

TEST(IceServers, StunHostAndPort) {
  auto v4 = parse_stun_server("192.0.2.1:3479");
  ASSERT_TRUE(v4) << v4.error();
  EXPECT_EQ(v4->host, "192.0.2.1");
  EXPECT_EQ(v4->port, 3479);
  auto v6 = parse_stun_server("[2001:db8::1]:19302");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 19302);
  auto name = parse_stun_server("stun.example.org");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->port, 3478);
  EXPECT_FALSE(is_ip_literal(name->host));
  EXPECT_TRUE(is_ip_literal(v6->host));
  for (const char* bad : {"", ":3478", "host:0", "host:70000", "host:x", "[2001:db8::1"}) {
    EXPECT_FALSE(parse_stun_server(bad)) << bad;
  }
}

TEST(IceServers, TurnUri) {
  auto udp = parse_turn_uri("turn:alice:s%40cret@192.0.2.9:3478?transport=udp");
  ASSERT_TRUE(udp) << udp.error();
  EXPECT_EQ(udp->user, "alice");
  EXPECT_EQ(udp->password, "s@cret");
  EXPECT_EQ(udp->host, "192.0.2.9");
  EXPECT_EQ(udp->port, 3478);
  EXPECT_FALSE(udp->tcp);
  auto tcp = parse_turn_uri("turn:bob:pw@[2001:db8::9]:443?transport=tcp");
  ASSERT_TRUE(tcp) << tcp.error();
  EXPECT_TRUE(tcp->tcp);
  EXPECT_EQ(tcp->host, "2001:db8::9");
  EXPECT_EQ(tcp->port, 443);
  auto plain = parse_turn_uri("turn:carol:pw@turn.example.org");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->port, 3478);
}

TEST(IceServers, TurnMistakesSayWhatToWrite) {
  auto no_credentials = parse_turn_uri("turn:192.0.2.9:3478");
  ASSERT_FALSE(no_credentials);
  EXPECT_NE(no_credentials.error().find("USER:PASSWORD@"), std::string::npos);
  auto no_password = parse_turn_uri("turn:alice@192.0.2.9");
  ASSERT_FALSE(no_password);
  EXPECT_NE(no_password.error().find("password"), std::string::npos);
  auto tls = parse_turn_uri("turns:alice:pw@192.0.2.9:5349");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().find("not supported"), std::string::npos);
  EXPECT_FALSE(parse_turn_uri("turn:alice:pw@192.0.2.9?transport=sctp"));
  EXPECT_FALSE(parse_turn_uri("stun:192.0.2.9"));
}

}  // namespace
}  // namespace lanline::ice
