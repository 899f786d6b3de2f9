# shellcheck shell=bash
# Shared state and helpers for the benchmark scripts (sourced by tests/bench/run.sh after
# compose/services.sh). Everything a measurement starts is registered in BENCH_PIDS so the
# EXIT trap in run.sh can stop it by pid, newest first.

BENCH_STATE=${BENCH_STATE:-$PWD/build/bench/state}
BENCH_RESULTS=$BENCH_STATE/results.tsv
SLUICE=${SLUICE:-$PWD/build/bench/bin/sluice}
BENCH_PIDS=()

# Database access: the role the pipeline uses, over TCP like the pipeline (a Unix socket would
# give the baselines an edge the pipeline does not have).
BENCH_DB_USER=bench
BENCH_DB_PASSWORD=bench

say() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# ms_between START_MS END_MS -> seconds with 3 decimals
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1000 }'; }
# calc EXPR -> awk arithmetic, printed with up to 6 significant digits
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
# median of the numbers given as arguments (mean of the middle two for an even count)
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

track_pid() { BENCH_PIDS+=("$1"); }

# stop_pid PID: SIGTERM (sluice drains and exits 0), SIGKILL after 20 s; forgets the pid.
stop_pid() {
  local pid=$1 i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  local kept=()
  for i in "${BENCH_PIDS[@]}"; do [ "$i" = "$pid" ] || kept+=("$i"); done
  BENCH_PIDS=("${kept[@]}")
}

stop_all() {
  local i
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${BENCH_PIDS[i]}"; done
}

# ---- PostgreSQL ---------------------------------------------------------------------------

# psql_db DB ARGS...: quiet, unaligned, stop on the first error, no ~/.psqlrc.
psql_db() {
  local db=$1
  shift
  PGPASSWORD=$BENCH_DB_PASSWORD PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
    -U "$BENCH_DB_USER" -d "$db" "$@"
}

db_url() { echo "postgresql://$BENCH_DB_USER:$BENCH_DB_PASSWORD@127.0.0.1:$PG_PORT/$1"; }

# create_db NAME: a fresh empty database owned by the bench role, migrated with the pipeline's
# own migrations (sluice migrate), so every measurement and baseline uses the identical schema.
create_db() {
  local db=$1
  as_postgres psql -X -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 \
    -c "set client_min_messages = warning" -c "drop database if exists $db" -c "create database $db owner $BENCH_DB_USER" >/dev/null
  DATABASE_URL=$(db_url "$db") KAFKA_BROKERS=$BROKERS \
    "$SLUICE" --log-level warn migrate config/pipeline.yaml >>"$BENCH_STATE/migrate.log" 2>&1 ||
    die "sluice migrate failed for $db (see $BENCH_STATE/migrate.log)"
}

# Drops the given databases and checkpoints, so the server's background work on the rows a
# measurement wrote (autovacuum, checkpoint writes) does not run under the next measurement.
settle_db() {
  local args=(-c "set client_min_messages = warning") db
  for db in "$@"; do args+=(-c "drop database if exists $db"); done
  as_postgres psql -X -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "${args[@]}" -c "checkpoint" >/dev/null
}

# ---- the pipeline -------------------------------------------------------------------------

# start_pipeline NAME DB TOPIC [FILE]: `sluice run config/pipeline.yaml` (the default pipeline,
# unless FILE names a variant) with its own database, topic and consumer group. Sets PIPE_PID
# and PIPE_URL.
start_pipeline() {
  local name=$1 db=$2 topic=$3 file=${4:-config/pipeline.yaml}
  local port
  port=$(free_port 18081)
  PIPE_URL="http://127.0.0.1:$port"
  PIPE_LOG="$BENCH_STATE/$name.log"
  # KAFKA_FETCH_WAIT_MAX_MS=10: sluice broker holds an idle fetch for the whole wait (the demo's choice).
  DATABASE_URL=$(db_url "$db") KAFKA_BROKERS=$BROKERS KAFKA_TOPIC=$topic KAFKA_GROUP="bench-$name" \
    KAFKA_FETCH_WAIT_MAX_MS=10 HTTP_LISTEN="127.0.0.1:$port" READ_AUTH=open "$SLUICE" run "$file" >"$BENCH_STATE/$name.out" 2>"$PIPE_LOG" &
  PIPE_PID=$!
  track_pid "$PIPE_PID"
}

# Succeeds once /readyz says 200; exits the run with the log tail if sluice died.
pipeline_ready() {
  if ! kill -0 "$PIPE_PID" 2>/dev/null; then
    echo
    tail -n 20 "$PIPE_LOG" >&2
    die "sluice run exited early (log: $PIPE_LOG)"
  fi
  curl -fsS -o /dev/null --max-time 2 "$PIPE_URL/readyz"
}

wait_pipeline_ready() { wait_for "sluice run to be ready" "${1:-180}" pipeline_ready || die "pipeline not ready (log: $PIPE_LOG)"; }

# /readyz is 200 before the consumer group has assigned partitions (a few seconds on the
# in-memory broker); measurements that time live traffic wait for the assignment too.
pipeline_assigned() {
  curl -fsS --max-time 1 "$PIPE_URL/metrics" | awk '/^sluice_kafka_assigned_partitions/ { n += $NF } END { exit !(n > 0) }'
}
wait_pipeline_assigned() { wait_for "partitions to be assigned" 60 pipeline_assigned || die "no partitions assigned (log: $PIPE_LOG)"; }

stop_pipeline() { stop_pid "$PIPE_PID"; }

# rss_kib PID: resident set size from /proc (what the kernel charges the process).
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# publish TOPIC ARGS...: `sluice publish` with its progress lines (stderr) indented under
# ours; the position it prints on stdout for every message is not wanted here.
publish() {
  local topic=$1
  shift
  "$SLUICE" publish --brokers "$BROKERS" --topic "$topic" "$@" 2>&1 >/dev/null | sed -u 's/^/    /'
}

# ---- results ------------------------------------------------------------------------------

# record KEY FIGURE VALUE UNIT BASELINE BASELINE_WHAT RATIO TARGET PASS NOTE
# One row of the final table; numbers are plain (no units), "-" where a cell does not apply.
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"
  local pass=$9
  info "result: $2 = $3 $4 (baseline $5 $6, ratio $7, target $8): $pass"
}

# pass_if AWK_CONDITION -> PASS or FAIL
pass_if() { awk "BEGIN { exit !($1) }" && echo PASS || echo FAIL; }

# ticking LABEL CMD...: runs CMD with a dot every 2 s and its duration at the end, for the
# steps that take longer than a few seconds without output of their own.
ticking() {
  local label=$1 start pid rc=0
  shift
  start=$(now_ms)
  printf '    %s ' "$label"
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    kill -0 "$pid" 2>/dev/null && printf '.'
    sleep 1
  done
  wait "$pid" || rc=$?
  printf ' %s s\n' "$(seconds_between "$start" "$(now_ms)")"
  return "$rc"
}
