#include "record_format.hpp"

#include <nlohmann/json.hpp>

#include "sluice/status.hpp"

namespace sluice::file_plugin {

RecordFormat parse_format(const std::string& text) {
  if (text == "value") return RecordFormat::value;
  if (text == "json") return RecordFormat::json;
  throw ConfigError("format", "expected 'value' or 'json', got '" + text + "'");
}

void append_line(std::string& out, const Record& record, RecordFormat format) {
  if (format == RecordFormat::value) {
    out += record.value;
    out += '\n';
    return;
  }
  using nlohmann::json;
  // Values need not be valid UTF-8 (dead letters), so replace bad bytes rather than throw.
  json line = {{"key", record.key},
               {"value", record.value},
               {"stream", record.stream},
               {"partition", record.partition},
               {"offset", record.offset}};
  if (!record.rejection.reason.empty()) {
    line["rejection"] = {{"reason", record.rejection.reason},
                         {"pointer", record.rejection.pointer},
                         {"detail", record.rejection.detail},
                         {"stage", record.rejection.stage}};
  }
  out += line.dump(-1, ' ', false, json::error_handler_t::replace);
  out += '\n';
}

}  // namespace sluice::file_plugin
