// Which plugin's code may name which table (README.md, "Operating Sluice", Replay): the
// dead_letters table is postgres_dead_letter's, and the postgres sink reaches it only through
// plugins/common/pg/dead_letter_table.hpp (in its own batch transaction), never by SQL of its
// own. Reads the sources; no database.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/process.hpp"

namespace sluice::test {
namespace {

TEST(TableOwnership, ThePostgresSinkHoldsNoStatementOnTheDeadLetterTable) {
  const std::filesystem::path folder = source_dir() / "plugins/postgres_orders";
  std::size_t read = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string extension = entry.path().extension().string();
    if (extension != ".cpp" && extension != ".hpp") continue;
    ++read;
    const std::string text = read_file(entry.path());
    for (const char* statement :
         {"FROM dead_letters", "INTO dead_letters", "UPDATE dead_letters", "TABLE dead_letters", "JOIN dead_letters"}) {
      EXPECT_EQ(text.find(statement), std::string::npos)
          << entry.path().filename().string() << " says \"" << statement
          << "\": the statement belongs in plugins/common/pg/dead_letter_table.cpp";
    }
  }
  EXPECT_GT(read, 0u) << folder;
}

}  // namespace
}  // namespace sluice::test
