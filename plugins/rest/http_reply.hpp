// Writes a Reply to a Pistache response: status, body and the headers it implies. Shared by
// the event loop (answers given inline) and the lookup threads (answers given later).
#pragma once

#include <pistache/async.h>
#include <pistache/http.h>

#include <chrono>
#include <memory>
#include <vector>

#include "answer_written.hpp"
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

// Sends `reply` and counts it (route, status, time since `started`). The promise settles
// once the event loop has written it (or failed to).
Pistache::Async::Promise<ssize_t> send_reply(const Reply& reply, Pistache::Http::ResponseWriter& response,
                                             const SourceHeaders& sources, HttpMetrics& metrics,
                                             std::chrono::steady_clock::time_point started);

}  // namespace sluice::rest
