// The profile's history database (DESIGN.md, "Files, per profile": lanline.db): chat
// messages in and out with their delivery state, and calls with direction, peer, start,
// duration and result. SQLite in WAL mode; the schema is versioned with `user_version`.
//
// The store never deletes or rewrites a file it cannot read: a damaged, locked or newer
// database is reported (what happened and what to do) and left exactly as it was.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lanline::history {

// The key a peer's history is filed under: "user@host" of its address, lower-case, with
// no scheme, port or parameters, so "sip:Bob@192.0.2.7:5070;transport=tcp" and a reply
// from "<sip:bob@192.0.2.7>" land in one conversation.
std::string peer_key(std::string_view uri);

enum class Direction { kIncoming, kOutgoing };
std::string_view to_string(Direction direction);  // "in" / "out"

struct StoredMessage {
  std::int64_t id = 0;  // the row, set by add_message: the message's id in events and replies
  std::string peer;     // peer_key(remote)
  std::string remote;   // the address as seen or typed
  std::string name;     // the peer's display name, if known
  Direction direction = Direction::kIncoming;
  std::string text;
  std::int64_t time_ms = 0;  // Unix time in milliseconds
  // "received" (in); "queued" (waiting its turn or a retry), "sending", "delivered" or
  // "failed" (out)
  std::string state;
  std::uint64_t engine_id = 0;  // the engine's id of its latest attempt (message.status)
  std::string reason;           // why it failed, or why the last attempt did
  // Exactly once, in order (issue 15): the id the sender gave it (a UUID; empty for a
  // phone that sends none), its place in the sender's conversation with this peer, and
  // the time it is shown at (the sender's, for one received).
  std::string msg_id;
  std::int64_t seq = 0;
  std::int64_t sort_ms = 0;
  // Outgoing: what it is sent to (as the user gave it), attempts so far, and when it is
  // given up as failed.
  std::string target;
  std::int64_t attempts = 0;
  std::int64_t expires_ms = 0;
};

struct StoredCall {
  std::int64_t id = 0;
  std::string peer;
  std::string remote;
  std::string name;
  Direction direction = Direction::kOutgoing;
  std::int64_t start_ms = 0;     // when it started ringing
  std::int64_t answered_ms = 0;  // 0: never answered
  std::int64_t duration_ms = 0;  // from answer to end
  // "answered", "missed", "declined", "cancelled", "failed"; "" while it lasts
  std::string result;
  int end_code = 0;
  std::string reason;
};

class HistoryStore {
 public:
  static constexpr int kSchemaVersion = 2;

  // Opens or creates the database (and its directory). On failure returns nullptr and
  // `error` says what is wrong and what to do; the file is not touched.
  static std::unique_ptr<HistoryStore> open(const std::filesystem::path& file, std::string& error);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // Each returns false and sets `error` when SQLite refuses (disk full, locked too long).
  bool add_message(StoredMessage& message, std::string& error);
  // A received message, unless one with its msg_id (from that peer's side) is stored
  // already: kDuplicate then, and nothing is written.
  enum class Insert { kNew, kDuplicate, kFailed };
  Insert add_incoming(StoredMessage& message, std::string& error);
  // The next place in our conversation with `peer` (1 for the first message we send).
  std::int64_t next_seq(std::string_view peer, std::string& error) const;
  // Outgoing messages not delivered nor failed yet, oldest first.
  std::vector<StoredMessage> pending(std::string& error) const;
  // Writes an outgoing message's state, reason, attempts and engine id.
  bool update_outgoing(const StoredMessage& message, std::string& error);
  // The outgoing message the engine knows as `engine_id` (the newest one, should ids
  // repeat after a restart).
  bool set_message_state(std::uint64_t engine_id, std::string_view state, std::string_view reason,
                         std::string& error);
  bool add_call(StoredCall& call, std::string& error);
  bool update_call(const StoredCall& call, std::string& error);

  // The newest `limit` messages with `peer`, in the order they are shown: by sort_ms, then
  // by the sender's seq.
  std::vector<StoredMessage> messages(std::string_view peer, int limit, std::string& error) const;
  // The newest `limit` calls (all peers when `peer` is empty), newest first.
  std::vector<StoredCall> calls(std::string_view peer, int limit, std::string& error) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  HistoryStore(std::unique_ptr<sqlite3, Closer> db, std::filesystem::path file);
  std::unique_ptr<sqlite3, Closer> db_;
  std::filesystem::path file_;
};

}  // namespace lanline::history
