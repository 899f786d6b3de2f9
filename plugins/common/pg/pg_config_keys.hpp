// Config keys every PostgreSQL plugin (postgres, postgres_dead_letter) declares, so the two
// plugins document and accept their connection the same way.
#pragma once

#include "sluice/abi.h"

namespace sluice::pg {

inline constexpr sluice_config_key dsn_key = {
    "dsn", sluice_key_string, 1, nullptr,
    "PostgreSQL connection: URI (postgresql://user:pass@host:5432/db) or key=value pairs"};
inline constexpr sluice_config_key migrations_key = {
    "migrations", sluice_key_string, 0, nullptr,
    "folder of NNNN_name.sql migrations; default: the shipped sql/ folder"};
inline constexpr sluice_config_key migrate_on_open_key = {
    "migrate_on_open", sluice_key_bool, 0, "true",
    "apply missing migrations when the pipeline starts (else only by `sluice migrate`)"};

}  // namespace sluice::pg
