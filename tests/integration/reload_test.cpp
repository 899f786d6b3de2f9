// Live reload through the real binary: `sluice run` with a following file source while lines
// keep coming. SIGHUP applies an edited file at a batch boundary (every line exactly once in
// the kept sink, the added sink starts at the swap), a broken edit is rejected with its
// file:line:col and changes nothing, and --watch reloads once per save however it is saved.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

std::string numbered(int i) { return "{\"n\":" + std::to_string(i) + "}"; }

class ReloadPipeline : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir(std::string("reload_") + testing::UnitTest::GetInstance()->current_test_info()->name());
    write_file(dir_ / "in.ndjson", "");
  }
  void TearDown() override { stop_writer(); }
  std::string pipeline(const std::string& more_sinks = "", const std::string& extra = "") {
    return "name: copy\nsource:\n  plugin: file\n  config: { path: in.ndjson, follow: true }\nsinks:\n"
           "  - { id: out, plugin: file, config: { path: out.ndjson } }\n" +
           more_sinks + "runtime: { batch_max: 50 }\n" + extra;
  }
  Process start(std::vector<std::string> args = {}) {
    std::vector<std::string> argv{sluice_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"run", (dir_ / "p.yaml").string()});
    return Process(argv, {.env = {}, .cwd = dir_, .stdin_text = ""});
  }
  // Appends numbered lines, a few every millisecond, until stop_writer().
  void start_writer() {
    writer_ = std::thread([this] {
      std::ofstream out(dir_ / "in.ndjson", std::ios::app);
      while (!stop_) {
        for (int k = 0; k < 5; ++k) out << numbered(written_++) << "\n";
        out.flush();
        std::this_thread::sleep_for(1ms);  // the pace of the stream, not synchronisation
      }
    });
  }
  void stop_writer() {
    stop_ = true;
    if (writer_.joinable()) writer_.join();
  }
  bool has_lines(const std::string& file, std::size_t n) {
    return wait_until([&] { return lines_of(read_file(dir_ / file)).size() >= n; }, 30s);
  }
  // `out` holds every line written, once, in order.
  void expect_everything_once(const std::string& file, const Process& p) {
    auto got = lines_of(read_file(dir_ / file));
    ASSERT_EQ(got.size(), static_cast<std::size_t>(written_.load())) << file << "\n" << p.err();
    for (int i = 0; i < written_; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], numbered(i)) << file;
  }

  std::filesystem::path dir_;
  std::thread writer_;
  std::atomic<bool> stop_ = false;
  std::atomic<int> written_ = 0;
};

TEST_F(ReloadPipeline, SighupAddsASinkAtABatchBoundaryWhileLinesKeepComing) {
  write_file(dir_ / "p.yaml", pipeline());
  Process p = start();
  ASSERT_TRUE(p.wait_stderr("is running", 30s)) << p.err();
  start_writer();
  ASSERT_TRUE(has_lines("out.ndjson", 2000)) << p.err();
  write_file(dir_ / "p.yaml", pipeline("  - { id: copy, plugin: file, config: { path: copy.ndjson } }\n"));
  p.signal(SIGHUP);
  ASSERT_TRUE(p.wait_stderr("reload #1 applied: sinks +copy(file); 2 stage(s) kept", 30s)) << p.err();
  ASSERT_TRUE(has_lines("copy.ndjson", 2000)) << p.err();
  stop_writer();
  ASSERT_TRUE(has_lines("out.ndjson", static_cast<std::size_t>(written_.load()))) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(20s), 0) << p.err();
  expect_everything_once("out.ndjson", p);
  // The added sink has the tail of the stream from the swap on: a suffix of `out`.
  auto out = lines_of(read_file(dir_ / "out.ndjson"));
  auto copy = lines_of(read_file(dir_ / "copy.ndjson"));
  ASSERT_GE(copy.size(), 2000u);
  ASSERT_LT(copy.size(), out.size());
  EXPECT_TRUE(std::equal(copy.begin(), copy.end(), out.end() - static_cast<std::ptrdiff_t>(copy.size())));
  EXPECT_EQ(occurrences(p.err(), "is running"), 1u) << "the pipeline restarted instead of reloading";
}

