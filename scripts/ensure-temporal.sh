#!/usr/bin/env bash
# Prints the path of a Temporal CLI to use: TEMPORAL_CLI, `temporal` from PATH, or the pinned version built once
# into .tools/bin with the Go toolchain (scripts/go-tool.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh"
ensure_go_tool temporal TEMPORAL_CLI github.com/temporalio/cli/cmd/temporal v1.5.1 "The Temporal CLI" \
  "install the Temporal CLI (brew install temporal, or https://docs.temporal.io/cli) so it is on PATH"
