#!/usr/bin/env bash
# Processor benchmark: 16 closed-loop clients; (a) the best in-process ONNX Runtime layout, (b) OpenEAS through the
# gateway with the default plan, (c) OpenEAS with batching "auto"; and (b)'s instance called at its own port and through
# nginx, to tell what the HTTP hops cost; on a generated MLP and on the PP-OCRv4 recognition model (fetched by
# examples/ocr/fetch-models.sh when present, or given with --rec-model). Installs nginx with apt-get when missing
# (needs root). E.g.
#   bench/processor/run.sh --write bench/RESULTS.md --note 'idle machine'
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bench/need.sh bench/processor nginx:nginx

exec dotnet run --project bench/OpenEas.Bench -c Release -- processor "$@"
