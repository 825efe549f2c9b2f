#!/usr/bin/env bash
# `npm test`: the unit, integration and browser Jest projects (jest.config.js); the last two against a real
# Temporal dev server, Postgres, Redis and chromium. One project: `npm test -- --selectProjects unit`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh postgres redis redis-server temporal chromium
bash scripts/ensure-temporal.sh >/dev/null
exec npx jest --runInBand "$@"