TEST_F(ReloadPipeline, ABrokenEditIsRejectedWithItsPlaceAndThePipelineRunsOn) {
  // A directory with a plugin file that is not a library, searched first.
  auto plugins = dir_ / "plugins";
  std::filesystem::create_directories(plugins);
  write_file(plugins / "junk_sink.so", "not an ELF file\n");
  write_file(dir_ / "p.yaml", pipeline());
  Process p = start({"--plugin-dir", plugins.string()});
  ASSERT_TRUE(p.wait_stderr("is running", 30s)) << p.err();
  start_writer();
  const std::string file = (dir_ / "p.yaml").string();
  struct Broken {
    std::string what, text, error;
  };
  std::vector<Broken> edits = {
      {"yaml syntax", pipeline("  - { id: copy, plugin: file\n"), file + ":8:8: YAML syntax error"},
      {"unknown key", pipeline("", "batch_mx: 5\n"), file + ":8:1: unknown key 'batch_mx'"},
      {"missing plugin", pipeline("  - { id: copy, plugin: nosuch }\n"), file + ":7:25: unknown plugin 'nosuch'"},
      {"non-ELF plugin", pipeline("  - { id: copy, plugin: junk }\n"), "junk_sink.so"},
  };
  int n = 0;
  for (const auto& edit : edits) {
    std::size_t before = lines_of(read_file(dir_ / "out.ndjson")).size();
    write_file(dir_ / "p.yaml", edit.text);
    p.signal(SIGHUP);
    ++n;
    ASSERT_TRUE(p.wait_stderr("reload #" + std::to_string(n) + " rejected", 30s)) << edit.what << "\n" << p.err();
    EXPECT_NE(p.err().find(edit.error), std::string::npos) << edit.what << " should name " << edit.error << "\n"
                                                           << p.err();
    ASSERT_TRUE(has_lines("out.ndjson", before + 500)) << edit.what << ": the pipeline stopped moving";
  }
  stop_writer();
  ASSERT_TRUE(has_lines("out.ndjson", static_cast<std::size_t>(written_.load()))) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(20s), 0) << p.err();
  expect_everything_once("out.ndjson", p);
  EXPECT_EQ(p.err().find("applied"), std::string::npos) << p.err();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "copy.ndjson"));
}

TEST_F(ReloadPipeline, WatchReloadsOncePerSaveInPlaceOrByRename) {
  write_file(dir_ / "p.yaml", pipeline());
  Process watched({sluice_binary().string(), "run", "--watch", (dir_ / "p.yaml").string()},
                  {.env = {}, .cwd = dir_, .stdin_text = ""});
  ASSERT_TRUE(watched.wait_stderr("is running", 30s)) << watched.err();
  start_writer();
  // Saved by rename, as vim and VS Code do.
  write_file(dir_ / "p.yaml.tmp", pipeline("  - { id: copy, plugin: file, config: { path: copy.ndjson } }\n"));
  std::filesystem::rename(dir_ / "p.yaml.tmp", dir_ / "p.yaml");
  ASSERT_TRUE(watched.wait_stderr("reload #1 applied", 30s)) << watched.err();
  // Saved in place.
  write_file(dir_ / "p.yaml", pipeline());
  ASSERT_TRUE(watched.wait_stderr("reload #2 applied: sinks -copy(file)", 30s)) << watched.err();
  // An unrelated file in the same folder is no reason to reload.
  write_file(dir_ / "notes.txt", "hello\n");
  ASSERT_TRUE(has_lines("out.ndjson", 1000));
  stop_writer();
  ASSERT_TRUE(has_lines("out.ndjson", static_cast<std::size_t>(written_.load()))) << watched.err();
  watched.signal(SIGTERM);
  ASSERT_EQ(watched.wait(20s), 0) << watched.err();
  // One reload per save: a rename (or a write in several steps) is not two.
  EXPECT_EQ(watched.err().find("reload #3"), std::string::npos) << watched.err();
  expect_everything_once("out.ndjson", watched);
}

