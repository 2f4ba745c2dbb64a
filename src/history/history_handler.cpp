#include "history/history_handler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace lanline::history {
namespace {

using nlohmann::json;

json failure(std::string error) {
  return json{{"ok", false}, {"error", std::move(error)}};
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json to_json(const StoredCall& c) {
  return json{{"id", c.id},
              {"peer", c.peer},
              {"remote", c.remote},
              {"name", c.name},
              {"direction", std::string(to_string(c.direction))},
              {"start_ms", c.start_ms},
              {"answered_ms", c.answered_ms},
              {"duration_ms", c.duration_ms},
              {"result", c.result},
              {"end_code", c.end_code},
              {"reason", c.reason}};
}

std::string text_of(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::uint64_t id_of(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return 0;
  // Ids are unsigned; a client may still send one as a signed number.
  return it->is_number_unsigned()
             ? it->get<std::uint64_t>()
             : static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()));
}

// How a call that ended is filed, from what we saw of it.
std::string result_of(const StoredCall& call, bool we_declined) {
  if (call.answered_ms != 0) return "answered";
  if (call.direction == Direction::kIncoming) return we_declined ? "declined" : "missed";
  switch (call.end_code) {
    case 487:
      return "cancelled";
    case 486:
    case 600:
    case 603:
      return "declined";
    default:
      return "failed";
  }
}

// "Bob" or an instance id names a discovered peer; anything with a scheme or an '@', or a
// bare host, is an address already.
bool is_address(const std::string& target) {
  return target.rfind("sip:", 0) == 0 || target.rfind("sips:", 0) == 0 ||
         target.find('@') != std::string::npos || target.find('.') != std::string::npos ||
         target.find_first_not_of("0123456789.:[]abcdefABCDEF") == std::string::npos;
}

}  // namespace

std::string HistoryHandler::resolve(const std::string& target) {
  if (is_address(target)) return target;
  // A peer's name or instance id: its contact, as the engine's peer list has it.
  json reply = engine_.execute({{"cmd", "peers"}});
  for (const json& peer : reply.value("peers", json::array())) {
    if (text_of(peer, "name") != target && text_of(peer, "instance_id") != target) continue;
    for (const json& uri : peer.value("uris", json::array()))
      if (uri.is_string()) return uri.get<std::string>();
  }
  return target;
}

HistoryHandler::HistoryHandler(engine::CommandHandler& engine, std::unique_ptr<HistoryStore> store,
                               std::string store_error, DeviceLister devices, Clock clock,
                               OutboxOptions outbox, Outbox::Soon soon)
    : engine_(engine),
      store_(std::move(store)),
      store_error_(std::move(store_error)),
      devices_(std::move(devices)),
      clock_(clock ? std::move(clock) : Clock(&system_now_ms)) {
  engine_token_ = engine_.subscribe([this](const json& event) { on_engine_event(event); });
  if (store_) {
    outbox_ = std::make_unique<Outbox>(
        *store_, engine_, clock_, [this](const json& event) { emit(event); }, outbox,
        std::move(soon));
  }
}

HistoryStore::Insert HistoryHandler::store_incoming(StoredMessage message) {
  just_stored_.reset();
  if (!store_) return HistoryStore::Insert::kNew;  // no history: answered, not kept
  message.peer = peer_key(message.remote);
  message.direction = Direction::kIncoming;
  message.time_ms = clock_();
  if (message.sort_ms == 0) message.sort_ms = message.time_ms;
  message.state = "received";
  std::string error;
  const HistoryStore::Insert kept = store_->add_incoming(message, error);
  if (kept == HistoryStore::Insert::kFailed) {
    failed_write("a received message (the sender will try again)", error);
  } else if (kept == HistoryStore::Insert::kNew) {
    just_stored_ = std::move(message);
  }
  return kept;
}

void HistoryHandler::tick() {
  if (outbox_) outbox_->pump();
}

HistoryHandler::~HistoryHandler() {
  engine_.unsubscribe(engine_token_);
}

