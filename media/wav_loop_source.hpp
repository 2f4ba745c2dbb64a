// `--audio-source file:PATH.wav`: the file read once into memory (libsndfile, any WAV
// it knows), then played in a loop as a live source for as long as the call lasts.
#pragma once

#include <gst/gst.h>

#include <string>

namespace lanline::media {

// A bin with a "src" ghost pad: appsrc paced by clocksync to the pipeline clock.
// nullptr with `error` when the file cannot be read.
GstElement* make_wav_loop_source(const std::string& path, std::string& error);

}  // namespace lanline::media
