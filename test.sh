#!/usr/bin/env bash
# Runs every test suite and ends with the line "N passed, N failed[, N skipped]"; exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
"$root/scripts/deps.sh" || exit 1

results="$root/.build/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "Building…"
if ! dotnet build OpenEas.slnx -c Debug --nologo -v q -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
for project in test/OpenEas.Tests test/OpenEas.FunctionalTests; do
  name="$(basename "$project")"
  echo "Running $name…"
  # A test that hangs is stopped after 5 minutes and named (the summary lists it), instead of the run waiting out its timeout.
  dotnet test "$project" --no-build --nologo -v q \
    --blame-hang-timeout 5m --blame-hang-dump-type none \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1800000 || status=1
done

python3 "$root/scripts/trx-summary.py" "$results"/*.trx || status=1
exit $status
