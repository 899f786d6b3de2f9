// The Host header check against DNS rebinding (the allowed_hosts key of the rest and admin plugins). A page on an
// attacker's domain whose name is made to resolve to 127.0.0.1 talks to this server as "same
// origin" and reads what it serves; its requests still carry the attacker's name in Host, so
// answering only the names the operator listed stops it. Pistache-free, tested on strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

class AllowedHosts {
 public:
  AllowedHosts() = default;
  // Names or addresses, without port ("sluice.example.com", "127.0.0.1", "::1"); matched
  // case-insensitively. Empty: every Host is accepted.
  explicit AllowedHosts(std::vector<std::string> names);

  // `host`: the Host header's host part (without port; brackets around IPv6 allowed).
  bool allows(std::string_view host) const;
  bool any() const { return names_.empty(); }

 private:
  std::vector<std::string> names_;  // lower case, no brackets
};

// Probes (/healthz, /readyz) come from load balancers and orchestrators that address the
// server by IP and reveal nothing: they are answered whatever the Host.
inline bool host_check_exempt(std::string_view path) { return path == "/healthz" || path == "/readyz"; }

}  // namespace sluice::http
