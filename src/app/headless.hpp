// `lanline --headless`: the engine and its control socket on a GLib main loop, with no
// window. It runs until a client sends "quit" or the process gets SIGINT or SIGTERM.
#pragma once

#include "options.hpp"
#include "profile.hpp"

namespace lanline::app {

// `options` has its defaults filled in. Returns the exit status: 0 after a clean stop,
// 1 when the node cannot start (the reason is printed).
int run_headless(const Profile& profile, const NodeOptions& options);

}  // namespace lanline::app
