#!/bin/bash
# tests/db/cli_db.sh: `corridor db` through the command line.
# Run by scripts/run-tests.sh with CORRIDOR, REPO, COR_SQL_DIR and a fresh
# database in PGDATABASE. Exit 0 pass, 77 skip (last line = reason), else
# fail.
set -euo pipefail

: "${CORRIDOR:?CORRIDOR must name the corridor binary}"
: "${REPO:?REPO must name the repository root}"
SQL_DIR=${COR_SQL_DIR:-$REPO/sql}
T=${TMPDIR:-/tmp}
fail() { echo "FAIL: $*" >&2; exit 1; }

nfiles=$(find "$SQL_DIR" -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' | wc -l)
[ "$nfiles" -ge 1 ] || fail "no migration files in $SQL_DIR"

# --help needs no server, for the command and each action.
"$CORRIDOR" db --help | grep -q 'usage: corridor db init' || fail "db --help"
"$CORRIDOR" db init --help | grep -q 'usage: corridor db init' ||
	fail "db init --help"
"$CORRIDOR" db status --help | grep -q 'usage: corridor db status' ||
	fail "db status --help"
set +e
"$CORRIDOR" db frobnicate 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown action: exit $rc, want 2"

# Fresh database: everything pending, then applied, then a no-op.
"$CORRIDOR" db status >"$T/st0" || fail "db status on empty database"
grep -q '^no migrations applied' "$T/st0" || fail "status before init: $(cat "$T/st0")"
[ "$(grep -c '^pending: ' "$T/st0")" -eq "$nfiles" ] ||
	fail "want $nfiles pending: $(cat "$T/st0")"

"$CORRIDOR" db init >"$T/i1" || fail "first db init"
grep -q "^applied $nfiles migration" "$T/i1" || fail "first init said: $(cat "$T/i1")"
"$CORRIDOR" db init >"$T/i2" || fail "second db init"
want="schema up to date ($nfiles migration"
grep -qF "$want" "$T/i2" || fail "second init said: $(cat "$T/i2")"
grep -qF "applied earlier)" "$T/i2" || fail "second init said: $(cat "$T/i2")"
[ "$(psql -XAtc 'SELECT count(*) FROM corridor_migration')" -eq "$nfiles" ] ||
	fail "corridor_migration rows != $nfiles"

"$CORRIDOR" db status >"$T/st1" || fail "db status after init"
for f in "$SQL_DIR"/[0-9][0-9][0-9]_*.sql; do
	v=$(basename "$f" .sql)
	sha=$(sha256sum "$f" | cut -c1-12)
	grep -qE "^$v +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} .* $sha\$" "$T/st1" ||
		fail "status lacks $v with date and sha $sha: $(cat "$T/st1")"
done
grep -q '^pending' "$T/st1" && fail "pending after init: $(cat "$T/st1")"
grep -q '^schema up to date' "$T/st1" || fail "status: $(cat "$T/st1")"

# -q: nothing on stdout.
[ -z "$("$CORRIDOR" -q db init)" ] || fail "-q db init printed something"

# C31: unreachable server, password in conninfo: exit 3, one line on
# stderr naming host, port and database, no secret anywhere.
secret=Example-Only-7731
for ci in \
	"host=127.0.0.1 port=1 dbname=cases user=etl_loader password=$secret connect_timeout=2" \
	"postgresql://etl_loader:$secret@127.0.0.1:1/cases?connect_timeout=2"; do
	set +e
	"$CORRIDOR" --db "$ci" db status >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 3 ] || fail "unreachable server: exit $rc, want 3"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "want one line on stderr: $(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "stdout not empty: $(cat "$T/out")"
	grep -q "$secret" "$T/out" "$T/err" && fail "password leaked: $(cat "$T/err")"
	grep -q '127\.0\.0\.1' "$T/err" || fail "host missing: $(cat "$T/err")"
	grep -q 'port 1\b' "$T/err" || fail "port missing: $(cat "$T/err")"
	grep -q '"cases"' "$T/err" || fail "database missing: $(cat "$T/err")"
done
# Same through CORRIDOR_DB.
set +e
CORRIDOR_DB="host=127.0.0.1 port=1 dbname=cases password=$secret connect_timeout=2" \
	"$CORRIDOR" db init >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "CORRIDOR_DB unreachable: exit $rc"
grep -q "$secret" "$T/err" && fail "password leaked via CORRIDOR_DB"
echo "ok"
