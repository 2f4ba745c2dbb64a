#include "net/port_binder.hpp"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace lanline::net {
namespace {

enum class Outcome {
  kBound,
  kInUse,          // try the next port
  kFamilyDropped,  // the host has no such family: the same port again without it
  kFailed,
};

struct Attempt {
  Outcome outcome = Outcome::kFailed;
  std::string error;
  bool permission_denied = false;  // a port below 1024 without the privilege
};

struct Family {
  GSocketFamily family;
  std::string text;
  glib::GObjectPtr<GInetAddress> address;
};

glib::GObjectPtr<GSocket> bound_socket(const Family& family, GSocketType type, std::uint16_t port,
                                       Attempt& attempt, bool& no_family) {
  const bool tcp = type == G_SOCKET_TYPE_STREAM;
  glib::GErrorOut error;
  auto fail = [&](Outcome outcome) {
    attempt.outcome = outcome;
    attempt.permission_denied = error.matches(G_IO_ERROR_PERMISSION_DENIED);
    attempt.error = std::string("SIP over ") + (tcp ? "TCP" : "UDP") + " on " + family.text + ": " +
                    error.message();
    return glib::GObjectPtr<GSocket>();
  };
  glib::GObjectPtr<GSocket> socket(g_socket_new(
      family.family, type, tcp ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, error.out()));
  if (!socket) {
    no_family = error.matches(G_IO_ERROR_NOT_SUPPORTED);  // EAFNOSUPPORT
    return fail(Outcome::kFailed);
  }
  g_socket_set_blocking(socket.get(), FALSE);
  // GLib makes IPv6 sockets dual-stack; here the IPv4 socket owns IPv4.
  if (family.family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, error.out())) {
    return fail(Outcome::kFailed);
  }
  glib::GObjectPtr<GSocketAddress> address(g_inet_socket_address_new(family.address.get(), port));
  // allow_reuse sets SO_REUSEADDR, and on datagram sockets SO_REUSEPORT too: TCP only.
  if (!g_socket_bind(socket.get(), address.get(), tcp, error.out())) {
    if (error.matches(G_IO_ERROR_ADDRESS_IN_USE)) return fail(Outcome::kInUse);
    // IPv6 disabled by sysctl: even the wildcard cannot be bound.
    no_family = family.family == G_SOCKET_FAMILY_IPV6 &&
                g_inet_address_get_is_any(family.address.get()) &&
                !error.matches(G_IO_ERROR_PERMISSION_DENIED);
    return fail(Outcome::kFailed);
  }
  if (!tcp) {
    // A burst of calls (SIPp at hundreds per second, or a busy LAN) overflows the default
    // ~200 KiB receive buffer while the main loop is busy; every datagram lost there costs
    // a 500 ms retransmission. Ask for 4 MiB; the kernel caps it at net.core.rmem_max.
    g_socket_set_option(socket.get(), SOL_SOCKET, SO_RCVBUF, 4 << 20, nullptr);
  }
  if (tcp) {
    g_socket_set_listen_backlog(socket.get(), 256);
    // Another socket with SO_REUSEADDR may hold the port without listening: bind
    // succeeds, listen does not.
    if (!g_socket_listen(socket.get(), error.out())) {
      return fail(error.matches(G_IO_ERROR_ADDRESS_IN_USE) ? Outcome::kInUse : Outcome::kFailed);
    }
  }
  return socket;
}

std::uint16_t local_port(GSocket* socket) {
  glib::GObjectPtr<GSocketAddress> address(g_socket_get_local_address(socket, nullptr));
  if (!address || !G_IS_INET_SOCKET_ADDRESS(address.get())) return 0;
  return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address.get()));
}

// Every socket on one port, or none. With port 0 the first socket picks the port and the
// others follow it.
Attempt bind_all(std::vector<Family>& families, std::uint16_t port, bool udp, BoundPort& bound) {
  Attempt attempt;
  bound = BoundPort{};
  for (std::size_t i = 0; i < families.size(); ++i) {
    FamilySockets sockets;
    sockets.family = families[i].family;
    for (GSocketType type : {G_SOCKET_TYPE_DATAGRAM, G_SOCKET_TYPE_STREAM}) {
      if (type == G_SOCKET_TYPE_DATAGRAM && !udp) continue;
      bool no_family = false;
      glib::GObjectPtr<GSocket> socket = bound_socket(families[i], type, port, attempt, no_family);
      if (!socket) {
        // A family the host lacks is left out, unless it is the only one asked for.
        if (no_family && families.size() > 1) {
          spdlog::warn("{}; listening without IPv6", attempt.error);
          families.erase(families.begin() + static_cast<std::ptrdiff_t>(i));
          attempt.outcome = Outcome::kFamilyDropped;
        }
        return attempt;
      }
      if (port == 0) port = local_port(socket.get());
      (type == G_SOCKET_TYPE_DATAGRAM ? sockets.udp : sockets.tcp) = std::move(socket);
    }
    bound.families.push_back(std::move(sockets));
  }
  bound.port = port;
  attempt.outcome = Outcome::kBound;
  return attempt;
}

}  // namespace

std::optional<BoundPort> bind_sip_port(const BindRequest& request, std::string& error) {
  std::vector<Family> families;
  for (auto [family, text] : {std::pair{G_SOCKET_FAMILY_IPV4, &request.ipv4},
                              std::pair{G_SOCKET_FAMILY_IPV6, &request.ipv6}}) {
    if (text->empty()) continue;
    glib::GObjectPtr<GInetAddress> address(g_inet_address_new_from_string(text->c_str()));
    if (!address || g_inet_address_get_family(address.get()) != family) {
      error = "cannot listen for SIP on \"" + *text + "\": not an " +
              (family == G_SOCKET_FAMILY_IPV4 ? "IPv4" : "IPv6") + " address";
      return std::nullopt;
    }
    families.push_back(Family{family, *text, std::move(address)});
  }
  if (families.empty()) {
    error = "cannot listen for SIP: neither an IPv4 nor an IPv6 address is configured";
    return std::nullopt;
  }

  const int attempts = request.attempts > 0 ? request.attempts : 1;
  int last = request.port;
  for (int i = 0; i < attempts; ++i) {
    const int port = request.port == 0 ? 0 : request.port + i;
    if (port > 65535) break;
    last = port;
    BoundPort bound;
    Attempt attempt;
    do {
      attempt = bind_all(families, static_cast<std::uint16_t>(port), request.udp, bound);
    } while (attempt.outcome == Outcome::kFamilyDropped);
    if (attempt.outcome == Outcome::kBound) return bound;
    if (attempt.outcome == Outcome::kInUse) continue;
    error = "cannot bind SIP port " + std::to_string(port) + ": " + attempt.error;
    if (attempt.permission_denied) error += "; pass --sip-port N with N of 1024 or above";
    return std::nullopt;
  }
  const char* in_use = std::strerror(EADDRINUSE);
  if (request.port == 0) {
    error = std::string("cannot find a port free for SIP over both UDP and TCP: ") + in_use;
  } else {
    error = "cannot bind SIP port " + std::to_string(request.port);
    if (last != request.port) error += "-" + std::to_string(last);
    error += std::string(": ") + in_use + "; pass --sip-port N";
  }
  return std::nullopt;
}

}  // namespace lanline::net
