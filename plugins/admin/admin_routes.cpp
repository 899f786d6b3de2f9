#include "admin_routes.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "admin_json.hpp"
#include "input_bounds.hpp"
#include "json_error.hpp"
#include "shared_http.hpp"

namespace sluice::admin {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kLetters = "/admin/dead-letters";
constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMaxTapRecords = 10000;
constexpr std::int64_t kMaxTapMs = 600000;
constexpr std::size_t kMaxTapRate = 1000;
// A reload waits for new sinks to open (10 s at most) after draining the batches in flight.
constexpr auto kReloadWait = std::chrono::seconds(60);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void fail(AdminReply& reply, int status, std::string_view message, std::string_view key = {},
          std::string_view value = {}) {
  reply.status = status;
  reply.body = error_json(message, key, value);
}

// An error from the store or the pipeline: 503 when it may pass (the database is down), 500 else.
void fail(AdminReply& reply, const Status& status) {
  fail(reply, status.code() == StatusCode::retry ? 503 : 500, status.message());
}

const std::string* param(const AdminRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.query) {
    if (key == name) return &value;
  }
  return nullptr;
}

bool parse_count(std::string_view text, std::int64_t& out) { return parse_integer(text, IntegerRange{0}, out); }

// Ranges of the integer inputs (README.md, "Operating Sluice"): a count above its cap is accepted and
// capped, anything outside the range is a 400 naming the field and the range.
constexpr IntegerRange kPositive{1};
constexpr IntegerRange kNonNegative{0};
constexpr std::size_t kMaxSelectedIds = 10000;
// ?key= is compared byte for byte with the letters' record keys (an order id, as producers key
// orders): any bytes, NUL and quotes included, but bounded, so a megabyte of key is a 400.
constexpr LengthRange kKeyLength{1, 256};

// ?name=<integer in range>: false (400 in `reply`) when present and not.
bool integer_param(const AdminRequest& request, const char* name, IntegerRange range, std::string_view note,
                   std::optional<std::int64_t>& out, AdminReply& reply) {
  const std::string* text = param(request, name);
  if (!text) return true;
  std::int64_t value = 0;
  if (!parse_integer(*text, range, value)) {
    reply.status = 400;
    reply.body = range_error(name, range, *text, note);
    return false;
  }
  out = value;
  return true;
}

// The JSON member `name`, when present and not null, as an integer in range.
bool integer_member(const nlohmann::json& doc, const char* name, IntegerRange range, std::optional<std::int64_t>& out,
                    AdminReply& reply) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return true;
  std::int64_t value = 0;
  if (!json_integer(*it, range, value)) {
    reply.status = 400;
    reply.body = range_error(name, range, it->dump());
    return false;
  }
  out = value;
  return true;
}

// The JSON member `name` as a boolean (false when absent or null).
bool boolean_member(const nlohmann::json& doc, const char* name, bool& out, AdminReply& reply) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return true;
  if (!it->is_boolean()) {
    fail(reply, 400, std::string("invalid ") + name + ": expected true or false", "field", name);
    return false;
  }
  out = it->get<bool>();
  return true;
}

// {"ids": [1, 2]}: letter ids (1..2^63-1), at most kMaxSelectedIds of them.
bool ids_member(const nlohmann::json& doc, std::vector<std::int64_t>& ids, AdminReply& reply) {
  auto it = doc.find("ids");
  if (it == doc.end() || it->is_null()) return true;
  if (!it->is_array() || it->size() > kMaxSelectedIds) {
    fail(reply, 400, "invalid ids: expected an array of at most " + std::to_string(kMaxSelectedIds) + " letter ids",
         "field", "ids");
    return false;
  }
  for (const auto& item : *it) {
    std::int64_t id = 0;
    if (!json_integer(item, kPositive, id)) {
      reply.status = 400;
      reply.body = range_error("ids", kPositive, item.dump());
      return false;
    }
    ids.push_back(id);
  }
  return true;
}

