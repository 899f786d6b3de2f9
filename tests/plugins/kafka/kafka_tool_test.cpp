// `sluice broker` and `sluice publish` come from the Kafka tool (lib/sluice/libexec/sluice-kafka,
// README "CLI"): the `sluice` binary and libsluice_core do not link librdkafka, `sluice` hands
// those commands to the tool with the same process (id, argv, standard streams, exit code),
// --help included, and a build or installation without the tool says so in one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/broker.hpp"
#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

namespace fs = std::filesystem;

fs::path build_dir() { return sluice_binary().parent_path().parent_path(); }
fs::path kafka_tool() { return build_dir() / "lib/sluice/libexec/sluice-kafka"; }

// The shared libraries a binary names in its dynamic section (DT_NEEDED), from readelf.
std::vector<std::string> needed_libraries(const fs::path& binary) {
  auto r = run({find_on_path("readelf"), "-d", "-W", binary.string()}, 30s);
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<std::string> needed;
  for (const auto& line : lines_of(r.out)) {
    const auto open = line.find("(NEEDED)");
    if (open == std::string::npos) continue;
    const auto name = line.find('[', open);
    const auto end = line.find(']', name);
    if (name != std::string::npos && end != std::string::npos) needed.push_back(line.substr(name + 1, end - name - 1));
  }
  return needed;
}

bool names_rdkafka(const std::vector<std::string>& libraries) {
  for (const auto& library : libraries) {
    if (library.find("rdkafka") != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += word + ' ';
  return text;
}

TEST(KafkaTool, SluiceAndCoreDoNotLinkLibrdkafka) {
  const auto sluice = needed_libraries(sluice_binary());
  ASSERT_FALSE(sluice.empty()) << "readelf found no NEEDED entries in " << sluice_binary();
  EXPECT_FALSE(names_rdkafka(sluice)) << joined(sluice);
  const auto core = needed_libraries(fs::canonical(build_dir() / "lib/libsluice_core.so"));
  EXPECT_FALSE(names_rdkafka(core)) << joined(core);
  // The check finds librdkafka where it is.
  const auto tool = needed_libraries(kafka_tool());
  EXPECT_TRUE(names_rdkafka(tool)) << joined(tool);
}

// --help reaches the tool: the commands' own options, under `sluice <command>`.
TEST(KafkaTool, HelpOfBrokerAndPublishComesFromTheTool) {
  auto publish = run({sluice_binary().string(), "publish", "--help"}, 30s);
  EXPECT_EQ(publish.code, 0) << publish.err;
  EXPECT_NE(publish.out.find("Usage: sluice publish [OPTIONS]"), std::string::npos) << publish.out;
  for (const char* option : {"--brokers", "--sample", "--connect-timeout", "--order-version", "--json"}) {
    EXPECT_NE(publish.out.find(option), std::string::npos) << option << " missing from:\n" << publish.out;
  }
  auto broker = run({sluice_binary().string(), "--log-level", "warn", "broker", "--help"}, 30s);
  EXPECT_EQ(broker.code, 0) << broker.err;
  EXPECT_NE(broker.out.find("--fail-commits"), std::string::npos) << broker.out;
}

// The tool's own exit codes and messages, and global options on either side of the command.
TEST(KafkaTool, ExitCodesAndGlobalOptionsPassThrough) {
  auto bad_topic = run({sluice_binary().string(), "broker", "--topic", "orders:0"}, 30s);
  EXPECT_EQ(bad_topic.code, 2) << bad_topic.err;
  EXPECT_NE(bad_topic.err.find("sluice broker: --topic expects NAME:PARTITIONS"), std::string::npos) << bad_topic.err;

  auto bad_option = run({sluice_binary().string(), "publish", "--no-such-option"}, 30s);
  EXPECT_EQ(bad_option.code, 2) << bad_option.err;

  // --log-format after the command: the tool's failure is a JSON log line.
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  auto json = run({sluice_binary().string(), "publish", "--connect-timeout", "1", "--log-format", "json", "--brokers",
                   address, "--sample"},
                  60s);
  EXPECT_EQ(json.code, 1) << json.err;
  ASSERT_EQ(lines_of(json.err).size(), 1u) << json.err;
  EXPECT_EQ(json.err.rfind("{\"time\":", 0), 0u) << json.err;
}

// `sluice broker` is the tool itself, not a child of `sluice`: tests and scripts signal
// the process they started (SIGUSR1/SIGUSR2/SIGHUP/SIGTERM).
TEST(KafkaTool, BrokerRunsInTheProcessSluiceStarted) {
  Broker broker;
  const auto exe = fs::read_symlink("/proc/" + std::to_string(broker.pid()) + "/exe");
  EXPECT_EQ(exe.filename(), "sluice-kafka") << exe;
  EXPECT_TRUE(broker.set_down()) << broker.log();
  EXPECT_TRUE(broker.set_up()) << broker.log();
}

// A `sluice` with no tool next to it (a build with SLUICE_ONLY_PLUGINS="file;stdout", or a
// package installed without the Kafka one): its --help still lists the commands, running one
// is one line saying what is missing, exit 1. A copy of the binary in a tree of its own
// (lib/ holds only libsluice_core) stands in for that build.
TEST(KafkaTool, WithoutTheToolTheCommandsSayWhatIsMissing) {
  const auto tree = scratch_dir("tree");
  fs::create_directories(tree / "bin");
  fs::create_directories(tree / "lib");
  fs::copy_file(sluice_binary(), tree / "bin/sluice");
  for (const auto& entry : fs::directory_iterator(build_dir() / "lib")) {
    if (entry.path().filename().string().rfind("libsluice_core.so", 0) == 0) {
      fs::create_symlink(fs::canonical(entry.path()), tree / "lib" / entry.path().filename());
    }
  }
  const std::string sluice = (tree / "bin/sluice").string();
  auto help = run({sluice, "--help"}, 30s);
  EXPECT_EQ(help.code, 0) << help.err;
  EXPECT_NE(help.out.find("\n  publish "), std::string::npos) << help.out;

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"publish", "--sample"}, {"publish", "--help"}, {"--log-level", "warn", "broker"}}) {
    std::vector<std::string> argv{sluice};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, 30s);
    const std::string command = args.back() == "broker" ? "broker" : "publish";
    EXPECT_EQ(r.code, 1) << joined(args) << ": " << r.err;
    EXPECT_EQ(r.out, "") << joined(args);
    EXPECT_EQ(r.err, "sluice " + command +
                         ": no Kafka tool here (install the sluice-kafka package, or build with the kafka plugin); " +
                         (tree / "lib/sluice/libexec/sluice-kafka").string() + " is missing\n")
        << joined(args);
  }
}

}  // namespace
}  // namespace sluice::test
