#include "http_metrics.hpp"

#include <string>

namespace sluice::http {

namespace {

// Seconds; fine-grained below a millisecond because that is where a cache hit lives.
const std::vector<double> latency_bounds{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                         0.005,   0.01,   0.025,   0.05,   0.1,   0.5};

}  // namespace

const char* route_label(Route route) {
  switch (route) {
    case Route::order:
      return "/order/{order_uid}";
    case Route::recent_orders:
      return "/api/orders";
    case Route::healthz:
      return "/healthz";
    case Route::readyz:
      return "/readyz";
    case Route::metrics:
      return "/metrics";
    case Route::openapi:
      return "/openapi.json";
    case Route::static_file:
      return "static";
    case Route::admin:
      return "/admin/*";
    case Route::other:
      return "other";
    case Route::count_:
      break;
  }
  return "other";
}

HttpMetrics::HttpMetrics(Metrics& registry)
    : registry_(registry),
      lookup_timeouts_(registry.counter("sluice_http_lookup_timeouts_total",
                                        "Order lookups answered 503 because they waited longer than "
                                        "lookup_timeout_ms for a lookup thread")),
      lookup_queue_full_(registry.counter("sluice_http_lookup_queue_full_total",
                                          "Order lookups answered 503 at once because lookup_queue was full")),
      lookup_queue_depth_(
          registry.gauge("sluice_http_lookup_queue_depth", "Order lookups waiting for a lookup thread")),
      token_waits_(registry.counter("sluice_http_token_waits_total",
                                    "Read-your-writes positions (Sluice-Min-Position) checked against a store")),
      token_timeouts_(registry.counter("sluice_http_token_timeouts_total",
                                       "Read-your-writes positions not reached within min_position_wait_ms (409)")),
      token_waits_in_progress_(registry.gauge("sluice_http_token_waits_in_progress",
                                              "Read-your-writes requests waiting for their positions now")),
      token_waits_refused_(registry.counter("sluice_http_token_waits_refused_total",
                                            "Read-your-writes requests answered 503 because max_position_waits "
                                            "were already waiting")),
      token_beyond_end_(registry.counter("sluice_http_token_beyond_end_total",
                                         "Read-your-writes positions answered 409 at once: beyond the end of "
                                         "the source's stream")) {}

std::size_t HttpMetrics::code_slot(int status) {
  for (std::size_t i = 0; i < tracked_codes.size(); ++i) {
    if (tracked_codes[i] == status) return i;
  }
  return tracked_codes.size();
}

Counter& HttpMetrics::counter(std::size_t route, std::size_t slot) {
  Counter* known = requests_[route][slot].load(std::memory_order_acquire);
  if (known) return *known;
  // Two threads may race here; the registry returns the same object for the same labels.
  const std::string code = slot < tracked_codes.size() ? std::to_string(tracked_codes[slot]) : "other";
  Counter& created = registry_.counter("sluice_http_requests_total", "HTTP requests answered, by route and status code",
                                       {{"route", route_label(static_cast<Route>(route))}, {"code", code}});
  requests_[route][slot].store(&created, std::memory_order_release);
  return created;
}

Histogram& HttpMetrics::latency(std::size_t route) {
  Histogram* known = latency_[route].load(std::memory_order_acquire);
  if (known) return *known;
  Histogram& created = registry_.histogram("sluice_http_request_duration_seconds",
                                           "Time from a parsed request to its response being queued, by route",
                                           latency_bounds, {{"route", route_label(static_cast<Route>(route))}});
  latency_[route].store(&created, std::memory_order_release);
  return created;
}

void HttpMetrics::record(Route route, int status, std::chrono::steady_clock::duration elapsed) {
  auto r = static_cast<std::size_t>(route);
  counter(r, code_slot(status)).inc();
  latency(r).observe(std::chrono::duration<double>(elapsed).count());
}

}  // namespace sluice::http
