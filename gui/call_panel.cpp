// In a call: the peer, the call's state and duration, mute, hold, the DTMF keypad and
// hang up; microphone and speaker levels and call quality (codec, path, loss, jitter,
// RTT) from the engine's `calls` reply; a video area with a small self view that the
// video work fills.
#include <fmt/core.h>

#include "ui.hpp"

namespace lanline::gui {
namespace {

using nlohmann::json;

// A stats field under any of the names media may give it; "" when absent.
std::string stat(const json& stats, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = stats.find(key);
    if (it == stats.end() || it->is_null()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    if (it->is_number_float()) return fmt::format("{:.1f}", it->get<double>());
    if (it->is_object()) return it->dump();
  }
  return {};
}

// The media path as a person reads it, from the engine's `path` object: plain RTP (the
// peer does no ICE), ICE still checking, or the pair's route (direct, through a NAT,
// relayed by TURN) with the candidate types; "" when the engine says nothing.
std::string path_label(const json& stats) {
  auto it = stats.find("path");
  if (it == stats.end() || !it->is_object()) return {};
  const json& path = *it;
  if (path.value("transport", "") != "ice") return "plain RTP";
  if (!path.contains("route")) return "ICE " + path.value("state", "checking");
  const std::string route = path.value("route", "");
  const std::string label = route == "relay" ? "relayed (TURN)"
                            : route == "nat" ? "through NAT"
                                             : "direct";
  auto type = [&](const char* side) {
    return path.contains(side) && path[side].is_object() ? path[side].value("type", "?")
                                                         : std::string("?");
  };
  return label + " (" + type("local") + " -> " + type("remote") + ")";
}

// A level in 0..1 when media reports one (as 0..1, or as dBFS <= 0).
std::optional<float> level(const json& stats, const char* key) {
  auto it = stats.find(key);
  if (it == stats.end() || !it->is_number()) return std::nullopt;
  double value = it->get<double>();
  if (value < 0) value = (value + 60.0) / 60.0;  // dBFS: -60 dB .. 0 dB
  return static_cast<float>(std::clamp(value, 0.0, 1.0));
}

void meter(const char* label, std::optional<float> value, UiState& ui) {
  ImGui::TextColored(colours::kDim, "%s", label);
  ImGui::SameLine(70 * ui.scale);
  if (value) {
    ImGui::ProgressBar(*value, ImVec2(-1, 8 * ui.scale), "");
  } else {
    // No reading (no audio in this call yet): an empty, dimmed meter.
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, colours::kMuted);
    ImGui::ProgressBar(0.0f, ImVec2(-1, 8 * ui.scale), "");
    ImGui::PopStyleColor();
  }
}

// `frame` fitted into the rectangle at `at` of `size`, its shape kept (letterboxed),
// through texture `key`. False when it could not be drawn.
bool draw_picture(UiState& ui, int key, const media::VideoFrame& frame, ImVec2 at, ImVec2 size,
                  const char* layout_name) {
  ImTextureID texture = ui.textures ? ui.textures->show(key, frame) : nullptr;
  if (!texture || frame.width <= 0 || frame.height <= 0) return false;
  const float scale =
      std::min(size.x / static_cast<float>(frame.width), size.y / static_cast<float>(frame.height));
  const ImVec2 shown(frame.width * scale, frame.height * scale);
  const ImVec2 from(at.x + (size.x - shown.x) / 2, at.y + (size.y - shown.y) / 2);
  ImGui::GetWindowDrawList()->AddImage(texture, from, ImVec2(from.x + shown.x, from.y + shown.y));
  ui.layout[layout_name] = ImVec4(from.x, from.y, shown.x, shown.y);  // the test hook
  return true;
}

// The peer's picture large, ours small in the corner; until the peer's video comes, its
// initial, and "camera off" where there is no picture of ours. While the peer shares its
// screen, the screen is large and the peer's camera small in the other corner.
void video_area(const Call& call, UiState& ui, float height) {
  ImVec2 at = ImGui::GetCursorScreenPos();
  float width = ImGui::GetContentRegionAvail().x;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(at, ImVec2(at.x + width, at.y + height), IM_COL32(10, 12, 15, 255),
                      8 * ui.scale);
  auto remote = ui.frames ? ui.frames->newest(call.id, media::FrameBoard::Kind::kRemote) : nullptr;
  auto local = ui.frames ? ui.frames->newest(call.id, media::FrameBoard::Kind::kLocal) : nullptr;
  auto screen = ui.frames && call.viewing_screen()
                    ? ui.frames->newest(call.id, media::FrameBoard::Kind::kScreen)
                    : nullptr;
  float self_w = std::min(width * 0.22f, 180 * ui.scale);
  float self_h = self_w * 9 / 16;
  if (screen && draw_picture(ui, 2, *screen, at, ImVec2(width, height), "shared screen")) {
    // The peer's camera beside its screen, top left.
    ImVec2 camera_at(at.x + 10 * ui.scale, at.y + 10 * ui.scale);
    if (remote) draw_picture(ui, 0, *remote, camera_at, ImVec2(self_w, self_h), "remote video");
  } else if (!remote || !draw_picture(ui, 0, *remote, at, ImVec2(width, height), "remote video")) {
    std::string initial = call.name.empty() ? (call.peer.empty() ? "?" : call.peer.substr(0, 1))
                                            : call.name.substr(0, 1);
    ImGui::PushFont(ui.fonts.title);
    ImVec2 size = ImGui::CalcTextSize(initial.c_str());
    float radius = std::min(height * 0.22f, 48 * ui.scale);
    ImVec2 centre(at.x + width / 2, at.y + height / 2);
    draw->AddCircleFilled(centre, radius, ImGui::GetColorU32(colours::kAccent), 48);
    draw->AddText(ImVec2(centre.x - size.x / 2, centre.y - size.y / 2), IM_COL32_WHITE,
                  initial.c_str());
    ImGui::PopFont();
  }
  // Self view, bottom right.
  ImVec2 self_at(at.x + width - self_w - 10 * ui.scale, at.y + height - self_h - 10 * ui.scale);
  draw->AddRectFilled(self_at, ImVec2(self_at.x + self_w, self_at.y + self_h),
                      IM_COL32(40, 44, 52, 255), 6 * ui.scale);
  if (!local || !draw_picture(ui, 1, *local, self_at, ImVec2(self_w, self_h), "self view")) {
    ImGui::PushFont(ui.fonts.small);
    const char* self_label = "camera off";
    ImVec2 label = ImGui::CalcTextSize(self_label);
    draw->AddText(ImVec2(self_at.x + (self_w - label.x) / 2, self_at.y + (self_h - label.y) / 2),
                  IM_COL32(150, 155, 165, 255), self_label);
    ImGui::PopFont();
  }
  ImGui::Dummy(ImVec2(width, height));
}

// After Share screen on a display with several monitors: which one, or all of them.
void monitor_choice(Model& model, UiState& ui, Actions& actions, std::uint64_t call) {
  auto& choice = model.screen_choice;
  if (!choice || choice->call != call) return;
  if (!choice->asked) {
    ImGui::OpenPopup("share which");
    choice->asked = true;
  }
  if (!ImGui::BeginPopup("share which")) {
    choice.reset();  // closed without a choice (Escape, a click elsewhere)
    return;
  }
  ImGui::TextColored(colours::kDim, "Share which screen?");
  std::string picked;
  for (const auto& [name, label] : choice->monitors) {
    if (ImGui::Selectable(label.c_str())) picked = name;
    note_layout(ui, "monitor " + name);
  }
  if (!picked.empty()) {
    actions.share_monitor(call, picked);
    choice.reset();
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

void keypad(UiState& ui, Actions& actions) {
  static const char* const kKeys[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"};
  float key = 52 * ui.scale;
  for (int i = 0; i < 12; ++i) {
    if (i % 3 != 0) ImGui::SameLine();
    if (ImGui::Button(kKeys[i], ImVec2(key, key * 0.75f))) {
      actions.dtmf(kKeys[i]);
      ui.dtmf_sent += kKeys[i];
    }
  }
  if (!ui.dtmf_sent.empty()) ImGui::TextColored(colours::kDim, "sent: %s", ui.dtmf_sent.c_str());
}

// What protects the call's media, beside the peer's address: the call's "protection"
// and, with DTLS-SRTP, the short authentication string the two people read to each other
// (DESIGN.md), with the button that says they match. Plain RTP is how most phones talk,
// so it is said, not alarmed about.
void protection_line(const Call& call, UiState& ui, Actions& actions) {
  const json& entry = call.stats;
  const std::string protection = entry.is_object() ? entry.value("protection", "") : "";
  const std::string sas = entry.is_object() ? entry.value("sas", "") : "";
  // Between Lanline nodes the SIP goes over TLS too (the call's "signalling").
  const bool tls = entry.is_object() && entry.value("signalling", "") == "TLS";
  const char* how = tls ? "TLS, DTLS-SRTP" : "DTLS-SRTP";
  if (protection == "verified") {
    ImGui::TextColored(colours::kGood, "Encrypted and verified (%s), code %s", how, sas.c_str());
  } else if (protection == "dtls") {
    ImGui::TextColored(colours::kGood, "Encrypted (%s). Code %s: read it to each other", how,
                       sas.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Codes match")) actions.verify(call.id);
    note_layout(ui, "codes match");
  } else if (protection == "sdes") {
    ImGui::TextColored(colours::kGood, "Encrypted: SRTP, keys exchanged in the call's SDP (SDES)");
  } else if (protection == "none") {
    ImGui::TextColored(colours::kDim, "Not encrypted: plain RTP");
  }
}

}  // namespace

void draw_call(Model& model, UiState& ui, Actions& actions) {
  Call* call = model.active_call();
  if (!call) return;
  Peer* peer = model.find_peer(call->peer);
  std::string name = !call->name.empty() ? call->name : peer ? peer->name : call->peer;

  // While we share our screen, a bar says so, with the way to stop.
  if (call->sharing_screen()) {
    ImGui::PushStyleColor(ImGuiCol_ChildBg, colours::kDanger);
    ImGui::BeginChild("sharing bar", ImVec2(0, 40 * ui.scale), false, ImGuiWindowFlags_NoScrollbar);
    ImGui::SetCursorPos(ImVec2(12 * ui.scale, 10 * ui.scale));
    ImGui::TextUnformatted("You are sharing your screen");
    ImGui::SameLine(ImGui::GetWindowWidth() - 140 * ui.scale);
    ImGui::SetCursorPosY(5 * ui.scale);
    if (ImGui::Button("Stop sharing", ImVec2(128 * ui.scale, 30 * ui.scale)))
      actions.share_screen(call->id, false);
    note_layout(ui, "stop sharing");
    ImGui::EndChild();
    ImGui::PopStyleColor();
  }
  float total = ImGui::GetContentRegionAvail().y;
  // The video takes what the controls below leave (more with the keypad open).
  float below = (ui.show_keypad && call->state == "established" ? 330 : 190) * ui.scale;
  video_area(*call, ui, std::max(100 * ui.scale, total - below));

  ImGui::PushFont(ui.fonts.title);
  ImGui::TextUnformatted(name.c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  std::string state;
  if (call->state == "established") {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::steady_clock::now() - *call->answered)
                       .count();
    state = format_duration(seconds);
    if (call->local_hold) state += "  on hold";
    if (call->remote_hold) state += "  held by the peer";
  } else {
    state = call->state == "ringing" ? "ringing..." : "calling...";
  }
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + 6 * ui.scale);
  ImGui::TextColored(colours::kAccentHover, "%s", state.c_str());
  note_layout(ui, "call_state");
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextColored(colours::kDim, "%s", call->remote.c_str());
  ImGui::SameLine(0, 16 * ui.scale);
  protection_line(*call, ui, actions);
  ImGui::PopFont();

  // Controls.
  ImVec2 button(96 * ui.scale, 38 * ui.scale);
  bool established = call->state == "established";
  ImGui::BeginDisabled(!established);
  if (ImGui::Button(call->muted ? "Unmute" : "Mute", button)) actions.mute(!call->muted);
  ImGui::SameLine();
  if (ImGui::Button(call->local_hold ? "Resume" : "Hold", button))
    actions.hold(call->id, !call->local_hold);
  note_layout(ui, "hold");
  ImGui::SameLine();
  if (ImGui::Button(ui.show_keypad ? "Keypad \u25B4" : "Keypad \u25BE", button))
    ui.show_keypad = !ui.show_keypad;
  note_layout(ui, "keypad");
  ImGui::SameLine();
  if (ImGui::Button(call->sending_video() ? "Camera off" : "Camera", button))
    actions.video(call->id, !call->sending_video());
  note_layout(ui, "camera");
  ImGui::SameLine();
  // Wider than the others: its label is the longest.
  if (ImGui::Button(call->sharing_screen() ? "Stop share" : "Share screen",
                    ImVec2(button.x * 1.25f, button.y)))
    actions.share_screen(call->id, !call->sharing_screen());
  note_layout(ui, "share screen");
  ImGui::EndDisabled();
  monitor_choice(model, ui, actions, call->id);
  ImGui::SameLine();
  if (coloured_button("Hang up", colours::kDanger, colours::kDangerHover, button))
    actions.hangup(call->id);
  note_layout(ui, "hangup");

  // Keypad beside levels and quality.
  if (ui.show_keypad && established) {
    ImGui::BeginGroup();
    keypad(ui, actions);
    ImGui::EndGroup();
    ImGui::SameLine(0, 24 * ui.scale);
  }
  ImGui::BeginGroup();
  ImGui::PushFont(ui.fonts.small);
  // The engine's `calls` entry carries the media's figures under "media".
  const json& stats = call->stats.contains("media") && call->stats["media"].is_object()
                          ? call->stats["media"]
                          : call->stats;
  auto mic = level(stats, "mic_level");
  auto speaker = level(stats, "speaker_level");
  ImGui::PushItemWidth(200 * ui.scale);
  meter("Mic", mic, ui);
  meter("Speaker", speaker, ui);
  ImGui::PopItemWidth();
  if (!mic && !speaker) {
    // The meters read "mic_level"/"speaker_level" (dBFS) from the call's media figures;
    // a call without media (or before it starts) has none.
    ImGui::TextColored(colours::kDim, "Levels: no audio in this call yet");
  }
  std::string codec = stat(stats, {"codec", "audio_codec"});
  std::string path = path_label(stats);
  std::string loss;
  if (auto fraction = stats.find("loss"); fraction != stats.end() && fraction->is_number())
    loss = fmt::format("{:.1f}", fraction->get<double>() * 100.0);  // a fraction, shown in %
  else
    loss = stat(stats, {"loss_percent"});
  std::string jitter = stat(stats, {"jitter", "jitter_ms"});
  std::string rtt = stat(stats, {"rtt", "rtt_ms"});
  if (codec.empty() && path.empty() && loss.empty()) {
    ImGui::TextColored(colours::kDim, "Quality: no media statistics from the engine yet");
  } else {
    ImGui::TextColored(colours::kDim, "Codec %s   Path %s", codec.empty() ? "-" : codec.c_str(),
                       path.empty() ? "-" : path.c_str());
    auto with_unit = [](const std::string& value, const char* unit) {
      return value.empty() ? std::string("-") : value + unit;
    };
    ImGui::TextColored(colours::kDim, "Loss %s   Jitter %s   RTT %s", with_unit(loss, "%").c_str(),
                       with_unit(jitter, " ms").c_str(), with_unit(rtt, " ms").c_str());
  }

  ImGui::PopFont();
  ImGui::EndGroup();
}

}  // namespace lanline::gui
