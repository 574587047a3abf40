#!/usr/bin/env bash
#
# test/data/make-pgvector-dumps.sh - writes the pgvector dumps that
# t/041_switch_from_pgvector.pl restores into vecindex.
#
#   test/data/make-pgvector-dumps.sh
#
# Needs a PostgreSQL 15 installation with pgvector installed in it (the
# "vector" extension), named by VI_PGBIN as for test/run (default
# /usr/lib/postgresql/15/bin).  Starts a throwaway cluster, builds
# pgvector-fixture.sql twice with pgvector, once with the extension in
# schema public and once in schema "extensions", and dumps each database in
# plain and in custom format:
#
#   pgvector-public.sql      pgvector-public.dump
#   pgvector-extensions.sql  pgvector-extensions.dump
#
# The data are formulas of the row number, so a new run gives the same
# tables; the files differ only in what pg_dump stamps on them (versions,
# the date in a custom-format header, the plain format's \restrict key).

set -euo pipefail

# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

DATA=$VI_ROOT/test/data
SHAREDIR=$("$VI_PG_CONFIG" --sharedir)
[ -f "$SHAREDIR/extension/vector.control" ] \
	|| vi_die "pgvector is not installed in $SHAREDIR (VI_PGBIN=$VI_PGBIN)"

vi_make_workdir pgvector-dumps
DATADIR=$VI_WORK/data
SOCKDIR=$VI_WORK/sock
PORT=$(vi_random_port)
cleanup() {
	vi_cluster_stop "$DATADIR"
	rm -rf "$VI_WORK"
}
trap cleanup EXIT

cp "$DATA/pgvector-fixture.sql" "$VI_WORK/"
vi_chown_work
vi_cluster_create "$DATADIR" "$SOCKDIR" "$PORT"
vi_cluster_start "$DATADIR" "$VI_WORK/server.log"

pg() { vi_as_unpriv "$VI_WORK" "$@" -h "$SOCKDIR" -p "$PORT" -U postgres; }

pg psql -X -q -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'" -At \
	| sed 's/^/pgvector available: /'
for schema in public extensions; do
	db=pgvector_$schema
	pg createdb "$db"
	pg psql -X -q -d "$db" -v ext=vector -v extschema="$schema" -v with_ivfflat=on \
		-f "$VI_WORK/pgvector-fixture.sql"
	pg pg_dump -d "$db" -f "$VI_WORK/pgvector-$schema.sql"
	pg pg_dump -d "$db" -Fc -f "$VI_WORK/pgvector-$schema.dump"
	cp "$VI_WORK/pgvector-$schema.sql" "$VI_WORK/pgvector-$schema.dump" "$DATA/"
	vi_log "wrote $DATA/pgvector-$schema.sql and .dump"
done
