// Read and manage access to the dead-letter store (the operators' side): list, show, discard,
// and retire letters after a replay stored them. A dead-letter sink that can answer this
// returns one from Sink::dead_letter_store(); the runtime's Admin (admin.hpp) serves it to the
// admin API and `sluice dead-letters`.
#pragma once

#include <boost/config.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/record.hpp"
#include "sluice/status.hpp"

namespace sluice {

struct DeadLetter {
  std::int64_t id = 0;
  // The source position of the record (offset -1: it had none).
  std::string stream;
  std::int32_t partition = 0;
  std::int64_t offset = -1;
  std::string key;                 // the record key as received (may be binary)
  std::string raw;                 // the payload kept: at most the store's payload limit
  std::int64_t raw_bytes = 0;      // the payload's size as received
  std::string raw_sha256;          // hex SHA-256 of the whole payload as received
  std::string reason;              // machine-readable, e.g. missing_field
  std::string pointer;             // JSON pointer of the first bad field ("" = the whole record)
  std::string detail;              // one human sentence
  std::string stage;               // the transform or sink that refused it
  std::int64_t first_seen_ms = 0;  // Unix time, milliseconds
  std::int64_t last_seen_ms = 0;
  std::int32_t attempts = 0;  // times it was refused (a failed replay adds one)

  // Only part of the payload was kept: it cannot be replayed.
  bool truncated() const { return static_cast<std::int64_t>(raw.size()) < raw_bytes; }
};

// Which letters: every given condition must hold. Results are in ascending id order.
struct DeadLetterQuery {
  std::vector<std::int64_t> ids;  // non-empty: only these
  std::string reason;             // exact match; "" = any
  std::string stage;              // exact match; "" = any
  std::string key;                // the record key, byte for byte; "" = any (README, "Operating Sluice")
  std::int64_t since_ms = 0;      // last_seen at or after this Unix time (ms); 0 = any
  std::int64_t after_id = 0;      // pagination: only ids greater than this
  std::size_t limit = 100;        // 0 = no limit (discard by filter)
};

struct ReasonCount {
  std::string reason;
  std::int64_t count = 0;
};

// Every method is thread-safe and may block on I/O: call it from API threads, never from an
// event loop. Errors are values (retry: the store is unreachable now; fatal: a bug or bad input).
class BOOST_SYMBOL_VISIBLE DeadLetterStore {
 public:
  virtual ~DeadLetterStore();
  // Letters matching `query`; without `with_payload` their key and raw are left empty.
  virtual Status list(const DeadLetterQuery& query, bool with_payload, std::vector<DeadLetter>& out) = 0;
  virtual Status get(std::int64_t id, DeadLetter& out, bool& found) = 0;
  // Every reason with its count, largest first.
  virtual Status reasons(std::vector<ReasonCount>& out) = 0;
  // Deletes the letters matching `query` (its limit applies); `discarded`: how many.
  virtual Status discard(const DeadLetterQuery& query, std::int64_t& discarded) = 0;
  // Deletes these letters: a replay stored them in every sink. Ids already gone are fine (a
  // sink writing into the same database retired them in its own transaction, see
  // ReplayBatch::retire_in, replay.hpp).
  virtual Status retire(const std::vector<std::int64_t>& ids) = 0;
  // Where the letters live, in the form every plugin of the same kind derives from its own
  // connection settings (e.g. "postgresql://host:5432/dbname"): a sink whose own location is
  // the same may retire replayed letters in its transaction.
  virtual std::string location() const = 0;
  // The most payload bytes a letter keeps (DeadLetter::raw), for a sink that stores letters in
  // its own transaction (Outcome::route_letters); 0, the default: no sink may, every letter
  // goes through the dead-letter sink.
  virtual std::size_t payload_limit() const;
  // Stores `letters` (each record's Record::rejection says why; a replay's letter ids beside
  // them, sluice/replay.hpp: those letters are updated) durably before it returns, as the
  // dead-letter sink's write would, one letter per source position. For a sink that keeps
  // positions and cannot store the letters in its own transaction (they live elsewhere): it
  // calls this before it commits positions past them. retry: not now, the sink's write is
  // retried; fatal, the default: this store cannot, the runtime writes them after the sink.
  virtual Status write_letters(const Batch& letters);
};

}  // namespace sluice