// The filters every selection shares, from query parameters or a JSON body's members.
template <typename Get>
bool read_filters(const Get& get, DeadLetterQuery& query, AdminReply& reply) {
  if (auto v = get("reason")) query.reason = *v;
  if (auto v = get("stage")) query.stage = *v;
  if (auto v = get("key")) {
    if (!within_length(*v, kKeyLength)) {
      reply.status = 400;
      reply.body = length_error("key", kKeyLength, *v);
      return false;
    }
    query.key = *v;
  }
  if (auto v = get("since")) {
    if (!parse_time(*v, now_ms(), query.since_ms)) {
      fail(reply, 400, "invalid since: expected RFC 3339, Unix milliseconds or an age like 15m, 2h, 7d", "since", *v);
      return false;
    }
  }
  return true;
}

bool query_from_params(const AdminRequest& request, DeadLetterQuery& query, AdminReply& reply) {
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    if (const auto* v = param(request, name)) return *v;
    return std::nullopt;
  };
  if (!read_filters(get, query, reply)) return false;
  std::optional<std::int64_t> after;
  std::optional<std::int64_t> limit;
  if (!integer_param(request, "after", kNonNegative, " (a letter id)", after, reply)) return false;
  if (!integer_param(request, "limit", kPositive, " (above 1000 counts as 1000)", limit, reply)) return false;
  if (after) query.after_id = *after;
  query.limit = limit ? std::min<std::size_t>(static_cast<std::size_t>(*limit), kMaxPage) : 100;
  return true;
}

// {"ids": [1, 2]} or filters {"reason", "stage", "key", "since"} or {"all": true}; "limit" caps a
// filter's matches. A selection must say what it wants: an empty body selects nothing.
bool query_from_body(const std::string& body, DeadLetterQuery& query, bool& dry_run, AdminReply& reply) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body.empty() ? "{}" : body);
  } catch (const nlohmann::json::exception& e) {
    // Says where and why (parse_error, or out_of_range for a number too large for any type).
    return fail(reply, 400, "the body is not valid JSON", "detail", std::string_view(e.what()).substr(0, 300)), false;
  }
  if (!doc.is_object()) return fail(reply, 400, "the body must be a JSON object"), false;
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) return std::nullopt;
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  try {
    bool all = false;
    std::optional<std::int64_t> limit;
    if (!ids_member(doc, query.ids, reply) || !boolean_member(doc, "dry_run", dry_run, reply) ||
        !boolean_member(doc, "all", all, reply) || !integer_member(doc, "limit", kNonNegative, limit, reply)) {
      return false;
    }
    query.limit = limit ? static_cast<std::size_t>(*limit) : 0;
    if (!read_filters(get, query, reply)) return false;
    if (query.ids.empty() && query.reason.empty() && query.stage.empty() && query.key.empty() && query.since_ms == 0 &&
        !all) {
      return fail(reply, 400,
                  "select letters by \"ids\", \"reason\", \"stage\", \"key\" or \"since\", or say \"all\": true"),
             false;
    }
  } catch (const nlohmann::json::exception& e) {
    return fail(reply, 400, "invalid selection", "detail", e.what()), false;
  }
  return true;
}

bool letter_id(std::string_view text, std::int64_t& id) { return parse_count(text, id) && id > 0; }

}  // namespace

bool is_long_running(const AdminRequest& request) {
  return request.path == "/admin/tap" || request.path == "/admin/reload" ||
         request.path == std::string(kLetters) + "/replay";
}

AdminRoutes::AdminRoutes(Admin* admin, spdlog::logger& log) : admin_(admin), log_(log) {}

void AdminRoutes::handle(const AdminRequest& request, AdminReply& reply) const {
  if (!admin_) return fail(reply, 503, "this host has no admin interface");
  const std::string& path = request.path;
  auto allow = [&](const char* method) {
    if (request.method == method) return true;
    fail(reply, 405, "method not allowed", "allow", method);
    reply.headers.emplace_back("Allow", method);
    return false;
  };
  try {
    if (path == "/admin/status") {
      if (allow("GET")) status(reply);
    } else if (path == "/admin/reload") {
      if (allow("POST")) reload(reply);
    } else if (path == "/admin/tap") {
      if (allow("GET")) tap(request, reply);
    } else if (path == kLetters) {
      if (allow("GET")) list_letters(request, reply);
    } else if (path == std::string(kLetters) + "/reasons") {
      if (allow("GET")) reasons(reply);
    } else if (path == std::string(kLetters) + "/replay") {
      if (allow("POST")) replay(request, reply);
    } else if (path == std::string(kLetters) + "/discard") {
      if (allow("POST")) discard(request, reply);
    } else if (path.starts_with(std::string(kLetters) + "/")) {
      one_letter(request, reply);
    } else {
      fail(reply, 404, "not found", "path", path);
    }
  } catch (const std::exception& e) {
    log_.error("admin {} {}: {}", request.method, path, e.what());
    reply.headers.clear();
    reply.stream = nullptr;
    fail(reply, 500, "internal error");
  }
}

