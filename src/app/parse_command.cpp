#include "parse_command.hpp"

#include <fmt/core.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "sip/parser.hpp"

namespace lanline::app {
namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(buffer).str();
}

}  // namespace

int run_parse(const std::vector<std::string>& files) {
  if (files.empty()) {
    fmt::print(stderr, "lanline parse: give one or more files with SIP messages\n");
    return 2;
  }
  bool all_ok = true;
  for (const std::string& path : files) {
    auto bytes = read_file(path);
    if (!bytes) {
      fmt::print(stderr, "lanline parse: cannot read {}\n", path);
      return 2;
    }
    auto message = sip::parse_message(*bytes);
    if (!message) {
      all_ok = false;
      fmt::print("{}: invalid: {}\n", path, message.error().reason);
    } else if (message->is_request()) {
      fmt::print("{}: ok {}\n", path, message->method_text());
    } else {
      fmt::print("{}: ok {}\n", path, message->status_code());
    }
  }
  return all_ok ? 0 : 1;
}

int run_parse_bench(double seconds, const std::vector<std::string>& files) {
  std::vector<std::string> messages;
  for (const std::string& path : files) {
    auto bytes = read_file(path);
    if (!bytes) {
      fmt::print(stderr, "lanline parse: cannot read {}\n", path);
      return 2;
    }
    // Only messages that parse are timed, so every pass does the full typed parse.
    if (sip::parse_message(*bytes)) messages.push_back(std::move(*bytes));
  }
  if (messages.empty()) {
    fmt::print(stderr, "lanline parse --bench: none of the files holds a valid SIP message\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::uint64_t checksum = 0;
  do {
    for (const std::string& text : messages) {
      auto message = sip::parse_message(text);
      checksum += message->via().size() + message->cseq().number;
      bytes += text.size();
    }
    count += messages.size();
  } while (Clock::now() < deadline);
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("{:.0f} msgs/s, {:.1f} MB/s\n", static_cast<double>(count) / elapsed,
             static_cast<double>(bytes) / elapsed / 1e6);
  if (checksum == 0) fmt::print(stderr, "(no Via seen)\n");  // keeps the parse observable
  return 0;
}

}  // namespace lanline::app
