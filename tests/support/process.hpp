// Test helpers for starting the real binaries (sluice run, sluice broker, postgres) as child
// processes, waiting on conditions, and ending them by pid.
#pragma once

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
  bool running();
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
};

// Runs to completion (or timeout, then SIGKILL) and returns exit code and output.
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};
RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 60s,
              Process::Options options = {});

// Polls `condition` every `step` until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = 20ms);

// A TCP port on 127.0.0.1 free at the time of the call.
int free_port();
// `name` found on PATH (run() execs a path, not a name); `name` itself when not found.
std::string find_on_path(const std::string& name);

// A fresh empty folder under the build tree's test scratch area; kept after the test for
// inspection, removed at the next run.
std::filesystem::path scratch_dir(const std::string& name);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

// Paths of the build under test (set by CMake).
std::filesystem::path sluice_binary();      // build/bin/sluice
std::filesystem::path source_dir();         // the repository root
std::filesystem::path fixture_plugin_dir(); // build/tests/fixtures/plugins

}  // namespace sluice::test