void AdminRoutes::status(AdminReply& reply) const {
  nlohmann::json out = admin_->status();
  out["tap_points"] = admin_->tap_points();
  out["dead_letters"] = admin_->dead_letters() != nullptr;
  reply.body = json_text(out);
}

void AdminRoutes::reload(AdminReply& reply) const {
  ReloadReport report = admin_->reload(kReloadWait);
  log_.info("reload #{} through the admin API: {}", report.number, report.result);
  reply.status = report.result == "applied"       ? 200
                 : report.result == "rejected"    ? 422
                 : report.result == "rolled_back" ? 409
                 : report.result == "timeout"     ? 504
                                                  : 503;
  reply.body = json_text({{"result", report.result}, {"number", report.number}, {"messages", report.messages}});
}

DeadLetterStore* AdminRoutes::letters(AdminReply& reply) const {
  DeadLetterStore* store = admin_->dead_letters();
  if (!store) fail(reply, 404, "this pipeline has no dead-letter store that can list its letters");
  return store;
}

void AdminRoutes::list_letters(const AdminRequest& request, AdminReply& reply) const {
  DeadLetterQuery query;
  if (!query_from_params(request, query, reply)) return;
  DeadLetterStore* store = letters(reply);
  if (!store) return;
  std::vector<DeadLetter> found;
  Status s = store->list(query, /*with_payload=*/false, found);
  if (!s.is_ok()) return fail(reply, s);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& letter : found) list.push_back(letter_summary(letter));
  // A full page may have a next one: ask again with after = next_after.
  nlohmann::json next = found.size() == query.limit ? nlohmann::json(found.back().id) : nlohmann::json(nullptr);
  reply.body = json_text({{"letters", std::move(list)}, {"limit", query.limit}, {"next_after", next}});
}

void AdminRoutes::reasons(AdminReply& reply) const {
  DeadLetterStore* store = letters(reply);
  if (!store) return;
  std::vector<ReasonCount> counts;
  Status s = store->reasons(counts);
  if (!s.is_ok()) return fail(reply, s);
  nlohmann::json list = nlohmann::json::array();
  std::int64_t total = 0;
  for (const auto& c : counts) {
    list.push_back({{"reason", c.reason}, {"count", c.count}});
    total += c.count;
  }
  reply.body = json_text({{"reasons", std::move(list)}, {"total", total}});
}

void AdminRoutes::one_letter(const AdminRequest& request, AdminReply& reply) const {
  const std::string_view id_text = std::string_view(request.path).substr(kLetters.size() + 1);
  std::int64_t id = 0;
  if (!letter_id(id_text, id)) return fail(reply, 404, "not found", "path", request.path);
  DeadLetterStore* store = letters(reply);
  if (!store) return;
  if (request.method == "GET") {
    DeadLetter letter;
    bool found = false;
    Status s = store->get(id, letter, found);
    if (!s.is_ok()) return fail(reply, s);
    if (!found) return fail(reply, 404, "no such dead letter", "id", id_text);
    reply.body = json_text(letter_detail(letter));
  } else if (request.method == "DELETE") {
    DeadLetterQuery query;
    query.ids = {id};
    query.limit = 1;
    std::int64_t discarded = 0;
    Status s = store->discard(query, discarded);
    if (!s.is_ok()) return fail(reply, s);
    if (discarded == 0) return fail(reply, 404, "no such dead letter", "id", id_text);
    log_.info("dead letter {} discarded through the admin API", id);
    reply.body = json_text({{"discarded", discarded}});
  } else {
    fail(reply, 405, "method not allowed", "allow", "GET, DELETE");
    reply.headers.emplace_back("Allow", "GET, DELETE");
  }
}

