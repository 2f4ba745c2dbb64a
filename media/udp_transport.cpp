#include "media/udp_transport.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <random>

namespace lanline::media {
namespace {

enum class BindResult { kBound, kInUse, kFailed };

BindResult bind_one(bool ipv6, std::uint16_t port, glib::GObjectPtr<GSocket>& out,
                    std::string& error) {
  glib::GErrorOut gerror;
  const GSocketFamily family = ipv6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
  glib::GObjectPtr<GSocket> socket(
      g_socket_new(family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, gerror.out()));
  if (!socket) {
    error = std::string("cannot open a UDP socket for audio: ") + gerror.message();
    return BindResult::kFailed;
  }
  // An IPv6 socket of its own family only, so a port pair never straddles two nodes.
  if (ipv6 && !g_socket_set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, gerror.out())) {
    error = std::string("cannot make the audio socket IPv6-only: ") + gerror.message();
    return BindResult::kFailed;
  }
  glib::GObjectPtr<GInetAddress> any(g_inet_address_new_any(family));
  glib::GObjectPtr<GSocketAddress> address(g_inet_socket_address_new(any.get(), port));
  if (!g_socket_bind(socket.get(), address.get(), FALSE, gerror.out())) {
    if (gerror.matches(G_IO_ERROR_ADDRESS_IN_USE)) return BindResult::kInUse;
    error = std::string("cannot bind an audio port: ") + gerror.message();
    return BindResult::kFailed;
  }
  // Room for a video key frame's burst (as ice/ice_agent.cpp gives its pairs): memory
  // the kernel takes only while packets wait, capped at its rmem_max.
  g_socket_set_option(socket.get(), SOL_SOCKET, SO_RCVBUF, 2 * 1024 * 1024, nullptr);
  out = std::move(socket);
  return BindResult::kBound;
}

}  // namespace

std::unique_ptr<UdpTransport> UdpTransport::bind(bool ipv6, PortRange range, std::string& error) {
  if (range.first % 2) ++range.first;
  if (range.last <= range.first) {
    error = "the audio port range is empty";
    return nullptr;
  }
  const unsigned pairs = (range.last - range.first + 1u) / 2u;
  static thread_local std::minstd_rand random{std::random_device{}()};
  const unsigned start = std::uniform_int_distribution<unsigned>(0, pairs - 1)(random);
  std::unique_ptr<UdpTransport> transport(new UdpTransport());
  transport->ipv6_ = ipv6;
  for (unsigned i = 0; i < pairs; ++i) {
    auto port = static_cast<std::uint16_t>(range.first + 2u * ((start + i) % pairs));
    glib::GObjectPtr<GSocket> rtp;
    glib::GObjectPtr<GSocket> rtcp;
    BindResult result = bind_one(ipv6, port, rtp, error);
    if (result == BindResult::kFailed) return nullptr;
    if (result == BindResult::kInUse) continue;
    result = bind_one(ipv6, static_cast<std::uint16_t>(port + 1), rtcp, error);
    if (result == BindResult::kFailed) return nullptr;
    if (result == BindResult::kInUse) continue;
    transport->rtp_ = std::move(rtp);
    transport->rtcp_ = std::move(rtcp);
    transport->rtp_port_ = port;
    transport->rtcp_port_ = static_cast<std::uint16_t>(port + 1);
    return transport;
  }
  error = "no free pair of audio ports in " + std::to_string(range.first) + "-" +
          std::to_string(range.last) + "; end other calls or programs using them";
  return nullptr;
}

std::unique_ptr<UdpTransport> UdpTransport::bind_ports(bool ipv6, std::uint16_t rtp,
                                                       std::uint16_t rtcp, std::string& error) {
  std::unique_ptr<UdpTransport> transport(new UdpTransport());
  transport->ipv6_ = ipv6;
  for (auto [port, socket] :
       {std::pair{rtp, &transport->rtp_}, std::pair{rtcp, &transport->rtcp_}}) {
    BindResult result = bind_one(ipv6, port, *socket, error);
    if (result == BindResult::kInUse) error = "port " + std::to_string(port) + " is in use";
    if (result != BindResult::kBound) return nullptr;
  }
  transport->rtp_port_ = rtp;
  transport->rtcp_port_ = rtcp;
  return transport;
}

}  // namespace lanline::media
