// The rest plugin's configuration: the typed, checked settings the constructor derives from
// the config, and the keys (rest_config_map()) bound to them. Parsing does no I/O, so a bad value is reported
// while the pipeline is being built, before anything listens.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "listen_address.hpp"
#include "shared_http.hpp"
#include "sluice/abi.h"
#include "sluice/config.hpp"
#include "sluice/config_map.hpp"
#include "token_sources.hpp"

namespace sluice::rest {

// Every member's initializer is the key's default: the declared default (what `sluice plugins`,
// the README and the schema state) is derived from it (rest_config_map()).
struct RestSettings {
  ListenAddress listen{"0.0.0.0", 8081};
  std::string static_dir = "web";
  std::vector<std::string> lookup;
  int threads = 0;  // 0 in the config; parse_settings() resolves it (default_threads()), never 0 after
  std::size_t max_request_bytes = 16384;
  std::size_t max_url_bytes = 2048;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::size_t recent_limit = 100;
  int lookup_threads = 8;
  std::size_t lookup_queue = 1024;
  std::chrono::milliseconds lookup_timeout{2000};
  std::chrono::milliseconds min_position_wait{2000};
  int max_position_waits = 0;  // 0 in the config: half the lookup threads, at least 1 (parse_settings())
  // Authentication (auth_tokens.hpp): the tokens never live in the pipeline file.
  std::string tokens_file;                       // "" : none
  std::string tokens_env = "SLUICE_API_TOKENS";  // "" : none
  std::string read_auth = "token";               // "token" | "open" (README, "Authentication")
  std::string metrics_on = "main";               // "main" | "none"
  int auth_failures_burst = 10;
  std::chrono::milliseconds auth_failures_refill{1000};
  std::string tls_cert;
  std::string tls_key;
  // Reverse proxies whose X-Forwarded-For names the client (client_address.hpp).
  std::vector<std::string> trusted_proxies;
  // Host header names answered (allowed_hosts.hpp); empty: any.
  std::vector<std::string> allowed_hosts;

  bool read_needs_token() const { return read_auth == "token"; }
  bool metrics_on_main() const { return metrics_on == "main"; }
  bool tls() const { return !tls_cert.empty(); }
  TokenSources token_sources() const { return {tokens_file, tokens_env, "rest"}; }
};

// The keys the plugin declares, bound to RestSettings' members.
const ConfigMap<RestSettings>& rest_config_map();

// Throws sluice::ConfigError naming the key for a value that makes no sense.
RestSettings parse_settings(const Config& config);
// What `threads: 0` (the default) means on this machine.
int default_threads();

}  // namespace sluice::rest
