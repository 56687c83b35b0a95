#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the ledger's tests (CI and development).
#
#   eval "$(.ci/postgres.sh start DIR)"   # initdb + pg_ctl start in DIR, prints
#                                         # export DATABASE_URL=... and PG_CLUSTER_DIR=...
#   .ci/postgres.sh stop DIR              # stops it (the caller removes DIR)
#   .ci/postgres.sh pause DIR             # stops the server at once (a crash, as seen by clients)
#   .ci/postgres.sh resume DIR            # starts it again on the same port
#
# Installs the server from Debian's packages when no initdb is found. Runs the
# server as the `postgres` user (initdb refuses root), listening on 127.0.0.1
# only, on a free port; trust authentication (the cluster lives for one run).
set -euo pipefail

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    # runuser keeps the environment minimal; cd somewhere postgres can read.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts the server of DIR on PORT. Tests open many pools at once (two hosts x
# several tests in parallel), hence max_connections.
server() {
  local bin=$1 dir=$2 port=$3
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=off" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
}

cmd=${1:?usage: postgres.sh start|stop|pause|resume DIR}
dir=${2:?usage: postgres.sh start|stop|pause|resume DIR}

case "$cmd" in
  start)
    if ! bin=$(find_bin); then
      echo "postgres.sh: installing postgresql from Debian's packages" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
      bin=$(find_bin)
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    echo "$port" > "$dir/port"
    server "$bin" "$dir" "$port"
    echo "export PG_CLUSTER_DIR=$dir PG_BIN=$bin DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  pause)
    as_pg "$(find_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >&2
    ;;
  resume)
    server "$(find_bin)" "$dir" "$(cat "$dir/port")"
    ;;
  stop)
    bin=$(find_bin)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    fi
    ;;
  *)
    echo "usage: postgres.sh start|stop|pause|resume DIR" >&2; exit 2 ;;
esac
