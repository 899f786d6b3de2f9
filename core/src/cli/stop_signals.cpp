#include "stop_signals.hpp"

#include <pthread.h>
#include <unistd.h>

namespace sluice::cli {

StopSignals::StopSignals(SayFn say, ClockFn clock) : say_(std::move(say)), clock_(std::move(clock)) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

StopSignals::~StopSignals() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
    stop_ = nullptr;
    reload_ = nullptr;
  }
  // Wakes sigwait; the thread sees quit_ and ends.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

StopSignals::Watch StopSignals::watch(StopFn stop, ReloadFn reload) {
  {
    std::lock_guard lock(mutex_);
    stop_ = std::move(stop);
    reload_ = std::move(reload);
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  return Watch(*this);
}

void StopSignals::release() {
  std::lock_guard lock(mutex_);
  stop_ = nullptr;
  reload_ = nullptr;
}

int StopSignals::taken() const {
  std::lock_guard lock(mutex_);
  return taken_;
}

void StopSignals::loop() {
  while (true) {
    int sig = 0;
    if (sigwait(&set_, &sig) != 0) continue;
    // Held while stop_ runs, so release() cannot return in the middle of a call.
    std::lock_guard lock(mutex_);
    if (quit_) return;
    if (sig == SIGHUP) {
      if (reload_) reload_();
      continue;
    }
    take_stop_signal(sig);
  }
}

void StopSignals::take_stop_signal(int sig) {
  const auto now = clock_();
  ++taken_;
  if (!first_stop_) {
    first_stop_ = now;
    // Released: the pipeline has already ended and the process is on its way out; the
    // signal still counts, so a second one ends a slow teardown at once.
    if (stop_) stop_(std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + " received (send it again to exit at once)");
    return;
  }
  // Ctrl-C in a terminal reaches every process of its group, and the script that started this
  // one sends SIGTERM on Ctrl-C too: one stop, delivered twice. A person asking again to exit
  // at once does so later than this.
  if (now - *first_stop_ < kRepeatWindow) return;
  static constexpr char line[] = "second signal: exiting without draining";
  if (say_) {
    say_(line);  // the logger flushes every line, so it is out before _exit
  } else {
    (void)!write(STDERR_FILENO, line, sizeof line - 1);
    (void)!write(STDERR_FILENO, "\n", 1);
  }
  _exit(130);
}

}  // namespace sluice::cli
