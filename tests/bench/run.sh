#!/usr/bin/env bash
# Sluice benchmarks (README.md, "Benchmarks"): builds Release into build/bench, starts a private
# PostgreSQL cluster and `sluice broker` on free ports under build/bench/state, runs each
# measurement against a baseline taken in the same run on the same machine, prints one table and
# writes build/bench/results.json. Not part of ctest: run it by hand on a quiet machine.
#
#   bash tests/bench/run.sh                          # everything
#   bash tests/bench/run.sh ingest rest              # a subset: ingest rest warmup memory latency
#
# Settings (environment): BENCH_ORDERS (ingest, default 200000), BENCH_WARM_ORDERS (warm-up and
# memory, default 1000000), BENCH_REST_ROUNDS (default 3), BENCH_LATENCY_SECONDS (default 30),
# BENCH_LATENCY_RATE (default 1000), BENCH_JOBS (build jobs; default 2 on an idle machine, else 1),
# BENCH_SKIP_BUILD=1 (measure build/bench as it is, e.g. to repeat a run without rebuilding).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bench_dir=$root/tests/bench
source compose/packages.sh
source compose/services.sh
source "$bench_dir/lib.sh"
source "$bench_dir/ingest.sh"
source "$bench_dir/rest.sh"
source "$bench_dir/warmdata.sh"
source "$bench_dir/warmup.sh"
source "$bench_dir/memory.sh"
source "$bench_dir/latency.sh"
source "$bench_dir/report.sh"

all=(ingest rest warmup memory latency)
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${all[@]}")
for m in "${selected[@]}"; do
  [[ " ${all[*]} " == *" $m "* ]] || { echo "usage: $0 [${all[*]}]..." >&2; exit 2; }
done
wants() { [[ " ${selected[*]} " == *" $1 "* ]]; }

say "Sluice benchmarks: ${selected[*]} (load average $(load_average), $(nproc) CPUs)"
ensure_packages "${SLUICE_BUILD_PACKAGES[@]}" postgresql curl wrk nginx-light kcat libcpp-httplib-dev

build_release() {
  # The machine is shared: two compile jobs only when nobody else is busy.
  local jobs=${BENCH_JOBS:-$(awk '{ print ($1 < 1.0) ? 2 : 1 }' /proc/loadavg)}
  say "building Release into build/bench (-j$jobs)"
  # The release preset: the flags the test command builds with -Werror (README, "Building and installing").
  cmake --preset release -B build/bench >/dev/null
  # Compiler lines stay visible (a first build takes minutes); "Built target" noise does not.
  cmake --build build/bench -j"$jobs" 2>&1 | { grep --line-buffered -v 'Built target' || true; } | sed -u 's/^/    /'
}
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  build_release || die "build failed"
fi
[ -x "$SLUICE" ] || die "$SLUICE is missing: build first (without BENCH_SKIP_BUILD)"

cleanup() {
  local rc=$?
  trap - INT TERM EXIT
  echo
  say "stopping what the benchmark started"
  stop_all
  pg_stop "$BENCH_STATE/pg"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$BENCH_STATE"
mkdir -p "$BENCH_STATE"
: >"$BENCH_RESULTS"

PG_DIR=$BENCH_STATE/pg
PG_PORT=$(free_port 25432)
say "starting PostgreSQL 15 on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
pg_start "$PG_DIR" "$PG_PORT"
# Bulk loads (COPY baseline, the 1M warm-up data) would otherwise checkpoint every 1 GB of WAL;
# the same server serves the pipeline and the baselines, so this favours neither.
as_postgres psql -X -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 \
  -c "create role $BENCH_DB_USER login password '$BENCH_DB_PASSWORD'" \
  -c "alter system set max_wal_size = '8GB'" -c "select pg_reload_conf()" >/dev/null

# One topic per measurement, so each starts empty and offsets never mix. The ingest topic needs
# enough partitions to hold all its orders: the in-memory broker keeps ~5 MiB per partition.
ingest_topic_partitions=$(ingest_partitions)
say "starting sluice broker (topics ingest:$ingest_topic_partitions rest:4 latency:4 latency_fetch10:4 warm:4 empty:4)"
"$SLUICE" broker --topic "ingest:$ingest_topic_partitions" --topic rest:4 --topic latency:4 --topic latency_fetch10:4 --topic warm:4 \
  --topic empty:4 --addr-file "$BENCH_STATE/broker.addr" >"$BENCH_STATE/broker.out" 2>"$BENCH_STATE/broker.log" &
track_pid $!
wait_for "the broker" 30 test -s "$BENCH_STATE/broker.addr" || die "broker did not start"
# shellcheck disable=SC2034  # read by the functions of lib.sh and the measurement files
BROKERS=$(cat "$BENCH_STATE/broker.addr")

for m in "${all[@]}"; do
  if wants "$m"; then
    say "measuring $m (load average $(load_average))"
    "bench_$m"
  fi
done

report "bash tests/bench/run.sh${*:+ $*}"
