#!/usr/bin/env bash
# The README's demo command ("Quick start"): the default pipeline end to end on one machine, no
# Docker. Installs what is missing, starts a private PostgreSQL cluster, builds (Release),
# starts `sluice broker` (in-memory Kafka protocol) and `sluice run config/pipeline.yaml` with
# the admin API, publishes the sample order and a few hundred generated ones, and prints where
# to look. Ctrl-C stops everything it started.
#
# State lives in build/demo/ and is reset each run: the logs, the admin token (admin-token,
# mode 600) and `env` (mode 600), which `source build/demo/env` loads into another shell so the
# README's commands (sluice status, sluice publish, psql "$DATABASE_URL", ...) reach this demo.
# The PostgreSQL cluster lives in a folder of its own under $TMPDIR or /tmp (named in
# build/demo/pg-dir, removed at the stop): the postgres user cannot enter a clone in /root or
# in a mktemp -d folder. Whatever can fail (root, PostgreSQL, a demo of this clone still
# running) is checked before the build.
#
#   SLUICE_DEMO_BIN_DIR=DIR   use DIR/sluice (a build's bin/, its plugins in ../lib/sluice/plugins)
#                             instead of building; only the run packages are checked then
#                             (tests/compose/demo_test.sh runs the demo on the test build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source compose/packages.sh
source compose/services.sh

state="$root/build/demo"
pids=()
pg_dir=""

# say TEXT: prints to stdout, or to the terminal (stderr) once stdout is gone (`demo.sh | tee
# log`, Ctrl-C: tee dies first). Never fails, so the cleanup always gets to stop PostgreSQL.
say() { printf '%s\n' "$*" 2>/dev/null || printf '%s\n' "$*" >&2 2>/dev/null || true; }

# stop_pg_dir DIR: stops the cluster in DIR, keeps its logs in build/demo, removes DIR.
stop_pg_dir() {
  local dir=$1
  (cd / && pg_stop "$dir")
  rm -f "$state/postgresql.log"
  cp "$dir/server.log" "$state/postgresql.log" 2>/dev/null
  cp "$dir/initdb.log" "$state/postgresql-initdb.log" 2>/dev/null
  rm -rf "$dir"
  rm -f "$state/pg-dir"
}

cleanup() {
  # A second Ctrl-C (or the SIGTERM that follows a SIGINT) must not end the cleanup halfway
  # and leave PostgreSQL running: it still reaches `sluice run`, which then exits at once.
  trap '' INT TERM
  trap - EXIT
  # Writing to a closed pipe must neither kill (SIGPIPE) nor end (set -e) the cleanup.
  trap '' PIPE
  set +e
  say ""
  say "==> stopping what the demo started"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null
    wait "${pids[i]}" 2>/dev/null
  done
  [ -n "$pg_dir" ] && stop_pg_dir "$pg_dir"
  rm -f "$state/demo.pid"
  say "==> stopped; logs are in $state"
}

# A demo of this clone that still runs owns build/demo; one that was killed (SIGKILL) may have
# left its PostgreSQL cluster running.
check_previous_demo() {
  local pid="" old_pg
  [ -f "$state/demo.pid" ] && pid=$(cat "$state/demo.pid")
  if [ -n "$pid" ] && [ "$pid" != $$ ] && grep -qa "demo.sh" "/proc/$pid/cmdline" 2>/dev/null; then
    echo "error: a demo of this clone is still running (pid $pid): press Ctrl-C there, or kill $pid" >&2
    exit 1
  fi
  # Its sluice processes (broker, run) by pid, when that pid is still a sluice in this clone.
  for pid in $(cat "$state/pids" 2>/dev/null); do
    if grep -qa "sluice" "/proc/$pid/cmdline" 2>/dev/null && [ "$(readlink "/proc/$pid/cwd")" = "$root" ]; then
      echo "==> stopping process $pid a killed demo left running"
      kill -TERM "$pid" 2>/dev/null
    fi
  done
  old_pg=$(cat "$state/pg-dir" 2>/dev/null || true)
  if [[ "$old_pg" == */sluice-demo-pg.* ]] && [ -d "$old_pg" ]; then
    echo "==> stopping the PostgreSQL cluster a killed demo left in $old_pg"
    stop_pg_dir "$old_pg"
  fi
  [ -d "$state/pg/data" ] && (cd / && pg_stop "$state/pg")  # where earlier versions of the demo kept it
  return 0
}

