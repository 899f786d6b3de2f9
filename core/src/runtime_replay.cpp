// Replay of dead letters (POST /admin/dead-letters/replay, `sluice dead-letters replay`): the
// selected letters' raw records go through the pipeline's current transforms and sinks as
// batches of their own, handed to the stage pipeline by the source thread like any batch, so
// every stage keeps its one-thread, in-order contract.
//
//  - A replayed record keeps its original stream, partition and offset (the dead-letter sink
//    updates the same letter when it is refused again: attempts + 1, the new reason); the
//    batch carries each record's letter id beside it (Batch::replay, sluice/replay.hpp) and
//    has no positions, so nothing is committed to the source and no sink fences it.
//  - The batch names where the letters live (ReplayBatch::retire_in): a sink writing to the
//    same database deletes the letters of the records it stores in its own transaction. The
//    records every sink kept are then retired here as well (a no-op for those already gone).
//  - A replay ends within replay_deadline_ (under the CLI's 120 s): past it, it stops between
//    or inside a batch with an error saying so, and a second replay does the rest. A reload
//    that restarts the API fails the batch waiting for it (replay_queue.hpp).
//  - Nothing is lost if the process dies mid-replay: a letter is only deleted once its
//    record is stored; replaying again stores it again (sinks upsert), never twice.
#include <algorithm>

#include "operator/operator_admin.hpp"
#include "operator/operator_side.hpp"
#include "sluice/replay.hpp"

namespace sluice {

namespace {

void note(std::vector<std::int64_t>& ids, std::int64_t id) {
  if (ids.size() < ReplayReport::max_listed_ids) ids.push_back(id);
}

}  // namespace

Status OperatorAdmin::replay(const ReplayOptions& options, ReplayReport& report) {
  const ReplayReport before = report;
  Status s = replay_pages(options, report);
  if (!options.dry_run) {  // a dry run changes nothing, so it counts nothing
    replayed_.inc(report.replayed - before.replayed);
    replay_failed_.inc(report.failed - before.failed);
    replay_skipped_.inc(report.skipped - before.skipped);
  }
  return s;
}

namespace {

// One page of letters as a replay batch (Batch::replay: their ids beside the records); letters
// kept only in part, and every letter of a dry run, are counted here and left out.
Batch replay_batch_of(std::vector<DeadLetter>& letters, bool dry_run, const std::string& location,
                      ReplayReport& report) {
  Batch batch;
  ReplayBatch replay{{}, location};
  for (DeadLetter& letter : letters) {
    if (letter.truncated()) {
      ++report.skipped;
      note(report.skipped_ids, letter.id);
      continue;
    }
    if (dry_run) {
      ++report.replayed;  // would be replayed
      note(report.replayed_ids, letter.id);
      continue;
    }
    Record record;
    record.key = std::move(letter.key);
    record.value = std::move(letter.raw);
    record.stream = std::move(letter.stream);
    record.partition = letter.partition;
    record.offset = letter.offset;
    replay.dead_letter_ids.push_back(letter.id);
    batch.records.push_back(std::move(record));
  }
  if (!batch.records.empty()) batch.replay = std::make_shared<const ReplayBatch>(std::move(replay));
  return batch;
}

// After the pipeline ran `batch`: what is left in it was kept by every sink (retired now), the
// rest of `sent` was refused again. False when retiring failed (the replay stops, said in
// report.error).
bool settle_replayed(const Batch& batch, const std::vector<std::int64_t>& sent, DeadLetterStore& store,
                     Counter& retired_total, ReplayReport& report) {
  std::vector<std::int64_t> stored;
  if (batch.replay) stored = batch.replay->dead_letter_ids;
  std::sort(stored.begin(), stored.end());
  if (!stored.empty()) {
    Status retired = store.retire(stored);
    if (!retired.is_ok()) {
      // Stored but still listed: a second replay stores them again (an upsert), harmless.
      report.error =
          "stored, but could not retire " + std::to_string(stored.size()) + " letter(s): " + retired.message();
      report.replayed += stored.size();
      return false;
    }
    retired_total.inc(stored.size());
  }
  for (std::int64_t id : sent) {
    if (std::binary_search(stored.begin(), stored.end(), id)) {
      ++report.replayed;
      note(report.replayed_ids, id);
    } else {
      ++report.failed;
      note(report.failed_ids, id);
    }
  }
  return true;
}

}  // namespace

Status OperatorAdmin::replay_pages(const ReplayOptions& options, ReplayReport& report) {
  DeadLetterStore* store = dead_letters();
  if (!store) return Status::fatal("the pipeline has no dead-letter store that can list its letters");
  const std::string location = store->location();
  DeadLetterQuery page = options.query;
  const std::size_t wanted = options.query.limit;  // 0: every match
  const std::size_t per_batch = std::max<std::size_t>(1, options.batch_records);
  const auto deadline = ReplayQueue::Clock::now() + replay_deadline_;
  while (wanted == 0 || report.matched < wanted) {
    if (ReplayQueue::Clock::now() >= deadline) {
      report.error = "the replay reached its time limit (" + std::to_string(replay_deadline_.count() / 1000) +
                     " s) before the last letter; run it again for the rest";
      return Status::ok();
    }
    page.limit = wanted == 0 ? per_batch : std::min(per_batch, wanted - report.matched);
    std::vector<DeadLetter> letters;
    // With the payload even for a dry run: only it tells a truncated letter apart.
    Status s = store->list(page, /*with_payload=*/true, letters);
    if (!s.is_ok()) return s;
    if (letters.empty()) break;
    page.after_id = letters.back().id;
    report.matched += letters.size();

    Batch batch = replay_batch_of(letters, options.dry_run, location, report);
    if (batch.records.empty()) continue;
    const std::vector<std::int64_t> sent = batch.replay->dead_letter_ids;
    if (!side_.replays().run(batch, deadline, report.error)) return Status::ok();
    if (!settle_replayed(batch, sent, *store, retired_, report)) return Status::ok();
  }
  return Status::ok();
}

}  // namespace sluice
