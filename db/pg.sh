#!/bin/sh
# db/pg.sh: a private PostgreSQL cluster for axlprov (make run, tests, bench).
#
#   db/pg.sh start DATA_DIR [PORT]   create if needed, start, create database axlprov
#   db/pg.sh stop  DATA_DIR
#   db/pg.sh url   DATA_DIR [PORT]   print the libpq connection string
#
# PostgreSQL refuses to run as root, so when we are root the cluster is
# owned by and run as an unprivileged user (postgres, else nobody).  It
# listens only on a Unix socket inside the cluster folder.
set -eu

cmd=${1:?usage: db/pg.sh start|stop|url DATA_DIR [PORT]}
data=${2:?data folder}
port=${3:-${AXLPROV_PG_PORT:-55432}}
mkdir -p "$data"
data=$(cd "$data" && pwd)

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "db/pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$pguser" -- "$@"
	else
		"$@"
	fi
}

pguser=$(id -un)
pgdir=$data/pg
if [ "$(id -u)" = 0 ]; then
	if id postgres >/dev/null 2>&1; then pguser=postgres; else pguser=nobody; fi
	mkdir -p "$pgdir"
	chown "$pguser" "$pgdir"
	# A data folder below a private home (/root is 0700) is out of the
	# unprivileged user's reach: keep the cluster in /var/tmp instead.
	if ! runuser -u "$pguser" -- test -w "$pgdir"; then
		key=$(printf '%s' "$data" | sha1sum | cut -c1-12)
		pgdir=/var/tmp/axlprov-pg-$key
		mkdir -p "$pgdir"
		chown "$pguser" "$pgdir"
	fi
fi
cluster=$pgdir/cluster
sockdir=$pgdir/run

url() {
	echo "host=$sockdir port=$port dbname=axlprov user=axlprov"
}

case "$cmd" in
start)
	if [ ! -f "$cluster/PG_VERSION" ]; then
		as_owner mkdir -p "$cluster" "$sockdir"
		as_owner "$bindir/initdb" -D "$cluster" -U axlprov --auth=trust \
			--encoding=UTF8 --locale=C >"$pgdir/initdb.log" 2>&1 ||
			{ cat "$pgdir/initdb.log" >&2; exit 1; }
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$sockdir'"
			echo "max_connections = 200"
			echo "shared_buffers = 128MB"
			if [ -n "${AXLPROV_PG_FAST:-}" ]; then
				# Tests only: durability is not what they measure.
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
		} | as_owner sh -c "cat >> '$cluster/postgresql.conf'"
	fi
	as_owner mkdir -p "$sockdir"
	if ! as_owner "$bindir/pg_ctl" -D "$cluster" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$cluster" -l "$pgdir/postgresql.log" -w -t 60 \
			-o "-p $port" start >/dev/null ||
			{ tail -n 20 "$pgdir/postgresql.log" >&2; exit 1; }
	fi
	if ! psql "$(url)" -Atc 'select 1' >/dev/null 2>&1; then
		psql "host=$sockdir port=$port dbname=postgres user=axlprov" -q \
			-c 'CREATE DATABASE axlprov' >/dev/null
	fi
	;;
stop)
	if [ -f "$cluster/PG_VERSION" ]; then
		as_owner "$bindir/pg_ctl" -D "$cluster" -m fast -w stop >/dev/null 2>&1 || true
	fi
	;;
url)
	url
	;;
*)
	echo "usage: db/pg.sh start|stop|url DATA_DIR [PORT]" >&2
	exit 2
	;;
esac
