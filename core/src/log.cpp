#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <stdexcept>

#include "log_setup.hpp"

namespace sluice {
namespace {

spdlog::sink_ptr stderr_sink() {
  static spdlog::sink_ptr sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    return s;
  }();
  return sink;
}

spdlog::level::level_enum& current_level() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

void set_log_level(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level '" + level +
                                "' (expected trace, debug, info, warn, error or off)");
  }
  current_level() = parsed;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, stderr_sink());
  logger->set_level(current_level());
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace sluice
