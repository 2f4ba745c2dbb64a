// The outbox (issue 15): a message the user sends is stored in the profile's database
// before anything else happens, with a UUID, its place in the conversation (seq) and
// when it gives up; then sent, at most `window` at a time to one target, oldest first,
// and sent again after a failure that may pass (no answer, 408, 480, 500, 503) with a
// backoff that doubles up to `longest_retry_ms`, and at once when a peer shows up
// reachable. It ends delivered (a 2xx) or failed (a final refusal, or its expiry). What
// waits survives a restart: it is loaded from the database and sent again; the receiver
// stores by the UUID, so a message that got through before the restart is kept once.
//
// All on the thread of the engine it sends through, like the HistoryHandler it belongs to.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/command_handler.hpp"
#include "history/history_store.hpp"

namespace lanline::history {

struct OutboxOptions {
  // Messages in flight to one target at once: enough to fill a lossy LAN's round trips
  // (at 30 % loss a MESSAGE takes ~1.2 s on average), far below a receiver's per-source
  // request limit (200 a second, net/source_limits.hpp).
  int window = 32;
  std::int64_t expiry_ms = 7LL * 24 * 3600 * 1000;
  std::int64_t first_retry_ms = 1000;
  std::int64_t longest_retry_ms = 300 * 1000;
};

class Outbox {
 public:
  using Emit = std::function<void(const nlohmann::json& event)>;
  using Clock = std::function<std::int64_t()>;  // Unix ms
  // Asks for pump() soon, from the main loop: an engine event (a response, a probe's
  // answer) comes from inside the SIP layer, which must not be asked to send from there.
  // Null: pump() at once (tests).
  using Soon = std::function<void()>;

  // Loads what was waiting when the node last stopped.
  Outbox(HistoryStore& store, engine::CommandHandler& engine, Clock clock, Emit emit,
         OutboxOptions options = {}, Soon soon = {});
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // A `message` command, `remote` its target as an address (for the history's peer):
  // the reply says it is stored and queued, or why it was not taken.
  nlohmann::json submit(const nlohmann::json& request, const std::string& remote);
  // The engine's message.status: true when it was one of the outbox's attempts (whose
  // outcome the outbox then tells as its own message.status).
  bool on_status(const nlohmann::json& event);
  // A peer may be reachable again: what waits for a retry goes now.
  void wake();
  // Sends what is due and gives up what expired; run it every few hundred ms.
  void pump();

  std::size_t waiting() const { return waiting_.size(); }

 private:
  void send(std::int64_t row);
  void sent(std::int64_t row, const nlohmann::json& reply);
  void retry_later(std::int64_t row, const std::string& reason);
  void finish(std::int64_t row, bool delivered, int code, const std::string& reason);
  void save(const StoredMessage& message);
  void pump_soon();

  HistoryStore& store_;
  engine::CommandHandler& engine_;
  Clock clock_;
  Emit emit_;
  OutboxOptions options_;
  Soon soon_;
  std::map<std::int64_t, StoredMessage> waiting_;   // row -> a message not done yet
  std::map<std::int64_t, std::int64_t> next_try_;   // row -> when it may go again (ms)
  std::map<std::uint64_t, std::int64_t> attempts_;  // engine message id -> row
  std::map<std::string, int> in_flight_;            // target -> attempts under way
  // The last message that failed (row, why): a refusal at once is told in submit's reply.
  std::optional<std::pair<std::int64_t, std::string>> failed_now_;
  // Replies the engine gives later check it: the outbox may be gone by then.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The message as `history` and the message events show it.
nlohmann::json message_json(const StoredMessage& message);

}  // namespace lanline::history
