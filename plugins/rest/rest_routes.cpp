#include "rest_routes.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "sluice/health.hpp"
#include "sluice/metrics.hpp"

namespace sluice::rest {

namespace {

constexpr std::string_view order_prefix = "/order/";
constexpr std::size_t default_recent = 20;
// Enough of a bad id to recognise it in the error body without echoing 10 KB back.
constexpr std::size_t max_echoed_uid = 100;

std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string error_json(std::string_view message, std::string_view extra_key, std::string_view extra_value) {
  nlohmann::json body{{"error", message}};
  if (!extra_key.empty()) body[std::string(extra_key)] = extra_value;
  return dump(body);
}

RestRoutes::RestRoutes(const RestSettings& settings, OrderLookup lookup, StaticFiles files, Metrics& metrics,
                       Health& health)
    : max_url_bytes_(settings.max_url_bytes),
      recent_limit_(settings.recent_limit),
      lookup_(std::move(lookup)),
      files_(std::move(files)),
      metrics_(metrics),
      health_(health) {}

void RestRoutes::handle(const RequestView& request, Reply& reply) const {
  const std::string_view path = request.path;
  if (path.starts_with(order_prefix)) {
    reply.route = Route::order;
  } else if (path == "/api/orders") {
    reply.route = Route::recent_orders;
  } else if (path == "/healthz") {
    reply.route = Route::healthz;
  } else if (path == "/readyz") {
    reply.route = Route::readyz;
  } else if (path == "/metrics") {
    reply.route = Route::metrics;
  } else {
    reply.route = Route::static_file;
  }

  if (request.target_size > max_url_bytes_) {
    reply.status = 414;
    reply.body = error_json("request target too long", "max_url_bytes", std::to_string(max_url_bytes_));
    return;
  }
  if (!request.is_get) {
    reply.status = 405;
    reply.method_not_allowed = true;
    reply.body = error_json("method not allowed", "allow", "GET");
    return;
  }

  switch (reply.route) {
    case Route::order: return order(path.substr(order_prefix.size()), reply);
    case Route::recent_orders: return recent_orders(request.limit, reply);
    case Route::healthz: reply.body = R"({"status":"ok"})"; return;
    case Route::readyz: return readyz(reply);
    case Route::metrics:
      reply.content_type = content_type::prometheus;
      reply.body = metrics_.render();
      return;
    default: return static_file(path, reply);
  }
}

void RestRoutes::order(std::string_view uid, Reply& reply) const {
  if (!valid_order_uid(uid)) {
    reply.status = 400;
    reply.body = error_json("invalid order_uid", "order_uid", uid.substr(0, max_echoed_uid));
    return;
  }
  if (lookup_.empty()) {
    reply.status = 503;
    reply.body = error_json("no order store configured", "order_uid", uid);
    return;
  }
  // The store writes straight into the reply body: the hot path copies the order once.
  switch (lookup_.find(uid, reply.body)) {
    case OrderLookup::Result::found: return;
    case OrderLookup::Result::not_found:
      reply.status = 404;
      reply.body = error_json("order not found", "order_uid", uid);
      return;
    case OrderLookup::Result::unavailable:
      reply.status = 503;
      reply.body = error_json("order store unavailable", "order_uid", uid);
      return;
  }
}

void RestRoutes::recent_orders(std::optional<std::string_view> limit_text, Reply& reply) const {
  std::size_t limit = std::min(default_recent, recent_limit_);
  if (limit_text) {
    std::size_t parsed = 0;
    const char* first = limit_text->data();
    const char* last = first + limit_text->size();
    auto [end, ec] = std::from_chars(first, last, parsed);
    if (limit_text->empty() || ec != std::errc() || end != last || parsed == 0) {
      reply.status = 400;
      reply.body = error_json("invalid limit: expected a positive integer", "limit",
                              limit_text->substr(0, max_echoed_uid));
      return;
    }
    limit = std::min(parsed, recent_limit_);  // a too-large limit is capped, not refused
  }
  std::vector<std::string> uids;
  switch (lookup_.recent(limit, uids)) {
    case OrderLookup::RecentResult::ok:
    case OrderLookup::RecentResult::unsupported:
      // No store can list: an empty list, so the page simply shows none.
      reply.body = dump(nlohmann::json{{"orders", uids}, {"limit", limit}});
      return;
    case OrderLookup::RecentResult::unavailable:
      reply.status = 503;
      reply.body = error_json("order store unavailable");
      return;
  }
}

void RestRoutes::readyz(Reply& reply) const {
  std::string why;
  if (health_.ready(&why)) {
    reply.body = R"({"status":"ready"})";
    return;
  }
  reply.status = 503;
  reply.body = dump(nlohmann::json{{"status", "not ready"}, {"reason", why}});
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
