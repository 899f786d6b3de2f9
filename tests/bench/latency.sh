# shellcheck shell=bash
# latency: publish -> visible. `sluice publish --rate R --count R*S --prefix lat` feeds the
# running default pipeline for S seconds while latency_probe (C++, cpp-httplib; curl in a loop
# is far too slow) polls GET /order/lat-k for every BENCH_LATENCY_STEP-th uid and notes when it
# first answers 200. The publish time of each uid is its Kafka message timestamp (CreateTime,
# set by librdkafka when `sluice publish` produces it), read back by kcat from the dedicated,
# initially empty topic "latency" while the run goes on (the broker only keeps ~5 MiB per
# partition, so reading it afterwards could miss the oldest). Latency = first 200 - CreateTime,
# so it includes the producer's linger, the broker, the pipeline's batching and the commit.

BENCH_LATENCY_SECONDS=${BENCH_LATENCY_SECONDS:-30}
BENCH_LATENCY_RATE=${BENCH_LATENCY_RATE:-1000}
BENCH_LATENCY_STEP=${BENCH_LATENCY_STEP:-10}
BENCH_LATENCY_POLL_MS=${BENCH_LATENCY_POLL_MS:-2}

build_latency_probe() {
  local probe=build/bench/latency_probe
  if [ ! -x "$probe" ] || [ tests/bench/latency_probe.cpp -nt "$probe" ]; then
    info "building $probe (g++, cpp-httplib)"
    # shellcheck disable=SC2046  # pkg-config prints several words on purpose
    g++ -O2 -std=c++17 -Wall -Wextra tests/bench/latency_probe.cpp -o "$probe" \
      $(pkg-config --cflags --libs cpp-httplib) -pthread || die "cannot build $probe"
  fi
}

# latency_run NAME PIPELINE_FILE KEY LABEL TARGET: one publish->visible run on topic NAME.
latency_run() {
  local name=$1 file=$2 key=$3 label=$4 target=$5
  local dir=$BENCH_STATE/$name rate=$BENCH_LATENCY_RATE
  local count=$((BENCH_LATENCY_RATE * BENCH_LATENCY_SECONDS))
  mkdir -p "$dir"
  create_db "bench_$name"
  start_pipeline "$name" "bench_$name" "$name" "$file"
  wait_pipeline_ready
  wait_pipeline_assigned

  timeout $((BENCH_LATENCY_SECONDS + 120)) kcat -C -q -b "$BROKERS" -t "$name" -o beginning -c "$count" \
    -f '%k\t%T\n' >"$dir/published.tsv" 2>"$dir/kcat.log" &
  local kcat_pid=$!
  track_pid "$kcat_pid"
  sleep 1 # kcat has its partitions assigned before the first message

  local start
  start=$(now_ms)
  build/bench/latency_probe 127.0.0.1 "${PIPE_URL##*:}" lat "$count" "$BENCH_LATENCY_STEP" "$rate" "$start" \
    "$BENCH_LATENCY_POLL_MS" 10000 >"$dir/visible.tsv" 2>"$dir/probe.log" &
  local probe_pid=$!
  track_pid "$probe_pid"
  info "publishing $count orders at $rate/s for ${BENCH_LATENCY_SECONDS} s; polling every ${BENCH_LATENCY_STEP}th uid every ${BENCH_LATENCY_POLL_MS} ms"
  # nice 19: `sluice publish --rate` waits for its next slot by polling librdkafka with a
  # timeout truncated to whole milliseconds, i.e. 0 at 1000/s, so it spins a whole CPU
  # (plugins/kafka/tool/publish.cpp). At the lowest priority the spin only uses otherwise idle time;
  # the pacing holds (it catches up against its start) and the timestamps are set at produce.
  nice -n 19 "$SLUICE" publish --brokers "$BROKERS" --topic "$name" --count "$count" --rate "$rate" \
    --prefix lat 2>&1 | sed -u 's/^/    /'
  wait "$probe_pid" || die "latency_probe failed: $(cat "$dir/probe.log")"
  stop_pid "$probe_pid"
  wait "$kcat_pid" || die "kcat did not read all $count messages: $(cat "$dir/kcat.log")"
  stop_pid "$kcat_pid"
  # Kept for diagnosis: batch and per-sink timing histograms of this run.
  curl -fsS -o "$dir/metrics.txt" "$PIPE_URL/metrics" || true
  stop_pipeline

  # uid -> publish ms from kcat, joined with uid -> first-200 us from the probe.
  awk -F'\t' 'NR == FNR { t[$1] = $2; next }
    ($1 in t) { if ($2 < 0) print "timeout"; else printf "%.3f\n", $2 / 1000 - t[$1] }' \
    "$dir/published.tsv" "$dir/visible.tsv" >"$dir/latency_ms.txt"
  local samples timeouts p50 p99 max
  timeouts=$(grep -c timeout "$dir/latency_ms.txt" || true)
  samples=$(wc -l <"$dir/latency_ms.txt")
  ((samples > 0)) || die "no latency samples (see $dir)"
  # Timeouts count as +infinity: they land at the top of the distribution.
  read -r p50 p99 max < <(sed 's/timeout/1e12/' "$dir/latency_ms.txt" | sort -g | awk '{ v[NR] = $1 }
    END { i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
          printf "%.1f %.1f %.1f\n", v[i50], v[i99], v[NR] }')
  info "$samples samples, $timeouts timeouts, max $max ms"
  record "${key}_p50" "$label p50" "$p50" "ms" "-" "-" "-" "-" "-" "$samples samples; load $(load_average)"
  if [ "$target" = "-" ]; then
    record "${key}_p99" "$label p99" "$p99" "ms" "-" "-" "-" "(diagnostic)" "-" "max $max ms, $timeouts timeouts"
  else
    record "${key}_p99" "$label p99" "$p99" "ms" "-" "-" "-" "<= $target ms" "$(pass_if "$p99 <= $target")" \
      "max $max ms, $timeouts timeouts"
  fi
}

bench_latency() {
  build_latency_probe
  # start_pipeline sets fetch.wait.max.ms to 10 ms (KAFKA_FETCH_WAIT_MAX_MS): sluice broker (librdkafka's mock
  # cluster) answers a fetch that finds no new data only after the whole wait, even if data
  # arrives meanwhile (rd_kafka_mock_handle_Fetch); with the 500 ms default, p50 was 469 ms.
  latency_run latency config/pipeline.yaml latency "latency ($BENCH_LATENCY_RATE/s)" 50
}
