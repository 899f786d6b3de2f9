// One PostgreSQL connection: a SOCI session (connect, typed queries) plus its native libpq
// handle for what SOCI cannot do fast or at all (COPY, multi-statement scripts, binary
// parameters). Not thread-safe; every failure is thrown as PgError.
#pragma once

#include <libpq-fe.h>
#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pg_error.hpp"

namespace sluice::pg {

struct Param {
  std::string value;
  bool is_null = false;
  bool binary = false;  // bytea and other values passed as raw bytes
};

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Rows an INSERT, UPDATE or DELETE touched (PQcmdTuples); 0 for other statements.
std::int64_t affected_rows(const Result& result);

class PgConnection {
 public:
  explicit PgConnection(std::string connect_string);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Connects if not connected. Throws PgError(connection).
  void open();
  // Statements run on every new session right after it connects (e.g. a statement_timeout
  // for lookup connections only).
  void set_session_setup(std::string sql) { session_setup_ = std::move(sql); }
  // Connected as far as libpq knows (a dead server shows on the next statement).
  bool is_open() const;
  void close();

  soci::session& session() { return session_; }
  PGconn* native() const { return native_; }

  // Simple protocol; `sql` may hold several statements (migration files).
  void exec(const std::string& sql);
  // Extended protocol with parameters ($1, $2 ...); returns the tuples.
  Result query(const std::string& sql, const std::vector<Param>& params = {});
  // COPY ... FROM STDIN with `data` in the COPY format the statement names.
  void copy_in(const std::string& copy_statement, std::string_view data);
  // COPY ... TO STDOUT; hands each chunk to `chunk`. Returning false stops early, which
  // closes the connection (the only way to abandon a COPY OUT quickly).
  void copy_out(const std::string& copy_statement, const std::function<bool(std::string_view)>& chunk);
  // A SOCI failure on this connection as a PgError.
  PgError translate(const soci::soci_error& error) const;
  // ROLLBACK if a transaction may be open; swallows errors (used on error paths).
  void rollback_quietly();

 private:
  Result check(PGresult* result, const std::string& what, ExecStatusType expected);

  std::string connect_string_;
  std::string session_setup_;
  soci::session session_;
  PGconn* native_ = nullptr;
};

// A text[] literal ({"a","b"}) for passing a list as one parameter.
std::string text_array_literal(const std::vector<std::string_view>& values);
// A bigint[] (or integer[]) literal ({1,2}) for passing ids or numbers as one parameter.
std::string bigint_array_literal(const std::vector<std::int64_t>& values);

}  // namespace sluice::pg
