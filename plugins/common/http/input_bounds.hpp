// Integer inputs of the REST and admin APIs (query parameters and JSON members: limits, ids,
// timeouts, rates): every one is checked against a stated range before use, and a bad one
// gets a 400 that names the field and the range. A negative number, a fraction, a float too
// large for any integer (1e30: converting it is undefined behaviour), a string or an overlong
// digit string never reaches a cast. Text inputs that are matched as bytes (a record key) are
// bounded by length the same way. Pistache-free, tested on values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sluice::http {

struct IntegerRange {
  std::int64_t min = 0;
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

// Decimal digits only (a leading '-' only when min < 0), within the range.
bool parse_integer(std::string_view text, IntegerRange range, std::int64_t& out);
// A JSON integer (not a float, a string or a boolean) within the range.
bool json_integer(const nlohmann::json& value, IntegerRange range, std::int64_t& out);

// Text inputs compared byte for byte (a record key may be anything, NUL included): only their
// length is bounded.
struct LengthRange {
  std::size_t min = 1;
  std::size_t max = 256;
};
inline bool within_length(std::string_view text, LengthRange range) {
  return text.size() >= range.min && text.size() <= range.max;
}

// {"error": "invalid <field>: expected <min> to <max> bytes", "field": ..., "min": ..., "max": ...,
// "given_bytes": <its length>, "given": <its first 100 bytes, invalid UTF-8 replaced>}.
std::string length_error(std::string_view field, LengthRange range, std::string_view given);

// {"error": "invalid <field>: expected an integer from <min> to <max><note>", "field": ...,
// "min": ..., "max": ..., "given": <the input, cut to 100 characters>}.
std::string range_error(std::string_view field, IntegerRange range, std::string_view given, std::string_view note = {});

}  // namespace sluice::http
