// Structured fields for one log line. A text log (the default, for terminals) shows the message
// only, so call sites keep the facts a person needs in the message too; a JSON log
// (`--log-format json`, for machines) adds each field as a member of the line's object, so a
// log pipeline can filter on partition, offset, order_uid or reason without parsing prose.
//
//   log_event(host.log(), spdlog::level::warn,
//             {{"partition", rec.partition}, {"offset", rec.offset}, {"reason", reason}},
//             "dead letter: {} [{}@{}]", reason, rec.partition, rec.offset);
#pragma once

#include <spdlog/spdlog.h>

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace sluice {

// A key and a number or a text (an empty text is left out). It only borrows: it lives for one
// log call.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), text(v) {}
  LogField(std::string_view k, const char* v) : key(k), text(v) {}
  template <std::integral N>
  LogField(std::string_view k, N n) : key(k), number(static_cast<std::int64_t>(n)), is_number(true) {}

  std::string_view key;
  std::string_view text;
  std::int64_t number = 0;
  bool is_number = false;
};

namespace detail {

// The fields of the log call under way on this thread (exported by core, so plugins and core
// see one slot; loggers write synchronously on the calling thread).
void set_log_fields(const LogField* first, std::size_t count);
std::pair<const LogField*, std::size_t> log_fields();

class LogFieldsScope {
 public:
  explicit LogFieldsScope(std::initializer_list<LogField> fields) { set_log_fields(fields.begin(), fields.size()); }
  ~LogFieldsScope() { set_log_fields(nullptr, 0); }
  LogFieldsScope(const LogFieldsScope&) = delete;
  LogFieldsScope& operator=(const LogFieldsScope&) = delete;
};

}  // namespace detail

template <typename... Args>
void log_event(spdlog::logger& log, spdlog::level::level_enum level, std::initializer_list<LogField> fields,
               spdlog::format_string_t<Args...> format, Args&&... args) {
  if (!log.should_log(level)) return;
  detail::LogFieldsScope scope(fields);
  log.log(level, format, std::forward<Args>(args)...);
}

}  // namespace sluice
