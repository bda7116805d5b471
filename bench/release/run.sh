#!/usr/bin/env bash
# Traffic mirroring benchmark: p50/p99 of main calls with mirroring off and with every call copied to a slow mirror,
# interleaved in one run, e.g.
#   bench/release/run.sh --write bench/RESULTS.md
# Only 127.0.0.1 is used; the server and every instance it starts are stopped when the runner ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
exec dotnet run --project bench/OpenEas.Bench -c Release -- release "$@"
