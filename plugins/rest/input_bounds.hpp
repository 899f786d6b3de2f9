// Integer inputs of the REST and admin APIs (query parameters and JSON members: limits, ids,
// timeouts, rates): every one is checked against a stated range before use, and a bad one
// gets a 400 that names the field and the range. A negative number, a fraction, a float too
// large for any integer (1e30: converting it is undefined behaviour), a string or an overlong
// digit string never reaches a cast. Pistache-free, tested on values.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sluice::rest {

struct IntegerRange {
  std::int64_t min = 0;
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

// Decimal digits only (a leading '-' only when min < 0), within the range.
bool parse_integer(std::string_view text, IntegerRange range, std::int64_t& out);
// A JSON integer (not a float, a string or a boolean) within the range.
bool json_integer(const nlohmann::json& value, IntegerRange range, std::int64_t& out);

// {"error": "invalid <field>: expected an integer from <min> to <max><note>", "field": ...,
// "min": ..., "max": ..., "given": <the input, cut to 100 characters>}.
std::string range_error(std::string_view field, IntegerRange range, std::string_view given,
                        std::string_view note = {});

}  // namespace sluice::rest
