// The commands of `lanline ctl` (DESIGN.md, "Control protocol") as request objects:
// `call alice` -> {"cmd":"call","target":"alice"}. Only the mapping; sending it is
// ctl_command's.
#pragma once

#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

namespace lanline::app {

// `args` is COMMAND ARGS... On a usage error, returns nothing and sets `error` to what
// is wrong and how the command is used.
std::optional<nlohmann::json> build_ctl_request(std::span<const std::string> args,
                                                std::string& error);

// Every command with its arguments, one per line, for usage messages and --help.
std::string ctl_commands_usage();

}  // namespace lanline::app