void AdminRoutes::replay(const AdminRequest& request, AdminReply& reply) const {
  ReplayOptions options;
  if (!query_from_body(request.body, options.query, options.dry_run, reply)) return;
  if (!letters(reply)) return;
  ReplayReport report;
  Status s = admin_->replay(options, report);
  if (!s.is_ok()) return fail(reply, s);
  log_.info("replay through the admin API{}: {} matched, {} replayed, {} failed again, {} skipped{}",
            options.dry_run ? " (dry run)" : "", report.matched, report.replayed, report.failed, report.skipped,
            report.error.empty() ? "" : "; stopped early: " + report.error);
  // Stopped early: what was done is reported, and the rest can be replayed again.
  if (!report.error.empty()) reply.status = 503;
  reply.body = json_text(replay_report(report, options.dry_run));
}

void AdminRoutes::discard(const AdminRequest& request, AdminReply& reply) const {
  DeadLetterQuery query;
  bool dry_run = false;
  if (!query_from_body(request.body, query, dry_run, reply)) return;
  DeadLetterStore* store = letters(reply);
  if (!store) return;
  if (dry_run) {
    query.after_id = 0;
    std::int64_t matched = 0;
    for (std::vector<DeadLetter> page;; page.clear()) {
      DeadLetterQuery q = query;
      q.limit = kMaxPage;
      Status s = store->list(q, false, page);
      if (!s.is_ok()) return fail(reply, s);
      matched += static_cast<std::int64_t>(page.size());
      if (page.size() < kMaxPage || (query.limit && matched >= static_cast<std::int64_t>(query.limit))) break;
      query.after_id = page.back().id;
    }
    if (query.limit) matched = std::min<std::int64_t>(matched, static_cast<std::int64_t>(query.limit));
    reply.body = json_text({{"dry_run", true}, {"would_discard", matched}});
    return;
  }
  std::int64_t discarded = 0;
  Status s = store->discard(query, discarded);
  if (!s.is_ok()) return fail(reply, s);
  log_.info("{} dead letter(s) discarded through the admin API", discarded);
  reply.body = json_text({{"dry_run", false}, {"discarded", discarded}});
}

void AdminRoutes::tap(const AdminRequest& request, AdminReply& reply) const {
  const std::string* stage = param(request, "stage");
  if (!stage) {
    return fail(reply, 400, "say which stage to tap: ?stage=<name> (see tap_points in /admin/status)");
  }
  TapLimits limits;
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> timeout_ms;
  std::optional<std::int64_t> rate;
  if (!integer_param(request, "limit", kPositive, " (above 10000 counts as 10000)", limit, reply) ||
      !integer_param(request, "timeout_ms", kPositive, " (above 600000 counts as 600000)", timeout_ms, reply) ||
      !integer_param(request, "rate", kPositive, " records per second (above 1000 counts as 1000)", rate, reply)) {
    return;
  }
  if (limit) limits.limit = std::min<std::size_t>(static_cast<std::size_t>(*limit), kMaxTapRecords);
  if (timeout_ms) limits.max_duration = std::chrono::milliseconds(std::min(*timeout_ms, kMaxTapMs));
  if (rate) limits.max_per_second = std::min<std::size_t>(static_cast<std::size_t>(*rate), kMaxTapRate);

  std::string error;
  std::shared_ptr<Tap> open = admin_->tap(*stage, limits, error);
  if (!open) {
    return fail(reply, error.starts_with("too many") ? 429 : 404, error, "stage", *stage);
  }
  log_.info("tap on '{}' opened through the admin API (limit {}, {} ms)", *stage, limits.limit,
            limits.max_duration.count());
  reply.content_type = "application/x-ndjson";
  reply.stream = [open, limits](const ChunkWriter& write) {
    std::size_t sent = 0;
    TapRecord record;
    bool client_gone = false;
    while (sent < limits.limit) {
      if (!open->next(record, Clock::now() + std::chrono::seconds(1))) {
        if (open->ended()) break;
        // A quiet stage: ask every second whether the client is still there, so a client
        // that left does not hold this thread and the tap until max_duration.
        if (!write({})) {
          client_gone = true;
          break;
        }
        continue;
      }
      if (!write(json_text(tap_line(record)) + "\n")) {
        client_gone = true;
        break;
      }
      ++sent;
    }
    if (!client_gone) {
      write(json_text({{"end", true},
                       {"records", sent},
                       {"dropped", open->dropped()},
                       {"reason", sent >= limits.limit ? "limit" : "timeout"}}) +
            "\n");
    }
  };
}

}  // namespace sluice::admin
