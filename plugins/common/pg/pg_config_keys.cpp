#include "pg_config_keys.hpp"

#include <stdexcept>

#include "pg_dsn.hpp"

namespace sluice::pg {

std::string dsn_connect_string(const std::string& dsn, const std::string& application_name) {
  try {
    return soci_connect_string(dsn, application_name);
  } catch (const std::invalid_argument& e) {
    throw ConfigError("dsn", e.what());
  }
}

std::string dsn_location(const std::string& dsn) {
  try {
    return location(dsn);
  } catch (const std::invalid_argument& e) {
    throw ConfigError("dsn", e.what());
  }
}

}  // namespace sluice::pg
