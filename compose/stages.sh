# Stage timing for the test scripts (sourced by compose/test.sh, compose/sanitize.sh and
# compose/fuzz.sh): each stage's wall time is appended to SLUICE_STAGE_LOG (test.sh sets it
# for the scripts it calls), and stages_report prints them as a table at the end of a run.

# stage NAME: ends the stage under way (if any) and starts NAME.
stage() {
  stage_end
  SLUICE_STAGE_NAME=$1
  SLUICE_STAGE_STARTED=$(date +%s)
}

# stage_end: records the stage under way.
stage_end() {
  if [ -n "${SLUICE_STAGE_NAME:-}" ] && [ -n "${SLUICE_STAGE_LOG:-}" ]; then
    printf '%s\t%s\n' "$SLUICE_STAGE_NAME" "$(($(date +%s) - SLUICE_STAGE_STARTED))" >>"$SLUICE_STAGE_LOG"
  fi
  SLUICE_STAGE_NAME=
}

# stages_report: the table of every stage recorded in SLUICE_STAGE_LOG, and their total.
stages_report() {
  [ -s "${SLUICE_STAGE_LOG:-}" ] || return 0
  echo "==> time per stage"
  awk -F'\t' '{ printf "    %-28s %6d s\n", $1, $2; total += $2 } END { printf "    %-28s %6d s\n", "total", total }' \
    "$SLUICE_STAGE_LOG"
}

# slowest_tests LOG [N]: the N (15) slowest tests of a ctest output log, slowest first (a
# test run several times, --repeat, counts with its slowest run).
slowest_tests() {
  local log=$1 count=${2:-15}
  [ -s "$log" ] || return 0
  echo "==> the $count slowest tests ($log)"
  awk '/Test +#[0-9]+: / {
         for (i = 1; i <= NF; i++) if ($i ~ /^#[0-9]+:$/) { name = $(i + 1); break }
         if ($NF == "sec" && $(NF - 1) + 0 > slowest[name] + 0) slowest[name] = $(NF - 1)
       }
       END { for (name in slowest) printf "%10.2f s  %s\n", slowest[name], name }' "$log" |
    sort -rn | awk -v count="$count" 'NR <= count'  # reads it all: no SIGPIPE for sort, as with head
}
