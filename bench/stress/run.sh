#!/usr/bin/env bash
# Stress-generator benchmark: `eas bench` (OpenEAS's load generator) against wrk, both pinned to one core, through the
# same OpenEAS gateway to the same fast upstream service, interleaved in one run. Installs wrk with apt-get when
# missing (needs root), then runs the C# runner's `stress` scenario with the given options, e.g.
#   bench/stress/run.sh --write bench/RESULTS.md --note 'idle machine'
# Only apt's network and 127.0.0.1 are used; every process the runner starts is stopped when it ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bench/need.sh bench/stress wrk:wrk

exec dotnet run --project bench/OpenEas.Bench -c Release -- stress "$@"
