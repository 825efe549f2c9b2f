#!/usr/bin/env bash
# Prints the path of a promtool to use (checks and unit-tests the Prometheus rules in deploy/prometheus): PROMTOOL,
# `promtool` from PATH, or the pinned version built once into .tools/bin with the Go toolchain (scripts/go-tool.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh"
ensure_go_tool promtool PROMTOOL github.com/prometheus/prometheus/cmd/promtool v0.316.0 "promtool" \
  "install Prometheus' promtool so it is on PATH"
