// Link-local URIs: the zone goes to the socket, the rest to the request (RFC 6874).
#include <gtest/gtest.h>

#include "core/scoped_address.hpp"

namespace lanline::core {
namespace {

TEST(ScopedAddress, SplitsAnEscapedZone) {
  auto scoped = split_zone("sip:alice@[fe80::1%25eth0]:5060");
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->uri, "sip:alice@[fe80::1]:5060");
  EXPECT_EQ(scoped->zone, "eth0");
}

TEST(ScopedAddress, SplitsABareZone) {
  auto scoped = split_zone("sip:[fe80::1%eth1]");
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->uri, "sip:[fe80::1]");
  EXPECT_EQ(scoped->zone, "eth1");
}

TEST(ScopedAddress, LeavesOtherUrisAlone) {
  EXPECT_FALSE(split_zone("sip:alice@198.18.0.1:5060"));
  EXPECT_FALSE(split_zone("sip:alice@[2001:db8::1]:5060"));
  EXPECT_FALSE(split_zone("sip:al%20ice@[2001:db8::1]"));      // an escape outside the brackets
  EXPECT_FALSE(split_zone("sip:alice@[fe80::1%]"));            // no zone
  EXPECT_FALSE(split_zone("sip:alice@[fe80::1%25eth0;x=y]"));  // not an interface name
  EXPECT_FALSE(split_zone("sip:alice@[fe80::1%25eth0"));       // unclosed
}

TEST(ScopedAddress, ALinkLocalContactTakesTheZoneItCameBy) {
  EXPECT_EQ(with_zone_of("fe80::a", "fe80::a%eth0"), "fe80::a%eth0");
  EXPECT_EQ(with_zone_of("FEBF::1", "fe80::9%3"), "FEBF::1%3");
  EXPECT_EQ(with_zone_of("fe80::a%eth1", "fe80::a%eth0"), "fe80::a%eth1");  // its own zone
  EXPECT_EQ(with_zone_of("fe80::a", "fe80::a"), "fe80::a");                 // none known
  EXPECT_EQ(with_zone_of("fec0::1", "fe80::a%eth0"), "fec0::1");            // not link-local
  EXPECT_EQ(with_zone_of("2001:db8::1", "fe80::a%eth0"), "2001:db8::1");
  EXPECT_EQ(with_zone_of("198.18.0.1", "fe80::a%eth0"), "198.18.0.1");
  EXPECT_EQ(with_zone_of("fe8::1", "fe80::a%eth0"), "fe8::1");  // a short first group
}

}  // namespace
}  // namespace lanline::core
