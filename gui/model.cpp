#include "model.hpp"

#include <algorithm>
#include <cctype>

#include "history/history_store.hpp"

namespace lanline::gui {
namespace {

using nlohmann::json;

std::string text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string first_text(const json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (std::string value = text(object, key); !value.empty()) return value;
  }
  return {};
}

std::uint64_t number(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return 0;
  // Ids are unsigned; a client may still send one as a signed number.
  return it->is_number_unsigned()
             ? it->get<std::uint64_t>()
             : static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()));
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value;
}

// "sip:bob@192.0.2.7:5070" -> "bob"; a display name wins when there is one.
std::string name_from(const std::string& name, const std::string& uri) {
  if (!name.empty()) return name;
  std::string key = key_of(uri);
  auto at = key.find('@');
  return at == std::string::npos || at == 0 ? key : key.substr(0, at);
}

}  // namespace

std::string key_of(const std::string& uri) {
  return history::peer_key(uri);
}

Conversation& Model::conversation(const std::string& key, const std::string& name,
                                  const std::string& uri) {
  Conversation& chat = conversations[key];
  chat.key = key;
  if (!name.empty()) chat.name = name;
  if (chat.name.empty()) chat.name = name_from(name, uri);
  if (!uri.empty() && chat.uri.empty()) chat.uri = uri;
  return chat;
}

void Model::remember_contact(const std::string& key, const std::string& name,
                             const std::string& uri) {
  if (key.empty()) return;
  Peer& peer = peers[key];
  if (peer.key.empty()) {
    peer.key = key;
    peer.uri = uri;
    peer.presence = "offline";  // unknown until discovery says otherwise
  }
  if (!name.empty() && (peer.name.empty() || !peer.discovered)) peer.name = name;
  if (peer.name.empty()) peer.name = name_from(name, uri);
  if (peer.uri.empty()) peer.uri = uri;
}

void Model::apply_status(const json& reply) {
  if (!reply.value("ok", false)) return;
  me.name = text(reply, "name");
  me.uri = text(reply, "uri");
  me.profile = text(reply, "profile");
  me.sip_port = reply.value("sip_port", 0);
  if (std::string presence = text(reply, "presence"); !presence.empty()) me.presence = presence;
  if (reply.contains("note")) me.note = text(reply, "note");
}

void Model::apply_accounts(const json& reply) {
  if (!reply.value("ok", false) || !reply.contains("accounts")) return;
  accounts.clear();
  for (const json& entry : reply["accounts"])
    on_account(entry);
}

void Model::on_account(const json& event) {
  Account account{text(event, "aor"), text(event, "state"), event.value("expires", 0),
                  text(event, "error")};
  for (Account& known : accounts) {
    if (known.aor == account.aor) {
      known = std::move(account);
      return;
    }
  }
  accounts.push_back(std::move(account));
}

void Model::apply_peers(const json& reply) {
  if (!reply.value("ok", false) || !reply.contains("peers")) return;
  for (auto& [key, peer] : peers)
    peer.discovered = false;
  for (const json& entry : reply["peers"])
    on_peer(entry, false);
}

