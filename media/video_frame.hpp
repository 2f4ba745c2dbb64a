// One picture of a video stream, as the window and snapshots take it. No dependencies, so
// the GUI can hold frames without GStreamer's headers.
#pragma once

#include <cstdint>
#include <vector>

namespace lanline::media {

// Tightly packed RGBA (what a texture upload takes).
struct VideoFrame {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgba;  // width * height * 4
  std::uint64_t number = 0;        // counts up from 1 in its slot: a reader sees it is new
};

}  // namespace lanline::media
