// Pictures compared, for the video tests: a decoded frame (or a PNG a node wrote) against
// what GStreamer's videotestsrc draws for a pattern at the same size, pixel by pixel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "media/video_frames.hpp"

namespace lanline::media::test {

// What videotestsrc's `pattern` ("smpte") looks like at width x height once it has been
// through I420, the format a video branch encodes (its -I and +Q blocks are drawn in YUV
// there), as RGBA; `stable` marks the pixels that are the same in every frame (SMPTE's
// corner of random noise is not), the only ones worth comparing.
struct Reference {
  VideoFrame frame;
  std::vector<bool> stable;
};
// With `drawn_width` and `drawn_height`: drawn at that size and scaled down to width x
// height by videoscale, as the self view is.
std::optional<Reference> pattern_reference(const std::string& pattern, int width, int height,
                                           std::string& error, int drawn_width = 0,
                                           int drawn_height = 0);
// A PNG file, decoded to RGBA.
std::optional<VideoFrame> load_png(const std::string& path, std::string& error);

struct FrameDifference {
  double mean_error = 255;  // mean absolute difference over R, G and B, 0..255
  double share_close = 0;   // share of pixels whose R, G and B are each within 40
};
// nullopt when the sizes differ. Only the pixels `stable` marks, when it is not empty.
std::optional<FrameDifference> compare(const VideoFrame& a, const VideoFrame& b,
                                       const std::vector<bool>& stable = {});
inline std::optional<FrameDifference> compare(const VideoFrame& a, const Reference& b) {
  return compare(a, b.frame, b.stable);
}

}  // namespace lanline::media::test
