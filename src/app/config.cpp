#include "config.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
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

// The value after '=': a double-quoted string with TOML's common escapes, or bare text
// up to a " #" comment. Returns "" on success, else what is wrong.
std::string read_value(std::string_view text, std::string& value) {
  text = trim(text);
  if (text.empty() || text.front() != '"') {
    // '#' starts a comment at the start or after a blank; "a#b" stays a value.
    std::size_t comment = 0;
    while ((comment = text.find('#', comment)) != std::string_view::npos) {
      if (comment == 0 || text[comment - 1] == ' ' || text[comment - 1] == '\t') break;
      ++comment;
    }
    value = trim(text.substr(0, comment));
    if (!value.empty() && value.front() == '\'')
      return "use double quotes around a value, not single quotes";
    return "";
  }
  value.clear();
  for (std::size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      std::string_view rest = trim(text.substr(i + 1));
      if (!rest.empty() && rest.front() != '#')
        return fmt::format("unexpected '{}' after the closing quote", rest);
      return "";
    }
    if (c != '\\') {
      value += c;
      continue;
    }
    if (++i == text.size()) break;
    switch (text[i]) {
      case '"':
        value += '"';
        break;
      case '\\':
        value += '\\';
        break;
      case 't':
        value += '\t';
        break;
      case 'n':
        value += '\n';
        break;
      default:
        return fmt::format("unknown escape '\\{}' in the quoted value", text[i]);
    }
  }
  return "the quoted value has no closing '\"'";
}

}  // namespace

bool parse_config(std::string_view text, std::string_view file_name, NodeOptions& options,
                  std::string& error) {
  std::set<std::string, std::less<>> seen;
  int line_number = 0;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;

    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](std::string_view key, std::string_view problem) {
      error = key.empty() ? fmt::format("{}:{}: {}", file_name, line_number, problem)
                          : fmt::format("{}:{}: {}: {}", file_name, line_number, key, problem);
      return false;
    };
    if (line.front() == '[')
      return fail("", "sections are not used: write `key = value` lines only");
    std::size_t equals = line.find('=');
    if (equals == std::string_view::npos)
      return fail("", fmt::format("'{}' is not `key = value`", line));
    std::string_view key = trim(line.substr(0, equals));
    if (key.empty()) return fail("", "a line starts with '=' and names no key");
    if (!seen.insert(std::string(key)).second)
      return fail(key, "the key is set twice in this file");

    std::string value;
    if (std::string problem = read_value(line.substr(equals + 1), value); !problem.empty())
      return fail(key, problem);
    if (std::string problem = set_option(options, key, value); !problem.empty())
      return fail(key, problem);
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
