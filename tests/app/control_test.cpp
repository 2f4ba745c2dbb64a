// The control socket on a real Unix socket, driven by raw clients, against a fake
// CommandHandler: framing, replies and ids, errors, event streams, clients that go
// away, and owning the socket file.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include "app/control_server.hpp"
#include "app_test_support.hpp"

namespace lanline::app {
namespace {

using namespace testkit;
using nlohmann::json;

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = g_main_context_new();
    options_.socket_path = dir_.path() / "node.sock";
    options_.profile = "test";
  }
  void TearDown() override {
    server_.reset();
    g_main_context_unref(context_);
  }

  void start() {
    std::string error;
    server_ = ControlServer::create(context_, options_, error);
    ASSERT_TRUE(server_) << error;
    server_->start(handler_);
  }

  GMainContext* context_ = nullptr;
  TempDir dir_;
  ControlServerOptions options_;
  FakeHandler handler_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlServerTest, ReplyCarriesTheRequestId) {
  start();
  TestClient client(options_.socket_path, context_);
  ASSERT_TRUE(client.connected());
  client.send(R"({"id":7,"cmd":"status"})"
              "\n");
  auto reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], 7);
  EXPECT_EQ((*reply)["ok"], true);
  ASSERT_EQ(handler_.requests.size(), 1u);
  EXPECT_EQ(handler_.requests[0]["cmd"], "status");

  client.send(R"({"id":"abc","cmd":"peers"})"
              "\n");
  reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], "abc");

  client.send(R"({"cmd":"peers"})"
              "\n");
  reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->contains("id"));
}

TEST_F(ControlServerTest, FailingCommandKeepsItsErrorAndId) {
  handler_.replies["hangup"] = {{"ok", false}, {"error", "no call to hang up"}};
  start();
  TestClient client(options_.socket_path, context_);
  client.send(R"({"id":2,"cmd":"hangup"})"
              "\n");
  auto reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, (json{{"id", 2}, {"ok", false}, {"error", "no call to hang up"}}));
}

TEST_F(ControlServerTest, TwoRequestsInOneWriteGetTwoRepliesInOrder) {
  start();
  TestClient client(options_.socket_path, context_);
  client.send(R"({"id":1,"cmd":"status"})"
              "\n"
              R"({"id":2,"cmd":"peers"})"
              "\n");
  auto first = client.read_json();
  auto second = client.read_json();
  ASSERT_TRUE(first && second);
  EXPECT_EQ((*first)["id"], 1);
  EXPECT_EQ((*first)["cmd"], "status");
  EXPECT_EQ((*second)["id"], 2);
  EXPECT_EQ((*second)["cmd"], "peers");
}

// A command the handler answers later (a call to a host name, once looked up) does not
// hold the connection: requests after it are answered meanwhile, and its reply, with
// its id, comes when it is ready. A client gone by then costs nothing.
TEST_F(ControlServerTest, ALateReplyComesWithItsIdAndHoldsNothingUp) {
  handler_.later.insert("call");
  start();
  TestClient client(options_.socket_path, context_);
  client.send(R"({"id":1,"cmd":"call","target":"sip:bob@bob.example"})"
              "\n"
              R"({"id":2,"cmd":"status"})"
              "\n");
  auto first = client.read_json();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["id"], 2);
  ASSERT_EQ(handler_.waiting.size(), 1u);
  handler_.answer_later({{"ok", true}, {"call", 4}});
  auto late = client.read_json();
  ASSERT_TRUE(late);
  EXPECT_EQ(*late, (json{{"id", 1}, {"ok", true}, {"call", 4}}));

  {
    TestClient gone(options_.socket_path, context_);
    gone.send(R"({"id":3,"cmd":"call","target":"sip:x@x.example"})"
              "\n");
    ASSERT_TRUE(pump_until(context_, [&] { return handler_.waiting.size() == 1; }));
  }
  ASSERT_TRUE(pump_until(context_, [&] { return server_->connections() == 1; }));
  handler_.answer_later({{"ok", true}, {"call", 5}});  // its client has gone
  client.send(R"({"id":4,"cmd":"status"})"
              "\n");
  auto after = client.read_json();
  ASSERT_TRUE(after);
  EXPECT_EQ((*after)["id"], 4);
}

