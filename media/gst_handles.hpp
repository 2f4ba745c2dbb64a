// Owners for GStreamer handles (STYLE.md habit 6), and GStreamer's one-time set-up.
#pragma once

#include <gst/gst.h>

#include <string>
#include <utility>

namespace lanline::media {

// One reference to a GstObject (element, pad, bus). Takes over the reference it is given.
template <class T>
class GstPtr {
 public:
  GstPtr() = default;
  explicit GstPtr(T* object) : object_(object) {}
  GstPtr(GstPtr&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  GstPtr& operator=(GstPtr&& other) noexcept {
    if (this != &other) reset(std::exchange(other.object_, nullptr));
    return *this;
  }
  GstPtr(const GstPtr&) = delete;
  GstPtr& operator=(const GstPtr&) = delete;
  ~GstPtr() { reset(); }

  void reset(T* object = nullptr) {
    if (object_) gst_object_unref(object_);
    object_ = object;
  }
  T* get() const { return object_; }
  explicit operator bool() const { return object_ != nullptr; }

 private:
  T* object_ = nullptr;
};

// gst_init once per process; false (with `error`) when GStreamer cannot start.
bool ensure_gstreamer(std::string& error);

}  // namespace lanline::media
