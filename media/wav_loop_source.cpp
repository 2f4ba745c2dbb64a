#include "media/wav_loop_source.hpp"

#include <gst/app/gstappsrc.h>
#include <sndfile.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace lanline::media {
namespace {

struct Loop {
  std::vector<std::int16_t> samples;  // interleaved
  int rate = 48000;
  int channels = 1;
  std::size_t position = 0;  // in frames
  std::uint64_t frames_out = 0;
};

// 10 ms per buffer, as the other sources.
constexpr int kBufferMs = 10;

void on_need_data(GstAppSrc* appsrc, guint /*length*/, gpointer data) {
  auto* loop = static_cast<Loop*>(data);
  const std::size_t total_frames = loop->samples.size() / static_cast<std::size_t>(loop->channels);
  const std::size_t frames = static_cast<std::size_t>(loop->rate * kBufferMs / 1000);
  GstBuffer* buffer = gst_buffer_new_allocate(
      nullptr, frames * static_cast<std::size_t>(loop->channels) * sizeof(std::int16_t), nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  auto* out = reinterpret_cast<std::int16_t*>(map.data);
  for (std::size_t i = 0; i < frames; ++i) {
    for (int c = 0; c < loop->channels; ++c)
      *out++ = loop->samples[loop->position * static_cast<std::size_t>(loop->channels) +
                             static_cast<std::size_t>(c)];
    loop->position = (loop->position + 1) % total_frames;
  }
  gst_buffer_unmap(buffer, &map);
  GST_BUFFER_PTS(buffer) =
      gst_util_uint64_scale(loop->frames_out, GST_SECOND, static_cast<guint64>(loop->rate));
  GST_BUFFER_DURATION(buffer) =
      gst_util_uint64_scale(frames, GST_SECOND, static_cast<guint64>(loop->rate));
  loop->frames_out += frames;
  gst_app_src_push_buffer(appsrc, buffer);
}

void free_loop(gpointer data) {
  delete static_cast<Loop*>(data);
}

}  // namespace

GstElement* make_wav_loop_source(const std::string& path, std::string& error) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (!file) {
    error = "cannot read the audio source file '" + path + "': " + sf_strerror(nullptr) +
            "; give a WAV file (file:PATH.wav)";
    return nullptr;
  }
  auto* loop = new Loop();
  loop->rate = info.samplerate;
  loop->channels = std::clamp(info.channels, 1, 8);
  loop->samples.resize(static_cast<std::size_t>(info.frames) *
                       static_cast<std::size_t>(info.channels));
  sf_count_t read = sf_readf_short(file, loop->samples.data(), info.frames);
  sf_close(file);
  if (read <= 0 || info.channels != loop->channels) {
    delete loop;
    error = "the audio source file '" + path + "' holds no audio";
    return nullptr;
  }
  loop->samples.resize(static_cast<std::size_t>(read) * static_cast<std::size_t>(info.channels));

  GstElement* bin = gst_bin_new("source");
  GstElement* appsrc = gst_element_factory_make("appsrc", "wavloop");
  GstElement* clocksync = gst_element_factory_make("clocksync", nullptr);
  GstCaps* caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "layout",
                                      G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, loop->rate,
                                      "channels", G_TYPE_INT, loop->channels, nullptr);
  // Live and in time: clocksync holds each 10 ms buffer until its moment comes, so the
  // file plays in real time like a microphone. Few buffers queued: no added latency.
  g_object_set(appsrc, "caps", caps, "format", GST_FORMAT_TIME, "is-live", TRUE, "max-buffers",
               static_cast<guint64>(2), "block", FALSE, nullptr);
  gst_caps_unref(caps);
  GstAppSrcCallbacks callbacks{};
  callbacks.need_data = &on_need_data;
  gst_app_src_set_callbacks(GST_APP_SRC(appsrc), &callbacks, loop, &free_loop);
  gst_bin_add_many(GST_BIN(bin), appsrc, clocksync, nullptr);
  gst_element_link(appsrc, clocksync);
  GstPad* pad = gst_element_get_static_pad(clocksync, "src");
  gst_element_add_pad(bin, gst_ghost_pad_new("src", pad));
  gst_object_unref(pad);
  return bin;
}

}  // namespace lanline::media
