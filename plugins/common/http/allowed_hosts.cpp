#include "allowed_hosts.hpp"

#include <algorithm>

namespace sluice::http {

namespace {

std::string normalised_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "example.com." is the same name
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

}  // namespace

AllowedHosts::AllowedHosts(std::vector<std::string> names) {
  for (const auto& name : names) names_.push_back(normalised_host(name));
}

bool AllowedHosts::allows(std::string_view host) const {
  if (names_.empty()) return true;
  const std::string wanted = normalised_host(host);
  if (wanted.empty()) return false;
  return std::find(names_.begin(), names_.end(), wanted) != names_.end();
}

}  // namespace sluice::http
