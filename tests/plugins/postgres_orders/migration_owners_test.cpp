// Each PostgreSQL plugin applies its own migrations (sql/postgres/, sql/postgres_dead_letter/)
// and schema_migrations says which plugin applied which. A database migrated by the builds
// before, when sql/ held both sets and schema_migrations was keyed by version alone, must start
// without applying anything again.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "pg_connection.hpp"
#include "pg_dsn.hpp"
#include "pg_migrator.hpp"
#include "postgres_fixture.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

constexpr const char* owners_by_version =
    "postgres,postgres,postgres_dead_letter,postgres,postgres_dead_letter,postgres_dead_letter,postgres";

std::vector<pg::Migration> every_shipped_migration() {
  std::vector<pg::Migration> all = pg::load_migrations(source_dir() / "sql/postgres");
  std::vector<pg::Migration> letters = pg::load_migrations(source_dir() / "sql/postgres_dead_letter");
  all.insert(all.end(), letters.begin(), letters.end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return all;
}

class MigrationOwners : public PostgresTest {
 protected:
  // What the earlier migrator left: its table, every file applied in version order, its rows.
  void migrate_as_the_shared_folder_did() {
    pg::PgConnection connection(pg::soci_connect_string(dsn(), "earlier-build"));
    connection.open();
    connection.exec("BEGIN");
    connection.exec(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
        " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    for (const pg::Migration& migration : every_shipped_migration()) {
      connection.exec(migration.sql);
      connection.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                       {{std::to_string(migration.version)}, {migration.name}, {migration.checksum}});
    }
    connection.exec("COMMIT");
  }
  std::string applied_at() {
    return scalar("SELECT string_agg(applied_at::text, ',' ORDER BY version) FROM schema_migrations");
  }
};

TEST_F(MigrationOwners, ADatabaseMigratedFromTheSharedFolderStartsWithNothingAppliedAgain) {
  migrate_as_the_shared_folder_did();
  scalar(
      "INSERT INTO dead_letters (source_stream, source_partition, source_offset, raw, reason, json_pointer,"
      " detail, stage) VALUES ('orders', 0, 7, '\\x7b7d', 'r', '', 'd', 's')");
  const std::string before = applied_at();

  // Either plugin may come first; both start (a file applied again would fail: its tables exist).
  auto letters = make_dead_letter_sink();
  ASSERT_TRUE(letters->open().is_ok());
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  ASSERT_TRUE(letters->migrate().is_ok());
  ASSERT_TRUE(sink->migrate().is_ok());

  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "7");
  EXPECT_EQ(scalar("SELECT string_agg(plugin, ',' ORDER BY version) FROM schema_migrations"), owners_by_version);
  EXPECT_EQ(applied_at(), before);
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters WHERE source_offset = 7"), "1");
  // Keyed by (plugin, version) from now on: the plugins number their migrations apart.
  EXPECT_EQ(scalar("SELECT indnatts FROM pg_index WHERE indrelid = 'schema_migrations'::regclass AND indisprimary"),
            "2");
}

TEST_F(MigrationOwners, OneFolderGivenToBothPluginsIsAppliedOnce) {
  // `migrations` pointed at one folder holding both sets, as it had to be before.
  const std::filesystem::path folder = scratch_dir("both-sets-" + database_);
  for (const char* set : {"sql/postgres", "sql/postgres_dead_letter"}) {
    for (const auto& entry : std::filesystem::directory_iterator(source_dir() / set)) {
      std::filesystem::copy_file(entry.path(), folder / entry.path().filename());
    }
  }
  const nlohmann::json config = {{"dsn", dsn()}, {"migrations", folder.string()}};
  pg::PostgresSink sink(Config(config), host_);
  pg::DeadLetterSink letters(Config(config), host_);
  ASSERT_TRUE(sink.migrate().is_ok());
  ASSERT_TRUE(letters.migrate().is_ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "7");
  EXPECT_EQ(scalar("SELECT count(DISTINCT plugin) || ' ' || min(plugin) FROM schema_migrations"), "1 postgres");
}

// Builds before the checksum was mended recorded FNV-1a with a wrong offset basis. Such a
// database starts without a "changed" warning or anything applied again, and holds the right
// checksums afterwards; a file really edited since still warns.
TEST_F(MigrationOwners, LegacyChecksumsAreMendedWithoutApplyingAnythingAgain) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  const std::vector<pg::Migration> orders = pg::load_migrations(source_dir() / "sql/postgres");
  for (const pg::Migration& migration : orders) {
    scalar("UPDATE schema_migrations SET checksum = '" + migration.legacy_checksum + "' WHERE plugin = 'postgres'" +
           " AND version = " + std::to_string(migration.version));
  }
  scalar("UPDATE schema_migrations SET checksum = 'edited' WHERE plugin = 'postgres' AND version = " +
         std::to_string(orders.back().version));
  const std::string before = applied_at();

  std::ostringstream lines;
  auto log = std::make_shared<spdlog::logger>("migrate", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines));
  pg::PgConnection connection(pg::soci_connect_string(dsn(), "checksum-test"));
  connection.open();
  EXPECT_TRUE(pg::apply_migrations(connection, "postgres", orders, *log).empty());

  EXPECT_EQ(applied_at(), before);
  for (std::size_t i = 0; i + 1 < orders.size(); ++i) {
    EXPECT_EQ(scalar("SELECT checksum FROM schema_migrations WHERE plugin = 'postgres' AND version = " +
                     std::to_string(orders[i].version)),
              orders[i].checksum);
    EXPECT_NE(lines.str().find("migration " + orders[i].name + ": checksum recorded by an older build mended"),
              std::string::npos)
        << lines.str();
  }
  EXPECT_NE(lines.str().find("migration " + orders.back().name + " changed after it was applied"), std::string::npos)
      << lines.str();
  EXPECT_EQ(lines.str().find(orders.front().name + " changed"), std::string::npos) << lines.str();
}

}  // namespace
}  // namespace sluice::test
