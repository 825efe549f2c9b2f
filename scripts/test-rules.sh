#!/usr/bin/env bash
# `npm run test:rules`: promtool checks the Prometheus rules in deploy/prometheus (syntax, PromQL, templates) and runs
# their unit tests (deploy/prometheus/*.test.yml: input series, expected alerts at given times). promtool comes from
# scripts/ensure-promtool.sh (PATH, PROMTOOL, or built once into .tools/bin with Go).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/deploy/prometheus"
promtool="$(bash "$root/scripts/ensure-promtool.sh")"
rules=()
tests=()
for file in *.yml; do
  case "$file" in
    *.test.yml) tests+=("$file") ;;
    *) rules+=("$file") ;;
  esac
done
"$promtool" check rules "${rules[@]}"
"$promtool" test rules "${tests[@]}"
