#include "media/screen_monitors.hpp"

#include <X11/Xlib.h>
#include <X11/extensions/Xrandr.h>

#include <charconv>
#include <memory>

namespace lanline::media {
namespace {

struct DisplayClose {
  void operator()(Display* display) const { XCloseDisplay(display); }
};
using DisplayPtr = std::unique_ptr<Display, DisplayClose>;

DisplayPtr open_display(std::string& error) {
  DisplayPtr display(XOpenDisplay(nullptr));
  if (!display) error = "no X display to share (DISPLAY is unset or cannot be opened)";
  return display;
}

ScreenArea whole_of(Display* display) {
  const int screen = DefaultScreen(display);
  return ScreenArea{"all", 0, 0, DisplayWidth(display, screen), DisplayHeight(display, screen),
                    false};
}

}  // namespace

std::optional<ScreenArea> whole_screen(std::string& error) {
  DisplayPtr display = open_display(error);
  if (!display) return std::nullopt;
  return whole_of(display.get());
}

std::vector<ScreenArea> list_monitors(std::string& error) {
  DisplayPtr display = open_display(error);
  if (!display) return {};
  int event_base = 0, error_base = 0, major = 0, minor = 0;
  if (!XRRQueryExtension(display.get(), &event_base, &error_base) ||
      !XRRQueryVersion(display.get(), &major, &minor) || major * 100 + minor < 105) {
    return {whole_of(display.get())};  // no RandR 1.5: one screen, no monitors
  }
  int count = 0;
  XRRMonitorInfo* info =
      XRRGetMonitors(display.get(), DefaultRootWindow(display.get()), True, &count);
  std::vector<ScreenArea> monitors;
  for (int i = 0; info && i < count; ++i) {
    char* name = XGetAtomName(display.get(), info[i].name);
    monitors.push_back(ScreenArea{name ? name : "monitor " + std::to_string(i + 1), info[i].x,
                                  info[i].y, info[i].width, info[i].height, info[i].primary != 0});
    if (name) XFree(name);
  }
  if (info) XRRFreeMonitors(info);
  if (monitors.empty()) monitors.push_back(whole_of(display.get()));
  return monitors;
}

std::optional<ScreenArea> choose_monitor(const std::vector<ScreenArea>& monitors,
                                         const ScreenArea& whole, std::string_view which,
                                         std::string& error) {
  if (which.empty()) {
    for (const ScreenArea& monitor : monitors) {
      if (monitor.primary) return monitor;
    }
    return whole;
  }
  if (which == whole.name) return whole;
  for (const ScreenArea& monitor : monitors) {
    if (monitor.name == which) return monitor;
  }
  std::size_t number = 0;
  const auto [end, code] = std::from_chars(which.data(), which.data() + which.size(), number);
  if (code == std::errc() && end == which.data() + which.size() && number >= 1 &&
      number <= monitors.size()) {
    return monitors[number - 1];
  }
  std::string names;
  for (std::size_t i = 0; i < monitors.size(); ++i) {
    if (!names.empty()) names += ", ";
    names += std::to_string(i + 1) + " " + monitors[i].name;
  }
  error = "no monitor '" + std::string(which) + "': say one of " + names + ", or " + whole.name +
          " for all of it (`lanline ctl screen monitors` lists them)";
  return std::nullopt;
}

}  // namespace lanline::media
