// Where the window finds the video of its calls: each call's newest decoded frame from
// the peer and newest frame of our own (the self view), by call, without JSON and
// without holding any pipeline. The engine publishes a call's pictures when its video
// starts and withdraws them when it stops; the GUI thread asks for the newest frame of
// a call whenever it draws, and is woken when one arrives. Thread-safe throughout.
// Header only and free of GStreamer: a picture is published as a function that gives its
// newest frame (holding what it needs), so the GUI links nothing of media/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "media/video_frame.hpp"

namespace lanline::media {

class FrameBoard {
 public:
  // The peer's camera, ours (the self view), and the shared screen (the peer's when it
  // shares, else our own, small).
  enum class Kind { kRemote, kLocal, kScreen };
  using Picture = std::function<std::shared_ptr<const VideoFrame>()>;

  // Engine thread.
  void publish(std::uint64_t call, Picture remote, Picture local, Picture screen = nullptr) {
    std::lock_guard lock(mutex_);
    calls_[call] = Pictures{std::move(remote), std::move(local), std::move(screen)};
  }
  void withdraw(std::uint64_t call) {
    std::lock_guard lock(mutex_);
    calls_.erase(call);
  }
  // Any thread (a streaming thread, as a frame arrives): tells the listener.
  void frame_arrived() const {
    std::function<void()> listener;
    {
      std::lock_guard lock(mutex_);
      listener = listener_;
    }
    if (listener) listener();
  }

  // GUI thread: the newest frame of that kind in `call`, nullptr when it has none.
  std::shared_ptr<const VideoFrame> newest(std::uint64_t call, Kind kind) const {
    Picture picture;
    {
      std::lock_guard lock(mutex_);
      auto found = calls_.find(call);
      if (found == calls_.end()) return nullptr;
      const Pictures& pictures = found->second;
      picture = kind == Kind::kRemote  ? pictures.remote
                : kind == Kind::kLocal ? pictures.local
                                       : pictures.screen;
    }
    return picture ? picture() : nullptr;
  }
  // Runs (on a streaming thread) after each new frame.
  void on_frame(std::function<void()> listener) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
  }

 private:
  struct Pictures {
    Picture remote;
    Picture local;
    Picture screen;
  };
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Pictures> calls_;
  std::function<void()> listener_;
};

}  // namespace lanline::media
