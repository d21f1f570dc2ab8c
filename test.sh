#!/usr/bin/env bash
# Runs every test project against real servers: installs (when missing) and starts PostgreSQL, Redis,
# s3rver and Chromium on 127.0.0.1 (eng/test-servers.sh), builds with warnings as errors, runs each
# test project, and ends with one line "N passed, N failed" (totals over all projects).
set -euo pipefail
cd "$(dirname "$0")"
repo="$(pwd)"
results="$repo/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"

# shellcheck source=eng/test-servers.sh
source eng/test-servers.sh
trap rs_servers_stop EXIT
rs_servers_start

dotnet build RealtimeSync.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

projects=(tests/Shared.Tests tests/Hub.Tests tests/Admin.Components.Tests tests/Admin.Tests tests/Client.Tests)
passed=0; failed=0; broken=()
for project in "${projects[@]}"; do
  name="$(basename "$project")"
  echo "== $name" >&2
  set +e
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" \
    -- RunConfiguration.TestSessionTimeout=1800000
  code=$?
  set -e
  trx="$results/$name.trx"
  if [ ! -f "$trx" ]; then
    echo "!! $name produced no results (exit $code)" >&2
    broken+=("$name"); failed=$((failed + 1)); continue
  fi
  counters="$(grep -o '<Counters [^>]*>' "$trx")"
  p="$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")"
  f="$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")"
  t="$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")"
  # Tests that neither passed nor failed (not run, aborted, timed out) count as failed: nothing may hide.
  other=$(( t - p - f ))
  passed=$((passed + p)); failed=$((failed + f + other))
  echo "== $name: $p passed, $((f + other)) failed (exit $code)" >&2
  if [ "$code" -ne 0 ] && [ $((f + other)) -eq 0 ]; then broken+=("$name"); failed=$((failed + 1)); fi
done

rs_servers_stop; trap - EXIT
# The failed tests, named again at the very end with the start of their message: a CI log is often read by its tail.
node eng/failed-tests.mjs "$results"/*.trx >&2 || true
if [ ${#broken[@]} -gt 0 ]; then echo "!! did not finish cleanly: ${broken[*]}" >&2; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
