// Logging: one line per event on stderr, text or JSON, with the level and the name of the plugin (or core
// component) in every line.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace sluice {

// Parses trace|debug|info|warn|error|off; throws std::invalid_argument otherwise.
void set_log_level(const std::string& level);
// text (the default: a line for a person) or json (one object per line, with the structured
// fields of sluice/log_fields.hpp); throws std::invalid_argument otherwise.
void set_log_format(const std::string& format);
// An error that ends a command before its work starts (a config error, a bad env file):
// `error: <line>` for a person, a log line like any other with --log-format json.
void print_error(const std::string& line);
// A logger writing to the shared stderr sink, named after a plugin instance or component.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

}  // namespace sluice
