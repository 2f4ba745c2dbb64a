#include "app_test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace lanline::app::testkit {

TempDir::TempDir() {
  char pattern[] = "/tmp/lanline-test-XXXXXX";
  if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ScopedEnv::ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  if (value)
    ::setenv(name, value->c_str(), 1);
  else
    ::unsetenv(name);
}

ScopedEnv::~ScopedEnv() {
  if (old_)
    ::setenv(name_.c_str(), old_->c_str(), 1);
  else
    ::unsetenv(name_.c_str());
}

nlohmann::json FakeHandler::execute(const nlohmann::json& request) {
  requests.push_back(request);
  std::string cmd = request.value("cmd", "");
  if (auto action = actions.find(cmd); action != actions.end()) return action->second(request);
  if (auto reply = replies.find(cmd); reply != replies.end()) return reply->second;
  return {{"ok", true}, {"cmd", cmd}};
}

void FakeHandler::execute_async(const nlohmann::json& request, ReplySink reply) {
  if (!later.count(request.value("cmd", ""))) {
    reply(execute(request));
    return;
  }
  requests.push_back(request);
  waiting.push_back(std::move(reply));
}

void FakeHandler::answer_later(nlohmann::json reply) {
  ReplySink sink = std::move(waiting.front());
  waiting.erase(waiting.begin());
  sink(std::move(reply));
}

std::uint64_t FakeHandler::subscribe(EventSink sink) {
  std::uint64_t token = next_token++;
  sinks.emplace(token, std::move(sink));
  return token;
}

void FakeHandler::unsubscribe(std::uint64_t token) {
  sinks.erase(token);
  unsubscribed.push_back(token);
}

void FakeHandler::emit(const nlohmann::json& event) {
  // A copy, as an engine would iterate: a sink may unsubscribe meanwhile.
  auto current = sinks;
  for (auto& [token, sink] : current)
    sink(event);
}

bool pump_until(GMainContext* context, const std::function<bool()>& done,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (!g_main_context_iteration(context, FALSE)) std::this_thread::sleep_for(1ms);
  }
  return true;
}

void pump_for(GMainContext* context, std::chrono::milliseconds duration) {
  pump_until(
      context, [] { return false; }, duration);
}

TestClient::TestClient(const std::filesystem::path& socket_path, GMainContext* context)
    : context_(context) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

TestClient::~TestClient() {
  close();
}

void TestClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TestClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      // The server reads only while its context runs.
      g_main_context_iteration(context_, FALSE);
      continue;
    }
    if (n < 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool TestClient::receive_some() {
  char chunk[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EAGAIN) return true;
    if (n < 0 && errno == EINTR) continue;
    eof_ = true;
    return false;
  }
}

std::optional<std::string> TestClient::read_line(std::chrono::milliseconds timeout) {
  std::optional<std::string> line;
  pump_until(
      context_,
      [&] {
        if (!eof_) receive_some();
        std::size_t newline = buffer_.find('\n');
        if (newline != std::string::npos) {
          line = buffer_.substr(0, newline);
          buffer_.erase(0, newline + 1);
          return true;
        }
        return eof_;
      },
      timeout);
  return line;
}

std::optional<nlohmann::json> TestClient::read_json(std::chrono::milliseconds timeout) {
  auto line = read_line(timeout);
  if (!line) return std::nullopt;
  return nlohmann::json::parse(*line);
}

bool TestClient::closed_by_server(std::chrono::milliseconds timeout) {
  return pump_until(
      context_,
      [&] {
        if (!eof_) receive_some();
        return eof_;
      },
      timeout);
}

std::string lanline_binary() {
  const char* bin = std::getenv("LANLINE_BIN");
  return bin ? bin : "";
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Child start_lanline(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, const TempDir& dir) {
  static int runs = 0;
  Child child;
  ++runs;
  child.out_file = dir.path() / ("out" + std::to_string(runs));
  child.err_file = dir.path() / ("err" + std::to_string(runs));

  std::vector<std::string> argv_text = {lanline_binary()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry; ++entry) {
    std::string_view text = *entry;
    std::string name(text.substr(0, text.find('=')));
    if (!env.count(name)) env_text.emplace_back(text);
  }
  for (const auto& [name, value] : env)
    env_text.push_back(name + "=" + value);
  std::vector<char*> argv;
  for (auto& a : argv_text)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_text)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int out = ::open(child.out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = ::open(child.err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  child.pid = ::fork();
  if (child.pid == 0) {
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  return child;
}

RunResult wait_lanline(Child& child, GMainContext* context, std::chrono::milliseconds timeout) {
  RunResult result;
  int status = 0;
  bool exited = pump_until(
      context, [&] { return ::waitpid(child.pid, &status, WNOHANG) == child.pid; }, timeout);
  if (!exited) {
    ::kill(child.pid, SIGKILL);
    ::waitpid(child.pid, &status, 0);
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  result.out = read_text(child.out_file);
  result.err = read_text(child.err_file);
  return result;
}

RunResult run_lanline(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, const TempDir& dir,
                      GMainContext* context) {
  Child child = start_lanline(args, env, dir);
  return wait_lanline(child, context);
}

}  // namespace lanline::app::testkit
