#include "local_address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <memory>

#include "engine/local_identity.hpp"

namespace lanline::app {

namespace {

std::string first_ipv6_host() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owner(list, &::freeifaddrs);
  std::string link_local;
  for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr || entry->ifa_addr->sa_family != AF_INET6) continue;
    if (!(entry->ifa_flags & IFF_UP) || (entry->ifa_flags & IFF_LOOPBACK)) continue;
    const auto* address = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
    char text[INET6_ADDRSTRLEN] = {};
    if (!::inet_ntop(AF_INET6, &address->sin6_addr, text, sizeof text)) continue;
    if (!IN6_IS_ADDR_LINKLOCAL(&address->sin6_addr)) return "[" + std::string(text) + "]";
    if (link_local.empty()) link_local = "[" + std::string(text) + "%25" + entry->ifa_name + "]";
  }
  return link_local;
}

}  // namespace

std::string dialable_host() {
  std::string ipv4 = engine::primary_ipv4_address();
  if (ipv4 != "127.0.0.1") return ipv4;
  std::string ipv6 = first_ipv6_host();
  return ipv6.empty() ? ipv4 : ipv6;
}

}  // namespace lanline::app
