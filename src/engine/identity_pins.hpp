// Trust on first use for peers' identities (issue 14): the first certificate fingerprint
// seen for a peer's instance id (its DNS-SD `fp`) is pinned in the profile's SQLite
// database, and every later one is checked against it. A different one is never trusted
// silently: the peer is flagged until the user accepts the new identity (`ctl trust`).
// The table lives beside the history's in the same file, made here if it is missing.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace lanline::engine {

enum class IdentityState {
  kUnknown,  // the peer announces no instance id or no fingerprint: nothing to pin
  kPinned,   // the fingerprint is the one pinned (or was pinned just now, first seen)
  kChanged,  // another fingerprint than the pinned one: not trusted
};
const char* to_string(IdentityState state);

struct IdentityCheck {
  IdentityState state = IdentityState::kUnknown;
  std::string pinned;  // the pinned fingerprint (for kChanged: the old one)
  bool first_seen = false;
  bool verified = false;  // the user compared the short authentication string once
};

class IdentityPins {
 public:
  // Opens (creating its table if need be) `database`; nullptr with `error`.
  static std::unique_ptr<IdentityPins> open(const std::filesystem::path& database,
                                            std::string& error);
  ~IdentityPins();

  // What `fingerprint` is for `instance_id`; pins it when the instance id is new.
  IdentityCheck check(const std::string& instance_id, const std::string& fingerprint);
  // Pins `fingerprint` for `instance_id` in place of what was pinned (the user accepts
  // the peer's new identity). False with `error`.
  bool trust(const std::string& instance_id, const std::string& fingerprint, std::string& error);
  // The user compared the short authentication string of a call with the peer whose
  // certificate has `fingerprint` ("sha-256 AB:..." or "AB:..."): its pinned identity is
  // verified from now on (until another is trusted in its place). False with `error`
  // when no pinned identity has that fingerprint.
  bool verify(const std::string& fingerprint, std::string& error);
  bool verified(const std::string& fingerprint) const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  explicit IdentityPins(std::unique_ptr<sqlite3, Closer> db) : db_(std::move(db)) {}
  std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace lanline::engine
