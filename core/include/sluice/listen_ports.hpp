// Which API listens on which TCP port in this process (README.md, "Live reload", An API is
// replaced make before break). The rest and admin listeners set SO_REUSEPORT so that a
// reload's new listener can bind the address its predecessor still holds; these claims keep
// that from letting two different APIs of one process share a port by mistake (before
// SO_REUSEPORT, the second failed to bind): a port is taken over only by the API that holds it.
// Process-wide (sluice_core is one shared library), thread-safe.
#pragma once

#include <boost/config.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

class BOOST_SYMBOL_VISIBLE ListenPorts {
 public:
  // Claims `port` for `owner` (an API's id). Returns the claim's number (never 0), or 0 when
  // another owner holds the port; `*holder` then names it. Port 0 (any free port) always succeeds.
  static std::uint64_t claim(std::uint16_t port, std::string_view owner, std::string* holder = nullptr);
  // Whether `owner` held `port` before `claim` was made (the new listener takes over from it).
  static bool held_before(std::uint16_t port, std::uint64_t claim);
  // Whether a later claim of the same owner exists, on `port` or another one: the listener of
  // `claim` is being replaced (a process that stops makes no new claim) and should finish its
  // connections before it closes.
  static bool superseded(std::uint16_t port, std::uint64_t claim);
  // Gives a claim back (its listener stopped, or never started).
  static void release(std::uint16_t port, std::uint64_t claim);
};

}  // namespace sluice
