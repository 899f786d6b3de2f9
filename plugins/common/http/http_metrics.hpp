// Request counters and latency histograms for the REST front end. A (route, code) counter is
// registered with the shared registry the first time it is needed and then kept in a fixed
// slot, so counting a request is an array index and an atomic add; the registry's mutex and
// map are only touched once per slot, and /metrics lists only codes that really happened.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>

#include "sluice/metrics.hpp"

namespace sluice::http {

// Route labels are templates, not raw paths, so the label set stays bounded whatever
// clients send.
enum class Route : std::size_t {
  order,
  recent_orders,
  healthz,
  readyz,
  metrics,
  openapi,
  static_file,
  admin,
  other,
  count_
};

const char* route_label(Route route);

class HttpMetrics {
 public:
  explicit HttpMetrics(Metrics& registry);

  void record(Route route, int status, std::chrono::steady_clock::duration elapsed);

  // Lookups handed to the lookup threads that were refused: still queued at their deadline,
  // or the queue was full. Both mean "add lookup_threads or fix the slow store".
  Counter& lookup_timeouts() { return lookup_timeouts_; }
  Counter& lookup_queue_full() { return lookup_queue_full_; }
  Gauge& lookup_queue_depth() { return lookup_queue_depth_; }
  // Read-your-writes tokens checked against a store, and those not reached in time (409).
  Counter& token_waits() { return token_waits_; }
  Counter& token_timeouts() { return token_timeouts_; }
  // Read-your-writes waits in progress, and those refused (503) because max_position_waits were.
  Gauge& token_waits_in_progress() { return token_waits_in_progress_; }
  Counter& token_waits_refused() { return token_waits_refused_; }
  // Read-your-writes positions refused (409) at once: beyond where the source's stream ends.
  Counter& token_beyond_end() { return token_beyond_end_; }

  // The codes this front end answers with; anything else is counted as code="other".
  static constexpr std::array<int, 16> tracked_codes{200, 304, 400, 401, 403, 404, 405, 408,
                                                     409, 413, 414, 421, 429, 431, 500, 503};

 private:
  static constexpr std::size_t route_count = static_cast<std::size_t>(Route::count_);
  static constexpr std::size_t code_slots = tracked_codes.size() + 1;  // + "other"
  static std::size_t code_slot(int status);

  Counter& counter(std::size_t route, std::size_t slot);
  Histogram& latency(std::size_t route);

  Metrics& registry_;
  std::array<std::array<std::atomic<Counter*>, code_slots>, route_count> requests_{};
  std::array<std::atomic<Histogram*>, route_count> latency_{};
  Counter& lookup_timeouts_;
  Counter& lookup_queue_full_;
  Gauge& lookup_queue_depth_;
  Counter& token_waits_;
  Counter& token_timeouts_;
  Gauge& token_waits_in_progress_;
  Counter& token_waits_refused_;
  Counter& token_beyond_end_;
};

}  // namespace sluice::http
