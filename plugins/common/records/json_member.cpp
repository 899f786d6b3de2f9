#include "json_member.hpp"

#include <nlohmann/json.hpp>

namespace sluice {

std::optional<std::string> json_string_member(std::string_view json, const std::string& field) {
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return std::nullopt;
  const auto it = doc.find(field);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace sluice
