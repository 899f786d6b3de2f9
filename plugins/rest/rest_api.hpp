// The `rest` api plugin: serves orders from the configured stores, health, metrics and the
// web page over HTTP (Pistache), on its own threads between start() and stop(). The operators'
// API is the `admin` plugin's (plugins/admin).
#pragma once

#include <memory>

#include "rest_settings.hpp"
#include "sluice/api.hpp"

namespace sluice::http {
class StaticFiles;
class AuthGate;
class HttpMetrics;
class LookupExecutor;
class HttpListener;
}  // namespace sluice::http

namespace sluice::rest {

class RestApi : public Api {
 public:
  static constexpr const char* plugin_description =
      "REST front end: GET /order/{order_uid}, /api/orders, /healthz, /readyz, /metrics and the web page";
  static const ConfigMap<RestSettings>& config_map() { return rest_config_map(); }

  // Checks the config; does no I/O (nothing is opened or bound until start()).
  RestApi(const Config& config, ApiHost& host);
  ~RestApi() override;

  // Resolves the lookup stores and the page folder, binds and serves on `threads` threads.
  Status start() override;
  // Stops accepting, closes connections and joins every thread. Safe to call twice. When a
  // reload's new listener took the address over, the connections open here are finished
  // first (README.md, "Live reload", An API is replaced make before break).
  void stop() override;
  // At a reload: reads the tokens again (tokens_file, tokens_env); on an error (a malformed or
  // unprotected file) the old tokens stay.
  Status refresh() override;

  // The port actually bound (differs from the configured one when that was 0); 0 if not serving.
  std::uint16_t port() const;

 private:
  RestSettings settings_;
  ApiHost& host_;
  std::shared_ptr<HttpMetrics> metrics_;
  // Stopped (and joined) before the endpoint shuts down: its jobs hold response writers,
  // which must not outlive the endpoint.
  std::shared_ptr<LookupExecutor> executor_;
  std::unique_ptr<HttpListener> listener_;
  // The listener's gate, for refresh().
  std::shared_ptr<AuthGate> gate_;
};

}  // namespace sluice::rest
