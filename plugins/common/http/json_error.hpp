// The JSON error body and the content types every Sluice HTTP front end answers with.
#pragma once

#include <string>
#include <string_view>

namespace sluice::http {

namespace content_type {
inline constexpr const char* json = "application/json";
inline constexpr const char* prometheus = "text/plain; version=0.0.4; charset=utf-8";
}  // namespace content_type

// {"error": message, extra_key: extra_value} with both strings escaped (and invalid UTF-8
// replaced) so any client input can be echoed back safely.
std::string error_json(std::string_view message, std::string_view extra_key = {}, std::string_view extra_value = {});

}  // namespace sluice::http
