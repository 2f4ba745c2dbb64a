// Settings: display name, presence and note, audio devices (as GStreamer's device
// monitor lists them, through the `devices` command), STUN/TURN and the SIP port; saved
// to the profile's config file. Presence goes to the engine at once; the rest takes
// effect at the next start, and the panel says so.
#include <cstdio>

#include "ui.hpp"

namespace lanline::gui {
namespace {

void text_field(const char* label, const char* hint, std::string& value, UiState& ui) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "%s", value.c_str());
  ImGui::TextColored(colours::kDim, "%s", label);
  ImGui::SetNextItemWidth(-1);
  std::string id = std::string("##") + label;
  if (ImGui::InputTextWithHint(id.c_str(), hint, buffer, sizeof buffer)) value = buffer;
  (void)ui;
}

// A device choice: the system default, a test signal, or nothing.
void device_choice(const char* label, std::string& value, const std::vector<Device>& devices,
                   bool source) {
  ImGui::TextColored(colours::kDim, "%s", label);
  ImGui::SetNextItemWidth(-1);
  std::string shown = value.empty() || value == "device" ? "System default device" : value;
  std::string id = std::string("##") + label;
  if (ImGui::BeginCombo(id.c_str(), shown.c_str())) {
    if (ImGui::Selectable("System default device", value.empty() || value == "device"))
      value = "device";
    if (source && ImGui::Selectable("Test tone", value.rfind("test", 0) == 0)) value = "test";
    if (!source && ImGui::Selectable("No sound (null)", value == "null")) value = "null";
    ImGui::Separator();
    for (const Device& device : devices) {
      std::string entry = device.name + (device.api.empty() ? "" : "  (" + device.api + ")");
      // Opening one device by name is the media work's; listed so the person sees what
      // the system offers and which default they get.
      ImGui::TextColored(colours::kDim, "%s", entry.c_str());
    }
    if (devices.empty()) ImGui::TextColored(colours::kDim, "(no devices found)");
    ImGui::EndCombo();
  }
}

}  // namespace

void draw_settings(Model& model, UiState& ui, Actions& actions) {
  if (ui.show_settings && !ImGui::IsPopupOpen("Settings")) {
    ImGui::OpenPopup("Settings");
    actions.refresh_devices();
    ui.settings_status.clear();
  }
  ImGuiViewport* viewport = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(viewport->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(ImVec2(520 * ui.scale, 0), ImGuiCond_Appearing);
  bool open = true;
  if (!ImGui::BeginPopupModal("Settings", &open, ImGuiWindowFlags_NoResize)) {
    ui.show_settings = false;
    return;
  }
  Settings& s = ui.settings;
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted("You");
  ImGui::PopFont();
  text_field("Display name", "your name as others see it", s.name, ui);
  ImGui::TextColored(colours::kDim, "Presence");
  static const char* const kPresence[] = {"available", "away", "busy"};
  for (int i = 0; i < 3; ++i) {
    if (i) ImGui::SameLine();
    if (ImGui::RadioButton(kPresence[i], model.me.presence == kPresence[i]))
      actions.presence(kPresence[i], ui.presence_note);
  }
  ImGui::SetNextItemWidth(-1);
  if (ImGui::InputTextWithHint("##settings_note", "note (e.g. in a meeting until 3)",
                               ui.presence_note, sizeof ui.presence_note,
                               ImGuiInputTextFlags_EnterReturnsTrue))
    actions.presence(model.me.presence, ui.presence_note);

  ImGui::Spacing();
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted("Audio");
  ImGui::PopFont();
  device_choice("Microphone", s.audio_source, model.sources, true);
  device_choice("Speaker", s.audio_sink, model.sinks, false);
  if (!model.devices_note.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::PushFont(ui.fonts.small);
    ImGui::TextColored(colours::kDim, "%s", model.devices_note.c_str());
    ImGui::PopFont();
    ImGui::PopTextWrapPos();
  } else {
    ImGui::PushFont(ui.fonts.small);
    ImGui::TextColored(colours::kDim, "%zu microphones, %zu speakers found", model.sources.size(),
                       model.sinks.size());
    ImGui::PopFont();
  }

  ImGui::Spacing();
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted("Network");
  ImGui::PopFont();
  text_field("STUN server", "host:port", s.stun, ui);
  text_field("TURN server", "turn:user:password@host:port", s.turn, ui);
  ImGui::TextColored(colours::kDim, "SIP port");
  ImGui::SetNextItemWidth(140 * ui.scale);
  ImGui::InputInt("##port", &s.sip_port, 0, 0);
  s.sip_port = std::clamp(s.sip_port, 0, 65535);

  ImGui::Spacing();
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted("Account beyond the LAN");
  ImGui::PopFont();
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  ImGui::TextColored(colours::kDim,
                     "A SIP account on your provider's or office's server (optional): calls "
                     "to sip:someone@DOMAIN go through it. Peers on this LAN need none.");
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
  text_field("Address", "sip:you@example.org", s.account, ui);
  text_field("Registrar", "host[:port] (empty: the address's domain)", s.registrar, ui);
  ImGui::TextColored(colours::kDim, "Transport");
  static const char* const kTransports[] = {"udp", "tcp", "tls"};
  for (int i = 0; i < 3; ++i) {
    if (i) ImGui::SameLine();
    if (ImGui::RadioButton(kTransports[i], s.account_transport == kTransports[i]))
      s.account_transport = kTransports[i];
  }
  {
    char buffer[256];
    std::snprintf(buffer, sizeof buffer, "%s", s.password.c_str());
    ImGui::TextColored(colours::kDim, "Password");
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputTextWithHint("##account_password", "kept in a file only you can read", buffer,
                                 sizeof buffer, ImGuiInputTextFlags_Password))
      s.password = buffer;
  }

  ImGui::Spacing();
  ImGui::Separator();
  if (!ui.settings_status.empty()) {
    ImGui::PushTextWrapPos(0);
    bool saved = ui.settings_status.rfind("Saved", 0) == 0;
    ImGui::TextColored(saved ? colours::kGoodHover : colours::kDanger, "%s",
                       ui.settings_status.c_str());
    ImGui::PopTextWrapPos();
  }
  if (coloured_button("Save", colours::kAccent, colours::kAccentHover, ImVec2(120 * ui.scale, 0))) {
    std::string error = ui.save_settings ? ui.save_settings(s) : "saving is not available";
    ui.settings_status =
        error.empty() ? "Saved. Name, audio, network, port and account apply at the next start."
                      : error;
  }
  note_layout(ui, "settings_save");
  ImGui::SameLine();
  if (ImGui::Button("Close", ImVec2(120 * ui.scale, 0))) open = false;
  if (!open) {
    ImGui::CloseCurrentPopup();
    ui.show_settings = false;
  }
  ImGui::EndPopup();
}

}  // namespace lanline::gui
