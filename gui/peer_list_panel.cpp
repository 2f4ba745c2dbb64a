// The sidebar: who I am and my presence, a field to call any SIP address, the search
// box, and the peers (discovered ones with presence, note, caps and reachability, then
// people from the history). A click on a peer calls it; its chat button opens the chat.

#include <cstring>

#include "ui.hpp"

namespace lanline::gui {
namespace {

const char* const kPresence[] = {"available", "away", "busy"};

void my_card(Model& model, UiState& ui, Actions& actions) {
  ImGui::PushFont(ui.fonts.title);
  presence_dot(model.me.presence, 6.0f * ui.scale);
  ImGui::SameLine();
  ImGui::TextUnformatted(model.me.name.empty() ? "Lanline" : model.me.name.c_str());
  ImGui::PopFont();
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextColored(colours::kDim, "%s", model.me.uri.c_str());
  // Each account beyond the LAN: its address and how its registration stands.
  for (const Account& account : model.accounts) {
    const bool good = account.state == "registered";
    const bool bad = account.state == "failed";
    ImGui::TextColored(good  ? colours::kGoodHover
                       : bad ? colours::kDanger
                             : colours::kDim,
                       "%s  %s", account.aor.c_str(),
                       good  ? "registered"
                       : bad ? "not registered"
                             : account.state.c_str());
    if (bad && !account.error.empty()) {
      ImGui::PushTextWrapPos(0);
      ImGui::TextColored(colours::kDanger, "%s", account.error.c_str());
      ImGui::PopTextWrapPos();
    }
  }
  ImGui::PopFont();

  // Presence and note: published by discovery (the `presence` command).
  int current = 0;
  for (int i = 0; i < 3; ++i)
    if (model.me.presence == kPresence[i]) current = i;
  ImGui::SetNextItemWidth(120 * ui.scale);
  if (ImGui::Combo("##presence", &current, kPresence, 3))
    actions.presence(kPresence[current], ui.presence_note);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  if (ImGui::InputTextWithHint("##note", "What are you up to?", ui.presence_note,
                               sizeof ui.presence_note, ImGuiInputTextFlags_EnterReturnsTrue))
    actions.presence(model.me.presence, ui.presence_note);
}

void call_field(Model& model, UiState& ui, Actions& actions) {
  float button = ImGui::CalcTextSize("Call").x + ImGui::GetStyle().FramePadding.x * 2;
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - button -
                          ImGui::GetStyle().ItemSpacing.x);
  if (ui.focus_address) {
    ImGui::SetKeyboardFocusHere();
    ui.focus_address = false;
  }
  bool enter = ImGui::InputTextWithHint("##address", "sip:user@host or user@host", ui.address,
                                        sizeof ui.address, ImGuiInputTextFlags_EnterReturnsTrue);
  note_layout(ui, "address");
  ImGui::SameLine();
  bool clicked = coloured_button("Call", colours::kGood, colours::kGoodHover);
  note_layout(ui, "call_address");
  if ((enter || clicked) && ui.address[0] != '\0') {
    actions.call(ui.address);
    (void)model;
  }
}

void peer_row(const Peer& peer, Model& model, UiState& ui, Actions& actions, int index) {
  ImGui::PushID(peer.key.c_str());
  float line = ImGui::GetTextLineHeight();
  float height = line * 2 + ImGui::GetStyle().ItemSpacing.y + 6 * ui.scale;
  ImVec2 start = ImGui::GetCursorPos();
  float width = ImGui::GetContentRegionAvail().x;
  float chat_width = 64 * ui.scale;

  // The row itself calls; the chat button on its right opens the conversation.
  bool selected = model.open_chat == peer.key;
  if (ImGui::Selectable("##row", selected, ImGuiSelectableFlags_AllowItemOverlap,
                        ImVec2(width - chat_width - 4 * ui.scale, height))) {
    if (peer.identity_changed()) {
      model.confirm_identity = peer.key;  // ask first (identity_popup)
    } else {
      actions.call(peer.call_target());
    }
  }
  if (ImGui::IsItemHovered() && peer.identity_changed()) {
    ImGui::SetTooltip(
        "%s announces another identity than the one pinned when first seen:\n"
        "pinned  %s\nnow     %s\nSomeone may be posing as %s.",
        peer.name.c_str(), peer.pinned_fp.c_str(), peer.fp.c_str(), peer.name.c_str());
  } else if (ImGui::IsItemHovered() && !peer.uri.empty()) {
    ImGui::SetTooltip("Call %s\n%s", peer.name.c_str(), peer.uri.c_str());
  }
  note_layout(ui, "peer." + std::to_string(index));
  ImVec2 end = ImGui::GetCursorPos();

  ImGui::SetCursorPos(ImVec2(start.x + 6 * ui.scale, start.y + 3 * ui.scale));
  presence_dot(peer.presence, 5.0f * ui.scale);
  ImGui::SameLine();
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextColored(peer.reachable || !peer.discovered ? colours::kText : colours::kDim, "%s",
                     peer.name.c_str());
  ImGui::PopFont();
  if (peer.discovered && !peer.reachable) {
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.small);
    ImGui::TextColored(colours::kDanger, "unreachable");
    ImGui::PopFont();
  }
  if (peer.identity_changed()) {
    ImGui::SameLine();
    chip("\u26A0 identity", colours::kDanger);
    note_layout(ui, "identity warning." + std::to_string(index));
  }
  ImGui::SetCursorPos(ImVec2(start.x + 6 * ui.scale + 16 * ui.scale, ImGui::GetCursorPosY()));
  ImGui::PushFont(ui.fonts.small);
  if (!peer.caps.empty()) {
    for (const std::string& cap : peer.caps) {
      if (cap != "audio" && cap != "video" && cap != "screen" && cap != "chat") continue;
      chip(cap.c_str(), colours::kAccentHover);
      ImGui::SameLine(0, 4 * ui.scale);
    }
  }
  // The note (or the address) in what is left of the row before the Chat button.
  std::string second = !peer.note.empty() ? peer.note : peer.uri;
  float room = start.x + width - chat_width - 8 * ui.scale - ImGui::GetCursorPosX();
  if (ImGui::CalcTextSize(second.c_str()).x > room) {
    while (!second.empty() && ImGui::CalcTextSize((second + "\u2026").c_str()).x > room) {
      second.pop_back();
      while (!second.empty() && (second.back() & 0xC0) == 0x80)
        second.pop_back();  // UTF-8
      if (!second.empty() && (second.back() & 0x80)) second.pop_back();
    }
    second += "\u2026";
  }
  ImGui::TextColored(colours::kDim, "%s", second.c_str());
  ImGui::PopFont();

