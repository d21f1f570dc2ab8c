#!/usr/bin/env bash
# Try RealtimeSync on two nodes behind nginx, on this machine, in one command:
#
#     deploy/nginx/run-two-nodes.sh          # Ctrl-C stops everything
#
# It builds the host (Release), starts throw-away PostgreSQL, Redis and s3rver with eng/test-servers.sh
# (run dir /tmp/rs-nginx, never the test suite's default one; it installs missing Debian packages
# when run as root), starts two host processes (node-a, node-b) sharing that PostgreSQL database,
# Redis, S3 bucket and JWT signing key, puts nginx (deploy/nginx/realtime-sync.conf) in front of them,
# waits until everything is ready and prints the URLs. Everything listens on 127.0.0.1 only.
#
# Optional environment:
#     RS_NGINX_PORT        nginx port (default: a free one)
#     RS_NODE_A_PORT / RS_NODE_B_PORT   node ports (default: free ones)
#     RS_NGINX_RUN_DIR     state dir (default /tmp/rs-nginx); wiped at start
#     ADMIN_PASSWORD       backoffice password of `admin` (default: generated and printed)
#     RS_NO_BUILD=1        skip the build (use the existing src/Hub/bin/Release/net10.0 output)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
run="${RS_NGINX_RUN_DIR:-/tmp/rs-nginx}"
case "$run" in
  /tmp/rs-test-servers | /tmp/rs-test-servers/) echo "refusing to use the test suite's run dir $run" >&2; exit 2 ;;
esac
export RS_TEST_RUN_DIR="$run"

log() { echo "[two-nodes] $*" >&2; }
die() { echo "[two-nodes] ERROR: $*" >&2; exit 1; }

nginx_bin="${RS_TEST_NGINX:-/usr/sbin/nginx}"
if [ ! -x "$nginx_bin" ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing nginx (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends nginx >&2 \
      || { DEBIAN_FRONTEND=noninteractive apt-get -q -y update >&2 && DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends nginx >&2; } \
      || die "apt-get install nginx failed"
  fi
  [ -x "$nginx_bin" ] || die "$nginx_bin not found: apt-get install nginx (as root)"
fi
command -v dotnet >/dev/null || die "dotnet (SDK 10) not found"

dll="$repo/src/Hub/bin/Release/net10.0/RealtimeSync.Hub.dll"
if [ "${RS_NO_BUILD:-}" != 1 ]; then
  log "building src/Hub (Release)"
  dotnet build src/Hub -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || die "build failed"
fi
[ -f "$dll" ] || die "$dll not found (build first: dotnet build src/Hub -c Release)"

# shellcheck source=../../eng/test-servers.sh
source "$repo/eng/test-servers.sh"

pids=()
reported=()
stopped=0
cleanup() {
  [ "$stopped" = 1 ] && return
  stopped=1
  trap - EXIT INT TERM
  local pid i
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ "${#pids[@]}" -gt 0 ] && log "nodes and nginx stopped"
  rs_servers_stop
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting PostgreSQL, Redis and s3rver (run dir $run)"
rs_servers_start || die "eng/test-servers.sh could not start the servers"
mkdir -p "$run/nodes" "$run/nginx/logs" "$run/nginx/temp"
chmod 755 "$run" "$run/nginx" 2>/dev/null || true # nginx workers may run as another user when started as root
rm -rf "$run/nodes/"* "$run/nginx/logs/"*

# A database of its own on the throw-away cluster.
pg_port="$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$RS_TEST_POSTGRES")"
psql_bin="$(command -v psql || echo "$RS_PG_BIN/psql")"
"$psql_bin" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c 'CREATE DATABASE realtimesync' >/dev/null \
  || die "could not create the database realtimesync"

ports="$(_rs_free_ports 3)" || die "could not pick free ports"
{ read -r free_lb; read -r free_a; read -r free_b; } <<<"$ports"
lb_port="${RS_NGINX_PORT:-$free_lb}"
a_port="${RS_NODE_A_PORT:-$free_a}"
b_port="${RS_NODE_B_PORT:-$free_b}"

signing_key="$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
admin_password="${ADMIN_PASSWORD:-$(head -c 12 /dev/urandom | base64 | tr -d '/+=\n')}"

# Prints the HTTP status of GET 127.0.0.1:PORT/PATH (pure bash, no curl needed).
http_status() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n" "$2" "$1" >&3
    IFS=" " read -r _ code _ <&3 || exit 1
    echo "$code"' _ "$1" "$2" 2>/dev/null || true
}

