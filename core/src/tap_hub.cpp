#include "tap_hub.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>

namespace sluice {

namespace {
using Clock = std::chrono::steady_clock;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

struct TapHub::TapState {
  std::string stage;
  TapLimits limits;
  Clock::time_point ends_at;
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<TapRecord> queue;
  std::size_t taken = 0;  // records accepted so far (queued or returned)
  std::size_t dropped = 0;
  Clock::time_point window_start;
  std::size_t in_window = 0;

  bool done(Clock::time_point now) const { return taken >= limits.limit || now >= ends_at; }

  // Under `mutex`. False once nothing more is wanted.
  bool take(const Record& record, std::int64_t dead_letter_id, Clock::time_point now, std::int64_t time_ms) {
    if (done(now)) return false;
    if (now - window_start >= std::chrono::seconds(1)) {
      window_start = now;
      in_window = 0;
    }
    if (in_window >= limits.max_per_second) {
      ++dropped;
      return true;
    }
    ++in_window;
    ++taken;
    TapRecord out;
    out.stage = stage;
    out.time_ms = time_ms;
    out.value_bytes = record.value.size();
    out.record.key = record.key.substr(0, limits.max_value_bytes);
    out.record.value = record.value.substr(0, limits.max_value_bytes);
    out.record.stream = record.stream;
    out.record.partition = record.partition;
    out.record.offset = record.offset;
    out.record.timestamp_ms = record.timestamp_ms;
    out.record.version = record.version;
    out.dead_letter_id = dead_letter_id;
    out.record.rejection = record.rejection;
    queue.push_back(std::move(out));
    return true;
  }
};

namespace {

class OpenTap final : public Tap {
 public:
  OpenTap(std::shared_ptr<TapHub::State> hub, std::shared_ptr<TapHub::TapState> tap)
      : hub_(std::move(hub)), tap_(std::move(tap)) {}

  ~OpenTap() override {
    std::lock_guard lock(hub_->mutex);
    auto& taps = hub_->taps;
    auto it = std::find(taps.begin(), taps.end(), tap_);
    if (it != taps.end()) {
      taps.erase(it);
      hub_->open.fetch_sub(1);
      hub_->publish_open();
    }
  }

  bool next(TapRecord& out, Clock::time_point deadline) override {
    std::unique_lock lock(tap_->mutex);
    // The tap's own end wakes a waiter too: max_duration is a deadline of its own.
    const auto until = std::min(deadline, tap_->ends_at);
    tap_->arrived.wait_until(lock, until, [&] { return !tap_->queue.empty() || tap_->done(Clock::now()); });
    if (tap_->queue.empty()) return false;
    out = std::move(tap_->queue.front());
    tap_->queue.pop_front();
    return true;
  }

  bool ended() const override {
    std::lock_guard lock(tap_->mutex);
    return tap_->done(Clock::now());
  }

  std::size_t dropped() const override {
    std::lock_guard lock(tap_->mutex);
    return tap_->dropped;
  }

 private:
  std::shared_ptr<TapHub::State> hub_;
  std::shared_ptr<TapHub::TapState> tap_;
};

}  // namespace

TapHub::TapHub() : state_(std::make_shared<State>()) {}

// A tap may outlive the hub (an API thread still holding it), and the registry with it.
TapHub::~TapHub() {
  std::lock_guard lock(state_->mutex);
  state_->open_gauge = nullptr;
}

void TapHub::count_open_in(Gauge& gauge) {
  std::lock_guard lock(state_->mutex);
  state_->open_gauge = &gauge;
  state_->publish_open();
}

std::unique_ptr<Tap> TapHub::open(const std::string& stage, const TapLimits& limits, std::string& error) {
  auto tap = std::make_shared<TapState>();
  tap->stage = stage;
  tap->limits = limits;
  tap->limits.max_per_second = std::max<std::size_t>(1, limits.max_per_second);
  const auto now = Clock::now();
  tap->ends_at = now + limits.max_duration;
  tap->window_start = now;
  std::lock_guard lock(state_->mutex);
  if (state_->taps.size() >= kMaxTaps) {
    error = "too many taps open (at most " + std::to_string(kMaxTaps) + ")";
    return nullptr;
  }
  state_->taps.push_back(tap);
  state_->open.fetch_add(1);
  state_->publish_open();
  return std::make_unique<OpenTap>(state_, std::move(tap));
}

void TapHub::end_all() {
  std::vector<std::shared_ptr<TapState>> taps;
  {
    std::lock_guard lock(state_->mutex);
    taps = state_->taps;
  }
  const auto now = Clock::now();
  for (const auto& t : taps) {
    {
      std::lock_guard lock(t->mutex);
      t->ends_at = std::min(t->ends_at, now);
    }
    t->arrived.notify_all();
  }
}

void TapHub::offer_slow(std::string_view stage, const std::vector<Record>& records, const ReplayBatch* replay) {
  std::vector<std::shared_ptr<TapState>> taps;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& t : state_->taps) {
      if (t->stage == stage) taps.push_back(t);
    }
  }
  if (taps.empty() || records.empty()) return;
  const auto now = Clock::now();
  const std::int64_t time_ms = unix_ms();
  for (const auto& t : taps) {
    {
      std::lock_guard lock(t->mutex);
      for (std::size_t i = 0; i < records.size(); ++i) {
        const std::int64_t letter = replay && i < replay->dead_letter_ids.size() ? replay->dead_letter_ids[i] : 0;
        if (!t->take(records[i], letter, now, time_ms)) break;
      }
    }
    t->arrived.notify_all();
  }
}

}  // namespace sluice
