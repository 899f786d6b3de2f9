#include "dead_letter_table.hpp"

#include "pg_connection.hpp"

namespace sluice::pg {

std::int64_t retire_dead_letters(PgConnection& connection, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return 0;
  return affected_rows(
      connection.query("DELETE FROM dead_letters WHERE id = ANY($1::bigint[])", {{bigint_array_literal(ids)}}));
}

}  // namespace sluice::pg
