#!/usr/bin/env bash
# Gateway benchmark: wrk against one upstream (a) directly, (b) through nginx, (c) through OpenEAS, and
# (d) through a bare YARP forwarder, interleaved in one run. Installs wrk and nginx with apt-get when missing
# (needs root), then runs the C# runner's `gateway` scenario with the given options, e.g.
#   bench/gateway/run.sh --write bench/RESULTS.md --note 'idle machine'
# Only apt's network and 127.0.0.1 are used; every process the runner starts is stopped when it ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bench/need.sh bench/gateway wrk:wrk nginx:nginx

exec dotnet run --project bench/OpenEas.Bench -c Release -- gateway "$@"
