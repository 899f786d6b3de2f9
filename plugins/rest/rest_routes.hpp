// What each URL answers. Takes a parsed request, fills a Reply; knows nothing of Pistache,
// so the whole REST surface can be tested without sockets and the HTTP layer stays thin.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "allowed_hosts.hpp"
#include "capped_slots.hpp"
#include "http_metrics.hpp"
#include "json_error.hpp"
#include "min_position.hpp"
#include "order_lookup.hpp"
#include "rest_settings.hpp"
#include "static_files.hpp"

namespace sluice {
class Health;
class Metrics;
}  // namespace sluice

namespace sluice::rest {

struct RequestView {
  bool is_get = true;
  std::string_view path;                  // undecoded, without the query
  std::size_t target_size = 0;            // path + query, for the URL length limit
  std::optional<std::string_view> limit;  // ?limit=N, if given
  // Read-your-writes tokens: the Sluice-Min-Position header as sent, and ?min_position= as
  // it appears in the URL (still percent-encoded).
  std::optional<std::string_view> min_position_header;
  std::optional<std::string_view> min_position_query;
};

// A lookup that has to leave the event loop (a store that does I/O must be asked, or tokens
// waited for); owns its strings, since the request is gone by the time it runs.
struct OrderQuery {
  Route route = Route::order;  // or Route::recent_orders
  std::string uid;
  std::vector<MinPosition> min_positions;
  std::size_t limit = 0;            // recent_orders
  std::shared_ptr<void> wait_slot;  // held while min_positions are waited for (CappedSlots)

  void clear() {
    route = Route::order;
    uid.clear();
    min_positions.clear();
    limit = 0;
    wait_slot.reset();
  }
};

// Reused per thread: clear() keeps the body's capacity, so a steady stream of lookups does
// not allocate for the body.
struct Reply {
  int status = 200;
  const char* content_type = content_type::json;
  std::string body;
  Route route = Route::other;
  bool method_not_allowed = false;  // add "Allow: GET"
  bool static_file = false;         // add no-sniff / revalidate headers
  // /order answers: which store of the chain answered (X-Sluice-Source), the version it
  // holds (X-Sluice-Version when > 0), and whether it was a stale fallback (X-Sluice-Stale).
  std::size_t source = OrderLookup::no_source;
  std::int64_t version = 0;
  bool stale = false;
  // Authentication refusals: WWW-Authenticate (401) and Retry-After seconds (429).
  bool auth_challenge = false;
  int retry_after = 0;

  void clear() {
    status = 200;
    content_type = content_type::json;
    body.clear();
    route = Route::other;
    method_not_allowed = false;
    static_file = false;
    source = OrderLookup::no_source;
    version = 0;
    stale = false;
    auth_challenge = false;
    retry_after = 0;
  }
};

// Where a position's partition ends now: the next offset it will write (ApiHost::source_end_offset),
// or nothing when unknown. Asked on a lookup thread, within the timeout.
using StreamEnd = std::function<std::optional<std::int64_t>(const Position&, std::chrono::milliseconds timeout)>;

class RestRoutes {
 public:
  RestRoutes(const RestSettings& settings, OrderLookup lookup, StaticFiles files, Metrics& metrics, Health& health,
             std::shared_ptr<HttpMetrics> http_metrics, StreamEnd stream_end = {});

  enum class Handled { answered, deferred };
  // Answers on the calling thread (the event loop) whatever never blocks: health, metrics,
  // files, and /order when the leading in-memory stores settle it. Anything else fills
  // `deferred` and returns deferred: run finish_order() for it where blocking is fine.
  Handled handle(const RequestView& request, Reply& reply, OrderQuery& deferred) const;
  // On a lookup thread: waits for the read-your-writes tokens, then asks the chain (or lists
  // recent orders).
  void finish(const OrderQuery& query, Reply& reply) const;

  const OrderLookup& lookup() const { return lookup_; }
  const AllowedHosts& allowed_hosts() const { return allowed_hosts_; }
  // Orders or metrics: what needs a read token when read_auth is token. (/metrics only when
  // this listener serves it, else it is a 404 for everyone.)
  bool reads_data(std::string_view path) const {
    return path.starts_with("/order/") || path == "/api/orders" || (metrics_on_main_ && path == "/metrics");
  }
  // What this listener asks a read token for. The listing of recent ids always: with it anyone
  // could walk every customer's order, where read_auth: open only answers ids one already
  // knows (README, "Authentication").
  bool needs_read_token(std::string_view path) const {
    return path == "/api/orders" || (reads_need_token_ && reads_data(path));
  }

 private:
  Handled order(const RequestView& request, Reply& reply, OrderQuery& deferred) const;
  void answer_order(std::string_view uid, const OrderLookup::Answer& answer, Reply& reply) const;
  // The first store of the chain able to judge each token: false (reply filled, 409) if one
  // is not reached in time or none can judge it; else `first`: where reads may start.
  bool wait_for_positions(const OrderQuery& query, Reply& reply, std::size_t& first) const;
  // The first store of the chain that can judge `position` by `deadline` (`judge`), and how.
  // `memory_only`: unknown at the first store that would do I/O to say (a quick look that
  // costs nothing when an in-memory store already reflects the position).
  Reach judge_position(const Position& position, std::chrono::steady_clock::time_point deadline, std::size_t& judge,
                       bool memory_only) const;
  // True (reply filled, 409 at once) when the source says `wanted` lies beyond the end of its
  // partition: no wait could ever see it. Unknown ends: false (the wait decides).
  bool beyond_stream_end(const MinPosition& wanted, Reply& reply) const;
  Handled recent_orders(std::optional<std::string_view> limit, Reply& reply, OrderQuery& deferred) const;
  void answer_recent(OrderLookup::RecentResult result, std::size_t limit, const std::vector<std::string>& uids,
                     Reply& reply) const;
  void readyz(Reply& reply) const;
  void static_file(std::string_view path, Reply& reply) const;

  std::size_t max_url_bytes_;
  std::size_t recent_limit_;
  OrderLookup lookup_;
  StaticFiles files_;
  std::chrono::milliseconds min_position_wait_;
  bool metrics_on_main_;
  bool reads_need_token_;
  Metrics& metrics_;
  Health& health_;
  std::shared_ptr<HttpMetrics> http_metrics_;
  AllowedHosts allowed_hosts_;
  CappedSlots position_waits_;
  StreamEnd stream_end_;
};

// The names of the components Health reports not ready, sorted; without their reasons.
std::vector<std::string> not_ready_components(const Health& health);

}  // namespace sluice::rest
