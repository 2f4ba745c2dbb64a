// The SQLite history store on real files: what goes in comes out, in order, across a
// reopen; a damaged, newer or locked database is reported and left byte for byte as it
// was.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "history/history_store.hpp"

namespace lanline::history {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/lanline-history-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code code;
    fs::remove_all(path_, code);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

StoredMessage message(const std::string& remote, Direction direction, const std::string& text,
                      std::int64_t time_ms) {
  StoredMessage m;
  m.remote = remote;
  m.peer = peer_key(remote);
  m.direction = direction;
  m.text = text;
  m.time_ms = time_ms;
  m.state = direction == Direction::kIncoming ? "received" : "sending";
  return m;
}

TEST(PeerKey, OneConversationWhateverTheFormOfTheAddress) {
  EXPECT_EQ(peer_key("sip:Bob@192.0.2.7:5070;transport=tcp"), "bob@192.0.2.7");
  EXPECT_EQ(peer_key("\"Bob\" <sip:bob@192.0.2.7>;tag=1"), "bob@192.0.2.7");
  EXPECT_EQ(peer_key("sips:bob@[2001:db8::1]:5061"), "bob@[2001:db8::1]");
  EXPECT_EQ(peer_key("bob@host.local"), "bob@host.local");
  EXPECT_EQ(peer_key("sip:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(peer_key("sip:alice@192.0.2.1?subject=x"), "alice@192.0.2.1");
}

TEST(HistoryStore, KeepsMessagesAndCallsAcrossAReopen) {
  TempDir dir;
  fs::path file = dir.path() / "profile" / "lanline.db";  // the folder is made too
  std::string error;
  {
    auto store = HistoryStore::open(file, error);
    ASSERT_TRUE(store) << error;
    for (int i = 0; i < 5; ++i) {
      auto m =
          message("sip:bob@192.0.2.7:5070", i % 2 ? Direction::kOutgoing : Direction::kIncoming,
                  "line " + std::to_string(i), 1000 + i);
      m.engine_id = static_cast<std::uint64_t>(i);
      ASSERT_TRUE(store->add_message(m, error)) << error;
      EXPECT_GT(m.id, 0);
    }
    auto other = message("sip:carol@192.0.2.8", Direction::kIncoming, "not bob's", 2000);
    ASSERT_TRUE(store->add_message(other, error));
    ASSERT_TRUE(store->set_message_state(3, "delivered", "", error)) << error;
    ASSERT_TRUE(store->set_message_state(1, "failed", "408 Request Timeout", error));

    StoredCall call;
    call.remote = "sip:bob@192.0.2.7:5070";
    call.peer = peer_key(call.remote);
    call.direction = Direction::kIncoming;
    call.start_ms = 5000;
    ASSERT_TRUE(store->add_call(call, error)) << error;
    call.answered_ms = 6000;
    call.duration_ms = 42000;
    call.result = "answered";
    ASSERT_TRUE(store->update_call(call, error)) << error;
    StoredCall missed;
    missed.remote = "sip:carol@192.0.2.8";
    missed.peer = peer_key(missed.remote);
    missed.start_ms = 7000;
    missed.result = "missed";
    ASSERT_TRUE(store->add_call(missed, error));
  }
  auto store = HistoryStore::open(file, error);
  ASSERT_TRUE(store) << error;
  auto lines = store->messages("bob@192.0.2.7", 100, error);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines.front().text, "line 0");  // oldest first
  EXPECT_EQ(lines.back().text, "line 4");
  EXPECT_EQ(lines[1].state, "failed");
  EXPECT_EQ(lines[1].reason, "408 Request Timeout");
  EXPECT_EQ(lines[3].state, "delivered");
  EXPECT_EQ(lines[0].state, "received");
  EXPECT_EQ(lines[0].direction, Direction::kIncoming);
  // A limit keeps the newest, still oldest first.
  auto last_two = store->messages("bob@192.0.2.7", 2, error);
  ASSERT_EQ(last_two.size(), 2u);
  EXPECT_EQ(last_two[0].text, "line 3");
  EXPECT_EQ(last_two[1].text, "line 4");

  auto calls = store->calls("", 10, error);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].result, "missed");  // newest first
  EXPECT_EQ(calls[1].result, "answered");
  EXPECT_EQ(calls[1].duration_ms, 42000);
  EXPECT_EQ(calls[1].direction, Direction::kIncoming);
  EXPECT_EQ(store->calls("bob@192.0.2.7", 10, error).size(), 1u);
  EXPECT_TRUE(error.empty()) << error;

