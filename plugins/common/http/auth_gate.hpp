// The check every request needing a token passes: the Bearer token, then the role, and for a
// wrong token the rate limit. Knows nothing of Pistache (the handlers pass the header and the
// client's key, client_address.hpp), so the answers are tested without sockets too.
//
// Each listener has its own gate, so its own failure buckets: guesses against the public
// port never lock the operator out of the admin port (README, "Authentication").
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth_limiter.hpp"
#include "auth_tokens.hpp"
#include "client_address.hpp"

namespace sluice {
class Counter;
class Metrics;
}  // namespace sluice

namespace sluice::http {

struct AuthDenial {
  int status = 401;        // 401 no/unknown token, 403 role too low, 429 too many failures
  std::string body;        // {"error": ...}
  int retry_after = 0;     // seconds, for 429
  bool challenge = false;  // add WWW-Authenticate: Bearer realm="sluice" (401)
};

class AuthGate {
 public:
  AuthGate(
      TokenSet tokens, AuthLimiter::Options limits, Metrics& metrics, TrustedProxies trusted = {},
      AuthLimiter::Now now = [] { return AuthLimiter::Clock::now(); });

  // nullopt: allowed. `authorization` is the Authorization header if present, `client` the
  // rate-limit key (client_key()). A right token always passes, even from a client whose
  // bucket is empty: behind a proxy or NAT many readers share one key, and one of them
  // guessing must not lock out the others. Only wrong tokens are refused with 429 then.
  std::optional<AuthDenial> check(Role needed, const std::optional<std::string>& authorization,
                                  const std::string& client);

  // A reload's fresh tokens (Api::refresh): checks running meanwhile finish with the old set.
  void replace_tokens(TokenSet tokens);
  // Whose X-Forwarded-For names the client (the trusted_proxies key of the rest and admin plugins).
  const TrustedProxies& trusted_proxies() const { return trusted_; }

 private:
  std::atomic<std::shared_ptr<const TokenSet>> tokens_;
  TrustedProxies trusted_;
  AuthLimiter limiter_;
  Counter& missing_;
  Counter& invalid_;
  Counter& forbidden_;
  Counter& limited_;
};

inline constexpr const char* bearer_challenge = "Bearer realm=\"sluice\"";

}  // namespace sluice::http
