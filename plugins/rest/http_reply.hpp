// Writes a Reply to a Pistache response: status, body and the headers it implies. Shared by
// the event loop (answers given inline) and the lookup threads (answers given later).
#pragma once

#include <pistache/async.h>
#include <pistache/http.h>

#include <chrono>
#include <memory>
#include <vector>

#include "http_metrics.hpp"
#include "rest_routes.hpp"

namespace sluice::rest {

// Per-store `X-Sluice-Source: <id>` headers, made once when the server starts: every /order
// answer adds one by reference count, no allocation.
class SourceHeaders {
 public:
  explicit SourceHeaders(const OrderLookup& lookup);
  // nullptr for OrderLookup::no_source.
  const std::shared_ptr<Pistache::Http::Header::Header>* get(std::size_t source) const;

 private:
  std::vector<std::string> ids_;  // the header objects point into these
  std::vector<std::shared_ptr<Pistache::Http::Header::Header>> headers_;
};

// The page's Content-Security-Policy: its own scripts and styles only (the pages have no
// inline script or style), the inline favicon (data:), and never inside a frame (clickjacking).
inline constexpr const char* page_csp =
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// Sends `reply` and counts it (route, status, time since `started`). The promise settles
// once the event loop has written it (or failed to).
Pistache::Async::Promise<ssize_t> send_reply(const Reply& reply, Pistache::Http::ResponseWriter& response,
                                             const SourceHeaders& sources, HttpMetrics& metrics,
                                             std::chrono::steady_clock::time_point started);

// Waits, at most `bound`, until the event loop has written what `sent` stands for. A lookup or
// admin thread that answers waits for it before it is done: stop() waits for those threads,
// then shuts the event loops down, and a write still queued for a loop then would be dropped,
// leaving the client to wait for its own timeout.
void wait_until_written(Pistache::Async::Promise<ssize_t>& sent, std::chrono::milliseconds bound);
// How long a thread waits for its answer to be written (a client that does not read).
inline constexpr std::chrono::milliseconds answer_write_bound{1000};

}  // namespace sluice::rest
