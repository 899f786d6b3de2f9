#include "admin_settings.hpp"

#include <stdexcept>

#include "server_keys.hpp"
#include "sluice/status.hpp"

namespace sluice::admin {

const ConfigMap<AdminSettings>& admin_config_map() {
  using S = AdminSettings;
  static const ConfigMap<S> map{
      key("listen", &S::listen,
          "address of the admin API (/admin/..., admin token required): host:port, [ipv6]:port or :port "
          "(port 0 picks a free port); only opened when an admin token is configured",
          listen_conversion("listen")),
      key("threads", &S::threads, "threads (1..16) running admin requests, which block (database, replay, reload)")
          .range(1, 16),
      key("max_connections", &S::max_connections,
          "connections the admin API holds at once (1..10000); more are closed as soon as they are accepted")
          .range(1, 10000),
      key("static_dir", &S::static_dir,
          "folder of the operator page (admin.html); relative paths are looked up in the working directory, "
          "then the share dir"),
      key("tokens_file", &S::tokens_file,
          "file of API tokens, one `<role> <token>` a line (role read or admin; tokens at least 16 characters; "
          "# comments); read at start and at every reload, refused unless only its owner may access it "
          "(mode 600); empty: none"),
      key("tokens_env", &S::tokens_env, http::server_key_docs::tokens_env),
      key("auth_failures_burst", &S::auth_failures_burst, http::server_key_docs::auth_failures_burst).range(1, 100000),
      key("auth_failures_refill_ms", &S::auth_failures_refill, http::server_key_docs::auth_failures_refill)
          .range(1, 3600 * 1000),
      key("metrics", &S::metrics, "also serve GET /metrics (Prometheus text) on the admin API"),
      key("metrics_auth", &S::metrics_auth, "token: /metrics here needs a read or admin token; open: it needs none"),
      key("max_request_bytes", &S::max_request_bytes,
          "largest request (line + headers + body) accepted; larger ones get 413")
          .range(1024, 64 * 1024 * 1024),
      key("header_timeout_ms", &S::header_timeout,
          "a client that has not sent its whole request head in this time is dropped (at most 5000: all an "
          "unauthenticated client gets; an authenticated request may take as long as the longest tap)")
          .range(100, 5000),
      key("tls_cert", &S::tls_cert, http::server_key_docs::tls_cert),
      key("tls_key", &S::tls_key, http::server_key_docs::tls_key),
      key("trusted_proxies", &S::trusted_proxies, http::server_key_docs::trusted_proxies),
      key("allowed_hosts", &S::allowed_hosts,
          "host names (and addresses) the admin API answers for, without port; a request with another Host "
          "gets 421 (against DNS rebinding), /healthz excepted. Empty: any Host"),
  };
  return map;
}

AdminSettings parse_admin_settings(const Config& config) {
  AdminSettings settings = admin_config_map().parse(config);
  if (settings.static_dir.empty()) throw ConfigError("static_dir", "static_dir must not be empty");
  if (settings.metrics_auth != "token" && settings.metrics_auth != "open") {
    throw ConfigError("metrics_auth",
                      "metrics_auth must be \"token\" or \"open\", not \"" + settings.metrics_auth + "\"");
  }
  http::check_server_keys(settings.trusted_proxies, settings.tls_cert, settings.tls_key, settings.listen);
  return settings;
}

}  // namespace sluice::admin
