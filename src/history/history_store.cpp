#include "history/history_store.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>

namespace lanline::history {
namespace {

// One prepared statement, finalized exactly once.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) {
    code_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return code_ == SQLITE_OK && stmt_; }
  int prepare_code() const { return code_; }

  // Binding to a statement that did not prepare does nothing: run() reports why.
  Statement& bind(int index, std::string_view text) {
    if (ok()) {
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    if (ok()) sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }

  std::string text(int column) const {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? std::string(reinterpret_cast<const char*>(value),
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int code_ = SQLITE_ERROR;
};

std::string describe(sqlite3* db, int code) {
  std::string text = sqlite3_errstr(code);
  const char* detail = db ? sqlite3_errmsg(db) : nullptr;
  if (detail && text != detail) text += std::string(" (") + detail + ")";
  return text;
}

// What a person should do about a database SQLite cannot use.
std::string advice(const std::filesystem::path& file, int code, const std::string& what) {
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return "the history database " + file.native() + " is locked by another process (" + what +
           "): is another Lanline node running with this profile? Stop it, or use another "
           "--profile; history is off until then";
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return "the history database " + file.native() + " is damaged (" + what +
           "); Lanline left it untouched. Move it away to start a new history, or rescue it "
           "with `sqlite3 " +
           file.native() + " .recover`; history is off until then";
  }
  if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM) {
    return "cannot open the history database " + file.native() + " for writing (" + what +
           "): check the file's and its folder's owner and permissions; history is off until then";
  }
  return "the history database " + file.native() + " cannot be used (" + what +
         "); history is off until then";
}

// Runs an INSERT or UPDATE to its end; false, with `error` saying why, if it did not.
bool run(sqlite3* db, Statement& statement, std::string& error) {
  const int code = statement.ok() ? statement.step() : statement.prepare_code();
  if (code == SQLITE_DONE) return true;
  error = describe(db, code);
  return false;
}

// One `Row` per row of a SELECT, each made by read(statement); `error` says why the
// list stopped short, if it did.
template <class Row, class Read>
std::vector<Row> rows(sqlite3* db, Statement& query, Read read, std::string& error) {
  std::vector<Row> list;
  if (!query.ok()) {
    error = describe(db, query.prepare_code());
    return list;
  }
  int code;
  while ((code = query.step()) == SQLITE_ROW)
    list.push_back(read(query));
  if (code != SQLITE_DONE) error = describe(db, code);
  return list;
}

int exec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  peer TEXT NOT NULL,
  remote TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  text TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  engine_id INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS messages_by_peer ON messages (peer, time_ms);
CREATE INDEX IF NOT EXISTS messages_by_engine_id ON messages (engine_id);
CREATE TABLE IF NOT EXISTS calls (
  id INTEGER PRIMARY KEY,
  peer TEXT NOT NULL,
  remote TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  start_ms INTEGER NOT NULL,
  answered_ms INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  result TEXT NOT NULL DEFAULT '',
  end_code INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS calls_by_start ON calls (start_ms);
CREATE INDEX IF NOT EXISTS calls_by_peer ON calls (peer, start_ms);
)sql";

// Version 2: each message's id, place and shown time (exactly once, in order), and what
// an outgoing one's retries need.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE messages ADD COLUMN msg_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN sort_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN target TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET sort_ms = time_ms;
UPDATE messages SET state = 'failed', reason = 'not answered before Lanline stopped'
  WHERE state = 'sending';
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_msg_id ON messages (direction, msg_id)
  WHERE msg_id != '';
CREATE INDEX IF NOT EXISTS messages_in_order ON messages (peer, sort_ms, seq);
CREATE INDEX IF NOT EXISTS messages_pending ON messages (state)
  WHERE state IN ('queued', 'sending');
)sql";

constexpr const char* kMessageColumns =
    "id, peer, remote, name, direction, text, time_ms, state, engine_id, reason, msg_id, seq, "
    "sort_ms, target, attempts, expires_ms";