std::uint64_t HistoryHandler::subscribe(EventSink sink) {
  std::uint64_t token = next_token_++;
  sinks_[token] = std::move(sink);
  return token;
}

void HistoryHandler::unsubscribe(std::uint64_t token) {
  sinks_.erase(token);
}

void HistoryHandler::emit(const json& event) {
  auto sinks = sinks_;  // a sink may unsubscribe while we deliver
  for (auto& [token, sink] : sinks)
    sink(event);
}

void HistoryHandler::failed_write(const std::string& what, const std::string& error) {
  // The event still reaches every client; only the record is missing, so say it loudly.
  spdlog::error("history: could not store {} in {}: {}", what,
                store_ ? store_->file().native() : std::string("?"), error);
}

json HistoryHandler::execute(const json& request) {
  std::string cmd = request.is_object() ? text_of(request, "cmd") : std::string();
  if (cmd == "history") return history(request);
  if (cmd == "message" && outbox_) {
    const std::string target = text_of(request, "target");
    const std::string remote = resolve(target);
    if (!target.empty() && !is_address(remote)) {
      return failure("'" + target + "' is neither a discovered peer (see `lanline ctl peers`) " +
                     "nor a SIP address");
    }
    return outbox_->submit(request, remote);
  }
  if (cmd == "devices") {
    if (!devices_) return failure("listing audio devices is not available in this build");
    return devices_();
  }
  return after_engine(request, engine_.execute(request));
}

void HistoryHandler::execute_async(const json& request, ReplySink reply) {
  std::string cmd = request.is_object() ? text_of(request, "cmd") : std::string();
  if (cmd == "history" || cmd == "devices" || (cmd == "message" && outbox_)) {
    reply(execute(request));  // the outbox sends, and looks a host name up, later
    return;
  }
  // The engine may answer later (a host name to look up): file what it did then.
  engine_.execute_async(request, [this, alive = std::weak_ptr<bool>(alive_), request,
                                  reply = std::move(reply)](json answer) {
    if (alive.expired()) return;
    reply(after_engine(request, std::move(answer)));
  });
}

json HistoryHandler::after_engine(const json& request, json reply) {
  std::string cmd = request.is_object() ? text_of(request, "cmd") : std::string();
  if (!reply.value("ok", false)) {
    // The engine's list of commands does not know the two served here.
    if (reply.contains("error") && text_of(reply, "error").rfind("unknown command", 0) == 0)
      reply["error"] = text_of(reply, "error") + ", history, devices";
    return reply;
  }
  if (cmd == "decline") {
    declined_.insert(id_of(reply, "call"));
  } else if (cmd == "message") {
    // Without a store (no outbox): sent once, as the engine did it.
    StoredMessage message;
    message.remote = resolve(text_of(request, "target"));
    if (message.remote.rfind("sip:", 0) != 0 && message.remote.rfind("sips:", 0) != 0)
      message.remote = "sip:" + message.remote;
    message.peer = peer_key(message.remote);
    message.direction = Direction::kOutgoing;
    message.text = text_of(request, "text");
    message.time_ms = clock_();
    message.state = "sending";
    message.engine_id = id_of(reply, "message");
    message.id = static_cast<std::int64_t>(message.engine_id);
    sent_peer_[message.engine_id] = message.peer;
    json event = message_json(message);
    event["event"] = "message.sent";
    emit(event);
  }
  return reply;
}

json HistoryHandler::history(const json& request) {
  if (!store_) return failure(store_error_);
  std::string target = text_of(request, "target");
  int limit = request.value("limit", 200);
  if (limit <= 0 || limit > 10000) return failure("'limit' must be between 1 and 10000");
  std::string error;
  json reply{{"ok", true}};
  if (target.empty()) {
    // The call log: every peer, newest first.
    json calls = json::array();
    for (const StoredCall& call : store_->calls("", limit, error))
      calls.push_back(to_json(call));
    if (!error.empty()) return failure("cannot read the history: " + error);
    reply["calls"] = calls;
    return reply;
  }
  std::string peer = peer_key(resolve(target));
  json messages = json::array();
  for (const StoredMessage& message : store_->messages(peer, limit, error))
    messages.push_back(message_json(message));
  json calls = json::array();
  for (const StoredCall& call : store_->calls(peer, limit, error))
    calls.push_back(to_json(call));
  if (!error.empty()) return failure("cannot read the history: " + error);
  reply["peer"] = peer;
  reply["messages"] = messages;
  reply["calls"] = calls;
  return reply;
}

