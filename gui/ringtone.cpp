#include "ringtone.hpp"

#include <spdlog/spdlog.h>

namespace lanline::gui {

Ringtone::Ringtone(const std::string& wav_file) {
  if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
    spdlog::info("no sound for the ringtone: {}", SDL_GetError());
    return;
  }
  audio_ready_ = true;
  SDL_AudioSpec spec{};
  if (!SDL_LoadWAV(wav_file.c_str(), &spec, &samples_, &length_)) {
    spdlog::warn("cannot load the ringtone {}: {}", wav_file, SDL_GetError());
    return;
  }
  device_ = SDL_OpenAudioDevice(nullptr, 0, &spec, nullptr, 0);
  if (device_ == 0) spdlog::info("no audio device for the ringtone: {}", SDL_GetError());
}

Ringtone::~Ringtone() {
  if (device_) SDL_CloseAudioDevice(device_);
  if (samples_) SDL_FreeWAV(samples_);
  if (audio_ready_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

void Ringtone::update(bool ringing) {
  if (!device_) return;
  if (ringing) {
    // Keep about one more ring queued; the window wakes twice a second while ringing.
    if (SDL_GetQueuedAudioSize(device_) < length_) SDL_QueueAudio(device_, samples_, length_);
    if (!playing_) SDL_PauseAudioDevice(device_, 0);
    playing_ = true;
  } else if (playing_) {
    SDL_PauseAudioDevice(device_, 1);
    SDL_ClearQueuedAudio(device_);
    playing_ = false;
  }
}

}  // namespace lanline::gui