# wait_ready NAME PORT PID LOG SECONDS: until /health/ready answers 200.
wait_ready() {
  local name="$1" port="$2" pid="$3" logfile="$4" deadline=$((SECONDS + $5))
  while [ "$(http_status "$port" /health/ready)" != 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during startup; last lines of $logfile:"; tail -n 40 "$logfile" >&2 || true; exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$name not ready on port $port after $5 s; last lines of $logfile:"; tail -n 40 "$logfile" >&2 || true; exit 1
    fi
    sleep 0.2
  done
}

start_node() { # id port
  local id="$1" port="$2"
  mkdir -p "$run/nodes/$id-data"
  env \
    ASPNETCORE_ENVIRONMENT=Production \
    Http__ForwardedHeaders__KnownProxies=127.0.0.1 \
    Node__Id="$id" \
    Urls="http://127.0.0.1:$port" \
    ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=realtimesync" \
    Redis__Configuration="$RS_TEST_REDIS" \
    Storage__S3__ServiceUrl="$RS_TEST_S3_URL" \
    Storage__S3__Bucket="$RS_TEST_S3_BUCKET" \
    Storage__S3__AccessKey="$RS_TEST_S3_ACCESS_KEY" \
    Storage__S3__SecretKey="$RS_TEST_S3_SECRET_KEY" \
    Storage__S3__ForcePathStyle=true \
    Storage__DataPath="$run/nodes/$id-data" \
    Auth__Jwt__SigningKey="$signing_key" \
    Admin__InitialPassword="$admin_password" \
    Demo__Enabled=true \
    dotnet "$dll" </dev/null >"$run/nodes/$id.log" 2>&1 &
  pids+=($!)
  started_pid=$!
}

# One after the other: the first start migrates and seeds the shared database.
log "starting node-a on 127.0.0.1:$a_port"
start_node node-a "$a_port"
wait_ready node-a "$a_port" "$started_pid" "$run/nodes/node-a.log" 120
log "starting node-b on 127.0.0.1:$b_port"
start_node node-b "$b_port"
wait_ready node-b "$b_port" "$started_pid" "$run/nodes/node-b.log" 120

sed -e "s/@LISTEN@/127.0.0.1:$lb_port/" -e "s/@NODE_A@/127.0.0.1:$a_port/" -e "s/@NODE_B@/127.0.0.1:$b_port/" \
  "$repo/deploy/nginx/realtime-sync.conf" >"$run/nginx/realtime-sync.conf"
nginx_args=(-e "$run/nginx/logs/error.log" -c "$run/nginx/realtime-sync.conf" -p "$run/nginx/")
"$nginx_bin" -t -q "${nginx_args[@]}" || die "nginx rejected $run/nginx/realtime-sync.conf"
log "starting nginx on 127.0.0.1:$lb_port"
"$nginx_bin" "${nginx_args[@]}" </dev/null >"$run/nginx/logs/stdout.log" 2>&1 &
pids+=($!)
wait_ready nginx "$lb_port" "$!" "$run/nginx/logs/error.log" 15

token="$(ASPNETCORE_ENVIRONMENT=Production Storage__DataPath="$run/nodes/node-a-data" Auth__Jwt__SigningKey="$signing_key" \
  dotnet "$dll" token --tenant demo --role editor --ttl 8h 2>/dev/null || true)"

cat <<EOF

RealtimeSync on two nodes behind nginx:

  through nginx     http://127.0.0.1:$lb_port/            backoffice: sign in as admin / $admin_password
                    http://127.0.0.1:$lb_port/demo/       public demo site (hub client)
                    http://127.0.0.1:$lb_port/health/ready   "node" says which node answered
  node-a directly   http://127.0.0.1:$a_port/health/ready
  node-b directly   http://127.0.0.1:$b_port/health/ready

  Editor token (8 h, tenant demo), for the API through nginx:
    curl -H "Authorization: Bearer $token" http://127.0.0.1:$lb_port/api/tenants/demo/entities/team

  Each browser sticks to one node (cookie rs_node); delete the cookie to be re-balanced.
  Stop one node (kill <pid>) to watch nginx fail over:  node-a pid ${pids[0]}, node-b pid ${pids[1]}
  Logs: $run/nodes/node-*.log, $run/nginx/logs/{access,error}.log

Ctrl-C stops nginx, both nodes, PostgreSQL, Redis and s3rver.
EOF

# Stay in the foreground until Ctrl-C, or until nginx exits.
while kill -0 "${pids[2]}" 2>/dev/null; do
  for i in 0 1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null && [ -z "${reported[$i]:-}" ]; then
      reported[i]=1
      log "node-$([ "$i" = 0 ] && echo a || echo b) exited (nginx keeps serving through the other one); see $run/nodes/"
    fi
  done
  sleep 1 &
  wait $! || true # `wait` (unlike a foreground sleep) lets the Ctrl-C trap run at once
done
[ "$stopped" = 1 ] || log "nginx exited; see $run/nginx/logs/error.log"
exit 1