TEST_F(ReloadPipeline, ALibraryReplacedOnDiskIsPickedUpByTheNextReload) {
  auto plugins = dir_ / "plugins";
  std::filesystem::create_directories(plugins);
  auto build = [](int version) {
    return fixture_plugin_dir().parent_path() / ("versioned-" + std::to_string(version)) / "versioned_sink.so";
  };
  std::filesystem::copy_file(build(1), plugins / "versioned_sink.so");
  write_file(dir_ / "p.yaml", pipeline("  - { id: ver, plugin: versioned, config: { path: ver.txt } }\n"));
  Process p = start({"--plugin-dir", plugins.string()});
  ASSERT_TRUE(p.wait_stderr("is running", 30s)) << p.err();
  start_writer();
  ASSERT_TRUE(has_lines("ver.txt", 500)) << p.err();
  // Installed as `install` and package managers do: a new file renamed over the old name.
  std::filesystem::copy_file(build(2), plugins / "versioned_sink.so.new");
  std::filesystem::rename(plugins / "versioned_sink.so.new", plugins / "versioned_sink.so");
  p.signal(SIGHUP);  // the pipeline file itself is unchanged
  ASSERT_TRUE(
      p.wait_stderr("reload #1 applied: sinks ver: versioned_sink.so rebuilt (version 1 -> 2); 2 stage(s) kept", 30s))
      << p.err();
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ / "ver.txt").find("\n2:") != std::string::npos; }, 30s));
  stop_writer();
  ASSERT_TRUE(has_lines("ver.txt", static_cast<std::size_t>(written_.load()))) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(20s), 0) << p.err();
  expect_everything_once("out.ndjson", p);
  // Every record once: version 1 wrote a prefix of the stream, version 2 the rest.
  auto ver = lines_of(read_file(dir_ / "ver.txt"));
  ASSERT_EQ(ver.size(), static_cast<std::size_t>(written_.load()));
  std::size_t switched = 0;
  while (switched < ver.size() && ver[switched].rfind("1:", 0) == 0) ++switched;
  ASSERT_GT(switched, 0u);
  ASSERT_LT(switched, ver.size());
  for (std::size_t i = 0; i < ver.size(); ++i) {
    ASSERT_EQ(ver[i], (i < switched ? "1:" : "2:") + numbered(static_cast<int>(i))) << "line " << i;
  }
}

TEST_F(ReloadPipeline, AChangedSourceResumesAfterTheLastCommittedLine) {
  auto with_source = [&](const std::string& source_extra) {
    return "name: copy\nsource:\n  plugin: file\n  config: { path: in.ndjson, follow: true, position_file: in.pos" +
           source_extra +
           " }\nsinks:\n  - { id: out, plugin: file, config: { path: out.ndjson } }\n"
           "runtime: { batch_max: 50 }\n";
  };
  write_file(dir_ / "p.yaml", with_source(""));
  Process p = start();
  ASSERT_TRUE(p.wait_stderr("is running", 30s)) << p.err();
  start_writer();
  ASSERT_TRUE(has_lines("out.ndjson", 2000)) << p.err();
  write_file(dir_ / "p.yaml", with_source(", stream: renamed"));
  p.signal(SIGHUP);
  ASSERT_TRUE(p.wait_stderr("reload #1 applied", 30s)) << p.err();
  EXPECT_NE(p.err().find("reload #1: opening source 'file'"), std::string::npos) << p.err();
  std::size_t at_reload = lines_of(read_file(dir_ / "out.ndjson")).size();
  ASSERT_TRUE(has_lines("out.ndjson", at_reload + 2000)) << p.err();
  stop_writer();
  ASSERT_TRUE(has_lines("out.ndjson", static_cast<std::size_t>(written_.load()))) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(20s), 0) << p.err();
  // The old source was closed after its last commit and the new one started from there:
  // no line lost, none read twice.
  expect_everything_once("out.ndjson", p);
  EXPECT_EQ(read_file(dir_ / "in.pos"), std::to_string(written_.load()) + "\n");
}

}  // namespace
}  // namespace sluice::test
