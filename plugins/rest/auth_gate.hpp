// The check every request needing a token passes: rate limit, then the Bearer token, then the
// role. Knows nothing of Pistache (the handlers pass the header and the client's address), so
// the answers are tested without sockets too.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth_limiter.hpp"
#include "auth_tokens.hpp"

namespace sluice {
class Counter;
class Metrics;
}  // namespace sluice

namespace sluice::rest {

struct AuthDenial {
  int status = 401;        // 401 no/unknown token, 403 role too low, 429 too many failures
  std::string body;        // {"error": ...}
  int retry_after = 0;     // seconds, for 429
  bool challenge = false;  // add WWW-Authenticate: Bearer realm="sluice" (401)
};

class AuthGate {
 public:
  AuthGate(
      TokenSet tokens, AuthLimiter::Options limits, Metrics& metrics,
      AuthLimiter::Now now = [] { return AuthLimiter::Clock::now(); });

  // nullopt: allowed. `authorization` is the Authorization header if present, `client` the
  // peer's IP address (the rate-limit key).
  std::optional<AuthDenial> check(Role needed, const std::optional<std::string>& authorization,
                                  const std::string& client);

  const TokenSet& tokens() const { return tokens_; }

 private:
  TokenSet tokens_;
  AuthLimiter limiter_;
  Counter& missing_;
  Counter& invalid_;
  Counter& forbidden_;
  Counter& limited_;
};

inline constexpr const char* bearer_challenge = "Bearer realm=\"sluice\"";

}  // namespace sluice::rest
