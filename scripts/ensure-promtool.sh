#!/usr/bin/env bash
# Prints the path of a promtool to use (checks and unit-tests the Prometheus rules in deploy/prometheus). Uses
# PROMTOOL when set, `promtool` from PATH when present; otherwise builds the pinned version into .tools/bin with the
# Go toolchain (cached: a later run finds it and builds nothing).
set -euo pipefail
VERSION="v0.316.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$root/.tools/bin/promtool"

if [ -n "${PROMTOOL:-}" ] && [ -x "${PROMTOOL}" ]; then echo "$PROMTOOL"; exit 0; fi
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
if [ -x "$local_bin" ]; then echo "$local_bin"; exit 0; fi

gobin="$(command -v go || true)"
[ -z "$gobin" ] && [ -x /usr/local/go/bin/go ] && gobin=/usr/local/go/bin/go
if [ -z "$gobin" ]; then
  cat >&2 <<MSG
promtool was not found and Go is not installed to build it. Any of these works:
  - install Go (https://go.dev/dl) and run this again: it builds promtool ${VERSION} into .tools/bin
  - install Prometheus' promtool so it is on PATH
  - set PROMTOOL=/path/to/promtool
MSG
  exit 1
fi

echo "Building promtool ${VERSION} into .tools/bin (once; a few minutes)..." >&2
mkdir -p "$root/.tools/bin"
GOBIN="$root/.tools/bin" "$gobin" install "github.com/prometheus/prometheus/cmd/promtool@${VERSION}" >&2
"$local_bin" --version >&2
echo "$local_bin"
