// One coherent look: a dark slate theme with a single teal accent, rounded controls,
// DejaVu Sans (shipped in data/fonts) at the display's scale.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>

#include "ui.hpp"

namespace lanline::gui {

namespace colours {
const ImVec4 kAccent{0.13f, 0.59f, 0.55f, 1.0f};
const ImVec4 kAccentHover{0.18f, 0.69f, 0.64f, 1.0f};
const ImVec4 kDanger{0.80f, 0.25f, 0.25f, 1.0f};
const ImVec4 kDangerHover{0.90f, 0.33f, 0.32f, 1.0f};
const ImVec4 kGood{0.20f, 0.62f, 0.33f, 1.0f};
const ImVec4 kGoodHover{0.25f, 0.72f, 0.40f, 1.0f};
const ImVec4 kMuted{0.28f, 0.31f, 0.36f, 1.0f};
const ImVec4 kPanel{0.14f, 0.16f, 0.19f, 1.0f};
const ImVec4 kText{0.92f, 0.93f, 0.95f, 1.0f};
const ImVec4 kDim{0.60f, 0.64f, 0.70f, 1.0f};
const ImVec4 kBubbleOut{0.12f, 0.42f, 0.40f, 1.0f};
const ImVec4 kBubbleIn{0.22f, 0.25f, 0.29f, 1.0f};

ImU32 presence(const std::string& state) {
  if (state == "available") return IM_COL32(64, 200, 110, 255);
  if (state == "away") return IM_COL32(235, 180, 50, 255);
  if (state == "busy") return IM_COL32(225, 75, 70, 255);
  return IM_COL32(120, 125, 135, 255);  // offline or unknown
}
}  // namespace colours

void apply_theme(float scale) {
  ImGuiStyle& style = ImGui::GetStyle();
  style = ImGuiStyle();
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 0.0f;
  style.ChildRounding = 8.0f;
  style.FrameRounding = 6.0f;
  style.PopupRounding = 8.0f;
  style.GrabRounding = 6.0f;
  style.TabRounding = 6.0f;
  style.ScrollbarRounding = 6.0f;
  style.WindowBorderSize = 0.0f;
  style.ChildBorderSize = 0.0f;
  style.FrameBorderSize = 0.0f;
  style.PopupBorderSize = 1.0f;
  style.WindowPadding = ImVec2(14, 14);
  style.FramePadding = ImVec2(10, 7);
  style.ItemSpacing = ImVec2(8, 8);
  style.ItemInnerSpacing = ImVec2(6, 6);
  style.ScrollbarSize = 12.0f;

  ImVec4* c = style.Colors;
  c[ImGuiCol_Text] = colours::kText;
  c[ImGuiCol_TextDisabled] = colours::kDim;
  c[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
  c[ImGuiCol_ChildBg] = colours::kPanel;
  c[ImGuiCol_PopupBg] = ImVec4(0.12f, 0.13f, 0.16f, 0.98f);
  c[ImGuiCol_Border] = ImVec4(0.25f, 0.28f, 0.32f, 1.0f);
  c[ImGuiCol_FrameBg] = ImVec4(0.20f, 0.22f, 0.26f, 1.0f);
  c[ImGuiCol_FrameBgHovered] = ImVec4(0.24f, 0.27f, 0.31f, 1.0f);
  c[ImGuiCol_FrameBgActive] = ImVec4(0.26f, 0.30f, 0.35f, 1.0f);
  c[ImGuiCol_TitleBg] = c[ImGuiCol_WindowBg];
  c[ImGuiCol_TitleBgActive] = c[ImGuiCol_PopupBg];
  c[ImGuiCol_Button] = colours::kMuted;
  c[ImGuiCol_ButtonHovered] = ImVec4(0.34f, 0.38f, 0.44f, 1.0f);
  c[ImGuiCol_ButtonActive] = ImVec4(0.38f, 0.43f, 0.50f, 1.0f);
  c[ImGuiCol_Header] = ImVec4(0.20f, 0.23f, 0.27f, 1.0f);
  c[ImGuiCol_HeaderHovered] = ImVec4(0.22f, 0.30f, 0.32f, 1.0f);
  c[ImGuiCol_HeaderActive] = ImVec4(0.13f, 0.45f, 0.43f, 1.0f);
  c[ImGuiCol_Tab] = ImVec4(0.16f, 0.18f, 0.21f, 1.0f);
  c[ImGuiCol_TabHovered] = colours::kAccentHover;
  c[ImGuiCol_TabActive] = colours::kAccent;
  c[ImGuiCol_CheckMark] = colours::kAccentHover;
  c[ImGuiCol_SliderGrab] = colours::kAccent;
  c[ImGuiCol_SliderGrabActive] = colours::kAccentHover;
  c[ImGuiCol_PlotHistogram] = colours::kAccent;
  c[ImGuiCol_Separator] = ImVec4(0.22f, 0.25f, 0.29f, 1.0f);
  c[ImGuiCol_ScrollbarBg] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_ModalWindowDimBg] = ImVec4(0.0f, 0.0f, 0.0f, 0.55f);
  c[ImGuiCol_NavHighlight] = colours::kAccentHover;
  style.ScaleAllSizes(scale);
}

Fonts load_fonts(const std::string& data_dir, float scale) {
  ImGuiIO& io = ImGui::GetIO();
  Fonts fonts;
  std::filesystem::path regular = std::filesystem::path(data_dir) / "fonts" / "DejaVuSans.ttf";
  std::filesystem::path bold = std::filesystem::path(data_dir) / "fonts" / "DejaVuSans-Bold.ttf";
  // Latin, Greek and Cyrillic text, plus the arrows and symbols the panels draw.
  static const ImWchar kRanges[] = {0x0020, 0x024F, 0x0370, 0x03FF, 0x0400, 0x04FF, 0x2010,
                                    0x205E, 0x2190, 0x21FF, 0x2300, 0x23FF, 0x25A0, 0x25FF,
                                    0x2600, 0x26FF, 0x2700, 0x27BF, 0};
  ImFontConfig config;
  config.OversampleH = 1;  // pixel-snapped glyphs: crisp at 1:1 and half the atlas of 2
  config.PixelSnapH = true;
  config.OversampleV = 1;
  auto load = [&](const std::filesystem::path& file, float size) -> ImFont* {
    std::error_code code;
    if (!std::filesystem::exists(file, code)) return nullptr;
    return io.Fonts->AddFontFromFileTTF(file.c_str(), size * scale, &config, kRanges);
  };
  fonts.body = load(regular, 16.0f);
  if (!fonts.body) {
    spdlog::warn("font {} not found: using ImGui's built-in font (set LANLINE_DATA_DIR)",
                 regular.native());
    ImFontConfig fallback;
    fallback.SizePixels = 13.0f * scale;
    fonts.body = io.Fonts->AddFontDefault(&fallback);
    fonts.bold = fonts.title = fonts.small = fonts.body;
    return fonts;
  }
  fonts.bold = load(bold, 16.0f);
  fonts.title = load(bold, 24.0f);
  fonts.small = load(regular, 13.5f);
  if (!fonts.bold) fonts.bold = fonts.body;
  if (!fonts.title) fonts.title = fonts.body;
  if (!fonts.small) fonts.small = fonts.body;
  return fonts;
}

void presence_dot(const std::string& state, float radius) {
  ImVec2 at = ImGui::GetCursorScreenPos();
  float height = ImGui::GetTextLineHeight();
  ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(at.x + radius, at.y + height * 0.5f), radius,
                                              colours::presence(state), 16);
  ImGui::Dummy(ImVec2(radius * 2, height));
}

