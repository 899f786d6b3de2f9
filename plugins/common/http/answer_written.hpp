// Waiting for an answer to leave: a worker thread (lookup, admin) that answers waits for the
// event loop to write it before it is done.
#pragma once

#include <pistache/async.h>

#include <chrono>

namespace sluice::http {

// Waits, at most `bound`, until the event loop has written what `sent` stands for. A lookup or
// admin thread that answers waits for it before it is done: stop() waits for those threads,
// then shuts the event loops down, and a write still queued for a loop then would be dropped,
// leaving the client to wait for its own timeout. A write that failed (the client went) leaves
// send's promise pending in Pistache 0.0.5 (only the first link of its chain is rejected): the
// bound ends that wait.
void wait_until_written(Pistache::Async::Promise<ssize_t>& sent, std::chrono::milliseconds bound);
// How long a thread waits for its answer to be written (a client that does not read).
inline constexpr std::chrono::milliseconds answer_write_bound{1000};

}  // namespace sluice::http