if [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != postgres ]; then
  echo "error: run the demo as root: it installs packages and runs PostgreSQL as the postgres user" >&2
  exit 1
fi
bin_dir=${SLUICE_DEMO_BIN_DIR:-}
if [ -n "$bin_dir" ]; then
  bin_dir=$(cd "$bin_dir" && pwd)
  [ -x "$bin_dir/sluice" ] || { echo "error: SLUICE_DEMO_BIN_DIR=$bin_dir holds no sluice binary" >&2; exit 1; }
  ensure_packages "${SLUICE_RUN_PACKAGES[@]}"
else
  ensure_packages "${SLUICE_BUILD_PACKAGES[@]}" "${SLUICE_RUN_PACKAGES[@]}"
fi
[ -x "$PG_BIN/initdb" ] || { echo "error: no PostgreSQL 15 in $PG_BIN (apt-get install postgresql)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "error: no postgres user (apt-get install postgresql)" >&2; exit 1; }

check_previous_demo
rm -rf "$state"
mkdir -p "$state"
echo $$ >"$state/demo.pid"
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# PostgreSQL first: what can fail fails before the build.
pg_dir=$(pg_temp_dir sluice-demo-pg)
echo "$pg_dir" >"$state/pg-dir"
# Its log, while it runs (copied here at the stop, when its folder goes).
ln -s "$pg_dir/server.log" "$state/postgresql.log"
pg_port=$(free_port 5432)
echo "==> starting PostgreSQL 15 on 127.0.0.1:$pg_port (data in $pg_dir, removed at the stop)"
# A password of this run (in build/demo/env, mode 600), not one printed in a README.
db_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
# From /: the postgres user cannot enter this clone, and its tools would say so.
(cd / && pg_start "$pg_dir" "$pg_port" && pg_create_db "$pg_dir" "$pg_port" orders_db order_user "$db_password")
export DATABASE_URL="postgresql://order_user:$db_password@127.0.0.1:$pg_port/orders_db"

if [ -z "$bin_dir" ]; then
  build_dir=build/release
  echo "==> building Sluice (Release, 2 jobs; the first build takes a few minutes)"
  # The release preset: the test command's -Werror build has the same flags, so it prints no warning.
  cmake --preset release >/dev/null
  cmake --build --preset release
  bin_dir="$root/$build_dir/bin"
fi
sluice="$bin_dir/sluice"

echo "==> starting sluice broker (in-memory Kafka protocol, topic orders:4)"
"$sluice" broker --topic orders:4 --addr-file "$state/broker.addr" >"$state/broker.log" 2>&1 &
pids+=($!)
echo "${pids[@]}" >"$state/pids"
wait_for "the broker" 30 test -s "$state/broker.addr"
KAFKA_BROKERS=$(cat "$state/broker.addr")
export KAFKA_BROKERS
# sluice broker (librdkafka's mock) answers an idle fetch only after the whole wait, even when
# data arrives meanwhile; real Kafka answers at once, so the shipped default stays 500 ms.
export KAFKA_FETCH_WAIT_MAX_MS=10

# The demo serves orders by id without a token, on this machine only (README, "Authentication");
# the listing of recent ids needs a read token even so, and the admin API (README, "Operating
# Sluice") an admin token: both made for this run.
http_port=$(free_port 8081)
admin_port=$(free_port 8082)
[ "$admin_port" != "$http_port" ] || admin_port=$(free_port $((http_port + 1)))
export HTTP_LISTEN="127.0.0.1:$http_port" ADMIN_LISTEN="127.0.0.1:$admin_port"
export READ_AUTH=open
random_token() { echo "demo-$1-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }
read_token=$(random_token read)
admin_token=$(random_token admin)
(umask 077 && echo "$admin_token" >"$state/admin-token")
export SLUICE_API_TOKENS="read:$read_token,admin:$admin_token"
echo "==> starting sluice run config/pipeline.yaml (log: $state/sluice.log)"
"$sluice" run config/pipeline.yaml >"$state/sluice.out" 2>"$state/sluice.log" &
pids+=($!)
echo "${pids[@]}" >"$state/pids"
if ! wait_for "the pipeline to be ready" 120 curl -fsS -o /dev/null "http://127.0.0.1:$http_port/readyz" ||
   ! wait_for "the admin API" 30 curl -fsS -o /dev/null -H "Authorization: Bearer $admin_token" \
     "http://127.0.0.1:$admin_port/admin/status"; then
  tail -n 20 "$state/sluice.log"
  exit 1
fi

# For another shell: `source build/demo/env`, then the README's commands as written.
write_env() {
  echo "# compose/demo.sh, this run only (README, \"Quick start\"): source it in another shell."
  printf 'export PATH=%q:"$PATH"\n' "$bin_dir"
  printf 'export %s=%q\n' KAFKA_BROKERS "$KAFKA_BROKERS" DATABASE_URL "$DATABASE_URL" \
    SLUICE_URL "http://127.0.0.1:$http_port" SLUICE_READ_TOKEN "$read_token" \
    SLUICE_ADMIN_URL "http://127.0.0.1:$admin_port" SLUICE_ADMIN_TOKEN "$admin_token"
}
(umask 077 && write_env >"$state/env")

echo "==> publishing the sample order, 300 generated orders and one the validator refuses"
# stdout is one position per delivered message: the sample's is the last line.
sample_position=$("$sluice" publish --brokers "$KAFKA_BROKERS" --topic orders --sample | tail -n 1)
echo "    sample order published at $sample_position (its read-your-writes position)"
"$sluice" publish --brokers "$KAFKA_BROKERS" --topic orders --count 300 --prefix demo >/dev/null
# One the validator refuses (no "entry"): it waits in the dead letters for the operator side.
echo '{"order_uid":"demo-refused-1","track_number":"T"}' |
  "$sluice" publish --brokers "$KAFKA_BROKERS" --topic orders --file - >/dev/null
wait_for "the sample order to be served" 60 \
  curl -fsS -o /dev/null "http://127.0.0.1:$http_port/order/b563feb7b2b84b6test"

cat <<MSG

  Sluice is running the default pipeline: Kafka topic 'orders' -> order_validate ->
  PostgreSQL -> memory cache -> REST.

  Page:      http://127.0.0.1:$http_port/?order=b563feb7b2b84b6test
  Order:     curl -s http://127.0.0.1:$http_port/order/b563feb7b2b84b6test
  Recent:    curl -s -H "Authorization: Bearer \$SLUICE_READ_TOKEN" 'http://127.0.0.1:$http_port/api/orders?limit=5'
  Metrics:   curl -s http://127.0.0.1:$http_port/metrics
  Operator:  http://127.0.0.1:$admin_port/admin.html (paste the admin token)
  Token:     $admin_token (admin; also in $state/admin-token)
  Shell:     source $state/env
             then: sluice status; sluice dead-letters list; sluice tap validate -n 1;
             sluice publish --count 1000; curl "\$SLUICE_URL/order/b563feb7b2b84b6test"
  SQL:       psql "\$DATABASE_URL" -c 'select count(*) from orders'   (after the source line)
  Postgres:  data in $pg_dir (removed at the stop)
  Logs:      $state (sluice.log, broker.log, postgresql.log)

  Press Ctrl-C to stop everything.
MSG
wait "${pids[1]}"
