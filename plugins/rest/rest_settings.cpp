#include "rest_settings.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "sluice/status.hpp"

namespace sluice::rest {

namespace {

// The host fills in declared defaults, but a test (or a future host) may hand over a partial
// config, so every getter falls back to the struct's own default.
std::int64_t int_in_range(const Config& config, const char* key, std::int64_t fallback, std::int64_t min,
                          std::int64_t max) {
  if (!config.has(key)) return fallback;
  if (!config.json().at(key).is_number_integer()) throw ConfigError(key, std::string(key) + " must be an integer");
  std::int64_t value = config.get_int(key);
  if (value < min || value > max) {
    throw ConfigError(key, std::string(key) + " must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + ", got " + std::to_string(value));
  }
  return value;
}

}  // namespace

ListenAddress parse_listen_address(const std::string& text) {
  auto fail = [&](const std::string& why) -> ConfigError {
    return ConfigError("listen", "listen address \"" + text + "\" " + why +
                                     " (expected host:port, [ipv6]:port or :port)");
  };
  ListenAddress address;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw fail("has an unterminated IPv6 host or no port");
    }
    address.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) throw fail("has no port");
    address.host = text.substr(0, colon);
    if (address.host.find(':') != std::string::npos) throw fail("must put an IPv6 host in brackets");
    port_text = text.substr(colon + 1);
  }
  if (address.host.empty()) address.host = "0.0.0.0";
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    throw fail("has an invalid port");
  }
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

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

RestSettings parse_settings(const Config& config) {
  RestSettings settings;
  settings.listen = parse_listen_address(config.has("listen") ? config.get_string("listen") : "0.0.0.0:8081");
  settings.static_dir = config.has("static_dir") ? config.get_string("static_dir") : "web";
  if (settings.static_dir.empty()) throw ConfigError("static_dir", "static_dir must not be empty");
  if (config.has("lookup")) settings.lookup = config.get_list("lookup");
  settings.threads = static_cast<int>(int_in_range(config, "threads", 0, 0, 64));
  if (settings.threads == 0) settings.threads = default_threads();
  settings.max_request_bytes = static_cast<std::size_t>(
      int_in_range(config, "max_request_bytes", static_cast<std::int64_t>(settings.max_request_bytes), 1024,
                   64 * 1024 * 1024));
  settings.max_url_bytes = static_cast<std::size_t>(int_in_range(
      config, "max_url_bytes", static_cast<std::int64_t>(settings.max_url_bytes), 64, 1024 * 1024));
  if (settings.max_url_bytes >= settings.max_request_bytes) {
    // Pistache answers 413 for a request over max_request_bytes before we see it; keep the
    // URL limit below it so long URLs get the clearer 414.
    throw ConfigError("max_url_bytes", "max_url_bytes must be smaller than max_request_bytes");
  }
  settings.header_timeout = std::chrono::milliseconds(
      int_in_range(config, "header_timeout_ms", settings.header_timeout.count(), 100, 3600 * 1000));
  settings.keepalive_timeout = std::chrono::milliseconds(
      int_in_range(config, "keepalive_timeout_ms", settings.keepalive_timeout.count(), 100, 24 * 3600 * 1000));
  settings.recent_limit = static_cast<std::size_t>(
      int_in_range(config, "recent_limit", static_cast<std::int64_t>(settings.recent_limit), 1, 100000));
  settings.lookup_threads =
      static_cast<int>(int_in_range(config, "lookup_threads", settings.lookup_threads, 1, 256));
  settings.lookup_queue = static_cast<std::size_t>(
      int_in_range(config, "lookup_queue", static_cast<std::int64_t>(settings.lookup_queue), 1, 1000000));
  settings.lookup_timeout = std::chrono::milliseconds(
      int_in_range(config, "lookup_timeout_ms", settings.lookup_timeout.count(), 1, 600000));
  settings.min_position_wait = std::chrono::milliseconds(
      int_in_range(config, "min_position_wait_ms", settings.min_position_wait.count(), 0, 60000));
  return settings;
}

}  // namespace sluice::rest