  // WAL and the schema version are on the file.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), HistoryStore::kSchemaVersion);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST(HistoryStore, TextSurvivesAsGiven) {
  TempDir dir;
  std::string error;
  auto store = HistoryStore::open(dir.path() / "lanline.db", error);
  ASSERT_TRUE(store);
  std::string text = "quotes ' \" ; DROP TABLE messages; -- \xC3\xA9\xE2\x9C\x93 and a\nnewline";
  text += std::string(1, '\0') + "after a NUL";
  auto m = message("sip:bob@h", Direction::kIncoming, text, 1);
  ASSERT_TRUE(store->add_message(m, error));
  auto lines = store->messages("bob@h", 10, error);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, text);
}

TEST(HistoryStore, ADamagedFileIsReportedAndLeftUntouched) {
  TempDir dir;
  fs::path file = dir.path() / "lanline.db";
  {
    std::ofstream out(file, std::ios::binary);
    out << "this is not a database, it is someone's notes\n";
    for (int i = 0; i < 200; ++i)
      out << "line " << i << "\n";
  }
  std::string before = read_bytes(file);
  std::string error;
  EXPECT_FALSE(HistoryStore::open(file, error));
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
  EXPECT_NE(error.find("Move it away"), std::string::npos) << error;
  EXPECT_EQ(read_bytes(file), before);
}

TEST(HistoryStore, ACorruptPageIsFoundAndTheFileKept) {
  TempDir dir;
  fs::path file = dir.path() / "lanline.db";
  std::string error;
  {
    auto store = HistoryStore::open(file, error);
    ASSERT_TRUE(store);
    for (int i = 0; i < 300; ++i) {
      auto m = message("sip:bob@h", Direction::kIncoming, std::string(200, 'x'), i);
      ASSERT_TRUE(store->add_message(m, error));
    }
  }
  // Fold the WAL into the file, then scribble over a page in the middle.
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE", nullptr,
                 nullptr, nullptr);
    sqlite3_close(raw);
  }
  {
    std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(4096 * 3 + 100);
    std::string junk(2000, '\xA5');
    io.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  std::string before = read_bytes(file);
  EXPECT_FALSE(HistoryStore::open(file, error));
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
  EXPECT_EQ(read_bytes(file), before);
}

TEST(HistoryStore, ANewerSchemaIsLeftAlone) {
  TempDir dir;
  fs::path file = dir.path() / "lanline.db";
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw, "CREATE TABLE future (x); PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  std::string before = read_bytes(file);
  std::string error;
  EXPECT_FALSE(HistoryStore::open(file, error));
  EXPECT_NE(error.find("newer Lanline"), std::string::npos) << error;
  EXPECT_EQ(read_bytes(file), before);
}

// A version 1 file (before message ids) is moved to version 2 in place: its messages are
// kept, shown at their own time, and one left "sending" by the old version is failed.
TEST(HistoryStore, AVersion1FileIsMigratedKeepingItsMessages) {
  TempDir dir;
  fs::path file = dir.path() / "lanline.db";
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  const char* v1 = R"sql(
    CREATE TABLE messages (id INTEGER PRIMARY KEY, peer TEXT NOT NULL, remote TEXT NOT NULL,
      name TEXT NOT NULL DEFAULT '', direction TEXT NOT NULL, text TEXT NOT NULL,
      time_ms INTEGER NOT NULL, state TEXT NOT NULL, engine_id INTEGER NOT NULL DEFAULT 0,
      reason TEXT NOT NULL DEFAULT '');
    CREATE TABLE calls (id INTEGER PRIMARY KEY, peer TEXT NOT NULL, remote TEXT NOT NULL,
      name TEXT NOT NULL DEFAULT '', direction TEXT NOT NULL, start_ms INTEGER NOT NULL,
      answered_ms INTEGER NOT NULL DEFAULT 0, duration_ms INTEGER NOT NULL DEFAULT 0,
      result TEXT NOT NULL DEFAULT '', end_code INTEGER NOT NULL DEFAULT 0,
      reason TEXT NOT NULL DEFAULT '');
    INSERT INTO messages (peer, remote, direction, text, time_ms, state)
      VALUES ('bob@192.0.2.7', 'sip:bob@192.0.2.7', 'in', 'old one', 100, 'received'),
             ('bob@192.0.2.7', 'sip:bob@192.0.2.7', 'out', 'cut short', 200, 'sending');
    PRAGMA user_version = 1;)sql";
  ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  std::string error;
  auto store = HistoryStore::open(file, error);
  ASSERT_TRUE(store) << error;
  auto list = store->messages("bob@192.0.2.7", 10, error);
  ASSERT_EQ(list.size(), 2u) << error;
  EXPECT_EQ(list[0].text, "old one");
  EXPECT_EQ(list[0].sort_ms, 100);
  EXPECT_EQ(list[1].state, "failed");
  EXPECT_TRUE(store->pending(error).empty());
  EXPECT_EQ(store->next_seq("bob@192.0.2.7", error), 1);
}

