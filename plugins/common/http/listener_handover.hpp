// Make before break for a listener that a live reload replaces (README.md, "Live reload", An
// API is replaced make before break). Every rest and admin listener on a fixed port sets
// SO_REUSEPORT, so the new listener binds the address while the old one still serves it. Once
// it is up, a reuseport program steers every new connection to it; the old listener accepts
// only what was already queued for it, finishes its connections (OpenConnections::drain) and
// closes, so no client is refused or reset. ListenPorts (sluice/listen_ports.hpp) keeps the
// take-over to the API that holds the port; a probe keeps it from another process's socket
// (Linux lets only sockets of the same effective UID share a port this way anyway).
#pragma once

#include <pistache/endpoint.h>

#include <cstdint>
#include <string>

#include "listen_address.hpp"

namespace sluice::http {

class ListenerHandover {
 public:
  // Before binding: claims the port for `owner` (the API's id). Throws std::runtime_error
  // when another API of this process, or any socket of another process, holds the port.
  ListenerHandover(const ListenAddress& address, std::string owner);
  ~ListenerHandover();
  ListenerHandover(const ListenerHandover&) = delete;
  ListenerHandover& operator=(const ListenerHandover&) = delete;

  // Binds and serves `endpoint` (made with make_endpoint); when this replaces a listener of
  // the same owner, new connections go to this one from now on. Throws as serveThreaded does.
  void serve(Pistache::Http::Endpoint& endpoint);
  // In stop(): a later listener of the same owner took the port over, or opened on another
  // one (a reload replaced this one): finish the connections before closing.
  bool taken_over() const;

 private:
  ListenAddress address_;
  std::uint64_t claim_ = 0;
};

}  // namespace sluice::http
