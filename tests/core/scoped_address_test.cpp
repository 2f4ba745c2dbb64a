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

}  // namespace
}  // namespace lanline::core