TEST(HistoryStore, IncomingByIdOnceOutgoingPendingInOrder) {
  TempDir dir;
  std::string error;
  auto store = HistoryStore::open(dir.path() / "lanline.db", error);
  ASSERT_TRUE(store) << error;
  StoredMessage in = message("sip:bob@192.0.2.7", Direction::kIncoming, "hi", 1000);
  in.msg_id = "a-1";
  EXPECT_EQ(store->add_incoming(in, error), HistoryStore::Insert::kNew);
  StoredMessage again = in;
  EXPECT_EQ(store->add_incoming(again, error), HistoryStore::Insert::kDuplicate);
  // The same id from another address of the same sender is the same message.
  StoredMessage other = message("sip:bob@[fe80::7]", Direction::kIncoming, "hi", 1001);
  other.msg_id = "a-1";
  EXPECT_EQ(store->add_incoming(other, error), HistoryStore::Insert::kDuplicate);
  // A phone's messages carry no id: each is kept.
  StoredMessage phone = message("sip:desk@192.0.2.8", Direction::kIncoming, "x", 1002);
  EXPECT_EQ(store->add_incoming(phone, error), HistoryStore::Insert::kNew);
  StoredMessage phone_again = phone;
  EXPECT_EQ(store->add_incoming(phone_again, error), HistoryStore::Insert::kNew);
  EXPECT_EQ(store->messages("bob@192.0.2.7", 10, error).size(), 1u);

  for (int i = 1; i <= 3; ++i) {
    StoredMessage out = message("sip:bob@192.0.2.7", Direction::kOutgoing, "o", 2000 + i);
    out.state = "queued";
    out.msg_id = "o-" + std::to_string(i);
    out.seq = store->next_seq(out.peer, error);
    EXPECT_EQ(out.seq, i);
    ASSERT_TRUE(store->add_message(out, error)) << error;
    if (i == 2) {
      out.state = "delivered";
      out.attempts = 3;
      ASSERT_TRUE(store->update_outgoing(out, error)) << error;
    }
  }
  auto pending = store->pending(error);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].msg_id, "o-1");
  EXPECT_EQ(pending[1].msg_id, "o-3");
  auto all = store->messages("bob@192.0.2.7", 10, error);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].state, "delivered");
  EXPECT_EQ(all[2].attempts, 3);
}

TEST(HistoryStore, ALockedDatabaseSaysWhoToStop) {
  TempDir dir;
  fs::path file = dir.path() / "lanline.db";
  // Another process's exclusive lock on a rollback-journal database blocks even readers.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other,
                         "CREATE TABLE notes (x); PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
                         "INSERT INTO notes VALUES (1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::string error;
  EXPECT_FALSE(HistoryStore::open(file, error));
  EXPECT_NE(error.find("locked"), std::string::npos) << error;
  EXPECT_NE(error.find("--profile"), std::string::npos) << error;
  sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // Once the other process is gone the same file opens, and its table is still there.
  auto store = HistoryStore::open(file, error);
  ASSERT_TRUE(store) << error;
  sqlite3* check = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &check), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(check, "SELECT x FROM notes", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(check);
}

TEST(HistoryStore, AFolderThatCannotBeMadeIsReported) {
  TempDir dir;
  { std::ofstream(dir.path() / "data") << "a file where the folder should be"; }
  std::string error;
  EXPECT_FALSE(HistoryStore::open(dir.path() / "data" / "lanline.db", error));
  EXPECT_NE(error.find("cannot create the folder"), std::string::npos) << error;
}

}  // namespace
}  // namespace lanline::history