void HistoryHandler::record_call(json& event) {
  std::uint64_t id = id_of(event, "id");
  std::string state = text_of(event, "state");
  auto [it, is_new] = live_calls_.try_emplace(id);
  StoredCall& call = it->second;
  std::string error;
  if (is_new) {
    call.remote = text_of(event, "remote");
    call.peer = peer_key(call.remote);
    call.name = text_of(event, "name");
    call.direction =
        text_of(event, "direction") == "incoming" ? Direction::kIncoming : Direction::kOutgoing;
    call.start_ms = clock_();
    if (store_ && !store_->add_call(call, error)) failed_write("a call", error);
  }
  if (call.name.empty()) call.name = text_of(event, "name");
  if (state == "established" && call.answered_ms == 0) {
    call.answered_ms = clock_();
    if (store_ && !store_->update_call(call, error)) failed_write("a call", error);
  } else if (state == "terminated") {
    if (call.answered_ms != 0) call.duration_ms = clock_() - call.answered_ms;
    call.end_code = event.value("end_code", 0);
    call.reason = text_of(event, "end_reason");
    call.result = result_of(call, declined_.count(id) != 0);
    if (store_ && call.id != 0 && !store_->update_call(call, error)) failed_write("a call", error);
    event["result"] = call.result;
    event["duration_ms"] = call.duration_ms;
    event["peer"] = call.peer;
    live_calls_.erase(it);  // `call` is gone from here on
    declined_.erase(id);
    return;
  }
  event["peer"] = call.peer;
}

void HistoryHandler::on_engine_event(const json& original) {
  try {
    json event = original;
    std::string kind = text_of(event, "event");
    std::string error;
    if (kind == "call.state") {
      record_call(event);
    } else if (kind == "message.received" && event.value("stored", false)) {
      // Kept already, before the engine answered it (store_incoming).
      if (just_stored_) {
        event["peer"] = just_stored_->peer;
        event["time_ms"] = just_stored_->time_ms;
        event["sort_ms"] = just_stored_->sort_ms;
        event["message"] = just_stored_->id;
        just_stored_.reset();
      } else {
        event["peer"] = peer_key(text_of(event, "from"));
      }
    } else if (kind == "message.received") {
      StoredMessage message;
      message.remote = text_of(event, "from");
      message.peer = peer_key(message.remote);
      message.name = text_of(event, "name");
      message.direction = Direction::kIncoming;
      message.text = text_of(event, "text");
      message.time_ms = clock_();
      message.state = "received";
      if (store_ && !store_->add_message(message, error)) failed_write("a received message", error);
      event["peer"] = message.peer;
      event["time_ms"] = message.time_ms;
    } else if (kind == "message.status" && outbox_ && outbox_->on_status(event)) {
      return;  // one of the outbox's attempts: it tells the outcome itself
    } else if ((kind == "peer.added" || kind == "peer.updated") && outbox_) {
      outbox_->wake();  // it may be reachable now: what waits for it goes
    } else if (kind == "message.status") {
      std::uint64_t id = id_of(event, "message");
      bool delivered = event.value("delivered", false);
      std::string reason = delivered ? "" : text_of(event, "reason");
      if (store_ &&
          !store_->set_message_state(id, delivered ? "delivered" : "failed", reason, error)) {
        failed_write("a message's delivery state", error);
      }
      if (auto peer = sent_peer_.find(id); peer != sent_peer_.end()) {
        event["peer"] = peer->second;
        sent_peer_.erase(peer);
      }
    }
    emit(event);
  } catch (const std::exception& e) {
    spdlog::error("history: an engine event could not be handled: {}", e.what());
  }
}

}  // namespace lanline::history
