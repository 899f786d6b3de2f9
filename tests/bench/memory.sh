# shellcheck shell=bash
# memory: RSS growth per cached order. VmRSS of `sluice run` ready with BENCH_WARM_ORDERS
# orders warmed into the cache, minus VmRSS of the same pipeline ready on an empty database,
# divided by the order count; compared with the mean compact JSON size of those orders (the
# bytes the cache must hold at the very least). RSS is read 2 s after ready, once the warm-up's
# transient buffers are gone, so it is what the process keeps, not a peak.

# ready_rss DB TOPIC NAME -> VmRSS in KiB of a freshly started pipeline once ready.
ready_rss() {
  local db=$1 topic=$2 name=$3 rss
  start_pipeline "$name" "$db" "$topic"
  wait_pipeline_ready 300 >&2
  sleep 2
  rss=$(rss_kib "$PIPE_PID")
  stop_pipeline
  echo "$rss"
}

bench_memory() {
  ensure_warm_db
  local n=$BENCH_WARM_ORDERS empty_kib full_kib json per ratio
  create_db bench_empty
  # Not $(ready_rss ...): its pipeline must be stopped by this shell, so results go via a file.
  ready_rss bench_empty empty memory-empty >"$BENCH_STATE/memory-empty.kib"
  empty_kib=$(cat "$BENCH_STATE/memory-empty.kib")
  info "empty database: VmRSS $empty_kib KiB"
  ready_rss bench_warm warm memory-full >"$BENCH_STATE/memory-full.kib"
  full_kib=$(cat "$BENCH_STATE/memory-full.kib")
  info "$n orders cached: VmRSS $full_kib KiB ($(grep -o 'warm-up done.*' "$BENCH_STATE/memory-full.log" | tail -n1))"
  json=$(warm_json_mean)
  per=$(calc "($full_kib - $empty_kib) * 1024 / $n")
  ratio=$(calc "$per / $json")
  record memory "memory per cached order" "$per" "B/order" "$json" "B mean JSON" "$ratio" "<= 1.2x" \
    "$(pass_if "$ratio <= 1.2")" "RSS empty ${empty_kib} KiB, full ${full_kib} KiB; load $(load_average)"
}
