#include "auth_gate.hpp"

#include "json_error.hpp"
#include "sluice/metrics.hpp"

namespace sluice::http {

namespace {

Counter& failures(Metrics& metrics, const char* reason) {
  return metrics.counter("sluice_http_auth_failures_total",
                         "requests refused by the REST API's authentication: missing (no or malformed "
                         "Authorization header), invalid (unknown token), forbidden (role too low), "
                         "limited (client over its failure budget, 429)",
                         {{"reason", reason}});
}

}  // namespace

AuthGate::AuthGate(TokenSet tokens, AuthLimiter::Options limits, Metrics& metrics, TrustedProxies trusted,
                   AuthLimiter::Now now)
    : tokens_(std::make_shared<const TokenSet>(std::move(tokens))),
      trusted_(std::move(trusted)),
      limiter_(limits, std::move(now)),
      missing_(failures(metrics, "missing")),
      invalid_(failures(metrics, "invalid")),
      forbidden_(failures(metrics, "forbidden")),
      limited_(failures(metrics, "limited")) {}

void AuthGate::replace_tokens(TokenSet tokens) { tokens_.store(std::make_shared<const TokenSet>(std::move(tokens))); }

std::optional<AuthDenial> AuthGate::check(Role needed, const std::optional<std::string>& authorization,
                                          const std::string& client) {
  const auto token = authorization ? bearer_token(*authorization) : std::nullopt;
  if (!token) {
    // Not a guess (a client that has not been told to authenticate yet): counted, but it
    // does not use up the client's budget.
    missing_.inc();
    return AuthDenial{401, error_json("authentication required: Authorization: Bearer <token>"), 0, true};
  }
  const Role role = tokens_.load()->match(*token);
  if (role == Role::none) {
    // A client out of budget learns nothing more from a wrong token than that it is limited.
    if (auto wait = limiter_.blocked(client)) {
      limited_.inc();
      return AuthDenial{429, error_json("too many failed authentication attempts"), static_cast<int>(wait->count()),
                        false};
    }
    invalid_.inc();
    limiter_.failed(client);
    return AuthDenial{401, error_json("invalid token"), 0, true};
  }
  if (role < needed) {
    forbidden_.inc();
    return AuthDenial{403, error_json("this token's role may not do this"), 0, false};
  }
  return std::nullopt;
}

}  // namespace sluice::http
