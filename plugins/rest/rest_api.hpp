// The `rest` api plugin: serves orders from the configured stores, health, metrics and the
// web page over HTTP (Pistache), on its own threads between start() and stop().
#pragma once

#include <atomic>
#include <memory>

#include "rest_settings.hpp"
#include "sluice/api.hpp"

namespace Pistache::Http {
class Endpoint;
}

namespace sluice::rest {

class StaticFiles;
class AuthGate;
class HttpMetrics;
class LookupExecutor;

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
  // Stops accepting, closes connections and joins every thread. Safe to call twice.
  void stop() override;
  // At a reload: reads the tokens again (tokens_file, tokens_env) and hands them to both
  // listeners; on an error (a malformed or unprotected file) the old tokens stay.
  Status refresh() override;

  // The port actually bound (differs from the configured one when that was 0); 0 if not serving.
  std::uint16_t port() const;
  // The admin listener's port; 0 when it is not serving (no admin token configured).
  std::uint16_t admin_port() const;

 private:
  RestSettings settings_;
  ApiHost& host_;
  std::shared_ptr<HttpMetrics> metrics_;
  // Stopped (and joined) before the endpoint shuts down: its jobs hold response writers,
  // which must not outlive the endpoint.
  std::shared_ptr<LookupExecutor> executor_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  // The admin listener and its threads: only with an admin token.
  std::shared_ptr<LookupExecutor> admin_executor_;
  std::shared_ptr<LookupExecutor> admin_long_executor_;  // taps, replays, reloads
  std::unique_ptr<Pistache::Http::Endpoint> admin_endpoint_;
  std::shared_ptr<std::atomic<bool>> admin_stopping_;
  // The listeners' gates, for refresh(); null when that listener needs no token / is off.
  std::shared_ptr<AuthGate> gate_;
  std::shared_ptr<AuthGate> admin_gate_;

  Status start_admin(const std::shared_ptr<AuthGate>& gate, StaticFiles files);
};

}  // namespace sluice::rest
