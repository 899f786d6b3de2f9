// `sluice run`'s signal thread: the first SIGTERM stops the pipeline, a second exits at once
// (unless it comes within a second of the first: then it is the same stop delivered twice), and once the watch is
// released (the Runtime is about to be destroyed) a signal touches nothing. Its own executable: a process-directed
// signal must find no thread but the watcher with SIGTERM unblocked, and ctest runs each test in a fresh process.
#include "cli/stop_signals.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sluice::cli {
namespace {

using namespace std::chrono_literals;

template <class Condition>
bool eventually(Condition condition) {
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    if (condition()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

// A clock the test moves by hand, for the one-second rule.
struct FakeClock {
  std::atomic<std::int64_t> ms{0};
  StopSignals::ClockFn fn() {
    return [this] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms.load())); };
  }
};

TEST(StopSignals, FirstSignalAsksForAStopOnce) {
  StopSignals signals;
  std::mutex mutex;
  std::vector<std::string> calls;
  auto watch = signals.watch([&](const std::string& why) {
    std::lock_guard lock(mutex);
    calls.push_back(why);
  });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return signals.taken() == 1; }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(calls, std::vector<std::string>{"SIGTERM received (send it again to exit at once)"});
}

TEST(StopSignals, EachSighupAsksForAReloadAndNoneStops) {
  StopSignals signals;
  std::atomic<int> reloads = 0;
  std::atomic<int> stops = 0;
  auto watch = signals.watch([&](const std::string&) { ++stops; }, [&] { ++reloads; });
  kill(getpid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return reloads == 1; }));
  kill(getpid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return reloads == 2; }));
  EXPECT_EQ(stops, 0);
  EXPECT_EQ(signals.taken(), 0);  // a SIGTERM after reloads is still the first: graceful
}

TEST(StopSignals, SignalBeforeTheWatchStartsIsNotLost) {
  StopSignals signals;
  ASSERT_EQ(kill(getpid(), SIGINT), 0);  // while the pipeline is still being loaded
  std::atomic<int> calls = 0;
  auto watch = signals.watch([&](const std::string& why) {
    EXPECT_EQ(why.rfind("SIGINT received", 0), 0u) << why;
    ++calls;
  });
  EXPECT_TRUE(eventually([&] { return calls == 1; }));
}

// The bug this guards against: `sluice run` returned from run(), began destroying the
// Runtime, and a SIGTERM then called request_stop() on it.
TEST(StopSignals, AfterTheWatchIsReleasedASignalCallsNothing) {
  StopSignals signals;
  std::atomic<int> calls = 0;
  {
    auto watch = signals.watch([&](const std::string&) { ++calls; });
  }
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return signals.taken() == 1; }));
  EXPECT_EQ(calls, 0);
}

// The signal may come just before the release: the release then waits for the call to end,
// so the Runtime is not destroyed under it.
TEST(StopSignals, ReleaseWaitsForAStopUnderWay) {
  StopSignals signals;
  std::atomic<bool> entered = false, left = false;
  std::optional<StopSignals::Watch> watch(signals.watch([&](const std::string&) {
    entered = true;
    std::this_thread::sleep_for(300ms);
    left = true;
  }));
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  watch.reset();
  EXPECT_TRUE(left);
}

// Ctrl-C in a terminal sends SIGINT to the process group, and the script that started `sluice
// run` (compose/demo.sh) sends SIGTERM on Ctrl-C as well: one stop, delivered twice.
TEST(StopSignals, ASecondSignalWithinASecondIsTheSameStop) {
  FakeClock clock;
  StopSignals signals({}, clock.fn());
  std::atomic<int> stops = 0;
  auto watch = signals.watch([&](const std::string&) { ++stops; });
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  ASSERT_TRUE(eventually([&] { return signals.taken() == 1; }));
  clock.ms = 999;
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return signals.taken() == 2; }));
  // Still here (an exit would have ended this test's process), and stopped once.
  EXPECT_EQ(stops, 1);
}

TEST(StopSignalsDeathTest, SecondSignalASecondLaterExitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        FakeClock clock;
        StopSignals signals({}, clock.fn());
        auto watch = signals.watch([](const std::string&) {});
        kill(getpid(), SIGTERM);
        while (signals.taken() < 1) std::this_thread::sleep_for(1ms);
        clock.ms = 1000;
        kill(getpid(), SIGTERM);
        std::this_thread::sleep_for(10s);
      },
      testing::ExitedWithCode(130), "second signal: exiting without draining");
}

// The window runs from the first signal: a repeat inside it does not move it, so the person's
// own second Ctrl-C later still ends the process.
TEST(StopSignalsDeathTest, ARepeatInsideTheWindowDoesNotPostponeTheExit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        FakeClock clock;
        StopSignals signals({}, clock.fn());
        auto watch = signals.watch([](const std::string&) {});
        kill(getpid(), SIGINT);
        while (signals.taken() < 1) std::this_thread::sleep_for(1ms);
        clock.ms = 500;
        kill(getpid(), SIGTERM);
        while (signals.taken() < 2) std::this_thread::sleep_for(1ms);
        clock.ms = 1200;
        kill(getpid(), SIGINT);
        std::this_thread::sleep_for(10s);
      },
      testing::ExitedWithCode(130), "second signal: exiting without draining");
}

TEST(StopSignals, DestructionEndsTheThreadWithoutASignalBeingTaken) {
  std::atomic<int> calls = 0;
  {
    StopSignals signals;
    auto watch = signals.watch([&](const std::string&) { ++calls; });
  }
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace sluice::cli
