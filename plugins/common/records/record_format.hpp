// How the file and stdout sinks write a record: its value alone, or a JSON object that also
// carries key, position and (for dead letters) the rejection.
#pragma once

#include <string>

#include "sluice/record.hpp"

namespace sluice::file_plugin {

enum class RecordFormat { value, json };

// Throws ConfigError("format", ...) for anything but "value" or "json".
RecordFormat parse_format(const std::string& text);
// Appends one line (with '\n') to `out`.
void append_line(std::string& out, const Record& record, RecordFormat format);

}  // namespace sluice::file_plugin
