#!/usr/bin/env bash
# Fan-out benchmark (bench/README.md): 2,000 WebSocket subscribers, one publisher, rates stepped up until
# p99 > 250 ms, for the product on two nodes over Redis, the product on one node without Redis (upper
# bound) and Socket.IO 4.8 with its Redis adapter. Extra arguments go to the benchmark, e.g.
#     bench/run-fan-out.sh --subscribers 1000 --seconds 3 --systems product,socketio
# Takes 5–10 minutes (build included). Traffic stays on 127.0.0.1. Results: Markdown on stdout, JSON in
# bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Own run dir: starting servers wipes the run dir's previous servers, so never share the test suite's (nor
# another worktree's run: RS_FANOUT_RUN_DIR picks a different one).
export RS_TEST_RUN_DIR="${RS_FANOUT_RUN_DIR:-/tmp/rs-fanout}"
# 2,000 sockets in the subscriber process and up to 2,000 in a server: more than the usual 1,024 descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 8192 ] || { echo "open-file limit $(ulimit -n) is too low for the benchmark" >&2; exit 1; }

pid_file="$(mktemp /tmp/rs-fanout-pids.XXXXXX)"
stop_all() {
  # The benchmark stops what it started; this catches what is left when it dies. By pid, and only our own.
  local pid
  while read -r pid; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
    case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in
      *RealtimeSync*|*bench/socketio/server.js*) kill "$pid" 2>/dev/null || true ;;
    esac
  done <"$pid_file"
  rm -f "$pid_file"
  rs_servers_stop
}

# shellcheck source=../eng/test-servers.sh
source eng/test-servers.sh
trap stop_all EXIT
rs_servers_start

dotnet build bench/FanOut/FanOut.csproj -c Release -warnaserror -nologo -clp:ErrorsOnly
(cd bench/socketio && npm ci --no-audit --no-fund --loglevel=error)

timeout --signal=INT --kill-after=30 900 \
  dotnet bench/FanOut/bin/Release/net10.0/RealtimeSync.FanOut.dll \
    --redis "$RS_TEST_REDIS" --redis-pid "$(cat "$RS_TEST_RUN_DIR/redis/redis.pid")" --pid-file "$pid_file" "$@"
