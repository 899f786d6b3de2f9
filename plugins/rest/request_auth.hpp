// What the authentication check needs from a Pistache request: the Authorization header
// (Pistache parses it into a typed header, so tryGetRaw does not see it) and the client's IP.
#pragma once

#include <pistache/http.h>

#include <optional>
#include <string>

namespace sluice::rest {

inline std::optional<std::string> authorization_of(const Pistache::Http::Request& request) {
  if (auto header = request.headers().tryGet<Pistache::Http::Header::Authorization>()) return header->value();
  return std::nullopt;
}

// The rate-limit key: the peer address. Behind a reverse proxy every client shares the
// proxy's address (X-Forwarded-For is not trusted: any client could set it).
inline std::string client_of(const Pistache::Http::Request& request) { return request.address().host(); }

}  // namespace sluice::rest
