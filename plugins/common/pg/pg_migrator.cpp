#include "pg_migrator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "pg_connection.hpp"

namespace sluice::pg {
namespace {

// Any fixed number works; it only has to be the same in every sluice process.
constexpr const char* lock_statement = "SELECT pg_advisory_xact_lock(7305612842331)";

constexpr const char* create_table_statement =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " plugin text NOT NULL DEFAULT '',"
    " version integer NOT NULL,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (plugin, version))";

// A row of schema_migrations.
struct Recorded {
  std::string plugin;
  int version = 0;
  std::string name;
  std::string checksum;
};

// The table as builds made it before each plugin had its own migrations: keyed by version
// alone, without a plugin. Its rows stay (plugin '') until their plugin claims them; the
// default '' also lets such an older build, started again, insert its rows as before.
void upgrade_table(PgConnection& connection) {
  connection.exec("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS plugin text NOT NULL DEFAULT ''");
  Result old_key = connection.query(
      "SELECT count(*) FROM pg_index WHERE indrelid = 'schema_migrations'::regclass AND indisprimary"
      " AND indnatts = 1");
  if (std::string(PQgetvalue(old_key.get(), 0, 0)) == "0") return;
  connection.exec(
      "ALTER TABLE schema_migrations DROP CONSTRAINT schema_migrations_pkey,"
      " ADD PRIMARY KEY (plugin, version)");
}

// Rows recorded before plugins were (plugin '') with the version and file name of one of
// `plugin`'s migrations are that plugin's: the same file, applied from the shared folder.
void claim_unowned_rows(PgConnection& connection, const std::string& plugin, const std::vector<Migration>& migrations) {
  std::vector<std::int64_t> versions;
  std::vector<std::string_view> names;
  for (const Migration& migration : migrations) {
    versions.push_back(migration.version);
    names.push_back(migration.name);
  }
  connection.query(
      "UPDATE schema_migrations AS m SET plugin = $1 WHERE m.plugin = ''"
      " AND (m.version, m.name) IN (SELECT * FROM unnest($2::integer[], $3::text[]))"
      " AND NOT EXISTS (SELECT 1 FROM schema_migrations AS o WHERE o.plugin = $1 AND o.version = m.version)",
      {{plugin}, {bigint_array_literal(versions)}, {text_array_literal(names)}});
}

// Rows recorded by builds before the checksum was mended hold the legacy checksum of the very
// same file: they get the right one, so a file edited since still warns and a database keeps
// starting whichever build migrated it (README.md, "Schema migrations").
void mend_legacy_checksums(PgConnection& connection, const std::vector<Migration>& migrations, spdlog::logger& log) {
  std::vector<std::int64_t> versions;
  std::vector<std::string_view> names, legacy, right;
  for (const Migration& migration : migrations) {
    versions.push_back(migration.version);
    names.push_back(migration.name);
    legacy.push_back(migration.legacy_checksum);
    right.push_back(migration.checksum);
  }
  Result mended = connection.query(
      "UPDATE schema_migrations AS m SET checksum = f.right_sum"
      " FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[]) AS f(version, name, legacy_sum, right_sum)"
      " WHERE m.version = f.version AND m.name = f.name AND m.checksum = f.legacy_sum RETURNING m.name",
      {{bigint_array_literal(versions)},
       {text_array_literal(names)},
       {text_array_literal(legacy)},
       {text_array_literal(right)}});
  for (int row = 0; row < PQntuples(mended.get()); ++row) {
    log.info("migration {}: checksum recorded by an older build mended", PQgetvalue(mended.get(), row, 0));
  }
}

std::vector<Recorded> recorded_rows(PgConnection& connection) {
  std::vector<Recorded> rows;
  Result result = connection.query("SELECT plugin, version, name, checksum FROM schema_migrations");
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    rows.push_back({PQgetvalue(result.get(), row, 0), std::stoi(PQgetvalue(result.get(), row, 1)),
                    PQgetvalue(result.get(), row, 2), PQgetvalue(result.get(), row, 3)});
  }
  return rows;
}

// True when `migration` needs no applying: `plugin` applied it (warning if the file changed
// since), or another plugin applied the very same file.
bool already_applied(const std::vector<Recorded>& rows, const std::string& plugin, const Migration& migration,
                     spdlog::logger& log) {
  for (const Recorded& row : rows) {
    if (row.plugin != plugin || row.version != migration.version) continue;
    if (row.checksum != migration.checksum) {
      log.warn("migration {} changed after it was applied; it is not applied again", migration.name);
    }
    return true;
  }
  for (const Recorded& row : rows) {
    if (row.version == migration.version && row.name == migration.name && row.checksum == migration.checksum) {
      return true;
    }
  }
  return false;
}

void apply_one(PgConnection& connection, const std::string& plugin, const Migration& migration, spdlog::logger& log) {
  log.info("applying migration {}", migration.name);
  try {
    connection.exec(migration.sql);
  } catch (const PgError& e) {
    throw PgError(e.failure() == Failure::connection ? Failure::connection : Failure::fatal,
                  "migration " + migration.name + ": " + e.what(), e.fields());
  }
  connection.query("INSERT INTO schema_migrations (plugin, version, name, checksum) VALUES ($1, $2, $3, $4)",
                   {{plugin}, {std::to_string(migration.version)}, {migration.name}, {migration.checksum}});
}

// FNV-1a, 64 bits. Builds before the mend used an offset basis missing its last digit
// (1469598103934665603, not 14695981039346656037): kept only to recognise what they recorded.
constexpr std::uint64_t fnv1a_offset_basis = 14695981039346656037ull;
constexpr std::uint64_t legacy_offset_basis = 1469598103934665603ull;

std::string fnv1a_hex(const std::string& text, std::uint64_t offset_basis = fnv1a_offset_basis) {
  std::uint64_t hash = offset_basis;
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
    migrations.push_back(
        {version, name, text.str(), fnv1a_hex(text.str()), fnv1a_hex(text.str(), legacy_offset_basis)});
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      throw std::runtime_error("migrations " + migrations[i - 1].name + " and " + migrations[i].name +
                               " have the same number");
    }
  }
  if (migrations.empty()) {
    throw std::runtime_error("no migrations (NNNN_name.sql) in " + folder.string());
  }
  return migrations;
}

std::vector<std::string> apply_migrations(PgConnection& connection, const std::string& plugin,
                                          const std::vector<Migration>& migrations, spdlog::logger& log) {
  std::vector<std::string> applied_now;
  try {
    connection.exec("BEGIN");
    connection.exec(lock_statement);
    connection.exec(create_table_statement);
    upgrade_table(connection);
    claim_unowned_rows(connection, plugin, migrations);
    mend_legacy_checksums(connection, migrations, log);
    const std::vector<Recorded> rows = recorded_rows(connection);
    for (const Migration& migration : migrations) {
      if (already_applied(rows, plugin, migration, log)) continue;
      apply_one(connection, plugin, migration, log);
      applied_now.push_back(migration.name);
    }
    for (const Recorded& row : rows) {
      if (row.plugin == plugin && row.version > migrations.back().version) {
        log.warn("the database has migration {} of {} which this build does not know; it is newer", row.name, plugin);
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
