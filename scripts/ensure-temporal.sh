#!/usr/bin/env bash
# Prints the path of a Temporal CLI to use. Uses `temporal` from PATH when present; otherwise builds the
# pinned version into .tools/bin with the Go toolchain (cached: a later run finds it and builds nothing).
set -euo pipefail
VERSION="v1.5.1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$root/.tools/bin/temporal"

if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "${TEMPORAL_CLI}" ]; then echo "$TEMPORAL_CLI"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$local_bin" ]; then echo "$local_bin"; exit 0; fi

gobin="$(command -v go || true)"
[ -z "$gobin" ] && [ -x /usr/local/go/bin/go ] && gobin=/usr/local/go/bin/go
if [ -z "$gobin" ]; then
  cat >&2 <<MSG
The Temporal CLI was not found and Go is not installed to build it. Any of these works:
  - install Go (https://go.dev/dl) and run this again: it builds temporal ${VERSION} into .tools/bin
  - install the Temporal CLI (brew install temporal, or https://docs.temporal.io/cli) so it is on PATH
  - set TEMPORAL_CLI=/path/to/temporal
MSG
  exit 1
fi

echo "Building the Temporal CLI ${VERSION} into .tools/bin (once; a few minutes)..." >&2
mkdir -p "$root/.tools/bin"
GOBIN="$root/.tools/bin" "$gobin" install "github.com/temporalio/cli/cmd/temporal@${VERSION}" >&2
"$local_bin" --version >&2
echo "$local_bin"
