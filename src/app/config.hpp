// The profile's config file: TOML (read with toml++), one `key = value` per line, keys
// as in options.hpp; text in double quotes, numbers and true/false bare, '#' starts a
// comment. The app writes it line by line (update_config) so that a person's comments and
// order stay, which toml++'s writer would not keep.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "options.hpp"

namespace lanline::app {

// Applies every line of `text` to `options`. On the first bad line, returns false and
// sets `error` to "FILE:LINE: KEY: what is wrong".
bool parse_config(std::string_view text, std::string_view file_name, NodeOptions& options,
                  std::string& error);

// Reads and applies `file`. A missing file is no error: every option keeps its default.
bool load_config(const std::filesystem::path& file, NodeOptions& options, std::string& error);

// Sets `values` (key, value) in `file`, keeping its other lines and comments: a key's
// line is replaced in place, a new key is appended. Every value is checked with
// set_option first, so the file always loads again. The new file replaces the old one
// atomically (written beside it, then renamed). Creates the file and its folder.
bool update_config(const std::filesystem::path& file,
                   const std::vector<std::pair<std::string, std::string>>& values,
                   std::string& error);

}  // namespace lanline::app
