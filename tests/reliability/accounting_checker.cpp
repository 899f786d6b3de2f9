#include "accounting_checker.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

namespace sluice::test {
namespace {

using CheckerConnection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

CheckerConnection connect_checker(const std::string& dsn) {
  // Not application_name 'sluice': the tests count the pipeline's own sessions by that name.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {dsn.c_str(), "2", "reliability-accounting", nullptr};
  return CheckerConnection(PQconnectdbParams(keys, values, /*expand_dbname=*/1), &PQfinish);
}

std::string stream_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

AccountingChecker::AccountingChecker(Options options) : options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

AccountingChecker::~AccountingChecker() { stop(); }

void AccountingChecker::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void AccountingChecker::loop() {
  const std::string letters_dsn = options_.letters_dsn.empty() ? options_.dsn : options_.letters_dsn;
  CheckerConnection connection(nullptr, &PQfinish);
  CheckerConnection letters(nullptr, &PQfinish);
  while (!stop_) {
    auto next = std::chrono::steady_clock::now() + options_.period;
    if (!connection || PQstatus(connection.get()) != CONNECTION_OK) connection = connect_checker(options_.dsn);
    if (!letters || PQstatus(letters.get()) != CONNECTION_OK) letters = connect_checker(letters_dsn);
    bool taken = PQstatus(connection.get()) == CONNECTION_OK && PQstatus(letters.get()) == CONNECTION_OK &&
                 sample(connection.get(), letters.get());
    (taken ? samples_ : failed_)++;
    std::this_thread::sleep_until(next);
  }
}

void AccountingChecker::record(std::string what) {
  std::lock_guard lock(mutex_);
  ++violation_count_;
  if (violations_.size() < 12) violations_.push_back(std::move(what));
}

bool AccountingChecker::sample(void* handle, void* letters_handle) {
  using Rows = std::unique_ptr<PGresult, decltype(&PQclear)>;
  auto* connection = static_cast<PGconn*>(handle);
  auto* letters = static_cast<PGconn*>(letters_handle);
  const long n = samples_ + 1;
  // One statement: positions and orders from one snapshot.
  const std::string sql =
      "SELECT o.partition, o.next_offset,"
      " (SELECT count(*) FROM orders r WHERE r.source_stream = o.stream AND r.source_partition = o.partition"
      "   AND r.source_offset < o.next_offset)"
      " FROM offsets o WHERE o.stream = " +
      stream_literal(options_.stream);
  Rows rows(PQexec(connection, sql.c_str()), &PQclear);
  if (PQresultStatus(rows.get()) != PGRES_TUPLES_OK) return false;  // e.g. the schema is not there yet
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    const std::string partition = PQgetvalue(rows.get(), row, 0);
    const std::string next = PQgetvalue(rows.get(), row, 1);
    const std::string count_letters = "SELECT count(DISTINCT source_offset) FROM dead_letters WHERE source_stream = " +
                                      stream_literal(options_.stream) + " AND source_partition = " + partition +
                                      " AND source_offset >= 0 AND source_offset < " + next;
    Rows lettered(PQexec(letters, count_letters.c_str()), &PQclear);
    if (PQresultStatus(lettered.get()) != PGRES_TUPLES_OK) return false;
    const long long accounted =
        std::atoll(PQgetvalue(rows.get(), row, 2)) + std::atoll(PQgetvalue(lettered.get(), 0, 0));
    if (accounted < std::atoll(next.c_str())) {
      record(options_.stream + "[" + partition + "] at sample " + std::to_string(n) + ": next_offset " + next +
             " but " + std::to_string(accounted) + " of its records stored or dead-lettered");
    }
  }
  return true;
}

std::vector<std::string> AccountingChecker::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

std::size_t AccountingChecker::violation_count() const {
  std::lock_guard lock(mutex_);
  return violation_count_;
}

std::string AccountingChecker::summary() const {
  std::string text = std::to_string(samples_) + " samples (" + std::to_string(failed_) + " failed), " +
                     std::to_string(violation_count()) + " violation(s)";
  for (const auto& line : violations()) text += "\n  " + line;
  return text;
}

}  // namespace sluice::test
