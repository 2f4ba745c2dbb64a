// The sockets of one stream for plain SIP peers: one UDP socket for RTP and one for RTCP
// (RTP port even, RTCP the next one, RFC 3550 11), bound before the offer or answer is
// written and kept for the call's life. Each pipeline's UdpMediaTransport receives and
// sends on these very sockets, so RTP is symmetric (RFC 4961): the peer sees our packets
// come from the port it sends to. ICE brings its own through another MediaTransport.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <memory>
#include <string>

#include "glib_support/handles.hpp"

namespace lanline::media {

struct PortRange {
  std::uint16_t first = 20000;
  std::uint16_t last = 29999;
};

class UdpTransport {
 public:
  // Binds the wildcard address of the family (`ipv6` or IPv4) on an even port of the
  // range and the one after it. Starts at a random place in the range, so nodes on one
  // host rarely collide. nullptr with `error` when no pair is free.
  static std::unique_ptr<UdpTransport> bind(bool ipv6, PortRange range, std::string& error);
  // Binds exactly `rtp` and `rtcp` (two different ports): where an ICE agent's default
  // candidate was, when the peer turned out not to do ICE and sends to c=/m= and a=rtcp.
  static std::unique_ptr<UdpTransport> bind_ports(bool ipv6, std::uint16_t rtp, std::uint16_t rtcp,
                                                  std::string& error);

  GSocket* rtp_socket() const { return rtp_.get(); }
  GSocket* rtcp_socket() const { return rtcp_.get(); }
  std::uint16_t rtp_port() const { return rtp_port_; }
  std::uint16_t rtcp_port() const { return rtcp_port_; }
  bool ipv6() const { return ipv6_; }

 private:
  UdpTransport() = default;
  glib::GObjectPtr<GSocket> rtp_;
  glib::GObjectPtr<GSocket> rtcp_;
  std::uint16_t rtp_port_ = 0;
  std::uint16_t rtcp_port_ = 0;
  bool ipv6_ = false;
};

}  // namespace lanline::media
