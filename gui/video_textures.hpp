// Video frames as ImGui images: one texture per picture shown (the peer's, the self view),
// uploaded again only when a newer frame came. The texture kind follows the window's
// renderer: OpenGL textures, or SDL_Texture for SDL's software renderer. GUI thread only.
#pragma once

#include <SDL.h>
#include <imgui.h>

#include <map>
#include <memory>

#include "media/video_frame.hpp"

namespace lanline::gui {

class VideoTextures {
 public:
  virtual ~VideoTextures() = default;
  // The texture for picture `key` holding `frame` (uploaded when its number is new);
  // nullptr when none can be made.
  virtual ImTextureID show(int key, const media::VideoFrame& frame) = 0;
};

std::unique_ptr<VideoTextures> make_gl_textures();
std::unique_ptr<VideoTextures> make_sdl_textures(SDL_Renderer* renderer);

}  // namespace lanline::gui
