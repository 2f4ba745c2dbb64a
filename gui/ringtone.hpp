// The ringtone (data/sounds/ring.wav) while a call rings, through SDL audio. Without an
// audio device (a server, a test under Xvfb) it logs that once and stays silent.
#pragma once

#include <SDL.h>

#include <string>

namespace lanline::gui {

class Ringtone {
 public:
  explicit Ringtone(const std::string& wav_file);
  ~Ringtone();
  Ringtone(const Ringtone&) = delete;
  Ringtone& operator=(const Ringtone&) = delete;

  // Called every frame: keeps the tone queued while `ringing`, stops it otherwise.
  void update(bool ringing);

 private:
  SDL_AudioDeviceID device_ = 0;
  Uint8* samples_ = nullptr;
  Uint32 length_ = 0;
  bool playing_ = false;
  bool audio_ready_ = false;
};

}  // namespace lanline::gui
