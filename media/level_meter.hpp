// Level meters: `level` elements whose bus messages give the peak of what passed them.
#pragma once

#include <gst/gst.h>

namespace lanline::media {

// The level meters' floor: digital silence reads -inf dB, reported as this.
constexpr double kSilenceDb = -100.0;

// A `level` element: audio passes unchanged; it posts a reading every 100 ms, each the
// peak of that stretch. The window shows the newest once a second.
GstElement* make_level_meter(const char* name);

// The loudest channel's value of a level message's `field` ("rms", "peak", "decay").
double loudest_channel_db(const GstStructure* message, const char* field);

}  // namespace lanline::media
