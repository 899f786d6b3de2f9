#include "client_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace sluice::http {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view strip_hop_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string format_v6_slash64(const IpAddress& address) {
  std::array<std::uint8_t, 16> masked{};
  std::memcpy(masked.data(), address.bytes.data(), 8);
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, masked.data(), text, sizeof text);
  return std::string(text) + "/64";
}

std::string format_v4(const IpAddress& address) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, address.bytes.data() + 12, text, sizeof text);
  return text;
}

std::string key_of(const IpAddress& address) { return address.v4() ? format_v4(address) : format_v6_slash64(address); }

}  // namespace

bool IpAddress::v4() const { return std::memcmp(bytes.data(), v4_mapped_prefix.data(), 12) == 0; }

std::optional<IpAddress> parse_ip(std::string_view text) {
  text = strip_hop_blanks(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  IpAddress address;
  if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data() + 12) == 1) {
    std::memcpy(address.bytes.data(), v4_mapped_prefix.data(), 12);
    return address;
  }
  if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) return address;
  return std::nullopt;
}

bool IpRange::contains(const IpAddress& address) const {
  const int whole = prefix / 8;
  if (std::memcmp(base.bytes.data(), address.bytes.data(), whole) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (base.bytes[whole] & mask) == (address.bytes[whole] & mask);
}

std::optional<IpRange> parse_ip_range(std::string_view text) {
  text = strip_hop_blanks(text);
  const auto slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  IpRange range{*address, 128};
  if (slash == std::string_view::npos) return range;
  const std::string_view bits = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  const int max = address->v4() ? 32 : 128;
  if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 || prefix > max) {
    return std::nullopt;
  }
  range.prefix = address->v4() ? prefix + 96 : prefix;
  return range;
}

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    auto range = parse_ip_range(entry);
    if (!range) throw std::invalid_argument("\"" + entry + "\" is not an IP address or a CIDR range");
    ranges_.push_back(*range);
  }
}

bool TrustedProxies::contains(const IpAddress& address) const {
  for (const auto& range : ranges_) {
    if (range.contains(address)) return true;
  }
  return false;
}

std::string client_key(std::string_view peer, std::optional<std::string_view> forwarded_for,
                       const TrustedProxies& trusted) {
  auto address = parse_ip(peer);
  if (!address) return std::string(peer);
  if (forwarded_for && trusted.contains(*address)) {
    // Right to left: each trusted proxy appended the address it received the request from,
    // so the first hop that is not a trusted proxy is the client. A hop that is no address
    // (forged, or "unknown") ends the walk: the last trusted hop is the best we know.
    std::string_view rest = *forwarded_for;
    while (!rest.empty()) {
      const auto comma = rest.rfind(',');
      const std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
      if (strip_hop_blanks(hop).empty()) continue;
      const auto hop_address = parse_ip(hop);
      if (!hop_address) break;
      address = hop_address;
      if (!trusted.contains(*address)) break;
    }
  }
  return key_of(*address);
}

}  // namespace sluice::http
