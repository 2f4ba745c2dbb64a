// Recent calls, newest first, from the engine's history (`history` with no target):
// direction, who, when, how long or why not. A click calls back.
#include "ui.hpp"

namespace lanline::gui {

void draw_call_history(Model& model, UiState& ui, Actions& actions) {
  ImGui::BeginChild("##calllog", ImVec2(0, 0), false);
  if (!model.history_error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(colours::kDanger, "%s", model.history_error.c_str());
    ImGui::PopTextWrapPos();
  } else if (model.call_log.empty()) {
    ImGui::TextColored(colours::kDim, "No calls yet.");
  }
  int index = 0;
  for (const CallRecord& record : model.call_log) {
    ImGui::PushID(index++);
    bool missed = record.result == "missed";
    bool answered = record.result == "answered";
    float height = ImGui::GetTextLineHeight() * 2 + ImGui::GetStyle().ItemSpacing.y;
    ImVec2 start = ImGui::GetCursorPos();
    if (ImGui::Selectable("##call", false, 0, ImVec2(0, height)))
      actions.call(record.remote.empty() ? record.peer : record.remote);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Call %s back", record.remote.c_str());
    ImVec2 end = ImGui::GetCursorPos();
    ImGui::SetCursorPos(ImVec2(start.x + 4 * ui.scale, start.y));
    const char* arrow = record.direction == "in" ? "\u2199" : "\u2197";  // ↙ in, ↗ out
    ImGui::TextColored(missed ? colours::kDanger : colours::kDim, "%s", arrow);
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.bold);
    ImGui::TextColored(missed ? colours::kDanger : colours::kText, "%s",
                       record.name.empty() ? record.peer.c_str() : record.name.c_str());
    ImGui::PopFont();
    ImGui::SameLine(ImGui::GetContentRegionAvail().x - 60 * ui.scale);
    ImGui::TextColored(colours::kDim, "%s", format_clock(record.start_ms).c_str());
    ImGui::SetCursorPosX(start.x + 24 * ui.scale);
    ImGui::PushFont(ui.fonts.small);
    if (answered) {
      ImGui::TextColored(colours::kDim, "%s call, %s",
                         record.direction == "in" ? "Incoming" : "Outgoing",
                         format_duration(record.duration_ms / 1000).c_str());
    } else {
      ImGui::TextColored(missed ? colours::kDanger : colours::kDim, "%s%s%s", record.result.c_str(),
                         record.reason.empty() ? "" : ": ", record.reason.c_str());
    }
    ImGui::PopFont();
    ImGui::SetCursorPos(end);
    ImGui::PopID();
  }
  ImGui::EndChild();
}

}  // namespace lanline::gui
