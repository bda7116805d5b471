#!/usr/bin/env bash
# Queue benchmark: durable 1 KB puts into OpenEAS's embedded queue and its Redis Streams backend (wrk over HTTP), against
# redis-benchmark XADD on a redis-server with appendfsync always, interleaved in one run; then put → result latency.
# Installs what is missing with apt-get (redis-server and redis-tools through scripts/deps.sh, wrk here; needs root),
# then runs the C# runner's `queue` scenario with the given options, e.g.
#   bench/queue/run.sh --write bench/RESULTS.md --note 'idle machine'
# Only apt's network and 127.0.0.1 are used; the runner starts redis-server on a free port with its own temp dir, and
# stops every process it started when it ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
scripts/deps.sh

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench/queue: wrk missing; run as root (apt-get install -y wrk) or install it first" >&2
    exit 1
  fi
  echo "bench/queue: installing wrk with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

exec dotnet run --project bench/OpenEas.Bench -c Release -- queue "$@"
