#!/usr/bin/env bash
# Save pipeline latency: ONLYOFFICE callback received → `saved` pushed, p50/p99 for 100 KB and 5 MB against
# s3rver, with a bare S3 put of the same bytes in the same run (bench/README.md). Extra arguments go to the
# benchmark, e.g. bench/run-save-pipeline.sh --saves 50. Results: Markdown on stdout, JSON in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Own run dir: starting servers wipes the run dir's previous servers, so never share the test suite's.
export RS_TEST_RUN_DIR="${RS_TEST_RUN_DIR:-/tmp/rs-bench-servers}"
# shellcheck source=../eng/test-servers.sh
source eng/test-servers.sh
trap rs_servers_stop EXIT
rs_servers_start

dotnet build bench/SavePipeline/SavePipeline.csproj -c Release -warnaserror -nologo -clp:ErrorsOnly
dotnet bench/SavePipeline/bin/Release/net10.0/RealtimeSync.SavePipelineBench.dll "$@"
