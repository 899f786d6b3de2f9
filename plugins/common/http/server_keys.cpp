#include "server_keys.hpp"

#include <stdexcept>

#include "client_address.hpp"
#include "sluice/config.hpp"

namespace sluice::http {

void check_server_keys(const std::vector<std::string>& trusted_proxies, const std::string& tls_cert,
                       const std::string& tls_key, const ListenAddress& listen) {
  try {
    TrustedProxies{trusted_proxies};
  } catch (const std::invalid_argument& e) {
    throw ConfigError("trusted_proxies", std::string("trusted_proxies: ") + e.what());
  }
  if (tls_cert.empty() != tls_key.empty()) {
    throw ConfigError(tls_cert.empty() ? "tls_cert" : "tls_key",
                      "tls_cert and tls_key go together: set both or neither");
  }
  check_tls_on_loopback(!tls_cert.empty(), "listen", listen);
}

}  // namespace sluice::http
