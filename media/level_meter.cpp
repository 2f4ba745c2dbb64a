#include "media/level_meter.hpp"

#include <algorithm>
#include <cmath>

#include "media/gst_build.hpp"

namespace lanline::media {
namespace {

// How often the level meters report.
constexpr GstClockTime kLevelInterval = 100 * GST_MSECOND;

}  // namespace

GstElement* make_level_meter(const char* name) {
  GstElement* level = make_element("level", name);
  g_object_set(level, "interval", kLevelInterval, "post-messages", TRUE, nullptr);
  return level;
}

// `level` still posts GValueArrays (a GLib type deprecated since 2.32, kept by the element
// for compatibility), hence the pragmas.
double loudest_channel_db(const GstStructure* message, const char* field) {
  double loudest = kSilenceDb;
  const GValue* list = gst_structure_get_value(message, field);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!list || !G_VALUE_HOLDS_BOXED(list)) return loudest;
  const auto* channels = static_cast<const GValueArray*>(g_value_get_boxed(list));
  for (guint i = 0; channels && i < channels->n_values; ++i) {
    const double db = g_value_get_double(&channels->values[i]);
    if (std::isfinite(db)) loudest = std::max(loudest, db);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  return loudest;
}

}  // namespace lanline::media
