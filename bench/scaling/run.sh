#!/usr/bin/env bash
# Elastic scaling benchmark: an autoscaled fleet, then a fixed fleet sized for the peak load at the same per-instance target, under the same
# open-loop profile (idle → 10× step → idle) through the OpenEAS gateway, in one run. Reports time to react, time to
# recover p99, instance-seconds and failed calls, e.g.
#   bench/scaling/run.sh --write bench/RESULTS.md
# Only 127.0.0.1 is used; the server and every instance it starts are stopped when the runner ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
exec dotnet run --project bench/OpenEas.Bench -c Release -- scaling "$@"
