#include "pg_connection.hpp"

#include <soci/postgresql/soci-postgresql.h>

namespace sluice::pg {

PgConnection::PgConnection(std::string connect_string) : connect_string_(std::move(connect_string)) {}

PgConnection::~PgConnection() { close(); }

void PgConnection::open() {
  if (native_ && PQstatus(native_) == CONNECTION_OK) return;
  close();
  try {
    session_.open(soci::postgresql, connect_string_);
  } catch (const soci::soci_error& e) {
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    throw PgError(Failure::connection, message);
  }
  native_ = static_cast<soci::postgresql_session_backend*>(session_.get_backend())->conn_;
  // NOTICEs ("relation already exists, skipping") would go to stderr unasked; drop them.
  PQsetNoticeProcessor(
      native_, [](void*, const char*) {}, nullptr);
  if (!session_setup_.empty()) {
    try {
      exec(session_setup_);
    } catch (...) {
      close();  // never hand out a session without its settings
      throw;
    }
  }
}

bool PgConnection::is_open() const { return native_ && PQstatus(native_) == CONNECTION_OK; }

void PgConnection::close() {
  if (!native_) return;
  native_ = nullptr;
  try {
    session_.close();
  } catch (const std::exception&) {
    // Closing a broken connection may complain; it is gone either way.
  }
}

Result PgConnection::check(PGresult* raw, const std::string& what, ExecStatusType expected) {
  Result result(raw, &PQclear);
  if (!result || PQresultStatus(result.get()) != expected) {
    throw error_from_result(native_, result.get(), what);
  }
  return result;
}

void PgConnection::exec(const std::string& sql) {
  if (!native_) throw PgError(Failure::connection, "not connected");
  // A multi-statement string returns the last statement's result; errors stop it early.
  Result result(PQexec(native_, sql.c_str()), &PQclear);
  auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    throw error_from_result(native_, result.get(), "statement failed");
  }
}

Result PgConnection::query(const std::string& sql, const std::vector<Param>& params) {
  if (!native_) throw PgError(Failure::connection, "not connected");
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const Param& param : params) {
    values.push_back(param.is_null ? nullptr : param.value.c_str());
    lengths.push_back(static_cast<int>(param.value.size()));
    formats.push_back(param.binary ? 1 : 0);
  }
  PGresult* raw = PQexecParams(native_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), 0);
  Result result(raw, &PQclear);
  auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw error_from_result(native_, result.get(), "query failed");
  }
  return result;
}

void PgConnection::copy_in(const std::string& copy_statement, std::string_view data) {
  if (!native_) throw PgError(Failure::connection, "not connected");
  check(PQexec(native_, copy_statement.c_str()), "COPY failed to start", PGRES_COPY_IN);
  // Large chunks keep the number of CopyData messages (and syscalls) low.
  constexpr std::size_t chunk = 1 << 20;
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    std::size_t n = std::min(chunk, data.size() - at);
    if (PQputCopyData(native_, data.data() + at, static_cast<int>(n)) != 1) break;
  }
  PQputCopyEnd(native_, nullptr);
  Result result(PQgetResult(native_), &PQclear);
  // Drain: libpq wants PQgetResult called until it returns null before the next command.
  while (PGresult* extra = PQgetResult(native_)) PQclear(extra);
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    throw error_from_result(native_, result.get(), "COPY failed");
  }
}

void PgConnection::copy_out(const std::string& copy_statement, const std::function<bool(std::string_view)>& chunk) {
  if (!native_) throw PgError(Failure::connection, "not connected");
  check(PQexec(native_, copy_statement.c_str()), "COPY failed to start", PGRES_COPY_OUT);
  for (;;) {
    char* buffer = nullptr;
    int n = PQgetCopyData(native_, &buffer, 0);
    if (n > 0) {
      bool more = chunk(std::string_view(buffer, static_cast<std::size_t>(n)));
      PQfreemem(buffer);
      if (!more) {
        close();
        return;
      }
      continue;
    }
    if (n == -1) break;  // done
    throw error_from_result(native_, nullptr, "COPY OUT failed");
  }
  check(PQgetResult(native_), "COPY OUT failed", PGRES_COMMAND_OK);
  while (PGresult* extra = PQgetResult(native_)) PQclear(extra);
}

PgError PgConnection::translate(const soci::soci_error& error) const {
  std::string message = error.get_error_message();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  PgError::Fields fields;
  auto* pg_error = dynamic_cast<const soci::postgresql_soci_error*>(&error);
  // SOCI's own errors (a type mismatch, a null without indicator) are ours, not the server's:
  // retrying cannot fix them.
  if (!pg_error && is_open()) return PgError(Failure::fatal, message, fields);
  if (pg_error) fields.sqlstate = pg_error->sqlstate();
  return PgError(classify(fields.sqlstate, is_open()), message, fields);
}

void PgConnection::rollback_quietly() {
  if (!is_open()) return;
  if (PQtransactionStatus(native_) == PQTRANS_IDLE) return;
  PGresult* result = PQexec(native_, "ROLLBACK");
  PQclear(result);
}

std::string text_array_literal(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string bigint_array_literal(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

std::int64_t affected_rows(const Result& result) {
  const char* count = PQcmdTuples(result.get());
  return count && *count ? std::stoll(count) : 0;
}

}  // namespace sluice::pg
