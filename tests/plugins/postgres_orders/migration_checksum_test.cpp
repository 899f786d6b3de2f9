// The migration checksum is FNV-1a 64 as published (offset basis 14695981039346656037), and
// what builds before the mend recorded stays recognisable (README.md, "Schema migrations").
#include <gtest/gtest.h>

#include <filesystem>

#include "pg_migrator.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

pg::Migration migration_of(const std::string& text) {
  const std::filesystem::path folder = scratch_dir("migration-checksum");
  write_file(folder / "0001_text.sql", text);
  return pg::load_migrations(folder).at(0);
}

TEST(MigrationChecksum, IsFnv1a64WithThePublishedOffsetBasis) {
  // The FNV reference vectors (http://www.isthe.com/chongo/tech/comp/fnv/).
  EXPECT_EQ(migration_of("").checksum, "cbf29ce484222325");
  EXPECT_EQ(migration_of("a").checksum, "af63dc4c8601ec8c");
  EXPECT_EQ(migration_of("foobar").checksum, "85944171f73967e8");
}

TEST(MigrationChecksum, KeepsTheLegacyValueOfEarlierBuildsBeside) {
  const pg::Migration migration = migration_of("CREATE TABLE t (x int);\n");
  EXPECT_NE(migration.legacy_checksum, migration.checksum);
  EXPECT_EQ(migration.legacy_checksum.size(), 16u);
  EXPECT_EQ(migration_of("").legacy_checksum, "14650fb0739d0383");
}

}  // namespace
}  // namespace sluice::test
