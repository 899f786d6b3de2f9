#include "pg_read_pool.hpp"

namespace sluice::pg {

namespace {
constexpr auto back_off = std::chrono::seconds(1);
}

PgReadPool::PgReadPool(std::string connect_string, std::size_t size)
    : connect_string_(std::move(connect_string)), size_(size ? size : 1) {}

std::unique_ptr<PgConnection> PgReadPool::acquire() {
  std::unique_lock lock(mutex_);
  if (std::chrono::steady_clock::now() < down_until_) {
    throw PgError(Failure::connection, "database unavailable: " + last_error_);
  }
  available_.wait(lock, [&] { return !idle_.empty() || idle_.size() + out_ < size_; });
  ++out_;
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  return std::make_unique<PgConnection>(connect_string_);
}

void PgReadPool::release(std::unique_ptr<PgConnection> connection) {
  std::lock_guard lock(mutex_);
  --out_;
  if (connection && connection->is_open()) idle_.push_back(std::move(connection));
  available_.notify_one();
}

void PgReadPool::run(const std::function<void(PgConnection&)>& work) {
  auto connection = acquire();
  try {
    connection->open();
    try {
      work(*connection);
    } catch (const soci::soci_error& e) {
      throw connection->translate(e);
    }
  } catch (const PgError& e) {
    if (e.failure() == Failure::connection) {
      std::lock_guard lock(mutex_);
      down_until_ = std::chrono::steady_clock::now() + back_off;
      last_error_ = e.what();
      // The others are probably dead too; drop them so the next call reconnects.
      idle_.clear();
    }
    connection->close();
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
