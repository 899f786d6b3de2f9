#include "answer_written.hpp"

#include <future>
#include <memory>

namespace sluice::http {

void wait_until_written(Pistache::Async::Promise<ssize_t>& sent, std::chrono::milliseconds bound) {
  if (sent.isFulfilled() || sent.isRejected()) return;
  // Shared with the callbacks: they may run after a wait that gave up.
  auto settled = std::make_shared<std::promise<void>>();
  auto written = settled->get_future();
  sent.then([settled](ssize_t) { settled->set_value(); }, [settled](std::exception_ptr) { settled->set_value(); });
  written.wait_for(bound);
}

}  // namespace sluice::http
