// The `admin` api plugin: the operators' front end (status, reload, dead letters, replay,
// tap, the operator page, optionally /metrics) over the runtime's Admin, on a listener of its
// own that opens only when an admin token is configured. Planned from the pipeline file's
// top-level `admin:` key (README, "Operating Sluice"); it needs no other front end.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "admin_settings.hpp"
#include "sluice/api.hpp"

namespace sluice::http {
class AuthGate;
class HttpMetrics;
class LookupExecutor;
class HttpListener;
}  // namespace sluice::http

namespace sluice::admin {

class AdminApi : public Api {
 public:
  static constexpr const char* plugin_description =
      "admin API: /admin/status, reload, dead letters, replay, tap and the operator page, admin token required";
  static const ConfigMap<AdminSettings>& config_map() { return admin_config_map(); }

  // Checks the config; does no I/O (nothing is opened or bound until start()).
  AdminApi(const Config& config, ApiHost& host);
  ~AdminApi() override;

  // Reads the tokens; without an admin token among them the API stays off (logged), else binds.
  Status start() override;
  // Stops accepting, lets running admin requests answer, joins every thread. Safe to call twice.
  // Replaced by a reload, it first finishes the connections it has (open_connections.hpp).
  void stop() override;
  // At a reload: reads the tokens again; on an error the old tokens stay.
  Status refresh() override;

  // The port actually bound; 0 when not serving (no admin token configured).
  std::uint16_t port() const;

 private:
  AdminSettings settings_;
  ApiHost& host_;
  std::shared_ptr<AuthGate> gate_;
  std::shared_ptr<LookupExecutor> executor_;
  std::shared_ptr<LookupExecutor> long_executor_;  // taps, replays, reloads
  std::unique_ptr<HttpListener> listener_;
  std::shared_ptr<std::atomic<bool>> stopping_;
};

}  // namespace sluice::admin
