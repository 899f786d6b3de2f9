// Global options where a user puts them, the JSON log, and the man page built from --help.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"

namespace sluice::test {
namespace {

RunResult run_sluice(std::vector<std::string> args, Process::Options options = {}) {
  args.insert(args.begin(), sluice_binary().string());
  return run(std::move(args), 60s, std::move(options));
}

// A pipeline that only validates with the fixture plugins' folder on the search path.
std::filesystem::path fixture_pipeline(const std::string& name) {
  auto dir = scratch_dir(name);
  write_file(
      dir / "p.yaml",
      "source: { plugin: file, config: { path: in } }\nsinks: [ { plugin: stdout } ]\napi: [ { plugin: fake_api } ]\n");
  return dir / "p.yaml";
}

// `--plugin-dir DIR FILE` used to swallow FILE into the repeatable option ("files is required").
TEST(CliOptions, GlobalOptionsWorkBeforeAndAfterTheCommandWithOneValueEach) {
  const std::string file = fixture_pipeline("cli_global_options").string();
  const std::string dir = fixture_plugin_dir().string();
  const std::vector<std::vector<std::string>> spellings = {
      {"--plugin-dir", dir, "validate", file},
      {"validate", "--plugin-dir", dir, file},
      {"validate", file, "--plugin-dir", dir},
      {"--plugin-dir", "/nonexistent", "validate", "--plugin-dir", dir, file, "--log-level", "warn"},
  };
  for (const auto& args : spellings) {
    auto r = run_sluice(args);
    EXPECT_EQ(r.code, 0) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_NE(r.out.find(file + ": ok ("), std::string::npos) << ::testing::PrintToString(args) << "\n" << r.out;
  }
  // Without the folder the plugin is unknown: the option above really took effect.
  auto without = run_sluice({"validate", file});
  EXPECT_EQ(without.code, 3) << without.err;
  EXPECT_NE(without.err.find("fake_api"), std::string::npos) << without.err;
}

TEST(CliOptions, UnknownLogFormatIsABadCommandLine) {
  auto r = run_sluice({"--log-format", "xml", "plugins"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--log-format"), std::string::npos) << r.err;
}

// file -> order_validate -> file, one good and two bad lines, no dead-letter sink: the dead
// letters are logged (never silent), and in JSON each carries its facts as fields.
class JsonLogRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("cli_json_log");
    write_file(dir_ / "in.ndjson", nlohmann::json::parse(read_file(source_dir() / "tests/fixtures/model.json")).dump() +
                                       "\nnot json\n{\"x\":1}\n");
    write_file(dir_ / "p.yaml",
               "name: json-log\nsource: { plugin: file, config: { path: " + (dir_ / "in.ndjson").string() +
                   " } }\ntransforms: [ { id: validate, plugin: order_validate } ]\n"
                   "sinks: [ { id: out, plugin: file, config: { path: " +
                   (dir_ / "out.ndjson").string() + " } } ]\n");
  }

  std::vector<nlohmann::json> json_lines(const std::string& err) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) {
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(parsed.is_discarded()) << "not a JSON line: " << line;
      if (!parsed.is_discarded()) lines.push_back(std::move(parsed));
    }
    return lines;
  }

  std::filesystem::path dir_;
};

