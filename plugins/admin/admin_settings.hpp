// The admin plugin's settings: the keys it declares (admin_config_map()), the members they are
// bound to, and the checks across keys. Parsing does no I/O, so a bad value is reported while
// the pipeline is being built, before anything listens. The pipeline file's top-level
// `admin:` mapping holds these keys (README, "Operating Sluice").
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "listen_address.hpp"
#include "shared_http.hpp"
#include "sluice/config.hpp"
#include "sluice/config_map.hpp"
#include "token_sources.hpp"

namespace sluice::admin {

// Every member's initializer is the key's default (what `sluice plugins` and the README state).
struct AdminSettings {
  ListenAddress listen{"127.0.0.1", 8082};
  int threads = 2;
  int max_connections = 64;
  std::string static_dir = "web";
  // Authentication (auth_tokens.hpp): the tokens never live in the pipeline file.
  std::string tokens_file;
  std::string tokens_env = "SLUICE_API_TOKENS";
  int auth_failures_burst = 10;
  std::chrono::milliseconds auth_failures_refill{1000};
  bool metrics = false;                // serve /metrics here
  std::string metrics_auth = "token";  // "token" | "open"
  std::size_t max_request_bytes = 16384;
  std::chrono::milliseconds header_timeout{5000};
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> trusted_proxies;
  std::vector<std::string> allowed_hosts;

  bool tls() const { return !tls_cert.empty(); }
  bool metrics_need_token() const { return metrics_auth == "token"; }
  TokenSources token_sources() const { return {tokens_file, tokens_env, "admin"}; }
};

const ConfigMap<AdminSettings>& admin_config_map();

// Throws sluice::ConfigError naming the key for a value that makes no sense.
AdminSettings parse_admin_settings(const Config& config);

}  // namespace sluice::admin
