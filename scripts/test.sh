#!/usr/bin/env bash
# `npm test`: unit and integration tests against a real Temporal dev server, Postgres and Redis.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh
bash scripts/ensure-temporal.sh >/dev/null
exec npx jest --runInBand "$@"
