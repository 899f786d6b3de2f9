// What each URL answers. Takes a parsed request, fills a Reply; knows nothing of Pistache,
// so the whole REST surface can be tested without sockets and the HTTP layer stays thin.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http_metrics.hpp"
#include "order_lookup.hpp"
#include "rest_settings.hpp"
#include "static_files.hpp"

namespace sluice {
class Health;
class Metrics;
}  // namespace sluice

namespace sluice::rest {

namespace content_type {
inline constexpr const char* json = "application/json";
inline constexpr const char* prometheus = "text/plain; version=0.0.4; charset=utf-8";
}  // namespace content_type

struct RequestView {
  bool is_get = true;
  std::string_view path;                // undecoded, without the query
  std::size_t target_size = 0;          // path + query, for the URL length limit
  std::optional<std::string_view> limit;  // ?limit=N, if given
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

  void clear() {
    status = 200;
    content_type = content_type::json;
    body.clear();
    route = Route::other;
    method_not_allowed = false;
    static_file = false;
  }
};

class RestRoutes {
 public:
  RestRoutes(const RestSettings& settings, OrderLookup lookup, StaticFiles files, Metrics& metrics,
             Health& health);

  void handle(const RequestView& request, Reply& reply) const;

 private:
  void order(std::string_view uid, Reply& reply) const;
  void recent_orders(std::optional<std::string_view> limit, Reply& reply) const;
  void readyz(Reply& reply) const;
  void static_file(std::string_view path, Reply& reply) const;

  std::size_t max_url_bytes_;
  std::size_t recent_limit_;
  OrderLookup lookup_;
  StaticFiles files_;
  Metrics& metrics_;
  Health& health_;
};

// {"error": message, extra_key: extra_value} with both strings escaped (and invalid UTF-8
// replaced) so any client input can be echoed back safely.
std::string error_json(std::string_view message, std::string_view extra_key = {},
                       std::string_view extra_value = {});

}  // namespace sluice::rest
