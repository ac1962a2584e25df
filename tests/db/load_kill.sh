#!/bin/bash
# tests/db/load_kill.sh: a `corridor load` killed with SIGKILL in the middle
# of its COPY leaves nothing of its batch; rerunning loads the file exactly
# once; a third run says "already loaded" and changes nothing (issue 3:
# "kill -9 during a load leaves no rows of that batch, and rerunning loads
# it once").
# Run by scripts/run-tests.sh with CORRIDOR, REPO, TMPDIR and a fresh
# database in PGDATABASE. Exit 0 pass, 77 skip (last line = reason), else
# fail.
#
# "In progress" is shown by the server, not guessed from a sleep: the
# loader's backend (application_name corridor, this database) appears in
# pg_stat_progress_copy with tuples_processed > 0 in a COPY FROM (into
# case_record or, for a file this large, the batch's own table
# case_record_b<batch> (sql/007), which other sessions cannot see in
# pg_class before the load commits; the loader's first COPY is always the
# case rows). The kill
# lands while the COPY is running; the test fails (never passes) if the
# load ends before that was observed.
set -uo pipefail

fail() { echo "FAIL: $*"; exit 1; }
: "${CORRIDOR:?CORRIDOR must name the corridor binary}"
command -v psql >/dev/null || { echo "skip: psql not installed"; exit 77; }
T=${TMPDIR:-/tmp}/load_kill.$$
mkdir -p "$T" || exit 1
loader=
cleanup() {
	[ -n "$loader" ] && kill -9 "$loader" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export CORRIDOR_HMAC_KEY=load-kill-test-key-0123456789abcdef
N=${COR_KILL_ROWS:-300000}

q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

$CORRIDOR -q db init || fail "db init"
$CORRIDOR synth --cases "$N" --seed 7 --from 2017Q1 --to 2019Q4 \
	-o "$T/cases.csv" 2>/dev/null || fail "synth"
# the file's own row count: physical lines less the header (synth writes
# no embedded newlines and no HXL row)
rows=$(($(wc -l <"$T/cases.csv") - 1))
[ "$rows" -eq "$N" ] || fail "synth wrote $rows rows, asked for $N"
seq=$(q "SELECT pg_get_serial_sequence('batch', 'id')")
[ -n "$seq" ] || fail "no sequence for batch.id"
[ "$(q "SELECT is_called FROM $seq")" = f ] ||
	fail "batch sequence used before any load"

# 1. Start the load, wait for its COPY into case_record to have stored
#    rows, kill -9.
$CORRIDOR -q load --format cases "$T/cases.csv" >"$T/load1.out" 2>&1 &
loader=$!
progress_sql="SELECT coalesce(max(p.tuples_processed), 0)
	FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid)
	WHERE a.application_name = 'corridor'
	  AND p.datname = current_database()
	  AND p.command = 'COPY FROM'"
seen=0
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
	kill -0 "$loader" 2>/dev/null || break
	n=$(q "$progress_sql") || fail "progress query"
	if [ "${n:-0}" -gt 0 ]; then
		seen=$n
		break
	fi
done
if [ "$seen" -eq 0 ]; then
	kill -0 "$loader" 2>/dev/null &&
		fail "no COPY progress within 60 s"
	wait "$loader"
	fail "the load ended (exit $?) before its COPY was seen in progress;" \
		"raise COR_KILL_ROWS ($N): $(cat "$T/load1.out")"
fi
kill -9 "$loader" || fail "kill -9 of the loader failed"
wait "$loader"
rc=$?
loader=
[ "$rc" -eq 137 ] || fail "loader exit status $rc after kill -9, want 137"
echo "killed the loader after the server reported $seen of $rows rows" \
	"copied"

# The server notices the closed socket and rolls back; wait for the
# backend to go (a lingering one would still hold the transaction).
deadline=$((SECONDS + 20))
while [ "$(q "SELECT count(*) FROM pg_stat_activity
	WHERE application_name = 'corridor'
	  AND datname = current_database()")" -ne 0 ]; do
	[ "$SECONDS" -lt "$deadline" ] ||
		fail "the killed loader's backend is still there after 20 s"
	sleep 0.1
done

# The batch row had been inserted (its id drawn from the sequence) before
# the COPY: it and all copied rows are gone.
[ "$(q "SELECT is_called FROM $seq")" = t ] ||
	fail "the killed load never inserted its batch row"
[ "$(q 'SELECT count(*) FROM batch')" -eq 0 ] ||
	fail "batch rows after the kill: $(q 'SELECT * FROM batch')"
