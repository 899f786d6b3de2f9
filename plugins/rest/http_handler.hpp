// The Pistache side of the REST front end: turns a parsed Pistache request into a
// RequestView, lets RestRoutes answer it, and writes the Reply with the right headers.
// What RestRoutes cannot answer without blocking goes to the LookupExecutor with the response
// writer, and is answered from there. Pistache clones this handler once per worker thread,
// so it holds only shared pointers to immutable (or thread-safe) state.
#pragma once

#include <pistache/http.h>

#include <memory>

#include "auth_gate.hpp"
#include "http_metrics.hpp"
#include "http_reply.hpp"
#include "lookup_executor.hpp"
#include "open_connections.hpp"
#include "rest_routes.hpp"

namespace sluice::rest {

class HttpHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpHandler)

  // `gate` checks what routes->needs_read_token() names (never null); `connections` counts
  // this listener's connections, for a stop that finishes them (open_connections.hpp).
  HttpHandler(std::shared_ptr<const RestRoutes> routes, std::shared_ptr<HttpMetrics> metrics,
              std::shared_ptr<LookupExecutor> executor, std::shared_ptr<AuthGate> gate,
              std::shared_ptr<OpenConnections> connections)
      : routes_(std::move(routes)),
        metrics_(std::move(metrics)),
        executor_(std::move(executor)),
        gate_(std::move(gate)),
        sources_(std::make_shared<const SourceHeaders>(routes_->lookup())),
        connections_(std::move(connections)) {}

  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override;

 private:
  std::shared_ptr<const RestRoutes> routes_;
  std::shared_ptr<HttpMetrics> metrics_;
  std::shared_ptr<LookupExecutor> executor_;
  std::shared_ptr<AuthGate> gate_;
  std::shared_ptr<const SourceHeaders> sources_;
  std::shared_ptr<OpenConnections> connections_;
};

}  // namespace sluice::rest
