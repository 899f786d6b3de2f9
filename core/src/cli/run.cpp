// sluice run [FILE]: run a pipeline until its source ends or SIGINT/SIGTERM.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "pipeline_loading.hpp"
#include "runtime.hpp"

namespace sluice::cli {

namespace {

// Signals are taken by one thread with sigwait, so no handler runs in arbitrary threads.
// The first SIGINT/SIGTERM asks for a graceful stop; a second one ends the process at once.
void watch_signals(Runtime& runtime, const sigset_t& set) {
  std::thread([&runtime, set] {
    int count = 0;
    while (true) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (++count == 1) {
        runtime.request_stop(std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") +
                             " received (send it again to exit at once)");
      } else {
        const char msg[] = "second signal: exiting without draining\n";
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(130);
      }
    }
  }).detach();
}

}  // namespace

Command add_run_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("run", "Run a pipeline until its source ends or SIGINT/SIGTERM (graceful: stop "
                                        "fetching, drain in-flight batches, commit, exit 0)");
  auto file = std::make_shared<std::string>();
  cmd->add_option("file", *file, "Pipeline file (default: config/pipeline.yaml)");
  return {cmd, [file, &global]() -> int {
            // Block before any plugin thread exists so every thread inherits the mask.
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGINT);
            sigaddset(&set, SIGTERM);
            pthread_sigmask(SIG_BLOCK, &set, nullptr);

            auto env = make_environment(global);
            if (!env) return exit_config;
            auto registry = make_registry(global);
            std::filesystem::path path = file->empty() ? default_pipeline_file() : std::filesystem::path(*file);
            auto plan = load_plan(path, *env, registry);
            if (!plan) return exit_config;
            std::unique_ptr<Runtime> runtime;
            try {
              runtime = std::make_unique<Runtime>(*plan);
            } catch (const ValidationError& e) {
              for (const auto& line : e.errors()) std::cerr << "error: " << line << "\n";
              return exit_config;
            }
            watch_signals(*runtime, set);
            return runtime->run() == 0 ? exit_ok : exit_failure;
          }};
}

}  // namespace sluice::cli
