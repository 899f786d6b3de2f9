// The sluice binary as a user meets it: --version, plugins, schema, validate, exit codes.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "sluice/abi.h"
#include "sluice/version.hpp"
#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

RunResult sluice(std::vector<std::string> args, Process::Options options = {}) {
  args.insert(args.begin(), sluice_binary().string());
  return run(std::move(args), 60s, std::move(options));
}

TEST(Cli, VersionNamesVersionAndAbi) {
  auto r = sluice({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("sluice " SLUICE_VERSION_STRING " (plugin ABI " + std::to_string(SLUICE_ABI_VERSION) + ", ", 0),
            0u)
      << r.out;
}

// The "Subcommands:" section of --help lists exactly the commands there are, each with a
// description, and the exit codes are spelled out (a word found anywhere would not do: "run"
// is in "running", "schema" in "schema migrations").
TEST(Cli, HelpDocumentsEveryCommandAndExitCodes) {
  auto r = sluice({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Exit codes: 0 success, 1 the command failed while running, 2 bad command line, 3 bad "
                       "pipeline file or plugin."),
            std::string::npos)
      << r.out;
  auto section = r.out.find("\nSubcommands:\n");
  ASSERT_NE(section, std::string::npos) << r.out;
  std::istringstream lines(r.out.substr(section + 14));
  std::map<std::string, std::string> commands;
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    ASSERT_EQ(line.rfind("  ", 0), 0u) << "not a command line: " << line;
    auto name_end = line.find(' ', 2);
    ASSERT_NE(name_end, std::string::npos) << "a command without a description: " << line;
    auto description = line.find_first_not_of(' ', name_end);
    commands[line.substr(2, name_end - 2)] = description == std::string::npos ? "" : line.substr(description);
  }
  std::set<std::string> names;
  for (const auto& [name, description] : commands) {
    names.insert(name);
    EXPECT_GE(description.size(), 20u) << name << " has no real description: " << description;
  }
  EXPECT_EQ(names, (std::set<std::string>{"run", "validate", "plugins", "schema", "migrate", "positions", "broker",
                                          "publish", "status", "reload", "tap", "dead-letters"}));
}

TEST(Cli, BadCommandLineExitsTwo) {
  EXPECT_EQ(sluice({"frobnicate"}).code, 2);
  EXPECT_EQ(sluice({}).code, 2);
  EXPECT_EQ(sluice({"--log-level", "loud", "plugins"}).code, 2);
}

