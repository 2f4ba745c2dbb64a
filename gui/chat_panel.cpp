// The chat with one peer: its history from the engine, then what arrives; each message
// I sent shows whether it was delivered. Enter sends.
#include "ui.hpp"

namespace lanline::gui {
namespace {

const char* state_mark(const ChatLine& line) {
  if (line.state == "delivered") return "\u2713 delivered";   // ✓
  if (line.state == "failed") return "\u2717 not delivered";  // ✗
  if (line.state == "sending") return "\u2026 sending";       // …
  // Stored, waiting for the peer (offline, or a retry): it goes when it can.
  if (line.state == "queued") return "\u2026 waiting to be delivered";
  return "";
}

void bubble(const ChatLine& line, UiState& ui, float width) {
  float max_text = width * 0.7f;
  ImVec2 text = ImGui::CalcTextSize(line.text.c_str(), nullptr, false, max_text);
  float pad = 10 * ui.scale;
  ImGui::PushFont(ui.fonts.small);
  std::string meta = format_clock(line.time_ms);
  if (line.outgoing) meta += std::string("  ") + state_mark(line);
  ImVec2 meta_size = ImGui::CalcTextSize(meta.c_str());
  ImGui::PopFont();
  float box_w = std::max(text.x, meta_size.x) + 2 * pad;
  float box_h = text.y + meta_size.y + 2 * pad + 2 * ui.scale;
  float x = line.outgoing ? width - box_w : 0.0f;
  ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 at(origin.x + x, origin.y);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  ImVec4 fill = line.outgoing ? colours::kBubbleOut : colours::kBubbleIn;
  if (line.state == "failed") fill = ImVec4(0.45f, 0.18f, 0.18f, 1.0f);
  draw->AddRectFilled(at, ImVec2(at.x + box_w, at.y + box_h), ImGui::GetColorU32(fill),
                      10 * ui.scale);
  ImGui::SetCursorScreenPos(ImVec2(at.x + pad, at.y + pad));
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + max_text);
  ImGui::TextUnformatted(line.text.c_str());
  ImGui::PopTextWrapPos();
  ImGui::SetCursorScreenPos(ImVec2(at.x + pad, ImGui::GetCursorScreenPos().y - 2 * ui.scale));
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextColored(line.state == "failed" ? ImVec4(1, 0.6f, 0.6f, 1) : colours::kDim, "%s",
                     meta.c_str());
  if (line.state == "failed" && !line.reason.empty() && ImGui::IsItemHovered())
    ImGui::SetTooltip("%s", line.reason.c_str());
  ImGui::PopFont();
  ImGui::SetCursorScreenPos(ImVec2(origin.x, at.y + box_h + 6 * ui.scale));
  ImGui::Dummy(ImVec2(1, 1));
}

}  // namespace

void draw_chat(Model& model, UiState& ui, Actions& actions) {
  auto found = model.conversations.find(model.open_chat);
  if (found == model.conversations.end()) return;
  Conversation& chat = found->second;
  chat.unread = 0;

  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted(chat.name.c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  ImGui::PushFont(ui.fonts.small);
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + 2 * ui.scale);
  ImGui::TextColored(colours::kDim, "%s", chat.uri.c_str());
  ImGui::PopFont();
  float close = 70 * ui.scale;
  ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - close);
  if (ImGui::Button("Close", ImVec2(close, 0))) {
    model.open_chat.clear();
    return;
  }
  ImGui::Separator();

  float input_height = ImGui::GetFrameHeightWithSpacing() + 6 * ui.scale;
  ImGui::BeginChild("##lines", ImVec2(0, -input_height), false);
  float width = ImGui::GetContentRegionAvail().x;
  if (chat.lines.empty()) {
    ImGui::TextColored(colours::kDim, chat.history_loaded ? "No messages yet. Say hello."
                                                          : "Loading the history...");
  }
  for (const ChatLine& line : chat.lines)
    bubble(line, ui, width);
  // Follow new lines unless the reader scrolled up.
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 40 * ui.scale) ImGui::SetScrollHereY(1.0f);
  ImGui::EndChild();

  std::string& draft = ui.drafts[chat.key];
  char buffer[2048];
  std::snprintf(buffer, sizeof buffer, "%s", draft.c_str());
  float send = 80 * ui.scale;
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - send -
                          ImGui::GetStyle().ItemSpacing.x);
  bool enter = ImGui::InputTextWithHint("##draft", "Write a message", buffer, sizeof buffer,
                                        ImGuiInputTextFlags_EnterReturnsTrue);
  note_layout(ui, "chat_input");
  draft = buffer;
  ImGui::SameLine();
  bool clicked = coloured_button("Send", colours::kAccent, colours::kAccentHover, ImVec2(send, 0));
  if ((enter || clicked) && !draft.empty()) {
    actions.message(chat.uri.empty() ? chat.key : chat.uri, draft);
    draft.clear();
    ImGui::SetKeyboardFocusHere(-1);
  }
}

}  // namespace lanline::gui
