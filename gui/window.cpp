#include "window.hpp"

#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <backends/imgui_impl_sdlrenderer.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "ringtone.hpp"

namespace lanline::gui {
namespace {

using Clock = std::chrono::steady_clock;

// The display's scale: LANLINE_SCALE, else what the desktop tells toolkits (GDK_SCALE,
// QT_SCALE_FACTOR: GNOME and KDE set them on HiDPI screens), else the display's DPI over
// 96 in quarter steps (X servers often report 96 whatever the screen).
float display_scale(SDL_Window* window) {
  for (const char* name : {"LANLINE_SCALE", "GDK_SCALE", "QT_SCALE_FACTOR"}) {
    const char* forced = std::getenv(name);
    if (!forced) continue;
    float value = std::strtof(forced, nullptr);
    if (value >= 0.5f && value <= 4.0f) return value;
  }
  float dpi = 0;
  int display = window ? SDL_GetWindowDisplayIndex(window) : 0;
  if (SDL_GetDisplayDPI(display < 0 ? 0 : display, &dpi, nullptr, nullptr) != 0 || dpi <= 0)
    return 1.0f;
  float scale = std::round(dpi / 96.0f * 4.0f) / 4.0f;
  return std::clamp(scale, 1.0f, 3.0f);
}

// How the window draws. OpenGL 3 where there is a GPU; SDL's software renderer where the
// only GL would be Mesa's llvmpipe (a VM, a container, Xvfb): llvmpipe costs 64 MB of
// libLLVM and DRI libraries and compiles shaders for the first frame, while drawing
// ImGui's few thousand triangles in software costs neither.
enum class Renderer { gl, software };

const char* renderer_name(Renderer renderer) {
  return renderer == Renderer::gl ? "OpenGL 3" : "SDL software renderer";
}

// LANLINE_RENDERER=gl|software, else OpenGL only if there is a DRI render node: the cheap
// test for a GPU, made without loading Mesa into the process (a GPU-less machine has no
// /dev/dri/renderD*; the proprietary NVIDIA driver has them too). `forced` tells whether
// the user chose, so a failing automatic choice may fall back.
Renderer choose_renderer(bool& forced) {
  forced = false;
  if (const char* wanted = std::getenv("LANLINE_RENDERER"); wanted && *wanted) {
    std::string_view value(wanted);
    if (value == "gl" || value == "opengl") {
      forced = true;
      return Renderer::gl;
    }
    if (value == "software") {
      forced = true;
      return Renderer::software;
    }
    spdlog::warn("LANLINE_RENDERER={} is not known (use gl or software); choosing by the GPU",
                 value);
  }
  std::error_code code;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/dri", code)) {
    if (entry.path().filename().string().rfind("renderD", 0) == 0) return Renderer::gl;
  }
  return Renderer::software;
}

// The index of SDL's "software" render driver, or -1 (SDL then picks by the flags).
int software_render_driver() {
  for (int i = 0; i < SDL_GetNumRenderDrivers(); ++i) {
    SDL_RendererInfo info{};
    if (SDL_GetRenderDriverInfo(i, &info) == 0 && std::string_view(info.name) == "software")
      return i;
  }
  return -1;
}

}  // namespace

struct Window::Impl {
  WindowOptions options;
  SDL_Window* window = nullptr;
  SDL_GLContext gl = nullptr;
  SDL_Renderer* renderer = nullptr;  // the software path
  ImGuiContext* imgui = nullptr;
  bool sdl_ready = false, imgui_sdl = false, imgui_gl = false, imgui_sdlrenderer = false;
  std::uint32_t wake = 0;
  Model model;
  UiState ui;
  std::unique_ptr<Ringtone> ringtone;
  std::unique_ptr<VideoTextures> textures;    // made with the renderer, gone before it
  std::shared_ptr<media::FrameBoard> frames;  // the engine's, once it runs
  std::uint64_t last_ringing = 0;
  bool first_frame_done = false;
  std::string written_layout;