n=$(q 'SELECT count(*) FROM case_record')
[ "$n" -eq 0 ] || fail "$n case_record rows after the kill"
[ "$(q 'SELECT count(*) FROM reject')" -eq 0 ] ||
	fail "reject rows after the kill"
# the batch's own table was created in the killed transaction: gone too
n=$(q "SELECT count(*) FROM pg_class WHERE relname ~ '^case_record_b[0-9]+$'")
[ "$n" -eq 0 ] || fail "$n batch tables (case_record_b*) after the kill"

# 2. Rerun: loads the file exactly once.
$CORRIDOR -q load --format cases "$T/cases.csv" >"$T/load2.out" 2>&1 ||
	fail "second load: $(cat "$T/load2.out")"
[ "$(q 'SELECT count(*) FROM batch')" -eq 1 ] || fail "batches after rerun"
b=$(q "SELECT id || ' ' || rows_read || ' ' || rows_loaded || ' ' ||
	rows_rejected || ' ' || sha256 || ' ' || active FROM batch")
read -r bid bread bloaded brej bsha bactive <<<"$b"
want_sha=$(sha256sum "$T/cases.csv" | cut -d' ' -f1)
[ "$bread" -eq "$rows" ] && [ "$bloaded" -eq "$rows" ] &&
	[ "$brej" -eq 0 ] || fail "batch counts: $b, want $rows read and loaded"
[ "$bsha" = "$want_sha" ] || fail "batch sha256 $bsha, file $want_sha"
[ "$bactive" = true ] || fail "batch not active"
n=$(q 'SELECT count(*) FROM case_record')
[ "$n" -eq "$rows" ] || fail "case_record has $n rows, want $rows"
n=$(q "SELECT count(*) FROM case_record WHERE batch_id = $bid")
[ "$n" -eq "$rows" ] || fail "$n case_record rows of batch $bid, want $rows"
[ "$(q 'SELECT count(DISTINCT case_key) FROM case_record')" -eq "$rows" ] ||
	fail "duplicate case pseudonyms after the rerun"

# The file is large (sql/007): its rows are in the batch's own table, an
# inheritance child of case_record, indexed, none in case_record itself.
child=case_record_b$bid
[ "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = '$child'::regclass
	AND inhparent = 'case_record'::regclass")" -eq 1 ] ||
	fail "$child is not a child of case_record"
[ "$(q "SELECT count(*) FROM $child")" -eq "$rows" ] ||
	fail "$child does not hold the batch's $rows rows"
[ "$(q 'SELECT count(*) FROM ONLY case_record')" -eq 0 ] ||
	fail "rows of a large batch in case_record itself"
[ "$(q "SELECT count(*) FROM pg_index WHERE indrelid = '$child'::regclass")" -eq 3 ] ||
	fail "$child lacks its 3 indexes (primary key, date, counties)"

# A large load refreshes the planner's statistics itself (ANALYZE after
# COMMIT): reltuples is -1 until a table is first analyzed; the parent
# gets statistics over its children (pg_stats.inherited).
rt=$(q "SELECT reltuples::bigint FROM pg_class WHERE relname = '$child'")
[ "$rt" -ge $((rows * 9 / 10)) ] ||
	fail "$child not analyzed after the load (reltuples $rt, rows $rows)"
[ "$(q "SELECT count(*) > 0 FROM pg_stats WHERE tablename = 'case_record'
	AND inherited")" = t ] ||
	fail "case_record has no statistics over its children after the load"
[ "$(q "SELECT reltuples >= 0 FROM pg_class WHERE relname = 'batch'")" = t ] ||
	fail "batch not analyzed after a large load"

# 3. Third run: "already loaded", nothing changes.
snap_sql="SELECT (SELECT string_agg(id || ':' || rows_loaded || ':' ||
	finished_at, ',' ORDER BY id) FROM batch) || '|' ||
	(SELECT count(*) FROM case_record) || '|' ||
	(SELECT count(*) FROM reject) || '|' || (SELECT last_value FROM $seq)"
before=$(q "$snap_sql")
$CORRIDOR load --format cases "$T/cases.csv" >"$T/load3.out" 2>&1 ||
	fail "third load: $(cat "$T/load3.out")"
grep -q "already loaded as batch $bid" "$T/load3.out" ||
	fail "third load did not say already loaded: $(cat "$T/load3.out")"
after=$(q "$snap_sql")
[ "$before" = "$after" ] || fail "third load changed the database:" \
	"$before -> $after"
echo "ok: killed mid-COPY ($seen/$rows rows), nothing kept; rerun loaded" \
	"$rows rows once (batch $bid); third run a no-op"
exit 0