void Model::on_peer(const json& entry, bool removed) {
  // Discovery's records: the contact to call, and who it is (tolerant of the key names
  // of the TXT records, which the engine passes through).
  std::string uri = first_text(entry, {"contact", "uri"});
  if (auto uris = entry.find("uris"); uri.empty() && uris != entry.end() && uris->is_array()) {
    for (const json& candidate : *uris) {
      if (candidate.is_string()) {
        uri = candidate.get<std::string>();
        break;
      }
    }
  }
  if (!uri.empty() && uri.front() == '<') uri = uri.substr(1, uri.find('>') - 1);
  std::string key = uri.empty() ? first_text(entry, {"instance_id", "name"}) : key_of(uri);
  if (key.empty()) return;
  if (removed) {
    if (auto it = peers.find(key); it != peers.end()) {
      it->second.discovered = false;
      it->second.reachable = false;
      it->second.presence = "offline";
    }
    return;
  }
  Peer& peer = peers[key];
  peer.key = key;
  peer.discovered = true;
  if (!uri.empty()) peer.uri = uri;
  if (std::string name = text(entry, "name"); !name.empty()) peer.name = name;
  if (peer.name.empty()) peer.name = name_from("", uri);
  peer.instance_id = text(entry, "instance_id");
  std::string presence = lower(first_text(entry, {"presence", "state"}));
  peer.presence = presence.empty() ? "available" : presence;
  peer.note = text(entry, "note");
  peer.caps.clear();
  if (auto caps = entry.find("caps"); caps != entry.end()) {
    if (caps->is_array()) {
      for (const json& cap : *caps)
        if (cap.is_string()) peer.caps.push_back(cap.get<std::string>());
    } else if (caps->is_string()) {
      std::string list = caps->get<std::string>();
      std::size_t start = 0;
      while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        std::string cap = list.substr(start, comma - start);
        if (!cap.empty()) peer.caps.push_back(cap);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  peer.reachable = entry.value("reachable", true);
  peer.identity = text(entry, "identity");
  if (peer.identity.empty()) peer.identity = "unknown";
  peer.fp = text(entry, "fp");
  peer.pinned_fp = text(entry, "pinned_fp");
}

bool Call::video_flag(const char* stream, const char* flag) const {
  if (!stats.is_object()) return false;
  auto media = stats.find("media");
  if (media == stats.end() || !media->is_object()) return false;
  auto video = media->find(stream);
  if (video == media->end() || !video->is_object()) return false;
  return video->value(flag, false);
}

void Model::apply_calls(const json& reply) {
  if (!reply.value("ok", false) || !reply.contains("calls")) return;
  for (const json& entry : reply["calls"]) {
    std::uint64_t id = number(entry, "id");
    auto it = calls.find(id);
    if (it == calls.end()) {
      json event = entry;
      on_call_state(event);
      it = calls.find(id);
      if (it == calls.end()) continue;
    }
    it->second.stats = entry;
    if (entry.contains("muted")) it->second.muted = entry.value("muted", false);
  }
}

void Model::on_call_state(const json& event) {
  std::uint64_t id = number(event, "id");
  Call& call = calls[id];
  call.id = id;
  call.state = text(event, "state");
  call.direction = text(event, "direction");
  call.remote = text(event, "remote");
  if (std::string name = text(event, "name"); !name.empty()) call.name = name;
  call.peer = text(event, "peer");
  if (call.peer.empty()) call.peer = key_of(call.remote);
  call.local_hold = event.value("local_hold", false);
  call.remote_hold = event.value("remote_hold", false);
  if (call.state == "established" && !call.answered)
    call.answered = std::chrono::steady_clock::now();
  remember_contact(call.peer, call.name, call.remote);
  if (call.state == "terminated") {
    // A call of ours that failed says why; a caller giving up is no error of ours (the
    // call log shows it as missed).
    std::string reason = text(event, "end_reason");
    if (call.direction == "outgoing" && !reason.empty() && event.value("end_code", 0) >= 300)
      last_error = call.name.empty() ? reason : call.name + ": " + reason;
    calls.erase(id);
    call_log_stale = true;
  }
}

void Model::on_message(const json& event, bool outgoing) {
  std::string uri = outgoing ? text(event, "remote") : text(event, "from");
  std::string key = text(event, "peer");
  if (key.empty()) key = key_of(uri);
  std::string name = text(event, "name");
  remember_contact(key, name, uri);
  Conversation& chat = conversation(key, outgoing ? "" : name, uri);
  ChatLine line;
  line.time_ms = event.value("time_ms", now_ms());
  line.outgoing = outgoing;
  line.text = text(event, "text");
  line.state = outgoing ? text(event, "state") : "received";
  line.engine_id = number(event, "message");
  line.sort_ms = event.value("sort_ms", line.time_ms);
  line.seq = event.value("seq", std::int64_t{0});
  // In the sender's order, should a retry have overtaken an earlier message.
  auto at = std::upper_bound(
      chat.lines.begin(), chat.lines.end(), line, [](const ChatLine& a, const ChatLine& b) {
        return a.sort_ms != b.sort_ms ? a.sort_ms < b.sort_ms : a.seq < b.seq;
      });
  chat.lines.insert(at, line);
  chat.last_activity_ms = line.time_ms;
  if (!outgoing && open_chat != key) ++chat.unread;
}

void Model::on_message_status(const json& event) {
  std::uint64_t id = number(event, "message");
  bool delivered = event.value("delivered", false);
  for (auto& [key, chat] : conversations) {
    for (auto line = chat.lines.rbegin(); line != chat.lines.rend(); ++line) {
      if (line->outgoing && line->engine_id == id && line->state != "delivered" &&
          line->state != "failed") {
        line->state = delivered ? "delivered" : "failed";
        line->reason = text(event, "reason");
        return;
      }
    }
  }
}

void Model::apply_event(const json& event) {
  std::string kind = text(event, "event");
  if (kind == "call.state") {
    on_call_state(event);
  } else if (kind == "message.received") {
    on_message(event, false);
  } else if (kind == "message.sent") {
    on_message(event, true);
  } else if (kind == "message.status") {
    on_message_status(event);
  } else if (kind == "peer.added" || kind == "peer.updated") {
    on_peer(event.contains("peer") && event["peer"].is_object() ? event["peer"] : event, false);
  } else if (kind == "peer.removed") {
    on_peer(event.contains("peer") && event["peer"].is_object() ? event["peer"] : event, true);
  } else if (kind == "account.state") {
    on_account(event);
  } else if (kind == "call.stats" || kind == "call.media") {
    if (auto it = calls.find(number(event, "id")); it != calls.end()) it->second.stats = event;
  }
}

void Model::apply_history(const std::string& key, const json& reply) {
  if (!reply.value("ok", false)) {
    history_error = text(reply, "error");
    return;
  }
  Conversation& chat = conversations[key];
  chat.key = key;
  std::vector<ChatLine> lines;
  for (const json& entry : reply.value("messages", json::array())) {
    ChatLine line;
    line.time_ms = entry.value("time_ms", std::int64_t{0});
    line.outgoing = text(entry, "direction") == "out";
    line.text = text(entry, "text");
    line.state = text(entry, "state");
    line.engine_id = number(entry, "message");
    line.reason = text(entry, "reason");
    line.sort_ms = entry.value("sort_ms", line.time_ms);
    line.seq = entry.value("seq", std::int64_t{0});
    lines.push_back(line);
    if (!line.outgoing && chat.name.empty()) chat.name = text(entry, "name");
  }
  // Lines that arrived while the history was on its way are newer than what it holds.
  std::int64_t newest = lines.empty() ? 0 : lines.back().time_ms;
  for (const ChatLine& line : chat.lines) {
    if (line.time_ms > newest) lines.push_back(line);
  }
  chat.lines = std::move(lines);
  chat.history_loaded = true;
}

void Model::apply_call_log(const json& reply) {
  if (!reply.value("ok", false)) {
    history_error = text(reply, "error");
    return;
  }
  call_log.clear();
  for (const json& entry : reply.value("calls", json::array())) {
    CallRecord record;
    record.peer = text(entry, "peer");
    record.remote = text(entry, "remote");
    record.name = text(entry, "name");
    record.direction = text(entry, "direction");
    record.result = text(entry, "result");
    record.reason = text(entry, "reason");
    record.start_ms = entry.value("start_ms", std::int64_t{0});
    record.duration_ms = entry.value("duration_ms", std::int64_t{0});
    call_log.push_back(record);
    remember_contact(record.peer, record.name, record.remote);
  }
  call_log_stale = false;
}

void Model::apply_devices(const json& reply) {
  sources.clear();
  sinks.clear();
  if (!reply.value("ok", false)) {
    devices_note = text(reply, "error");
    return;
  }
  for (const json& entry : reply.value("sources", json::array()))
    sources.push_back({text(entry, "name"), text(entry, "api")});
  for (const json& entry : reply.value("sinks", json::array()))
    sinks.push_back({text(entry, "name"), text(entry, "api")});
  devices_note = text(reply, "note");
}

Call* Model::active_call() {
  Call* best = nullptr;
  for (auto& [id, call] : calls) {
    if (call.state == "incoming" || call.state == "terminated") continue;
    best = &call;  // ids grow, so the last is the newest
  }
  return best;
}

Call* Model::ringing_call() {
  Call* best = nullptr;
  for (auto& [id, call] : calls) {
    if (call.state == "incoming") best = &call;
  }
  return best;
}

Peer* Model::find_peer(const std::string& key) {
  auto it = peers.find(key);
  return it == peers.end() ? nullptr : &it->second;
}

std::vector<const Peer*> Model::visible_peers(const std::string& search) const {
  std::string needle = lower(search);
  std::vector<const Peer*> list;
  for (const auto& [key, peer] : peers) {
    if (!needle.empty() && lower(peer.name).find(needle) == std::string::npos &&
        lower(peer.uri).find(needle) == std::string::npos &&
        lower(peer.note).find(needle) == std::string::npos)
      continue;
    list.push_back(&peer);
  }
  // Discovered and reachable first, then by name.
  std::stable_sort(list.begin(), list.end(), [](const Peer* a, const Peer* b) {
    if (a->discovered != b->discovered) return a->discovered;
    if (a->reachable != b->reachable) return a->reachable;
    return lower(a->name) < lower(b->name);
  });
  return list;
}

}  // namespace lanline::gui
