// The window's model, fed the control protocol's replies and events as the engine sends
// them: no window, no engine. What the panels draw must follow from these.
#include <gtest/gtest.h>

#include "gui/model.hpp"

namespace lanline::gui {
namespace {

using nlohmann::json;

json call_event(std::uint64_t id, const char* state, const char* direction, int code = 0,
                const char* reason = "") {
  return {{"event", "call.state"},
          {"id", id},
          {"state", state},
          {"direction", direction},
          {"remote", "sip:bob@192.0.2.7:5060"},
          {"name", "Bob"},
          {"end_code", code},
          {"end_reason", reason}};
}

TEST(Model, DiscoveredPeersWithPresenceCapsAndReachability) {
  Model model;
  model.apply_event({{"event", "peer.added"},
                     {"name", "Bob"},
                     {"instance_id", "b-1"},
                     {"uris", {"sip:bob@198.18.4.2:5060"}},
                     {"presence", "away"},
                     {"note", "in a meeting"},
                     {"caps", "audio,chat"},
                     {"reachable", true}});
  ASSERT_EQ(model.peers.size(), 1u);
  const Peer& peer = model.peers.begin()->second;
  EXPECT_EQ(peer.key, "bob@198.18.4.2");
  EXPECT_EQ(peer.uri, "sip:bob@198.18.4.2:5060");
  EXPECT_EQ(peer.presence, "away");
  EXPECT_EQ(peer.note, "in a meeting");
  EXPECT_EQ(peer.caps, (std::vector<std::string>{"audio", "chat"}));
  EXPECT_TRUE(peer.discovered);
  model.apply_event({{"event", "peer.updated"},
                     {"name", "Bob"},
                     {"uris", {"sip:bob@198.18.4.2:5060"}},
                     {"presence", "available"},
                     {"reachable", false}});
  EXPECT_FALSE(model.peers.begin()->second.reachable);
  model.apply_event(
      {{"event", "peer.removed"}, {"name", "Bob"}, {"uris", {"sip:bob@198.18.4.2:5060"}}});
  EXPECT_FALSE(model.peers.begin()->second.discovered);
  EXPECT_EQ(model.peers.begin()->second.presence, "offline");
  // Search matches name, address or note; discovered first.
  model.apply_event({{"event", "peer.added"}, {"name", "Zed"}, {"uris", {"sip:zed@h"}}});
  auto all = model.visible_peers("");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->name, "Zed");
  EXPECT_EQ(model.visible_peers("BOB").size(), 1u);
  EXPECT_TRUE(model.visible_peers("nobody").empty());
}

TEST(Model, MessagesCountUnreadUntilTheChatIsOpenAndTrackDelivery) {
  Model model;
  model.apply_event({{"event", "message.received"},
                     {"from", "sip:bob@192.0.2.7"},
                     {"name", "Bob"},
                     {"text", "hi"},
                     {"peer", "bob@192.0.2.7"}});
  ASSERT_EQ(model.conversations.count("bob@192.0.2.7"), 1u);
  EXPECT_EQ(model.conversations["bob@192.0.2.7"].unread, 1);
  EXPECT_EQ(model.peers["bob@192.0.2.7"].name, "Bob");  // a contact from the history
  model.open_chat = "bob@192.0.2.7";
  model.conversations["bob@192.0.2.7"].unread = 0;
  model.apply_event({{"event", "message.received"},
                     {"from", "sip:bob@192.0.2.7"},
                     {"text", "again"},
                     {"peer", "bob@192.0.2.7"}});
  EXPECT_EQ(model.conversations["bob@192.0.2.7"].unread, 0);  // it is on screen

  model.apply_event({{"event", "message.sent"},
                     {"remote", "sip:bob@192.0.2.7:5060"},
                     {"peer", "bob@192.0.2.7"},
                     {"text", "hello"},
                     {"state", "sending"},
                     {"message", 4u}});
  model.apply_event({{"event", "message.status"}, {"message", 4u}, {"delivered", true}});
  const auto& lines = model.conversations["bob@192.0.2.7"].lines;
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[2].outgoing);
  EXPECT_EQ(lines[2].state, "delivered");
}

