# shellcheck shell=bash
# ingest: N generated orders through the default pipeline vs `psql \copy` of the same rows.
#
# The orders are published before the pipeline starts, so the publisher does not compete with
# the pipeline for the two CPUs and the pipeline is never starved. The clock runs from the first
# message consumed (the last /metrics poll that still showed 0 consumed, so the window is never
# too short) to the poll that sees N orders written: sluice_postgres_orders_written_total counts
# a batch only after its transaction, which also stores the batch's offsets, has committed.
# The database is asked once at the end (offsets sum to N, N rows), never polled: psql on Debian
# is a Perl wrapper, and a psql with SCRAM login every 100 ms took ~15% of the two CPUs from
# the pipeline being measured (perf, before/after in the README).
#
# Baseline: what sluice stored, dumped per table to TSV, then loaded with `psql \copy` (one
# transaction, over TCP like the pipeline) into an identical empty schema (sluice migrate).

BENCH_ORDERS=${BENCH_ORDERS:-200000}

# Partitions for the ingest topic: sluice broker keeps ~5 MiB per partition and drops the
# oldest beyond that; a generated order is ~0.8 KB on the wire, so plan 1.1 KB and 4 MiB.
ingest_partitions() {
  local p=$(((BENCH_ORDERS * 1100 + 4194303) / 4194304))
  ((p < 4)) && p=4
  ((p > 1000)) && p=1000
  echo "$p"
}

# Total consumed records from /metrics, 0 until the first batch (or while it is not up yet).
consumed_so_far() {
  local text
  text=$(curl -fsS --max-time 1 "$PIPE_URL/metrics" 2>/dev/null) || text=""
  awk '/^sluice_(records|kafka)_consumed_total/ { n += $NF } END { printf "%d\n", n }' <<<"$text"
}

# Orders the postgres sink has committed, from /metrics (0 while it is not up yet).
written_so_far() {
  local text
  text=$(curl -fsS --max-time 1 "$PIPE_URL/metrics" 2>/dev/null) || text=""
  awk '/^sluice_postgres_orders_written_total/ { n += $NF } END { printf "%d\n", n }' <<<"$text"
}

offsets_stored() { psql_db bench_ingest -c "select coalesce(sum(next_offset), 0) from offsets where stream = 'ingest'"; }

# Columns sluice writes per table (orders.ingested_at is the server's default, on both sides).
copy_columns() {
  psql_db bench_ingest -c "select string_agg(column_name, ', ' order by ordinal_position)
    from information_schema.columns where table_name = '$1' and column_name <> 'ingested_at'"
}

bench_ingest() {
  local n=$BENCH_ORDERS dir=$BENCH_STATE/ingest
  mkdir -p "$dir"
  create_db bench_ingest

  info "publishing $n orders to topic ingest ($(ingest_partitions) partitions) before the pipeline starts"
  publish ingest --count "$n" --prefix ing

  start_pipeline ingest bench_ingest ingest
  info "sluice run started (pid $PIPE_PID); waiting for the first message to be consumed"
  local t0 t1 before consumed=0 waited=0
  before=$(now_ms)
  while :; do
    kill -0 "$PIPE_PID" 2>/dev/null || { tail -n 20 "$PIPE_LOG" >&2; die "sluice run exited (log: $PIPE_LOG)"; }
    consumed=$(consumed_so_far)
    ((consumed > 0)) && break
    before=$(now_ms)
    sleep 0.05
    waited=$((waited + 1))
    ((waited < 1200)) || die "nothing consumed within 60 s (log: $PIPE_LOG)"
  done
  t0=$before

  local stored=0 prev_stored="" last_print=0 last_change now
  last_change=$(now_ms)
  while :; do
    stored=$(written_so_far)
    now=$(now_ms)
    ((stored >= n)) && break
    if ((now - last_print >= 1000)); then
      last_print=$now
      info "$(printf '%7d / %d orders committed, %6.1f s' "$stored" "$n" "$(seconds_between "$t0" "$now")")"
    fi
    [ "$stored" != "$prev_stored" ] && last_change=$now
    prev_stored=$stored
    ((now - last_change < 30000)) ||
      die "stuck at $stored of $n for 30 s (broker retention? log: $PIPE_LOG)"
    kill -0 "$PIPE_PID" 2>/dev/null || die "sluice run exited (log: $PIPE_LOG)"
    sleep 0.05
  done
  t1=$now
  local rows offsets
  rows=$(psql_db bench_ingest -c "select count(*) from orders")
  offsets=$(offsets_stored)
  [ "$rows" -eq "$n" ] && [ "$offsets" -eq "$n" ] ||
    die "sluice reported $n orders written, but the database has $rows rows and offsets summing to $offsets"
  # Kept for diagnosis: batch sizes and per-sink timing histograms of this run.
  curl -fsS -o "$dir/metrics.txt" "$PIPE_URL/metrics" || true
  stop_pipeline
  local sluice_s sluice_rate
  sluice_s=$(seconds_between "$t0" "$t1")
  sluice_rate=$(calc "$n / $sluice_s")
  info "sluice: $n orders in $sluice_s s = $sluice_rate orders/s"

  # The baseline's input: exactly the rows sluice stored, children after orders (foreign keys).
  info "dumping the stored rows to TSV for the COPY baseline"
  local table cols copy_in=()
  for table in orders deliveries payments items; do
    cols=$(copy_columns "$table")
    psql_db bench_ingest -c "\\copy $table ($cols) to '$dir/$table.tsv'"
    copy_in+=(-c "\\copy $table ($cols) from '$dir/$table.tsv'")
  done
  create_db bench_copy

  local round secs=()
  for round in 1 2; do
    info "COPY baseline round $round/2: 4 tables, one transaction (a few seconds)"
    psql_db bench_copy -c "truncate orders cascade"
    local c0 c1
    c0=$(now_ms)
    psql_db bench_copy -1 "${copy_in[@]}"
    c1=$(now_ms)
    secs+=("$(seconds_between "$c0" "$c1")")
    info "  $n orders in ${secs[-1]} s"
  done
  # The faster round: the baseline at its best, so the ratio never flatters sluice.
  local copy_s copy_rate ratio
  copy_s=$(printf '%s\n' "${secs[@]}" | sort -g | head -n1)
  copy_rate=$(calc "$n / $copy_s")
  ratio=$(calc "$sluice_rate / $copy_rate")
  # 600k rows were just written: after the ingest, REST's p99 was 2.0 ms instead of 1.35 ms
  # while the server vacuumed and checkpointed them.
  info "dropping the ingest databases and checkpointing, so later measurements start quiet"
  settle_db bench_ingest bench_copy
  record ingest "ingest ($n orders)" "$sluice_rate" "orders/s" "$copy_rate" "orders/s psql \\copy" \
    "$ratio" ">= 0.8x" "$(pass_if "$ratio >= 0.8")" "sluice ${sluice_s}s, copy ${copy_s}s; load $(load_average)"
}
