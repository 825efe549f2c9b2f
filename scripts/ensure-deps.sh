#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lockfile (a fresh clone needs no extra step;
# a node_modules that is a link to another checkout's is left alone), then checks the prerequisites named as
# arguments, in this order, and stops at the first one missing, saying what is missing and how to install it:
#   postgres      PostgreSQL reachable at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   redis         Redis reachable at REDIS_URL (default redis://127.0.0.1:6379)
#   redis-server  the redis-server binary on PATH (fault tests start their own)
#   redis-sentinel  redis-sentinel and redis-cli on PATH (npm run test:redis starts Sentinel and Cluster topologies)
#   temporal      a Temporal CLI (TEMPORAL_CLI, PATH or .tools/bin), or Go to build one (scripts/ensure-temporal.sh)
#   chromium      chromium on PATH, or PORTAL_TEST_CHROMIUM (the portal's browser tests)
# `npm test` asks for all of them: bash scripts/ensure-deps.sh postgres redis redis-server temporal chromium
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ -L node_modules ]; then
    # npm ci empties node_modules first, through a link too: the checkout it links to would lose its packages.
    echo "node_modules links to $(readlink node_modules) and looks older than package-lock.json; not reinstalling" \
      "through the link (run npm ci where it points if the packages changed)." >&2
  else
    echo "Installing npm dependencies (npm ci)..." >&2
    npm ci --no-audit --no-fund >&2
  fi
fi

missing() {
  printf 'Missing prerequisite: %s\n' "$1" >&2
  shift
  printf '  %s\n' "$@" >&2
  exit 1
}

# Opens a TCP connection to host:port within 3 s (bash's /dev/tcp; no client tools needed).
reachable() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# host and port of a URL such as postgres://user@host:5432/db or redis://:pw@[::1]:6379/0 (default port $2).
host_port() {
  node -e 'const u = new URL(process.argv[1]); console.log(`${u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1"} ${u.port || process.argv[2]}`)' "$1" "$2"
}

check_postgres() {
  local url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" host port
  read -r host port < <(host_port "$url" 5432)
  reachable "$host" "$port" || missing "PostgreSQL is not reachable at $host:$port (TEST_DATABASE_URL=$url)" \
    "install (Debian): apt-get install postgresql, then: pg_ctlcluster <version> main start" \
    "the tests connect as user postgres with trust auth on 127.0.0.1 (or set TEST_DATABASE_URL); other systems: https://www.postgresql.org/download/"
}

check_redis() {
  local url="${REDIS_URL:-redis://127.0.0.1:6379}" host port
  read -r host port < <(host_port "$url" 6379)
  reachable "$host" "$port" || missing "Redis is not reachable at $host:$port (REDIS_URL=$url)" \
    "install (Debian): apt-get install redis-server, then: redis-server --daemonize yes" \
    "other systems: https://redis.io/docs/latest/operate/oss_and_stack/install/"
}

check_redis_server() {
  command -v redis-server >/dev/null 2>&1 || missing "the redis-server binary is not on PATH (the fault tests start their own Redis)" \
    "install (Debian): apt-get install redis-server"
}

check_redis_sentinel() {
  check_redis_server
  command -v redis-sentinel >/dev/null 2>&1 || missing "the redis-sentinel binary is not on PATH (npm run test:redis starts Sentinels)" \
    "install (Debian): apt-get install redis-sentinel"
  command -v redis-cli >/dev/null 2>&1 || missing "redis-cli is not on PATH (npm run test:redis creates a Redis Cluster with it)" \
    "install (Debian): apt-get install redis-tools (a dependency of redis-server)"
}

check_temporal() {
  if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then return; fi
  if command -v temporal >/dev/null 2>&1 || [ -x "$root/.tools/bin/temporal" ]; then return; fi
  if command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ]; then return; fi
  missing "neither a Temporal CLI nor Go (to build one into .tools/bin) was found" \
    "install Go from https://go.dev/dl (then scripts/ensure-temporal.sh builds the pinned Temporal CLI once)" \
    "or install the Temporal CLI (https://docs.temporal.io/cli) on PATH, or set TEMPORAL_CLI=/path/to/temporal"
}

check_chromium() {
  if [ -n "${PORTAL_TEST_CHROMIUM:-}" ]; then
    [ -x "$PORTAL_TEST_CHROMIUM" ] || missing "PORTAL_TEST_CHROMIUM=$PORTAL_TEST_CHROMIUM is not an executable" \
      "point it at a chromium binary, or unset it and install (Debian): apt-get install chromium"
    return
  fi
  command -v chromium >/dev/null 2>&1 || missing "chromium is not on PATH (the portal's browser tests drive it)" \
    "install (Debian): apt-get install chromium" \
    "or set PORTAL_TEST_CHROMIUM=/path/to/chromium"
}

for need in "$@"; do
  case "$need" in
    postgres) check_postgres ;;
    redis) check_redis ;;
    redis-server) check_redis_server ;;
    redis-sentinel) check_redis_sentinel ;;
    temporal) check_temporal ;;
    chromium) check_chromium ;;
    *) echo "ensure-deps.sh: unknown prerequisite '$need'" >&2; exit 2 ;;
  esac
done
