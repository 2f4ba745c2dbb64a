#include "history/outbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <set>
#include <vector>

namespace lanline::history {
namespace {

using nlohmann::json;

// RFC 4122 version 4: what the receiver keys a message by, once and for all.
std::string new_uuid() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::array<unsigned char, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t word = random();
    for (std::size_t j = 0; j < 8; ++j)
      bytes[i + j] = static_cast<unsigned char>(word >> (8 * j));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  std::string out;
  std::array<char, 3> hex{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    std::snprintf(hex.data(), hex.size(), "%02x", bytes[i]);
    out += hex.data();
  }
  return out;
}

// A failure that may pass: nobody answered, the peer is away or busy for now, or could
// not store it (500 with Retry-After), or was overloaded.
bool may_pass(int code) {
  return code == 0 || code == 408 || code == 480 || code == 500 || code == 503 || code == 504;
}

}  // namespace

json message_json(const StoredMessage& m) {
  return json{{"message", m.id},        {"id", m.id},
              {"peer", m.peer},         {"remote", m.remote},
              {"name", m.name},         {"direction", std::string(to_string(m.direction))},
              {"text", m.text},         {"time_ms", m.time_ms},
              {"sort_ms", m.sort_ms},   {"state", m.state},
              {"message_id", m.msg_id}, {"seq", m.seq},
              {"attempts", m.attempts}, {"reason", m.reason}};
}

Outbox::Outbox(HistoryStore& store, engine::CommandHandler& engine, Clock clock, Emit emit,
               OutboxOptions options, Soon soon)
    : store_(store),
      engine_(engine),
      clock_(std::move(clock)),
      emit_(std::move(emit)),
      options_(options),
      soon_(std::move(soon)) {
  std::string error;
  const std::int64_t now = clock_();
  for (StoredMessage& message : store_.pending(error)) {
    // An attempt under way when the node stopped may or may not have arrived: it goes
    // again, and the receiver keeps it once.
    message.state = "queued";
    next_try_[message.id] = now;
    waiting_.emplace(message.id, std::move(message));
  }
  if (!error.empty()) spdlog::error("history: cannot read the messages waiting to go: {}", error);
  if (!waiting_.empty()) spdlog::info("history: {} messages wait to be sent", waiting_.size());
}

Outbox::~Outbox() {
  *alive_ = false;
}

json Outbox::submit(const json& request, const std::string& remote) {
  const std::string target = request.value("target", "");
  const std::string text = request.value("text", "");
  if (target.empty() || text.empty())
    return {{"ok", false}, {"error", "message needs a target and a text"}};
  StoredMessage m;
  m.remote = remote;
  if (m.remote.rfind("sip:", 0) != 0 && m.remote.rfind("sips:", 0) != 0)
    m.remote = "sip:" + m.remote;
  m.peer = peer_key(m.remote);
  m.direction = Direction::kOutgoing;
  m.text = text;
  m.time_ms = clock_();
  m.sort_ms = m.time_ms;
  m.state = "queued";
  m.msg_id = new_uuid();
  m.target = target;
  m.expires_ms = m.time_ms + options_.expiry_ms;
  std::string error;
  m.seq = store_.next_seq(m.peer, error);
  // Stored first: a message the user was told is queued survives anything after this.
  if (!error.empty() || !store_.add_message(m, error)) {
    return {{"ok", false},
            {"error", "the message was not sent: it could not be stored in " +
                          store_.file().native() + " (" + error + ")"}};
  }
  json event = message_json(m);
  event["event"] = "message.sent";
  const json reply{{"ok", true}, {"message", m.id}, {"message_id", m.msg_id}, {"state", "queued"}};
  const std::int64_t row = m.id;
  next_try_[row] = m.time_ms;
  waiting_.emplace(row, std::move(m));
  emit_(event);
  pump();
  if (failed_now_ && failed_now_->first == row) {
    // Refused at once for good: the user hears it from the command too.
    json refused{{"ok", false}, {"error", failed_now_->second}, {"message", row}};
    failed_now_.reset();
    return refused;
  }
  return reply;
}

void Outbox::pump() {
  const std::int64_t now = clock_();
  std::vector<std::int64_t> due;
  std::vector<std::int64_t> expired;
  std::set<std::string> held;  // targets whose oldest waiting message is not due yet
  for (const auto& [row, message] : waiting_) {
    if (message.state == "sending") continue;
    if (now >= message.expires_ms) {
      expired.push_back(row);
      continue;
    }
    // Oldest first: a newer message to the same target does not overtake one that waits
    // for its retry (the receiver orders by seq anyway; this keeps retries few).
    if (next_try_[row] > now) held.insert(message.target);
    if (held.count(message.target)) continue;
    due.push_back(row);
  }
  for (std::int64_t row : expired) {
    const std::int64_t hours = options_.expiry_ms / (3600 * 1000);
    finish(row, false, 0,
           "not delivered within " + (hours % 24 == 0 ? std::to_string(hours / 24) + " days"
                                                      : std::to_string(hours) + " hours"));
  }
  for (std::int64_t row : due) {
    auto it = waiting_.find(row);
    if (it == waiting_.end() || it->second.state == "sending") continue;
    if (in_flight_[it->second.target] >= options_.window) continue;
    send(row);
  }
}