  // Chat button with the unread count.
  auto chat = model.conversations.find(peer.key);
  int unread = chat == model.conversations.end() ? 0 : chat->second.unread;
  ImGui::SetCursorPos(ImVec2(start.x + width - chat_width, start.y + (height - line * 1.6f) / 2));
  std::string label = unread > 0 ? "Chat " + std::to_string(unread) : "Chat";
  bool pressed = unread > 0 ? coloured_button(label.c_str(), colours::kAccent,
                                              colours::kAccentHover, ImVec2(chat_width, 0))
                            : ImGui::Button(label.c_str(), ImVec2(chat_width, 0));
  note_layout(ui, "chat." + std::to_string(index));
  if (pressed) actions.open_chat(peer.key, peer.name, peer.uri);
  ImGui::SetCursorPos(end);
  ImGui::PopID();
}

}  // namespace

// A call to a peer whose announced identity is not the pinned one: never placed without
// the user seeing both fingerprints and choosing to trust the new one.
void identity_popup(Model& model, UiState& ui, Actions& actions) {
  if (model.confirm_identity.empty()) return;
  const Peer* peer = model.find_peer(model.confirm_identity);
  if (!peer) {
    model.confirm_identity.clear();
    return;
  }
  if (!ImGui::IsPopupOpen("Identity changed")) ImGui::OpenPopup("Identity changed");
  if (!ImGui::BeginPopupModal("Identity changed", nullptr, ImGuiWindowFlags_AlwaysAutoResize))
    return;
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextColored(colours::kDanger, "\u26A0 %s announces another identity", peer->name.c_str());
  ImGui::PopFont();
  ImGui::TextUnformatted("than the one pinned when you first saw it. Someone on the network");
  ImGui::TextUnformatted("may be posing as them. Ask them (in person, or by phone) before");
  ImGui::TextUnformatted("you trust the new one.");
  ImGui::Spacing();
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextColored(colours::kDim, "pinned  %s", peer->pinned_fp.c_str());
  ImGui::TextColored(colours::kDim, "now     %s", peer->fp.c_str());
  ImGui::PopFont();
  ImGui::Spacing();
  const std::string target = peer->call_target();
  if (coloured_button("Trust the new identity and call", colours::kDanger, colours::kDangerHover)) {
    actions.trust_and_call(peer->instance_id, target);
    model.confirm_identity.clear();
    ImGui::CloseCurrentPopup();
  }
  note_layout(ui, "trust and call");
  ImGui::SameLine();
  if (ImGui::Button("Cancel")) {
    model.confirm_identity.clear();
    ImGui::CloseCurrentPopup();
  }
  note_layout(ui, "cancel trust");
  ImGui::EndPopup();
}

