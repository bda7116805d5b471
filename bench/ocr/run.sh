#!/usr/bin/env bash
# OCR example benchmark: the same rendered image read by examples/ocr's client (a) in process with ONNX Runtime,
# one session of each model using every core, one read at a time, (b) in process with single-threaded sessions
# and as many reads at once as cores, and (c) through OpenEAS: a fresh server on 127.0.0.1 with
# examples/ocr/det.json and rec.json deployed (default plan), reads from as many clients at once as cores × 2.
# Prints images/s of each and the ratio of (c) to the better of (a) and (b). Usage:
#   bench/ocr/run.sh [reads]        (default 60 reads per row, after one uncounted read)
# Everything it starts is stopped when it ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
reads="${1:-60}"
cores="$(nproc)"

eval "$(examples/ocr/fetch-models.sh)"
export OCR_DET_MODEL OCR_REC_MODEL OCR_KEYS
dotnet build examples/ocr/client -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
client="examples/ocr/client/bin/Release/net10.0/eas-ocr"
./eas --help >/dev/null   # builds the CLI into .build/eas

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The sample the README uses: "OpenEAS 2026" and a Chinese line, rendered as in the tests.
image="$root/examples/ocr/sample.png"

row() {
  local label="$1"; shift
  local line
  line="$("$client" "$image" --repeat "$reads" "$@" 2>&1 >/dev/null | grep ' images/s')"
  printf '%-58s %s\n' "$label" "$line" >&2
  echo "$line" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/'
}

a="$(row "(a) in process, 1 session x $cores threads, 1 at once" --threads 0 --concurrency 1)"
b="$(row "(b) in process, 1 thread per session, $cores at once" --threads 1 --concurrency "$cores")"

port=$((20000 + RANDOM % 20000))
export EAS_ADMIN_TOKEN="bench-ocr-$RANDOM$RANDOM"
./eas server --listen "127.0.0.1:$port" --data "$work/data" \
  --deploy examples/ocr/det.json --deploy examples/ocr/rec.json >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  if EAS_ENDPOINT="http://127.0.0.1:$port" ./eas desc ocr_rec --json 2>/dev/null | grep -q '"Status": *"Running"' \
     && EAS_ENDPOINT="http://127.0.0.1:$port" ./eas desc ocr_det --json 2>/dev/null | grep -q '"Status": *"Running"'; then
    break
  fi
  sleep 0.5
done
c="$(row "(c) OpenEAS gateway, 2 services, $((cores * 2)) at once" --endpoint "http://127.0.0.1:$port" --concurrency $((cores * 2)))"

best="$(echo "$a $b" | awk '{print ($1 > $2) ? $1 : $2}')"
echo "OpenEAS / best in process: $(echo "$c $best" | awk '{printf "%.2f", $1 / $2}')x ($c vs $best images/s, $cores cores, $reads reads per row)" >&2
