#include "control_protocol.hpp"

#include <fmt/core.h>

#include <cctype>
#include <exception>

namespace lanline::app {
namespace {

// The "id" of a line that is not valid JSON, when it is plainly there (`"id": 7` or
// `"id": "abc"`), so a client matching replies by id still gets its own.
nlohmann::json salvage_id(std::string_view line) {
  std::size_t key = line.find("\"id\"");
  if (key == std::string_view::npos) return {};
  std::size_t i = key + 4;
  auto skip_blanks = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
  };
  skip_blanks();
  if (i >= line.size() || line[i] != ':') return {};
  ++i;
  skip_blanks();
  std::size_t start = i;
  if (i < line.size() && line[i] == '"') {
    std::size_t end = line.find('"', i + 1);
    if (end == std::string_view::npos) return {};
    std::string_view text = line.substr(i + 1, end - i - 1);
    if (text.find('\\') != std::string_view::npos) return {};
    return std::string(text);
  }
  if (i < line.size() && line[i] == '-') ++i;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])))
    ++i;
  if (i == start || (i == start + 1 && line[start] == '-')) return {};
  return nlohmann::json::parse(line.substr(start, i - start), nullptr, false);
}

}  // namespace

LineReader::Status LineReader::next(std::string& line) {
  std::size_t newline = buffer_.find('\n', scanned_);
  if (newline == std::string::npos) {
    scanned_ = buffer_.size();
    if (buffer_.size() - consumed_ > max_line_) return Status::kTooLong;
    // Drop what was handed out only now, so a burst of short lines costs one move.
    buffer_.erase(0, consumed_);
    scanned_ -= consumed_;
    consumed_ = 0;
    return Status::kNeedMore;
  }
  std::size_t end = newline;
  if (end > consumed_ && buffer_[end - 1] == '\r') --end;
  if (end - consumed_ > max_line_) return Status::kTooLong;
  line.assign(buffer_, consumed_, end - consumed_);
  consumed_ = newline + 1;
  scanned_ = consumed_;
  return Status::kLine;
}

nlohmann::json error_reply(std::string message, const nlohmann::json& request) {
  nlohmann::json reply = {{"ok", false}, {"error", std::move(message)}};
  if (request.is_object()) {
    if (auto id = request.find("id"); id != request.end()) reply["id"] = *id;
  }
  return reply;
}

ParsedRequest parse_request(std::string_view line) {
  ParsedRequest parsed;
  try {
    parsed.request = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    parsed.request = nullptr;
    nlohmann::json id = salvage_id(line);
    parsed.error_reply = error_reply(fmt::format("malformed JSON: {}", e.what()));
    if (!id.is_null() && !id.is_discarded()) parsed.error_reply["id"] = id;
    return parsed;
  }
  if (!parsed.request.is_object()) {
    parsed.error_reply =
        error_reply("a request is one JSON object on one line, like {\"id\":1,\"cmd\":\"status\"}");
    return parsed;
  }
  auto cmd = parsed.request.find("cmd");
  if (cmd == parsed.request.end() || !cmd->is_string()) {
    parsed.error_reply =
        error_reply("the request has no \"cmd\" string: say what to do, like {\"cmd\":\"status\"}",
                    parsed.request);
  }
  return parsed;
}

nlohmann::json execute_request(engine::CommandHandler& handler, const nlohmann::json& request) {
  nlohmann::json reply;
  try {
    reply = handler.execute(request);
  } catch (const std::exception& e) {
    return error_reply(fmt::format("internal error: {}", e.what()), request);
  } catch (...) {
    return error_reply("internal error", request);
  }
  if (!reply.is_object()) return error_reply("internal error: the reply is not an object", request);
  if (auto id = request.find("id"); id != request.end()) reply["id"] = *id;
  return reply;
}

void execute_request_async(engine::CommandHandler& handler, const nlohmann::json& request,
                           std::function<void(nlohmann::json)> done) {
  auto finish = [request, done](nlohmann::json reply) {
    if (!reply.is_object()) {
      done(error_reply("internal error: the reply is not an object", request));
      return;
    }
    if (auto id = request.find("id"); id != request.end()) reply["id"] = *id;
    done(std::move(reply));
  };
  try {
    handler.execute_async(request, finish);
  } catch (const std::exception& e) {
    done(error_reply(fmt::format("internal error: {}", e.what()), request));
  } catch (...) {
    done(error_reply("internal error", request));
  }
}

std::string to_line(const nlohmann::json& object) {
  std::string line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return line;
}

}  // namespace lanline::app
