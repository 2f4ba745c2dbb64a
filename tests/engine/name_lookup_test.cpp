// Host names are looked up off the engine thread (GResolver), and a command to a host
// name replies when the lookup is done: the engine's loop goes on meanwhile. Real
// lookups of names every Debian machine has (localhost) and of one that cannot exist
// (RFC 6761: .invalid), a real engine and real loopback sockets.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "engine/engine.hpp"
#include "engine/name_lookup.hpp"
#include "loop_support.hpp"

namespace lanline::engine {
namespace {

using namespace std::chrono_literals;
using net::test::MainContext;
using net::test::RawSocket;

// The engine thread's context, made its thread-default as the node does.
class ThreadDefault {
 public:
  explicit ThreadDefault(GMainContext* context) : context_(context) {
    g_main_context_push_thread_default(context_);
  }
  ~ThreadDefault() { g_main_context_pop_thread_default(context_); }

 private:
  GMainContext* context_;
};

// What one lookup answered.
struct Answer {
  std::optional<std::string> address;
  std::string error;
  bool done = false;
};

void start(NameLookup& names, const std::string& host, Answer& answer) {
  names.lookup(host, [&answer](std::optional<std::string> found, const std::string& problem) {
    answer.address = std::move(found);
    answer.error = problem;
    answer.done = true;
  });
}

TEST(NameLookup, AnswersLaterOnTheContext) {
  MainContext context;
  ThreadDefault own(context.get());
  NameLookup names(context.get());
  Answer answer;
  start(names, "localhost", answer);
  EXPECT_FALSE(answer.done) << "answered inside lookup(): it would have blocked the caller";
  EXPECT_EQ(names.pending(), 1u);
  ASSERT_TRUE(context.run_until([&] { return answer.done; }, 5s));
  ASSERT_TRUE(answer.address) << answer.error;
  EXPECT_TRUE(*answer.address == "127.0.0.1" || *answer.address == "::1") << *answer.address;
  EXPECT_EQ(names.pending(), 0u);
}

TEST(NameLookup, ANameThatCannotExistIsAClearError) {
  MainContext context;
  ThreadDefault own(context.get());
  NameLookup names(context.get());
  Answer answer;
  start(names, "no-such-host.invalid", answer);
  ASSERT_TRUE(context.run_until([&] { return answer.done; }, 10s));
  EXPECT_FALSE(answer.address);
  EXPECT_EQ(answer.error,
            "cannot find host 'no-such-host.invalid': check the name, or call its IP address");
}

TEST(NameLookup, NothingRunsAfterItIsGone) {
  MainContext context;
  ThreadDefault own(context.get());
  bool called = false;
  {
    NameLookup names(context.get());
    names.lookup("localhost",
                 [&](std::optional<std::string>, const std::string&) { called = true; });
  }
  context.run_for(500ms);  // GIO still completes the cancelled lookup: it only frees it
  EXPECT_FALSE(called);
}

// A MESSAGE to sip:bob@localhost: the reply comes after the lookup, and the request
// reaches the address it found. A caller that cannot wait is told why.
TEST(EngineLookup, AMessageToAHostNameIsSentOnceLookedUp) {
  MainContext context;
  ThreadDefault own(context.get());
  RawSocket v4(AF_INET, SOCK_DGRAM);
  std::uint16_t port = v4.bind_loopback();
  ASSERT_NE(port, 0);
  RawSocket v6(AF_INET6, SOCK_DGRAM);  // localhost may be looked up to ::1 first
  bool have_v6 = v6.bind_loopback(port) == port;

  EngineOptions options;
  options.sip_port = 0;
  options.discovery = false;
  options.audio_source = "test";
  options.audio_sink = "null";
  std::string error;
  auto engine = Engine::create(context.get(), options, error);
  ASSERT_TRUE(engine) << error;
  nlohmann::json request{{"cmd", "message"},
                         {"target", "sip:bob@localhost:" + std::to_string(port)},
                         {"text", "hello by name"}};

  nlohmann::json now = engine->execute(request);
  EXPECT_FALSE(now.value("ok", true));
  EXPECT_NE(now.value("error", "").find("'localhost' is a host name"), std::string::npos) << now;

  std::optional<nlohmann::json> reply;
  engine->execute_async(request, [&](nlohmann::json r) { reply = std::move(r); });
  EXPECT_FALSE(reply) << "replied before the lookup: " << *reply;
  ASSERT_TRUE(context.run_until([&] { return reply.has_value(); }, 5s));
  EXPECT_TRUE(reply->value("ok", false)) << *reply;
  EXPECT_TRUE(reply->contains("message")) << *reply;

  std::string received;
  ASSERT_TRUE(context.run_until(
      [&] {
        received += v4.receive_now().first;
        if (have_v6) received += v6.receive_now().first;
        return received.find("hello by name") != std::string::npos;
      },
      5s));
  EXPECT_EQ(received.rfind("MESSAGE sip:bob@localhost:", 0), 0u) << received;

  // An unknown name: the reply says so, later.
  reply.reset();
  request["target"] = "sip:bob@no-such-host.invalid";
  engine->execute_async(request, [&](nlohmann::json r) { reply = std::move(r); });
  ASSERT_TRUE(context.run_until([&] { return reply.has_value(); }, 10s));
  EXPECT_FALSE(reply->value("ok", true));
  EXPECT_EQ(reply->value("error", ""),
            "cannot find host 'no-such-host.invalid': check the name, or call its IP address");

  // The engine goes with a lookup still running: its reply never comes.
  bool late = false;
  engine->execute_async(request, [&](nlohmann::json) { late = true; });
  engine.reset();
  context.run_for(300ms);
  EXPECT_FALSE(late);
}

}  // namespace
}  // namespace lanline::engine
