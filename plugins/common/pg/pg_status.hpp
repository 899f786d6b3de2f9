// The one rule that turns a database failure into a Status, for every read and write path
// of the postgres plugins (postgres, postgres_dead_letter):
//
//   Failure::connection  -> retry   the server is gone or unreachable: later may work
//   Failure::transient   -> retry   deadlock, serialization failure, busy: so may the same call
//   Failure::data        -> fatal   the server refused a value: repeating it cannot help
//   Failure::fatal       -> fatal   schema or programming error: repeating it cannot help
//
// Paths that answer something else than a Status (a lookup's Lookup, a read-your-writes
// wait's Reach) use retryable() for the same split. The Status message is
// "<who>: <doing>: <public reason>": never libpq's text, which names hosts, users and
// databases (callers log error.what() themselves), since Status messages reach /readyz.
#pragma once

#include <string_view>

#include "pg_error.hpp"
#include "sluice/status.hpp"

namespace sluice::pg {

// True for connection and transient failures: the same call may succeed later.
constexpr bool retryable(Failure failure) { return failure == Failure::connection || failure == Failure::transient; }

// retry if retryable(error.failure()), else fatal; message as described above.
Status status_of(const PgError& error, std::string_view who, std::string_view doing);

}  // namespace sluice::pg
