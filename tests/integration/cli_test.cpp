// The sluice binary as a user meets it: --version, plugins, schema, validate, exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "sluice/version.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

RunResult sluice(std::vector<std::string> args, Process::Options options = {}) {
  args.insert(args.begin(), sluice_binary().string());
  return run(std::move(args), 60s, std::move(options));
}

TEST(Cli, VersionNamesVersionAndAbi) {
  auto r = sluice({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("sluice " SLUICE_VERSION_STRING " (plugin ABI 1, ", 0), 0u) << r.out;
}

TEST(Cli, HelpDocumentsEveryCommandAndExitCodes) {
  auto r = sluice({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* word : {"run", "validate", "plugins", "schema", "migrate", "broker", "publish", "Exit codes"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  }
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
}

TEST(Cli, ValidateAcceptsEveryShippedPipeline) {
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() / "config")) {
    if (entry.path().extension() != ".yaml") continue;
    auto r = sluice({"validate", entry.path().string()});
    EXPECT_EQ(r.code, 0) << entry.path() << "\n" << r.err;
    EXPECT_NE(r.out.find(": ok ("), std::string::npos);
  }
}

TEST(Cli, ValidateReportsFileLineColumnAndExitsThree) {
  auto dir = scratch_dir("cli_validate_bad");
  write_file(dir / "bad.yaml", "source:\n  plugin: file\n  config: { path: in, folow: true }\nsinks: [ { plugin: stdout } ]\n");
  auto r = sluice({"validate", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "error: " + (dir / "bad.yaml").string() +
                       ":3:23: unknown key 'folow' for plugin 'file' (did you mean 'follow'?); valid keys: path, "
                       "position_file, follow, stream\n");
}

TEST(Cli, BrokenPluginIsRefusedWithFileAndBothVersions) {
  auto dir = scratch_dir("cli_wrong_abi");
  write_file(dir / "p.yaml", "source: { plugin: file, config: { path: in } }\nsinks: [ { plugin: wrong_abi } ]\n");
  auto r = sluice({"--plugin-dir", fixture_plugin_dir().string(), "run", (dir / "p.yaml").string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find((fixture_plugin_dir() / "wrong_abi.so").string() + ": plugin ABI version 999, but this sluice " +
                       SLUICE_VERSION_STRING + " has ABI version 1"),
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

TEST(Cli, EnvFileFeedsVariables) {
  auto dir = scratch_dir("cli_env_file");
  write_file(dir / "in.ndjson", "a\nb\n");
  write_file(dir / "vars.env", "OUT_PATH=" + (dir / "out.ndjson").string() + "\n");
  write_file(dir / "p.yaml", "source: { plugin: file, config: { path: " + (dir / "in.ndjson").string() +
                                 " } }\nsinks: [ { plugin: file, config: { path: \"${OUT_PATH}\" } } ]\n");
  auto r = sluice({"--env-file", (dir / "vars.env").string(), "run", (dir / "p.yaml").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(dir / "out.ndjson"), "a\nb\n");
}

}  // namespace
}  // namespace sluice::test
