#include "pg_error.hpp"

namespace sluice::pg {
namespace {

std::string field(const PGresult* result, int code) {
  const char* value = result ? PQresultErrorField(result, code) : nullptr;
  return value ? value : "";
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool mentions(const std::string& text, const char* what) { return text.find(what) != std::string::npos; }

}  // namespace

std::string public_reason(Failure failure, const std::string& sqlstate, const std::string& message) {
  // Connection failures carry no SQLSTATE (libpq reports them as text): recognised by the
  // server's fixed wording, which is not translated when lc_messages is C (our default).
  if (sqlstate.rfind("28", 0) == 0 || mentions(message, "authentication failed") || mentions(message, "pg_hba.conf") ||
      mentions(message, "password")) {
    return "database authentication failed";
  }
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || mentions(message, "shutting down") ||
      mentions(message, "starting up")) {
    return "database is shutting down";
  }
  if (sqlstate == "57014" || mentions(message, "timeout expired") || mentions(message, "timed out")) {
    return "database did not answer in time";
  }
  if (failure == Failure::connection) return "database connection failed";
  if (!sqlstate.empty()) return "the database refused the statement (SQLSTATE " + sqlstate + ")";
  return "database error";
}

std::string PgError::public_reason() const { return pg::public_reason(failure_, fields_.sqlstate, what()); }

Failure classify(const std::string& sqlstate, bool connection_ok) {
  // The server always sends a SQLSTATE with an error; one without came from libpq itself:
  // the connection broke ("server closed the connection unexpectedly") even where PQstatus
  // has not caught up yet. Retrying on a new connection is always right then.
  if (!connection_ok || sqlstate.empty()) return Failure::connection;
  auto klass = sqlstate.substr(0, 2);
  // 08: connection exception; 57P0x: shutdown, crash shutdown, cannot connect now, ...
  if (klass == "08" || sqlstate.rfind("57P0", 0) == 0) return Failure::connection;
  if (klass == "40" || klass == "53" || klass == "58" || sqlstate == "55P03" || sqlstate == "57014") {
    return Failure::transient;
  }
  if (klass == "22" || klass == "23" || klass == "21" || klass == "54") return Failure::data;
  return Failure::fatal;
}

PgError error_from_result(PGconn* conn, const PGresult* result, const std::string& what) {
  bool connection_ok = conn && PQstatus(conn) == CONNECTION_OK;
  PgError::Fields fields{field(result, PG_DIAG_SQLSTATE), field(result, PG_DIAG_CONTEXT),
                         field(result, PG_DIAG_TABLE_NAME), field(result, PG_DIAG_COLUMN_NAME),
                         field(result, PG_DIAG_CONSTRAINT_NAME)};
  std::string message = result ? field(result, PG_DIAG_MESSAGE_PRIMARY) : "";
  if (message.empty()) message = trimmed(conn ? PQerrorMessage(conn) : "no connection");
  if (message.empty()) message = "unknown error";
  for (char& c : message) {
    if (c == '\n' || c == '\t') c = ' ';  // libpq's multi-line messages, one log line
  }
  std::string text = what + ": " + message;
  if (!fields.sqlstate.empty()) text += " (SQLSTATE " + fields.sqlstate + ")";
  // A lost connection without a result carries no SQLSTATE; classify() treats it as such.
  // (Classified before the call: argument evaluation order would let the move win.)
  Failure failure = classify(fields.sqlstate, connection_ok && result != nullptr);
  return PgError(failure, text, std::move(fields));
}

}  // namespace sluice::pg
