// The rest plugin's configuration: the keys it declares to the host and the typed, checked
// settings the constructor derives from them. Parsing does no I/O, so a bad value is reported
// while the pipeline is being built, before anything listens.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/abi.h"
#include "sluice/config.hpp"

namespace sluice::rest {

inline constexpr sluice_config_key config_keys[] = {
    {"listen", sluice_key_string, 0, "\"0.0.0.0:8081\"",
     "address to listen on: host:port, [ipv6]:port or :port (port 0 picks a free port)"},
    {"static_dir", sluice_key_string, 0, "\"web\"",
     "folder of the web page; relative paths are looked up in the working directory, then the share dir"},
    {"lookup", sluice_key_stores, 0, "[]",
     "store ids GET /order/{id} asks in order; a hit in a later store fills the earlier ones"},
    {"threads", sluice_key_int, 0, "0",
     "HTTP worker threads (1..64); 0: one less than the CPUs, at least 1, so the pipeline keeps a core"},
    {"max_request_bytes", sluice_key_int, 0, "16384",
     "largest request (line + headers + body) accepted; larger ones get 413"},
    {"max_url_bytes", sluice_key_int, 0, "2048", "longest request target accepted; longer ones get 414"},
    {"header_timeout_ms", sluice_key_int, 0, "10000",
     "a client that has not sent its whole request head in this time gets 408 and is dropped"},
    {"keepalive_timeout_ms", sluice_key_int, 0, "60000", "idle keep-alive connections are closed after this"},
    {"recent_limit", sluice_key_int, 0, "100", "largest limit GET /api/orders?limit=N accepts"},
    {"lookup_threads", sluice_key_int, 0, "8",
     "threads (1..256) for order lookups that may block (a store doing I/O, a read-your-writes wait), "
     "so they never stall the HTTP event loop"},
    {"lookup_queue", sluice_key_int, 0, "1024", "lookups waiting for a lookup thread; when full, 503 at once"},
    {"lookup_timeout_ms", sluice_key_int, 0, "2000",
     "a lookup still waiting for a thread after this gets 503 without touching a store"},
    {"min_position_wait_ms", sluice_key_int, 0, "2000",
     "how long (at most 60000) GET /order waits for a Sluice-Min-Position to be reached before 409"},
};

struct ListenAddress {
  std::string host;  // "0.0.0.0", "::", "127.0.0.1", a name ...
  std::uint16_t port = 0;
};

struct RestSettings {
  ListenAddress listen;
  std::string static_dir;
  std::vector<std::string> lookup;
  int threads = 1;  // resolved: never 0
  std::size_t max_request_bytes = 16384;
  std::size_t max_url_bytes = 2048;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::size_t recent_limit = 100;
  int lookup_threads = 8;
  std::size_t lookup_queue = 1024;
  std::chrono::milliseconds lookup_timeout{2000};
  std::chrono::milliseconds min_position_wait{2000};
};

// Throws sluice::ConfigError naming the key for a value that makes no sense.
RestSettings parse_settings(const Config& config);
// What `threads: 0` (the default) means on this machine.
int default_threads();

// "host:port", "[v6]:port" or ":port"; throws ConfigError("listen", ...) when malformed.
ListenAddress parse_listen_address(const std::string& text);

}  // namespace sluice::rest
