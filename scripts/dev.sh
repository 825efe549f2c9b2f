#!/usr/bin/env bash
# `npm run dev`: the whole engine locally: Temporal dev server with its Web UI, migrations, API, listener, worker.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh
bash scripts/ensure-temporal.sh >/dev/null
exec node -r ts-node/register/transpile-only tools/dev/run-dev.ts "$@"
