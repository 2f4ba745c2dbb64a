#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "ui.hpp"

namespace lanline::gui {

using nlohmann::json;

void Actions::send(json request, EngineLink::Reply on_reply) {
  std::string cmd = request.value("cmd", "");
  link_.post(std::move(request), [this, cmd, on_reply = std::move(on_reply)](const json& reply) {
    if (!reply.value("ok", false)) {
      model_.last_error = cmd + ": " + reply.value("error", std::string("failed"));
      spdlog::info("window: {}", model_.last_error);
    }
    if (on_reply) on_reply(reply);
  });
}

void Actions::refresh_status() {
  send({{"cmd", "status"}}, [this](const json& reply) { model_.apply_status(reply); });
}

void Actions::refresh_accounts() {
  link_.post({{"cmd", "accounts"}}, [this](const json& reply) { model_.apply_accounts(reply); });
}

void Actions::refresh_peers() {
  // Until discovery lands the engine answers with an empty list; that is no error.
  link_.post({{"cmd", "peers"}}, [this](const json& reply) { model_.apply_peers(reply); });
}

void Actions::refresh_calls() {
  link_.post({{"cmd", "calls"}}, [this](const json& reply) { model_.apply_calls(reply); });
}

void Actions::refresh_call_log() {
  model_.call_log_stale = false;
  link_.post({{"cmd", "history"}, {"limit", 100}},
             [this](const json& reply) { model_.apply_call_log(reply); });
}

void Actions::refresh_devices() {
  link_.post({{"cmd", "devices"}}, [this](const json& reply) { model_.apply_devices(reply); });
}

void Actions::load_history(const std::string& key, const std::string& target) {
  link_.post({{"cmd", "history"}, {"target", target.empty() ? key : target}, {"limit", 500}},
             [this, key](const json& reply) { model_.apply_history(key, reply); });
}

void Actions::call(const std::string& target) {
  model_.last_error.clear();
  send({{"cmd", "call"}, {"target", target}});
}

void Actions::trust_and_call(const std::string& instance_id, const std::string& target) {
  send({{"cmd", "trust"}, {"target", instance_id}}, [this, target](const json& reply) {
    if (reply.value("ok", false)) call(target);
  });
}

void Actions::answer(std::uint64_t call) {
  send({{"cmd", "answer"}, {"call", call}});
}

void Actions::decline(std::uint64_t call) {
  send({{"cmd", "decline"}, {"call", call}});
}

void Actions::hangup(std::uint64_t call) {
  send({{"cmd", "hangup"}, {"call", call}});
}

void Actions::hold(std::uint64_t call, bool on) {
  send({{"cmd", on ? "hold" : "resume"}, {"call", call}});
}

void Actions::verify(std::uint64_t call) {
  send({{"cmd", "verify"}, {"call", call}}, [this](const json&) { refresh_calls(); });
}

void Actions::mute(bool on) {
  send({{"cmd", on ? "mute" : "unmute"}}, [this, on](const json& reply) {
    if (!reply.value("ok", false)) return;
    if (Call* call = model_.active_call()) call->muted = on;
  });
}

void Actions::share_screen(std::uint64_t call, bool on) {
  if (!on) {
    send({{"cmd", "screen"}, {"call", call}, {"action", "stop"}});
    return;
  }
  send({{"cmd", "screen"}, {"action", "monitors"}}, [this, call](const json& reply) {
    if (!reply.value("ok", false)) return;
    const json& monitors = reply["monitors"];
    if (!monitors.is_array() || monitors.size() <= 1) {
      share_monitor(call, "");
      return;
    }
    Model::ScreenChoice choice;
    choice.call = call;
    for (const json& m : monitors) {
      const std::string name = m.value("name", "");
      choice.monitors.emplace_back(
          name, fmt::format("{} ({}x{}){}", name, m.value("width", 0), m.value("height", 0),
                            m.value("primary", false) ? ", primary" : ""));
    }
    const json& whole = reply["screen"];
    choice.monitors.emplace_back(
        whole.value("name", "all"),
        fmt::format("Whole screen ({}x{})", whole.value("width", 0), whole.value("height", 0)));
    model_.screen_choice = std::move(choice);
  });
}

void Actions::share_monitor(std::uint64_t call, const std::string& monitor) {
  json request{{"cmd", "screen"}, {"call", call}, {"action", "start"}};
  if (!monitor.empty()) request["monitor"] = monitor;
  send(std::move(request));
}

void Actions::video(std::uint64_t call, bool on) {
  send({{"cmd", "video"}, {"call", call}, {"action", on ? "on" : "off"}});
}

void Actions::dtmf(const std::string& digits) {
  send({{"cmd", "dtmf"}, {"digits", digits}});
}

void Actions::message(const std::string& target, const std::string& text) {
  // The line appears through the message.sent event, like one sent with `ctl`.
  send({{"cmd", "message"}, {"target", target}, {"text", text}});
}

void Actions::presence(const std::string& state, const std::string& note) {
  json request{{"cmd", "presence"}, {"state", state}};
  if (!note.empty()) request["note"] = note;
  send(request, [this, state, note](const json& reply) {
    if (!reply.value("ok", false)) return;
    model_.me.presence = state;
    model_.me.note = note;
  });
}

void Actions::open_chat(const std::string& key, const std::string& name, const std::string& uri) {
  Conversation& chat = model_.conversation(key, name, uri);
  chat.unread = 0;
  model_.open_chat = key;
  if (!chat.history_loaded) load_history(key, uri);
}

}  // namespace lanline::gui
