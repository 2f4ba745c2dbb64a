#include "frame_compare.hpp"

#include <gst/app/gstappsink.h>

#include <cstdlib>

namespace lanline::media::test {
namespace {

// Runs `description` (ending in an appsink named "out" taking RGBA) for its first
// `count` frames.
std::vector<VideoFrame> first_frames(const std::string& description, int count,
                                     std::string& error) {
  std::vector<VideoFrame> frames;
  GError* gerror = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &gerror);
  if (!pipeline) {
    error = gerror ? gerror->message : "cannot build " + description;
    g_clear_error(&gerror);
    return frames;
  }
  g_clear_error(&gerror);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  g_object_set(sink, "sync", FALSE, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  for (int i = 0; i < count; ++i) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 10 * GST_SECOND);
    if (!sample) break;
    LatestFrame slot;
    slot.put(sample);
    if (auto newest = slot.newest()) frames.push_back(*newest);
    gst_sample_unref(sample);
  }
  if (frames.empty()) error = "no frame from " + description;
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return frames;
}

}  // namespace

std::optional<Reference> pattern_reference(const std::string& pattern, int width, int height,
                                           std::string& error, int drawn_width, int drawn_height) {
  constexpr int kFrames = 3;
  const std::string size = "width=" + std::to_string(width) + ",height=" + std::to_string(height);
  std::string drawn = "video/x-raw,format=I420," + size;
  if (drawn_width > 0 && drawn_height > 0) {
    drawn = "video/x-raw,format=I420,width=" + std::to_string(drawn_width) +
            ",height=" + std::to_string(drawn_height) + " ! videoscale ! video/x-raw," + size;
  }
  auto frames = first_frames("videotestsrc num-buffers=" + std::to_string(kFrames) +
                                 " pattern=" + pattern + " ! " + drawn +
                                 " ! videoconvert ! video/x-raw,format=RGBA ! appsink name=out",
                             kFrames, error);
  if (frames.size() != kFrames) {
    if (error.empty()) error = "videotestsrc gave fewer frames than asked for";
    return std::nullopt;
  }
  Reference reference;
  reference.frame = frames.front();
  const std::size_t pixels = static_cast<std::size_t>(width) * height;
  reference.stable.assign(pixels, true);
  for (std::size_t i = 0; i < pixels; ++i) {
    for (const VideoFrame& other : frames) {
      for (int c = 0; c < 3; ++c) {
        if (other.rgba[i * 4 + c] != reference.frame.rgba[i * 4 + c]) reference.stable[i] = false;
      }
    }
  }
  return reference;
}

std::optional<VideoFrame> load_png(const std::string& path, std::string& error) {
  gchar* quoted = g_strescape(path.c_str(), nullptr);
  std::string description = std::string("filesrc location=\"") + quoted +
                            "\" ! pngdec ! videoconvert ! video/x-raw,format=RGBA ! "
                            "appsink name=out";
  g_free(quoted);
  auto frames = first_frames(description, 1, error);
  if (frames.empty()) return std::nullopt;
  return frames.front();
}

std::optional<FrameDifference> compare(const VideoFrame& a, const VideoFrame& b,
                                       const std::vector<bool>& stable) {
  if (a.width != b.width || a.height != b.height || a.rgba.size() != b.rgba.size())
    return std::nullopt;
  const std::size_t all = static_cast<std::size_t>(a.width) * a.height;
  if (!stable.empty() && stable.size() != all) return std::nullopt;
  double total = 0;
  std::size_t close = 0;
  std::size_t pixels = 0;
  for (std::size_t i = 0; i < all; ++i) {
    if (!stable.empty() && !stable[i]) continue;
    ++pixels;
    int worst = 0;
    for (int c = 0; c < 3; ++c) {
      const int d = std::abs(static_cast<int>(a.rgba[i * 4 + c]) - b.rgba[i * 4 + c]);
      total += d;
      worst = std::max(worst, d);
    }
    if (worst <= 40) ++close;
  }
  if (pixels == 0) return std::nullopt;
  FrameDifference out;
  out.mean_error = total / (static_cast<double>(pixels) * 3);
  out.share_close = static_cast<double>(close) / static_cast<double>(pixels);
  return out;
}

}  // namespace lanline::media::test
