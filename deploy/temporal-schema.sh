#!/bin/sh
# Creates and migrates the Temporal cluster's two Postgres databases (persistence and visibility) with the server's
# SQL tool, whose schema files are embedded in it. Idempotent: an existing database is kept, `setup-schema -v 0.0`
# leaves a newer schema alone and `update-schema` applies only the versions not yet applied. Run by `npm run cluster`
# (with the tool it built) and by docker-compose.yml's temporal-schema service (admin-tools image).
#   SQL_TOOL (default temporal-sql-tool), TEMPORAL_CLUSTER_DB_HOST, _DB_PORT, _DB_USER, _DB_PASSWORD, _DB_NAME,
#   _VISIBILITY_DB_NAME: as in deploy/temporal-server/webhooks.yaml, with the same defaults.
set -eu
tool="${SQL_TOOL:-temporal-sql-tool}"
host="${TEMPORAL_CLUSTER_DB_HOST:-127.0.0.1}"
port="${TEMPORAL_CLUSTER_DB_PORT:-5432}"
user="${TEMPORAL_CLUSTER_DB_USER:-postgres}"
# The tool reads the password from SQL_PASSWORD (never on the command line).
export SQL_PASSWORD="${TEMPORAL_CLUSTER_DB_PASSWORD:-}"

sql() { # database command...
  db="$1"; shift
  "$tool" --plugin postgres12 --ep "$host" -p "$port" -u "$user" --db "$db" "$@"
}

migrate() { # database schema-name
  out="$(sql "$1" create-database 2>&1)" || {
    case "$out" in
      *"already exists"*) echo "database $1 exists" ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
  }
  sql "$1" setup-schema -v 0.0
  sql "$1" update-schema --schema-name "$2"
  echo "database $1 at the newest $2 schema"
}

migrate "${TEMPORAL_CLUSTER_DB_NAME:-temporal_cluster}" postgresql/v12/temporal
migrate "${TEMPORAL_CLUSTER_VISIBILITY_DB_NAME:-temporal_cluster_visibility}" postgresql/v12/visibility
