// `lanline parse FILE...` and `lanline parse --bench SECONDS FILE...` (DESIGN.md).
#pragma once

#include <string>
#include <vector>

namespace lanline::app {

// One line per file: "FILE: ok METHOD", "FILE: ok CODE" or "FILE: invalid: REASON".
// Returns 0 when all are ok, 1 when some are invalid, 2 on a usage or I/O error.
int run_parse(const std::vector<std::string>& files);

// Parses the files over and over for `seconds`, every header to its typed form, and
// prints "N msgs/s, M MB/s". Returns 2 on an I/O error or when no file parses.
int run_parse_bench(double seconds, const std::vector<std::string>& files);

}  // namespace lanline::app