StoredMessage message_from(const Statement& row) {
  StoredMessage m;
  m.id = row.integer(0);
  m.peer = row.text(1);
  m.remote = row.text(2);
  m.name = row.text(3);
  m.direction = row.text(4) == "out" ? Direction::kOutgoing : Direction::kIncoming;
  m.text = row.text(5);
  m.time_ms = row.integer(6);
  m.state = row.text(7);
  m.engine_id = static_cast<std::uint64_t>(row.integer(8));
  m.reason = row.text(9);
  m.msg_id = row.text(10);
  m.seq = row.integer(11);
  m.sort_ms = row.integer(12);
  m.target = row.text(13);
  m.attempts = row.integer(14);
  m.expires_ms = row.integer(15);
  return m;
}

Direction direction_from(const std::string& text) {
  return text == "out" ? Direction::kOutgoing : Direction::kIncoming;
}

}  // namespace

std::string peer_key(std::string_view uri) {
  std::string_view text = uri;
  // "Name <sip:...>" or "<sip:...>"
  if (auto open = text.find('<'); open != std::string_view::npos) {
    text.remove_prefix(open + 1);
    text = text.substr(0, text.find('>'));
  }
  for (std::string_view scheme : {"sips:", "sip:", "SIPS:", "SIP:"}) {
    if (text.substr(0, scheme.size()) == scheme) {
      text.remove_prefix(scheme.size());
      break;
    }
  }
  text = text.substr(0, text.find_first_of(";?"));
  std::string_view user;
  if (auto at = text.rfind('@'); at != std::string_view::npos) {
    user = text.substr(0, at + 1);
    text.remove_prefix(at + 1);
  }
  // Drop the port: "[v6]:port" keeps the brackets' content, "host:port" loses ":port".
  std::string_view host = text;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (host.find(':') == host.rfind(':')) {
    host = host.substr(0, host.find(':'));
  }
  std::string key = std::string(user) + std::string(host);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key;
}

std::string_view to_string(Direction direction) {
  return direction == Direction::kOutgoing ? "out" : "in";
}

HistoryStore::HistoryStore(std::unique_ptr<sqlite3, Closer> db, std::filesystem::path file)
    : db_(std::move(db)), file_(std::move(file)) {}
HistoryStore::~HistoryStore() = default;

std::unique_ptr<HistoryStore> HistoryStore::open(const std::filesystem::path& file,
                                                 std::string& error) {
  std::error_code io;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), io);
  if (io) {
    error = "cannot create the folder of the history database " + file.native() + ": " +
            io.message() + "; history is off until then";
    return nullptr;
  }
  sqlite3* raw = nullptr;
  int code =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);
  if (code != SQLITE_OK) {
    error = advice(file, code, describe(raw, code));
    return nullptr;
  }
  sqlite3_extended_result_codes(raw, 1);
  // Another node may hold the lock for a moment; beyond that, say so rather than hang.
  sqlite3_busy_timeout(raw, 2000);

  // Read the header first: on a file that is not a database, or a damaged one, this is
  // where SQLite says so, before anything is written.
  int version = 0;
  {
    Statement query(raw, "PRAGMA user_version");
    if (!query.ok()) {
      error = advice(file, query.prepare_code(), describe(raw, query.prepare_code()));
      return nullptr;
    }
    int step = query.step();
    if (step != SQLITE_ROW) {
      error = advice(file, step, describe(raw, step));
      return nullptr;
    }
    version = static_cast<int>(query.integer(0));
  }
  if (version > kSchemaVersion) {
    error = "the history database " + file.native() + " was written by a newer Lanline (schema " +
            std::to_string(version) + ", this one knows " + std::to_string(kSchemaVersion) +
            "); Lanline left it untouched: run the newer version, or use another --profile";
    return nullptr;
  }
  if (version > 0) {
    Statement check(raw, "PRAGMA quick_check");
    if (!check.ok() || check.step() != SQLITE_ROW || check.text(0) != "ok") {
      std::string what = check.ok() ? check.text(0) : describe(raw, check.prepare_code());
      error = advice(file, SQLITE_CORRUPT, what.empty() ? "quick_check failed" : what);
      return nullptr;
    }
  }
  // WAL: a reader (another `ctl history`) never blocks the node writing a new message.
  if (int wal = exec(raw, "PRAGMA journal_mode=WAL"); wal != SQLITE_OK) {
    error = advice(file, wal, describe(raw, wal));
    return nullptr;
  }
  exec(raw, "PRAGMA synchronous=NORMAL");
  if (version < kSchemaVersion) {
    // One transaction: a file is at one version or the next, never between.
    std::string migrate = std::string("BEGIN IMMEDIATE;") + (version < 1 ? kSchema : "") +
                          kSchemaV2 + "PRAGMA user_version=" + std::to_string(kSchemaVersion) +
                          ";COMMIT;";
    if (int made = exec(raw, migrate.c_str()); made != SQLITE_OK) {
      error = advice(file, made, describe(raw, made));
      exec(raw, "ROLLBACK");
      return nullptr;
    }
  }
  return std::unique_ptr<HistoryStore>(new HistoryStore(std::move(db), file));
}

