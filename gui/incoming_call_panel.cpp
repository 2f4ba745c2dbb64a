// An incoming call: who calls (name and address), Accept and Decline. Enter accepts,
// Esc declines (the window handles the keys). The ringtone and raising the window are
// the window's part, started when the call appears.
#include "ui.hpp"

namespace lanline::gui {

void draw_incoming_call(Model& model, UiState& ui, Actions& actions) {
  Call* call = model.ringing_call();
  if (!call) return;
  ImVec2 area = ImGui::GetContentRegionAvail();
  float width = std::min(area.x - 40 * ui.scale, 460 * ui.scale);
  float height = 230 * ui.scale;
  ImGui::SetCursorPos(ImVec2(ImGui::GetCursorPosX() + (area.x - width) / 2,
                             ImGui::GetCursorPosY() + std::max(0.0f, (area.y - height) / 3)));
  ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4(0.16f, 0.19f, 0.22f, 1.0f));
  ImGui::BeginChild("##incoming", ImVec2(width, height), false, ImGuiWindowFlags_NoScrollbar);
  ImGui::Dummy(ImVec2(0, 8 * ui.scale));
  auto centred = [&](ImFont* font, const ImVec4& colour, const std::string& text) {
    ImGui::PushFont(font);
    float w = ImGui::CalcTextSize(text.c_str()).x;
    ImGui::SetCursorPosX(std::max(0.0f, (width - w) / 2));
    ImGui::TextColored(colour, "%s", text.c_str());
    ImGui::PopFont();
  };
  centred(ui.fonts.small, colours::kAccentHover, "INCOMING CALL");
  Peer* peer = model.find_peer(call->peer);
  std::string name = !call->name.empty() ? call->name : peer ? peer->name : call->peer;
  centred(ui.fonts.title, colours::kText, name);
  centred(ui.fonts.body, colours::kDim, call->remote);
  ImGui::Dummy(ImVec2(0, 18 * ui.scale));
  float button = 150 * ui.scale;
  ImGui::SetCursorPosX((width - 2 * button - 20 * ui.scale) / 2);
  if (coloured_button("Accept", colours::kGood, colours::kGoodHover, ImVec2(button, 44 * ui.scale)))
    actions.answer(call->id);
  note_layout(ui, "accept");
  ImGui::SameLine(0, 20 * ui.scale);
  if (coloured_button("Decline", colours::kDanger, colours::kDangerHover,
                      ImVec2(button, 44 * ui.scale)))
    actions.decline(call->id);
  note_layout(ui, "decline");
  ImGui::Dummy(ImVec2(0, 4 * ui.scale));
  centred(ui.fonts.small, colours::kDim, "Enter accepts, Esc declines");
  ImGui::EndChild();
  ImGui::PopStyleColor();
}

}  // namespace lanline::gui
