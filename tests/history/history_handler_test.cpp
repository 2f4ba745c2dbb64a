// The handler in front of the engine, against a fake engine that answers commands and
// emits the engine's events on demand, with a real store on a real file: every message
// and call is filed with the right state and result, events reach clients with the
// peer's key, and `history`/`devices` are answered here.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>

#include "history/history_handler.hpp"

namespace lanline::history {
namespace {

using nlohmann::json;

class FakeEngine : public engine::CommandHandler {
 public:
  json execute(const json& request) override {
    requests.push_back(request);
    std::string cmd = request.value("cmd", "");
    if (cmd == "message" && fail_messages)
      return {{"ok", false}, {"error", "peer 'Bob' is not answering (reachable: false)"}};
    if (cmd == "message" && refuse_messages)
      return {{"ok", false}, {"error", "peer 'Bob' cannot be called safely"}, {"lasting", true}};
    if (cmd == "message") return {{"ok", true}, {"message", ++message_id}};
    if (cmd == "decline" || cmd == "answer") return {{"ok", true}, {"call", 7}};
    if (cmd == "calls") return {{"ok", true}, {"calls", json::array()}};
    if (cmd == "peers")
      return {
          {"ok", true},
          {"peers",
           {{{"name", "Carol"}, {"instance_id", "c-1"}, {"uris", {"sip:carol@192.0.2.9:5060"}}}}}};
    return {{"ok", false}, {"error", "unknown command '" + cmd + "'; commands: status, calls"}};
  }
  // A message to a host name: the engine answers once the name is looked up.
  void execute_async(const json& request, ReplySink reply) override {
    if (request.value("target", "").find("example") == std::string::npos) {
      reply(execute(request));
      return;
    }
    waiting.emplace_back(request, std::move(reply));
  }
  void answer_waiting() {
    auto [request, reply] = std::move(waiting.front());
    waiting.erase(waiting.begin());
    reply(execute(request));
  }
  std::uint64_t subscribe(EventSink sink) override {
    sinks[++token] = std::move(sink);
    return token;
  }
  void unsubscribe(std::uint64_t t) override { sinks.erase(t); }
  void emit(const json& event) {
    for (auto& [t, sink] : sinks)
      sink(event);
  }
  std::vector<json> requests;
  std::vector<std::pair<json, ReplySink>> waiting;
  std::map<std::uint64_t, EventSink> sinks;
  std::uint64_t token = 0;
  std::uint64_t message_id = 0;
  bool fail_messages = false;    // message: "not answering"
  bool refuse_messages = false;  // message: refused until the user acts
};

class HistoryHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lanline-handler-XXXXXX";
    dir_ = mkdtemp(pattern);
    std::string error;
    auto store = HistoryStore::open(dir_ / "lanline.db", error);
    ASSERT_TRUE(store) << error;
    handler_ = std::make_unique<HistoryHandler>(
        engine_, std::move(store), "",
        [] {
          return json{{"ok", true}, {"sources", json::array()}};
        },
        [this] { return now_ms_; });
    handler_->subscribe([this](const json& event) { events_.push_back(event); });
  }
  void TearDown() override {
    handler_.reset();
    std::error_code code;
    std::filesystem::remove_all(dir_, code);
  }
  json call_event(std::uint64_t id, const char* state, const char* direction, int end_code = 0) {
    return {{"event", "call.state"},
            {"id", id},
            {"state", state},
            {"direction", direction},
            {"remote", "sip:bob@192.0.2.7:5070"},
            {"name", "Bob"},
            {"end_code", end_code},
            {"end_reason", end_code ? "Busy Here" : ""}};
  }

  std::filesystem::path dir_;
  FakeEngine engine_;
  std::unique_ptr<HistoryHandler> handler_;
  std::vector<json> events_;
  std::int64_t now_ms_ = 1'000'000;
};

