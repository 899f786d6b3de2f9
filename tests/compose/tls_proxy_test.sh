#!/usr/bin/env bash
# The TLS recipe of the README ("TLS"): compose/tls-proxy/nginx.conf, run as shipped (ports and
# paths replaced), in front of a running `sluice run` (file -> order_validate -> memory_cache ->
# rest on 127.0.0.1, read token required).
#   tls_proxy_test.sh SLUICE SOURCE_DIR SCRATCH
# 1. sluice refuses TLS on 0.0.0.0 at start, naming the recipe.
# 2. curl https through nginx gets the sample order (with the read token; 401 without).
# 3. Clients trickling a ClientHello a byte every 5 s do not hold up anyone else: `curl
#    https://.../healthz` through nginx answers within 2 s, again and again, and nginx drops the
#    tricklers (client_header_timeout). The same tricklers against sluice's own TLS (loopback)
#    do stall it: the control that shows the trickle is hostile enough to matter.
# Exit 77: skipped (nginx, openssl or curl missing: apt-get install nginx-light openssl curl).
set -uo pipefail

sluice=$(readlink -f "$1") src=$(readlink -f "$2") scratch=$3
[ -x "$sluice" ] || { echo "no sluice binary at $1"; exit 1; }
source "$src/compose/services.sh"  # free_port, wait_for

for tool in nginx openssl curl; do
  if ! command -v "$tool" >/dev/null && ! [ -x "/usr/sbin/$tool" ]; then
    echo "SKIP: $tool not installed (apt-get install nginx-light openssl curl)"
    exit 77
  fi
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

rm -rf "$scratch"
mkdir -p "$scratch"/{nginx/logs,nginx/tmp,markers}
dir=$(cd "$scratch" && pwd)
pids=()
cleanup() { # SIGTERM to everything this script started, SIGKILL to what is left after 15 s
  local pid left start=$SECONDS
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  while :; do
    left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ "$left" = 0 ] || ((SECONDS - start >= 15)) && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
}
trap cleanup EXIT

token=tls-proxy-read-token-0123456789
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log"; exit 1; }
chmod 600 "$dir/key.pem"
tr -d '\n' <"$src/tests/fixtures/model.json" >"$dir/orders.ndjson"
echo >>"$dir/orders.ndjson"

# pipeline FILE LISTEN [REST LINES...]: the test pipeline with the rest api on LISTEN.
pipeline() {
  local file=$1 listen=$2
  shift 2
  {
    printf '%s\n' "name: tls-proxy" "source:" "  plugin: file" \
      "  config: { path: \"$dir/orders.ndjson\", position_file: \"$file.pos\", follow: true }" \
      "transforms:" "  - plugin: order_validate" "sinks:" "  - { id: cache, plugin: memory_cache }" \
      "api:" "  - plugin: rest" "    config:" "      listen: \"$listen\"" "      lookup: [cache]" \
      "      static_dir: \"$src/web\""
    for line in "$@"; do printf '      %s\n' "$line"; done
  } >"$file"
}
start_sluice() { # start_sluice NAME PIPELINE: in the background, pid appended to pids
  (cd "$dir" && exec env SLUICE_API_TOKENS="read:$token" "$sluice" run "$2") >"$dir/$1.out" 2>"$dir/$1.log" &
  pids+=($!)
}

# ---- 1. TLS on an address others can reach is refused at start ---------------------------------
pipeline "$dir/everywhere.yaml" "0.0.0.0:$(free_port 20000)" "tls_cert: \"$dir/cert.pem\"" "tls_key: \"$dir/key.pem\""
(cd "$dir" && SLUICE_API_TOKENS="read:$token" timeout 30 "$sluice" run "$dir/everywhere.yaml") >"$dir/everywhere.log" 2>&1
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q "compose/tls-proxy/nginx.conf" "$dir/everywhere.log" &&
   grep -q "loopback" "$dir/everywhere.log"; then
  ok "TLS on 0.0.0.0 refused at start (exit $status): $(grep -m1 -o 'tls_cert with listen.*' "$dir/everywhere.log" | cut -c1-120)"
else
  fail "TLS on 0.0.0.0: exit $status, $(tail -3 "$dir/everywhere.log")"
fi

# ---- 2. nginx with the shipped file in front of sluice ---------------------------------------
sluice_port=$(free_port 20100)
pipeline "$dir/plain.yaml" "127.0.0.1:$sluice_port"
start_sluice plain "$dir/plain.yaml"
wait_for "sluice on 127.0.0.1:$sluice_port" 60 curl -fsS -o /dev/null "http://127.0.0.1:$sluice_port/healthz" ||
  { fail "sluice did not start: $(tail -5 "$dir/plain.log")"; exit 1; }

proxy_port=$(free_port $((sluice_port + 1)))
shipped=$src/compose/tls-proxy/nginx.conf
site=$dir/nginx/sluice-tls.conf
sed -e "s|listen 443 ssl;|listen 127.0.0.1:$proxy_port ssl;|" \
    -e "s|server 127.0.0.1:8081;|server 127.0.0.1:$sluice_port;|" \
    -e "s|/etc/sluice/tls/cert.pem|$dir/cert.pem|" \
    -e "s|/etc/sluice/tls/key.pem|$dir/key.pem|" "$shipped" >"$site"
# Each replacement must have happened: a changed recipe fails here, not silently elsewhere.
for expected in "listen 127.0.0.1:$proxy_port ssl;" "server 127.0.0.1:$sluice_port;" \
                "ssl_certificate     $dir/cert.pem;" "ssl_certificate_key $dir/key.pem;"; do
  grep -qF "$expected" "$site" || fail "compose/tls-proxy/nginx.conf: could not set '$expected'"
