// Who a request comes from, for the failed-authentication limiter (auth_limiter.hpp): the
// peer's address, or, when the peer is a trusted reverse proxy (the rest and admin plugins:
// trusted_proxies), the rightmost X-Forwarded-For hop that is not itself trusted. Anything
// left of that hop was written by the client and is ignored. IPv6 clients are keyed by their
// /64: one host usually owns a whole /64, so keying by full address would give it 2^64
// buckets. Pistache-free, so the rules are tested on strings (README, "Authentication").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

// An IPv4 or IPv6 address, IPv4 held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one
// comparison serves both families.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4() const;
};

// "10.1.2.3", "2001:db8::1", "[2001:db8::1]", "::ffff:10.1.2.3"; nullopt for anything else.
std::optional<IpAddress> parse_ip(std::string_view text);

// An address range: "10.0.0.0/8", "fd00::/8", or one address (a /32 or /128).
struct IpRange {
  IpAddress base;
  int prefix = 128;  // in the IPv6 form: an IPv4 /8 is /104 here
  bool contains(const IpAddress& address) const;
};
std::optional<IpRange> parse_ip_range(std::string_view text);

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Throws std::invalid_argument naming the first entry that is not an address or a range.
  explicit TrustedProxies(const std::vector<std::string>& entries);
  bool empty() const { return ranges_.empty(); }
  bool contains(const IpAddress& address) const;

 private:
  std::vector<IpRange> ranges_;
};

// The limiter's key for a request from `peer` (the socket's address) carrying
// `forwarded_for` (the X-Forwarded-For header, if any): an IPv4 address, an IPv6 /64
// ("2001:db8:1:2::/64"), or the peer text itself when it is no address.
std::string client_key(std::string_view peer, std::optional<std::string_view> forwarded_for,
                       const TrustedProxies& trusted);

}  // namespace sluice::http
