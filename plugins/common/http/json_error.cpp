#include "json_error.hpp"

#include <nlohmann/json.hpp>

namespace sluice::http {

std::string error_json(std::string_view message, std::string_view extra_key, std::string_view extra_value) {
  nlohmann::json body{{"error", message}};
  if (!extra_key.empty()) body[std::string(extra_key)] = extra_value;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice::http
