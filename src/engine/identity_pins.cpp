#include "engine/identity_pins.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace lanline::engine {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS pinned_identities ("
    "  instance_id TEXT PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL,"
    "  pinned_ms INTEGER NOT NULL,"
    "  verified INTEGER NOT NULL DEFAULT 0)";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One prepared statement, finalized when it goes.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return stmt_ != nullptr; }
  Statement& bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  std::string text(int column) const {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? reinterpret_cast<const char*>(value) : "";
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

const char* to_string(IdentityState state) {
  switch (state) {
    case IdentityState::kUnknown:
      return "unknown";
    case IdentityState::kPinned:
      return "pinned";
    case IdentityState::kChanged:
      return "changed";
  }
  return "unknown";
}

std::unique_ptr<IdentityPins> IdentityPins::open(const std::filesystem::path& database,
                                                 std::string& error) {
  std::error_code io;
  if (database.has_parent_path()) std::filesystem::create_directories(database.parent_path(), io);
  sqlite3* raw = nullptr;
  const int code =
      sqlite3_open_v2(database.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);
  if (code != SQLITE_OK) {
    error = "cannot open " + database.native() +
            " for the pinned identities: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(code));
    return nullptr;
  }
  sqlite3_busy_timeout(raw, 2000);
  char* message = nullptr;
  if (sqlite3_exec(raw, kSchema, nullptr, nullptr, &message) != SQLITE_OK) {
    error = "cannot keep pinned identities in " + database.native() + ": " +
            (message ? message : "unknown error");
    sqlite3_free(message);
    return nullptr;
  }
  return std::unique_ptr<IdentityPins>(new IdentityPins(std::move(db)));
}

IdentityPins::~IdentityPins() = default;

IdentityCheck IdentityPins::check(const std::string& instance_id, const std::string& fingerprint) {
  IdentityCheck result;
  if (instance_id.empty() || fingerprint.empty()) return result;
  Statement query(db_.get(),
                  "SELECT fingerprint, verified FROM pinned_identities WHERE instance_id = ?1");
  query.bind(1, instance_id);
  if (query.ok() && query.step() == SQLITE_ROW) {
    result.pinned = query.text(0);
    result.verified = query.integer(1) != 0;
    result.state = result.pinned == fingerprint ? IdentityState::kPinned : IdentityState::kChanged;
    return result;
  }
  Statement insert(db_.get(),
                   "INSERT OR IGNORE INTO pinned_identities (instance_id, fingerprint, pinned_ms) "
                   "VALUES (?1, ?2, ?3)");
  insert.bind(1, instance_id).bind(2, fingerprint).bind(3, now_ms());
  if (!insert.ok() || insert.step() != SQLITE_DONE) {
    // Not pinned, so not trusted either: the next sighting tries again.
    spdlog::warn("cannot pin the identity of {}: {}", instance_id, sqlite3_errmsg(db_.get()));
    return result;
  }
  result.state = IdentityState::kPinned;
  result.pinned = fingerprint;
  result.first_seen = true;
  return result;
}

namespace {

// The fingerprint as pinned: DNS-SD's `fp` writes "sha-256 " before the hex, SDP's
// a=fingerprint has it apart.
std::string pinned_form(const std::string& fingerprint) {
  return fingerprint.rfind("sha-256 ", 0) == 0 ? fingerprint : "sha-256 " + fingerprint;
}

}  // namespace

bool IdentityPins::verify(const std::string& fingerprint, std::string& error) {
  Statement update(db_.get(), "UPDATE pinned_identities SET verified = 1 WHERE fingerprint = ?1");
  update.bind(1, pinned_form(fingerprint));
  if (!update.ok() || update.step() != SQLITE_DONE) {
    error = std::string("cannot keep the verification: ") + sqlite3_errmsg(db_.get());
    return false;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    error =
        "no pinned identity has this certificate (a peer not discovered, or not pinned): "
        "nothing to keep the verification with";
    return false;
  }
  return true;
}

bool IdentityPins::verified(const std::string& fingerprint) const {
  Statement query(db_.get(),
                  "SELECT 1 FROM pinned_identities WHERE fingerprint = ?1 AND verified = 1");
  query.bind(1, pinned_form(fingerprint));
  return query.ok() && query.step() == SQLITE_ROW;
}

bool IdentityPins::trust(const std::string& instance_id, const std::string& fingerprint,
                         std::string& error) {
  Statement upsert(db_.get(),
                   "INSERT INTO pinned_identities (instance_id, fingerprint, pinned_ms) VALUES "
                   "(?1, ?2, ?3) ON CONFLICT(instance_id) DO UPDATE SET fingerprint = "
                   "excluded.fingerprint, pinned_ms = excluded.pinned_ms, verified = 0");
  upsert.bind(1, instance_id).bind(2, fingerprint).bind(3, now_ms());
  if (!upsert.ok() || upsert.step() != SQLITE_DONE) {
    error = std::string("cannot pin the new identity: ") + sqlite3_errmsg(db_.get());
    return false;
  }
  return true;
}

}  // namespace lanline::engine
