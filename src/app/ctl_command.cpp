#include "ctl_command.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <utility>

#include "control_protocol.hpp"
#include "ctl_request.hpp"
#include "profile.hpp"

namespace lanline::app {
namespace {

// A reply can be long (a chat history); this only stops a runaway stream.
constexpr std::size_t kMaxReplyLine = std::size_t{256} << 20;
// A node that hangs must not hang the script that asked it something.
constexpr int kReplyTimeoutMs = 60'000;

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) {
  interrupted = 1;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

enum class Connect { kConnected, kNoNode, kFailed };

Connect connect_to(const Fd& socket, const std::string& path, std::string& error) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    error = fmt::format("the socket path {} is too long", path);
    return Connect::kFailed;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
    return Connect::kConnected;
  // ENOENT: no node ever ran or it stopped cleanly; ECONNREFUSED: it died and left its
  // socket file behind.
  if (errno == ENOENT || errno == ECONNREFUSED) return Connect::kNoNode;
  error = fmt::format("cannot connect to the control socket {}: {}", path, std::strerror(errno));
  return Connect::kFailed;
}

bool send_all(const Fd& socket, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

enum class Read { kLine, kClosed, kInterrupted, kTimedOut, kFailed };

// The next line from the node. SIGINT and SIGTERM stay blocked except inside ppoll, so
// a Ctrl-C is seen here and nowhere else, with no race between checking and waiting.
Read read_line(const Fd& socket, LineReader& reader, std::string& line, int timeout_ms,
               const sigset_t& wait_mask) {
  for (;;) {
    switch (reader.next(line)) {
      case LineReader::Status::kLine:
        return Read::kLine;
      case LineReader::Status::kTooLong:
        return Read::kFailed;
      case LineReader::Status::kNeedMore:
        break;
    }
    if (interrupted) return Read::kInterrupted;
    pollfd descriptor{socket.get(), POLLIN, 0};
    timespec timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000L};
    int ready = ::ppoll(&descriptor, 1, timeout_ms < 0 ? nullptr : &timeout, &wait_mask);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Read::kFailed;
    if (ready == 0) return Read::kTimedOut;
    char buffer[64 * 1024];
    ssize_t n = ::recv(socket.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ECONNRESET ? Read::kClosed : Read::kFailed;
    if (n == 0) return Read::kClosed;
    reader.append(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
}

bool reply_ok(const std::string& line) {
  nlohmann::json reply = nlohmann::json::parse(line, nullptr, false);
  if (!reply.is_object()) return false;
  auto ok = reply.find("ok");
  return ok != reply.end() && ok->is_boolean() && ok->get<bool>();
}

void print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  // Each line at once, also into a pipe: scripts wait for events as they come.
  std::fflush(stdout);
}

int stream_events(const Fd& socket, LineReader& reader, const sigset_t& wait_mask) {
  std::string line;
  for (;;) {
    switch (read_line(socket, reader, line, -1, wait_mask)) {
      case Read::kLine:
        print_line(line);
        break;
      case Read::kClosed:
      case Read::kInterrupted:
        return 0;
      case Read::kTimedOut:
      case Read::kFailed:
        fmt::print(stderr, "lanline ctl: the event stream broke off\n");
        return 1;
    }
  }
}

}  // namespace

int run_ctl(const std::string& profile_name, std::span<const std::string> args) {
  std::string error;
  std::optional<nlohmann::json> request = build_ctl_request(args, error);
  if (!request) {
    fmt::print(stderr, "lanline ctl: {}\n", error);
    return 2;
  }
  std::optional<Profile> profile = Profile::create(profile_name, error);
  if (!profile) {
    fmt::print(stderr, "lanline ctl: {}\n", error);
    return 2;
  }
  const std::string& path = profile->control_socket().native();

  Fd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) {
    fmt::print(stderr, "lanline ctl: cannot create a socket: {}\n", std::strerror(errno));
    return 2;
  }
  switch (connect_to(socket, path, error)) {
    case Connect::kConnected:
      break;
    case Connect::kNoNode:
      fmt::print(stderr,
                 "lanline ctl: no Lanline node is running for profile {} (no socket at {}): "
                 "start one with `lanline --headless --profile {}`\n",
                 profile_name, path, profile_name);
      return 2;
    case Connect::kFailed:
      fmt::print(stderr, "lanline ctl: {}\n", error);
      return 2;
  }

  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigset_t wait_mask;
  sigprocmask(SIG_BLOCK, &blocked, &wait_mask);
  sigdelset(&wait_mask, SIGINT);
  sigdelset(&wait_mask, SIGTERM);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  (*request)["id"] = 1;
  if (!send_all(socket, to_line(*request))) {
    fmt::print(stderr, "lanline ctl: the node at {} closed the connection: {}\n", path,
               std::strerror(errno));
    return 1;
  }

  LineReader reader(kMaxReplyLine);
  std::string line;
  switch (read_line(socket, reader, line, kReplyTimeoutMs, wait_mask)) {
    case Read::kLine:
      break;
    case Read::kClosed:
      fmt::print(stderr, "lanline ctl: the node closed the connection without a reply\n");
      return 1;
    case Read::kInterrupted:
      return 130;
    case Read::kTimedOut:
      fmt::print(stderr, "lanline ctl: no reply from the node within {} s\n",
                 kReplyTimeoutMs / 1000);
      return 1;
    case Read::kFailed:
      fmt::print(stderr, "lanline ctl: reading the reply failed: {}\n", std::strerror(errno));
      return 1;
  }
  bool ok = reply_ok(line);
  print_line(line);
  // For `events` the reply comes first, and every event after it reaches this stream:
  // a script that waits for the reply line knows it will miss nothing it causes next.
  if ((*request)["cmd"] == "events" && ok) return stream_events(socket, reader, wait_mask);
  return ok ? 0 : 1;
}

}  // namespace lanline::app
