// SIGINT/SIGTERM/SIGHUP for `sluice run`. Signals are taken by one thread with sigwait, so no
// handler runs in arbitrary threads. The first SIGINT/SIGTERM asks for a graceful stop; a
// second ends the process at once (exit 130), but only when it comes a second or more after the
// first: a terminal's Ctrl-C reaches the whole process group, so a script that also sends
// SIGTERM to its children on Ctrl-C (compose/demo.sh, a supervisor) delivers one stop twice.
// SIGHUP asks for a reload (as nginx and Vector do), each time it comes. The line a second signal leaves goes through
// `say` (the process's logger: with --log-format json it is a JSON line like every other).
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace sluice::cli {

class StopSignals {
 public:
  using StopFn = std::function<void(const std::string& why)>;
  using ReloadFn = std::function<void()>;
  // Writes one line of the process's log; called on the signal thread just before _exit.
  using SayFn = std::function<void(const std::string& line)>;
  // The time a signal is taken at (tests pass their own clock).
  using ClockFn = std::function<std::chrono::steady_clock::time_point()>;
  // A stop signal this soon after the first is the same stop delivered twice (README, "CLI").
  static constexpr std::chrono::milliseconds kRepeatWindow{1000};

  // While watched, the first signal calls the function given to watch(); once the Watch is
  // gone, signals call nothing. Keep it shorter-lived than what the function refers to.
  class [[nodiscard]] Watch {
   public:
    explicit Watch(StopSignals& owner) : owner_(&owner) {}
    Watch(Watch&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    Watch& operator=(Watch&&) = delete;
    ~Watch() {
      if (owner_) owner_->release();
    }

   private:
    StopSignals* owner_;
  };

  // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread. Construct it before any other thread
  // starts, so every thread inherits the mask and only the watching thread takes them.
  // Without `say`, the last line goes to stderr as plain text.
  explicit StopSignals(SayFn say = {}, ClockFn clock = std::chrono::steady_clock::now);
  // Ends the watching thread. The signals stay blocked: the process is about to end.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Starts the watching thread (signals that came earlier are pending and taken now). Without
  // `reload`, SIGHUP is taken and ignored.
  Watch watch(StopFn stop, ReloadFn reload = {});
  // How many SIGINT/SIGTERM the thread has taken, repeats within kRepeatWindow included (for tests).
  int taken() const;

 private:
  // After it returns no signal calls `stop_` again, and a call under way has finished: the
  // Runtime it stops may be destroyed next. Without this a SIGTERM arriving while `sluice run`
  // tears the Runtime down would call request_stop() on freed memory.
  void release();
  void loop();
  // SIGINT or SIGTERM: the first asks for a stop, a later one (past kRepeatWindow) ends the process.
  void take_stop_signal(int sig);

  sigset_t set_;
  const SayFn say_;  // kept after release(): a second signal may come during the teardown
  const ClockFn clock_;
  mutable std::mutex mutex_;
  StopFn stop_;
  ReloadFn reload_;
  int taken_ = 0;
  std::optional<std::chrono::steady_clock::time_point> first_stop_;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace sluice::cli
