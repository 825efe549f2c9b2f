#!/usr/bin/env bash
# `npm run cluster`: a Temporal cluster on this machine (frontend, history, matching and worker processes on the
# configured Postgres, plus the Web UI on 8233); builds the server, its SQL tool and the UI once into .tools/bin.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh
mapfile -t binaries < <(bash scripts/ensure-temporal-cluster.sh)
exec node -r ts-node/register/transpile-only tools/cluster/run-cluster.ts "${binaries[@]}" "$@"
