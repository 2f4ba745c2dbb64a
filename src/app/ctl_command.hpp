// `lanline ctl [--profile P] COMMAND [ARGS]` (DESIGN.md): sends one request to the node
// running for profile P and prints its reply, one JSON line; `events` prints every
// event line until the node closes the stream or the user presses Ctrl-C.
#pragma once

#include <span>
#include <string>

namespace lanline::app {

// Returns the exit status: 0 when the reply says "ok":true, 1 when it does not (or the
// node went away without one), 2 for a usage error or when no node runs for the profile.
int run_ctl(const std::string& profile, std::span<const std::string> args);

}  // namespace lanline::app
