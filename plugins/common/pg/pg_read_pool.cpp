#include "pg_read_pool.hpp"

#include <algorithm>

namespace sluice::pg {

namespace {
constexpr auto back_off = std::chrono::seconds(1);

// Reported like a statement timeout: the same public reason, the same "transient".
PgError::Fields timed_out() {
  PgError::Fields fields;
  fields.sqlstate = "57014";
  return fields;
}

std::string timeout_statement(std::chrono::milliseconds timeout) {
  return "SET statement_timeout = " + std::to_string(std::max<long long>(1, timeout.count()));
}
}  // namespace

PgReadPool::PgReadPool(std::string connect_string, std::size_t size, std::chrono::milliseconds timeout)
    : connect_string_(std::move(connect_string)), size_(size ? size : 1), timeout_(timeout) {}

std::unique_ptr<PgConnection> PgReadPool::acquire(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (std::chrono::steady_clock::now() < down_until_) {
    throw PgError(Failure::connection, "database unavailable: " + last_error_);
  }
  if (!available_.wait_until(lock, deadline, [&] { return !idle_.empty() || idle_.size() + out_ < size_; })) {
    throw PgError(Failure::transient,
                  "no lookup connection free: timed out after " + std::to_string(timeout_.count()) + " ms",
                  timed_out());
  }
  ++out_;
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  auto connection = std::make_unique<PgConnection>(connect_string_);
  connection->set_session_setup(timeout_statement(timeout_));
  return connection;
}

void PgReadPool::release(std::unique_ptr<PgConnection> connection) {
  std::lock_guard lock(mutex_);
  --out_;
  if (connection && connection->is_open()) idle_.push_back(std::move(connection));
  available_.notify_one();
}

void PgReadPool::run(const std::function<void(PgConnection&)>& work) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto connection = acquire(deadline);
  bool shortened = false;
  try {
    connection->open();
    // The wait for a connection used part of the budget: this statement gets only the rest,
    // so the whole lookup stays within the timeout.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left < timeout_ * 9 / 10) {
      if (left.count() <= 0) {
        throw PgError(Failure::transient, "lookup timed out waiting for a connection", timed_out());
      }
      shortened = true;
      connection->exec(timeout_statement(left));
    }
    try {
      work(*connection);
    } catch (const soci::soci_error& e) {
      throw connection->translate(e);
    }
    if (shortened) connection->exec(timeout_statement(timeout_));
  } catch (const PgError& e) {
    if (e.failure() == Failure::connection) {
      std::lock_guard lock(mutex_);
      down_until_ = std::chrono::steady_clock::now() + back_off;
      last_error_ = e.what();
      // The others are probably dead too; drop them so the next call reconnects.
      idle_.clear();
      connection->close();
    } else if (shortened && connection->is_open()) {
      try {
        connection->rollback_quietly();
        connection->exec(timeout_statement(timeout_));
      } catch (const PgError&) {
        connection->close();  // cannot restore its timeout: not reused
      }
    }
    release(std::move(connection));
    throw;
  } catch (...) {
    release(std::move(connection));
    throw;
  }
  release(std::move(connection));
}

void PgReadPool::close() {
  std::lock_guard lock(mutex_);
  idle_.clear();
}

}  // namespace sluice::pg
