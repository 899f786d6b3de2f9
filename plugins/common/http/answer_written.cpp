#include "answer_written.hpp"

#include <thread>

namespace sluice::http {

namespace {

bool settled(const Pistache::Async::Promise<ssize_t>& sent) { return sent.isFulfilled() || sent.isRejected(); }

}  // namespace

// Polled, not a continuation: in Pistache 0.0.5 the promise ResponseWriter::send returns is
// resolved by the event loop without the promise's lock (Continuation::Chainer in async.h), so
// a `then` attached from this thread at the same moment races with it: the callback is lost
// (the wait ran to its bound) or the event loop reads a vector being grown (a crash in
// Transport::asyncWriteImpl, seen under load). The promise's state is atomic.
void wait_until_written(Pistache::Async::Promise<ssize_t>& sent, std::chrono::milliseconds bound) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + bound;
  // The event loop usually writes within microseconds: yield first, then sleep in short steps.
  for (int polls = 0; !settled(sent); ++polls) {
    if (Clock::now() >= deadline) return;
    if (polls < 100) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
  }
}

}  // namespace sluice::http
