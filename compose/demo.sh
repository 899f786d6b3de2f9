#!/usr/bin/env bash
# The README's demo command: the default pipeline end to end on one machine, no Docker.
# Installs what is missing, builds (Release), starts a private PostgreSQL cluster and
# `sluice broker` (in-memory Kafka protocol), runs `sluice run config/pipeline.yaml`,
# publishes the sample order and a few hundred generated ones, and prints where to look.
# Ctrl-C stops everything it started. State lives in build/demo/ and is reset each run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source compose/packages.sh
source compose/services.sh

ensure_packages "${SLUICE_BUILD_PACKAGES[@]}" "${SLUICE_RUN_PACKAGES[@]}"

build_dir=build/release
echo "==> building Sluice (Release, 2 jobs; the first build takes a few minutes)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSLUICE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j2
sluice="$root/$build_dir/bin/sluice"

state="$root/build/demo"
pids=()
# say TEXT: prints to stdout, or to stderr once stdout is gone (`demo.sh | tee log`, Ctrl-C:
# tee dies first). Never fails, so the cleanup always gets to stop PostgreSQL.
say() { { printf '%s\n' "$*" 2>/dev/null || printf '%s\n' "$*" >&2; } 2>/dev/null || true; }
cleanup() {
  trap - INT TERM EXIT
  # Writing to a closed pipe must neither kill (SIGPIPE) nor end (set -e) the cleanup.
  trap '' PIPE
  set +e
  say ""
  say "==> stopping what the demo started"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null
    wait "${pids[i]}" 2>/dev/null
  done
  pg_stop "$state/pg"
  say "==> stopped; logs are in $state"
}
trap cleanup INT TERM EXIT

rm -rf "$state"
mkdir -p "$state"

pg_port=$(free_port 5432)
echo "==> starting PostgreSQL 15 on 127.0.0.1:$pg_port (data in $state/pg)"
pg_start "$state/pg" "$pg_port"
pg_create_db "$state/pg" "$pg_port" orders_db order_user order_pass
export DATABASE_URL="postgresql://order_user:order_pass@127.0.0.1:$pg_port/orders_db"

echo "==> starting sluice broker (in-memory Kafka protocol, topic orders:4)"
"$sluice" broker --topic orders:4 --addr-file "$state/broker.addr" >"$state/broker.log" 2>&1 &
pids+=($!)
wait_for "the broker" 30 test -s "$state/broker.addr"
export KAFKA_BROKERS=$(cat "$state/broker.addr")
# sluice broker (librdkafka's mock) answers an idle fetch only after the whole wait, even when
# data arrives meanwhile; real Kafka answers at once, so the shipped default stays 500 ms.
export KAFKA_FETCH_WAIT_MAX_MS=10

http_port=$(free_port 8081)
# The demo serves orders by id without a token, on this machine only (README, "Authentication");
# the listing of recent ids needs a token even so: a read token made for this run.
export HTTP_LISTEN="127.0.0.1:$http_port"
export READ_AUTH=open
read_token="demo-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export SLUICE_API_TOKENS="read:$read_token"
echo "==> starting sluice run config/pipeline.yaml (log: $state/sluice.log)"
"$sluice" run config/pipeline.yaml >"$state/sluice.out" 2>"$state/sluice.log" &
pids+=($!)
if ! wait_for "the pipeline to be ready" 120 curl -fsS -o /dev/null "http://127.0.0.1:$http_port/readyz"; then
  tail -n 20 "$state/sluice.log"
  exit 1
fi

echo "==> publishing the sample order and 300 generated orders"
"$sluice" publish --brokers "$KAFKA_BROKERS" --topic orders --sample
# (stdout is one position per delivered message; 300 of them would bury the instructions)
"$sluice" publish --brokers "$KAFKA_BROKERS" --topic orders --count 300 --prefix demo >/dev/null
wait_for "the sample order to be served" 60 \
  curl -fsS -o /dev/null "http://127.0.0.1:$http_port/order/b563feb7b2b84b6test"

cat <<MSG

  Sluice is running the default pipeline: Kafka topic 'orders' -> order_validate ->
  PostgreSQL -> memory cache -> REST.

  Page:     http://localhost:$http_port/?order=b563feb7b2b84b6test
  Order:    curl -s http://localhost:$http_port/order/b563feb7b2b84b6test
  Recent:   curl -s -H 'Authorization: Bearer $read_token' 'http://localhost:$http_port/api/orders?limit=5'
  Metrics:  curl -s http://localhost:$http_port/metrics
  Publish:  $build_dir/bin/sluice publish --brokers $KAFKA_BROKERS --topic orders --count 1000
  SQL:      psql "$DATABASE_URL" -c 'select count(*) from orders'

  Logs in $state. Press Ctrl-C to stop everything.
MSG
wait "${pids[1]}"
