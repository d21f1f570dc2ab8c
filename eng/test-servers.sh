#!/usr/bin/env bash
# Throw-away servers for the test suite: PostgreSQL 15, Redis, s3rver (S3 emulator).
#
# Meant to be sourced by the test script:
#     source eng/test-servers.sh
#     trap rs_servers_stop EXIT
#     rs_servers_start || exit 1
#
# or run by hand:
#     bash eng/test-servers.sh start       # start; prints `export VAR=...` lines on stdout
#     bash eng/test-servers.sh print-env   # print the exports of the running servers
#     bash eng/test-servers.sh stop
#
# rs_servers_start installs what is missing (apt: postgresql, redis-server, chromium, nginx, prometheus;
# npm ci in tests/node), starts the three servers on 127.0.0.1 on free ports, waits
# until they answer, and exports:
#     RS_TEST_POSTGRES       Npgsql connection string to the `postgres` database (superuser postgres, trust auth)
#     RS_TEST_REDIS          127.0.0.1:PORT
#     RS_TEST_REDIS_SERVER   path of the redis-server binary
#     RS_TEST_S3_URL         http://127.0.0.1:PORT
#     RS_TEST_S3_BUCKET      rs-test (created at startup)
#     RS_TEST_S3_ACCESS_KEY  S3RVER
#     RS_TEST_S3_SECRET_KEY  S3RVER
#     RS_TEST_S3RVER_CMD     node command line of s3rver; append e.g. `-d DIR -p PORT -a 127.0.0.1 [-s]`
#     RS_TEST_CHROMIUM       /usr/bin/chromium
#     RS_TEST_NGINX          /usr/sbin/nginx (the test runs its own nginx processes; the Debian service is not used)
#     RS_TEST_PROMETHEUS     /usr/bin/prometheus (Debian; the tests run their own processes, the service is not used)
#     RS_TEST_PROMTOOL       /usr/bin/promtool
#
# Inputs (all optional): RS_TEST_RUN_DIR (state dir, default /tmp/rs-test-servers),
# RS_TEST_PG_PORT / RS_TEST_REDIS_PORT / RS_TEST_S3_PORT (fixed ports instead of free ones).
# Each start wipes the previous data in the run dir (and stops servers left over from it).
# All messages go to stderr. Safe under `set -euo pipefail` in the caller.

_rs_log() { echo "[servers] $*" >&2; }
_rs_err() { echo "[servers] ERROR: $*" >&2; }

_rs_repo() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" || return 1
  git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/.." && pwd)
}

_rs_vars() {
  RS_REPO="$(_rs_repo)"
  RS_RUN="${RS_TEST_RUN_DIR:-/tmp/rs-test-servers}"
  RS_PG_BIN="/usr/lib/postgresql/15/bin"
  RS_NODE_DIR="$RS_REPO/tests/node"
  RS_S3RVER_JS="$RS_NODE_DIR/node_modules/s3rver/bin/s3rver.js"
}

# Run a command as the postgres OS user (PostgreSQL refuses to run as root).
_rs_as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

_rs_tail() { # file: print the last lines of a log to stderr
  if [ -f "$1" ]; then
    echo "[servers] ---- last lines of $1 ----" >&2
    tail -n 30 "$1" >&2 || true
    echo "[servers] ----" >&2
  else
    echo "[servers] (no log file $1)" >&2
  fi
}

