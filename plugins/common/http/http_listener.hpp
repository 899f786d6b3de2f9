// One API's HTTP listener (rest, admin): its Pistache endpoint, its claim on the port
// (listener_handover.hpp) and the connections open on it (open_connections.hpp), opened and
// closed in the order make before break needs (README.md, "Live reload", Make before break):
// the claim before the bind, the socket closed before the claim goes, and a listener a
// reload replaced finishing its connections before it closes.
#pragma once

#include <pistache/endpoint.h>

#include <cstdint>
#include <memory>
#include <string>

#include "http_endpoint.hpp"
#include "listen_address.hpp"
#include "listener_handover.hpp"
#include "open_connections.hpp"

namespace spdlog {
class logger;
}

namespace sluice::http {

class HttpListener {
 public:
  // Claims `address` for `owner` (the API's id), binds it and serves `handler` on the threads
  // `options` names. Throws std::runtime_error when the address cannot be had.
  HttpListener(const ListenAddress& address, const std::string& owner, const EndpointOptions& options,
               std::shared_ptr<Pistache::Http::Handler> handler, std::shared_ptr<OpenConnections> connections);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // When a reload's new listener took the address over (or opened on another one): answers
  // say `Connection: close` from now on, and this returns once the requests already on their
  // way here were answered (at most 5 s). Otherwise returns at once.
  void finish_if_replaced();
  // Shuts the endpoint down (its worker threads joined), then gives the port claim back.
  // A failing shutdown is logged as a warning of `api`. Safe to call twice.
  void close(spdlog::logger& log, const char* api);
  // The port actually bound (differs from the configured one when that was 0).
  std::uint16_t port() const;

 private:
  std::unique_ptr<ListenerHandover> handover_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::shared_ptr<OpenConnections> connections_;
};

}  // namespace sluice::http