done
cat >"$dir/nginx/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/logs/error.log info;
events { worker_connections 256; }
http {
  access_log $dir/nginx/logs/access.log;
  client_body_temp_path $dir/nginx/tmp/body;
  proxy_temp_path $dir/nginx/tmp/proxy;
  fastcgi_temp_path $dir/nginx/tmp/fastcgi;
  uwsgi_temp_path $dir/nginx/tmp/uwsgi;
  scgi_temp_path $dir/nginx/tmp/scgi;
  include $site;
}
CONF
"$nginx" -t -p "$dir/nginx" -c "$dir/nginx/nginx.conf" >"$dir/nginx-t.log" 2>&1 ||
  { fail "nginx -t: $(cat "$dir/nginx-t.log")"; exit 1; }
"$nginx" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" >"$dir/nginx/logs/stdout.log" 2>&1 &
pids+=($!)

https() { # https PORT PATH [CURL ARGS...]: status code on stdout
  local port=$1 path=$2
  shift 2
  curl -sS -o "$dir/body" -w '%{http_code}' --cacert "$dir/cert.pem" "$@" "https://127.0.0.1:$port$path"
}
wait_for "nginx on 127.0.0.1:$proxy_port" 30 curl -fsS -o /dev/null --cacert "$dir/cert.pem" \
  "https://127.0.0.1:$proxy_port/healthz" || { fail "nginx does not answer: $(tail -5 "$dir/nginx/logs/error.log")"; exit 1; }
code=$(https "$proxy_port" /order/b563feb7b2b84b6test -H "Authorization: Bearer $token")
if [ "$code" = 200 ] && grep -q '"order_uid":"b563feb7b2b84b6test"' "$dir/body" && grep -q 'Test Testov' "$dir/body"; then
  ok "https through nginx: the sample order"
else
  fail "https through nginx: HTTP $code, $(head -c 200 "$dir/body")"
fi
code=$(https "$proxy_port" /order/b563feb7b2b84b6test)
[ "$code" = 401 ] && ok "https through nginx without the token: 401" || fail "without the token: HTTP $code"

# ---- 3. tricklers ------------------------------------------------------------------------------
# trickle NAME PORT: a TLS record header, a byte every 5 s; markers: NAME.started once the first
# byte is out, NAME.closed when a write finds the connection closed by the server.
trickle() {
  local name=$1 port=$2 hello=$'\x16\x03\x01\x02\x01\x01\x01\x03\x03' i
  trap '' PIPE
  exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
  for ((i = 0; i < ${#hello}; i++)); do
    printf '%s' "${hello:i:1}" >&3 2>/dev/null || { touch "$dir/markers/$name.closed"; exit 0; }
    [ "$i" = 0 ] && touch "$dir/markers/$name.started"
    sleep 5
  done
}
all_started() { # all_started PREFIX COUNT
  [ "$(find "$dir/markers" -name "$1-*.started" | wc -l)" -ge "$2" ]
}
tricklers=4
for ((t = 1; t <= tricklers; t++)); do
  trickle "proxy-$t" "$proxy_port" &
  pids+=($!)
done
wait_for "$tricklers tricklers connected to nginx" 10 all_started proxy "$tricklers" || fail "tricklers did not connect"
slow=0
for ((n = 1; n <= 5; n++)); do
  if ! out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 2 --cacert "$dir/cert.pem" \
               "https://127.0.0.1:$proxy_port/healthz" 2>&1) || [ "${out%% *}" != 200 ]; then
    slow=$((slow + 1))
    echo "healthz #$n while tricklers hold their handshakes: $out"
  else
    echo "healthz #$n: HTTP ${out%% *} in ${out#* }s"
  fi
done
[ "$slow" = 0 ] && ok "5 of 5 https healthz through nginx answered within 2 s beside $tricklers tricklers" ||
  fail "$slow of 5 https healthz through nginx did not answer within 2 s"
all_closed() { [ "$(find "$dir/markers" -name 'proxy-*.closed' | wc -l)" -ge "$tricklers" ]; }
# client_header_timeout 5s drops them; a write notices the second time after the close.
wait_for "nginx to drop the tricklers" 25 all_closed && ok "nginx dropped the tricklers" ||
  fail "nginx kept trickling handshakes open: $(find "$dir/markers" -name 'proxy-*.closed' | wc -l) of $tricklers closed"

# Control: the same trickle against sluice's own TLS, on loopback, does hold a new client up.
tls_port=$(free_port $((proxy_port + 1)))
pipeline "$dir/tls.yaml" "127.0.0.1:$tls_port" "tls_cert: \"$dir/cert.pem\"" "tls_key: \"$dir/key.pem\""
start_sluice tls "$dir/tls.yaml"
wait_for "sluice TLS on 127.0.0.1:$tls_port" 60 curl -fsS -o /dev/null --cacert "$dir/cert.pem" \
  "https://127.0.0.1:$tls_port/healthz" || fail "sluice with TLS on 127.0.0.1 did not start: $(tail -5 "$dir/tls.log")"
trickle control-1 "$tls_port" &
pids+=($!)
wait_for "a trickler connected to sluice's TLS" 10 all_started control 1
if curl -sS -o /dev/null --max-time 2 --cacert "$dir/cert.pem" "https://127.0.0.1:$tls_port/healthz" 2>/dev/null; then
  fail "control: sluice's own TLS answered beside a trickler; the trickle no longer shows the stall (update README, TLS)"
else
  ok "control: sluice's own TLS is held up by one trickler, as README \"TLS\" says"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s); logs in $dir"
  exit 1
fi
echo "all TLS proxy checks passed"
