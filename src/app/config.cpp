#include "config.hpp"

#include <fmt/core.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

namespace lanline::app {
namespace {

std::string_view trim(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::string_view line_of(std::string_view text, std::size_t number) {
  for (std::size_t n = 1; n < number && !text.empty(); ++n) {
    std::size_t newline = text.find('\n');
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
  }
  return text.substr(0, text.find('\n'));
}

// toml++'s reason for a bad line, said so that a person knows what to change. The old
// reader took bare words (`user = alice`); TOML needs text in double quotes.
std::string explain(const toml::parse_error& problem, std::string_view line) {
  std::string_view reason = problem.description();
  std::size_t equals = line.find('=');
  std::string_view key = equals == std::string_view::npos ? "" : trim(line.substr(0, equals));
  std::string_view value = equals == std::string_view::npos ? "" : trim(line.substr(equals + 1));
  if (reason.find("could not determine value type") != std::string_view::npos && !key.empty() &&
      !value.empty()) {
    return fmt::format("{}: '{}' is not a TOML value: text goes in double quotes ({} = \"{}\")",
                       key, value, key, value);
  }
  if (reason.find("cannot redefine existing") != std::string_view::npos && !key.empty())
    return fmt::format("{}: the key is set twice in this file", key);
  if (!key.empty()) return fmt::format("{}: {}", key, reason);
  return std::string(reason);
}

// A value of the file as set_option takes it: text, a whole number or true/false.
std::optional<std::string> option_text(const toml::node& node) {
  if (auto text = node.value<std::string>()) return *text;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  return std::nullopt;
}

}  // namespace

bool parse_config(std::string_view text, std::string_view file_name, NodeOptions& options,
                  std::string& error) {
  toml::table table;
  try {
    table = toml::parse(text, file_name);
  } catch (const toml::parse_error& problem) {
    std::size_t line = problem.source().begin.line;
    error = fmt::format("{}:{}: {}", file_name, line, explain(problem, line_of(text, line)));
    return false;
  }
  // In the file's order, so the first bad line is the one reported.
  std::vector<std::pair<std::size_t, std::string_view>> keys;
  for (const auto& [key, node] : table)
    keys.emplace_back(node.source().begin.line, key.str());
  std::sort(keys.begin(), keys.end());
  for (const auto& [line, key] : keys) {
    const toml::node& node = *table.get(key);
    auto fail = [&, line = line, key = key](std::string_view problem) {
      error = fmt::format("{}:{}: {}: {}", file_name, line, key, problem);
      return false;
    };
    if (node.is_table() || node.is_array())
      return fail("sections and lists are not used: write `key = value` lines only");
    auto value = option_text(node);
    if (!value) return fail("write text in double quotes, or a whole number, or true/false");
    if (std::string problem = set_option(options, key, *value); !problem.empty())
      return fail(problem);
  }
  return true;
}

bool load_config(const std::filesystem::path& file, NodeOptions& options, std::string& error) {
  std::error_code code;
  if (std::filesystem::status(file, code).type() == std::filesystem::file_type::not_found)
    return true;
  if (std::filesystem::is_directory(file, code)) {
    error = fmt::format("the config file {} is a directory", file.native());
    return false;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot read the config file {}: {}", file.native(), std::strerror(errno));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = fmt::format("cannot read the config file {}", file.native());
    return false;
  }
  return parse_config(text.str(), file.native(), options, error);
}

namespace {

std::string quote_value(std::string_view value) {
  std::string text = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        text += "\\\"";
        break;
      case '\\':
        text += "\\\\";
        break;
      case '\t':
        text += "\\t";
        break;
      case '\n':
        text += "\\n";
        break;
      default:
        text += c;
    }
  }
  return text + "\"";
}

}  // namespace

bool update_config(const std::filesystem::path& file,
                   const std::vector<std::pair<std::string, std::string>>& values,
                   std::string& error) {
  NodeOptions check;
  for (const auto& [key, value] : values) {
    if (std::string problem = set_option(check, key, value); !problem.empty()) {
      error = fmt::format("{}: {}", key, problem);
      return false;
    }
  }
  std::string old_text;
  std::error_code code;
  if (std::filesystem::exists(file, code)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      error =
          fmt::format("cannot read the config file {}: {}", file.native(), std::strerror(errno));
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    old_text = text.str();
  }
  std::set<std::string> written;
  std::string new_text;
  std::string_view rest = old_text;
  while (!rest.empty()) {
    std::size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    std::string_view bare = trim(line);
    std::size_t equals = bare.find('=');
    if (!bare.empty() && bare.front() != '#' && equals != std::string_view::npos) {
      std::string key(trim(bare.substr(0, equals)));
      auto match = std::find_if(values.begin(), values.end(),
                                [&](const auto& entry) { return entry.first == key; });
      if (match != values.end()) {
        new_text += key + " = " + quote_value(match->second) + "\n";
        written.insert(key);
        continue;
      }
    }
    new_text += std::string(line) + "\n";
  }
  if (old_text.empty()) new_text = "# Lanline settings (written by the app; `key = value` lines)\n";
  for (const auto& [key, value] : values) {
    if (!written.count(key)) new_text += key + " = " + quote_value(value) + "\n";
  }
  // The result must load: never leave a file that stops the node from starting.
  NodeOptions reloaded;
  if (!parse_config(new_text, file.native(), reloaded, error)) return false;

  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), code);
  if (code) {
    error = fmt::format("cannot create {}: {}", file.parent_path().native(), code.message());
    return false;
  }
  std::filesystem::path temporary = file;
  temporary += ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << new_text;
    out.flush();
    if (!out) {
      error = fmt::format("cannot write {}: {}", temporary.native(), std::strerror(errno));
      std::filesystem::remove(temporary, code);
      return false;
    }
  }
  std::filesystem::rename(temporary, file, code);
  if (code) {
    error = fmt::format("cannot replace {}: {}", file.native(), code.message());
    std::filesystem::remove(temporary, code);
    return false;
  }
  return true;
}

}  // namespace lanline::app
