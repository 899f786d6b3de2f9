// The config keys both front ends (rest, admin) take for their listener: their one-line docs
// and their checks, written once (README.md, "Authentication" and "TLS" say what they do).
#pragma once

#include <string>
#include <vector>

#include "listen_address.hpp"

namespace sluice::http::server_key_docs {

inline constexpr const char* tokens_env =
    "environment variable holding more tokens as role:token,role:token; empty: none";
inline constexpr const char* auth_failures_burst =
    "wrong tokens a client (IPv4 address, IPv6 /64) may send in a burst; then its wrong tokens get 429 "
    "until the bucket refills (a right token always passes)";
inline constexpr const char* auth_failures_refill =
    "one more wrong token is allowed per client every this many milliseconds";
inline constexpr const char* tls_cert =
    "PEM certificate (chain) for HTTPS; needs tls_key; loopback listen addresses only "
    "(elsewhere a TLS proxy: compose/tls-proxy)";
inline constexpr const char* tls_key =
    "PEM private key for tls_cert; needs tls_cert; refused unless only its owner may access it (mode 600)";
inline constexpr const char* trusted_proxies =
    "addresses or CIDR ranges of reverse proxies in front of sluice: from them, the rightmost "
    "X-Forwarded-For hop that is not a trusted proxy is the client the failed-authentication limit "
    "counts (else the peer address; IPv6 clients by /64). Empty: X-Forwarded-For is ignored";

}  // namespace sluice::http::server_key_docs

namespace sluice::http {

// trusted_proxies parse, tls_cert and tls_key come together, TLS only on a loopback `listen`.
// Throws ConfigError naming the key at fault.
void check_server_keys(const std::vector<std::string>& trusted_proxies, const std::string& tls_cert,
                       const std::string& tls_key, const ListenAddress& listen);

}  // namespace sluice::http
