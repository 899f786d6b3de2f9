#include "log_json.hpp"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "sluice/log_fields.hpp"

namespace sluice {
namespace {

// RFC 3339 in UTC with milliseconds: what log stores parse without a format hint.
std::string utc_time(spdlog::log_clock::time_point when) {
  using namespace std::chrono;
  const auto since_epoch = when.time_since_epoch();
  const std::time_t seconds = duration_cast<std::chrono::seconds>(since_epoch).count();
  const auto millis = duration_cast<milliseconds>(since_epoch).count() % 1000;
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line;
  line["time"] = utc_time(msg.time);
  const auto level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string_view(level.data(), level.size());
  line["component"] = std::string_view(msg.logger_name.data(), msg.logger_name.size());
  line["message"] = std::string_view(msg.payload.data(), msg.payload.size());
  auto [fields, count] = detail::log_fields();
  for (std::size_t i = 0; i < count; ++i) {
    const LogField& f = fields[i];
    std::string key(f.key);
    // The four members above are the line's own; a field cannot overwrite them.
    if (key == "time" || key == "level" || key == "component" || key == "message") key = "field_" + key;
    if (f.is_number) {
      line[key] = f.number;
    } else if (!f.text.empty()) {  // an empty text says nothing (a record without a key)
      line[key] = f.text;
    }
  }
  // Record text (keys, reasons) may be any bytes: invalid UTF-8 becomes U+FFFD, never a broken line.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

}  // namespace sluice
