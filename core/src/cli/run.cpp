// sluice run [--watch] [FILE]: run a pipeline until its source ends or SIGINT/SIGTERM;
// SIGHUP (and, with --watch, saving the file or its env file) reloads it in place.
#include <csignal>
#include <mutex>

#include "file_watch.hpp"
#include "log_setup.hpp"
#include "pipeline_loading.hpp"
#include "runtime.hpp"
#include "stop_signals.hpp"

namespace sluice::cli {

namespace {
// Editors write a file in several steps; one reload after they are done.
constexpr auto kWatchDebounce = std::chrono::milliseconds(300);
}  // namespace

Command add_run_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("run",
                                 "Run a pipeline until its source ends or SIGINT/SIGTERM (graceful: stop "
                                 "fetching, drain in-flight batches, commit, exit 0); SIGHUP reloads the "
                                 "file in place");
  auto file = std::make_shared<std::string>();
  auto watch_files = std::make_shared<bool>(false);
  cmd->add_option("file", *file, "Pipeline file (default: config/pipeline.yaml)");
  cmd->add_flag("-w,--watch", *watch_files,
                "Reload when the pipeline file or its env file (--env-file, else ./.env) is saved");
  return {cmd, [file, watch_files, &global]() -> int {
            // Before any plugin thread exists, so every thread inherits the blocked mask; it
            // outlives the Runtime, so a late signal finds its thread still there.
            // Its last words ("second signal") are a log line: --log-format json holds for them.
            StopSignals signals([log = make_logger("signals")](const std::string& line) { log->warn(line); });
            // A server: a peer that hangs up (an HTTP or TLS client, a broker, the database)
            // ends that connection with EPIPE, never the process.
            std::signal(SIGPIPE, SIG_IGN);

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
              for (const auto& line : e.errors()) print_error(line);
              return exit_config;
            }
            // From the signal thread and the watch thread: one at a time (they share the registry).
            std::mutex reload_mutex;
            auto reload = [&] {
              std::lock_guard lock(reload_mutex);
              std::vector<std::string> errors;
              if (auto next = reload_plan(path, global, registry, errors)) {
                runtime->request_reload(std::move(next));
              } else {
                runtime->reject_reload(errors);
              }
            };
            runtime->set_reload_trigger(reload);  // POST /admin/reload
            std::unique_ptr<FileWatch> watcher;
            if (*watch_files) {
              watcher = std::make_unique<FileWatch>(std::vector<std::filesystem::path>{path, env_file(global)},
                                                    kWatchDebounce,
                                                    [&](const std::vector<std::filesystem::path>&) { reload(); });
            }
            // Destroyed before the Runtime: from then on a signal no longer reaches it.
            auto watch = signals.watch([&runtime](const std::string& why) { runtime->request_stop(why); }, reload);
            int code = runtime->run() == 0 ? exit_ok : exit_failure;
            watcher.reset();
            return code;
          }};
}

}  // namespace sluice::cli
