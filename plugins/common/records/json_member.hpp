// A top-level string member of a JSON record, for keying records by a field of their value:
// the file source's `key_field`, and `sluice publish --file`, which keys orders by order_uid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// The member's value when `json` is an object and `field` a string member of it; nullopt
// otherwise (not JSON, not UTF-8, missing, a number).
std::optional<std::string> json_string_member(std::string_view json, const std::string& field);

}  // namespace sluice
