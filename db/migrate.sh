#!/bin/sh
# db/migrate.sh: applies db/migrations/*.sql that a database has not seen,
# in name order, each in one transaction with its schema_migrations row.
#
#   db/migrate.sh "CONNINFO"
set -eu

url=${1:?usage: db/migrate.sh CONNINFO}
dir=$(dirname "$0")/migrations

psql "$url" -q -v ON_ERROR_STOP=1 -c \
	"CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())" \
	2>&1 | grep -v 'already exists, skipping' || true
applied=$(psql "$url" -Atc 'SELECT version FROM schema_migrations')
for f in "$dir"/*.sql; do
	v=$(basename "$f" .sql)
	if printf '%s\n' "$applied" | grep -qx "$v"; then
		continue
	fi
	psql "$url" -q -v ON_ERROR_STOP=1 --single-transaction -f "$f" \
		-c "INSERT INTO schema_migrations (version) VALUES ('$v')" >/dev/null
	echo "applied migration $v"
done