TEST_F(JsonLogRun, EveryLineIsAnObjectAndDeadLettersCarryTheirFields) {
  auto r = run_sluice({"run", (dir_ / "p.yaml").string(), "--log-format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = json_lines(r.err);
  ASSERT_FALSE(lines.empty());
  std::vector<nlohmann::json> dead;
  std::set<std::string> components;
  for (const auto& line : lines) {
    for (const char* member : {"time", "level", "component", "message"}) {
      EXPECT_TRUE(line.contains(member) && line[member].is_string()) << member << " missing: " << line;
    }
    components.insert(line.value("component", ""));
    if (line.value("message", "").rfind("dead letter from", 0) == 0) dead.push_back(line);
  }
  EXPECT_TRUE(components.count("runtime")) << r.err;
  ASSERT_EQ(dead.size(), 2u) << r.err;
  for (const auto& line : dead) {
    EXPECT_EQ(line["level"], "warning");
    EXPECT_EQ(line["stage"], "validate");
    EXPECT_EQ(line["stream"], "in.ndjson");
    EXPECT_FALSE(line.contains("key")) << "an empty field is left out: " << line;
    EXPECT_TRUE(line["partition"].is_number_integer()) << line;
    EXPECT_TRUE(line["offset"].is_number_integer()) << line;
    EXPECT_TRUE(line["reason"].is_string() && !line["reason"].get<std::string>().empty()) << line;
  }
  EXPECT_NE(dead[0]["offset"], dead[1]["offset"]);
}

TEST_F(JsonLogRun, TheEnvironmentChoosesTheFormatAndTextStaysTheDefault) {
  Process::Options json_env;
  json_env.env["SLUICE_LOG_FORMAT"] = "json";
  auto json = run_sluice({"run", (dir_ / "p.yaml").string()}, json_env);
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_FALSE(json_lines(json.err).empty());

  std::filesystem::remove(dir_ / "out.ndjson");
  auto text = run_sluice({"run", (dir_ / "p.yaml").string()});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.err.rfind('{', 0), 0u) << text.err;
  EXPECT_EQ(text.err.find("\n{"), std::string::npos) << "a JSON line in the text log:\n" << text.err;
  EXPECT_NE(text.err.find("[runtime] pipeline 'json-log'"), std::string::npos) << text.err;
}

// A TCP listener that never accepts: the kernel completes the handshake (the backlog), and a
// PostgreSQL client then waits for the server's first word until its connect_timeout.
class SilentListener {
 public:
  SilentListener() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// `timeout` (and an impatient operator) sends SIGTERM twice: the second one, a second or more
// after the first, ends the process at once, and its last line is a JSON line like every other.
// The postgres sink's open hangs on a server that never answers, so the second signal surely
// comes before the teardown ends.
TEST_F(JsonLogRun, TwoSigtermsLeaveOnlyJsonLinesOnStderr) {
  SilentListener silent;
  write_file(
      dir_ / "hang.yaml",
      "name: json-log-hang\nsource: { plugin: file, config: { follow: true, path: " + (dir_ / "in.ndjson").string() +
          " } }\nsinks: [ { id: db, plugin: postgres_orders, config: { dsn: \"postgresql://u@127.0.0.1:" +
          std::to_string(silent.port()) + "/db?connect_timeout=120\" } } ]\n");
  Process run({sluice_binary().string(), "run", (dir_ / "hang.yaml").string(), "--log-format", "json"});
  ASSERT_TRUE(run.wait_stderr("opening sink 'db'", 60s)) << run.err();
  run.signal(SIGTERM);
  const auto first = std::chrono::steady_clock::now();
  ASSERT_TRUE(run.wait_stderr("stopping: SIGTERM received", 30s)) << run.err();
  // Within a second a repeat is the same stop (README, "CLI"): the rule is about time, so wait it out.
  std::this_thread::sleep_until(first + 1100ms);
  run.signal(SIGTERM);
  ASSERT_EQ(run.wait(30s), 130) << run.err();
  auto lines = json_lines(run.err());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().value("message", ""), "second signal: exiting without draining") << run.err();
  EXPECT_EQ(lines.back().value("level", ""), "warning") << run.err();
}

// Ctrl-C in a terminal reaches `sluice run` and the script that started it, which then sends
// SIGTERM too (compose/demo.sh): one stop delivered twice within a second drains and exits 0.
TEST_F(JsonLogRun, SigintAndSigtermTogetherAreOneGracefulStop) {
  write_file(
      dir_ / "follow.yaml",
      "name: json-log-follow\nsource: { plugin: file, config: { follow: true, path: " + (dir_ / "in.ndjson").string() +
          " } }\nsinks: [ { id: out, plugin: file, config: { path: " + (dir_ / "follow-out.ndjson").string() +
          " } } ]\n");
  Process run({sluice_binary().string(), "run", (dir_ / "follow.yaml").string()});
  // All three lines delivered: the pipeline runs and idles on the followed file.
  const auto out = dir_ / "follow-out.ndjson";
  ASSERT_TRUE(wait_while_running(
      run, [&] { return std::filesystem::exists(out) && std::ranges::count(read_file(out), '\n') == 3; }, 60s));
  run.signal(SIGINT);
  run.signal(SIGTERM);
  ASSERT_EQ(run.wait(30s), 0) << run.err();
  EXPECT_NE(run.err().find("stopping: SIGINT received"), std::string::npos) << run.err();
  EXPECT_EQ(run.err().find("second signal"), std::string::npos) << run.err();
}

// A config error ends `sluice run` before the pipeline starts; with --log-format json it is a
// JSON line too, naming its place, and the text format keeps its `error: ` line for a person.
TEST_F(JsonLogRun, AConfigErrorIsAJsonLineNamingItsPlace) {
  write_file(dir_ / "bad.yaml",
             "name: json-log-bad\nsource: { plugin: file, config: { path: in.ndjson, bogus: 1 } }\n"
             "sinks: [ { id: out, plugin: stdout } ]\n");
  auto json = run_sluice({"run", (dir_ / "bad.yaml").string(), "--log-format", "json"});
  EXPECT_EQ(json.code, 3) << json.err;
  auto lines = json_lines(json.err);
  ASSERT_FALSE(lines.empty()) << json.err;
  EXPECT_EQ(lines.back().value("level", ""), "error") << json.err;
  EXPECT_NE(lines.back().value("message", "").find("bad.yaml:2:"), std::string::npos) << json.err;
  EXPECT_NE(lines.back().value("message", "").find("bogus"), std::string::npos) << json.err;

  auto text = run_sluice({"run", (dir_ / "bad.yaml").string()});
  EXPECT_EQ(text.code, 3) << text.err;
  EXPECT_EQ(text.err.rfind("error: ", 0), 0u) << text.err;
  EXPECT_NE(text.err.find("bad.yaml:2:"), std::string::npos) << text.err;
}

// sluice(1) is generated from --help at build time: every command has its section.
TEST(CliOptions, ManPageHasASectionForEveryCommand) {
  const auto page = read_file(sluice_binary().parent_path().parent_path() / "share/man/man1/sluice.1");
  EXPECT_EQ(page.rfind(".TH SLUICE 1 ", 0), 0u) << page.substr(0, 200);
  for (const char* command : {"run", "validate", "plugins", "schema", "migrate", "broker", "publish", "status",
                              "reload", "tap", "dead-letters"}) {
    EXPECT_NE(page.find(std::string("\n.SS ") + command + "\n"), std::string::npos) << command;
  }
  EXPECT_NE(page.find("\n.SS \"dead-letters replay\"\n"), std::string::npos);
  // broker and publish: the Kafka tool's help, reached through `sluice` (README, CLI).
  if (std::filesystem::exists(sluice_binary().parent_path().parent_path() / "lib/sluice/libexec/sluice-kafka")) {
    EXPECT_NE(page.find("Usage: sluice broker [OPTIONS]"), std::string::npos);
    EXPECT_NE(page.find("--fail-commits"), std::string::npos);
    EXPECT_NE(page.find("Usage: sluice publish [OPTIONS]"), std::string::npos);
    EXPECT_NE(page.find("--connect-timeout"), std::string::npos);
  }
  EXPECT_NE(page.find("--log-format"), std::string::npos);
}

}  // namespace
}  // namespace sluice::test
