#include "media/video_frames.hpp"

#include <gst/video/video.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "media/gst_handles.hpp"

namespace lanline::media {
namespace {

constexpr int kMaxSide = 8192;  // no camera or screen we take is larger

}  // namespace

LatestFrame::~LatestFrame() {
  if (sample_) gst_sample_unref(sample_);
  if (converter_) gst_video_converter_free(converter_);
}

void LatestFrame::put(GstSample* sample) {
  GstCaps* caps = gst_sample_get_caps(sample);
  GstVideoInfo info;
  if (!caps || !gst_sample_get_buffer(sample) || !gst_video_info_from_caps(&info, caps)) return;
  const int width = GST_VIDEO_INFO_WIDTH(&info);
  const int height = GST_VIDEO_INFO_HEIGHT(&info);
  if (width <= 0 || height <= 0 || width > kMaxSide || height > kMaxSide) return;
  // A copy: a decoder may write its next frame into the memory of this one (libvpx
  // reuses its frame buffers) while the frame waits here for a reader.
  GstBuffer* copy = gst_buffer_copy_deep(gst_sample_get_buffer(sample));
  GstSample* kept = gst_sample_new(copy, caps, nullptr, nullptr);
  gst_buffer_unref(copy);
  std::lock_guard lock(mutex_);
  if (sample_) gst_sample_unref(sample_);
  sample_ = kept;
  width_ = width;
  height_ = height;
  ++count_;
}

std::shared_ptr<const VideoFrame> LatestFrame::newest() const {
  std::lock_guard lock(mutex_);
  if (!sample_) return nullptr;
  if (converted_ && converted_->number == count_) return converted_;
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample_))) return converted_;
  GstVideoFrame in;
  if (!gst_video_frame_map(&in, &info, gst_sample_get_buffer(sample_), GST_MAP_READ))
    return converted_;
  auto frame = std::make_shared<VideoFrame>();
  frame->width = GST_VIDEO_INFO_WIDTH(&info);
  frame->height = GST_VIDEO_INFO_HEIGHT(&info);
  frame->number = count_;
  frame->rgba.resize(static_cast<std::size_t>(frame->width) * frame->height * 4);
  GstVideoInfo out_info;
  gst_video_info_set_format(&out_info, GST_VIDEO_FORMAT_RGBA, static_cast<guint>(frame->width),
                            static_cast<guint>(frame->height));
  // The converter changes format only: rate and aspect as they came.
  GST_VIDEO_INFO_FPS_N(&out_info) = GST_VIDEO_INFO_FPS_N(&info);
  GST_VIDEO_INFO_FPS_D(&out_info) = GST_VIDEO_INFO_FPS_D(&info);
  GST_VIDEO_INFO_PAR_N(&out_info) = GST_VIDEO_INFO_PAR_N(&info);
  GST_VIDEO_INFO_PAR_D(&out_info) = GST_VIDEO_INFO_PAR_D(&info);
  GST_VIDEO_INFO_INTERLACE_MODE(&out_info) = GST_VIDEO_INFO_INTERLACE_MODE(&info);
  GstVideoFrame out;
  bool done = false;  // false: a format GStreamer cannot turn into RGBA
  GstBuffer* wrapped =
      gst_buffer_new_wrapped_full(GstMemoryFlags(0), frame->rgba.data(), frame->rgba.size(), 0,
                                  frame->rgba.size(), nullptr, nullptr);
  if (gst_video_frame_map(&out, &out_info, wrapped, GST_MAP_WRITE)) {
    if (!converter_ || !gst_video_info_is_equal(&converter_info_, &info)) {
      if (converter_) gst_video_converter_free(converter_);
      converter_ = gst_video_converter_new(&info, &out_info, nullptr);
      converter_info_ = info;
    }
    if (converter_) {
      gst_video_converter_frame(converter_, &in, &out);
      done = true;
    }
    gst_video_frame_unmap(&out);
  }
  gst_buffer_unref(wrapped);
  gst_video_frame_unmap(&in);
  if (done) converted_ = std::move(frame);
  return converted_;
}

void LatestFrame::size(int& width, int& height) const {
  std::lock_guard lock(mutex_);
  width = width_;
  height = height_;
}

std::uint64_t LatestFrame::frames() const {
  std::lock_guard lock(mutex_);
  return count_;
}

bool write_png(const VideoFrame& frame, const std::string& path, std::string& error) {
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgba.size() != static_cast<std::size_t>(frame.width) * frame.height * 4) {
    error = "no frame to write";
    return false;
  }
  GstCaps* raw = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGBA", "width",
                                     G_TYPE_INT, frame.width, "height", G_TYPE_INT, frame.height,
                                     "framerate", GST_TYPE_FRACTION, 0, 1, nullptr);
  GstBuffer* buffer = gst_buffer_new_memdup(frame.rgba.data(), frame.rgba.size());
  GstSample* sample = gst_sample_new(buffer, raw, nullptr, nullptr);
  gst_buffer_unref(buffer);
  gst_caps_unref(raw);
  GstCaps* png = gst_caps_new_empty_simple("image/png");
  GError* gerror = nullptr;
  GstSample* converted = gst_video_convert_sample(sample, png, 5 * GST_SECOND, &gerror);
  gst_caps_unref(png);
  gst_sample_unref(sample);
  if (!converted) {
    error = std::string("cannot encode PNG: ") + (gerror ? gerror->message : "unknown error");
    g_clear_error(&gerror);
    return false;
  }
  GstBuffer* encoded = gst_sample_get_buffer(converted);
  GstMapInfo map;
  bool written = false;
  if (encoded && gst_buffer_map(encoded, &map, GST_MAP_READ)) {
    if (FILE* file = std::fopen(path.c_str(), "wb")) {
      written = std::fwrite(map.data, 1, map.size, file) == map.size;
      written = std::fclose(file) == 0 && written;
    }
    gst_buffer_unmap(encoded, &map);
  }
  gst_sample_unref(converted);
  if (!written) error = "cannot write " + path + ": " + std::strerror(errno);
  return written;
}

}  // namespace lanline::media
