#!/usr/bin/env bash
# Queue benchmark: durable 1 KB puts into OpenEAS's embedded queue and its Redis Streams backend (wrk over HTTP), against
# redis-benchmark XADD on a redis-server with appendfsync always, interleaved in one run; then put → result latency.
# Installs redis-server, redis-tools and wrk with apt-get when missing (needs root),
# then runs the C# runner's `queue` scenario with the given options, e.g.
#   bench/queue/run.sh --write bench/RESULTS.md --note 'idle machine'
# Only apt's network and 127.0.0.1 are used; the runner starts redis-server on a free port with its own temp dir, and
# stops every process it started when it ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bench/need.sh bench/queue wrk:wrk redis-server:redis-server redis-benchmark:redis-tools

exec dotnet run --project bench/OpenEas.Bench -c Release -- queue "$@"
