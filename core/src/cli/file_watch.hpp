// The file watcher behind `sluice run --watch`: tells when a pipeline file (or an env file)
// has been saved, so the pipeline can be reloaded. Linux inotify, one thread per watcher.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace spdlog {
class logger;
}

namespace sluice::cli {

// Watches files for changes the way editors save them: written in place, or written to a
// temporary file and renamed over the original (vim, VS Code), or deleted and re-created.
// After a change, waits until `debounce` passes with no further change, then calls
// `changed(paths)` once, with the watched paths that changed, from its own thread.
//
// A write in place counts when the writer closes the file, not at each write(): a slow writer
// never gets its half-written file reloaded. A deletion or a rename away counts too (the name
// no longer holds what was loaded). Paths are reported as given to the constructor. Not seen:
// a hard link or symlink made at a watched name with ln (no write, no rename), changes behind
// a symlinked file (the link's directory is watched, not the target's), and changes once the
// watched directory itself is removed (logged as a warning) or renamed (not logged).
class FileWatch {
 public:
  using Changed = std::function<void(const std::vector<std::filesystem::path>& changed)>;
  // Starts watching at once. Paths that do not exist yet are watched too (their creation is a change).
  // Throws std::system_error when inotify cannot be set up (message names the path).
  FileWatch(std::vector<std::filesystem::path> files, std::chrono::milliseconds debounce, Changed changed);
  // Stops the thread; after it returns `changed` is not running and never called again.
  // Must not be called from within `changed` (the thread cannot join itself).
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

 private:
  // One watched file: the inotify watch of its directory (shared by files in the same
  // directory) and its name in that directory.
  struct Watched {
    std::filesystem::path given;
    int dir_watch;
    std::string name;
  };

  void loop();
  // Reads all queued events and marks the watched files they name. Returns 1 if any was
  // marked, 0 if none, -1 if inotify cannot be read any more.
  int read_events(std::vector<bool>& pending);

  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: the destructor writes it to end the thread's poll()
  std::vector<Watched> files_;
  std::chrono::milliseconds debounce_;
  Changed changed_;
  std::shared_ptr<spdlog::logger> log_;
  std::thread thread_;
};

}  // namespace sluice::cli
