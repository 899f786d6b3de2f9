#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "log_json.hpp"
#include "log_setup.hpp"
#include "sluice/log_fields.hpp"

namespace sluice {
namespace {

constexpr const char* text_pattern = "%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v";

spdlog::sink_ptr stderr_sink() {
  static spdlog::sink_ptr sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s->set_pattern(text_pattern);
    return s;
  }();
  return sink;
}

struct FieldsSlot {
  const LogField* first = nullptr;
  std::size_t count = 0;
};
thread_local FieldsSlot fields_slot;

bool& json_format() {
  static bool json = false;
  return json;
}

spdlog::level::level_enum& current_level() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

void set_log_level(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level '" + level + "' (expected trace, debug, info, warn, error or off)");
  }
  current_level() = parsed;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
}

void set_log_format(const std::string& format) {
  if (format == "text") {
    stderr_sink()->set_pattern(text_pattern);
    json_format() = false;
  } else if (format == "json") {
    stderr_sink()->set_formatter(std::make_unique<JsonLogFormatter>());
    json_format() = true;
  } else {
    throw std::invalid_argument("unknown log format '" + format + "' (expected text or json)");
  }
}

void print_error(const std::string& line) {
  static const auto log = make_logger("config");
  if (json_format()) {
    log->error(line);
  } else {
    std::fprintf(stderr, "error: %s\n", line.c_str());
  }
}

namespace detail {

void set_log_fields(const LogField* first, std::size_t count) { fields_slot = {first, count}; }

std::pair<const LogField*, std::size_t> log_fields() { return {fields_slot.first, fields_slot.count}; }

}  // namespace detail

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
