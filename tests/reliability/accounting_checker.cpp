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
  CheckerConnection connection(nullptr, &PQfinish);
  while (!stop_) {
    auto next = std::chrono::steady_clock::now() + options_.period;
    if (!connection || PQstatus(connection.get()) != CONNECTION_OK) connection = connect_checker(options_.dsn);
    bool taken = PQstatus(connection.get()) == CONNECTION_OK && sample(connection.get());
    (taken ? samples_ : failed_)++;
    std::this_thread::sleep_until(next);
  }
}

void AccountingChecker::record(std::string what) {
  std::lock_guard lock(mutex_);
  ++violation_count_;
  if (violations_.size() < 12) violations_.push_back(std::move(what));
}

bool AccountingChecker::sample(void* handle) {
  auto* connection = static_cast<PGconn*>(handle);
  const long n = samples_ + 1;
  // One statement: one snapshot of positions, orders and letters.
  const std::string sql =
      "SELECT o.partition, o.next_offset,"
      " (SELECT count(*) FROM orders r WHERE r.source_stream = o.stream AND r.source_partition = o.partition"
      "   AND r.source_offset < o.next_offset)"
      " + (SELECT count(DISTINCT d.source_offset) FROM dead_letters d WHERE d.source_stream = o.stream"
      "   AND d.source_partition = o.partition AND d.source_offset >= 0 AND d.source_offset < o.next_offset)"
      " FROM offsets o WHERE o.stream = " +
      stream_literal(options_.stream);
  std::unique_ptr<PGresult, decltype(&PQclear)> rows(PQexec(connection, sql.c_str()), &PQclear);
  if (PQresultStatus(rows.get()) != PGRES_TUPLES_OK) return false;  // e.g. the schema is not there yet
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    const long long next = std::atoll(PQgetvalue(rows.get(), row, 1));
    const long long accounted = std::atoll(PQgetvalue(rows.get(), row, 2));
    if (accounted < next) {
      record(options_.stream + "[" + PQgetvalue(rows.get(), row, 0) + "] at sample " + std::to_string(n) +
             ": next_offset " + std::to_string(next) + " but " + std::to_string(accounted) +
             " of its records stored or dead-lettered");
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
