// file -> file through the real binary: exactly-once copies, resume from the position file,
// graceful stop on SIGTERM, and a clear non-zero exit on a fatal plugin error.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/process.hpp"

namespace sluice::test {
namespace {

std::string numbered_lines(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out += "{\"n\":" + std::to_string(i) + "}\n";
  return out;
}

std::size_t count_lines(const std::filesystem::path& p) {
  std::string text = read_file(p);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

void append(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::app);
  out << text;
}

class FilePipeline : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir(std::string("file_pipeline_") + testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  std::filesystem::path write_pipeline(bool follow) {
    write_file(dir_ / "p.yaml",
               "name: copy\nsource:\n  plugin: file\n  config:\n    path: in.ndjson\n"
               "    position_file: in.pos\n    follow: " +
                   std::string(follow ? "true" : "false") +
                   "\nsinks:\n  - { id: out, plugin: file, config: { path: out.ndjson } }\n"
                   "runtime: { batch_max: 500 }\n");
    return dir_ / "p.yaml";
  }
  Process start(const std::filesystem::path& pipeline) {
    return Process({sluice_binary().string(), "run", pipeline.string()}, {.env = {}, .cwd = dir_, .stdin_text = ""});
  }
  std::filesystem::path dir_;
};

TEST_F(FilePipeline, CopiesEveryLineExactlyOnce) {
  write_file(dir_ / "in.ndjson", numbered_lines(0, 50000));
  Process p = start(write_pipeline(false));
  ASSERT_EQ(p.wait(60s), 0) << p.err();
  EXPECT_EQ(read_file(dir_ / "out.ndjson"), read_file(dir_ / "in.ndjson"));
  EXPECT_EQ(read_file(dir_ / "in.pos"), "50000\n");
}

TEST_F(FilePipeline, RestartResumesAfterCommittedLines) {
  write_file(dir_ / "in.ndjson", numbered_lines(0, 1000));
  auto pipeline = write_pipeline(false);
  ASSERT_EQ(start(pipeline).wait(60s), 0);
  append(dir_ / "in.ndjson", numbered_lines(1000, 1500));
  Process second = start(pipeline);
  ASSERT_EQ(second.wait(60s), 0) << second.err();
  EXPECT_EQ(read_file(dir_ / "out.ndjson"), numbered_lines(0, 1500));
  EXPECT_NE(second.err().find("resuming 'in.ndjson' after line 1000"), std::string::npos) << second.err();
}

TEST_F(FilePipeline, SigtermDrainsCommitsAndExitsZero) {
  write_file(dir_ / "in.ndjson", numbered_lines(0, 2000));
  Process p = start(write_pipeline(true));
  ASSERT_TRUE(wait_until([&] { return count_lines(dir_ / "out.ndjson") >= 2000; }, 30s)) << p.err();
  append(dir_ / "in.ndjson", numbered_lines(2000, 3000));
  ASSERT_TRUE(wait_until([&] { return count_lines(dir_ / "out.ndjson") >= 3000; }, 30s)) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(10s), 0) << p.err();
  EXPECT_EQ(read_file(dir_ / "out.ndjson"), numbered_lines(0, 3000));
  EXPECT_EQ(read_file(dir_ / "in.pos"), "3000\n");
  EXPECT_NE(p.err().find("stopping: SIGTERM received"), std::string::npos);
  // Every log line names its component: "<time> <level> [<name>] <message>".
  std::regex line_format(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} (trace|debug|info |warn |error) \[[a-z_]+\] .+)");
  std::istringstream lines(p.err());
  for (std::string line; std::getline(lines, line);) EXPECT_TRUE(std::regex_match(line, line_format)) << line;
}

TEST_F(FilePipeline, KillNineThenRestartLosesNothing) {
  write_file(dir_ / "in.ndjson", numbered_lines(0, 200000));
  auto pipeline = write_pipeline(false);
  Process p = start(pipeline);
  ASSERT_TRUE(wait_while_running(
      p, [&] { return count_lines(dir_ / "out.ndjson") >= 20000; }, 30s));
  p.kill();
  Process restarted = start(pipeline);
  ASSERT_EQ(restarted.wait(60s), 0) << restarted.err();
  // At-least-once into a plain file: every line present and whole (a line the kill cut short
  // is cut at the restart, not glued to the next one); a replayed tail may repeat.
  std::string out = read_file(dir_ / "out.ndjson");
  std::set<std::string> seen;
  std::size_t broken = 0;
  auto whole = [](const std::string& line) {  // {"n":<digits>}
    return line.size() > 6 && line.rfind("{\"n\":", 0) == 0 && line.back() == '}' &&
           line.find_first_not_of("0123456789", 5) == line.size() - 1;
  };
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!whole(line)) ++broken;
    seen.insert(line);
  }
  EXPECT_EQ(broken, 0u);
  EXPECT_EQ(seen.size(), 200000u);
}

// A JSON key is the sender's choice and becomes the dead letter's pointer: it must not forge a
// log line or reach the terminal as an escape sequence.
TEST_F(FilePipeline, DeadLetterLogLineStaysOneLineWhateverTheKey) {
  auto order = nlohmann::json::parse(read_file(source_dir() / "tests/fixtures/model.json"));
  order["x\n2026-11-24T08:14:05.800 error [runtime] forged\x1b[2J\r"] = 1;
  write_file(dir_ / "in.ndjson", order.dump() + "\n");
  write_file(dir_ / "p.yaml",
             "source: { plugin: file, config: { path: in.ndjson } }\n"
             "transforms: [ { plugin: order_validate, config: { allow_unknown_fields: false } } ]\n"
             "sinks: [ { plugin: file, config: { path: out.ndjson } } ]\n");
  Process p = start(dir_ / "p.yaml");
  ASSERT_EQ(p.wait(30s), 0) << p.err();
  std::vector<std::string> mentions;
  std::istringstream lines(p.err());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("forged") != std::string::npos) mentions.push_back(line);
  }
  ASSERT_EQ(mentions.size(), 1u) << p.err();
  EXPECT_NE(mentions[0].find(" [runtime] dead letter from 'order_validate': unknown_field at "
                             "/x\\n2026-11-24T08:14:05.800 error [runtime] forged\\x1B[2J\\r ("),
            std::string::npos)
      << mentions[0];
  EXPECT_EQ(read_file(dir_ / "out.ndjson"), "");
}

TEST_F(FilePipeline, FatalSourceErrorExitsOneWithAClearMessage) {
  write_file(dir_ / "p.yaml",
             "source: { plugin: file, config: { path: missing.ndjson } }\nsinks: [ { plugin: stdout } ]\n");
  Process p = start(dir_ / "p.yaml");
  EXPECT_EQ(p.wait(30s), 1);
  EXPECT_NE(p.err().find("[runtime] pipeline 'pipeline' stops: 'file' could not start: cannot open 'missing.ndjson': "
                         "No such file or directory"),
            std::string::npos)
      << p.err();
}

}  // namespace
}  // namespace sluice::test
