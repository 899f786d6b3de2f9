// What a plugin declares about its configuration, and the typed view it receives.
// The host validated the config against the declared keys and filled in defaults, so the
// getters here only fail on programming errors.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/abi.h"

namespace sluice {

class Config {
 public:
  explicit Config(nlohmann::json values) : values_(std::move(values)) {}

  bool has(const std::string& key) const { return values_.contains(key) && !values_.at(key).is_null(); }
  std::string get_string(const std::string& key) const { return values_.at(key).get<std::string>(); }
  std::int64_t get_int(const std::string& key) const { return values_.at(key).get<std::int64_t>(); }
  double get_number(const std::string& key) const { return values_.at(key).get<double>(); }
  bool get_bool(const std::string& key) const { return values_.at(key).get<bool>(); }
  std::vector<std::string> get_list(const std::string& key) const {
    return values_.at(key).get<std::vector<std::string>>();
  }
  std::map<std::string, std::string> get_map(const std::string& key) const {
    return values_.at(key).get<std::map<std::string, std::string>>();
  }
  const nlohmann::json& json() const { return values_; }

 private:
  nlohmann::json values_;
};

}  // namespace sluice
