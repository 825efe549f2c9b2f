#!/usr/bin/env bash
# `npm run test:cluster`: the engine on a real Temporal cluster (jest.cluster.config.js); not part of `npm test`.
# Builds the Temporal server, SQL tool and UI once into .tools/bin (a few minutes the first time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh
exec npx jest --config jest.cluster.config.js --runInBand "$@"
