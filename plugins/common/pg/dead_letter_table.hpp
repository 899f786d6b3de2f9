// Statements on the dead_letters table that run on a connection the caller holds, so they can
// be part of the caller's transaction. The table is postgres_dead_letter's (its migrations
// create it, its sink and store write and read it); other code reaches it only through here.
// The postgres sink retires replayed letters in the transaction that stores their orders, so
// the order and its letter's deletion commit or roll back together (README.md, "Operating
// Sluice", Replay); PgDeadLetterStore::retire() runs the same statement on its own connection.
#pragma once

#include <cstdint>
#include <vector>

namespace sluice::pg {

class PgConnection;

// Deletes the letters with these ids, inside whatever transaction `connection` has open (none:
// its own statement). Ids already gone (discarded meanwhile) are skipped. Returns how many
// went. Throws PgError.
std::int64_t retire_dead_letters(PgConnection& connection, const std::vector<std::int64_t>& ids);

}  // namespace sluice::pg
