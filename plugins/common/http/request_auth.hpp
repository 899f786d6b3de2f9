// What the authentication and Host checks need from a Pistache request: the Authorization
// header (Pistache parses it into a typed header, so tryGetRaw does not see it), the Host and
// the client's address.
#pragma once

#include <pistache/http.h>

#include <optional>
#include <string>

#include "auth_gate.hpp"
#include "client_address.hpp"

namespace sluice::http {

inline std::optional<std::string> authorization_of(const Pistache::Http::Request& request) {
  if (auto header = request.headers().tryGet<Pistache::Http::Header::Authorization>()) return header->value();
  return std::nullopt;
}

// The Host header's host part (for AllowedHosts); "" when absent. Pistache parses Host into
// a typed header.
inline std::string host_of(const Pistache::Http::Request& request) {
  if (auto header = request.headers().tryGet<Pistache::Http::Header::Host>()) return header->host();
  return {};
}

// The rate-limit key (client_address.hpp): the peer's address, or the client a trusted proxy
// names in X-Forwarded-For; IPv6 by /64.
inline std::string client_of(const Pistache::Http::Request& request, const TrustedProxies& trusted) {
  static const std::string forwarded_for = "X-Forwarded-For";
  std::optional<std::string> header;
  if (!trusted.empty()) {
    if (auto raw = request.headers().tryGetRaw(forwarded_for)) header = raw->value();
  }
  return client_key(request.address().host(), header ? std::optional<std::string_view>(*header) : std::nullopt,
                    trusted);
}

// The gate's verdict on `request` for `needed`: its token, and its client as the gate's own
// trusted proxies name it. Every listener asks through here.
inline std::optional<AuthDenial> check_request(AuthGate& gate, Role needed, const Pistache::Http::Request& request) {
  return gate.check(needed, authorization_of(request), client_of(request, gate.trusted_proxies()));
}

}  // namespace sluice::http
