#!/usr/bin/env bash
# Installs with apt-get the packages whose command is missing (needs root), for the bench runners:
#   bench/need.sh <who> <command>:<package> ...      e.g. bench/need.sh bench/gateway wrk:wrk nginx:nginx
# Quiet when everything is present.
set -euo pipefail
who="$1"
shift
missing=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: ${missing[*]} missing; run as root (apt-get install -y ${missing[*]}) or install them first" >&2
  exit 1
fi
echo "$who: installing ${missing[*]} with apt-get" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
