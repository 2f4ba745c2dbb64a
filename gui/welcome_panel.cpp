// What the main area shows with no call and no chat open: how to be reached.
#include "ui.hpp"

namespace lanline::gui {

void draw_welcome(Model& model, UiState& ui) {
  ImVec2 area = ImGui::GetContentRegionAvail();
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + area.y * 0.3f);
  auto centred = [&](ImFont* font, const ImVec4& colour, const std::string& text) {
    ImGui::PushFont(font);
    float w = ImGui::CalcTextSize(text.c_str()).x;
    ImGui::SetCursorPosX(std::max(0.0f, (area.x - w) / 2));
    ImGui::TextColored(colour, "%s", text.c_str());
    ImGui::PopFont();
  };
  centred(ui.fonts.title, colours::kText, "Lanline");
  centred(ui.fonts.body, colours::kDim, "People on your network can call you at");
  centred(ui.fonts.bold, colours::kAccentHover, model.me.uri.empty() ? "..." : model.me.uri);
  ImGui::Spacing();
  centred(ui.fonts.small, colours::kDim,
          "Click a person to call, or Chat to write. Enter calls or answers, Esc hangs up.");
}

}  // namespace lanline::gui
