#!/usr/bin/env bash
# Builds, once, the Temporal server, its SQL tool and the Web UI server into .tools/bin (pinned versions, one binary
# per version: a later run finds them and builds nothing), then prints their three paths, one a line. Needs Go;
# the Go module proxy serves the sources. The first build takes a few minutes.
set -euo pipefail
SERVER_VERSION="v1.29.7"
# ui-server v2.56+ declare a newer Go than many toolchains have; v2.55.0 is the newest that builds with Go 1.26.8.
UI_VERSION="v2.55.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
server="$bin/temporal-server-$SERVER_VERSION"
sql_tool="$bin/temporal-sql-tool-$SERVER_VERSION"
ui="$bin/temporal-ui-server-$UI_VERSION"

gobin="$(command -v go || true)"
[ -z "$gobin" ] && [ -x /usr/local/go/bin/go ] && gobin=/usr/local/go/bin/go

build() { # target module/package@version
  local target="$1" package="$2"
  [ -x "$target" ] && return 0
  if [ -z "$gobin" ]; then
    echo "Go is needed once to build $(basename "$target") (https://go.dev/dl); then run this again." >&2
    exit 1
  fi
  echo "Building $package into .tools/bin (once; a few minutes)..." >&2
  local tmp
  tmp="$(mktemp -d)"
  local started=$SECONDS
  # disable_grpc_modules: the server's build tag that leaves out grpc's optional xDS modules (as its own builds do).
  GOBIN="$tmp" "$gobin" install -tags disable_grpc_modules "$package" >&2
  mkdir -p "$bin"
  mv "$tmp"/* "$target"
  rmdir "$tmp"
  echo "Built $(basename "$target") in $((SECONDS - started)) s" >&2
}

build "$server" "go.temporal.io/server/cmd/server@$SERVER_VERSION"
build "$sql_tool" "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION"
build "$ui" "github.com/temporalio/ui-server/v2/cmd/server@$UI_VERSION"
printf '%s\n%s\n%s\n' "$server" "$sql_tool" "$ui"
