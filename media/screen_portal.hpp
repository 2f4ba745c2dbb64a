// A Wayland desktop's screen, through the desktop portal (org.freedesktop.portal.
// ScreenCast, xdg-desktop-portal): a session is made, a monitor selected (the compositor's
// chooser, or its configuration, decides which), started, and the portal hands over a
// PipeWire connection and the stream's node, which pipewiresrc reads. The session stays
// open while the share runs: closing it ends the stream. Blocking, with a bound: the
// portal answers each step by a Response signal, waited for on a private main context.
#pragma once

#include <gio/gio.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace lanline::media {

class PortalScreen {
 public:
  // Whether this session is a Wayland one the portal should serve (WAYLAND_DISPLAY set
  // and no X display to read directly).
  static bool wanted();
  // Asks the portal; nullptr with `error` (no portal, refused by the user, no answer
  // within `bound`).
  static std::unique_ptr<PortalScreen> open(
      std::string& error, std::chrono::milliseconds bound = std::chrono::seconds(30));
  ~PortalScreen();
  PortalScreen(const PortalScreen&) = delete;
  PortalScreen& operator=(const PortalScreen&) = delete;

  // What pipewiresrc needs: the connection (a file descriptor, still ours: pipewiresrc
  // takes a dup) and the stream's node id ("path").
  int fd() const { return fd_; }
  std::uint32_t node() const { return node_; }

 private:
  PortalScreen() = default;
  GDBusConnection* bus_ = nullptr;
  std::string session_;  // the session's object path
  int fd_ = -1;
  std::uint32_t node_ = 0;
};

}  // namespace lanline::media
