// The newest frame of a video stream, for whoever wants to look at it: the GUI's texture,
// `lanline ctl snapshot`, tests. A streaming thread puts frames in as they are decoded
// (or captured); any thread takes the newest out. Only the newest is kept, as it came
// (I420 from the decoder): it is turned into RGBA when someone asks for it, once per
// frame, so a node nobody looks at spends nothing on conversion.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "media/video_frame.hpp"

namespace lanline::media {

class LatestFrame {
 public:
  LatestFrame() = default;
  ~LatestFrame();
  LatestFrame(const LatestFrame&) = delete;
  LatestFrame& operator=(const LatestFrame&) = delete;

  // A raw video sample (streaming thread). Frames of absurd size are ignored.
  void put(GstSample* sample);
  // The newest frame as RGBA, nullptr before the first.
  std::shared_ptr<const VideoFrame> newest() const;
  std::uint64_t frames() const;
  // The newest frame's size, without turning it into RGBA; 0 and 0 before the first.
  void size(int& width, int& height) const;

 private:
  mutable std::mutex mutex_;
  GstSample* sample_ = nullptr;  // the newest, as it came
  std::uint64_t count_ = 0;
  int width_ = 0;  // of sample_
  int height_ = 0;
  mutable std::shared_ptr<const VideoFrame> converted_;  // of frame number converted_->number
  mutable GstVideoConverter* converter_ = nullptr;       // for converter_info_'s size and format
  mutable GstVideoInfo converter_info_{};
};

// Writes `frame` as a PNG file (through GStreamer's pngenc). False with `error`.
bool write_png(const VideoFrame& frame, const std::string& path, std::string& error);

}  // namespace lanline::media
