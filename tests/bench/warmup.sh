# shellcheck shell=bash
# warm-up: restart `sluice run` with BENCH_WARM_ORDERS orders in PostgreSQL and time it from
# process start to the first /readyz 200 (polled every 50 ms). Baseline: psql reading what the
# store's scan reads (postgres_sink.cpp: COPY (SELECT order_uid, document::text FROM orders)),
# to /dev/null. An unmeasured read first puts the table in the page cache for both sides; then
# baseline and sluice alternate for two rounds, and the mean (= median of two) is reported.

WARMUP_QUERY="select order_uid, document::text from orders"

warmup_baseline_once() {
  local start
  start=$(now_ms)
  psql_db bench_warm -c "\\copy ($WARMUP_QUERY) to '/dev/null'"
  seconds_between "$start" "$(now_ms)"
}

bench_warmup() {
  ensure_warm_db
  local n=$BENCH_WARM_ORDERS round base=() sluice=() s
  ticking "unmeasured read of the table (page cache)" warmup_baseline_once >/dev/null
  for round in 1 2; do
    s=$(warmup_baseline_once)
    base+=("$s")
    info "round $round/2 baseline psql \\copy ($WARMUP_QUERY) to /dev/null: $s s"
    printf '    round %d/2 sluice run until /readyz 200 ... ' "$round"
    # Not in $(...): the pipeline pid must stay in this shell to be stopped.
    local started
    started=$(now_ms)
    start_pipeline warmup bench_warm warm
    until curl -fsS -o /dev/null --max-time 1 "$PIPE_URL/readyz" 2>/dev/null; do
      kill -0 "$PIPE_PID" 2>/dev/null || { tail -n 20 "$PIPE_LOG" >&2; die "sluice run exited (log: $PIPE_LOG)"; }
      (($(now_ms) - started < 300000)) || die "not ready after 300 s (log: $PIPE_LOG)"
      sleep 0.05
    done
    s=$(seconds_between "$started" "$(now_ms)")
    sluice+=("$s")
    echo "$s s ($(grep -o 'warm-up done.*' "$PIPE_LOG" | tail -n1))"
    stop_pipeline
  done
  local b v ratio
  b=$(median "${base[@]}")
  v=$(median "${sluice[@]}")
  ratio=$(calc "$v / $b")
  record warmup "warm-up ($n orders) to /readyz" "$v" "s" "$b" "s psql \\copy to /dev/null" "$ratio" \
    "<= 10 s and <= 2x" "$(pass_if "$v <= 10 && $ratio <= 2")" "load $(load_average)"
}