void Outbox::send(std::int64_t row) {
  StoredMessage& m = waiting_.at(row);
  m.state = "sending";
  m.attempts++;
  save(m);
  in_flight_[m.target]++;
  json request{{"cmd", "message"},       {"target", m.target}, {"text", m.text},
               {"message_id", m.msg_id}, {"seq", m.seq},       {"sent_ms", m.sort_ms}};
  engine_.execute_async(request, [this, alive = std::weak_ptr<bool>(alive_), row](json reply) {
    if (alive.expired()) return;
    sent(row, reply);
  });
}

void Outbox::sent(std::int64_t row, const json& reply) {
  auto it = waiting_.find(row);
  if (it == waiting_.end()) return;
  if (reply.value("ok", false)) {
    const std::uint64_t engine_id = reply.value("message", std::uint64_t{0});
    it->second.engine_id = engine_id;
    attempts_[engine_id] = row;
    save(it->second);
    return;
  }
  in_flight_[it->second.target]--;
  const std::string error = reply.value("error", std::string("could not send"));
  // A refusal that lasts until the user acts (an identity to trust, a certificate
  // refused, a name that means several peers): failed, and said.
  if (reply.value("lasting", false)) {
    finish(row, false, 0, error);
    return;
  }
  // Not sent at all (the peer is not reachable now, its address did not resolve): later.
  retry_later(row, error);
}

bool Outbox::on_status(const json& event) {
  auto id = event.find("message");
  if (id == event.end() || !id->is_number_integer() || id->get<std::int64_t>() < 0) return false;
  auto attempt = attempts_.find(static_cast<std::uint64_t>(id->get<std::int64_t>()));
  if (attempt == attempts_.end()) return false;
  const std::int64_t row = attempt->second;
  attempts_.erase(attempt);
  auto it = waiting_.find(row);
  if (it == waiting_.end()) return true;
  in_flight_[it->second.target]--;
  const int code = event.value("code", 0);
  const std::string reason = event.value("reason", std::string());
  if (code >= 200 && code < 300) {
    finish(row, true, code, "");
  } else if (may_pass(code)) {
    retry_later(row, std::to_string(code) + " " + reason);
  } else {
    finish(row, false, code, std::to_string(code) + " " + reason);
  }
  pump_soon();  // the window has room again
  return true;
}

void Outbox::retry_later(std::int64_t row, const std::string& reason) {
  StoredMessage& m = waiting_.at(row);
  m.state = "queued";
  m.reason = reason;
  save(m);
  const int doublings = static_cast<int>(std::min<std::int64_t>(m.attempts - 1, 20));
  const std::int64_t wait =
      std::min(options_.first_retry_ms << std::max(doublings, 0), options_.longest_retry_ms);
  next_try_[row] = clock_() + wait;
  spdlog::debug("history: message {} to {} (attempt {}) not delivered: {}; again in {} ms", row,
                m.target, m.attempts, reason, wait);
}

void Outbox::finish(std::int64_t row, bool delivered, int code, const std::string& reason) {
  auto it = waiting_.find(row);
  if (it == waiting_.end()) return;
  StoredMessage m = std::move(it->second);
  waiting_.erase(it);
  next_try_.erase(row);
  m.state = delivered ? "delivered" : "failed";
  m.reason = reason;
  save(m);
  if (!delivered) failed_now_ = std::make_pair(row, reason);
  if (!delivered) spdlog::warn("history: message {} to {} failed: {}", row, m.target, reason);
  json event = message_json(m);
  event["event"] = "message.status";
  event["delivered"] = delivered;
  event["code"] = code;
  emit_(event);
}

void Outbox::wake() {
  const std::int64_t now = clock_();
  for (auto& [row, when] : next_try_)
    when = std::min(when, now);
  pump_soon();
}

void Outbox::pump_soon() {
  if (soon_) {
    soon_();
  } else {
    pump();
  }
}

void Outbox::save(const StoredMessage& message) {
  std::string error;
  if (!store_.update_outgoing(message, error))
    spdlog::error("history: cannot store the state of message {}: {}", message.id, error);
}

}  // namespace lanline::history
