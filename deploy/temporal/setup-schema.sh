#!/bin/sh
# One-shot schema job (temporalio/admin-tools): creates Temporal's two PostgreSQL databases on the
# first run and brings both schemas to the version the image ships. Safe to run on every `up`:
# update-schema only applies the versions a database does not have yet (this is also the upgrade).
# Outside the image (the chaos harness runs it as a plain process) TEMPORAL_SQL_TOOL and
# TEMPORAL_SCHEMA_DIR name the tool and the server module's schema directory.
set -eu

schema_root=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}

sql_tool() {
  "${TEMPORAL_SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"
}

setup_database() {
  database=$1
  schema_dir=$2
  if output=$(sql_tool --db "$database" create 2>&1); then
    echo "created database $database"
    sql_tool --db "$database" setup-schema -v 0.0
  else
    case "$output" in
      *"already exists"*) echo "database $database exists" ;;
      *) echo "$output" >&2; exit 1 ;;
    esac
  fi
  sql_tool --db "$database" update-schema -d "$schema_dir"
}

setup_database temporal "$schema_root/postgresql/v12/temporal/versioned"
setup_database temporal_visibility "$schema_root/postgresql/v12/visibility/versioned"
echo "Temporal schema is up to date"
