// Test plumbing: a private GMainContext driven until a condition holds, and plain POSIX
// sockets that play a peer the transport knows nothing of. Loopback only.
#pragma once

#include <arpa/inet.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace lanline::net::test {

class MainContext {
 public:
  MainContext() : context_(g_main_context_new()) {}
  ~MainContext() { g_main_context_unref(context_); }
  MainContext(const MainContext&) = delete;
  MainContext& operator=(const MainContext&) = delete;

  GMainContext* get() const { return context_; }

  // Iterates until `done()` or the timeout; true if `done()` held.
  template <class Condition>
  bool run_until(Condition done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // A ticking source so that a blocking iteration wakes up to look at the clock.
    GSource* tick = g_timeout_source_new(static_cast<guint>(std::min<long>(timeout.count(), 10)));
    g_source_set_callback(
        tick, [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
    g_source_attach(tick, context_);
    bool met = false;
    while (!(met = done()) && std::chrono::steady_clock::now() < deadline)
      g_main_context_iteration(context_, TRUE);
    g_source_destroy(tick);
    g_source_unref(tick);
    return met;
  }

  // Runs whatever is ready for about `duration`.
  void run_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
  }

 private:
  GMainContext* context_;
};

// A POSIX socket, closed on destruction.
class RawSocket {
 public:
  RawSocket(int family, int type)
      : fd_(::socket(family, type | SOCK_CLOEXEC, 0)), family_(family) {}
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  int fd() const { return fd_; }

  // Binds to loopback on `port` (0: any); returns the port, 0 on failure.
  std::uint16_t bind_loopback(std::uint16_t port = 0) {
    sockaddr_storage address = loopback(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length()) != 0) return 0;
    sockaddr_storage local{};
    socklen_t size = sizeof(local);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size);
    return port_of(local);
  }

  bool listen() { return ::listen(fd_, 8) == 0; }

  bool connect_loopback(std::uint16_t port) {
    sockaddr_storage address = loopback(port);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&address), length()) == 0;
  }

  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  bool send_to_loopback(std::string_view bytes, std::uint16_t port) {
    sockaddr_storage address = loopback(port);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&address),
                    length()) == static_cast<ssize_t>(bytes.size());
  }

  // What is readable now, without waiting: {bytes, open}; open is false at end of stream.
  std::pair<std::string, bool> receive_now() {
    std::string out;
    char buffer[65536];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return {out, true};
      ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) return {out, false};
      out.append(buffer, static_cast<std::size_t>(got));
    }
  }

 private:
  sockaddr_storage loopback(std::uint16_t port) const {
    sockaddr_storage address{};
    if (family_ == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&address);
      in->sin_family = AF_INET;
      in->sin_port = htons(port);
      in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port);
      in6->sin6_addr = in6addr_loopback;
    }
    return address;
  }
  socklen_t length() const {
    return family_ == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  }
  static std::uint16_t port_of(const sockaddr_storage& address) {
    if (address.ss_family == AF_INET) {
      return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }

  int fd_;
  int family_;
};

}  // namespace lanline::net::test
