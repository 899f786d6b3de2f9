#include "file_watch.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <exception>
#include <string_view>
#include <system_error>

#include "log_setup.hpp"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

// The directory is watched, not the file: editors that save by renaming a new file over the
// old one (or by deleting and re-creating it) leave a watch on the file's inode pointing at a
// file that is gone. A directory watch sees every name, and events are filtered by name.
//
// IN_CLOSE_WRITE, not IN_MODIFY: a writer that writes in several write() calls (or truncates
// first, as `>` does) is done only when it closes, and a pause between its writes longer than
// the debounce must not reload half a file. IN_CREATE is left out for the same reason: a file
// created by open() has its IN_CLOSE_WRITE to come. IN_MOVED_TO is a finished file renamed
// onto the name; IN_DELETE and IN_MOVED_FROM mean the name lost its content (and, followed by
// a re-creation within the debounce, merge with it into one change).
// IN_ONLYDIR: a parent that is not a directory fails here rather than watching nothing.
constexpr std::uint32_t kDirectoryEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR;

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

}  // namespace

FileWatch::FileWatch(std::vector<fs::path> files, std::chrono::milliseconds debounce, Changed changed)
    : debounce_(debounce), changed_(std::move(changed)), log_(make_logger("watch")) {
  try {
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    // Usually EMFILE: fs.inotify.max_user_instances (128 by default) is per user, not process.
    if (inotify_fd_ < 0) fail(errno, "cannot watch " + (files.empty() ? "files" : files.front().string()));
    for (auto& file : files) {
      // Absolute and lexically normal, so "./pipeline.yaml" and "pipeline.yaml" are one file
      // and a later chdir does not move the watch.
      fs::path absolute = fs::absolute(file).lexically_normal();
      std::string name = absolute.filename().string();
      if (name.empty()) fail(EISDIR, "cannot watch " + file.string() + ": not a file name");
      // Adding the same directory again returns its existing watch: files in one directory share it.
      int dir_watch = inotify_add_watch(inotify_fd_, absolute.parent_path().c_str(), kDirectoryEvents);
      if (dir_watch < 0) fail(errno, "cannot watch " + file.string() + " (in " + absolute.parent_path().string() + ")");
      bool known = std::any_of(files_.begin(), files_.end(),
                               [&](const Watched& w) { return w.dir_watch == dir_watch && w.name == name; });
      if (!known) files_.push_back({std::move(file), dir_watch, std::move(name)});
    }
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) fail(errno, "cannot watch " + (files_.empty() ? "files" : files_.front().given.string()));
    thread_ = std::thread([this] { loop(); });
  } catch (...) {
    // No destructor runs for a constructor that throws.
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    throw;
  }
}

FileWatch::~FileWatch() {
  const std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  ::close(inotify_fd_);
}

void FileWatch::loop() {
  using Clock = std::chrono::steady_clock;
  std::vector<bool> pending(files_.size(), false);
  bool any_pending = false;
  Clock::time_point quiet_until;
  while (true) {
    // The debounce is the poll timeout after the last event for a watched file; events for
    // other names in the directory (swap files, backups) neither start nor extend it.
    int timeout = -1;
    if (any_pending) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(quiet_until - Clock::now()).count();
      if (left <= 0) {
        std::vector<fs::path> changed;
        for (std::size_t i = 0; i < files_.size(); ++i) {
          if (pending[i]) changed.push_back(files_[i].given);
        }
        std::fill(pending.begin(), pending.end(), false);
        any_pending = false;
        try {
          changed_(changed);
        } catch (const std::exception& e) {
          log_->error("handling a change to {} failed: {}", changed.front().string(), e.what());
        } catch (...) {
          log_->error("handling a change to {} failed", changed.front().string());
        }
        continue;
      }
      timeout = static_cast<int>(std::min<decltype(left)>(left, INT_MAX));
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, timeout) < 0) {
      if (errno == EINTR) continue;
      log_->error("file watch stopped: poll failed: {}", std::generic_category().message(errno));
      return;
    }
    if (fds[1].revents != 0) return;  // the destructor
    if (fds[0].revents != 0) {
      int marked = read_events(pending);
      if (marked < 0) return;
      if (marked > 0) {
        any_pending = true;
        quiet_until = Clock::now() + debounce_;
      }
    }
  }
}

int FileWatch::read_events(std::vector<bool>& pending) {
  alignas(inotify_event) char buffer[16 * 1024];  // room for many events of NAME_MAX names
  int marked = 0;
  while (true) {
    ssize_t size = ::read(inotify_fd_, buffer, sizeof buffer);
    if (size < 0 && errno == EINTR) continue;
    if (size < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return marked;
    if (size <= 0) {
      log_->error("file watch stopped: reading inotify failed: {}", std::generic_category().message(errno));
      return -1;
    }
    for (char* at = buffer; at < buffer + size;) {
      const auto* event = reinterpret_cast<const inotify_event*>(at);
      at += sizeof(inotify_event) + event->len;
      if (event->mask & IN_Q_OVERFLOW) {
        // The kernel's queue was full and events were dropped: any file may have changed.
        std::fill(pending.begin(), pending.end(), true);
        marked = 1;
        continue;
      }
      if (event->mask & IN_IGNORED) {
        // The directory was removed (or its filesystem unmounted): its watch is gone for good.
        for (const auto& file : files_) {
          if (file.dir_watch == event->wd) {
            log_->warn("no longer watching {}: its directory was removed", file.given.string());
          }
        }
        continue;
      }
      if (event->len == 0) continue;       // an event on the directory itself
      std::string_view name(event->name);  // NUL-terminated (and NUL-padded to len)
      for (std::size_t i = 0; i < files_.size(); ++i) {
        if (files_[i].dir_watch == event->wd && files_[i].name == name) {
          pending[i] = true;
          marked = 1;
        }
      }
    }
  }
}

}  // namespace sluice::cli
