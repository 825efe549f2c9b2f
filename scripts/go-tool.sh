#!/usr/bin/env bash
# Sourced by the ensure-*.sh scripts: `ensure_go_tool <name> <env var> <Go package> <version> <what> <other install>`
# prints the path of a tool to use: the one the env var names, the one on PATH, or the one built once into
# .tools/bin with the Go toolchain (cached: a later run finds it and builds nothing).
ensure_go_tool() {
  local name="$1" variable="$2" package="$3" version="$4" what="$5" other="$6"
  local root local_bin gobin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local_bin="$root/.tools/bin/$name"

  if [ -n "${!variable:-}" ] && [ -x "${!variable}" ]; then echo "${!variable}"; return 0; fi
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  if [ -x "$local_bin" ]; then echo "$local_bin"; return 0; fi

  gobin="$(command -v go || true)"
  [ -z "$gobin" ] && [ -x /usr/local/go/bin/go ] && gobin=/usr/local/go/bin/go
  if [ -z "$gobin" ]; then
    cat >&2 <<MSG
${what} was not found and Go is not installed to build it. Any of these works:
  - install Go (https://go.dev/dl) and run this again: it builds ${name} ${version} into .tools/bin
  - ${other}
  - set ${variable}=/path/to/${name}
MSG
    return 1
  fi

  echo "Building ${what} ${version} into .tools/bin (once; a few minutes)..." >&2
  mkdir -p "$root/.tools/bin"
  GOBIN="$root/.tools/bin" "$gobin" install "${package}@${version}" >&2
  "$local_bin" --version >&2
  echo "$local_bin"
}
