// The node's log: spdlog's default logger, to stderr, at the --log-level threshold.
#pragma once

#include "options.hpp"

namespace lanline::app {

void init_logging(LogLevel level);

}  // namespace lanline::app
