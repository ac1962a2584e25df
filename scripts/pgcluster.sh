#!/bin/sh
# scripts/pgcluster.sh {init|start|stop|status|env}: a private PostgreSQL
# cluster for corridor, inside the repository.
#
#   var/pg          data directory (initdb)
#   var/run         unix socket directory (no TCP: listen_addresses = '')
#   var/log         server log
#
# PostgreSQL refuses to run as root: when run as root, the cluster belongs to
# an unprivileged system user ($COR_PG_USER, default "corridor", created if
# missing) and every server command runs through runuser. If that user cannot
# reach the repository (e.g. it lies under a 0700 home directory) or the
# socket path would be too long, the cluster lives in
# /var/lib/corridor/cluster-<hash of repo path> instead; set COR_PG_BASE to
# choose the directory yourself.
#
# Authentication is "trust" over the unix socket only; the socket directory
# is 0700 and owned by the cluster's owner, so only that user (and root) can
# connect. The invoking user gets a superuser role of its own name and the
# database "corridor". Every action is idempotent.
#
#   eval "$(scripts/pgcluster.sh env)"   # then: ./corridor db init
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
PORT=${COR_PG_PORT:-5432}
DBNAME=corridor
ME=$(id -un)

die() { echo "pgcluster: $*" >&2; exit 1; }

# Newest installed server.
BINDIR=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && BINDIR=$d
done
[ -n "$BINDIR" ] || die "no PostgreSQL server found under /usr/lib/postgresql (run scripts/deps.sh)"

if [ "$(id -u)" -eq 0 ]; then
	OWNER=${COR_PG_USER:-corridor}
else
	OWNER=$ME
fi

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "$OWNER" -- "$@")
	else
		"$@"
	fi
}

ensure_owner_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	id -u "$OWNER" >/dev/null 2>&1 && return 0
	useradd --system --user-group --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin \
		--comment "corridor private PostgreSQL cluster" "$OWNER" ||
		die "could not create system user $OWNER"
}

# Can the owner reach (x on every ancestor) directory $1?
owner_can_reach() {
	[ "$(id -u)" -eq 0 ] || return 0
	as_owner test -x "$1" -a -w "$1" 2>/dev/null
}

