#include "monotonic_checker.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

#include "default_pipeline.hpp"

namespace sluice::test {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Connection connect(const std::string& dsn) {
  // Not application_name 'sluice': the tests count the pipeline's own sessions by that name.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {dsn.c_str(), "2", "reliability-checker", nullptr};
  return Connection(PQconnectdbParams(keys, values, /*expand_dbname=*/1), &PQfinish);
}

Result exec(PGconn* connection, const std::string& sql) { return Result(PQexec(connection, sql.c_str()), &PQclear); }

bool ok(const Result& result) {
  auto status = PQresultStatus(result.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string sql_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

MonotonicChecker::MonotonicChecker(Options options) : options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

MonotonicChecker::~MonotonicChecker() { stop(); }

void MonotonicChecker::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void MonotonicChecker::loop() {
  Connection connection(nullptr, &PQfinish);
  while (!stop_) {
    auto next = std::chrono::steady_clock::now() + options_.period;
    if (!connection || PQstatus(connection.get()) != CONNECTION_OK) connection = connect(options_.dsn);
    bool taken = PQstatus(connection.get()) == CONNECTION_OK && sample(connection.get());
    (taken ? samples_ : failed_)++;
    if (!taken && connection && PQstatus(connection.get()) == CONNECTION_OK) {
      exec(connection.get(), "ROLLBACK");  // e.g. the schema is not there yet
    }
    std::this_thread::sleep_until(next);
  }
}

void MonotonicChecker::record(std::string what) {
  std::lock_guard lock(mutex_);
  ++regression_count_;
  if (regressions_.size() < 12) regressions_.push_back(std::move(what));
}

bool MonotonicChecker::sample(void* handle) {
  auto* connection = static_cast<PGconn*>(handle);
  const long n = samples_ + 1;
  if (!ok(exec(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))) return false;
  Result positions =
      exec(connection, "SELECT partition, next_offset FROM offsets WHERE stream = " + sql_literal(options_.stream));
  if (!ok(positions)) return false;
  Result orders(nullptr, &PQclear);
  if (options_.orders) {
    orders = exec(connection, "SELECT order_uid, " + DefaultPipeline::order_version_sql() +
                                  ", coalesce(source_partition, -1), coalesce(source_offset, -1) FROM orders");
    if (!ok(orders)) return false;
  }
  if (!ok(exec(connection, "COMMIT"))) return false;

  for (int row = 0; row < PQntuples(positions.get()); ++row) {
    int partition = std::atoi(PQgetvalue(positions.get(), row, 0));
    long long next = std::atoll(PQgetvalue(positions.get(), row, 1));
    auto [seen, fresh] = positions_.try_emplace(partition, next);
    if (!fresh && next < seen->second) {
      record("offsets " + options_.stream + "[" + std::to_string(partition) + "]: next_offset " +
             std::to_string(seen->second) + " -> " + std::to_string(next) + " at sample " + std::to_string(n));
    }
    seen->second = std::max(seen->second, next);  // compare with the highest ever seen
  }
  if (!options_.orders) return true;

  std::size_t present = 0;
  for (int row = 0; row < PQntuples(orders.get()); ++row) {
    std::string uid = PQgetvalue(orders.get(), row, 0);
    OrderState now{std::atoll(PQgetvalue(orders.get(), row, 1)), std::atoi(PQgetvalue(orders.get(), row, 2)),
                   std::atoll(PQgetvalue(orders.get(), row, 3))};
    auto [seen, fresh] = orders_.try_emplace(uid, now);
    ++present;
    if (fresh) continue;
    OrderState& was = seen->second;
    bool older = now.version < was.version ||
                 (now.version == was.version && now.partition == was.partition && now.offset < was.offset);
    if (older) {
      record("order " + uid + ": version " + std::to_string(was.version) + " (" + std::to_string(was.partition) + "@" +
             std::to_string(was.offset) + ") -> version " + std::to_string(now.version) + " (" +
             std::to_string(now.partition) + "@" + std::to_string(now.offset) + ") at sample " + std::to_string(n));
      continue;  // keep the newest seen as the reference
    }
    if (now.version != was.version || now.offset != was.offset) ++order_updates_;
    was = now;
  }
  // An order never disappears: it is replaced inside one transaction, never deleted alone.
  if (present < orders_.size()) {
    record(std::to_string(orders_.size() - present) + " stored order(s) disappeared at sample " + std::to_string(n));
  }
  return true;
}

std::vector<std::string> MonotonicChecker::regressions() const {
  std::lock_guard lock(mutex_);
  return regressions_;
}

std::size_t MonotonicChecker::regression_count() const {
  std::lock_guard lock(mutex_);
  return regression_count_;
}

std::string MonotonicChecker::summary() const {
  std::string text = std::to_string(samples_) + " samples (" + std::to_string(failed_) + " failed: database down), " +
                     std::to_string(order_updates_) + " order updates seen, " + std::to_string(regression_count()) +
                     " regression(s)";
  for (const auto& line : regressions()) text += "\n  " + line;
  return text;
}

}  // namespace sluice::test
