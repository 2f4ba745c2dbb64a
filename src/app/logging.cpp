#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace lanline::app {

void init_logging(LogLevel level) {
  auto logger = std::make_shared<spdlog::logger>(
      "lanline", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  spdlog::level::level_enum threshold = spdlog::level::info;
  switch (level) {
    case LogLevel::kTrace:
      threshold = spdlog::level::trace;
      break;
    case LogLevel::kDebug:
      threshold = spdlog::level::debug;
      break;
    case LogLevel::kInfo:
      threshold = spdlog::level::info;
      break;
    case LogLevel::kWarn:
      threshold = spdlog::level::warn;
      break;
    case LogLevel::kError:
      threshold = spdlog::level::err;
      break;
  }
  logger->set_level(threshold);
  // Warnings and errors reach the terminal at once, even when the node then dies.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace lanline::app