  ~Impl() {
    ringtone.reset();
    textures.reset();
    if (imgui_gl) ImGui_ImplOpenGL3_Shutdown();
    if (imgui_sdlrenderer) ImGui_ImplSDLRenderer_Shutdown();
    if (imgui_sdl) ImGui_ImplSDL2_Shutdown();
    if (imgui) ImGui::DestroyContext(imgui);
    if (renderer) SDL_DestroyRenderer(renderer);
    if (gl) SDL_GL_DeleteContext(gl);
    if (window) SDL_DestroyWindow(window);
    if (sdl_ready) SDL_Quit();
  }

  void handle_keys(Actions& actions) {
    ImGuiIO& io = ImGui::GetIO();
    Call* ringing = model.ringing_call();
    Call* active = model.active_call();
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) {
      if (ringing)
        actions.decline(ringing->id);
      else if (active)
        actions.hangup(active->id);
    }
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false)) {
      // A ringing call takes the stage (the chat pane is not drawn), so Enter answers
      // whatever had the keyboard before.
      if (ringing)
        actions.answer(ringing->id);
      else if (!active && !io.WantTextInput)
        ui.focus_address = true;  // Enter, type, Enter: a call
    }
  }

  void draw(Actions& actions) {
    ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("##main", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoBringToFrontOnFocus);
    handle_keys(actions);
    float status_height = ImGui::GetFrameHeightWithSpacing() + 4 * ui.scale;
    float sidebar = std::min(360 * ui.scale, io.DisplaySize.x * 0.42f);
    ImGui::BeginChild("##sidebar", ImVec2(sidebar, -status_height), false,
                      ImGuiWindowFlags_AlwaysUseWindowPadding);
    draw_peer_list(model, ui, actions);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("##stage", ImVec2(0, -status_height), false,
                      ImGuiWindowFlags_AlwaysUseWindowPadding | ImGuiWindowFlags_NoScrollbar);
    Call* active = model.active_call();
    bool chat = model.conversations.count(model.open_chat) != 0;
    if (model.ringing_call()) {
      draw_incoming_call(model, ui, actions);
    } else if (active && chat) {
      float height = ImGui::GetContentRegionAvail().y * 0.58f;
      ImGui::BeginChild("##call", ImVec2(0, height), false, ImGuiWindowFlags_NoScrollbar);
      draw_call(model, ui, actions);
      ImGui::EndChild();
      ImGui::Separator();
      draw_chat(model, ui, actions);
    } else if (active) {
      draw_call(model, ui, actions);
    } else if (chat) {
      draw_chat(model, ui, actions);
    } else {
      draw_welcome(model, ui);
    }
    ImGui::EndChild();

    // Status line: the newest error, else who we are; settings on the right.
    ImGui::PushFont(ui.fonts.small);
    ImGui::SetCursorPosY(ImGui::GetCursorPosY() + 4 * ui.scale);
    if (!model.last_error.empty()) {
      ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.5f, 1.0f), "%s", model.last_error.c_str());
      if (ImGui::IsItemClicked()) model.last_error.clear();
    } else if (!model.history_error.empty()) {
      ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.4f, 1.0f), "%s", model.history_error.c_str());
    } else {
      std::size_t seen = 0;
      for (const auto& [key, peer] : model.peers)
        seen += peer.discovered ? 1 : 0;
      ImGui::TextColored(
          colours::kDim, "Profile %s  \u00B7  SIP port %d  \u00B7  %zu %s on the network",
          model.me.profile.c_str(), model.me.sip_port, seen, seen == 1 ? "peer" : "peers");
    }
    ImGui::PopFont();
    float button = 100 * ui.scale;
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - button);
    ImGui::SetCursorPosY(ImGui::GetCursorPosY() - 4 * ui.scale);
    if (ImGui::Button("Settings", ImVec2(button, 0))) ui.show_settings = true;
    note_layout(ui, "settings");
    draw_settings(model, ui, actions);
    ImGui::End();
  }

  void begin_frame() {
    if (imgui_gl)
      ImGui_ImplOpenGL3_NewFrame();
    else
      ImGui_ImplSDLRenderer_NewFrame();
  }

  void present() {
    ImGuiIO& io = ImGui::GetIO();
    if (imgui_gl) {
      glViewport(0, 0, static_cast<int>(io.DisplaySize.x * io.DisplayFramebufferScale.x),
                 static_cast<int>(io.DisplaySize.y * io.DisplayFramebufferScale.y));
      glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      SDL_GL_SwapWindow(window);
      return;
    }
    // A HiDPI drawable (Wayland, macOS) is scaled by the backend: ImGui's coordinates are in
    // window points and it multiplies them by io.DisplayFramebufferScale.
    SDL_SetRenderDrawColor(renderer, 23, 26, 31, 255);  // 0.09, 0.10, 0.12 as on GL
    SDL_RenderClear(renderer);
    ImGui_ImplSDLRenderer_RenderDrawData(ImGui::GetDrawData());
    SDL_RenderPresent(renderer);
  }

  // Opens the window for `renderer_kind`: an OpenGL 3.2 context, or an SDL_Renderer
  // drawing in software into the window's X/Wayland shared-memory image.
  bool open(Renderer renderer_kind, int width, int height, std::string& error) {
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (renderer_kind == Renderer::gl) flags |= SDL_WINDOW_OPENGL;
    window = SDL_CreateWindow(options.title.c_str(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                              width, height, flags);
    if (!window) {
      error = std::string("cannot open a window: ") + SDL_GetError();
      return false;
    }
    if (renderer_kind == Renderer::gl) {
      gl = SDL_GL_CreateContext(window);
      if (!gl) {
        error = std::string("cannot use OpenGL for the window: ") + SDL_GetError();
        return false;
      }
      SDL_GL_MakeCurrent(window, gl);
      SDL_GL_SetSwapInterval(1);
      return true;
    }
    // Else SDL puts the window's own framebuffer on a GL texture, loading llvmpipe anyway.
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    renderer = SDL_CreateRenderer(window, software_render_driver(), SDL_RENDERER_SOFTWARE);
    if (!renderer) {
      error = std::string("cannot draw in the window: ") + SDL_GetError();
      return false;
    }
    return true;
  }

  void close() {
    if (renderer) SDL_DestroyRenderer(renderer);
    if (gl) SDL_GL_DeleteContext(gl);
    if (window) SDL_DestroyWindow(window);
    renderer = nullptr;
    gl = nullptr;
    window = nullptr;
  }

  void write_layout() {
    if (options.layout_file.empty()) return;
    nlohmann::json layout = nlohmann::json::object();
    for (const auto& [name, rect] : ui.layout)
      layout[name] = {rect.x, rect.y, rect.z, rect.w};
    std::string text = layout.dump();
    if (text == written_layout) return;
    written_layout = text;
    std::string temporary = options.layout_file + ".new";
    {
      std::ofstream out(temporary);
      out << text << "\n";
    }
    std::error_code code;
    std::filesystem::rename(temporary, options.layout_file, code);
  }
};

