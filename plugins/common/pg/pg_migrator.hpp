// Schema migrations: numbered SQL files (0001_orders.sql ...) applied in order, each once.
// Every PostgreSQL plugin owns its set (sql/postgres/, sql/postgres_dead_letter/: README.md,
// "Operating Sluice") and schema_migrations records which plugin applied which (plugin,
// version). Rows written before plugins were recorded have plugin '' and are claimed by the
// plugin whose set holds the same version and file name, so a database migrated then starts
// without applying anything again. Safe to run from several instances and plugins at once:
// everything happens in one transaction behind an advisory lock, so the second waits and then
// finds nothing left to do.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}

namespace sluice::pg {

class PgConnection;

struct Migration {
  int version = 0;   // the file name's leading number
  std::string name;  // the file name
  std::string sql;
  std::string checksum;  // of the text, to notice files edited after they were applied
  // What builds before the checksum was mended recorded for the same text (README.md,
  // "Schema migrations"): rows holding it are rewritten to `checksum` when first met.
  std::string legacy_checksum;
};

// Reads NNNN_*.sql from `folder`, sorted by version. Throws std::runtime_error for a missing
// folder, a duplicate version or an unreadable file.
std::vector<Migration> load_migrations(const std::filesystem::path& folder);

// Applies what `plugin` has not applied yet, recording it under `plugin`; returns the names
// applied. A migration recorded under another plugin with the same version, name and
// checksum (the same file: one `migrations` folder given to both plugins) is not applied
// again. Throws PgError.
std::vector<std::string> apply_migrations(PgConnection& connection, const std::string& plugin,
                                          const std::vector<Migration>& migrations, spdlog::logger& log);

}  // namespace sluice::pg