_rs_install() {
  local pkgs=()
  [ -x "$RS_PG_BIN/pg_ctl" ] && [ -x "$RS_PG_BIN/initdb" ] && [ -x "$RS_PG_BIN/pg_isready" ] || pkgs+=(postgresql)
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || pkgs+=(redis-server)
  [ -x /usr/bin/chromium ] || pkgs+=(chromium fonts-liberation)
  [ -x /usr/sbin/nginx ] || pkgs+=(nginx)
  [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || pkgs+=(prometheus)
  if [ "${#pkgs[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      _rs_err "missing packages (${pkgs[*]}) and not root: install them first"
      return 1
    fi
    _rs_log "installing ${pkgs[*]} (apt-get)"
    # Lock::Timeout: wait for a concurrent apt/dpkg instead of failing on the lock.
    local apt=(apt-get -q -y -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
    local i ok=0
    for i in 1 2 3; do
      if DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2; then ok=1; break; fi
      _rs_log "apt-get update failed (attempt $i), retrying"
      sleep 5
    done
    [ "$ok" = 1 ] || { _rs_err "apt-get update failed"; return 1; }
    # The tests run their own servers on 127.0.0.1; the packages' services (nginx on *:80, the default
    # PostgreSQL cluster, redis on 6379) must not be started by the install: policy-rc.d says no for its duration.
    local had_policy=0 installed=0
    if [ -e /usr/sbin/policy-rc.d ]; then
      had_policy=1
    else
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
    fi
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${pkgs[@]}" >&2; then
      installed=1
    fi
    if [ "$had_policy" = 0 ]; then rm -f /usr/sbin/policy-rc.d; fi
    [ "$installed" = 0 ] || { _rs_err "apt-get install ${pkgs[*]} failed"; return 1; }
  fi
  [ -x "$RS_PG_BIN/pg_ctl" ] || { _rs_err "$RS_PG_BIN/pg_ctl not found after install (PostgreSQL 15 expected)"; return 1; }
  command -v redis-server >/dev/null 2>&1 || { _rs_err "redis-server not found after install"; return 1; }
  [ -x /usr/bin/chromium ] || { _rs_err "/usr/bin/chromium not found after install"; return 1; }
  [ -x /usr/sbin/nginx ] || { _rs_err "/usr/sbin/nginx not found after install"; return 1; }
  [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || { _rs_err "prometheus/promtool not found after install"; return 1; }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    _rs_err "OS user 'postgres' does not exist (should come with the postgresql package)"
    return 1
  fi

  command -v node >/dev/null 2>&1 || { _rs_err "node not found"; return 1; }
  [ -f "$RS_NODE_DIR/package-lock.json" ] || { _rs_err "$RS_NODE_DIR/package-lock.json missing"; return 1; }
  local stamp="$RS_NODE_DIR/node_modules/.package-lock.json"
  if [ ! -f "$RS_S3RVER_JS" ] || [ ! -f "$stamp" ] || [ "$RS_NODE_DIR/package-lock.json" -nt "$stamp" ]; then
    _rs_log "npm ci in tests/node"
    (cd "$RS_NODE_DIR" && npm ci --no-audit --no-fund >&2) || { _rs_err "npm ci failed in $RS_NODE_DIR"; return 1; }
    touch "$stamp" 2>/dev/null || true
  fi
}

# Prints N distinct free TCP ports on 127.0.0.1, one a line (asks the kernel).
_rs_free_ports() {
  node -e '
    const net = require("net"); const n = +process.argv[1]; const ports = []; const servers = [];
    const next = () => {
      if (ports.length === n) { servers.forEach(s => s.close()); console.log(ports.join("\n")); return; }
      const s = net.createServer(); servers.push(s);
      s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); next(); });
    };
    next();' "$1"
}

# True when an HTTP server answers on 127.0.0.1:$1 (pure bash, no curl needed).
_rs_http_ok() {
  timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    IFS= read -r line <&3 || exit 1
    case "$line" in HTTP/*) exit 0 ;; *) exit 1 ;; esac' _ "$1" 2>/dev/null
}

# _rs_wait NAME SECONDS LOG PIDFILE-or-empty CHECK-COMMAND...
_rs_wait() {
  local name="$1" secs="$2" log="$3" pidfile="$4"; shift 4
  local deadline=$((SECONDS + secs)) pid
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "$pidfile" ] && [ -f "$pidfile" ]; then
      pid="$(cat "$pidfile" 2>/dev/null || true)"
      if [ -n "$pid" ] && ! _rs_alive "$pid"; then
        _rs_err "$name exited during startup"
        _rs_tail "$log"
        return 1
      fi
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      _rs_err "$name did not answer within ${secs}s"
      _rs_tail "$log"
      return 1
    fi
    sleep 0.1
  done
}

# True while pid runs. A zombie counts as gone: some container inits reap orphans
# only every ~2 s, and kill -0 succeeds on a zombie.
_rs_alive() {
  local st
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  st="${st##*) }"
  [ "${st%% *}" != Z ]
}

_rs_pid_alive_cmd() { # pid pattern: pid alive and its command line contains pattern
  local c
  _rs_alive "$1" || return 1
  c="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  [[ "$c" == *"$2"* ]]
}

rs_servers_stop() {
  _rs_vars
  local run="$RS_RUN" pid i port
  [ -d "$run" ] || return 0
  # s3rver
  if [ -f "$run/s3rver.pid" ]; then
    pid="$(cat "$run/s3rver.pid" 2>/dev/null || true)"
    if _rs_pid_alive_cmd "$pid" s3rver; then
      _rs_log "stopping s3rver (pid $pid)"
      kill "$pid" 2>/dev/null || true
      for i in $(seq 50); do _rs_alive "$pid" || break; sleep 0.1; done
      if _rs_alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$run/s3rver.pid"
  fi
  # redis
  if [ -f "$run/redis/redis.pid" ]; then
    pid="$(cat "$run/redis/redis.pid" 2>/dev/null || true)"
    port="$(cat "$run/redis/port" 2>/dev/null || true)"
    if _rs_pid_alive_cmd "$pid" redis-server; then
      _rs_log "stopping redis (pid $pid)"
      [ -n "$port" ] && redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
      for i in $(seq 50); do _rs_alive "$pid" || break; sleep 0.1; done
      if _rs_alive "$pid"; then kill "$pid" 2>/dev/null || true; sleep 0.5; kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$run/redis/redis.pid"
  fi
  # postgres
  if [ -f "$run/pg/data/postmaster.pid" ]; then
    pid="$(head -n 1 "$run/pg/data/postmaster.pid" 2>/dev/null || true)"
    if _rs_pid_alive_cmd "$pid" postgres; then
      _rs_log "stopping postgres (pid $pid)"
      _rs_as_pg "$RS_PG_BIN/pg_ctl" -D "$run/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
      if _rs_alive "$pid"; then kill -QUIT "$pid" 2>/dev/null || true; sleep 0.5; kill -9 "$pid" 2>/dev/null || true; fi
    fi
  fi
  if [ -f "$run/pg/sockdir" ]; then
    local sock; sock="$(cat "$run/pg/sockdir" 2>/dev/null || true)"
    case "$sock" in /tmp/rs-pgsock.*) rm -rf "$sock" ;; esac
  fi
  rm -f "$run/env.sh"
  return 0
}

rs_servers_start() {
  if ! _rs_start; then
    rs_servers_stop # do not leave half a set running
    return 1
  fi
}

_rs_start() {
  local t0; t0="$(date +%s%N)"
  _rs_vars
  _rs_install || return 1

  local run="$RS_RUN"
  rs_servers_stop # leftovers of an earlier run in the same run dir
  mkdir -p "$run" || { _rs_err "cannot create $run"; return 1; }
  chmod 755 "$run" 2>/dev/null || true
  run="$(cd "$run" && pwd -P)"
  rm -rf "$run/pg" "$run/redis" "$run/s3" "$run/s3rver.log"
  mkdir -p "$run/pg" "$run/redis" "$run/s3/data"

  local ports pg_port redis_port s3_port
  ports="$(_rs_free_ports 3)" || { _rs_err "could not pick free ports (node)"; return 1; }
  { read -r pg_port; read -r redis_port; read -r s3_port; } <<<"$ports"
  pg_port="${RS_TEST_PG_PORT:-$pg_port}"
  redis_port="${RS_TEST_REDIS_PORT:-$redis_port}"
  s3_port="${RS_TEST_S3_PORT:-$s3_port}"

  # s3rver first: node startup overlaps with initdb.
  local node; node="$(command -v node)"
  _rs_log "starting s3rver on 127.0.0.1:$s3_port"
  # s3rver 3.7.1 makes list continuation tokens with a cipher OpenSSL 3 (Node >= 17) only has in its legacy provider.
  nohup "$node" --openssl-legacy-provider "$RS_S3RVER_JS" -d "$run/s3/data" -p "$s3_port" -a 127.0.0.1 \
    --configure-bucket rs-test </dev/null >"$run/s3rver.log" 2>&1 &
  echo $! >"$run/s3rver.pid"

  local redis_bin; redis_bin="$(command -v redis-server)"
  _rs_log "starting redis on 127.0.0.1:$redis_port"
  echo "$redis_port" >"$run/redis/port"
  if ! "$redis_bin" --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
      --daemonize yes --dir "$run/redis" --pidfile "$run/redis/redis.pid" \
      --logfile "$run/redis/redis.log" </dev/null >/dev/null 2>&1; then
    _rs_err "redis-server failed to start"; _rs_tail "$run/redis/redis.log"; return 1
  fi

  # PostgreSQL: private cluster owned by the postgres OS user.
  _rs_log "starting postgres on 127.0.0.1:$pg_port"
  local sock="$run/pg/sock"
  if [ $(( ${#sock} + 20 )) -gt 100 ]; then # unix socket paths are limited to ~107 bytes
    sock="$(mktemp -d /tmp/rs-pgsock.XXXXXX)"
  fi
  mkdir -p "$sock"
  echo "$sock" >"$run/pg/sockdir"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$run/pg" "$sock"
    if ! _rs_as_pg test -w "$run/pg"; then
      _rs_err "user postgres cannot write $run/pg (is a parent of RS_TEST_RUN_DIR closed to other users?)"
      return 1
    fi
  fi
  if ! _rs_as_pg "$RS_PG_BIN/initdb" -D "$run/pg/data" -U postgres --auth=trust --no-sync \
      -E UTF8 --locale=C.UTF-8 >"$run/pg/initdb.log" 2>&1; then
    _rs_err "initdb failed"; _rs_tail "$run/pg/initdb.log"; return 1
  fi
  cat >"$run/pg/data/pg_hba.conf" <<EOF
local all         all                trust
host  all         all  127.0.0.1/32  trust
local replication all                trust
host  replication all  127.0.0.1/32  trust
EOF
  cat >>"$run/pg/data/postgresql.conf" <<EOF

# --- eng/test-servers.sh ---
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$sock'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  [ "$(id -u)" = 0 ] && chown postgres: "$run/pg/data/pg_hba.conf" "$run/pg/data/postgresql.conf"
  if ! _rs_as_pg "$RS_PG_BIN/pg_ctl" -D "$run/pg/data" -l "$run/pg/postgres.log" -w -t 60 start >/dev/null 2>&1; then
    _rs_err "postgres failed to start"; _rs_tail "$run/pg/postgres.log"; return 1
  fi

  _rs_wait postgres 60 "$run/pg/postgres.log" "" \
    "$RS_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres || return 1
  _rs_wait redis 60 "$run/redis/redis.log" "$run/redis/redis.pid" \
    bash -c '[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]' _ "$redis_port" || return 1
  _rs_wait s3rver 60 "$run/s3rver.log" "$run/s3rver.pid" _rs_http_ok "$s3_port" || return 1

  export RS_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
  export RS_TEST_REDIS="127.0.0.1:$redis_port"
  export RS_TEST_REDIS_SERVER="$redis_bin"
  export RS_TEST_S3_URL="http://127.0.0.1:$s3_port"
  export RS_TEST_S3_BUCKET=rs-test
  export RS_TEST_S3_ACCESS_KEY=S3RVER
  export RS_TEST_S3_SECRET_KEY=S3RVER
  export RS_TEST_S3RVER_CMD="$node --openssl-legacy-provider $RS_S3RVER_JS"
  export RS_TEST_CHROMIUM=/usr/bin/chromium
  export RS_TEST_NGINX=/usr/sbin/nginx
  export RS_TEST_PROMETHEUS=/usr/bin/prometheus
  export RS_TEST_PROMTOOL=/usr/bin/promtool

  local v
  for v in RS_TEST_POSTGRES RS_TEST_REDIS RS_TEST_REDIS_SERVER RS_TEST_S3_URL RS_TEST_S3_BUCKET \
           RS_TEST_S3_ACCESS_KEY RS_TEST_S3_SECRET_KEY RS_TEST_S3RVER_CMD RS_TEST_CHROMIUM RS_TEST_NGINX \
           RS_TEST_PROMETHEUS RS_TEST_PROMTOOL; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done >"$run/env.sh"
  _rs_log "all up in $(( ($(date +%s%N) - t0) / 1000000 )) ms (run dir $run)"
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  case "${1:-}" in
    start) rs_servers_start && cat "$RS_RUN/env.sh" ;;
    stop) rs_servers_stop ;;
    print-env)
      _rs_vars
      if [ -f "$RS_RUN/env.sh" ]; then cat "$RS_RUN/env.sh"
      else _rs_err "no servers running for run dir $RS_RUN"; exit 1; fi ;;
    *) echo "usage: $0 start|stop|print-env   (or: source $0; rs_servers_start; ...; rs_servers_stop)" >&2; exit 2 ;;
  esac
fi