namespace {

// INSERT (or INSERT OR IGNORE) of every column but the row id.
bool insert_message(sqlite3* db, const char* verb, StoredMessage& message, std::string& error) {
  const std::string sql = std::string(verb) +
                          " INTO messages (peer, remote, name, direction, text, time_ms, state, "
                          "engine_id, reason, msg_id, seq, sort_ms, target, attempts, expires_ms) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                          "?15)";
  Statement insert(db, sql);
  insert.bind(1, message.peer)
      .bind(2, message.remote)
      .bind(3, message.name)
      .bind(4, to_string(message.direction))
      .bind(5, message.text)
      .bind(6, message.time_ms)
      .bind(7, message.state)
      .bind(8, static_cast<std::int64_t>(message.engine_id))
      .bind(9, message.reason)
      .bind(10, message.msg_id)
      .bind(11, message.seq)
      .bind(12, message.sort_ms != 0 ? message.sort_ms : message.time_ms)
      .bind(13, message.target)
      .bind(14, message.attempts)
      .bind(15, message.expires_ms);
  if (!run(db, insert, error)) return false;
  if (sqlite3_changes(db) == 0) return true;  // ignored: message.id stays 0
  message.id = sqlite3_last_insert_rowid(db);
  if (message.sort_ms == 0) message.sort_ms = message.time_ms;
  return true;
}

}  // namespace

bool HistoryStore::add_message(StoredMessage& message, std::string& error) {
  return insert_message(db_.get(), "INSERT", message, error);
}

HistoryStore::Insert HistoryStore::add_incoming(StoredMessage& message, std::string& error) {
  message.id = 0;
  if (!insert_message(db_.get(), message.msg_id.empty() ? "INSERT" : "INSERT OR IGNORE", message,
                      error))
    return Insert::kFailed;
  return message.id != 0 ? Insert::kNew : Insert::kDuplicate;
}

std::int64_t HistoryStore::next_seq(std::string_view peer, std::string& error) const {
  Statement query(db_.get(),
                  "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE peer = ?1 AND "
                  "direction = 'out'");
  query.bind(1, peer);
  auto next = rows<std::int64_t>(
      db_.get(), query, [](const Statement& row) { return row.integer(0); }, error);
  return next.empty() ? 1 : next.front();
}

std::vector<StoredMessage> HistoryStore::pending(std::string& error) const {
  Statement query(db_.get(), std::string("SELECT ") + kMessageColumns +
                                 " FROM messages WHERE state IN ('queued', 'sending') AND "
                                 "direction = 'out' ORDER BY id");
  return rows<StoredMessage>(db_.get(), query, &message_from, error);
}

