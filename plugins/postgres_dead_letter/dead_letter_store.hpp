// The operators' side of postgres_dead_letter (sluice::DeadLetterStore): list, show, count,
// discard and retire letters. Called from API threads while the sink writes on its own
// thread, so it has a connection of its own, behind a mutex: opened on first use, dropped
// when it breaks and opened again by the next call. Failures are Status values by the one
// PgError -> Status rule (pg_status.hpp): retry while the database is unreachable.
#pragma once

#include <mutex>
#include <string>

#include "pg_connection.hpp"
#include "sluice/dead_letters.hpp"
#include "sluice/plugin.hpp"

namespace sluice::pg {

class PgDeadLetterStore final : public DeadLetterStore {
 public:
  // `location`: pg::location() of the sink's DSN; `payload_limit`: the sink's max_payload_bytes
  // (a sink writing into the same database keeps that much of a letter's payload too).
  PgDeadLetterStore(std::string connect_string, std::string location, Host& host, std::size_t payload_limit = 0);

  Status list(const DeadLetterQuery& query, bool with_payload, std::vector<DeadLetter>& out) override;
  Status get(std::int64_t id, DeadLetter& out, bool& found) override;
  Status reasons(std::vector<ReasonCount>& out) override;
  Status discard(const DeadLetterQuery& query, std::int64_t& discarded) override;
  Status retire(const std::vector<std::int64_t>& ids) override;
  std::string location() const override { return location_; }
  std::size_t payload_limit() const override { return payload_limit_; }
  // In one transaction on this store's connection (dead_letter_table.hpp: store_dead_letter).
  Status write_letters(const Batch& letters) override;

  // Drops the connection (the sink's close()).
  void close();

 private:
  // Runs `work` on the (re)opened connection under the mutex; PgError and other exceptions
  // become Status values, and a broken connection is dropped for the next call to reopen.
  template <class Work>
  Status run(const char* doing, Work&& work);

  std::mutex mutex_;
  PgConnection connection_;
  const std::string location_;
  Host& host_;
  const std::size_t payload_limit_;
};

}  // namespace sluice::pg
