// Config keys every PostgreSQL plugin (postgres, postgres_dead_letter) declares, so the two
// plugins document and accept their connection the same way. Each binds to the members of the
// same names in the plugin's settings struct (sluice/config_map.hpp); their defaults are those
// members' initializers (ConnectionSettings); what each plugin derives from the dsn key's value
// is read the same way too (dsn_connect_string, dsn_location).
#pragma once

#include <optional>
#include <string>

#include "sluice/config_map.hpp"

namespace sluice::pg {

// The connection members both plugins' settings hold (they derive from it), with their defaults.
struct ConnectionSettings {
  std::string dsn;                        // required
  std::optional<std::string> migrations;  // none: the plugin's shipped folder, sql/<plugin>/
  bool migrate_on_open = true;
};

template <class Settings>
ConfigKey<Settings> dsn_key() {
  return key<Settings, std::string>(
             "dsn", &Settings::dsn,
             "PostgreSQL connection: URI (postgresql://user:pass@host:5432/db) or key=value pairs")
      .required()
      .secret();
}

template <class Settings>
ConfigKey<Settings> migrations_key() {
  return key<Settings, std::optional<std::string>>(
      "migrations", &Settings::migrations,
      "folder of NNNN_name.sql migrations; default: the plugin's shipped folder, sql/<plugin name>/");
}

template <class Settings>
ConfigKey<Settings> migrate_on_open_key() {
  return key<Settings, bool>("migrate_on_open", &Settings::migrate_on_open,
                             "apply missing migrations when the pipeline starts (else only by `sluice migrate`)");
}

// pg::soci_connect_string() and pg::location() (pg_dsn.hpp) of the dsn key's value; a DSN
// they refuse is a ConfigError naming the key (the message never quotes the DSN).
std::string dsn_connect_string(const std::string& dsn, const std::string& application_name);
std::string dsn_location(const std::string& dsn);

}  // namespace sluice::pg
