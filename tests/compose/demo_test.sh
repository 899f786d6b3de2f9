#!/usr/bin/env bash
# The README's demo ("Quick start") as a newcomer runs it: as root, from a copy of the source in
# a mode-700 mktemp -d folder (out of the postgres user's reach, like /root), on this build's
# binaries (SLUICE_DEMO_BIN_DIR: no Release build), stdout into a pipe as with `| tee log`.
#   demo_test.sh SLUICE SOURCE_DIR
# 1. The banner comes, every line labelled; a second demo of the clone refuses to start;
#    `source build/demo/env` in a clean shell makes `sluice status`, `sluice dead-letters list`,
#    `sluice tap validate -n 1`, `sluice publish` and `curl "$SLUICE_URL/order/..."` reach this
#    demo; the operator page answers.
# 2. Ctrl-C with `| tee`: the reader dies, then SIGINT reaches the demo's process group and at
#    once a SIGTERM (the script sends one to `sluice run` as well). The demo ends in bounded
#    time, says so on stderr, `sluice run` drains (no "second signal"), the PostgreSQL cluster
#    stops and its folder goes, and no process of the demo is left.
# Exit 77: skipped (not root, or postgresql/curl not installed: the demo would apt-get them).
set -uo pipefail

sluice=$(readlink -f "$1") src=$(readlink -f "$2")
[ -x "$sluice" ] || { echo "no sluice binary at $1"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: the demo runs as root"; exit 77; }
for pkg in postgresql curl; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    echo "SKIP: $pkg not installed (the demo would apt-get it)"
    exit 77
  fi
done

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# poll SECONDS CMD...: true once CMD succeeds, false after SECONDS.
poll() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
# alive PID: it runs (a zombie, exited but not yet reaped by its parent, does not count).
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

top=$(mktemp -d)  # mode 700, like a newcomer's mktemp -d or /root
clone="$top/sluice"
state="$clone/build/demo"
demo="" reader="" pg_dir=""
cleanup() { # whatever the test leaves: the demo's group (SIGKILL), its cluster, the folders
  [ -n "$demo" ] && alive "$demo" && kill -KILL -- "-$demo" 2>/dev/null
  [ -n "$reader" ] && kill "$reader" 2>/dev/null
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    (cd / && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1)
  fi
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
  rm -rf "$top"
}
trap cleanup EXIT

# The source as a clone has it (plus files not committed yet, so a change is tested before its commit).
mkdir "$clone"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$src" ls-files -z --cached --others --exclude-standard |
    tar -C "$src" --null --ignore-failed-read -T - -cf - | tar -C "$clone" -xf -
else
  tar -C "$src" --exclude=./build --exclude=node_modules -cf - . | tar -C "$clone" -xf -
fi
[ -f "$clone/compose/demo.sh" ] || { echo "FAIL: copying the source to $clone"; exit 1; }

# ---- 1. the demo comes up ------------------------------------------------------------------------
mkfifo "$top/out.fifo"
cat "$top/out.fifo" >"$top/demo.out" &  # `| tee log`
reader=$!
# setsid: a process group of its own, as a terminal's job has (the demo's pid is its id).
SLUICE_DEMO_BIN_DIR=$(dirname "$sluice") setsid bash "$clone/compose/demo.sh" >"$top/out.fifo" 2>"$top/demo.err" &
demo=$!
banner() { grep -q "Press Ctrl-C to stop everything" "$top/demo.out" || ! alive "$demo"; }
poll 180 banner
if ! grep -q "Press Ctrl-C to stop everything" "$top/demo.out"; then
  echo "FAIL: no banner within 180 s (demo running: $(alive "$demo" && echo yes || echo no))" >&2
  cat "$top/demo.out" "$top/demo.err" >&2
  tail -n 20 "$state/sluice.log" >&2 2>/dev/null
  exit 1
fi
ok "banner after ${SECONDS}s"
[ "$(ps -o pgid= -p "$demo" | tr -d ' ')" = "$demo" ] || fail "the demo is not its own process group"
pg_dir=$(cat "$state/pg-dir" 2>/dev/null)
postmaster=$(head -n 1 "$pg_dir/data/postmaster.pid" 2>/dev/null)
case "$pg_dir" in "$top"/* | "") fail "the cluster's folder is not out of the clone: '$pg_dir'" ;; esac
{ [ -n "$postmaster" ] && alive "$postmaster"; } || fail "no running postmaster in $pg_dir"
grep -q "$pg_dir" "$top/demo.out" || fail "the banner does not name the cluster's folder $pg_dir"
grep -q "could not change directory" "$top/demo.err" && fail "PostgreSQL's tools complain: $(head -n 1 "$top/demo.err")"

# Every line of stdout is labelled: the sample's position is no bare `orders/0@0` line.
bare=$(grep -E '^[^ ]+/[0-9]+@[0-9]+$' "$top/demo.out")
[ -z "$bare" ] || fail "a bare position line: $bare"
grep -Eq 'sample order published at [^ ]+/[0-9]+@[0-9]+' "$top/demo.out" || fail "no labelled sample position"
grep -qF "source $state/env" "$top/demo.out" || fail "the banner does not say: source $state/env"
for file in env admin-token; do
  mode=$(stat -c %a "$state/$file" 2>/dev/null)
  [ "$mode" = 600 ] && ok "$file is mode 600" || fail "$state/$file: mode '$mode', not 600"
done
grep -q "database system is ready" "$state/postgresql.log" 2>/dev/null || fail "no PostgreSQL log in $state/postgresql.log"

# A second demo of the same clone refuses before it builds or touches anything.
SLUICE_DEMO_BIN_DIR=$(dirname "$sluice") timeout 30 bash "$clone/compose/demo.sh" >"$top/second.out" 2>&1
code=$?
if [ "$code" -eq 1 ] && grep -q "still running (pid $demo)" "$top/second.out"; then
  ok "a second demo refuses: $(cat "$top/second.out")"
else
  fail "a second demo (exit $code): $(cat "$top/second.out")"
fi
[ -f "$state/env" ] && alive "$postmaster" || fail "the second demo touched the first's state or cluster"

# A clean shell with nothing but the env file.
in_env() {
  env -i HOME="$HOME" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c 'source "$0" && "$@"' "$state/env" "$@"
}
check() { # check NAME CMD...: CMD succeeds in the env; its output in $top/NAME.out
  if in_env "${@:2}" >"$top/$1.out" 2>"$top/$1.err"; then ok "$1"; else fail "$1 (exit $?): $(cat "$top/$1.err")"; fi
}
# The database's password is in the env file only, never in the banner, and another local
# user reaches no database without it (no `trust` authentication).
database_url=$(in_env printenv DATABASE_URL)
[ -n "$database_url" ] || fail "the env file sets no DATABASE_URL"
grep -qF "$database_url" "$top/demo.out" && fail "the banner prints the database password"
pg_port=$(echo "$database_url" | sed -E 's|.*@127\.0\.0\.1:([0-9]+)/.*|\1|')
if (cd / && PGCONNECT_TIMEOUT=5 runuser -u nobody -- psql -X -w -h 127.0.0.1 -p "$pg_port" -U postgres -c 'select 1' orders_db) \
  >"$top/nobody-psql.out" 2>&1; then
  fail "another local user reached the demo's database as postgres without a password"
else
  ok "another local user needs a password: $(head -n 1 "$top/nobody-psql.out")"
fi
[ "$(in_env command -v sluice)" = "$sluice" ] || fail "sluice on the env's PATH: '$(in_env command -v sluice)', not $sluice"
admin_url=$(in_env printenv SLUICE_ADMIN_URL) admin_token=$(in_env printenv SLUICE_ADMIN_TOKEN)
grep -qF "$admin_url/admin.html" "$top/demo.out" || fail "the banner does not name the operator page $admin_url/admin.html"
grep -qF "$admin_token" "$top/demo.out" || fail "the banner does not say the admin token"
[ "$(cat "$state/admin-token")" = "$admin_token" ] || fail "admin-token does not hold the env's token"
check status sluice status
grep -q "ready" "$top/status.out" || fail "sluice status: not ready: $(cat "$top/status.out")"
check dead_letters sluice dead-letters list
check operator_page curl -fsS -o /dev/null "$admin_url/admin.html"
check recent bash -c 'curl -fsS -H "Authorization: Bearer $SLUICE_READ_TOKEN" "$SLUICE_URL/api/orders?limit=5"'
check sample bash -c 'curl -fsS "$SLUICE_URL/order/b563feb7b2b84b6test"'
grep -q '"order_uid":"b563feb7b2b84b6test"' "$top/sample.out" || fail "the sample order: $(head -c 200 "$top/sample.out")"

# tap: open it, then publish (through KAFKA_BROKERS), and it sees a record pass the validator.
in_env sluice tap validate -n 1 --for 60 >"$top/tap.out" 2>"$top/tap.err" &
tap=$!
tap_open() { in_env bash -c 'curl -fsS "$SLUICE_URL/metrics"' | grep -q '^sluice_taps_open 1'; }
poll 30 tap_open || fail "the tap did not open: $(cat "$top/tap.err")"
check publish sluice publish --count 3 --prefix t
served() { in_env bash -c 'curl -fsS -o /dev/null "$SLUICE_URL/order/t-3"'; }
poll 30 served && ok "the published order t-3 is served" || fail "t-3 not served within 30 s"
if wait "$tap"; then ok "sluice tap validate -n 1"; else fail "sluice tap (exit $?): $(cat "$top/tap.err")"; fi
grep -q '"key_text":"t-' "$top/tap.out" || fail "the tap saw no t- order: $(head -c 300 "$top/tap.out")"

# ---- 2. Ctrl-C, with stdout gone -----------------------------------------------------------------
group=$(ps -o pid= -g "$demo" | tr -d ' ' | tr '\n' ' ')
kill "$reader"  # the terminal's Ctrl-C ends tee first
wait "$reader" 2>/dev/null
reader=""
kill -INT -- "-$demo"
kill -TERM -- "-$demo"
start=$SECONDS
stopped() { ! alive "$demo"; }
if poll 60 stopped; then
  wait "$demo"
  code=$?
  ok "the demo ended in $((SECONDS - start))s (exit $code)"
  case $code in 130 | 143) ;; *) fail "the demo's exit code $code (130 or 143 expected: stopped by a signal)" ;; esac
else
  fail "the demo still runs 60 s after Ctrl-C"
fi
grep -q "==> stopped; logs are in $state" "$top/demo.err" ||
  fail "with stdout gone the stop lines do not reach stderr: $(cat "$top/demo.err")"
grep -q "second signal" "$state/sluice.log" &&
  fail "sluice run exited without draining: $(grep "second signal" "$state/sluice.log")"
grep -q "pipeline 'orders' stopped" "$state/sluice.log" ||
  fail "sluice run did not stop gracefully: $(tail -n 5 "$state/sluice.log")"
# pg_ctl stop -w returns once the pid file is gone, a moment before the postmaster's exit.
postmaster_gone() { ! alive "$postmaster"; }
poll 10 postmaster_gone || fail "the postmaster ($postmaster) still runs"
[ -e "$pg_dir" ] && fail "the cluster's folder $pg_dir is still there"
[ -e "$state/pg-dir" ] && fail "$state/pg-dir still names a cluster"
grep -q "database system is shut down" "$state/postgresql.log" 2>/dev/null ||
  fail "PostgreSQL's log was not kept in $state/postgresql.log"
for pid in $group; do alive "$pid" && fail "process $pid of the demo is left: $(tr '\0' ' ' </proc/"$pid"/cmdline)"; done
left=$(ps -o pid= -g "$demo" | tr -d ' ' | tr '\n' ' ')
[ -z "$left" ] || fail "processes left in the demo's group: $left"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s); the demo's stdout:" >&2
  cat "$top/demo.out" >&2
  exit 1
fi
echo "all demo checks passed"
