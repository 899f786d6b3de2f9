// The Pistache side of the REST front end: turns a parsed Pistache request into a
// RequestView, lets RestRoutes answer it, and writes the Reply with the right headers.
// Pistache clones this handler once per worker thread, so it holds only a shared pointer to
// the immutable routing state.
#pragma once

#include <pistache/http.h>

#include <memory>

#include "http_metrics.hpp"
#include "rest_routes.hpp"

namespace sluice::rest {

class HttpHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpHandler)

  HttpHandler(std::shared_ptr<const RestRoutes> routes, std::shared_ptr<HttpMetrics> metrics)
      : routes_(std::move(routes)), metrics_(std::move(metrics)) {}

  void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override;

 private:
  std::shared_ptr<const RestRoutes> routes_;
  std::shared_ptr<HttpMetrics> metrics_;
};

}  // namespace sluice::rest