Window::Window() : impl_(std::make_unique<Impl>()) {}
Window::~Window() = default;

std::uint32_t Window::wake_event() const {
  return impl_->wake;
}

std::unique_ptr<Window> Window::create(const WindowOptions& options, std::string& error) {
  std::unique_ptr<Window> self(new Window());
  Impl& impl = *self->impl_;
  impl.options = options;
  // Where the time to the first frame goes (--log-level debug).
  auto mark = [&options](const char* step) {
    spdlog::debug(
        "window: {} at {} ms", step,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - options.started)
            .count());
  };
  mark("start");
  // SDL must not take SIGINT/SIGTERM from the engine's own handling; it turns them
  // into SDL_QUIT, which closes the window and then stops the engine.
  SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
  // Only a desktop's display server: SDL would otherwise fall back to drawing straight
  // on a console (KMSDRM) or off screen, where nobody sees the window.
  if (!std::getenv("SDL_VIDEODRIVER")) {
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    SDL_SetHint(SDL_HINT_VIDEODRIVER, wayland && *wayland ? "wayland,x11" : "x11");
  }
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    error = std::string("cannot open a window: ") + SDL_GetError();
    SDL_Quit();  // what SDL did start on the way (its D-Bus connection) goes too
    return nullptr;
  }
  impl.sdl_ready = true;
  spdlog::debug("SDL video driver {}", SDL_GetCurrentVideoDriver());
  mark("SDL ready");
  bool forced = false;
  Renderer renderer_kind = choose_renderer(forced);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, 0);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 2);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
  SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);

  float scale = display_scale(nullptr);
  int width = static_cast<int>(1100 * scale), height = static_cast<int>(720 * scale);
  SDL_Rect usable{};
  if (SDL_GetDisplayUsableBounds(0, &usable) == 0 && usable.w > 0) {
    width = std::min(width, usable.w);
    height = std::min(height, usable.h);
  }
  if (!impl.open(renderer_kind, width, height, error)) {
    if (forced || renderer_kind != Renderer::gl) return nullptr;
    // A render node but no usable GL 3.2 (an old or broken driver): software still works.
    spdlog::warn("{}; drawing in software instead", error);
    error.clear();
    impl.close();
    renderer_kind = Renderer::software;
    if (!impl.open(renderer_kind, width, height, error)) return nullptr;
  }
  spdlog::info("window drawn with the {}{}", renderer_name(renderer_kind),
               forced ? " (LANLINE_RENDERER)" : "");
  SDL_SetWindowMinimumSize(impl.window, 640, 420);
  std::string icon = options.data_dir + "/icons/lanline-64.bmp";
  if (SDL_Surface* surface = SDL_LoadBMP(icon.c_str())) {
    SDL_SetWindowIcon(impl.window, surface);
    SDL_FreeSurface(surface);
  }
  mark("window and renderer");

  impl.imgui = ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;               // the layout is fixed; nothing to remember
  io.ConfigInputTextCursorBlink = false;  // a blinking caret would need frames when idle
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  impl.ui.scale = scale;
  apply_theme(scale);
  impl.ui.fonts = load_fonts(options.data_dir, scale);
  mark("fonts loaded");
  impl.ui.settings = options.settings;
  impl.ui.save_settings = options.save_settings;
  if (renderer_kind == Renderer::gl) {
    impl.imgui_sdl = ImGui_ImplSDL2_InitForOpenGL(impl.window, impl.gl);
    impl.imgui_gl = ImGui_ImplOpenGL3_Init("#version 150");
  } else {
    impl.imgui_sdl = ImGui_ImplSDL2_InitForSDLRenderer(impl.window);
    impl.imgui_sdlrenderer = ImGui_ImplSDLRenderer_Init(impl.renderer);
  }
  if (!impl.imgui_sdl || !(impl.imgui_gl || impl.imgui_sdlrenderer)) {
    error = std::string("cannot start the window's renderer (") + renderer_name(renderer_kind) +
            "); try LANLINE_RENDERER=software or LANLINE_RENDERER=gl";
    return nullptr;
  }
  impl.textures =
      renderer_kind == Renderer::gl ? make_gl_textures() : make_sdl_textures(impl.renderer);
  impl.ui.textures = impl.textures.get();
  impl.wake = SDL_RegisterEvents(1);
  mark("renderer ready");
  return self;
}

