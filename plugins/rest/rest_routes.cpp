#include "rest_routes.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "input_bounds.hpp"
#include "openapi_document.hpp"
#include "percent_decode.hpp"
#include "sluice/health.hpp"
#include "sluice/metrics.hpp"

namespace sluice::rest {

namespace {

constexpr std::string_view order_prefix = "/order/";
constexpr std::size_t default_recent = 20;
// Enough of a bad id to recognise it in the error body without echoing 10 KB back.
constexpr std::size_t max_echoed_uid = 100;
// How long a read-your-writes request may wait for the source to say where a stream ends.
constexpr std::chrono::milliseconds stream_end_timeout{1000};

std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

RestRoutes::RestRoutes(const RestSettings& settings, OrderLookup lookup, StaticFiles files, Metrics& metrics,
                       Health& health, std::shared_ptr<HttpMetrics> http_metrics, StreamEnd stream_end)
    : max_url_bytes_(settings.max_url_bytes),
      recent_limit_(settings.recent_limit),
      lookup_(std::move(lookup)),
      files_(std::move(files)),
      min_position_wait_(settings.min_position_wait),
      metrics_on_main_(settings.metrics_on_main()),
      reads_need_token_(settings.read_needs_token()),
      metrics_(metrics),
      health_(health),
      http_metrics_(std::move(http_metrics)),
      allowed_hosts_(settings.allowed_hosts),
      position_waits_(static_cast<std::size_t>(settings.max_position_waits),
                      http_metrics_ ? &http_metrics_->token_waits_in_progress() : nullptr),
      stream_end_(std::move(stream_end)) {}

RestRoutes::Handled RestRoutes::handle(const RequestView& request, Reply& reply, OrderQuery& deferred) const {
  const std::string_view path = request.path;
  if (path.starts_with(order_prefix)) {
    reply.route = Route::order;
  } else if (path == "/api/orders") {
    reply.route = Route::recent_orders;
  } else if (path == "/healthz") {
    reply.route = Route::healthz;
  } else if (path == "/readyz") {
    reply.route = Route::readyz;
  } else if (path == "/metrics" && metrics_on_main_) {
    reply.route = Route::metrics;
  } else if (path == "/openapi.json") {
    // Built in, ahead of the page folder: the document describes this binary's routes.
    reply.route = Route::openapi;
  } else if (path.starts_with("/admin/") || path == "/metrics") {
    // The admin API (and /metrics when metrics_on: admin) lives on the admin listener only;
    // here it does not exist, whatever the page folder holds.
    reply.route = Route::other;
    reply.status = 404;
    reply.body = error_json("not found");
    return Handled::answered;
  } else {
    reply.route = Route::static_file;
  }

  if (request.target_size > max_url_bytes_) {
    reply.status = 414;
    reply.body = error_json("request target too long", "max_url_bytes", std::to_string(max_url_bytes_));
    return Handled::answered;
  }
  if (!request.is_get) {
    reply.status = 405;
    reply.method_not_allowed = true;
    reply.body = error_json("method not allowed", "allow", "GET");
    return Handled::answered;
  }

  switch (reply.route) {
    case Route::order:
      return order(request, reply, deferred);
    case Route::recent_orders:
      return recent_orders(request.limit, reply, deferred);
    case Route::healthz:
      reply.body = R"({"status":"ok"})";
      break;
    case Route::readyz:
      readyz(reply);
      break;
    case Route::metrics:
      reply.content_type = content_type::prometheus;
      reply.body = metrics_.render();
      break;
    case Route::openapi:
      reply.body = openapi_document();
      break;
    default:
      static_file(path, reply);
      break;
  }
  return Handled::answered;
}

RestRoutes::Handled RestRoutes::order(const RequestView& request, Reply& reply, OrderQuery& deferred) const {
  const std::string_view uid = request.path.substr(order_prefix.size());
  if (!orders::is_order_uid(uid)) {
    reply.status = 400;
    reply.body = error_json("invalid order_uid", "order_uid", uid.substr(0, max_echoed_uid));
    return Handled::answered;
  }
  deferred.clear();
  // Tokens are parsed here, so a bad one is a 400 without ever queueing.
  if (request.min_position_header || request.min_position_query) {
    std::string bad;
    bool ok =
        !request.min_position_header || parse_min_positions(*request.min_position_header, deferred.min_positions, bad);
    if (ok && request.min_position_query) {
      std::string decoded;
      ok = percent_decode(*request.min_position_query, decoded);
      if (!ok) bad.assign(request.min_position_query->substr(0, max_echoed_uid));
      ok = ok && parse_min_positions(decoded, deferred.min_positions, bad);
    }
    if (!ok) {
      reply.status = 400;
      reply.body = error_json("invalid min_position: expected stream/partition@offset", "min_position", bad);
      return Handled::answered;
    }
  }
  if (lookup_.empty()) {
    reply.status = 503;
    reply.body = error_json("no order store configured", "order_uid", uid);
    return Handled::answered;
  }
  if (deferred.min_positions.empty()) {
    // The store writes straight into the reply body: the hot path copies the order once.
    const auto answer = lookup_.find_in_memory(uid, reply.body);
    if (answer.result != OrderLookup::Result::needs_io) {
      answer_order(uid, answer, reply);
      return Handled::answered;
    }
  }
  if (!deferred.min_positions.empty()) {
    // Taken here, on the event loop, so a refused wait never occupies a lookup thread.
    deferred.wait_slot = position_waits_.try_take();
    if (!deferred.wait_slot) {
      if (http_metrics_) http_metrics_->token_waits_refused().inc();
      reply.status = 503;
      reply.retry_after = 1;
      reply.body = error_json("too many read-your-writes requests waiting; try again", "max_position_waits",
                              std::to_string(position_waits_.max()));
      return Handled::answered;
    }
  }
  deferred.uid.assign(uid);
  return Handled::deferred;
}

void RestRoutes::finish(const OrderQuery& query, Reply& reply) const {
  reply.route = query.route;
  if (query.route == Route::recent_orders) {
    std::vector<std::string> uids;
    answer_recent(lookup_.recent(query.limit, uids), query.limit, uids, reply);
    return;
  }
  std::size_t first = 0;
  if (!wait_for_positions(query, reply, first)) return;
  answer_order(query.uid, lookup_.find(query.uid, reply.body, first), reply);
}

bool RestRoutes::wait_for_positions(const OrderQuery& query, Reply& reply, std::size_t& first) const {
  using Clock = std::chrono::steady_clock;
  if (query.min_positions.empty()) return true;
  const auto started = Clock::now();
  // One deadline for the whole request: 16 tokens never wait 16 times as long.
  const auto deadline = started + min_position_wait_;
  for (const auto& wanted : query.min_positions) {
    std::size_t judge = 0;
    // Already reflected by an in-memory store (the default chain's cache, the common case): no
    // question to the source. Else a position beyond the stream's end is refused before it
    // holds this thread for the whole wait.
    Reach reach = judge_position(wanted.position, Clock::now(), judge, /*memory_only=*/true);
    if (reach != Reach::reached) {
      if (beyond_stream_end(wanted, reply)) return false;
      reach = judge_position(wanted.position, deadline, judge, /*memory_only=*/false);
    }
    if (reach == Reach::unknown) {
      reply.status = 409;
      reply.body = error_json("no store of this instance can check positions", "min_position", wanted.token);
      return false;
    }
    http_metrics_->token_waits().inc();
    if (reach == Reach::not_yet) {
      http_metrics_->token_timeouts().inc();
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
      reply.status = 409;
      reply.body = dump(nlohmann::json{
          {"error", "position not yet committed"}, {"min_position", wanted.token}, {"waited_ms", waited.count()}});
      return false;
    }
    // Stores before the judge could not vouch for this position, so they may still serve an
    // older version: reads start at the latest judge (later stores are the more complete).
    first = std::max(first, judge);
  }
  return true;
}

Reach RestRoutes::judge_position(const Position& position, std::chrono::steady_clock::time_point deadline,
                                 std::size_t& judge, bool memory_only) const {
  const auto& chain = lookup_.chain();
  for (judge = 0; judge < chain.size(); ++judge) {
    if (memory_only && !chain[judge].store->answers_from_memory()) return Reach::unknown;
    Reach reach = Reach::unknown;
    try {
      reach = chain[judge].store->wait_for(position, deadline);
    } catch (...) {
      reach = Reach::unknown;  // a store that cannot say is no judge
    }
    if (reach != Reach::unknown) return reach;
  }
  return Reach::unknown;
}

bool RestRoutes::beyond_stream_end(const MinPosition& wanted, Reply& reply) const {
  if (!stream_end_) return false;
  // Short: a broker that does not answer soon leaves the decision to the wait, as before.
  std::optional<std::int64_t> end;
  try {
    end = stream_end_(wanted.position, std::min(stream_end_timeout, min_position_wait_));
  } catch (...) {
    end.reset();  // a host that cannot say leaves the decision to the wait
  }
  // position.offset is the next offset after the wanted message: it exists once the end
  // (the next offset the partition will write) has reached it.
  if (!end || wanted.position.offset <= *end) return false;
  if (http_metrics_) http_metrics_->token_beyond_end().inc();
  reply.status = 409;
  reply.body = dump(nlohmann::json{
      {"error", "position beyond the end of the stream"}, {"min_position", wanted.token}, {"end_offset", *end}});
  return true;
}

void RestRoutes::answer_order(std::string_view uid, const OrderLookup::Answer& answer, Reply& reply) const {
  reply.source = answer.source;
  switch (answer.result) {
    case OrderLookup::Result::found:
      reply.version = answer.version;
      reply.stale = answer.stale;
      return;
    case OrderLookup::Result::not_found:
      reply.status = 404;
      reply.body = error_json("order not found", "order_uid", uid);
      return;
    case OrderLookup::Result::unavailable:
    case OrderLookup::Result::needs_io:
      reply.status = 503;
      reply.body = error_json("order store unavailable", "order_uid", uid);
      return;
  }
}

RestRoutes::Handled RestRoutes::recent_orders(std::optional<std::string_view> limit_text, Reply& reply,
                                              OrderQuery& deferred) const {
  std::size_t limit = std::min(default_recent, recent_limit_);
  if (limit_text) {
    constexpr IntegerRange range{1};
    std::int64_t parsed = 0;
    if (!parse_integer(*limit_text, range, parsed)) {
      reply.status = 400;
      reply.body =
          range_error("limit", range, *limit_text,
                      " (above " + std::to_string(recent_limit_) + " counts as " + std::to_string(recent_limit_) + ")");
      return Handled::answered;
    }
    // A too-large limit is capped, not refused.
    limit = std::min(static_cast<std::size_t>(parsed), recent_limit_);
  }
  std::vector<std::string> uids;
  // With the default chain the cache lists, from memory; a database that lists does I/O.
  const auto result = lookup_.recent(limit, uids, /*memory_only=*/true);
  if (result == OrderLookup::RecentResult::needs_io) {
    deferred.clear();
    deferred.route = Route::recent_orders;
    deferred.limit = limit;
    return Handled::deferred;
  }
  answer_recent(result, limit, uids, reply);
  return Handled::answered;
}

void RestRoutes::answer_recent(OrderLookup::RecentResult result, std::size_t limit,
                               const std::vector<std::string>& uids, Reply& reply) const {
  switch (result) {
    case OrderLookup::RecentResult::ok:
    case OrderLookup::RecentResult::unsupported:
      // No store can list: an empty list, so the page simply shows none.
      reply.body = dump(nlohmann::json{{"orders", uids}, {"limit", limit}});
      return;
    case OrderLookup::RecentResult::unavailable:
    case OrderLookup::RecentResult::needs_io:
      reply.status = 503;
      reply.body = error_json("order store unavailable");
      return;
  }
}

void RestRoutes::readyz(Reply& reply) const {
  // Component names only: the reasons can hold host names, users and database errors, which
  // an open endpoint must not hand out. They are in the log, where each component reported them.
  const auto not_ready = not_ready_components(health_);
  if (not_ready.empty()) {
    reply.body = R"({"status":"ready"})";
    return;
  }
  reply.status = 503;
  reply.body = dump(nlohmann::json{{"status", "not ready"}, {"not_ready", not_ready}});
}

std::vector<std::string> not_ready_components(const Health& health) {
  std::vector<std::string> names;
  for (const auto& [name, state] : health.snapshot()) {
    if (!state.first) names.push_back(name);
  }
  return names;
}

void RestRoutes::static_file(std::string_view path, Reply& reply) const {
  const char* type = nullptr;
  switch (files_.read(path, reply.body, type)) {
    case StaticResult::ok:
      reply.content_type = type;
      reply.static_file = true;
      return;
    case StaticResult::bad_request:
      reply.status = 400;
      reply.body = error_json("invalid path");
      return;
    case StaticResult::not_found:
      reply.status = 404;
      reply.body = error_json("not found");
      return;
  }
}

}  // namespace sluice::rest