TEST_F(ControlServerTest, RequestSplitOverWritesIsAnsweredOnceComplete) {
  start();
  TestClient client(options_.socket_path, context_);
  client.send(R"({"id":5,"cmd":)");
  pump_for(context_, 50ms);
  EXPECT_TRUE(handler_.requests.empty());
  client.send(R"("call","target":"al)");
  pump_for(context_, 50ms);
  EXPECT_TRUE(handler_.requests.empty());
  client.send("ice\"}\r\n");  // CRLF, as `nc -C` sends
  auto reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], 5);
  ASSERT_EQ(handler_.requests.size(), 1u);
  EXPECT_EQ(handler_.requests[0]["target"], "alice");
}

TEST_F(ControlServerTest, BlankLinesAreIgnored) {
  start();
  TestClient client(options_.socket_path, context_);
  client.send(
      "\n  \n"
      R"({"id":1,"cmd":"status"})"
      "\n");
  auto reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], 1);
  EXPECT_EQ(handler_.requests.size(), 1u);
}

TEST_F(ControlServerTest, MalformedJsonGetsAnErrorAndTheConnectionStays) {
  start();
  TestClient client(options_.socket_path, context_);
  client.send("{this is not json\n");
  auto reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], false);
  EXPECT_NE((*reply)["error"].get<std::string>().find("malformed JSON"), std::string::npos);
  EXPECT_FALSE(reply->contains("id"));

  // The id is still read from a line that is broken after it.
  client.send(R"({"id": 3, "cmd": "call", "target": })"
              "\n");
  reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], false);
  EXPECT_EQ((*reply)["id"], 3);

  client.send(R"({"id":4,"cmd":"status"})"
              "\n");
  reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], true);
  EXPECT_EQ(handler_.requests.size(), 1u);
}

TEST_F(ControlServerTest, NonObjectsAndMissingCmdAreRefused) {
  start();
  TestClient client(options_.socket_path, context_);
  for (const char* line : {"[1,2]", "42", "\"status\"", "null"}) {
    client.send(std::string(line) + "\n");
    auto reply = client.read_json();
    ASSERT_TRUE(reply) << line;
    EXPECT_EQ((*reply)["ok"], false) << line;
    EXPECT_NE((*reply)["error"].get<std::string>().find("JSON object"), std::string::npos);
  }
  client.send(R"({"id":9})"
              "\n"
              R"({"id":10,"cmd":5})"
              "\n");
  for (int id : {9, 10}) {
    auto reply = client.read_json();
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)["ok"], false);
    EXPECT_EQ((*reply)["id"], id);
    EXPECT_NE((*reply)["error"].get<std::string>().find("\"cmd\""), std::string::npos);
  }
  EXPECT_TRUE(handler_.requests.empty());
}

TEST_F(ControlServerTest, HandlerThatThrowsGivesAnErrorReply) {
  handler_.actions["call"] = [](const json&) -> json { throw std::runtime_error("boom"); };
  handler_.actions["peers"] = [](const json&) -> json { return json::array(); };
  start();
  TestClient client(options_.socket_path, context_);
  client.send(R"({"id":1,"cmd":"call"})"
              "\n"
              R"({"id":2,"cmd":"peers"})"
              "\n");
  auto thrown = client.read_json();
  auto not_object = client.read_json();
  ASSERT_TRUE(thrown && not_object);
  EXPECT_EQ(*thrown, (json{{"id", 1}, {"ok", false}, {"error", "internal error: boom"}}));
  EXPECT_EQ((*not_object)["ok"], false);
  EXPECT_EQ((*not_object)["id"], 2);
}

TEST_F(ControlServerTest, InvalidUtf8InAReplyIsReplacedNotFatal) {
  handler_.replies["status"] = {{"ok", true}, {"name", std::string("bad \xff name")}};
  start();
  TestClient client(options_.socket_path, context_);
  client.send(R"({"cmd":"status"})"
              "\n");
  auto reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["name"], "bad \xEF\xBF\xBD name");
}

