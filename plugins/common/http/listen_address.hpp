// Where a listener binds: "host:port", "[v6]:port" or ":port", as the rest and admin plugins'
// listen keys write it, and the rule that TLS is served on loopback addresses only.
#pragma once

#include <cstdint>
#include <string>

#include "sluice/config_map.hpp"

namespace sluice::http {

struct ListenAddress {
  std::string host;  // "0.0.0.0", "::", "127.0.0.1", a name ...
  std::uint16_t port = 0;
};

// "host:port", "[v6]:port" or ":port"; throws ConfigError(key, ...) when malformed.
ListenAddress parse_listen_address(const std::string& text, const std::string& key = "listen");
// The other way: "host:port", or "[v6]:port" for a host with a colon.
std::string format_listen_address(const ListenAddress& address);
// 127.0.0.0/8, ::1 or localhost: only this machine can connect.
bool is_loopback(const ListenAddress& address);

// The ConfigMap conversion of a listen key named `key` (a string in the pipeline file).
Conversion<ListenAddress> listen_conversion(const char* key);

// Pistache runs each TLS handshake on its one accept thread, with a timeout per read: a client
// sending its ClientHello a byte every few seconds holds every new client back for as long as
// it likes. On loopback only local processes can do that; anywhere else a proxy terminates TLS.
// Throws ConfigError("tls_cert", ...) when TLS is on and `address` (key `key`) is not loopback.
void check_tls_on_loopback(bool tls, const char* key, const ListenAddress& address);

}  // namespace sluice::http
