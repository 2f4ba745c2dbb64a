#include "gui/video_textures.hpp"

#include <SDL_opengl.h>

#include <cstdint>

namespace lanline::gui {
namespace {

struct Uploaded {
  int width = 0;
  int height = 0;
  std::uint64_t number = 0;
};

class GlTextures final : public VideoTextures {
 public:
  ~GlTextures() override {
    for (auto& [key, texture] : textures_)
      glDeleteTextures(1, &texture.id);
  }
  ImTextureID show(int key, const media::VideoFrame& frame) override {
    Texture& texture = textures_[key];
    if (texture.id == 0) {
      glGenTextures(1, &texture.id);
      glBindTexture(GL_TEXTURE_2D, texture.id);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    }
    if (texture.uploaded.number != frame.number) {
      glBindTexture(GL_TEXTURE_2D, texture.id);
      glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
      if (texture.uploaded.width != frame.width || texture.uploaded.height != frame.height) {
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, frame.width, frame.height, 0, GL_RGBA,
                     GL_UNSIGNED_BYTE, frame.rgba.data());
      } else {
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, frame.width, frame.height, GL_RGBA,
                        GL_UNSIGNED_BYTE, frame.rgba.data());
      }
      texture.uploaded = {frame.width, frame.height, frame.number};
    }
    return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(texture.id));
  }

 private:
  struct Texture {
    GLuint id = 0;
    Uploaded uploaded;
  };
  std::map<int, Texture> textures_;
};

class SdlTextures final : public VideoTextures {
 public:
  explicit SdlTextures(SDL_Renderer* renderer) : renderer_(renderer) {}
  ~SdlTextures() override {
    for (auto& [key, texture] : textures_)
      if (texture.texture) SDL_DestroyTexture(texture.texture);
  }
  ImTextureID show(int key, const media::VideoFrame& frame) override {
    Texture& texture = textures_[key];
    if (texture.uploaded.width != frame.width || texture.uploaded.height != frame.height) {
      if (texture.texture) SDL_DestroyTexture(texture.texture);
      // RGBA bytes in memory are SDL's ABGR8888 on a little-endian machine: RGBA32.
      texture.texture = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_RGBA32,
                                          SDL_TEXTUREACCESS_STREAMING, frame.width, frame.height);
      texture.uploaded = {};
      if (!texture.texture) return nullptr;
    }
    if (texture.uploaded.number != frame.number) {
      SDL_UpdateTexture(texture.texture, nullptr, frame.rgba.data(), frame.width * 4);
      texture.uploaded = {frame.width, frame.height, frame.number};
    }
    return texture.texture;
  }

 private:
  struct Texture {
    SDL_Texture* texture = nullptr;
    Uploaded uploaded;
  };
  SDL_Renderer* renderer_;
  std::map<int, Texture> textures_;
};

}  // namespace

std::unique_ptr<VideoTextures> make_gl_textures() {
  return std::make_unique<GlTextures>();
}

std::unique_ptr<VideoTextures> make_sdl_textures(SDL_Renderer* renderer) {
  return std::make_unique<SdlTextures>(renderer);
}

}  // namespace lanline::gui
