// The command handler clients talk to (control socket and window alike): the engine,
// with the history kept beside it. It forwards every command and event, writes what
// happens (messages in and out, calls) to the HistoryStore, and answers the commands
// the store and the device list serve: `history [TARGET]` and `devices`. Messages the
// user sends go through its Outbox (stored first, retried until delivered); messages
// received are stored through store_incoming before the engine answers them.
//
// Sitting in front of the engine rather than inside it keeps the engine's command set
// about SIP and media, and lets the store be tested against a fake engine.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "engine/command_handler.hpp"
#include "history/history_store.hpp"
#include "history/outbox.hpp"

namespace lanline::history {

class HistoryHandler : public engine::CommandHandler {
 public:
  // Lists audio devices: {"ok":true,"sources":[...],"sinks":[...]} or a failure.
  using DeviceLister = std::function<nlohmann::json()>;
  using Clock = std::function<std::int64_t()>;  // Unix time in milliseconds

  // `store` may be null (it could not be opened); then `store_error` is the reason,
  // history commands answer with it and everything else works.
  HistoryHandler(engine::CommandHandler& engine, std::unique_ptr<HistoryStore> store,
                 std::string store_error, DeviceLister devices, Clock clock = {},
                 OutboxOptions outbox = {}, Outbox::Soon soon = {});
  ~HistoryHandler() override;
  HistoryHandler(const HistoryHandler&) = delete;
  HistoryHandler& operator=(const HistoryHandler&) = delete;

  nlohmann::json execute(const nlohmann::json& request) override;
  void execute_async(const nlohmann::json& request, ReplySink reply) override;
  std::uint64_t subscribe(EventSink sink) override;
  void unsubscribe(std::uint64_t token) override;

  // A received message, kept before the engine answers it (core::MessageStore): kNew,
  // kDuplicate (one with its msg_id is kept already) or kFailed (the engine answers 500
  // and the sender tries again).
  HistoryStore::Insert store_incoming(StoredMessage message);
  // The outbox's retries and expiries; the node runs it every 250 ms.
  void tick();

 private:
  void on_engine_event(const nlohmann::json& event);
  void record_call(nlohmann::json& event);
  nlohmann::json history(const nlohmann::json& request);
  // What the engine answered to `request`, with what it did filed.
  nlohmann::json after_engine(const nlohmann::json& request, nlohmann::json reply);
  void emit(const nlohmann::json& event);
  void failed_write(const std::string& what, const std::string& error);
  // A target as clients give it (a peer's name, instance id or address) as an address.
  std::string resolve(const std::string& target);

  engine::CommandHandler& engine_;
  std::unique_ptr<HistoryStore> store_;
  std::string store_error_;
  DeviceLister devices_;
  Clock clock_;
  std::uint64_t engine_token_ = 0;
  std::map<std::uint64_t, EventSink> sinks_;
  std::uint64_t next_token_ = 1;
  std::map<std::uint64_t, StoredCall> live_calls_;  // by the engine's call id
  std::set<std::uint64_t> declined_;                // calls we declined
  std::map<std::uint64_t, std::string> sent_peer_;  // engine message id -> peer key
  std::unique_ptr<Outbox> outbox_;                  // with a store
  // The row store_incoming kept last, for the message.received event that follows it.
  std::optional<StoredMessage> just_stored_;
  // Replies the engine gives later check it: this handler may be gone by then.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lanline::history