TEST(Model, HistoryComesFirstAndKeepsLinesThatArrivedMeanwhile) {
  Model model;
  model.apply_event({{"event", "message.received"},
                     {"from", "sip:bob@h"},
                     {"text", "live"},
                     {"time_ms", 5000},
                     {"peer", "bob@h"}});
  model.apply_history(
      "bob@h",
      {{"ok", true},
       {"messages",
        {{{"direction", "out"}, {"text", "old 1"}, {"time_ms", 1000}, {"state", "delivered"}},
         {{"direction", "in"}, {"text", "old 2"}, {"time_ms", 2000}, {"state", "received"}}}}});
  const auto& lines = model.conversations["bob@h"].lines;
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "old 1");
  EXPECT_EQ(lines[2].text, "live");
  EXPECT_TRUE(model.conversations["bob@h"].history_loaded);
  model.apply_history("carol@h", {{"ok", false}, {"error", "the history database is damaged"}});
  EXPECT_EQ(model.history_error, "the history database is damaged");
}

TEST(Model, CallsRingThenLastThenEnd) {
  Model model;
  model.apply_event(call_event(3, "incoming", "incoming"));
  ASSERT_NE(model.ringing_call(), nullptr);
  EXPECT_EQ(model.ringing_call()->id, 3u);
  EXPECT_EQ(model.active_call(), nullptr);
  model.apply_event(call_event(3, "established", "incoming"));
  EXPECT_EQ(model.ringing_call(), nullptr);
  ASSERT_NE(model.active_call(), nullptr);
  EXPECT_TRUE(model.active_call()->answered.has_value());
  model.apply_calls(
      {{"ok", true},
       {"calls",
        {{{"id", 3u}, {"state", "established"}, {"media", {{"codec", "opus"}, {"loss", 0.01}}}}}}});
  EXPECT_EQ(model.active_call()->stats["media"]["codec"], "opus");
  model.apply_event(call_event(3, "terminated", "incoming", 0, "the other side hung up"));
  EXPECT_EQ(model.active_call(), nullptr);
  EXPECT_TRUE(model.last_error.empty());  // a hang-up is no error
  EXPECT_TRUE(model.call_log_stale);

  // A missed call is no error either; a failed call of ours says why.
  model.apply_event(call_event(4, "incoming", "incoming"));
  model.apply_event(call_event(4, "terminated", "incoming", 487, "the caller hung up"));
  EXPECT_TRUE(model.last_error.empty());
  model.apply_event(call_event(5, "calling", "outgoing"));
  model.apply_event(call_event(5, "terminated", "outgoing", 486, "busy"));
  EXPECT_EQ(model.last_error, "Bob: busy");
}

TEST(Model, AccountsFromTheirReplyAndTheirEvents) {
  Model model;
  model.apply_accounts(json::parse(R"({"ok":true,"accounts":[
      {"aor":"sip:alice@example.org","state":"registering","expires":0,"error":""}]})"));
  ASSERT_EQ(model.accounts.size(), 1u);
  EXPECT_EQ(model.accounts[0].state, "registering");
  model.apply_event({{"event", "account.state"},
                     {"aor", "sip:alice@example.org"},
                     {"state", "failed"},
                     {"expires", 0},
                     {"error", "the registrar refused user 'alice' or its password"}});
  ASSERT_EQ(model.accounts.size(), 1u);  // the same account, changed
  EXPECT_EQ(model.accounts[0].state, "failed");
  EXPECT_NE(model.accounts[0].error.find("refused"), std::string::npos);
  model.apply_event({{"event", "account.state"},
                     {"aor", "sip:alice@example.org"},
                     {"state", "registered"},
                     {"expires", 600},
                     {"error", ""}});
  EXPECT_EQ(model.accounts[0].expires, 600);
  model.apply_accounts(json::parse(R"({"ok":false,"error":"x"})"));
  EXPECT_EQ(model.accounts.size(), 1u);  // a failed reply changes nothing
}

TEST(Model, StatusAndCallLog) {
  Model model;
  model.apply_status({{"ok", true},
                      {"name", "Alice"},
                      {"uri", "sip:alice@192.0.2.1:5060"},
                      {"sip_port", 5060},
                      {"profile", "default"},
                      {"presence", "busy"}});
  EXPECT_EQ(model.me.name, "Alice");
  EXPECT_EQ(model.me.presence, "busy");
  model.apply_call_log({{"ok", true},
                        {"calls",
                         {{{"peer", "bob@h"},
                           {"remote", "sip:bob@h:5060"},
                           {"name", "Bob"},
                           {"direction", "in"},
                           {"result", "missed"},
                           {"start_ms", 1000}}}}});
  ASSERT_EQ(model.call_log.size(), 1u);
  EXPECT_EQ(model.call_log[0].result, "missed");
  EXPECT_FALSE(model.call_log_stale);
  EXPECT_EQ(model.peers.count("bob@h"), 1u);  // people from the call log are listed too
}

}  // namespace
}  // namespace lanline::gui
