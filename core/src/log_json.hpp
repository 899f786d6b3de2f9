// The JSON log line: one object per line with time, level, component (the plugin instance or
// core component the logger is named after), message and the call's structured fields.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace sluice {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace sluice
