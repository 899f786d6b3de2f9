// ReplayQueue: an admin thread's replay batch reaches the source thread, and its wait always
// ends: when the pipeline ends the batch, when a reload or a stop closes the queue, or at the
// deadline (a batch still queued is then taken back and never runs).
#include "replay_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "sluice/replay.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using Clock = ReplayQueue::Clock;

Batch batch_of(std::int64_t letter) {
  Batch batch;
  batch.records.push_back(Record{});
  batch.replay = std::make_shared<const ReplayBatch>(ReplayBatch{{letter}, ""});
  return batch;
}

struct Waiter {
  bool ok = false;
  std::string error;
  Batch batch;
};

// run() on a thread of its own, as an admin thread calls it.
std::future<Waiter> run_async(ReplayQueue& queue, std::int64_t letter, Clock::duration wait) {
  return std::async(std::launch::async, [&queue, letter, wait] {
    Waiter w;
    w.batch = batch_of(letter);
    w.ok = queue.run(w.batch, Clock::now() + wait, w.error);
    return w;
  });
}

// The source thread's side: polls take() until something is queued.
std::vector<std::pair<Batch, BatchDone>> take_some(ReplayQueue& queue) {
  for (auto until = Clock::now() + 10s; Clock::now() < until; std::this_thread::sleep_for(1ms)) {
    auto taken = queue.take();
    if (!taken.empty()) return taken;
  }
  return {};
}

TEST(ReplayQueue, AClosedQueueRefusesWithItsReason) {
  ReplayQueue queue;
  Batch batch = batch_of(1);
  std::string error;
  EXPECT_FALSE(queue.run(batch, Clock::now() + 10s, error));
  EXPECT_NE(error.find("not running"), std::string::npos) << error;
  queue.open();
  queue.close("the pipeline is stopping");
  EXPECT_FALSE(queue.run(batch, Clock::now() + 10s, error));
  EXPECT_EQ(error, "the pipeline is stopping");
}

TEST(ReplayQueue, TheWaiterGetsBackWhatThePipelineKept) {
  ReplayQueue queue;
  queue.open();
  auto waiter = run_async(queue, 7, 30s);
  auto taken = take_some(queue);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(dead_letter_id(taken[0].first, 0), 7);
  taken[0].second(taken[0].first, true);
  Waiter w = waiter.get();
  EXPECT_TRUE(w.ok) << w.error;
  ASSERT_EQ(w.batch.records.size(), 1u);
  EXPECT_EQ(dead_letter_id(w.batch, 0), 7);
}

TEST(ReplayQueue, AnAbandonedBatchIsAnError) {
  ReplayQueue queue;
  queue.open();
  auto waiter = run_async(queue, 7, 30s);
  auto taken = take_some(queue);
  ASSERT_EQ(taken.size(), 1u);
  taken[0].second(taken[0].first, false);
  Waiter w = waiter.get();
  EXPECT_FALSE(w.ok);
  EXPECT_NE(w.error.find("abandoned"), std::string::npos) << w.error;
}

// What a reload does before it stops the API the waiter's thread belongs to.
TEST(ReplayQueue, CloseFailsTheQueuedBatchAtOnce) {
  ReplayQueue queue;
  queue.open();
  auto waiter = run_async(queue, 7, 600s);
  // Queued: the waiter is blocked until the close.
  ASSERT_EQ(waiter.wait_for(200ms), std::future_status::timeout);
  const auto closed = Clock::now();
  queue.close("a reload restarted the API");
  ASSERT_EQ(waiter.wait_for(10s), std::future_status::ready);
  EXPECT_LT(Clock::now() - closed, 5s);
  Waiter w = waiter.get();
  EXPECT_FALSE(w.ok);
  EXPECT_EQ(w.error, "a reload restarted the API");
  EXPECT_TRUE(queue.take().empty());
  queue.open();
  Batch again = batch_of(8);
  auto second = std::async(std::launch::async, [&] {
    std::string error;
    return queue.run(again, Clock::now() + 30s, error);
  });
  auto taken = take_some(queue);
  ASSERT_EQ(taken.size(), 1u);
  taken[0].second(taken[0].first, true);
  EXPECT_TRUE(second.get());
}

TEST(ReplayQueue, PastTheDeadlineAQueuedBatchIsTakenBackAndNeverRuns) {
  ReplayQueue queue;
  queue.open();
  Waiter w = run_async(queue, 7, 100ms).get();
  EXPECT_FALSE(w.ok);
  EXPECT_NE(w.error.find("did not take a replay batch in time"), std::string::npos) << w.error;
  EXPECT_TRUE(queue.take().empty());
}

TEST(ReplayQueue, PastTheDeadlineABatchInThePipelineIsLeftToIt) {
  ReplayQueue queue;
  queue.open();
  auto waiter = run_async(queue, 7, 300ms);
  auto taken = take_some(queue);
  ASSERT_EQ(taken.size(), 1u);
  Waiter w = waiter.get();
  EXPECT_FALSE(w.ok);
  EXPECT_NE(w.error.find("not finished in time"), std::string::npos) << w.error;
  // The pipeline ends it later: nobody waits any more, and nothing breaks.
  taken[0].second(taken[0].first, true);
}

}  // namespace
}  // namespace sluice
