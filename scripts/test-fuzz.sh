#!/usr/bin/env bash
# `npm run test:fuzz`: the property-based tests (test/**/*.property.test.ts, in whichever Jest project they are) with
# a large budget, read through test/helpers/fuzz.ts:
#   FUZZ_RUNS     runs per property (default 1000: one round is about 11 minutes on 2 cores)
#   FUZZ_SEED     unset: a random seed per round, printed before it starts; set: one round with that seed (to
#                 reproduce a failure)
#   FUZZ_MINUTES  rounds with fresh seeds follow one another until this many minutes have passed (default 10)
# Arguments: a path (a regex, as Jest takes it) narrows the files, e.g. `npm run test:fuzz -- test/unit/signer`;
# options go to Jest as they are (write them --name=value). The services are checked only when a file needs them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh

export FUZZ_RUNS="${FUZZ_RUNS:-1000}"
minutes="${FUZZ_MINUTES:-10}"
options=()
paths=()
for arg in "$@"; do
  case "$arg" in
    -*) options+=("$arg") ;;
    *) paths+=("$arg") ;;
  esac
done
# Jest ORs its path patterns: the property-test suffix and the given paths go into one pattern, ANDed.
pattern='\.property\.test\.ts$'
if [ "${#paths[@]}" -gt 0 ]; then
  pattern="^(?=.*(?:$(IFS='|'; echo "${paths[*]}"))).*$pattern"
fi
jest=(npx jest --runInBand --testPathPatterns "$pattern" --testTimeout "${FUZZ_TEST_TIMEOUT_MS:-3600000}" ${options[@]+"${options[@]}"})

mapfile -t files < <("${jest[@]}" --listTests 2>/dev/null | grep -v '^$' || true)
if [ "${#files[@]}" -eq 0 ]; then
  echo "test:fuzz: no *.property.test.ts file under test/ matches" >&2
  exit 1
fi
needs=()
for file in "${files[@]}"; do
  case "$file" in
    "$root/test/unit/"*) ;;
    "$root/test/browser/"*) needs+=(postgres redis redis-server temporal chromium) ;;
    *) needs+=(postgres redis redis-server temporal) ;;
  esac
done
if [ "${#needs[@]}" -gt 0 ]; then
  mapfile -t needs < <(printf '%s\n' "${needs[@]}" | awk '!seen[$0]++')
  bash scripts/ensure-deps.sh "${needs[@]}"
  bash scripts/ensure-temporal.sh >/dev/null
fi

round() {
  echo "test:fuzz: ${#files[@]} file(s), FUZZ_RUNS=$FUZZ_RUNS FUZZ_SEED=$FUZZ_SEED (reproduce: FUZZ_SEED=$FUZZ_SEED FUZZ_RUNS=$FUZZ_RUNS npm run test:fuzz)"
  if ! "${jest[@]}"; then
    echo "test:fuzz: failed with FUZZ_SEED=$FUZZ_SEED FUZZ_RUNS=$FUZZ_RUNS" >&2
    return 1
  fi
}

if [ -n "${FUZZ_SEED:-}" ]; then
  round
  exit
fi
until_s=$((SECONDS + $(awk -v m="$minutes" 'BEGIN { print int(m * 60) }')))
rounds=0
while :; do
  FUZZ_SEED=$(( $(od -An -N4 -tu4 /dev/urandom) % 2147483647 ))
  export FUZZ_SEED
  round
  rounds=$((rounds + 1))
  [ "$SECONDS" -lt "$until_s" ] || break
done
echo "test:fuzz: $rounds round(s) passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
