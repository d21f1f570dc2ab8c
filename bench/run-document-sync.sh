#!/usr/bin/env bash
# documents/sync full-snapshot benchmark on PostgreSQL (100k documents, pages of 500, identity/br/gzip, 3 runs each);
# see bench/README.md. Extra arguments go to the benchmark, e.g. bench/run-document-sync.sh --documents 20000
# Takes about 2-3 minutes (build and seeding included). Results: Markdown on stdout, JSON in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Own run dir: starting servers wipes the run dir's previous servers, so never share the test suite's.
export RS_TEST_RUN_DIR="${RS_TEST_RUN_DIR:-/tmp/rs-bench-servers}"
# shellcheck source=../eng/test-servers.sh
source eng/test-servers.sh
trap rs_servers_stop EXIT
rs_servers_start

dotnet build bench/DocumentSync/DocumentSync.csproj -c Release -warnaserror -nologo -clp:ErrorsOnly
dotnet bench/DocumentSync/bin/Release/net10.0/RealtimeSync.DocumentSyncBench.dll "$@"
