#include "env.hpp"

#include <gtest/gtest.h>

#include "support/process.hpp"

namespace sluice {
namespace {

std::string expand(const std::string& text, const Environment& env) {
  std::size_t offset = 0;
  return expand_variables(text, env, offset);
}

TEST(EnvSubstitution, ReplacesSetVariables) {
  Environment env;
  env.set_override("HOST", "db.local");
  EXPECT_EQ(expand("postgresql://${HOST}:5432", env), "postgresql://db.local:5432");
}

TEST(EnvSubstitution, DefaultUsedWhenUnsetOrEmpty) {
  Environment env;
  env.set_override("EMPTY", "");
  EXPECT_EQ(expand("${SLUICE_TEST_SURELY_UNSET:-localhost:9092}", env), "localhost:9092");
  EXPECT_EQ(expand("${EMPTY:-fallback}", env), "fallback");
  EXPECT_EQ(expand("${SLUICE_TEST_SURELY_UNSET:-}", env), "");
}

TEST(EnvSubstitution, DollarDollarIsLiteral) {
  EXPECT_EQ(expand("price $$5 and $HOME stays", Environment{}), "price $5 and $HOME stays");
}

TEST(EnvSubstitution, UnsetWithoutDefaultIsAnErrorAtItsOffset) {
  std::size_t offset = 0;
  try {
    expand_variables("abc ${SLUICE_TEST_SURELY_UNSET}", Environment{}, offset);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(offset, 4u);
    EXPECT_EQ(std::string(e.what()),
              "environment variable 'SLUICE_TEST_SURELY_UNSET' is not set (set it, add it to .env, or write "
              "${SLUICE_TEST_SURELY_UNSET:-default})");
  }
}

// ${NAME:?message}: a setting without a safe default (a password) stops the load, with the
// message, at the variable's offset; set and non-empty, it is the value.
TEST(EnvSubstitution, RequiredFormFailsWhenUnsetOrEmptyWithTheMessage) {
  Environment env;
  env.set_override("SLUICE_TEST_DSN", "postgresql://u@h/db");
  env.set_override("SLUICE_TEST_EMPTY", "");
  std::size_t offset = 0;
  EXPECT_EQ(expand_variables("dsn: ${SLUICE_TEST_DSN:?set it}", env, offset), "dsn: postgresql://u@h/db");
  for (const char* name : {"SLUICE_TEST_SURELY_UNSET", "SLUICE_TEST_EMPTY"}) {
    offset = 0;
    try {
      expand_variables(std::string("dsn: ${") + name + ":?set DATABASE_URL in /etc/sluice/sluice.env}", env, offset);
      ADD_FAILURE() << name << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(offset, 5u);
      EXPECT_EQ(std::string(e.what()), std::string("environment variable '") + name + "' is " +
                                           (std::string(name) == "SLUICE_TEST_EMPTY" ? "empty" : "not set") +
                                           ": set DATABASE_URL in /etc/sluice/sluice.env");
    }
  }
  EXPECT_THROW(expand_variables("${SLUICE_TEST_SURELY_UNSET:?}", env, offset), std::invalid_argument);
  // Any other character after ':' is no operator: a bad name, never a silent value.
  EXPECT_THROW(expand_variables("${SLUICE_TEST_DSN:x}", env, offset), std::invalid_argument);
  EXPECT_THROW(expand_variables("${SLUICE_TEST_DSN:}", env, offset), std::invalid_argument);
}

TEST(EnvSubstitution, UnterminatedAndInvalidNames) {
  std::size_t offset = 0;
  EXPECT_THROW(expand_variables("x ${OOPS", Environment{}, offset), std::invalid_argument);
  EXPECT_THROW(expand_variables("${1BAD}", Environment{}, offset), std::invalid_argument);
  EXPECT_THROW(expand_variables("${}", Environment{}, offset), std::invalid_argument);
}

TEST(EnvFile, ReadsGodotenvStyleLines) {
  auto dir = test::scratch_dir("env_file");
  test::write_file(dir / ".env",
                   "# comment\n"
                   "export A=1\n"
                   "B = \"two words\"\n"
                   "C='single $NOT'\n"
                   "D=bare # trailing comment\n"
                   "\n");
  Environment env;
  env.load_file(dir / ".env");
  EXPECT_EQ(env.lookup("A"), "1");
  EXPECT_EQ(env.lookup("B"), "two words");
  EXPECT_EQ(env.lookup("C"), "single $NOT");
  EXPECT_EQ(env.lookup("D"), "bare");
}

TEST(EnvFile, ProcessEnvironmentWins) {
  auto dir = test::scratch_dir("env_file_wins");
  test::write_file(dir / ".env", "PATH=/nowhere\n");
  Environment env;
  env.load_file(dir / ".env");
  EXPECT_NE(env.lookup("PATH"), "/nowhere");
}

TEST(EnvFile, MalformedLineNamesFileAndLine) {
  auto dir = test::scratch_dir("env_file_bad");
  test::write_file(dir / ".env", "A=1\nthis is not an assignment\n");
  Environment env;
  try {
    env.load_file(dir / ".env");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / ".env").string() + ":2: expected KEY=VALUE, got 'this is not an assignment'");
  }
}

}  // namespace
}  // namespace sluice