bool HistoryStore::update_outgoing(const StoredMessage& message, std::string& error) {
  Statement update(db_.get(),
                   "UPDATE messages SET state = ?1, reason = ?2, attempts = ?3, engine_id = ?4 "
                   "WHERE id = ?5");
  update.bind(1, message.state)
      .bind(2, message.reason)
      .bind(3, message.attempts)
      .bind(4, static_cast<std::int64_t>(message.engine_id))
      .bind(5, message.id);
  return run(db_.get(), update, error);
}

bool HistoryStore::set_message_state(std::uint64_t engine_id, std::string_view state,
                                     std::string_view reason, std::string& error) {
  Statement update(db_.get(),
                   "UPDATE messages SET state = ?1, reason = ?2 WHERE id = (SELECT max(id) FROM "
                   "messages WHERE engine_id = ?3 AND direction = 'out')");
  update.bind(1, state).bind(2, reason).bind(3, static_cast<std::int64_t>(engine_id));
  return run(db_.get(), update, error);
}

bool HistoryStore::add_call(StoredCall& call, std::string& error) {
  Statement insert(db_.get(),
                   "INSERT INTO calls (peer, remote, name, direction, start_ms, answered_ms, "
                   "duration_ms, result, end_code, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                   "?8, ?9, ?10)");
  insert.bind(1, call.peer)
      .bind(2, call.remote)
      .bind(3, call.name)
      .bind(4, to_string(call.direction))
      .bind(5, call.start_ms)
      .bind(6, call.answered_ms)
      .bind(7, call.duration_ms)
      .bind(8, call.result)
      .bind(9, static_cast<std::int64_t>(call.end_code))
      .bind(10, call.reason);
  if (!run(db_.get(), insert, error)) return false;
  call.id = sqlite3_last_insert_rowid(db_.get());
  return true;
}

bool HistoryStore::update_call(const StoredCall& call, std::string& error) {
  Statement update(db_.get(),
                   "UPDATE calls SET name = ?1, answered_ms = ?2, duration_ms = ?3, result = ?4, "
                   "end_code = ?5, reason = ?6 WHERE id = ?7");
  update.bind(1, call.name)
      .bind(2, call.answered_ms)
      .bind(3, call.duration_ms)
      .bind(4, call.result)
      .bind(5, static_cast<std::int64_t>(call.end_code))
      .bind(6, call.reason)
      .bind(7, call.id);
  return run(db_.get(), update, error);
}

std::vector<StoredMessage> HistoryStore::messages(std::string_view peer, int limit,
                                                  std::string& error) const {
  Statement query(db_.get(), std::string("SELECT ") + kMessageColumns +
                                 " FROM (SELECT * FROM messages WHERE peer = ?1 ORDER BY sort_ms "
                                 "DESC, seq DESC, id DESC LIMIT ?2) ORDER BY sort_ms, seq, id");
  query.bind(1, peer).bind(2, static_cast<std::int64_t>(limit));
  return rows<StoredMessage>(db_.get(), query, &message_from, error);
}

std::vector<StoredCall> HistoryStore::calls(std::string_view peer, int limit,
                                            std::string& error) const {
  Statement query(db_.get(),
                  "SELECT id, peer, remote, name, direction, start_ms, answered_ms, duration_ms, "
                  "result, end_code, reason FROM calls WHERE (?1 = '' OR peer = ?1) ORDER BY id "
                  "DESC LIMIT ?2");
  query.bind(1, peer).bind(2, static_cast<std::int64_t>(limit));
  return rows<StoredCall>(
      db_.get(), query,
      [](const Statement& row) {
        StoredCall c;
        c.id = row.integer(0);
        c.peer = row.text(1);
        c.remote = row.text(2);
        c.name = row.text(3);
        c.direction = direction_from(row.text(4));
        c.start_ms = row.integer(5);
        c.answered_ms = row.integer(6);
        c.duration_ms = row.integer(7);
        c.result = row.text(8);
        c.end_code = static_cast<int>(row.integer(9));
        c.reason = row.text(10);
        return c;
      },
      error);
}

}  // namespace lanline::history
