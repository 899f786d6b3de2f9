#include "admin_http.hpp"

#include <pistache/peer.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "answer_written.hpp"
#include "fixed_header.hpp"
#include "json_error.hpp"
#include "keep_alive.hpp"
#include "openapi_document.hpp"
#include "owned_header.hpp"
#include "percent_decode.hpp"
#include "request_auth.hpp"
#include "sluice/metrics.hpp"

namespace sluice::admin {

using namespace Pistache;
using Clock = std::chrono::steady_clock;

namespace {

Async::Promise<ssize_t> send_admin(const AdminReply& reply, const std::string& body, Http::ResponseWriter& response) {
  auto& headers = response.headers();
  headers.add(owned_header("Content-Type", reply.content_type));
  headers.add(fixed_header("Cache-Control", "no-store"));  // operator data: never cached
  headers.add(fixed_header("X-Content-Type-Options", "nosniff"));
  for (const auto& [name, value] : reply.headers) headers.add(owned_header(name, value));
  return response.send(static_cast<Http::Code>(reply.status), body);
}

// An admin request on an admin thread, with the client's response writer.
class AdminJob final : public LookupJob {
 public:
  AdminJob(std::shared_ptr<const AdminShared> shared, AdminRequest request, Http::ResponseWriter response,
           Clock::time_point started, OpenConnections::InFlight in_flight)
      : shared_(std::move(shared)),
        request_(std::move(request)),
        response_(std::move(response)),
        started_(started),
        in_flight_(std::move(in_flight)) {}

  void run() override {
    AdminReply reply;
    try {
      shared_->routes->handle(request_, reply);
      if (reply.stream) {
        std::string buffered;
        bool cut = false;
        reply.stream([&](std::string_view chunk) {
          // The client is gone, or the server stopping (stop() waits for this thread).
          if (!response_.getPeer() || shared_->stopping->load()) return false;
          if (buffered.size() + chunk.size() > max_buffered_stream) {
            cut = true;
            return false;
          }
          buffered.append(chunk);
          return true;
        });
        if (cut) reply.headers.emplace_back("X-Sluice-Truncated", "true");
        reply.body = std::move(buffered);
      }
    } catch (const std::exception& e) {
      reply = AdminReply{};
      reply.status = 500;
      reply.body = error_json("internal error", "detail", e.what());
    }
    // Counted before the answer leaves, so a client that read it finds it in /metrics.
    shared_->http_metrics->record(Route::admin, reply.status, Clock::now() - started_);
    close_if_draining(in_flight_, response_);
    auto sent = send_admin(reply, reply.body, response_);
    wait_until_written(sent, answer_write_bound);
  }

  void refuse(Refusal why) override {
    AdminReply reply;
    reply.status = 503;
    reply.body = error_json(why == Refusal::stopping ? "server is stopping" : "admin threads busy, try again");
    shared_->http_metrics->record(Route::admin, reply.status, Clock::now() - started_);
    close_if_draining(in_flight_, response_);
    send_admin(reply, reply.body, response_);
  }