TEST_F(HistoryHandlerTest, MessagesOutAndInAreFiledWithTheirDeliveryState) {
  json reply = handler_->execute(
      {{"cmd", "message"}, {"target", "bob@192.0.2.7:5070"}, {"text", "hello bob"}});
  ASSERT_TRUE(reply.value("ok", false)) << reply.dump();
  EXPECT_EQ(reply["state"], "queued");
  const std::int64_t first = reply["message"];
  ASSERT_EQ(engine_.requests.size(), 1u);  // sent at once, with its id and place
  EXPECT_EQ(engine_.requests[0]["message_id"], reply["message_id"]);
  EXPECT_EQ(engine_.requests[0]["seq"], 1);
  EXPECT_EQ(engine_.requests[0]["sent_ms"], 1'000'000);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["event"], "message.sent");
  EXPECT_EQ(events_[0]["peer"], "bob@192.0.2.7");
  EXPECT_EQ(events_[0]["message"], first);

  now_ms_ += 50;
  engine_.emit({{"event", "message.status"}, {"message", 1}, {"delivered", true}, {"code", 200}});
  now_ms_ += 1000;
  engine_.emit({{"event", "message.received"},
                {"from", "sip:bob@192.0.2.7"},
                {"name", "Bob"},
                {"text", "hi alice"},
                {"content_type", "text/plain"},
                {"call", 0}});
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[1]["event"], "message.status");  // the outbox's, by the stored id
  EXPECT_EQ(events_[1]["message"], first);
  EXPECT_EQ(events_[1]["state"], "delivered");
  EXPECT_EQ(events_[1]["peer"], "bob@192.0.2.7");
  EXPECT_EQ(events_[2]["peer"], "bob@192.0.2.7");
  EXPECT_EQ(events_[2]["text"], "hi alice");

  // A second message that times out is kept and tried again, and a final refusal fails it.
  reply = handler_->execute(
      {{"cmd", "message"}, {"target", "sip:bob@192.0.2.7:5070"}, {"text", "still there?"}});
  EXPECT_EQ(engine_.requests.back()["seq"], 2);
  engine_.emit({{"event", "message.status"},
                {"message", 2},
                {"delivered", false},
                {"code", 408},
                {"reason", "Request Timeout"}});
  json history = handler_->execute({{"cmd", "history"}, {"target", "sip:bob@192.0.2.7"}});
  ASSERT_TRUE(history.value("ok", false)) << history.dump();
  ASSERT_EQ(history["messages"].size(), 3u);
  EXPECT_EQ(history["messages"][2]["state"], "queued");
  EXPECT_EQ(history["messages"][2]["reason"], "408 Request Timeout");
  handler_->tick();
  EXPECT_EQ(engine_.requests.size(), 2u);  // not before its backoff (1 s)
  now_ms_ += 1000;
  handler_->tick();
  ASSERT_EQ(engine_.requests.size(), 3u);
  EXPECT_EQ(engine_.requests[2]["message_id"], reply["message_id"]);  // the same message
  engine_.emit({{"event", "message.status"},
                {"message", 3},
                {"delivered", false},
                {"code", 404},
                {"reason", "Not Found"}});

  history = handler_->execute({{"cmd", "history"}, {"target", "sip:bob@192.0.2.7"}});
  ASSERT_EQ(history["messages"].size(), 3u);
  EXPECT_EQ(history["messages"][0]["text"], "hello bob");
  EXPECT_EQ(history["messages"][0]["state"], "delivered");
  EXPECT_EQ(history["messages"][0]["direction"], "out");
  EXPECT_EQ(history["messages"][1]["text"], "hi alice");
  EXPECT_EQ(history["messages"][1]["state"], "received");
  EXPECT_EQ(history["messages"][1]["name"], "Bob");
  EXPECT_EQ(history["messages"][1]["time_ms"], 1'001'050);
  EXPECT_EQ(history["messages"][2]["state"], "failed");
  EXPECT_EQ(history["messages"][2]["reason"], "404 Not Found");
  EXPECT_EQ(history["messages"][2]["attempts"], 2);
}

// The outbox replies at once (stored and queued); the engine may take its time (a host
// name to look up); an answer after the handler is gone is dropped.
TEST_F(HistoryHandlerTest, AMessageTheEngineTakesLaterIsQueuedAtOnce) {
  std::optional<json> reply;
  handler_->execute_async(
      {{"cmd", "message"}, {"target", "sip:dan@dan.example"}, {"text", "later"}},
      [&](json r) { reply = std::move(r); });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->value("state", ""), "queued");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["event"], "message.sent");
  EXPECT_EQ(events_[0]["peer"], "dan@dan.example");
  ASSERT_EQ(engine_.waiting.size(), 1u);
  engine_.answer_waiting();
  json history = handler_->execute({{"cmd", "history"}, {"target", "sip:dan@dan.example"}});
  ASSERT_EQ(history["messages"].size(), 1u) << history.dump();
  EXPECT_EQ(history["messages"][0]["text"], "later");
  EXPECT_EQ(history["messages"][0]["state"], "sending");

  handler_->execute({{"cmd", "message"}, {"target", "sip:dan@dan.example"}, {"text", "gone"}});
  handler_.reset();
  engine_.answer_waiting();  // no crash, nothing filed by a handler that is gone
}

