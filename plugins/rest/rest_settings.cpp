#include "rest_settings.hpp"

#include <sched.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

#include "server_keys.hpp"
#include "sluice/status.hpp"

namespace sluice::rest {

// One less than the CPUs this process may use: on the two-core machines we measure on, two
// HTTP threads plus the client (or the pipeline's own threads) meant three busy threads on two
// cores, and wrk's p99 went from ~1.4 ms to ~2.6 ms for a few % more requests per second
// (tests/bench/rest.sh; README, Benchmarks).
int default_threads() {
  cpu_set_t cpus;
  int n = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus)
                                                        : static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(n - 1, 1, 64);
}

namespace {

void check_choice(const std::string& key, const std::string& value, const char* a, const char* b) {
  if (value != a && value != b) {
    throw ConfigError(key, key + " must be \"" + a + "\" or \"" + b + "\", not \"" + value + "\"");
  }
}

}  // namespace

const ConfigMap<RestSettings>& rest_config_map() {
  using S = RestSettings;
  static const ConfigMap<S> map{
      key("listen", &S::listen, "address to listen on: host:port, [ipv6]:port or :port (port 0 picks a free port)",
          listen_conversion("listen")),
      key("static_dir", &S::static_dir,
          "folder of the web page; relative paths are looked up in the working directory, then the share dir"),
      key("lookup", &S::lookup,
          "store ids GET /order/{id} asks in order; a hit in a later store fills the earlier ones")
          .store(),
      key("threads", &S::threads,
          "HTTP worker threads (1..64); 0: one less than the CPUs, at least 1, so the pipeline keeps a core")
          .range(0, 64),
      key("max_request_bytes", &S::max_request_bytes,
          "largest request (line + headers + body) accepted; larger ones get 413")
          .range(1024, 64 * 1024 * 1024),
      key("max_url_bytes", &S::max_url_bytes, "longest request target accepted; longer ones get 414")
          .range(64, 1024 * 1024),
      key("header_timeout_ms", &S::header_timeout,
          "a client that has not sent its whole request head in this time gets 408 and is dropped")
          .range(100, 3600 * 1000),
      key("keepalive_timeout_ms", &S::keepalive_timeout, "idle keep-alive connections are closed after this")
          .range(100, 24 * 3600 * 1000),
      key("recent_limit", &S::recent_limit, "largest limit GET /api/orders?limit=N accepts").range(1, 100000),
      key("lookup_threads", &S::lookup_threads,
          "threads (1..256) for order lookups that may block (a store doing I/O, a read-your-writes wait), "
          "so they never stall the HTTP event loop")
          .range(1, 256),
      key("lookup_queue", &S::lookup_queue, "lookups waiting for a lookup thread; when full, 503 at once")
          .range(1, 1000000),
      key("lookup_timeout_ms", &S::lookup_timeout,
          "a lookup still waiting for a thread after this gets 503 without touching a store")
          .range(1, 600000),
      key("min_position_wait_ms", &S::min_position_wait,
          "how long (at most 60000) GET /order waits for a Sluice-Min-Position to be reached before 409")
          .range(0, 60000),
      key("max_position_waits", &S::max_position_waits,
          "read-your-writes requests (Sluice-Min-Position) that may wait at once, each holding a lookup "
          "thread; more get 503 with Retry-After. 0: half of lookup_threads, at least 1")
          .range(0, 256),
      key("tokens_file", &S::tokens_file,
          "file of API tokens, one `<role> <token>` a line (role read or admin; admin implies read; "
          "tokens at least 16 characters; # comments); read at start and at every reload, refused unless only its "
          "owner may access it "
          "(mode 600); empty: none"),
      key("tokens_env", &S::tokens_env, http::server_key_docs::tokens_env),
      key("read_auth", &S::read_auth,
          "token: orders (GET /order/..., /api/orders) and /metrics need a read or admin token "
          "(Authorization: Bearer ...), and start fails without one; open: GET /order/... and /metrics "
          "need none (the demo; a warning unless listen is loopback), while the listing /api/orders "
          "still does; /healthz, /readyz stay open"),
      key("metrics_on", &S::metrics_on,
          "main: /metrics on this listener; none: not here (the admin API serves it with admin: {metrics: true}). "
          "It needs a token exactly when orders do (read_auth: token)"),
      key("auth_failures_burst", &S::auth_failures_burst, http::server_key_docs::auth_failures_burst).range(1, 100000),
      key("auth_failures_refill_ms", &S::auth_failures_refill, http::server_key_docs::auth_failures_refill)
          .range(1, 3600 * 1000),
      key("tls_cert", &S::tls_cert, http::server_key_docs::tls_cert),
      key("tls_key", &S::tls_key, http::server_key_docs::tls_key),
      key("trusted_proxies", &S::trusted_proxies, http::server_key_docs::trusted_proxies),
      key("allowed_hosts", &S::allowed_hosts,
          "host names (and addresses) answered for, without port; a request with another "
          "Host gets 421 (against DNS rebinding), /healthz and /readyz excepted. Empty: any Host"),
  };
  return map;
}

RestSettings parse_settings(const Config& config) {
  RestSettings settings = rest_config_map().parse(config);
  if (settings.static_dir.empty()) throw ConfigError("static_dir", "static_dir must not be empty");
  if (settings.threads == 0) settings.threads = default_threads();
  if (settings.max_position_waits == 0) settings.max_position_waits = std::max(1, settings.lookup_threads / 2);
  if (settings.max_url_bytes >= settings.max_request_bytes) {
    // Pistache answers 413 for a request over max_request_bytes before we see it; keep the
    // URL limit below it so long URLs get the clearer 414.
    throw ConfigError("max_url_bytes", "max_url_bytes must be smaller than max_request_bytes");
  }
  check_choice("read_auth", settings.read_auth, "open", "token");
  if (settings.metrics_on == "admin") {
    // Read from older pipeline files: the planner turns it into the admin API's `metrics: true`
    // (README, "Operating Sluice"); a config that reaches the plugin with it skipped that.
    throw ConfigError("metrics_on",
                      "metrics_on: admin moved to the admin API: write metrics_on: none here and "
                      "`admin: {metrics: true}` at the top of the pipeline file");
  }
  check_choice("metrics_on", settings.metrics_on, "main", "none");
  http::check_server_keys(settings.trusted_proxies, settings.tls_cert, settings.tls_key, settings.listen);
  return settings;
}

}  // namespace sluice::rest
