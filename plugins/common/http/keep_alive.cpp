#include "keep_alive.hpp"

namespace sluice::http {

using namespace Pistache::Http;

void keep_alive_by_default(const Request& request, ResponseWriter& response) {
  if (request.version() != Version::Http11) return;
  if (request.headers().has<Header::Connection>()) return;
  // Overwrite the header object Pistache already put there, in place: Collection::add would
  // not replace an existing entry, and remove + add would allocate on every request.
  auto connection = response.headers().tryGet<Header::Connection>();
  if (connection) {
    *connection = Header::Connection(ConnectionControl::KeepAlive);
  } else {
    response.headers().add<Header::Connection>(ConnectionControl::KeepAlive);
  }
}

namespace {

void close_connection(ResponseWriter& response) {
  if (auto connection = response.headers().tryGet<Header::Connection>()) {
    *connection = Header::Connection(ConnectionControl::Close);
  } else {
    response.headers().add<Header::Connection>(ConnectionControl::Close);
  }
}

}  // namespace

void close_if_draining(const OpenConnections& connections, ResponseWriter& response) {
  if (connections.draining()) close_connection(response);
}

void close_if_draining(const OpenConnections::InFlight& request, ResponseWriter& response) {
  if (request.draining()) close_connection(response);
}

}  // namespace sluice::http