TEST_F(HistoryHandlerTest, ANameThatIsNoPeerAndNoAddressIsRefusedAndNotStored) {
  json reply = handler_->execute({{"cmd", "message"}, {"target", "Zed"}, {"text", "hi"}});
  EXPECT_FALSE(reply.value("ok", true));
  EXPECT_NE(reply.value("error", "").find("neither a discovered peer"), std::string::npos);
  EXPECT_TRUE(engine_.requests.empty() ||
              engine_.requests.back().value("cmd", "") == "peers");  // only looked it up
  EXPECT_TRUE(events_.empty());
}

// Exactly once: a message kept before it was answered is kept once, however often it
// comes; its event names its conversation and is not filed a second time.
TEST_F(HistoryHandlerTest, AReceivedMessageIsKeptOnceByItsId) {
  StoredMessage in;
  in.remote = "sip:bob@192.0.2.7:5070";
  in.name = "Bob";
  in.text = "once";
  in.msg_id = "6f1c2a0e-0000-4000-8000-000000000001";
  in.seq = 1;
  in.sort_ms = 999'000;  // the sender's time
  EXPECT_EQ(handler_->store_incoming(in), HistoryStore::Insert::kNew);
  engine_.emit({{"event", "message.received"},
                {"from", in.remote},
                {"text", in.text},
                {"message_id", in.msg_id},
                {"stored", true}});
  EXPECT_EQ(handler_->store_incoming(in), HistoryStore::Insert::kDuplicate);
  EXPECT_EQ(handler_->store_incoming(in), HistoryStore::Insert::kDuplicate);
  json history = handler_->execute({{"cmd", "history"}, {"target", "sip:bob@192.0.2.7"}});
  ASSERT_EQ(history["messages"].size(), 1u) << history.dump();
  EXPECT_EQ(history["messages"][0]["message_id"], in.msg_id);
  EXPECT_EQ(history["messages"][0]["sort_ms"], 999'000);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["peer"], "bob@192.0.2.7");
  EXPECT_EQ(events_[0]["message"], history["messages"][0]["id"]);
}

// Messages received out of the sender's order are shown in it (sender's time, then seq).
TEST_F(HistoryHandlerTest, ReceivedMessagesAreShownInTheSendersOrder) {
  for (int seq : {3, 1, 2}) {
    StoredMessage in;
    in.remote = "sip:bob@192.0.2.7";
    in.text = "m" + std::to_string(seq);
    in.msg_id = "id-" + std::to_string(seq);
    in.seq = seq;
    in.sort_ms = 5'000;  // one burst: the same millisecond
    now_ms_ += 10;
    ASSERT_EQ(handler_->store_incoming(in), HistoryStore::Insert::kNew);
  }
  json history = handler_->execute({{"cmd", "history"}, {"target", "sip:bob@192.0.2.7"}});
  ASSERT_EQ(history["messages"].size(), 3u);
  EXPECT_EQ(history["messages"][0]["text"], "m1");
  EXPECT_EQ(history["messages"][1]["text"], "m2");
  EXPECT_EQ(history["messages"][2]["text"], "m3");
}

// At most a window's worth in flight to one target; the rest go as answers come.
TEST_F(HistoryHandlerTest, AtMostAWindowInFlightToOneTarget) {
  const int window = OutboxOptions{}.window;
  for (int i = 1; i <= window + 4; ++i) {
    handler_->execute(
        {{"cmd", "message"}, {"target", "sip:bob@192.0.2.7"}, {"text", "n" + std::to_string(i)}});
  }
  ASSERT_EQ(engine_.requests.size(), static_cast<std::size_t>(window));
  for (int i = 0; i < window; ++i)
    EXPECT_EQ(engine_.requests[i]["seq"], i + 1);
  engine_.emit({{"event", "message.status"}, {"message", 1}, {"delivered", true}, {"code", 200}});
  ASSERT_EQ(engine_.requests.size(), static_cast<std::size_t>(window) + 1);
  EXPECT_EQ(engine_.requests[window]["seq"], window + 1);
}

// What waits survives a restart: a new handler on the same database sends it again, with
// the same id; a peer that shows up reachable gets what waits at once.
TEST_F(HistoryHandlerTest, WhatWaitsIsSentAgainAfterARestartAndWhenThePeerShowsUp) {
  engine_.fail_messages = true;  // the peer is not reachable
  json reply =
      handler_->execute({{"cmd", "message"}, {"target", "sip:bob@192.0.2.7"}, {"text", "wait"}});
  ASSERT_TRUE(reply.value("ok", false));
  EXPECT_EQ(engine_.requests.size(), 1u);
  handler_.reset();  // the node stops

  std::string error;
  auto store = HistoryStore::open(dir_ / "lanline.db", error);
  ASSERT_TRUE(store) << error;
  engine_.requests.clear();
  handler_ = std::make_unique<HistoryHandler>(
      engine_, std::move(store), "",
      [] {
        return json{{"ok", true}};
      },
      [this] { return now_ms_; });
  handler_->tick();
  ASSERT_EQ(engine_.requests.size(), 1u);
  EXPECT_EQ(engine_.requests[0]["message_id"], reply["message_id"]);
  handler_->tick();
  EXPECT_EQ(engine_.requests.size(), 1u);  // backing off
  engine_.fail_messages = false;
  engine_.emit({{"event", "peer.updated"}, {"name", "Bob"}, {"reachable", true}});
  ASSERT_EQ(engine_.requests.size(), 2u);  // at once
  engine_.emit({{"event", "message.status"},
                {"message", engine_.message_id},
                {"delivered", true},
                {"code", 200}});
  json history = handler_->execute({{"cmd", "history"}, {"target", "sip:bob@192.0.2.7"}});
  ASSERT_EQ(history["messages"].size(), 1u);
  EXPECT_EQ(history["messages"][0]["state"], "delivered");
}

// A refusal that lasts until the user acts (an identity to trust, a certificate refused)
// is not retried: the command says so, and the message is filed as failed.
TEST_F(HistoryHandlerTest, ALastingRefusalFailsAtOnce) {
  engine_.refuse_messages = true;
  json reply =
      handler_->execute({{"cmd", "message"}, {"target", "sip:bob@192.0.2.7"}, {"text", "no"}});
  EXPECT_FALSE(reply.value("ok", true));
  EXPECT_NE(reply.value("error", "").find("cannot be called safely"), std::string::npos);
  json history = handler_->execute({{"cmd", "history"}, {"target", "sip:bob@192.0.2.7"}});
  ASSERT_EQ(history["messages"].size(), 1u);
  EXPECT_EQ(history["messages"][0]["state"], "failed");
  now_ms_ += 60'000;
  handler_->tick();
  EXPECT_EQ(engine_.requests.size(), 1u);  // never again
}

TEST_F(HistoryHandlerTest, AMessageNotDeliveredBeforeItsExpiryFails) {
  engine_.fail_messages = true;
  handler_->execute({{"cmd", "message"}, {"target", "sip:bob@192.0.2.7"}, {"text", "late"}});
  now_ms_ += 7LL * 24 * 3600 * 1000;
  handler_->tick();
  ASSERT_FALSE(events_.empty());
  EXPECT_EQ(events_.back()["event"], "message.status");
  EXPECT_EQ(events_.back()["state"], "failed");
  EXPECT_FALSE(events_.back()["delivered"].get<bool>());
  EXPECT_NE(events_.back()["reason"].get<std::string>().find("not delivered within 7"),
            std::string::npos);
}

TEST_F(HistoryHandlerTest, CallsAreFiledWithDirectionDurationAndResult) {
  // Answered: incoming, established after 2 s, ended 30 s later.
  engine_.emit(call_event(1, "incoming", "incoming"));
  now_ms_ += 2000;
  engine_.emit(call_event(1, "established", "incoming"));
  now_ms_ += 30000;
  engine_.emit(call_event(1, "terminated", "incoming"));
  // Missed: rang and the caller gave up.
  engine_.emit(call_event(2, "incoming", "incoming"));
  engine_.emit(call_event(2, "terminated", "incoming", 487));
  // Declined by us.
  engine_.emit(call_event(7, "incoming", "incoming"));
  ASSERT_TRUE(handler_->execute({{"cmd", "decline"}}).value("ok", false));
  engine_.emit(call_event(7, "terminated", "incoming", 603));
  // Outgoing and busy.
  engine_.emit(call_event(8, "calling", "outgoing"));
  engine_.emit(call_event(8, "terminated", "outgoing", 486));
  // Outgoing and cancelled by us before an answer.
  engine_.emit(call_event(9, "calling", "outgoing"));
  engine_.emit(call_event(9, "terminated", "outgoing", 487));

  json log = handler_->execute({{"cmd", "history"}});
  ASSERT_TRUE(log.value("ok", false)) << log.dump();
  ASSERT_EQ(log["calls"].size(), 5u);
  EXPECT_EQ(log["calls"][0]["result"], "cancelled");  // newest first
  EXPECT_EQ(log["calls"][1]["result"], "declined");
  EXPECT_EQ(log["calls"][1]["direction"], "out");
  EXPECT_EQ(log["calls"][2]["result"], "declined");
  EXPECT_EQ(log["calls"][2]["direction"], "in");
  EXPECT_EQ(log["calls"][3]["result"], "missed");
  EXPECT_EQ(log["calls"][4]["result"], "answered");
  EXPECT_EQ(log["calls"][4]["duration_ms"], 30000);
  EXPECT_EQ(log["calls"][4]["name"], "Bob");
  EXPECT_EQ(log["calls"][4]["peer"], "bob@192.0.2.7");

  // The terminated event tells clients how the call was filed.
  const json& last = events_.back();
  EXPECT_EQ(last["event"], "call.state");
  EXPECT_EQ(last["result"], "cancelled");
  EXPECT_EQ(last["peer"], "bob@192.0.2.7");
}

TEST_F(HistoryHandlerTest, APeersNameOrInstanceIdIsFiledUnderItsAddress) {
  handler_->execute({{"cmd", "message"}, {"target", "Carol"}, {"text", "by name"}});
  handler_->execute({{"cmd", "message"}, {"target", "c-1"}, {"text", "by id"}});
  EXPECT_EQ(events_[0]["peer"], "carol@192.0.2.9");
  json by_name = handler_->execute({{"cmd", "history"}, {"target", "Carol"}});
  ASSERT_EQ(by_name["messages"].size(), 2u) << by_name.dump();
  json by_address = handler_->execute({{"cmd", "history"}, {"target", "carol@192.0.2.9"}});
  EXPECT_EQ(by_address["messages"].size(), 2u);
  // An unknown name is not guessed into someone else's history.
  json unknown = handler_->execute({{"cmd", "history"}, {"target", "Nobody"}});
  EXPECT_TRUE(unknown["messages"].empty());
}

TEST_F(HistoryHandlerTest, OtherCommandsPassThroughAndDevicesAreAnswered) {
  EXPECT_TRUE(handler_->execute({{"cmd", "calls"}}).value("ok", false));
  EXPECT_EQ(engine_.requests.back()["cmd"], "calls");
  json devices = handler_->execute({{"cmd", "devices"}});
  EXPECT_TRUE(devices.value("ok", false));
  EXPECT_TRUE(devices.contains("sources"));
  json unknown = handler_->execute({{"cmd", "frobnicate"}});
  EXPECT_FALSE(unknown.value("ok", true));
  EXPECT_NE(unknown["error"].get<std::string>().find("history, devices"), std::string::npos);
  json bad_limit = handler_->execute({{"cmd", "history"}, {"limit", 0}});
  EXPECT_FALSE(bad_limit.value("ok", true));
}

TEST(HistoryHandlerWithoutStore, HistorySaysWhyAndEverythingElseWorks) {
  FakeEngine engine;
  HistoryHandler handler(engine, nullptr, "the history database X is damaged", {});
  std::vector<json> events;
  handler.subscribe([&](const json& event) { events.push_back(event); });
  json history = handler.execute({{"cmd", "history"}, {"target", "bob@h"}});
  EXPECT_FALSE(history.value("ok", true));
  EXPECT_EQ(history["error"], "the history database X is damaged");
  EXPECT_TRUE(
      handler.execute({{"cmd", "message"}, {"target", "bob@h"}, {"text", "x"}}).value("ok", false));
  engine.emit({{"event", "message.received"}, {"from", "sip:bob@h"}, {"text", "y"}});
  ASSERT_EQ(events.size(), 2u);  // message.sent and the received one, still delivered
  EXPECT_EQ(events[1]["peer"], "bob@h");
  EXPECT_FALSE(handler.execute({{"cmd", "devices"}}).value("ok", true));
}

TEST(HistoryHandlerLifetime, UnsubscribesFromTheEngine) {
  FakeEngine engine;
  {
    HistoryHandler handler(engine, nullptr, "off", {});
    EXPECT_EQ(engine.sinks.size(), 1u);
  }
  EXPECT_TRUE(engine.sinks.empty());
}

}  // namespace
}  // namespace lanline::history
