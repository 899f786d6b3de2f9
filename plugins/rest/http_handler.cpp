#include "http_handler.hpp"

#include <chrono>

#include "fixed_header.hpp"
#include "keep_alive.hpp"

namespace sluice::rest {

using namespace Pistache;

namespace {

RequestView view_of(const Http::Request& request) {
  RequestView view;
  view.is_get = request.method() == Http::Method::Get;
  view.path = request.resource();
  view.target_size = view.path.size();
  const auto& query = request.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
    view.target_size += it->first.size() + it->second.size() + 2;  // '?'/'&' and '='
    if (it->first == "limit") view.limit = it->second;
  }
  return view;
}

void add_headers(const Reply& reply, Http::ResponseWriter& response) {
  auto& headers = response.headers();
  headers.add(fixed_header("Content-Type", reply.content_type));
  if (reply.method_not_allowed) headers.add(fixed_header("Allow", "GET"));
  if (reply.static_file) {
    // The page changes with the build and has no version in its URLs: always revalidate.
    headers.add(fixed_header("Cache-Control", "no-cache"));
    headers.add(fixed_header("X-Content-Type-Options", "nosniff"));
  }
}

}  // namespace

void HttpHandler::onRequest(const Http::Request& request, Http::ResponseWriter response) {
  const auto started = std::chrono::steady_clock::now();
  // One reply per worker thread, reused: its body keeps its capacity between requests.
  thread_local Reply reply;
  reply.clear();
  try {
    routes_->handle(view_of(request), reply);
  } catch (const std::exception& e) {
    // Bad input never lands here (every check above returns a status); this is a bug or
    // memory exhaustion, and the client still gets JSON.
    reply.clear();
    reply.status = 500;
    reply.body = error_json("internal error", "detail", e.what());
  }
  keep_alive_by_default(request, response);
  add_headers(reply, response);
  response.send(static_cast<Http::Code>(reply.status), reply.body);
  metrics_->record(reply.route, reply.status, std::chrono::steady_clock::now() - started);
}

}  // namespace sluice::rest
