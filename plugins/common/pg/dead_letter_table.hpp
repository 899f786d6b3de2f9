// Statements on the dead_letters table that run on a connection the caller holds, so they can
// be part of the caller's transaction. The table is postgres_dead_letter's (its migrations
// create it, its sink and store write and read it); other code reaches it only through here.
// The postgres sink runs two of them in the transaction that stores a batch's orders and
// positions: it retires replayed letters (README.md, "Operating Sluice", Replay), and it stores
// the letters of the orders it refuses when the letters live in its own database (README.md,
// "Delivery guarantees"), so no crash can fall between the commit and the letter.
// PgDeadLetterStore::retire() and DeadLetterSink::write() run the same statements on their own
// connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/record.hpp"

namespace sluice::pg {

class PgConnection;

// Deletes the letters with these ids, inside whatever transaction `connection` has open (none:
// its own statement). Ids already gone (discarded meanwhile) are skipped. Returns how many
// went. Throws PgError.
std::int64_t retire_dead_letters(PgConnection& connection, const std::vector<std::int64_t>& ids);

// Stores the letter of `record` (its Record::rejection says why), keeping at most
// `payload_limit` bytes of its payload (its size and SHA-256 are of the whole). A replayed
// letter refused again (`replayed_id` != 0) is updated: attempts + 1, the new reason, its raw
// bytes and first_seen kept; gone meanwhile (discarded), it becomes a new letter. A new letter
// whose source position already has one (the same record delivered again after a crash) is
// not a second letter: that one's attempts + 1. Throws PgError.
void store_dead_letter(PgConnection& connection, const Record& record, std::int64_t replayed_id,
                       std::size_t payload_limit);

// `text` as a text column takes it: valid UTF-8 without NUL ('?' in place of the rest).
std::string clean_text(std::string_view text);

}  // namespace sluice::pg
