#include <gst/gst.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "media/gst_handles.hpp"

namespace lanline::media {

bool ensure_gstreamer(std::string& error) {
  static std::once_flag once;
  static bool ok = false;
  static std::string failure;
  std::call_once(once, [] {
    GError* gerror = nullptr;
    ok = gst_init_check(nullptr, nullptr, &gerror);
    if (!ok) {
      failure = std::string("GStreamer does not start: ") +
                (gerror ? gerror->message : "unknown error") +
                "; install gstreamer1.0-plugins-base/good/bad and gstreamer1.0-libav";
      g_clear_error(&gerror);
      return;
    }
    // Every element a call needs; a missing plugin is named now, not mid-call.
    for (const char* name : {"rtpbin", "udpsrc", "udpsink", "audiotestsrc", "audiomixer", "opusenc",
                             "opusdec", "avenc_g722", "avdec_g722", "mulawenc", "alawenc",
                             "rtpdtmfsrc", "rtpdtmfdepay", "wavenc"}) {
      GstElementFactory* factory = gst_element_factory_find(name);
      if (!factory) {
        ok = false;
        failure += std::string(failure.empty() ? "" : ", ") + name;
        continue;
      }
      gst_object_unref(factory);
    }
    if (!ok) {
      failure = "GStreamer elements missing: " + failure +
                "; install gstreamer1.0-plugins-base, -good, -bad, -ugly and gstreamer1.0-libav";
    }
  });
  if (!ok) error = failure;
  return ok;
}

}  // namespace lanline::media
