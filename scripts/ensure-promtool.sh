#!/usr/bin/env bash
# Puts Prometheus' promtool at .tools/promtool for the metrics e2e test, without installing
# the whole prometheus package (and its 35 dependencies): download the .deb and unpack it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/promtool ] || command -v promtool >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "promtool is missing and apt-get is unavailable: install Prometheus' promtool and put it on PATH" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download prometheus >/dev/null; }; } )
dpkg -x "$work"/prometheus_*.deb "$work/x"
mkdir -p .tools
cp "$work/x/usr/bin/promtool" .tools/promtool
echo "promtool installed at .tools/promtool"
