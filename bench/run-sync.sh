#!/usr/bin/env bash
# Sync benchmark on PostgreSQL: sync/down page latency at 10k vs 1M changes, sync/up throughput (4 clients,
# batches of 100: batch path, one-by-one path, raw INSERT baseline), 16 API editors, and the client SDK's pull of 100k
# entities / push of 10k offline events beside bare sync/down / sync/up; see bench/README.md. Extra arguments go to the
# benchmark, e.g. --big 200000 --pages 100, or --only client.
# Takes about 2-3 minutes (build and seeding included). Results: Markdown on stdout, JSON in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

export RS_TEST_RUN_DIR="${RS_TEST_RUN_DIR:-/tmp/rs-bench-servers}"
# shellcheck source=../eng/test-servers.sh
source eng/test-servers.sh
trap rs_servers_stop EXIT
rs_servers_start

dotnet build bench/Sync/SyncBench.csproj -c Release -warnaserror -nologo -clp:ErrorsOnly
dotnet bench/Sync/bin/Release/net10.0/RealtimeSync.SyncBench.dll "$@"
