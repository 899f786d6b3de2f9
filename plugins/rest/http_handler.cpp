#include "http_handler.hpp"

#include <pistache/peer.h>

#include <chrono>

#include "keep_alive.hpp"
#include "request_auth.hpp"

namespace sluice::rest {

using namespace Pistache;
using Clock = std::chrono::steady_clock;

namespace {

// A static name: tryGetRaw takes a std::string, and building this one (longer than the small
// string buffer) on every request would allocate.
const std::string min_position_header = "Sluice-Min-Position";

RequestView view_of(const Http::Request& request, const std::optional<std::string>& token_header) {
  RequestView view;
  view.is_get = request.method() == Http::Method::Get;
  view.path = request.resource();
  view.target_size = view.path.size();
  const auto& query = request.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
    view.target_size += it->first.size() + it->second.size() + 2;  // '?'/'&' and '='
    if (it->first == "limit") view.limit = it->second;
    if (it->first == "min_position") view.min_position_query = it->second;
  }
  if (token_header) view.min_position_header = *token_header;
  return view;
}

void deny(const AuthDenial& denial, Reply& reply) {
  reply.status = denial.status;
  reply.body = denial.body;
  reply.auth_challenge = denial.challenge;
  reply.retry_after = denial.retry_after;
}

// A template, not std::function: the hot path must not allocate for the closure.
template <typename Route>
void run_guarded(const Route& route, Reply& reply) {
  try {
    route();
  } catch (const std::exception& e) {
    // Bad input never lands here (every check returns a status); this is a bug or memory
    // exhaustion, and the client still gets JSON.
    reply.clear();
    reply.status = 500;
    reply.body = error_json("internal error", "detail", e.what());
  }
}

// A deferred lookup with the client's response writer: answered by a lookup thread, or
// refused with a JSON 503 when it cannot be run in time.
class LookupReply final : public LookupJob {
 public:
  LookupReply(std::shared_ptr<const RestRoutes> routes, std::shared_ptr<HttpMetrics> metrics,
              std::shared_ptr<const SourceHeaders> sources, OrderQuery query, Http::ResponseWriter response,
              Clock::time_point started, OpenConnections::InFlight in_flight)
      : routes_(std::move(routes)),
        metrics_(std::move(metrics)),
        sources_(std::move(sources)),
        query_(std::move(query)),
        response_(std::move(response)),
        started_(started),
        in_flight_(std::move(in_flight)) {}

  void run() override {
    thread_local Reply reply;
    reply.clear();
    run_guarded([&] { routes_->finish(query_, reply); }, reply);
    query_.wait_slot.reset();  // the wait is over: the next one may start
    close_if_draining(in_flight_, response_);
    auto sent = send_reply(reply, response_, *sources_, *metrics_, started_);
    wait_until_written(sent, answer_write_bound);
  }

  void refuse(Refusal why) override {
    const char* message = "server is stopping";
    if (why == Refusal::timed_out) {
      metrics_->lookup_timeouts().inc();
      message = "order store did not answer in time";
    } else if (why == Refusal::queue_full) {
      metrics_->lookup_queue_full().inc();
      message = "too many lookups waiting for an order store";
    }
    Reply reply;
    reply.route = query_.route;
    reply.status = 503;
    reply.body = query_.route == Route::order ? error_json(message, "order_uid", query_.uid) : error_json(message);
    close_if_draining(in_flight_, response_);
    send_reply(reply, response_, *sources_, *metrics_, started_);
  }

 private:
  std::shared_ptr<const RestRoutes> routes_;
  std::shared_ptr<HttpMetrics> metrics_;
  std::shared_ptr<const SourceHeaders> sources_;
  OrderQuery query_;
  Http::ResponseWriter response_;
  Clock::time_point started_;
  OpenConnections::InFlight in_flight_;  // given back with the job, once its answer went
};

}  // namespace

void HttpHandler::onConnection(const std::shared_ptr<Tcp::Peer>& peer) {
  // What Http::Handler::onConnection does (it is private there): the connection's parser.
  peer->putData(ParserData, std::make_shared<Http::RequestParser>(getMaxRequestSize()));
  peer->putData("sluice.open_connection", connections_->opened());
}

void HttpHandler::onRequest(const Http::Request& request, Http::ResponseWriter response) {
  const auto started = Clock::now();
  connections_->request_arrived();
  // One reply and one query per worker thread, reused: their buffers keep their capacity.
  thread_local Reply reply;
  thread_local OrderQuery deferred;
  reply.clear();
  // Raw::value() returns a copy: keep it here, the view only points into it. (Requests
  // without a token copy nothing.)
  std::optional<std::string> token_header;
  if (auto raw = request.headers().tryGetRaw(min_position_header)) token_header = raw->value();
  auto handled = RestRoutes::Handled::answered;
  if (!host_check_exempt(request.resource()) && !routes_->allowed_hosts().allows(host_of(request))) {
    reply.route = Route::other;
    reply.status = 421;
    reply.body = error_json("this server does not answer for that Host");
    keep_alive_by_default(request, response);
    close_if_draining(*connections_, response);
    send_reply(reply, response, *sources_, *metrics_, started);
    return;
  }
  if (routes_->needs_read_token(request.resource())) {
    if (auto denial = check_request(*gate_, Role::read, request)) {
      deny(*denial, reply);
      const auto& path = request.resource();
      reply.route = path == "/metrics" ? Route::metrics : path == "/api/orders" ? Route::recent_orders : Route::order;
      keep_alive_by_default(request, response);
      close_if_draining(*connections_, response);
      send_reply(reply, response, *sources_, *metrics_, started);
      return;
    }
  }
  run_guarded([&] { handled = routes_->handle(view_of(request, token_header), reply, deferred); }, reply);
  // Before the writer may leave this thread: it needs the request, which does not outlive this call.
  keep_alive_by_default(request, response);
  close_if_draining(*connections_, response);
  if (handled == RestRoutes::Handled::deferred) {
    executor_->submit(std::make_unique<LookupReply>(routes_, metrics_, sources_, std::move(deferred),
                                                    std::move(response), started, connections_->answer_later()));
    return;
  }
  send_reply(reply, response, *sources_, *metrics_, started);
}

}  // namespace sluice::rest
