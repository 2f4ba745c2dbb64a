#include "ice/address_watch.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "glib_support/callbacks.hpp"

namespace lanline::ice {

std::set<std::string> usable_addresses() {
  std::set<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    const unsigned flags = i->ifa_flags;
    if (!(flags & IFF_UP) || !(flags & IFF_RUNNING) || (flags & IFF_LOOPBACK)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, text,
                sizeof text);
    } else {
      continue;
    }
    out.insert(text);
  }
  freeifaddrs(list);
  return out;
}

std::unique_ptr<AddressWatch> AddressWatch::create(GMainContext* context,
                                                   std::function<void()> changed,
                                                   std::string& error,
                                                   std::chrono::milliseconds settle) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) {
    error = std::string("cannot watch the network (netlink): ") + std::strerror(errno);
    return nullptr;
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    error = std::string("cannot watch the network (netlink bind): ") + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  glib::GErrorOut gerror;
  glib::GObjectPtr<GSocket> socket(g_socket_new_from_fd(fd, gerror.out()));
  if (!socket) {
    error = std::string("cannot watch the network: ") + gerror.message();
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<AddressWatch> self(new AddressWatch());
  self->context_ = context;
  self->changed_ = std::move(changed);
  self->settle_ = settle;
  self->socket_ = std::move(socket);
  self->watch_ = glib::watch_socket(context, self->socket_.get(), G_IO_IN,
                                    &AddressWatch::on_readable, self.get());
  return self;
}

AddressWatch::~AddressWatch() = default;

gboolean AddressWatch::on_readable(GSocket* socket, GIOCondition /*condition*/, gpointer self) {
  return glib::guarded("address watch", [&] {
    auto* watch = static_cast<AddressWatch*>(self);
    // What changed is read again from the interfaces once the burst is over: the
    // messages themselves are only the news that something did.
    char buffer[8192];
    while (::recv(g_socket_get_fd(socket), buffer, sizeof buffer, 0) > 0) {
    }
    watch->settle_timer_ =
        glib::add_timeout(watch->context_, static_cast<guint>(watch->settle_.count()),
                          &AddressWatch::on_settled, watch);
    return G_SOURCE_CONTINUE;
  });
}

gboolean AddressWatch::on_settled(gpointer self) {
  glib::guarded("address watch: settled", [self] {
    auto* watch = static_cast<AddressWatch*>(self);
    watch->settle_timer_.reset();
    if (watch->changed_) watch->changed_();
    return G_SOURCE_REMOVE;
  });
  return G_SOURCE_REMOVE;
}

}  // namespace lanline::ice
