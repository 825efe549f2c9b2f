#!/usr/bin/env bash
# `npm run test:redis`: the engine on Redis Sentinel and Redis Cluster (jest.redis.config.js); not part of `npm test`.
# Starts its own redis-server and redis-sentinel processes on loopback ports (26000-31999), a Temporal dev server
# and a fresh Postgres database.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh postgres redis-sentinel temporal
bash scripts/ensure-temporal.sh >/dev/null
exec npx jest --config jest.redis.config.js --runInBand "$@"
