# shellcheck shell=bash
# report COMMAND: the one results table (stdout) and build/bench/results.json, from the rows
# the measurements recorded in $BENCH_RESULTS. Exits non-zero when a target was missed, so
# the script can gate a release or a CI job that runs it on a quiet machine.

# num X: few significant digits without exponents (6453, 37492, 17.6, 1.09).
num() { awk -v x="$1" 'BEGIN { a = x < 0 ? -x : x; if (a >= 100) printf "%.0f", x; else if (a >= 10) printf "%.1f", x; else printf "%.3g", x }'; }

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# A number stays a number in JSON; anything else ("-", "nan") becomes a string.
json_val() {
  if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then printf '%s' "$1"; else json_str "$1"; fi
}

report() {
  local command=$1 json=build/bench/results.json
  local failed=0
  echo
  say "results ($(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)$(git diff --quiet 2>/dev/null || echo '+dirty'), load average $(load_average))"
  echo "    command: $command"
  echo
  printf '| %-36s | %-22s | %-30s | %-7s | %-18s | %-4s |\n' figure value baseline ratio target pass
  printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..38})" "$(printf -- '-%.0s' {1..24})" \
    "$(printf -- '-%.0s' {1..32})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..20})" "$(printf -- '-%.0s' {1..6})"
  local key figure value unit baseline bwhat ratio target pass note rows=()
  while IFS=$'\t' read -r key figure value unit baseline bwhat ratio target pass note; do
    local bcell="-" rcell="-"
    [ "$baseline" != "-" ] && bcell="$(num "$baseline") $bwhat"
    [ "$ratio" != "-" ] && rcell="$(printf '%.2fx' "$ratio")"
    printf '| %-36s | %-22s | %-30s | %-7s | %-18s | %-4s |\n' "$figure" "$(num "$value") $unit" \
      "$bcell" "$rcell" "$target" "$pass"
    [ "$pass" = FAIL ] && failed=1
    rows+=("$(printf '{"key":%s,"figure":%s,"value":%s,"unit":%s,"baseline":%s,"baseline_what":%s,"ratio":%s,"target":%s,"pass":%s,"note":%s}' \
      "$(json_str "$key")" "$(json_str "$figure")" "$(json_val "$value")" "$(json_str "$unit")" \
      "$(json_val "$baseline")" "$(json_str "$bwhat")" "$(json_val "$ratio")" "$(json_str "$target")" \
      "$(json_str "$pass")" "$(json_str "$note")")")
  done <"$BENCH_RESULTS"
  echo
  while IFS=$'\t' read -r key figure value unit baseline bwhat ratio target pass note; do
    echo "    $key: $note"
  done <"$BENCH_RESULTS"

  {
    printf '{\n  "command": %s,\n  "date": %s,\n  "commit": %s,\n  "cpus": %s,\n  "load_average_end": %s,\n  "results": [\n' \
      "$(json_str "$command")" "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" \
      "$(json_str "$(git rev-parse HEAD 2>/dev/null || echo unknown)")" "$(nproc)" "$(json_str "$(load_average)")"
    local i
    for ((i = 0; i < ${#rows[@]}; i++)); do
      printf '    %s%s\n' "${rows[i]}" "$([ $((i + 1)) -lt ${#rows[@]} ] && echo ,)"
    done
    printf '  ]\n}\n'
  } >"$json"
  echo
  say "wrote $json"
  return "$failed"
}
