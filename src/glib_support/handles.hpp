// Owners for the GLib handles the transport holds: a GObject reference, an attached
// GSource and a GError out-parameter. Each is released exactly once, whatever path leaves the
// scope.
#pragma once

#include <gio/gio.h>

#include <utility>

namespace lanline::glib {

// One reference to a GObject (GSocket, GSocketAddress, GInetAddress ...).
template <class T>
class GObjectPtr {
 public:
  GObjectPtr() = default;
  // Takes over a reference the caller owns (a "transfer full" return value).
  explicit GObjectPtr(T* object) : object_(object) {}
  GObjectPtr(GObjectPtr&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  GObjectPtr& operator=(GObjectPtr&& other) noexcept {
    if (this != &other) reset(std::exchange(other.object_, nullptr));
    return *this;
  }
  GObjectPtr(const GObjectPtr&) = delete;
  GObjectPtr& operator=(const GObjectPtr&) = delete;
  ~GObjectPtr() { reset(); }

  void reset(T* object = nullptr) {
    if (object_) g_object_unref(object_);
    object_ = object;
  }
  T* get() const { return object_; }
  explicit operator bool() const { return object_ != nullptr; }

 private:
  T* object_ = nullptr;
};

// A GSource attached to a context. Destroying the owner detaches it, so its callback
// never runs again and whatever the callback's data points to may go away.
class SourceHandle {
 public:
  SourceHandle() = default;
  explicit SourceHandle(GSource* source) : source_(source) {}
  SourceHandle(SourceHandle&& other) noexcept : source_(std::exchange(other.source_, nullptr)) {}
  SourceHandle& operator=(SourceHandle&& other) noexcept {
    if (this != &other) reset(std::exchange(other.source_, nullptr));
    return *this;
  }
  SourceHandle(const SourceHandle&) = delete;
  SourceHandle& operator=(const SourceHandle&) = delete;
  ~SourceHandle() { reset(); }

  void reset(GSource* source = nullptr) {
    if (source_) {
      // Safe from inside the source's own callback: GLib holds its own reference while
      // it dispatches.
      g_source_destroy(source_);
      g_source_unref(source_);
    }
    source_ = source;
  }
  explicit operator bool() const { return source_ != nullptr; }

 private:
  GSource* source_ = nullptr;
};

// A GError out-parameter: `GErrorOut error; g_socket_bind(..., error.out());`
class GErrorOut {
 public:
  GErrorOut() = default;
  GErrorOut(const GErrorOut&) = delete;
  GErrorOut& operator=(const GErrorOut&) = delete;
  ~GErrorOut() { clear(); }

  GError** out() { return &error_; }

  explicit operator bool() const { return error_ != nullptr; }
  bool matches(GIOErrorEnum code) const { return g_error_matches(error_, G_IO_ERROR, code); }
  const char* message() const { return error_ ? error_->message : "unknown error"; }
  void clear() { g_clear_error(&error_); }

 private:
  GError* error_ = nullptr;
};

}  // namespace lanline::glib
