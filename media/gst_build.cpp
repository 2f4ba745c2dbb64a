#include "media/gst_build.hpp"

#include <stdexcept>
#include <string>

#include "media/gst_handles.hpp"

namespace lanline::media {

GstElement* make_element(const char* factory, const char* name) {
  GstElement* element = gst_element_factory_make(factory, name);
  if (!element) {
    throw std::runtime_error(std::string("GStreamer element '") + factory +
                             "' is missing: install gstreamer1.0-plugins-good/bad/ugly and "
                             "gstreamer1.0-libav");
  }
  return element;
}

GstElement* owned_bin(const std::string& name) {
  GstElement* bin = gst_bin_new(name.c_str());
  gst_object_ref_sink(bin);
  return bin;
}

void ghost_request_pad(GstElement* bin, GstElement* element, const char* ghost) {
  GstPtr<GstPad> pad(gst_element_request_pad_simple(element, "sink_%u"));
  gst_element_add_pad(bin, gst_ghost_pad_new(ghost, pad.get()));
}

GstElement* capsfilter(GstCaps* caps) {
  GstElement* filter = make_element("capsfilter");
  g_object_set(filter, "caps", caps, nullptr);
  gst_caps_unref(caps);
  return filter;
}

void link_or_throw(GstElement* from, GstElement* to) {
  if (!gst_element_link(from, to)) {
    throw std::runtime_error(std::string("cannot link ") + GST_ELEMENT_NAME(from) + " to " +
                             GST_ELEMENT_NAME(to));
  }
}

void link_pads_or_throw(GstPad* from, GstPad* to) {
  GstPadLinkReturn result = gst_pad_link(from, to);
  if (result != GST_PAD_LINK_OK) {
    throw std::runtime_error(std::string("cannot link pad ") + GST_PAD_NAME(from) + " to " +
                             GST_PAD_NAME(to) + ": " + gst_pad_link_get_name(result));
  }
}

void add_and_link(GstBin* bin, std::initializer_list<GstElement*> chain) {
  GstElement* previous = nullptr;
  for (GstElement* element : chain) {
    gst_bin_add(bin, element);
    if (previous) link_or_throw(previous, element);
    previous = element;
  }
}

GstPad* add_ghost_pad(GstElement* bin, GstElement* element, const char* pad, const char* ghost) {
  GstPtr<GstPad> target(gst_element_get_static_pad(element, pad));
  if (!target) {
    throw std::runtime_error(std::string(GST_ELEMENT_NAME(element)) + " has no pad " + pad);
  }
  GstPad* ghost_pad = gst_ghost_pad_new(ghost, target.get());
  // A bin that is already running (a pad added for a stream that appeared mid-call)
  // needs the pad active before data comes.
  if (GST_STATE(bin) > GST_STATE_READY) gst_pad_set_active(ghost_pad, TRUE);
  gst_element_add_pad(bin, ghost_pad);
  return ghost_pad;
}

void link_named_pads_or_throw(GstElement* from, const char* from_pad, GstElement* to,
                              const char* to_pad) {
  GstPtr<GstPad> source(gst_element_get_static_pad(from, from_pad));
  GstPtr<GstPad> sink(gst_element_get_static_pad(to, to_pad));
  if (!source || !sink) {
    throw std::runtime_error(std::string("no pad ") + (source ? to_pad : from_pad) + " on " +
                             GST_ELEMENT_NAME(source ? to : from));
  }
  link_pads_or_throw(source.get(), sink.get());
}

}  // namespace lanline::media