void Window::run(EngineLink& link) {
  Impl& impl = *impl_;
  Model& model = impl.model;
  Actions actions(link, model);
  actions.refresh_status();
  actions.refresh_accounts();
  actions.refresh_peers();
  actions.refresh_calls();

  int frames_due = 2;  // ImGui settles layout over two frames after a change
  bool running = true;
  Clock::time_point next_poll = Clock::now();
  while (running) {
    SDL_Event event;
    bool got = false;
    if (frames_due > 0) {
      got = SDL_PollEvent(&event) != 0;
    } else {
      // Asleep until input or the engine wakes us; a tick only while something moves.
      int timeout = -1;
      if (model.ringing_call()) timeout = 500;
      Call* active = model.active_call();
      if (active) {
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - Clock::now());
        timeout = static_cast<int>(std::clamp<long long>(wait.count(), 0, 1000));
        if (model.ringing_call()) timeout = std::min(timeout, 500);
      }
      got = timeout < 0 ? SDL_WaitEvent(&event) != 0 : SDL_WaitEventTimeout(&event, timeout) != 0;
      frames_due = 1;
    }
    while (got) {
      if (event.type == SDL_QUIT) running = false;
      if (event.type == SDL_WINDOWEVENT && event.window.event == SDL_WINDOWEVENT_CLOSE &&
          event.window.windowID == SDL_GetWindowID(impl.window))
        running = false;
      if (event.type != impl.wake) {
        ImGui_ImplSDL2_ProcessEvent(&event);
        // A click is press and release, and a tab switches a frame after the release.
        frames_due = 3;
        // ImGui 1.86 keeps only whether a key is down: a press and its release taken in
        // one batch would cancel out, so a press gets a frame of its own.
        if (event.type == SDL_KEYDOWN || event.type == SDL_MOUSEBUTTONDOWN) break;
      }
      got = SDL_PollEvent(&event) != 0;
    }
    for (EngineLink::Arrival& arrival : link.take()) {
      if (arrival.is_event) {
        model.apply_event(arrival.value);
      } else if (arrival.on_reply) {
        arrival.on_reply(arrival.value);
      }
      frames_due = 2;
    }
    // Call quality and levels: polled once a second while a call lasts.
    Call* active = model.active_call();
    if (active && Clock::now() >= next_poll) {
      actions.refresh_calls();
      next_poll = Clock::now() + std::chrono::seconds(1);
    }
    Call* ringing = model.ringing_call();
    if (ringing && ringing->id != impl.last_ringing) {
      impl.last_ringing = ringing->id;
      SDL_RestoreWindow(impl.window);
      SDL_RaiseWindow(impl.window);
      SDL_FlashWindow(impl.window, SDL_FLASH_UNTIL_FOCUSED);
    }
    if (!ringing) impl.last_ringing = 0;
    // Audio is opened at the first ring, not at start: probing devices costs a few
    // hundred milliseconds that the first frame should not wait for.
    if (ringing && !impl.ringtone)
      impl.ringtone = std::make_unique<Ringtone>(impl.options.data_dir + "/sounds/ring.wav");
    if (impl.ringtone) impl.ringtone->update(ringing != nullptr);

    if (!impl.frames) {
      impl.frames = link.video_frames();
      impl.ui.frames = impl.frames.get();
    }
    impl.begin_frame();
    ImGui_ImplSDL2_NewFrame();
    ImGui::NewFrame();
    impl.ui.layout.clear();
    impl.draw(actions);
    ImGui::Render();
    impl.present();
    if (!impl.first_frame_done) {
      impl.first_frame_done = true;
      // The font atlas now lives in a texture (GL's or SDL's); its CPU copies (an 8-bit and a
      // 32-bit image of the whole atlas) are megabytes that nothing reads again.
      ImFontAtlas* atlas = ImGui::GetIO().Fonts;
      spdlog::debug("font atlas {}x{}", atlas->TexWidth, atlas->TexHeight);
      atlas->ClearTexData();
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                                      impl.options.started);
      spdlog::info("first frame drawn {} ms after start", ms.count());
    }
    impl.write_layout();
    if (frames_due > 0) --frames_due;
  }
}

}  // namespace lanline::gui