pick_base() {
	if [ -n "${COR_PG_BASE:-}" ]; then
		BASE=$COR_PG_BASE
		return
	fi
	BASE=$REPO/var
	# Already initialised here (possibly as a symlink): keep it.
	[ -e "$BASE/pg/PG_VERSION" ] && return
	# unix socket paths are limited to 107 bytes.
	if [ ${#BASE} -le 80 ]; then
		mkdir -p "$BASE"
		if [ "$(id -u)" -eq 0 ]; then
			# var/ itself: let the owner create pg/, run/, log/.
			chown "$OWNER" "$BASE" 2>/dev/null || true
			chmod 755 "$BASE" 2>/dev/null || true
		fi
		owner_can_reach "$BASE" && return
	fi
	h=$(printf '%s' "$REPO" | sha256sum | cut -c1-12)
	BASE=/var/lib/corridor/cluster-$h
}

setup_paths() {
	ensure_owner_user
	pick_base
	PGDATA=$BASE/pg
	SOCK=$BASE/run
	LOG=$BASE/log/postgresql.log
}

is_initialised() { [ -f "$PGDATA/PG_VERSION" ]; }

is_running() {
	is_initialised && as_owner "$BINDIR/pg_ctl" -D "$PGDATA" status \
		>/dev/null 2>&1
}

cmd_init() {
	if is_initialised; then
		echo "pgcluster: cluster already initialised in $PGDATA"
		return 0
	fi
	mkdir -p "$BASE"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$OWNER" "$BASE"
		chmod 755 "$BASE"
	fi
	as_owner mkdir -p "$PGDATA" "$SOCK" "$BASE/log"
	as_owner chmod 700 "$PGDATA" "$SOCK"
	as_owner "$BINDIR/initdb" -D "$PGDATA" -U "$OWNER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$BASE/log/initdb.log" 2>&1 ||
		{ cat "$BASE/log/initdb.log" >&2; die "initdb failed"; }
	as_owner sh -c "cat >>'$PGDATA/postgresql.conf'" <<CONF

# corridor private cluster (scripts/pgcluster.sh)
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
unix_socket_permissions = 0700
logging_collector = off
# Bulk loads of 1M+ case records write several GB of WAL: with the default
# max_wal_size (1GB) the server checkpoints every few seconds during a load.
max_wal_size = 4GB
checkpoint_timeout = 15min
# Settings of this script's own (rewritten at every start).
include_if_exists = 'corridor.conf'
CONF
	# Remote (TCP) access is impossible anyway; drop the host lines.
	as_owner sh -c "grep -v '^host' '$PGDATA/pg_hba.conf' > '$PGDATA/pg_hba.tmp' && mv '$PGDATA/pg_hba.tmp' '$PGDATA/pg_hba.conf'"
	echo "pgcluster: initialised $PGDATA (PostgreSQL $(cat "$PGDATA/PG_VERSION"), owner $OWNER)"
}

ensure_db() {
	as_owner "$BINDIR/psql" -X -q -h "$SOCK" -p "$PORT" -U "$OWNER" \
		-d postgres -v ON_ERROR_STOP=1 -v u="$ME" -v d="$DBNAME" \
		>/dev/null <<'SQL'
SELECT format('CREATE ROLE %I SUPERUSER LOGIN', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'d', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'d') \gexec
SQL
}

# corridor.conf, read by postgresql.conf (clusters initialised before it
# existed get the include line here):
# - wal_level minimal: a private cluster has no replica and no archive;
#   then a table created and filled in one transaction (a large batch,
#   sql/007) is synced at commit instead of being written twice through
#   the WAL. Crash safety is unchanged; point-in-time recovery and
#   streaming replication are not available (pg_dump for backups).
# - shared_buffers: an eighth of the memory, at most 1 GB (the default
#   128 MB holds a fifth of a 1M-case table; a brief's quarter is spread
#   over all of its pages).
write_conf() {
	local kib sb
	kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>/dev/null)
	sb=$(( ${kib:-1048576} / 8 / 1024 ))
	[ "$sb" -gt 1024 ] && sb=1024
	[ "$sb" -lt 128 ] && sb=128
	grep -q "^include_if_exists = 'corridor.conf'" "$PGDATA/postgresql.conf" ||
		as_owner sh -c "echo \"include_if_exists = 'corridor.conf'\" >>'$PGDATA/postgresql.conf'"
	as_owner sh -c "cat >'$PGDATA/corridor.conf'" <<CONF
# written by scripts/pgcluster.sh at every start; edits are lost
wal_level = minimal
max_wal_senders = 0
shared_buffers = ${sb}MB
CONF
}

cmd_start() {
	is_initialised || cmd_init
	write_conf
	if is_running; then
		echo "pgcluster: already running (socket $SOCK, port $PORT)"
	else
		as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 \
			start >/dev/null ||
			{ tail -n 20 "$LOG" >&2; die "server did not start"; }
		echo "pgcluster: started (socket $SOCK, port $PORT, log $LOG)"
	fi
	ensure_db || die "could not create role $ME / database $DBNAME"
}

cmd_stop() {
	if ! is_running; then
		echo "pgcluster: not running"
		return 0
	fi
	as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -w -m fast stop >/dev/null
	echo "pgcluster: stopped"
}

cmd_status() {
	if ! is_initialised; then
		echo "pgcluster: not initialised (run: scripts/pgcluster.sh init)"
		return 4
	fi
	if is_running; then
		echo "pgcluster: running, data $PGDATA, socket $SOCK, port $PORT, owner $OWNER"
		return 0
	fi
	echo "pgcluster: stopped, data $PGDATA"
	return 3
}

cmd_env() {
	echo "export PGHOST='$SOCK'"
	echo "export PGPORT='$PORT'"
	echo "export PGDATABASE='$DBNAME'"
	echo "export PGUSER='$ME'"
}

[ $# -eq 1 ] || { echo "usage: $0 init|start|stop|status|env" >&2; exit 2; }
setup_paths
case "$1" in
init) cmd_init ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
*) echo "usage: $0 init|start|stop|status|env" >&2; exit 2 ;;
esac
