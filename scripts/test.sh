#!/usr/bin/env bash
# `npm test`: the unit, integration and browser Jest projects (jest.config.js); the last two against a real
# Temporal dev server, Postgres, Redis and chromium. One project: `npm test -- --selectProjects unit`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh postgres redis redis-server temporal chromium
bash scripts/ensure-temporal.sh >/dev/null
# One test file at a time, in one worker process that is replaced once its heap passes 1 GB: a single process
# holding every suite's leftovers grows past 2 GB, and its collector's pauses then starve the workers the
# integration tests run inside it.
exec npx jest --maxWorkers=1 --workerIdleMemoryLimit=1GB "$@"
