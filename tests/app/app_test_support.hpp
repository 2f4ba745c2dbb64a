// What the app tests share: a temporary directory, a fake CommandHandler, a raw client
// of the control socket, and running the real `lanline` binary while the test's own
// GMainContext keeps serving.
#pragma once

#include <glib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/command_handler.hpp"

namespace lanline::app::testkit {

using namespace std::chrono_literals;

// A fresh directory under /tmp (short, for sun_path), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Sets an environment variable (or unsets it, for nullopt) and restores it on scope exit.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Answers {"ok":true,"cmd":CMD} unless told otherwise for a command; records requests;
// keeps subscribers so a test can emit events.
class FakeHandler : public engine::CommandHandler {
 public:
  nlohmann::json execute(const nlohmann::json& request) override;
  // A command in `later` is answered only when the test calls answer_later(): as the
  // engine answers a call to a host name once it is looked up.
  void execute_async(const nlohmann::json& request, ReplySink reply) override;
  void answer_later(nlohmann::json reply);
  std::uint64_t subscribe(EventSink sink) override;
  void unsubscribe(std::uint64_t token) override;

  void emit(const nlohmann::json& event);
  std::size_t subscribers() const { return sinks.size(); }

  std::vector<nlohmann::json> requests;
  std::map<std::string, nlohmann::json> replies;  // cmd -> reply
  std::map<std::string, std::function<nlohmann::json(const nlohmann::json&)>> actions;
  std::map<std::uint64_t, EventSink> sinks;
  std::vector<std::uint64_t> unsubscribed;
  std::set<std::string> later;     // commands answered by answer_later()
  std::vector<ReplySink> waiting;  // their replies, oldest first
  std::uint64_t next_token = 1;
};

// Runs `context` until `done()` or the timeout; returns done().
bool pump_until(GMainContext* context, const std::function<bool()>& done,
                std::chrono::milliseconds timeout = 5s);
// Runs `context` for a while, for checking that something does NOT happen.
void pump_for(GMainContext* context, std::chrono::milliseconds duration);

// A plain Unix-socket client, non-blocking, read while the server's context runs.
class TestClient {
 public:
  // `context` is the server's: it is served whenever the client waits.
  TestClient(const std::filesystem::path& socket_path, GMainContext* context);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void send(std::string_view bytes);
  void close();
  // The next line (without '\n'); nullopt on timeout or EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = 5s);
  std::optional<nlohmann::json> read_json(std::chrono::milliseconds timeout = 5s);
  // Whether the server closed the connection (lines before that are skipped).
  bool closed_by_server(std::chrono::milliseconds timeout = 5s);

 private:
  bool receive_some();  // false on EOF or error
  GMainContext* context_;
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// `lanline ARGS...` run to its end while `context` is served; stdout and stderr kept.
struct RunResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};
struct Child {
  int pid = -1;
  std::filesystem::path out_file;
  std::filesystem::path err_file;
};
std::string lanline_binary();
// Starts the binary with `env` added to this process's environment.
Child start_lanline(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, const TempDir& dir);
RunResult wait_lanline(Child& child, GMainContext* context,
                       std::chrono::milliseconds timeout = 20s);
RunResult run_lanline(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, const TempDir& dir,
                      GMainContext* context);
std::string read_text(const std::filesystem::path& file);

}  // namespace lanline::app::testkit