TEST_F(ControlServerTest, OverlongLineGetsAnErrorAndIsClosed) {
  start();
  TestClient client(options_.socket_path, context_);
  std::string huge(options_.max_line + 1, 'x');
  client.send("{\"cmd\":\"" + huge);  // never ends
  auto reply = client.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], false);
  EXPECT_NE((*reply)["error"].get<std::string>().find("longer than 1048576 bytes"),
            std::string::npos);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(handler_.requests.empty());
  EXPECT_TRUE(pump_until(context_, [&] { return server_->connections() == 0; }));

  // A complete line just at the limit is still a request.
  TestClient other(options_.socket_path, context_);
  std::string text(options_.max_line - 40, 'y');
  other.send(json{{"cmd", "message"}, {"text", text}}.dump() + "\n");
  reply = other.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], true);
}

TEST_F(ControlServerTest, EventsStreamToEverySubscriberOnly) {
  start();
  TestClient first(options_.socket_path, context_);
  TestClient second(options_.socket_path, context_);
  TestClient plain(options_.socket_path, context_);
  first.send(R"({"id":1,"cmd":"events"})"
             "\n");
  second.send(R"({"cmd":"events"})"
              "\n");
  auto ack = first.read_json();
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, (json{{"id", 1}, {"ok", true}}));
  ack = second.read_json();
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, (json{{"ok", true}}));
  EXPECT_EQ(handler_.subscribers(), 2u);
  EXPECT_TRUE(handler_.requests.empty());  // "events" is the server's, not the handler's

  handler_.emit({{"event", "peer.added"}, {"name", "alice"}});
  handler_.emit({{"event", "call.state"}, {"state", "ringing"}});
  for (TestClient* client : {&first, &second}) {
    auto event = client->read_json();
    ASSERT_TRUE(event);
    EXPECT_EQ((*event)["event"], "peer.added");
    event = client->read_json();
    ASSERT_TRUE(event);
    EXPECT_EQ((*event)["event"], "call.state");
  }
  EXPECT_FALSE(plain.read_line(100ms));

  // A subscriber may still send requests; replies and events share the stream.
  first.send(R"({"id":2,"cmd":"status"})"
             "\n");
  auto reply = first.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], 2);
  // Asking twice does not double the stream.
  first.send(R"({"id":3,"cmd":"events"})"
             "\n");
  reply = first.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ(handler_.subscribers(), 2u);
}

TEST_F(ControlServerTest, EventSetOffByARequestFollowsTheAck) {
  handler_.actions["call"] = [this](const json&) {
    handler_.emit({{"event", "call.state"}, {"state", "calling"}});
    return json{{"ok", true}, {"call", 1}};
  };
  start();
  TestClient watcher(options_.socket_path, context_);
  watcher.send(R"({"cmd":"events"})"
               "\n");
  ASSERT_TRUE(watcher.read_json());
  TestClient caller(options_.socket_path, context_);
  caller.send(R"({"id":1,"cmd":"call","target":"bob"})"
              "\n");
  auto reply = caller.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["call"], 1);
  auto event = watcher.read_json();
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["state"], "calling");
}

TEST_F(ControlServerTest, ClientVanishingMidStreamIsUnsubscribed) {
  start();
  TestClient staying(options_.socket_path, context_);
  auto leaving = std::make_unique<TestClient>(options_.socket_path, context_);
  staying.send(R"({"cmd":"events"})"
               "\n");
  leaving->send(R"({"cmd":"events"})"
                "\n");
  ASSERT_TRUE(staying.read_json());
  ASSERT_TRUE(leaving->read_json());
  ASSERT_EQ(handler_.subscribers(), 2u);

  handler_.emit({{"event", "one"}});
  leaving.reset();  // gone with an event unread
  handler_.emit({{"event", "two"}});
  ASSERT_TRUE(pump_until(context_, [&] { return handler_.subscribers() == 1; }));
  EXPECT_EQ(handler_.unsubscribed.size(), 1u);
  EXPECT_EQ(server_->connections(), 1u);

  handler_.emit({{"event", "three"}});
  for (const char* name : {"one", "two", "three"}) {
    auto event = staying.read_json();
    ASSERT_TRUE(event);
    EXPECT_EQ((*event)["event"], name);
  }
}

TEST_F(ControlServerTest, ClientVanishingBeforeItsReplyIsHarmless) {
  start();
  {
    TestClient client(options_.socket_path, context_);
    client.send(R"({"id":1,"cmd":"status"})"
                "\n"
                R"({"id":2,"cmd":"status"})"
                "\n");
  }
  ASSERT_TRUE(pump_until(context_, [&] { return handler_.requests.size() == 2; }));
  EXPECT_TRUE(pump_until(context_, [&] { return server_->connections() == 0; }));
  TestClient next(options_.socket_path, context_);
  next.send(R"({"id":3,"cmd":"status"})"
            "\n");
  EXPECT_TRUE(next.read_json());
}

