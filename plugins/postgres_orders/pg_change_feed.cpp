#include "pg_change_feed.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "change_notice.hpp"
#include "pg_error.hpp"
#include "sluice/backoff.hpp"
#include "sluice/log_text.hpp"

namespace sluice::pg {
namespace {

constexpr auto first_pause = std::chrono::milliseconds(250);
constexpr auto longest_pause = std::chrono::seconds(2);
// PQconnectStart ignores connect_timeout: the feed bounds its connect itself.
constexpr auto connect_limit = std::chrono::seconds(10);
constexpr int poll_ms = 100;  // how soon stop() is noticed while waiting

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Res = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string error_text(PGconn* conn) {
  std::string text = conn ? PQerrorMessage(conn) : "out of memory";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string sqlstate_of(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

}  // namespace

PgChangeFeed::PgChangeFeed(std::string connect_string, std::string channel, std::chrono::milliseconds statement_timeout,
                           spdlog::logger& log)
    : connect_string_(std::move(connect_string)),
      channel_(std::move(channel)),
      statement_timeout_(statement_timeout),
      log_(log) {}

PgChangeFeed::~PgChangeFeed() { stop(); }

Status PgChangeFeed::start(ChangeFollower& follower) {
  std::lock_guard lock(control_);
  if (follower_ == &follower) return Status::ok();  // already served
  if (follower_) {
    return Status::fatal("postgres: the change feed serves one follower at a time, and has one already");
  }
  follower_ = &follower;
  stopping_ = false;
  thread_ = std::thread([this, &follower] { run(follower); });
  return Status::ok();
}

void PgChangeFeed::stop() {
  std::lock_guard lock(control_);
  if (!follower_) return;
  {
    std::lock_guard wake_lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  follower_ = nullptr;
}

void PgChangeFeed::pause(std::chrono::milliseconds pause) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_for(lock, pause, [&] { return stopping_.load(); });
}

bool PgChangeFeed::wait_socket(PGconn* conn, bool for_write) {
  if (stopping_) return false;
  pollfd fd{PQsocket(conn), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  if (fd.fd >= 0) ::poll(&fd, 1, poll_ms);
  return !stopping_;
}

PGconn* PgChangeFeed::connect(std::string& error) {
  Conn conn(PQconnectStart(connect_string_.c_str()), &PQfinish);
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) {
    error = error_text(conn.get());
    return nullptr;
  }
  const auto give_up = std::chrono::steady_clock::now() + connect_limit;
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      error = error_text(conn.get());
      return nullptr;
    }
    if (std::chrono::steady_clock::now() > give_up) {
      error = "connect timed out";
      return nullptr;
    }
    if (!wait_socket(conn.get(), state == PGRES_POLLING_WRITING)) return nullptr;
    state = PQconnectPoll(conn.get());
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn.release();
}

PgChangeFeed::Failed PgChangeFeed::follow_once(ChangeFollower& follower, bool& resumed) {
  resumed = false;
  std::string error;
  Conn conn(connect(error), &PQfinish);
  if (!conn) {
    if (stopping_) return {"stopped", false};
    log_.warn("change feed: cannot connect: {}", printable(error, 1024));
    return {public_reason(Failure::connection, "", error)};
  }
  // Bounded statements (a locked offsets table must not hold stop() up for long).
  auto exec = [&](const std::string& sql, ExecStatusType expected, Failed& failed) -> Res {
    Res result(PQexec(conn.get(), sql.c_str()), &PQclear);
    if (!result || PQresultStatus(result.get()) != expected) {
      std::string state = sqlstate_of(result.get());
      std::string text = error_text(conn.get());
      log_.warn("change feed: {} failed: {}", sql.substr(0, sql.find(' ')), printable(text, 1024));
      bool alive = PQstatus(conn.get()) == CONNECTION_OK;
      failed = {public_reason(classify(state, alive && result), state, text)};
      return Res(nullptr, &PQclear);
    }
    return result;
  };
  Failed failed;
  char* channel = PQescapeIdentifier(conn.get(), channel_.data(), channel_.size());
  if (!channel) return {"database connection failed"};
  std::string listen = "SET statement_timeout = " + std::to_string(statement_timeout_.count()) + "; LISTEN " + channel;
  PQfreemem(channel);
  if (!exec(listen, PGRES_COMMAND_OK, failed)) return failed;
  Res rows = exec("SELECT stream, partition, next_offset FROM offsets", PGRES_TUPLES_OK, failed);
  if (!rows) return failed;
  std::vector<Position> positions;
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    positions.push_back({PQgetvalue(rows.get(), row, 0),
                         static_cast<std::int32_t>(std::stol(PQgetvalue(rows.get(), row, 1))),
                         std::stoll(PQgetvalue(rows.get(), row, 2))});
  }
  rows.reset();
  if (stopping_) return {"stopped", false};
  Status status = follower.resumed(positions);
  if (!status.is_ok()) {
    log_.warn("change feed: the follower could not resynchronise: {}", printable(status.message(), 1024));
    return {"the follower could not resynchronise", false};
  }
  resumed = true;
  for (;;) {
    if (!wait_socket(conn.get(), false)) return {"stopped", false};
    if (!PQconsumeInput(conn.get()) || PQstatus(conn.get()) != CONNECTION_OK) {
      std::string text = error_text(conn.get());
      log_.warn("change feed: session lost: {}", printable(text, 1024));
      std::string reason = public_reason(Failure::connection, "", text);
      return {reason == "database connection failed" ? "database connection lost" : reason};
    }
    while (PGnotify* raw = PQnotifies(conn.get())) {
      std::unique_ptr<PGnotify, decltype(&PQfreemem)> notify(raw, &PQfreemem);
      if (channel_ != notify->relname) continue;
      auto notice = decode_change(notify->extra ? notify->extra : "");
      if (!notice) {
        log_.warn("change feed: unreadable notice on channel {}: {}", printable(channel_),
                  printable(notify->extra ? notify->extra : ""));
        return {"a change feed message could not be read"};
      }
      if (notice->gap) return {"a change was too large to announce; resynchronising"};
      status = follower.committed(notice->change);
      if (!status.is_ok()) {
        log_.warn("change feed: the follower could not apply a change: {}", printable(status.message(), 1024));
        return {"the follower could not apply a change"};
      }
      if (stopping_) return {"stopped", false};
    }
  }
}

void PgChangeFeed::run(ChangeFollower& follower) {
  Backoff backoff(first_pause, longest_pause);
  bool lost_reported = false;
  while (!stopping_) {
    bool resumed = false;
    Failed failed = follow_once(follower, resumed);
    if (stopping_) break;
    if (resumed) {
      lost_reported = false;
      backoff.reset();
      log_.info("change feed interrupted, resuming: {}", failed.reason);
    }
    if (failed.report && !lost_reported) {
      follower.lost(failed.reason);
      lost_reported = true;
    }
    pause(backoff.next());
  }
}

}  // namespace sluice::pg
