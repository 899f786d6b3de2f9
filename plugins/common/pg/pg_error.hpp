// Database failures as one exception type that says what to do about them: reconnect and
// retry (the server went away), retry (a deadlock), refuse the record (bad data), or stop.
#pragma once

#include <libpq-fe.h>

#include <stdexcept>
#include <string>

namespace sluice::pg {

enum class Failure {
  connection,  // the connection is gone or cannot be made: reconnect, retry later
  transient,   // deadlock, serialization, server busy: retry the transaction
  data,        // the server refused a value or a constraint: isolate the record
  fatal,       // schema or programming error: retrying will not help
};

class PgError : public std::runtime_error {
 public:
  struct Fields {
    std::string sqlstate;
    std::string context;  // e.g. "COPY items, line 2, column price: ..."
    std::string table;
    std::string column;
    std::string constraint;
  };
  PgError(Failure failure, const std::string& message, Fields fields = {})
      : std::runtime_error(message), failure_(failure), fields_(std::move(fields)) {}
  Failure failure() const { return failure_; }
  const Fields& fields() const { return fields_; }
  // A short reason fit for /readyz and Status messages (see public_reason below); what()
  // keeps the full text for the log.
  std::string public_reason() const;

 private:
  Failure failure_;
  Fields fields_;
};

// What may be shown outside the log (/readyz, Status messages, ChangeFollower::lost):
// libpq's and the server's messages name hosts, ports, users and databases, so they are
// mapped to one of a few fixed sentences ("database connection failed", "database
// authentication failed", "database is shutting down", "database did not answer in time",
// "the database refused the statement (SQLSTATE xxxxx)"). `message` is only inspected, never
// copied into the result.
std::string public_reason(Failure failure, const std::string& sqlstate, const std::string& message);

// Classifies by SQLSTATE class; a dead connection is always `connection`.
Failure classify(const std::string& sqlstate, bool connection_ok);

// Builds the error for a failed result (which may be null when the connection broke).
PgError error_from_result(PGconn* conn, const PGresult* result, const std::string& what);

}  // namespace sluice::pg