TEST_F(ControlServerTest, SubscriberThatStopsReadingIsDropped) {
  options_.max_pending_output = 256 * 1024;
  start();
  TestClient stuck(options_.socket_path, context_);
  stuck.send(R"({"cmd":"events"})"
             "\n");
  ASSERT_TRUE(pump_until(context_, [&] { return handler_.subscribers() == 1; }));
  json event = {{"event", "x"}, {"padding", std::string(4096, 'p')}};
  // More than the kernel's socket buffers and our limit together.
  for (int i = 0; i < 2000 && handler_.subscribers() > 0; ++i) {
    handler_.emit(event);
    g_main_context_iteration(context_, FALSE);
  }
  EXPECT_TRUE(pump_until(context_, [&] { return handler_.subscribers() == 0; }));
  EXPECT_TRUE(pump_until(context_, [&] { return server_->connections() == 0; }));
}

TEST_F(ControlServerTest, ClientsWaitingBeforeStartAreServedAfter) {
  std::string error;
  server_ = ControlServer::create(context_, options_, error);
  ASSERT_TRUE(server_) << error;
  TestClient early(options_.socket_path, context_);
  ASSERT_TRUE(early.connected());
  early.send(R"({"id":1,"cmd":"status"})"
             "\n");
  EXPECT_FALSE(early.read_line(100ms));
  server_->start(handler_);
  auto reply = early.read_json();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], 1);
}

TEST_F(ControlServerTest, SocketFileIsPrivateAndRemovedOnShutdown) {
  start();
  struct stat info {};
  ASSERT_EQ(::stat(options_.socket_path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  TestClient subscriber(options_.socket_path, context_);
  subscriber.send(R"({"cmd":"events"})"
                  "\n");
  ASSERT_TRUE(pump_until(context_, [&] { return handler_.subscribers() == 1; }));
  server_.reset();
  EXPECT_FALSE(std::filesystem::exists(options_.socket_path));
  EXPECT_EQ(handler_.subscribers(), 0u);
  EXPECT_TRUE(subscriber.closed_by_server());
}

TEST_F(ControlServerTest, SecondServerOnTheSameSocketIsRefused) {
  start();
  std::string error;
  auto second = ControlServer::create(context_, options_, error);
  EXPECT_FALSE(second);
  EXPECT_EQ(error, "profile test is already running (socket " + options_.socket_path.string() +
                       "); use --profile to run another node");
  // The first one still owns and serves its socket.
  TestClient client(options_.socket_path, context_);
  client.send(R"({"id":1,"cmd":"status"})"
              "\n");
  EXPECT_TRUE(client.read_json());
}

TEST_F(ControlServerTest, StaleSocketIsReplaced) {
  // What a node killed with SIGKILL leaves: a socket file nobody listens on.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, options_.socket_path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
  ASSERT_TRUE(std::filesystem::exists(options_.socket_path));

  start();
  TestClient client(options_.socket_path, context_);
  client.send(R"({"id":1,"cmd":"status"})"
              "\n");
  EXPECT_TRUE(client.read_json());
}

TEST_F(ControlServerTest, SomethingElseInTheWayIsNotRemoved) {
  { std::ofstream(options_.socket_path) << "precious"; }
  std::string error;
  EXPECT_FALSE(ControlServer::create(context_, options_, error));
  EXPECT_NE(error.find("is not a socket"), std::string::npos) << error;
  EXPECT_EQ(read_text(options_.socket_path), "precious");
}

TEST_F(ControlServerTest, ShutdownLeavesASocketThatAnotherNodeTookOver) {
  start();
  // Another node found this one unresponsive, removed its socket and bound its own.
  std::filesystem::remove(options_.socket_path);
  FakeHandler other_handler;
  std::string error;
  auto other = ControlServer::create(context_, options_, error);
  ASSERT_TRUE(other) << error;
  server_.reset();
  EXPECT_TRUE(std::filesystem::exists(options_.socket_path));
  other.reset();
  EXPECT_FALSE(std::filesystem::exists(options_.socket_path));
}

}  // namespace
}  // namespace lanline::app
