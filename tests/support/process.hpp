// Test helpers for starting the real binaries (sluice run, sluice broker, postgres) as child
// processes, waiting on conditions, and ending them by pid.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::test {

using namespace std::chrono_literals;

// A child process whose stdout and stderr go to files in its own temp folder. The destructor
// kills it (SIGKILL) if it still runs, so a failing test leaves nothing behind.
class Process {
 public:
  struct Options {
    std::map<std::string, std::string> env;  // added to (or replacing in) the inherited env
    std::filesystem::path cwd;               // empty: inherit
    std::string stdin_text;                  // written to the child's stdin, then closed
  };
  Process(std::vector<std::string> argv, Options options);
  explicit Process(std::vector<std::string> argv) : Process(std::move(argv), Options{}) {}
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // The program's file name (argv[0] without its folder), for messages.
  const std::string& name() const { return name_; }
  bool running();
  // Exit code, or 128+signal if killed by a signal; nullopt while it runs.
  std::optional<int> exit_status();
  void signal(int sig);
  // Exit code, or 128+signal if killed by a signal; nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void kill();
  std::string out() const;  // everything written to stdout so far
  std::string err() const;  // everything written to stderr so far
  // Waits until stdout has a complete line; returns the first one.
  std::optional<std::string> first_line(std::chrono::milliseconds timeout) const;
  // Waits until `needle` appears in stderr.
  bool wait_stderr(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path dir_;
  std::string name_;
};

// Runs to completion (or timeout, then SIGKILL) and returns exit code and output.
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};
RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 60s, Process::Options options = {});

// Polls `condition` every `step` until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = 20ms);

// Polls `condition` while `process` runs. Fails at once when the process has exited (unless
// the condition holds after all), naming its exit status and the tail of its stderr: a wait
// for something a process was to do must neither wait out its timeout on a dead process nor
// pass on its death and fail later with a misleading message.
::testing::AssertionResult wait_while_running(Process& process, const std::function<bool()>& condition,
                                              std::chrono::milliseconds timeout, std::chrono::milliseconds step = 20ms);

// A TCP port on 127.0.0.1 that no other test of this machine holds: chosen below the
// kernel's ephemeral range (so no outgoing connection takes it meanwhile) and claimed with a
// lock file under /tmp/sluice-test-ports for as long as this process lives (so a test
// running in parallel never picks it too), and free to bind at the time of the call.
int free_port();
// `name` found on PATH (run() execs a path, not a name); `name` itself when not found.
std::string find_on_path(const std::string& name);

// The running test's own folder in the build tree's test scratch area:
// <executable>/<Suite.Test> (<executable>/<Suite.FirstTest>.setup in a suite's set-up, named
// after the first test the process runs; <executable>/main outside any test). Tests that run
// at the same time (ctest -j) never share one; it is emptied when this process first uses it,
// and kept after the test for inspection.
std::filesystem::path test_scratch_root();
// A fresh empty folder `name` in test_scratch_root().
std::filesystem::path scratch_dir(const std::string& name);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

// Paths of the build under test (set by CMake).
std::filesystem::path sluice_binary();       // build/bin/sluice
std::filesystem::path source_dir();          // the repository root
std::filesystem::path fixture_plugin_dir();  // build/tests/fixtures/plugins

}  // namespace sluice::test