 private:
  std::shared_ptr<const AdminShared> shared_;
  AdminRequest request_;
  Http::ResponseWriter response_;
  Clock::time_point started_;
  OpenConnections::InFlight in_flight_;  // given back with the job, once its answer went
};

// Answers that did not come from an authenticated admin request end their connection: only
// operators keep idle connections open on this listener (see the header). Only on the event
// loop's thread (onRequest): the write is queued for this same thread, so the continuation is
// attached before it can be resolved (answer_written.cpp says why that matters).
void close_after(Async::Promise<ssize_t>& sent, Http::ResponseWriter& response) {
  auto peer = response.getPeer();
  if (!peer) return;
  auto close = [peer](auto&&...) { ::shutdown(peer->fd(), SHUT_RDWR); };
  sent.then([close](ssize_t) { close(); }, [close](std::exception_ptr) { close(); });
}

void answer(Http::ResponseWriter& response, HttpMetrics& metrics, Route route, int status, std::string body,
            Clock::time_point started, const AuthDenial* denial = nullptr, const char* type = content_type::json) {
  auto& headers = response.headers();
  headers.add(fixed_header("Content-Type", type));
  headers.add(fixed_header("X-Content-Type-Options", "nosniff"));
  if (denial && denial->challenge) headers.add(fixed_header("WWW-Authenticate", bearer_challenge));
  if (denial && denial->retry_after > 0) headers.add(owned_header("Retry-After", std::to_string(denial->retry_after)));
  if (auto connection = headers.tryGet<Http::Header::Connection>()) {
    *connection = Http::Header::Connection(Http::ConnectionControl::Close);
  }
  metrics.record(route, status, Clock::now() - started);
  auto sent = response.send(static_cast<Http::Code>(status), body);
  close_after(sent, response);
}

}  // namespace

void AdminHttpHandler::onConnection(const std::shared_ptr<Tcp::Peer>& peer) {
  // What Http::Handler::onConnection does (it is private there): the connection's parser.
  peer->putData(ParserData, std::make_shared<Http::RequestParser>(getMaxRequestSize()));
  auto slot = shared_->connections ? shared_->connections->try_take() : nullptr;
  if (shared_->connections && !slot) {
    // Read and write ends shut: the event loop sees the hang-up and drops the peer.
    ::shutdown(peer->fd(), SHUT_RDWR);
    return;
  }
  // Given back when Pistache drops the peer, whichever way the connection ends.
  peer->putData("sluice.connection_slot", std::move(slot));
  peer->putData("sluice.open_connection", shared_->open_connections->opened());
}

bool decode_query(std::vector<std::pair<std::string, std::string>> raw,
                  std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  for (const auto& [raw_name, raw_value] : raw) {
    std::string name;
    std::string value;
    if (!percent_decode(raw_name, name) || !percent_decode(raw_value, value)) return false;
    out.emplace_back(std::move(name), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return true;
}

namespace {

bool admin_request_of(const Http::Request& request, AdminRequest& out) {
  out.method = Http::methodString(request.method());
  out.path = request.resource();
  const auto& query = request.query();
  if (!decode_query({query.parameters_begin(), query.parameters_end()}, out.query)) return false;
  out.body = request.body();
  return true;
}

}  // namespace

void AdminHttpHandler::onRequest(const Http::Request& request, Http::ResponseWriter response) {
  const auto started = Clock::now();
  const AdminShared& shared = *shared_;
  HttpMetrics& metrics = *shared.http_metrics;
  keep_alive_by_default(request, response);
  shared.open_connections->request_arrived();
  // A listener a reload replaced: the client's next request goes to the new one.
  close_if_draining(*shared.open_connections, response);
  const std::string& path = request.resource();
  const auto method = request.method();
  if (!host_check_exempt(path) && !shared.allowed_hosts.allows(host_of(request))) {
    answer(response, metrics, Route::other, 421, error_json("this server does not answer for that Host"), started);
    return;
  }

  if (path.starts_with("/admin/")) {
    if (auto denial = check_request(*shared.gate, Role::admin, request)) {
      answer(response, metrics, Route::admin, denial->status, denial->body, started, &*denial);
      return;
    }
    if (method != Http::Method::Get && method != Http::Method::Post && method != Http::Method::Delete) {
      response.headers().add(fixed_header("Allow", "GET, POST, DELETE"));
      answer(response, metrics, Route::admin, 405, error_json("method not allowed", "allow", "GET, POST, DELETE"),
             started);
      return;
    }
    AdminRequest admin;
    if (!admin_request_of(request, admin)) {
      answer(response, metrics, Route::admin, 400, error_json("malformed %-escape in the query"), started);
      return;
    }
    // Authenticated: from here the long keep-alive timeout applies, not the header timeout
    // (Pistache 0.0.5 times a busy connection from the request's arrival with the latter).
    if (auto peer = response.getPeer()) peer->setIdle(true);
    LookupExecutor& executor =
        is_long_running(admin) && shared.long_executor ? *shared.long_executor : *shared.executor;
    executor.submit(std::make_unique<AdminJob>(shared_, std::move(admin), std::move(response), started,
                                               shared.open_connections->answer_later()));
    return;
  }

  if (method != Http::Method::Get) {
    response.headers().add(fixed_header("Allow", "GET"));
    answer(response, metrics, Route::other, 405, error_json("method not allowed", "allow", "GET"), started);
    return;
  }
  if (path == "/healthz") {
    answer(response, metrics, Route::healthz, 200, R"({"status":"ok"})", started);
    return;
  }
  if (path == "/openapi.json") {
    answer(response, metrics, Route::openapi, 200, std::string(openapi_document()), started);
    return;
  }
  if (path == "/metrics" && shared.serves_metrics) {
    if (shared.metrics_need_token) {
      if (auto denial = check_request(*shared.gate, Role::read, request)) {
        answer(response, metrics, Route::metrics, denial->status, denial->body, started, &*denial);
        return;
      }
    }
    answer(response, metrics, Route::metrics, 200, shared.metrics->render(), started, nullptr,
           content_type::prometheus);
    return;
  }
  std::string body;
  const char* type = nullptr;
  switch (shared.files->read(path, body, type)) {
    case StaticResult::ok:
      response.headers().add(fixed_header("Cache-Control", "no-cache"));
      response.headers().add(fixed_header("Content-Security-Policy", page_csp));
      answer(response, metrics, Route::static_file, 200, std::move(body), started, nullptr, type);
      return;
    case StaticResult::bad_request:
      answer(response, metrics, Route::static_file, 400, error_json("invalid path"), started);
      return;
    case StaticResult::not_found:
      answer(response, metrics, Route::static_file, 404, error_json("not found"), started);
      return;
  }
}

}  // namespace sluice::admin
