// Building blocks for pipelines: elements made or a clear error, and links that throw
// when they fail, so a branch is built as a straight list of steps. Every failure names
// the element or pad, which is what a person needs to find the missing plugin.
#pragma once

#include <gst/gst.h>

#include <initializer_list>
#include <string>

namespace lanline::media {

// Creates an element or throws std::runtime_error naming the missing plugin.
GstElement* make_element(const char* factory, const char* name = nullptr);

// A capsfilter holding `caps` (whose reference it takes over).
GstElement* capsfilter(GstCaps* caps);

void link_or_throw(GstElement* from, GstElement* to);
void link_pads_or_throw(GstPad* from, GstPad* to);
// Adds the elements to `bin` and links them in order.
void add_and_link(GstBin* bin, std::initializer_list<GstElement*> chain);

// A new bin named `name`, its floating reference sunk: the caller owns one reference
// (a branch or transport keeps its bins in a GstPtr and hands them to a pipeline).
GstElement* owned_bin(const std::string& name);

// `element`'s static pad `pad` shown on `bin` as `ghost`; returns the ghost pad (owned
// by the bin).
GstPad* add_ghost_pad(GstElement* bin, GstElement* element, const char* pad, const char* ghost);
// A new request pad "sink_%u" of `element` (a funnel) shown on `bin` as `ghost`.
void ghost_request_pad(GstElement* bin, GstElement* element, const char* ghost);
// A pad of a bin, by name, linked to another: for the pipeline's links between its bins.
void link_named_pads_or_throw(GstElement* from, const char* from_pad, GstElement* to,
                              const char* to_pad);

}  // namespace lanline::media
