// Text addresses of sip::Endpoint to GIO socket addresses and back. No traffic.
#include "net/socket_address.hpp"

#include <gtest/gtest.h>

namespace lanline::net {
namespace {

sip::Endpoint round_trip(std::string_view address, std::uint16_t port) {
  glib::GObjectPtr<GSocketAddress> socket = socket_address(address, port);
  if (!socket) return {};
  return endpoint_of(socket.get(), sip::TransportKind::kUdp);
}

TEST(SocketAddress, Ipv4AndIpv6LiteralsRoundTrip) {
  EXPECT_EQ(round_trip("127.0.0.1", 5060).address, "127.0.0.1");
  EXPECT_EQ(round_trip("127.0.0.1", 5060).port, 5060);
  EXPECT_EQ(round_trip("::1", 5062).address, "::1");
  EXPECT_EQ(round_trip("[::1]", 5062).address, "::1");         // brackets tolerated
  EXPECT_EQ(round_trip("0:0:0:0:0:0:0:1", 1).address, "::1");  // one spelling
}

TEST(SocketAddress, LinkLocalKeepsItsInterface) {
  // "lo" exists everywhere; the scope is what matters here, not the address.
  sip::Endpoint endpoint = round_trip("fe80::1%lo", 5060);
  EXPECT_EQ(endpoint.address, "fe80::1%lo");
  EXPECT_EQ(endpoint.port, 5060);
}

TEST(SocketAddress, NamesAndJunkAreNotAddresses) {
  EXPECT_FALSE(socket_address("example.com", 5060));
  EXPECT_FALSE(socket_address("127.1", 5060));  // inet_aton shorthand
  EXPECT_FALSE(socket_address("", 5060));
  EXPECT_FALSE(socket_address("[]", 5060));
  EXPECT_FALSE(socket_address(std::string_view("127.0.0.1\0x", 11), 5060));
  EXPECT_FALSE(socket_address("::1%nosuchinterface0", 5060));
}

TEST(SocketAddress, PeerKeyIsOneSpellingPerAddressAndPort) {
  glib::GObjectPtr<GSocketAddress> a = socket_address("::1", 5060);
  glib::GObjectPtr<GSocketAddress> b = socket_address("0::1", 5060);
  EXPECT_EQ(peer_key(a.get()), peer_key(b.get()));
  EXPECT_EQ(peer_key(a.get()), "[::1]:5060");
}

}  // namespace
}  // namespace lanline::net
