#include "sluice/listen_ports.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

namespace sluice {

namespace {

struct Claim {
  std::uint64_t number;
  std::string owner;
};

struct Claims {
  std::mutex mutex;
  std::uint64_t last = 0;
  std::map<std::uint16_t, std::vector<Claim>> by_port;  // oldest first
};

Claims& claims() {
  static Claims all;
  return all;
}

}  // namespace

std::uint64_t ListenPorts::claim(std::uint16_t port, std::string_view owner, std::string* holder) {
  Claims& c = claims();
  std::lock_guard lock(c.mutex);
  if (port == 0) return ++c.last;
  auto& held = c.by_port[port];
  for (const Claim& other : held) {
    if (other.owner == owner) continue;
    if (holder) *holder = other.owner;
    return 0;
  }
  held.push_back({++c.last, std::string(owner)});
  return c.last;
}

bool ListenPorts::held_before(std::uint16_t port, std::uint64_t claim) {
  Claims& c = claims();
  std::lock_guard lock(c.mutex);
  auto it = c.by_port.find(port);
  if (it == c.by_port.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const Claim& k) { return k.number < claim; });
}

bool ListenPorts::superseded(std::uint16_t port, std::uint64_t claim) {
  Claims& c = claims();
  std::lock_guard lock(c.mutex);
  auto it = c.by_port.find(port);
  if (it == c.by_port.end()) return false;
  auto mine = std::find_if(it->second.begin(), it->second.end(), [&](const Claim& k) { return k.number == claim; });
  if (mine == it->second.end()) return false;
  for (const auto& [other_port, held] : c.by_port) {
    for (const Claim& k : held) {
      if (k.owner == mine->owner && k.number > claim) return true;
    }
  }
  return false;
}

void ListenPorts::release(std::uint16_t port, std::uint64_t claim) {
  Claims& c = claims();
  std::lock_guard lock(c.mutex);
  auto it = c.by_port.find(port);
  if (it == c.by_port.end()) return;
  std::erase_if(it->second, [&](const Claim& k) { return k.number == claim; });
  if (it->second.empty()) c.by_port.erase(it);
}

}  // namespace sluice
