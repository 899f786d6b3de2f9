#include "string_member.hpp"

#include <nlohmann/json.hpp>

namespace sluice::file_plugin {

std::string string_member(std::string_view line, const std::string& field) {
  const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return {};
  const auto it = doc.find(field);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace sluice::file_plugin
