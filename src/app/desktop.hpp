// `lanline`: the desktop app. The engine (a Node) runs its GLib main loop on its own
// thread, the window on this one (DESIGN.md, Threads). With no display it says so in
// one line and runs headless, so `lanline` works on any machine.
#pragma once

#include <chrono>

#include "options.hpp"
#include "profile.hpp"

namespace lanline::app {

// `options` has its defaults filled in; `started` is when the process began, for the
// time to the first frame. Returns the exit status.
int run_desktop(const Profile& profile, const NodeOptions& options,
                std::chrono::steady_clock::time_point started);

}  // namespace lanline::app
