# Helpers for scripts that bring services up on this machine (demo, benchmarks): a private
# PostgreSQL cluster run as the postgres user, free ports, and waiting with progress.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# free_port START: the first TCP port from START up that nothing listens on.
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

# wait_for WHAT SECONDS CMD...: runs CMD every half second until it succeeds, printing a dot
# a second so nobody wonders whether it hangs.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local start=$SECONDS
  printf '    waiting for %s ' "$what"
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= seconds)); then
      echo " gave up after ${seconds}s"
      return 1
    fi
    printf '.'
    sleep 0.5
  done
  echo " ok ($((SECONDS - start))s)"
}

# as_postgres CMD...: PostgreSQL refuses to run as root.
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

# pg_temp_dir NAME: prints a new empty folder (mktemp -d, mode 700) owned by the postgres user,
# under $TMPDIR when postgres can reach it there, else under /tmp. A clone in /root or in a
# mktemp -d folder is out of the postgres user's reach, so a cluster cannot live inside it.
pg_temp_dir() {
  local name=$1 base dir
  for base in "${TMPDIR:-/tmp}" /tmp; do
    dir=$(mktemp -d "$base/$name.XXXXXX" 2>/dev/null) || continue
    if chown postgres:postgres "$dir" && as_postgres test -w "$dir"; then
      echo "$dir"
      return 0
    fi
    rm -rf "$dir"
  done
  echo "error: the postgres user can write no new folder under ${TMPDIR:-/tmp} nor /tmp" >&2
  return 1
}

# pg_start DIR PORT: initdb into DIR (owned by postgres) and start on 127.0.0.1:PORT, socket in DIR.
pg_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  if ! as_postgres test -w "$dir"; then
    echo "error: the postgres user cannot write $dir (a parent folder is not accessible to it)" >&2
    return 1
  fi
  # Only the postgres OS user as the postgres role (the socket, peer); over TCP a password
  # (SCRAM): other local users reach no database of the demo or the benchmarks.
  as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
    --no-sync >"$dir/initdb.log"
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
}

# pg_create_db DIR PORT DB USER PASSWORD
pg_create_db() {
  local dir=$1 port=$2 db=$3 user=$4 password=$5
  as_postgres psql -h "$dir" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
    -c "create role $user login password '$password'" -c "create database $db owner $user" >/dev/null
}

# pg_stop DIR: stops the cluster started by pg_start, if it runs.
pg_stop() {
  local dir=$1
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
