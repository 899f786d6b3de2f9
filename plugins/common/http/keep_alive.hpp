// Workaround for Pistache 0.0.5 closing keep-alive connections it should keep.
//
// Why: Http::Handler::onInput (src/common/http.cc in the 0.0.5 tag) pre-sets the response's
// Connection header from the request's and, when the request has none, adds
// `Connection: Close`:
//
//     auto connection = request.headers().tryGet<Header::Connection>();
//     if (connection) response.headers().add<Header::Connection>(connection->control());
//     else            response.headers().add<Header::Connection>(ConnectionControl::Close);
//
// That is wrong for HTTP/1.1, where persistence is the default (RFC 9112 §9.3). Pistache
// itself keeps the socket open, but clients obey the header: curl and wrk send no Connection
// header, read "Close", and open a new TCP connection for every request, which costs a
// handshake per request and cuts throughput several-fold.
//
// Fix: before sending, an HTTP/1.1 request without a Connection header gets its response's
// Connection header rewritten to keep-alive. HTTP/1.0 requests (persistence is opt-in there)
// and explicit `Connection: close` keep what Pistache set.
#pragma once

#include <pistache/http.h>

#include "open_connections.hpp"

namespace sluice::http {

void keep_alive_by_default(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter& response);

// A listener a reload replaced (OpenConnections::start_draining) ends each connection with its
// answer: the client's next request opens a new one, which the new listener takes. Called just
// before the answer is sent (a queued answer may be sent after the drain began), after
// keep_alive_by_default, whose header this overrides.
void close_if_draining(const OpenConnections& connections, Pistache::Http::ResponseWriter& response);
void close_if_draining(const OpenConnections::InFlight& request, Pistache::Http::ResponseWriter& response);

}  // namespace sluice::http