void draw_peer_list(Model& model, UiState& ui, Actions& actions) {
  my_card(model, ui, actions);
  ImGui::Spacing();
  call_field(model, ui, actions);
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##search", "Search people", ui.search, sizeof ui.search);
  ImGui::Spacing();

  // People | Recent calls: a two-button switch rather than an ImGui tab bar, whose
  // tabs take a press only on a frame after hovering and could stay held while another
  // pane redraws (seen under Xvfb with the chat open).
  float half = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
  auto tab = [&](const char* label, int index, const char* name) {
    bool active = ui.sidebar_tab == index;
    bool pressed =
        active ? coloured_button(label, colours::kAccent, colours::kAccentHover, ImVec2(half, 0))
               : ImGui::Button(label, ImVec2(half, 0));
    note_layout(ui, name);
    if (pressed && !active) {
      ui.sidebar_tab = index;
      if (index == 1) actions.refresh_call_log();
    }
  };
  tab("People", 0, "tab.people");
  ImGui::SameLine();
  tab("Recent calls", 1, "tab.recent");
  ImGui::Spacing();

  if (ui.sidebar_tab == 1) {
    if (model.call_log_stale) actions.refresh_call_log();
    draw_call_history(model, ui, actions);
    return;
  }
  ImGui::BeginChild("##peers", ImVec2(0, 0), false);
  std::vector<const Peer*> list = model.visible_peers(ui.search);
  bool shown_others = false;
  int index = 0;
  for (const Peer* peer : list) {
    if (!peer->discovered && !shown_others) {
      shown_others = true;
      ImGui::PushFont(ui.fonts.small);
      ImGui::TextColored(colours::kDim, "FROM YOUR HISTORY");
      ImGui::PopFont();
    }
    peer_row(*peer, model, ui, actions, index++);
  }
  if (list.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(colours::kDim, "%s",
                       ui.search[0] ? "Nobody matches the search."
                                    : "Nobody on the network yet. Peers running Lanline "
                                      "appear here by themselves; any SIP phone can be "
                                      "called by its address above.");
    ImGui::PopTextWrapPos();
  }
  ImGui::EndChild();
  identity_popup(model, ui, actions);
}

}  // namespace lanline::gui