bool coloured_button(const char* label, const ImVec4& colour, const ImVec4& hover,
                     const ImVec2& size) {
  ImGui::PushStyleColor(ImGuiCol_Button, colour);
  ImGui::PushStyleColor(ImGuiCol_ButtonHovered, hover);
  ImGui::PushStyleColor(ImGuiCol_ButtonActive, hover);
  bool pressed = ImGui::Button(label, size);
  ImGui::PopStyleColor(3);
  return pressed;
}

void chip(const char* label, const ImVec4& colour) {
  ImVec2 size = ImGui::CalcTextSize(label);
  ImVec2 at = ImGui::GetCursorScreenPos();
  float pad = 4.0f * ImGui::GetStyle().FramePadding.x / 10.0f;
  ImVec4 fill = colour;
  fill.w = 0.25f;
  ImGui::GetWindowDrawList()->AddRectFilled(at, ImVec2(at.x + size.x + 2 * pad, at.y + size.y),
                                            ImGui::GetColorU32(fill), size.y * 0.5f);
  ImGui::SetCursorScreenPos(ImVec2(at.x + pad, at.y));
  ImGui::TextColored(colour, "%s", label);
  ImGui::SameLine(0, 0);
  ImGui::Dummy(ImVec2(pad, size.y));
}

void note_layout(UiState& ui, const std::string& name) {
  ImVec2 min = ImGui::GetItemRectMin();
  ImVec2 max = ImGui::GetItemRectMax();
  ui.layout[name] = ImVec4(min.x, min.y, max.x - min.x, max.y - min.y);
}

std::string format_duration(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds >= 3600)
    return fmt::format("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  return fmt::format("{:02}:{:02}", seconds / 60, seconds % 60);
}

std::string format_clock(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  std::time_t now = std::time(nullptr);
  std::tm today{};
  localtime_r(&now, &today);
  char text[32];
  if (local.tm_yday == today.tm_yday && local.tm_year == today.tm_year)
    std::strftime(text, sizeof text, "%H:%M", &local);
  else
    std::strftime(text, sizeof text, "%d %b %H:%M", &local);
  return text;
}

}  // namespace lanline::gui
