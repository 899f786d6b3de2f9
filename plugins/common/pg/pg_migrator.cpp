#include "pg_migrator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "pg_connection.hpp"

namespace sluice::pg {
namespace {

// Any fixed number works; it only has to be the same in every sluice process.
constexpr const char* lock_statement = "SELECT pg_advisory_xact_lock(7305612842331)";

constexpr const char* create_table_statement =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

std::string fnv1a_hex(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

// "0001_orders.sql" -> 1; -1 for files that are not migrations.
int version_of(const std::string& file_name) {
  if (file_name.size() < 6 || file_name.substr(file_name.size() - 4) != ".sql") return -1;
  std::size_t digits = 0;
  while (digits < file_name.size() && std::isdigit(static_cast<unsigned char>(file_name[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 9 || file_name[digits] != '_') return -1;
  return std::stoi(file_name.substr(0, digits));
}

}  // namespace

std::vector<Migration> load_migrations(const std::filesystem::path& folder) {
  if (!std::filesystem::is_directory(folder)) {
    throw std::runtime_error("migrations folder " + folder.string() + " does not exist");
  }
  std::vector<Migration> migrations;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    int version = version_of(name);
    if (version < 0 || !entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read migration " + entry.path().string());
    migrations.push_back({version, name, text.str(), fnv1a_hex(text.str())});
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      throw std::runtime_error("migrations " + migrations[i - 1].name + " and " +
                               migrations[i].name + " have the same number");
    }
  }
  if (migrations.empty()) {
    throw std::runtime_error("no migrations (NNNN_name.sql) in " + folder.string());
  }
  return migrations;
}

std::vector<std::string> apply_migrations(PgConnection& connection,
                                          const std::vector<Migration>& migrations,
                                          spdlog::logger& log) {
  std::vector<std::string> applied_now;
  try {
    connection.exec("BEGIN");
    connection.exec(lock_statement);
    connection.exec(create_table_statement);
    std::map<int, std::string> applied;  // version -> checksum
    Result rows = connection.query("SELECT version, checksum FROM schema_migrations");
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
      applied[std::stoi(PQgetvalue(rows.get(), row, 0))] = PQgetvalue(rows.get(), row, 1);
    }
    for (const Migration& migration : migrations) {
      auto found = applied.find(migration.version);
      if (found != applied.end()) {
        if (found->second != migration.checksum) {
          log.warn("migration {} changed after it was applied; it is not applied again",
                   migration.name);
        }
        continue;
      }
      log.info("applying migration {}", migration.name);
      try {
        connection.exec(migration.sql);
      } catch (const PgError& e) {
        throw PgError(e.failure() == Failure::connection ? Failure::connection : Failure::fatal,
                      "migration " + migration.name + ": " + e.what(), e.fields());
      }
      connection.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                       {{std::to_string(migration.version)}, {migration.name}, {migration.checksum}});
      applied_now.push_back(migration.name);
    }
    for (const auto& [version, checksum] : applied) {
      if (version > migrations.back().version) {
        log.warn("the database has migration {} which this build does not know; it is newer",
                 version);
      }
    }
    connection.exec("COMMIT");
  } catch (...) {
    connection.rollback_quietly();
    throw;
  }
  return applied_now;
}

}  // namespace sluice::pg
