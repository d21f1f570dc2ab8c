#!/usr/bin/env bash
# Memory per idle hub connection (bench/README.md): starts the released Hub alone (embedded mode), opens N
# subscribed @microsoft/signalr WebSocket connections from a Node process, and reports the growth of the
# Hub's RSS and of its live managed heap (by layer and by type, read with ClrMD) per connection.
#     bench/run-connection-memory.sh [N=2000] [json|messagepack] [Key=Value host settings...]
# About 1 minute. Needs Node and tests/node's packages (npm ci there); no other server.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
count="${1:-2000}"; shift || true
protocol=json
case "${1:-}" in json|messagepack) protocol="$1"; shift ;; esac
ulimit -n 65536 2>/dev/null || true

dotnet build src/Hub -c Release -warnaserror -nologo -clp:ErrorsOnly
dotnet build bench/ConnectionMemory -c Release -warnaserror -nologo -clp:ErrorsOnly
[ -d tests/node/node_modules/@microsoft/signalr ] || (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)

work="$(mktemp -d /tmp/rs-connmem.XXXXXX)"
hub_dir="$repo/src/Hub/bin/Release/net10.0"
tool="dotnet $repo/bench/ConnectionMemory/bin/Release/net10.0/RealtimeSync.ConnectionMemory.dll"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export Storage__DataPath="$work/data" Urls="http://127.0.0.1:$port" Serilog__MinimumLevel=Warning Demo__Enabled=false \
  Auth__Jwt__SigningKey="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" Admin__InitialPassword=bench-password-0123 \
  ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
  Realtime__Limits__MaxConnectionsPerToken=100000   # every held connection shares the one token (default cap 20)
for setting in "$@"; do export "${setting%%=*}"="${setting#*=}"; done

(cd "$hub_dir" && exec dotnet RealtimeSync.Hub.dll >"$work/hub.log" 2>&1) &
hub=$!
holder=""
cleanup() { [ -n "$holder" ] && kill "$holder" 2>/dev/null; kill "$hub" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/health/live" >/dev/null && break; sleep 0.5; done
token="$(cd "$hub_dir" && dotnet RealtimeSync.Hub.dll token --tenant demo --role editor --ttl 2h)"
# the Hub process itself: `dotnet` is the host of RealtimeSync.Hub.dll
hub_pid="$(pgrep -f -n "RealtimeSync.Hub.dll$" -P "$hub" || echo "$hub")"
hold() { node bench/ConnectionMemory/hold.mjs "http://127.0.0.1:$port/hubs/sync" "$token" "$1" demo/entities/team "$protocol"; }
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$hub_pid/status"; }

# Warm-up: the first connections JIT the connect and subscribe paths; that is not per-connection memory.
echo | hold 50 >/dev/null
sleep 2
$tool snapshot "$hub_pid" "$work/before.tsv"
rss_before="$(rss)"
mkfifo "$work/ctl"
hold "$count" <"$work/ctl" >"$work/hold.out" &
holder=$!
exec 3>"$work/ctl"
until grep -q connected "$work/hold.out" 2>/dev/null; do kill -0 "$holder" || { echo "subscriber process died" >&2; exit 1; }; sleep 0.5; done
sleep 3
$tool snapshot "$hub_pid" "$work/after.tsv"
rss_after="$(rss)"
echo "RSS growth per connection: $(( (rss_after - rss_before) / count )) bytes ($count connections, $protocol hub protocol)"
echo "Hub RSS: $(( rss_before / 1048576 )) MiB after warm-up, $(( rss_after / 1048576 )) MiB with $count connections"
$tool compare "$work/before.tsv" "$work/after.tsv" "$count"
echo >&3; exec 3>&-; wait "$holder"; holder=""
