#include "listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

#include "sluice/status.hpp"

namespace sluice::http {

ListenAddress parse_listen_address(const std::string& text, const std::string& key) {
  auto fail = [&](const std::string& why) -> ConfigError {
    return ConfigError(key, key + " address \"" + text + "\" " + why + " (expected host:port, [ipv6]:port or :port)");
  };
  ListenAddress address;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw fail("has an unterminated IPv6 host or no port");
    }
    address.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) throw fail("has no port");
    address.host = text.substr(0, colon);
    if (address.host.find(':') != std::string::npos) throw fail("must put an IPv6 host in brackets");
    port_text = text.substr(colon + 1);
  }
  if (address.host.empty()) address.host = "0.0.0.0";
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    throw fail("has an invalid port");
  }
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

std::string format_listen_address(const ListenAddress& address) {
  const bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

bool is_loopback(const ListenAddress& address) {
  // Address literals only: a name such as 127.example.org may resolve anywhere.
  in_addr v4{};
  if (::inet_pton(AF_INET, address.host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, address.host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return address.host == "localhost";
}

Conversion<ListenAddress> listen_conversion(const char* key) {
  return Conversion<ListenAddress>{
      sluice_key_string,
      [key](const nlohmann::json& value) {
        if (!value.is_string()) throw ConfigError(key, std::string(key) + " must be a string");
        return parse_listen_address(value.get<std::string>(), key);
      },
      [](const ListenAddress& address) { return nlohmann::json(format_listen_address(address)); }};
}

void check_tls_on_loopback(bool tls, const char* key, const ListenAddress& address) {
  if (!tls || is_loopback(address)) return;
  throw ConfigError("tls_cert",
                    std::string("tls_cert with ") + key + " " + format_listen_address(address) +
                        " is refused: TLS is served on loopback addresses only, because one slow client can "
                        "stall every TLS handshake of this server. Listen on 127.0.0.1 and let a "
                        "TLS-terminating proxy face the network (compose/tls-proxy/nginx.conf; README, \"TLS\")");
}

}  // namespace sluice::http
