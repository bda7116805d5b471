#!/usr/bin/env bash
# Gateway benchmark: wrk against one upstream (a) directly, (b) through nginx, (c) through OpenEAS, and
# (d) through a bare YARP forwarder, interleaved in one run. Installs wrk and nginx with apt-get when missing
# (needs root), then runs the C# runner's `gateway` scenario with the given options, e.g.
#   bench/gateway/run.sh --write bench/RESULTS.md --note 'idle machine'
# Only apt's network and 127.0.0.1 are used; every process the runner starts is stopped when it ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench/gateway: ${missing[*]} missing; run as root (apt-get install -y ${missing[*]}) or install them first" >&2
    exit 1
  fi
  echo "bench/gateway: installing ${missing[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

exec dotnet run --project bench/OpenEas.Bench -c Release -- gateway "$@"
