// Schema migrations: numbered SQL files (0001_orders.sql ...) applied in order, each once,
// recorded in schema_migrations. Safe to run from several instances at once: everything
// happens in one transaction behind an advisory lock, so the second instance waits and then
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
  int version = 0;       // the file name's leading number
  std::string name;      // the file name
  std::string sql;
  std::string checksum;  // of the text, to notice files edited after they were applied
};

// Reads NNNN_*.sql from `folder`, sorted by version. Throws std::runtime_error for a missing
// folder, a duplicate version or an unreadable file.
std::vector<Migration> load_migrations(const std::filesystem::path& folder);

// Applies what is missing; returns the names applied. Throws PgError.
std::vector<std::string> apply_migrations(PgConnection& connection,
                                          const std::vector<Migration>& migrations,
                                          spdlog::logger& log);

}  // namespace sluice::pg
