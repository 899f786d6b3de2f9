// The `file` source's record key (`key_field`): a top-level string member of a JSON line, so a
// file of orders is keyed the way `sluice publish` keys them on Kafka (by order_uid), and
// their dead letters can be found by order id (README, "Operating Sluice").
#pragma once

#include <string>
#include <string_view>

namespace sluice::file_plugin {

// The member's value when `line` is a JSON object and the member is a string; "" otherwise
// (not JSON, not UTF-8, missing, a number): such a record has no key, like an unkeyed message.
std::string string_member(std::string_view line, const std::string& field);

}  // namespace sluice::file_plugin
