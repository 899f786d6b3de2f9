// Waiting for an answer to be written (plugins/common/http/answer_written.hpp) while the event
// loop resolves the promise on its own thread, as ResponseWriter::send's promise is.
#include "answer_written.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <thread>

using namespace sluice::http;
using namespace std::chrono_literals;
using Pistache::Async::Deferred;
using Pistache::Async::Promise;

namespace {

// A promise made as ResponseWriter::send makes it: the write's promise, chained through a
// continuation that returns a promise; `resolve` plays the event loop finishing the write.
struct SentAnswer {
  std::optional<Deferred<ssize_t>> write;
  Promise<ssize_t> sent = Promise<ssize_t>([this](Deferred<ssize_t> d) { write.emplace(std::move(d)); })
                              .then<std::function<Promise<ssize_t>(ssize_t)>, std::function<void(std::exception_ptr&)>>(
                                  [](ssize_t n) { return Promise<ssize_t>::resolved(n); },
                                  [](std::exception_ptr& e) { return Promise<ssize_t>::rejected(e); });
};

}  // namespace

// With a continuation attached from the waiting thread this lost the wake-up (or crashed in
// the event loop) now and then; polling the atomic state cannot.
TEST(AnswerWritten, ReturnsOnceTheEventLoopResolvedTheAnswerEvenWhenBothRace) {
  for (int i = 0; i < 2000; ++i) {
    SentAnswer answer;
    std::atomic<bool> go = false;
    std::thread event_loop([&] {
      while (!go) {
      }
      answer.write->resolve(static_cast<ssize_t>(i));
    });
    go = true;
    wait_until_written(answer.sent, 30s);
    EXPECT_TRUE(answer.sent.isFulfilled());
    event_loop.join();
  }
}

// A write that failed: the write's own promise is rejected. (The chained one send returns is
// not: Pistache 0.0.5 rejects only the first link, so there the bound ends the wait.)
TEST(AnswerWritten, ARejectedWriteEndsTheWaitToo) {
  std::optional<Deferred<ssize_t>> write;
  Promise<ssize_t> sent([&](Deferred<ssize_t> d) { write.emplace(std::move(d)); });
  std::thread event_loop([&] { write->reject(std::runtime_error("connection reset")); });
  wait_until_written(sent, 30s);
  EXPECT_TRUE(sent.isRejected());
  event_loop.join();
}

TEST(AnswerWritten, AnAnswerNeverWrittenEndsTheWaitAtItsBound) {
  SentAnswer answer;
  wait_until_written(answer.sent, 20ms);
  EXPECT_TRUE(answer.sent.isPending());
}
