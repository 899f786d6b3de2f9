# shellcheck shell=bash
# rest: `wrk -t1 -c64 -d10s --latency` on GET /order/{uid} of a cached order, sluice vs nginx
# serving the same bytes as a static file. Sides alternate (and swap who goes first each
# round) so a burst of load from other users hits both; the median of the rounds is reported.
#
# Fairness: nginx gets as many worker processes as the rest plugin has threads (its log says
# how many: by default one less than the CPUs, so 1 on our 2-CPU machines), and both share the
# CPUs with wrk. nginx is configured to be at its best for this load (access log off,
# open_file_cache, unlimited keep-alive requests, sendfile); on 2 CPUs one worker is also
# nginx's own best (~69k req/s against ~64k with two), so the baseline is not handicapped.

BENCH_REST_ROUNDS=${BENCH_REST_ROUNDS:-3}
BENCH_REST_DURATION=${BENCH_REST_DURATION:-10s}

write_nginx_conf() {
  local dir=$1 port=$2 workers=$3
  mkdir -p "$dir/tmp" "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
# Written by tests/bench/rest.sh: the REST baseline.
daemon off;
master_process on;
user root;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  open_file_cache max=100 inactive=60s;
  open_file_cache_valid 60s;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
  }
}
CONF
}

# wrk_run URL OUT -> "req_per_s p99_ms" on stdout; the full wrk report is kept in OUT.
wrk_run() {
  local url=$1 out=$2
  wrk -t1 -c64 -d"$BENCH_REST_DURATION" --latency "$url" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
  if grep -qE 'Non-2xx|Socket errors' "$out"; then
    die "wrk saw errors against $url: $(grep -E 'Non-2xx|Socket errors' "$out")"
  fi
  awk '
    /^ *99%/ { v = $2; f = 1
      if (v ~ /us$/) f = 0.001; else if (v ~ /ms$/) f = 1; else if (v ~ /s$/) f = 1000
      sub(/[a-z]+$/, "", v); p99 = v * f }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%s %.3f\n", rps, p99 }' "$out"
}

bench_rest() {
  local dir=$BENCH_STATE/rest uid=rest-500
  mkdir -p "$dir/nginx/www/order"
  create_db bench_rest
  start_pipeline rest bench_rest rest
  wait_pipeline_ready
  info "publishing 1000 orders; the benchmark reads $uid"
  publish rest --count 1000 --prefix rest
  wait_for "$uid to be served" 60 curl -fsS -o /dev/null "$PIPE_URL/order/$uid" || die "$uid never served"
  curl -fsS -o "$dir/nginx/www/order/$uid" "$PIPE_URL/order/$uid"

  local nport workers
  workers=$(sed -n 's/.*REST listening on .* with \([0-9]*\) thread(s).*/\1/p' "$PIPE_LOG" | tail -n 1)
  [ -n "$workers" ] || die "no REST thread count in $PIPE_LOG"
  nport=$(free_port 18181)
  info "nginx gets $workers worker process(es): as many as sluice's REST threads"
  write_nginx_conf "$dir/nginx" "$nport" "$workers"
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>"$dir/nginx/logs/stderr.log" &
  local nginx_pid=$!
  track_pid "$nginx_pid"
  wait_for "nginx on :$nport" 20 curl -fsS -o /dev/null "http://127.0.0.1:$nport/order/$uid" ||
    die "nginx did not start: $(cat "$dir/nginx/logs/"*.log)"
  # Same body bytes on both sides, or the comparison means nothing.
  cmp -s <(curl -fsS "http://127.0.0.1:$nport/order/$uid") <(curl -fsS "$PIPE_URL/order/$uid") ||
    die "nginx and sluice serve different bytes for $uid"
  info "body: $(stat -c %s "$dir/nginx/www/order/$uid") bytes; headers: sluice $(curl -sS -D - -o /dev/null "$PIPE_URL/order/$uid" | wc -c) B, nginx $(curl -sS -D - -o /dev/null "http://127.0.0.1:$nport/order/$uid" | wc -c) B"

  local round side first second result rps p99
  local sluice_rps=() sluice_p99=() nginx_rps=() nginx_p99=()
  for ((round = 1; round <= BENCH_REST_ROUNDS; round++)); do
    if ((round % 2)); then first=sluice second=nginx; else first=nginx second=sluice; fi
    for side in "$first" "$second"; do
      local url="$PIPE_URL/order/$uid"
      [ "$side" = nginx ] && url="http://127.0.0.1:$nport/order/$uid"
      printf '    round %d/%d %-6s wrk -t1 -c64 -d%s ... ' "$round" "$BENCH_REST_ROUNDS" "$side" "$BENCH_REST_DURATION"
      result=$(wrk_run "$url" "$dir/wrk-$side-$round.txt")
      read -r rps p99 <<<"$result"
      printf '%s req/s, p99 %s ms (load %s)\n' "$rps" "$p99" "$(load_average)"
      if [ "$side" = sluice ]; then sluice_rps+=("$rps") sluice_p99+=("$p99"); else nginx_rps+=("$rps") nginx_p99+=("$p99"); fi
    done
  done
  stop_pid "$nginx_pid"
  stop_pipeline

  local s_rps n_rps s_p99 n_p99 ratio
  s_rps=$(median "${sluice_rps[@]}")
  n_rps=$(median "${nginx_rps[@]}")
  s_p99=$(median "${sluice_p99[@]}")
  n_p99=$(median "${nginx_p99[@]}")
  ratio=$(calc "$s_rps / $n_rps")
  record rest_rps "REST GET /order req/s" "$s_rps" "req/s" "$n_rps" "req/s nginx" "$ratio" ">= 1.0x" \
    "$(pass_if "$ratio >= 1.0")" "median of $BENCH_REST_ROUNDS rounds; load $(load_average)"
  record rest_p99 "REST GET /order p99" "$s_p99" "ms" "$n_p99" "ms nginx p99" "$(calc "$s_p99 / $n_p99")" \
    "<= 2 ms" "$(pass_if "$s_p99 <= 2")" "median of $BENCH_REST_ROUNDS rounds"
}
