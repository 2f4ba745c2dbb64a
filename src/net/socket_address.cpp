#include "net/socket_address.hpp"

#include <net/if.h>

namespace lanline::net {

glib::GObjectPtr<GSocketAddress> socket_address(std::string_view address, std::uint16_t port) {
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  // The GLib call wants a C string; it parses the scope of "fe80::1%eth0" too and takes
  // only numeric addresses (no name lookups, no "127.1" shorthand).
  std::string text(address);
  if (text.empty() || text.find('\0') != std::string::npos) return {};
  return glib::GObjectPtr<GSocketAddress>(
      g_inet_socket_address_new_from_string(text.c_str(), port));
}

std::string address_text(GInetSocketAddress* address) {
  GInetAddress* ip = g_inet_socket_address_get_address(address);
  char* raw = g_inet_address_to_string(ip);
  std::string text = raw;
  g_free(raw);
  if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6) {
    if (guint32 scope = g_inet_socket_address_get_scope_id(address); scope != 0) {
      char name[IF_NAMESIZE] = {};
      text += '%';
      text += if_indextoname(scope, name) ? std::string(name) : std::to_string(scope);
    }
  }
  return text;
}

sip::Endpoint endpoint_of(GSocketAddress* address, sip::TransportKind transport,
                          std::uint64_t connection) {
  sip::Endpoint endpoint;
  endpoint.transport = transport;
  endpoint.connection = connection;
  if (G_IS_INET_SOCKET_ADDRESS(address)) {
    auto* inet = G_INET_SOCKET_ADDRESS(address);
    endpoint.address = address_text(inet);
    endpoint.port = g_inet_socket_address_get_port(inet);
  }
  return endpoint;
}

std::string peer_key(GSocketAddress* address) {
  if (!G_IS_INET_SOCKET_ADDRESS(address)) return {};
  auto* inet = G_INET_SOCKET_ADDRESS(address);
  return "[" + address_text(inet) + "]:" + std::to_string(g_inet_socket_address_get_port(inet));
}

}  // namespace lanline::net