TEST(Cli, PluginsJsonDocumentsEveryKey) {
  auto r = sluice({"plugins", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto list = nlohmann::json::parse(r.out);
  bool file_source = false, file_sink = false, stdout_sink = false;
  for (const auto& p : list) {
    for (const auto& k : p["keys"]) {
      EXPECT_FALSE(k["doc"].get<std::string>().empty()) << p["name"] << "." << k["name"];
      EXPECT_TRUE(k.contains("type") && k.contains("default") && k.contains("required"));
    }
    if (p["name"] == "file" && p["kind"] == "source") file_source = p["keys"][0]["name"] == "path";
    if (p["name"] == "file" && p["kind"] == "sink") file_sink = true;
    if (p["name"] == "stdout") stdout_sink = p["kind"] == "sink";
  }
  EXPECT_TRUE(file_source && file_sink && stdout_sink) << r.out;
}

TEST(Cli, SchemaDescribesPluginsAndTheirKeys) {
  auto r = sluice({"schema"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto schema = nlohmann::json::parse(r.out);
  EXPECT_EQ(schema["required"], nlohmann::json({"source", "sinks"}));
  bool found = false;
  for (const auto& option : schema["properties"]["source"]["oneOf"]) {
    if (option["properties"]["plugin"]["const"] == "file") {
      found = option["properties"]["config"]["required"] == nlohmann::json({"path"}) &&
              option["properties"]["config"]["additionalProperties"] == false;
    }
  }
  EXPECT_TRUE(found) << schema["properties"]["source"].dump(2);
  // The top-level admin: is the admin plugin's keys, and nothing else (README, "Operating Sluice").
  const auto& admin = schema["properties"]["admin"]["anyOf"][0];
  EXPECT_EQ(admin["additionalProperties"], false) << schema["properties"]["admin"].dump(2);
  EXPECT_TRUE(admin["properties"].contains("listen")) << admin.dump(2);
  EXPECT_TRUE(admin["properties"].contains("max_connections")) << admin.dump(2);
}

TEST(Cli, ValidateAcceptsEveryShippedPipeline) {
  // DATABASE_URL is required by the default pipeline (no default password): given here.
  Process::Options options;
  options.env = {{"DATABASE_URL", "postgresql://order_user:secret@127.0.0.1:1/orders_db"}};
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() / "config")) {
    if (entry.path().extension() != ".yaml") continue;
    auto r = sluice({"validate", entry.path().string()}, options);
    EXPECT_EQ(r.code, 0) << entry.path() << "\n" << r.err;
    EXPECT_NE(r.out.find(": ok ("), std::string::npos);
  }
}

// Without DATABASE_URL no shipped pipeline with a database falls back to a known password.
TEST(Cli, DefaultPipelineWithoutDatabaseUrlIsRefusedWithTheMessage) {
  Process::Options options;
  options.env = {{"DATABASE_URL", ""}};
  for (const char* file : {"config/pipeline.yaml", "config/file-to-postgres.yaml"}) {
    auto r = sluice({"validate", (source_dir() / file).string()}, options);
    EXPECT_EQ(r.code, 3) << file << "\n" << r.err;
    EXPECT_NE(r.err.find("environment variable 'DATABASE_URL' is empty: set DATABASE_URL to postgresql://"),
              std::string::npos)
        << file << "\n"
        << r.err;
  }
}

TEST(Cli, ValidateReportsFileLineColumnAndExitsThree) {
  auto dir = scratch_dir("cli_validate_bad");
  write_file(dir / "bad.yaml",
             "source:\n  plugin: file\n  config: { path: in, folow: true }\nsinks: [ { plugin: stdout } ]\n");
  auto r = sluice({"validate", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "error: " + (dir / "bad.yaml").string() +
                       ":3:23: unknown key 'folow' for plugin 'file' (did you mean 'follow'?); valid keys: path, "
                       "position_file, follow, stream, key_field\n");
}

// file -> postgres -> file: the second file sink would miss what a crash between the database
// commit and its own write loses. Both validate and run refuse it before connecting anywhere.
// A DSN URI libpq would split elsewhere than meant ("u:pa/ss@db/x" is host u, port pa) is
// refused at config time, at the dsn's place, and neither `validate` nor `run` prints a piece
// of the password (before, `run` logged "connecting to host=u port=pa ...").
TEST(Cli, AnAmbiguousDsnPasswordIsRefusedAtItsPlaceWithoutEcho) {
  auto dir = scratch_dir("cli_ambiguous_dsn");
  for (std::string password : {"pa/Zq7Xss", "p@Zq7Xss", "pa:Zq7Xss", "pa#Zq7Xss", "pa%Zq7Xss"}) {
    SCOPED_TRACE(password);
    write_file(dir / "p.yaml",
               "source: { plugin: file, config: { path: in.ndjson } }\nsinks:\n  - id: db\n"
               "    plugin: postgres_orders\n    config: { dsn: \"postgresql://u:" +
                   password + "@127.0.0.1:1/x\" }\n");
    for (const char* command : {"validate", "run"}) {
      auto r = sluice({command, (dir / "p.yaml").string()}, {.env = {}, .cwd = dir, .stdin_text = ""});
      EXPECT_EQ(r.code, 3) << command << "\n" << r.err;
      EXPECT_NE(r.err.find("p.yaml:5:20: "), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("the URI is ambiguous; percent-encode"), std::string::npos) << r.err;
      EXPECT_EQ((r.out + r.err).find("Zq7X"), std::string::npos) << command << "\n" << r.out << r.err;
    }
  }
}

TEST(Cli, DurableSinkAfterThePositionsKeeperIsRefusedByValidateAndRun) {
  auto dir = scratch_dir("cli_sink_order");
  write_file(dir / "in.ndjson", "a\n");
  const std::string head =
      "name: sink-order\nsource:\n  plugin: file\n  config: { path: " + (dir / "in.ndjson").string() + " }\nsinks:\n";
  const std::string db =
      "  - id: db\n    plugin: postgres_orders\n    config: { dsn: \"postgresql://nobody@127.0.0.1:1/none\" }\n";
  const std::string out =
      "  - id: out\n    plugin: file\n    config: { path: " + (dir / "out.ndjson").string() + " }\n";
  const std::string cache = "  - { id: cache, plugin: memory_cache, config: { warm_from: db } }\n";
  write_file(dir / "bad.yaml", head + db + cache + out);
  write_file(dir / "good.yaml", head + out + db + cache);

  const std::string expected =
      "error: " + (dir / "bad.yaml").string() +
      ":10:5: sink 'out' (file) is durable but comes after 'db' (postgres_orders), which keeps the positions the "
      "source "
      "resumes from: a crash between the two writes would lose records from 'out'. Put 'out' before 'db' (it then "
      "gets every record at least once) or give it a pipeline of its own; only volatile sinks (caches, taps) may "
      "follow 'db'\n";
  auto validate = sluice({"validate", (dir / "bad.yaml").string()});
  EXPECT_EQ(validate.code, 3);
  EXPECT_EQ(validate.err, expected);
  EXPECT_EQ(validate.out, "");
  auto run = sluice({"run", (dir / "bad.yaml").string()});
  EXPECT_EQ(run.code, 3);
  EXPECT_EQ(run.err, expected);
  EXPECT_FALSE(std::filesystem::exists(dir / "out.ndjson"));

  auto good = sluice({"validate", (dir / "good.yaml").string()});
  EXPECT_EQ(good.code, 0) << good.err;
  EXPECT_EQ(good.out, (dir / "good.yaml").string() + ": ok (sink-order: file -> 0 transform(s) -> 3 sink(s))\n");
}

// A renamed plugin answers to its former name (README.md, "Plugins"): the file still plans,
// and says once where the old name stands and what it is now called.
TEST(Cli, AFormerPluginNameLoadsTheRenamedPluginWithOneDeprecationLine) {
  auto dir = scratch_dir("cli_former_name");
  write_file(dir / "in.ndjson", "a\n");
  write_file(dir / "p.yaml",
             "name: former\nsource:\n  plugin: file\n  config: { path: " + (dir / "in.ndjson").string() +
                 " }\nsinks:\n  - id: db\n    plugin: postgres\n"
                 "    config: { dsn: \"postgresql://nobody@127.0.0.1:1/none\" }\n");
  auto validate = sluice({"validate", (dir / "p.yaml").string()});
  EXPECT_EQ(validate.code, 0) << validate.err;
  EXPECT_EQ(validate.out, (dir / "p.yaml").string() + ": ok (former: file -> 0 transform(s) -> 1 sink(s))\n");
  const std::string line =
      (dir / "p.yaml").string() + ":7:13: plugin 'postgres' is now called 'postgres_orders'; the old name still works";
  EXPECT_NE(validate.err.find(line), std::string::npos) << validate.err;
  EXPECT_EQ(sluice::test::occurrences(validate.err, "is now called"), 1u) << validate.err;

  write_file(dir / "typo.yaml", "name: former\nsource:\n  plugin: file\n  config: { path: " +
                                    (dir / "in.ndjson").string() + " }\nsinks:\n  - id: db\n    plugin: postgre\n");
  auto typo = sluice({"validate", (dir / "typo.yaml").string()});
  EXPECT_EQ(typo.code, 3) << "a near miss is still unknown, not a former name: " << typo.err;
}

TEST(Cli, PluginsListShowsWhichSinksAreVolatile) {
  auto json = sluice({"plugins", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  std::map<std::string, bool> is_volatile;
  for (const auto& p : nlohmann::json::parse(json.out)) {
    if (p["kind"] == "sink") is_volatile[p["name"].get<std::string>()] = p.value("volatile", false);
  }
  EXPECT_EQ(is_volatile, (std::map<std::string, bool>{{"file", false},
                                                      {"memory_cache", true},
                                                      {"postgres_orders", false},
                                                      {"postgres_dead_letter", false},
                                                      {"stdout", true}}));
  auto text = sluice({"plugins"});
  EXPECT_NE(text.out.find("memory_cache (sink, " SLUICE_VERSION_STRING ") [store, volatile]\n"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("postgres_orders (sink, " SLUICE_VERSION_STRING ") [store, keeps positions]\n"),
            std::string::npos);
  EXPECT_NE(text.out.find("stdout (sink, " SLUICE_VERSION_STRING ") [volatile]\n"), std::string::npos);
}

TEST(Cli, BrokenPluginIsRefusedWithFileAndBothVersions) {
  auto dir = scratch_dir("cli_wrong_abi");
  write_file(dir / "p.yaml", "source: { plugin: file, config: { path: in } }\nsinks: [ { plugin: wrong_abi } ]\n");
  auto r = sluice({"--plugin-dir", fixture_plugin_dir().string(), "run", (dir / "p.yaml").string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find((fixture_plugin_dir() / "wrong_abi.so").string() + ": plugin ABI version 999, but this sluice " +
                       SLUICE_VERSION_STRING + " has ABI version " + std::to_string(SLUICE_ABI_VERSION)),
            std::string::npos)
      << r.err;
}

TEST(Cli, PluginsListWarnsAboutBrokenFilesButListsTheRest) {
  auto r = sluice({"--plugin-dir", fixture_plugin_dir().string(), "plugins"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("fake_source (source"), std::string::npos);
  EXPECT_NE(r.err.find("warning: " + (fixture_plugin_dir() / "not_elf.so").string() +
                       ": not a plugin: the file is not an ELF shared library"),
            std::string::npos)
      << r.err;
}

TEST(Cli, ReadmeConfigReferenceMatchesThePlugins) {
  // The README's reference is generated (compose/update-readme.sh), never hand-copied.
  std::string readme = read_file(source_dir() / "README.md");
  const std::string begin = "<!-- BEGIN generated by `sluice plugins --markdown` -->\n";
  const std::string end = "<!-- END generated -->";
  auto from = readme.find(begin);
  auto to = readme.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  auto r = sluice({"plugins", "--markdown"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()), r.out)
      << "run: bash compose/update-readme.sh " << sluice_binary().string();
}

// A file-to-file pipeline in `dir` whose output path is ${OUT_PATH}, set in `env_file`.
void write_env_pipeline(const std::filesystem::path& dir, const std::string& env_file) {
  write_file(dir / "in.ndjson", "a\nb\n");
  write_file(dir / env_file, "OUT_PATH=" + (dir / "out.ndjson").string() + "\n");
  write_file(dir / "p.yaml", "source: { plugin: file, config: { path: " + (dir / "in.ndjson").string() +
                                 " } }\nsinks: [ { plugin: file, config: { path: \"${OUT_PATH}\" } } ]\n");
}

TEST(Cli, EnvFileFeedsVariables) {
  auto dir = scratch_dir("cli_env_file");
  write_env_pipeline(dir, "vars.env");
  auto r = sluice({"--env-file", (dir / "vars.env").string(), "run", (dir / "p.yaml").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(dir / "out.ndjson"), "a\nb\n");
}

TEST(Cli, DotEnvInTheWorkingDirectoryIsReadWithoutAFlag) {
  auto dir = scratch_dir("cli_dot_env");
  write_env_pipeline(dir, ".env");
  Process::Options in_dir;
  in_dir.cwd = dir;
  auto r = sluice({"run", (dir / "p.yaml").string()}, in_dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(dir / "out.ndjson"), "a\nb\n");
  // Elsewhere, the same file leaves ${OUT_PATH} undefined: a pipeline-file error naming it (3).
  auto elsewhere = sluice({"validate", (dir / "p.yaml").string()});
  EXPECT_EQ(elsewhere.code, 3) << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("OUT_PATH"), std::string::npos) << elsewhere.err;
}

}  // namespace
}  // namespace sluice::test
