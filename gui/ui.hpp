// What the panels share: the window's own state (what is typed, which tab is open) and
// the actions a click sends to the engine. Panels draw from the Model every frame and
// hold no protocol state (one file per panel, as in Tracy's TracyView_*.cpp).
#pragma once

#include <imgui.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "engine_link.hpp"
#include "model.hpp"
#include "video_textures.hpp"

namespace lanline::gui {

// The settings a person can change here; the composition root saves them to the
// profile's config file (the GUI does not know its format).
struct Settings {
  std::string name;
  std::string audio_source;  // device | test[:HZ] | file:PATH.wav
  std::string audio_sink;    // device | null | record:PATH.wav
  std::string stun;
  std::string turn;
  int sip_port = 5060;
  // The account beyond the LAN (issue 16): none when `account` is empty. The password is
  // written to a file of its own (mode 0600), never to the config.
  std::string account;    // sip:USER@DOMAIN
  std::string registrar;  // HOST[:PORT], "" for DOMAIN
  std::string account_transport = "udp";
  std::string password;  // typed in the panel; "" keeps the saved one
};
// Returns "" when saved, else what went wrong.
using SaveSettings = std::function<std::string(const Settings&)>;

struct Fonts {
  ImFont* body = nullptr;
  ImFont* bold = nullptr;
  ImFont* title = nullptr;  // large, for names in the call views
  ImFont* small = nullptr;
};

struct UiState {
  float scale = 1.0f;
  Fonts fonts;
  char address[256] = "";
  char search[128] = "";
  std::map<std::string, std::string> drafts;  // chat input per conversation
  int sidebar_tab = 0;                        // 0 people, 1 recent calls
  bool show_settings = false;
  bool show_keypad = false;
  Settings settings;
  std::string settings_status;
  SaveSettings save_settings;
  char presence_note[128] = "";
  std::string dtmf_sent;
  bool focus_address = false;
  // Test hook (LANLINE_GUI_LAYOUT): where named controls are, in window coordinates.
  std::map<std::string, ImVec4> layout;
  // The calls' video and how to draw it (set by the window each frame; null without).
  media::FrameBoard* frames = nullptr;
  VideoTextures* textures = nullptr;
};

// Sends commands to the engine; replies update the model on the GUI thread.
class Actions {
 public:
  Actions(EngineLink& link, Model& model) : link_(link), model_(model) {}
  void refresh_status();
  void refresh_peers();
  void refresh_accounts();
  void refresh_calls();
  void refresh_call_log();
  void refresh_devices();
  void load_history(const std::string& key, const std::string& target);
  void call(const std::string& target);
  // The peer's new identity pinned in place of the old (`trust`), then a call to it.
  void trust_and_call(const std::string& instance_id, const std::string& target);
  void answer(std::uint64_t call);
  void decline(std::uint64_t call);
  void hangup(std::uint64_t call);
  void hold(std::uint64_t call, bool on);
  // The two people read the same short authentication string: the peer is verified.
  void verify(std::uint64_t call);
  void mute(bool on);
  // Our screen shared in the call, or the camera's video, on or off (a re-INVITE). With
  // several monitors, starting asks which (Model::screen_choice) and share_monitor()
  // starts that one ("all": the whole screen).
  void share_screen(std::uint64_t call, bool on);
  void share_monitor(std::uint64_t call, const std::string& monitor);
  void video(std::uint64_t call, bool on);
  void dtmf(const std::string& digits);
  void message(const std::string& target, const std::string& text);
  void presence(const std::string& state, const std::string& note);
  void open_chat(const std::string& key, const std::string& name, const std::string& uri);

 private:
  void send(nlohmann::json request, EngineLink::Reply on_reply = {});
  EngineLink& link_;
  Model& model_;
};

// Colours of the theme (theme.cpp), shared by the panels.
namespace colours {
ImU32 presence(const std::string& state);
extern const ImVec4 kAccent, kAccentHover, kDanger, kDangerHover, kGood, kGoodHover, kMuted, kPanel,
    kText, kDim, kBubbleOut, kBubbleIn;
}  // namespace colours

// theme.cpp
void apply_theme(float scale);
Fonts load_fonts(const std::string& data_dir, float scale);
// Helpers the panels share.
void presence_dot(const std::string& state, float radius);
bool coloured_button(const char* label, const ImVec4& colour, const ImVec4& hover,
                     const ImVec2& size = ImVec2(0, 0));
void chip(const char* label, const ImVec4& colour);
void note_layout(UiState& ui, const std::string& name);  // records the last item's rect
std::string format_duration(std::int64_t seconds);
std::string format_clock(std::int64_t unix_ms);

// The panels, one file each.
void draw_peer_list(Model& model, UiState& ui, Actions& actions);
void draw_call_history(Model& model, UiState& ui, Actions& actions);
void draw_incoming_call(Model& model, UiState& ui, Actions& actions);
void draw_call(Model& model, UiState& ui, Actions& actions);
void draw_chat(Model& model, UiState& ui, Actions& actions);
void draw_settings(Model& model, UiState& ui, Actions& actions);
void draw_welcome(Model& model, UiState& ui);

}  // namespace lanline::gui
