// The monitors of the X display a shared screen comes from (RandR 1.5 monitors: a
// physical output, or one a user defined with `xrandr --setmonitor`), and the choice
// among them that `lanline ctl screen start [MONITOR]` and the window's Share screen
// make. Plain Xlib; no GStreamer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lanline::media {

struct ScreenArea {
  std::string name;  // the monitor's ("DP-1", "HDMI-A-0"), or "all" for the whole screen
  int x = 0;         // on the X screen, in pixels
  int y = 0;
  int width = 0;
  int height = 0;
  bool primary = false;
  bool operator==(const ScreenArea&) const = default;
};

// The monitors of $DISPLAY, in RandR's order; empty with `error` when there is no X
// display. A display without RandR has one: the whole screen.
std::vector<ScreenArea> list_monitors(std::string& error);

// What to share: `which` is a monitor's name or its 1-based number in `monitors`;
// empty, the primary monitor, else the whole screen (`whole`). nullopt with `error`
// naming the monitors there are.
std::optional<ScreenArea> choose_monitor(const std::vector<ScreenArea>& monitors,
                                         const ScreenArea& whole, std::string_view which,
                                         std::string& error);

// The whole X screen of $DISPLAY as one area named "all"; nullopt with `error`.
std::optional<ScreenArea> whole_screen(std::string& error);

}  // namespace lanline::media
