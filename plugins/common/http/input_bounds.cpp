#include "input_bounds.hpp"

#include <charconv>

namespace sluice::http {

bool parse_integer(std::string_view text, IntegerRange range, std::int64_t& out) {
  std::string_view digits = text;
  if (range.min < 0 && digits.starts_with('-')) digits.remove_prefix(1);
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;  // no '+', blanks, fractions or exponents
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;  // out of range: too many digits
  if (value < range.min || value > range.max) return false;
  out = value;
  return true;
}

bool json_integer(const nlohmann::json& value, IntegerRange range, std::int64_t& out) {
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(range.max)) return false;
    out = static_cast<std::int64_t>(unsigned_value);
    return out >= range.min;
  }
  if (!value.is_number_integer()) return false;  // floats (1.5, 1e30), strings, booleans, null
  const auto signed_value = value.get<std::int64_t>();
  if (signed_value < range.min || signed_value > range.max) return false;
  out = signed_value;
  return true;
}

std::string range_error(std::string_view field, IntegerRange range, std::string_view given, std::string_view note) {
  const std::string name(field);
  nlohmann::json body{{"error", "invalid " + name + ": expected an integer from " + std::to_string(range.min) + " to " +
                                    std::to_string(range.max) + std::string(note)},
                      {"field", name},
                      {"min", range.min},
                      {"max", range.max},
                      {"given", given.substr(0, 100)}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string length_error(std::string_view field, LengthRange range, std::string_view given) {
  const std::string name(field);
  nlohmann::json body{{"error", "invalid " + name + ": expected " + std::to_string(range.min) + " to " +
                                    std::to_string(range.max) + " bytes"},
                      {"field", name},
                      {"min", range.min},
                      {"max", range.max},
                      {"given_bytes", given.size()},
                      {"given", given.substr(0, 100)}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice::http
