// Where a call's audio comes from and goes to (DESIGN.md: --audio-source, --audio-sink).
#pragma once

#include <gst/gst.h>

#include <optional>
#include <string>
#include <string_view>

namespace lanline::media {

struct AudioSource {
  enum class Kind { kDevice, kTest, kFile };
  Kind kind = Kind::kDevice;
  int hz = 440;      // kTest
  std::string path;  // kFile
};

struct AudioSink {
  enum class Kind { kDevice, kNull, kRecord };
  Kind kind = Kind::kDevice;
  std::string path;  // kRecord
};

// "device" | "test" | "test:HZ" | "file:PATH.wav"; "" is "device". nullopt with `error`
// saying what is accepted.
std::optional<AudioSource> parse_audio_source(std::string_view text, std::string& error);
// "device" | "null" | "record:PATH.wav"; "" is "device".
std::optional<AudioSink> parse_audio_sink(std::string_view text, std::string& error);

// A bin with one "src" ghost pad giving live raw audio (any rate and format).
// nullptr with `error` (e.g. a WAV file that cannot be read).
GstElement* make_source_bin(const AudioSource& source, std::string& error);
// A bin with one "sink" ghost pad taking raw audio. For kRecord its elements are named
// "wavenc" and "recordfile": end-of-stream must reach the latter before the WAV header
// is final (AudioBranch::finish).
GstElement* make_sink_bin(const AudioSink& sink, std::string& error);

}  // namespace lanline::media
