#!/bin/bash
# scripts/bench.sh (make bench): corridor's benchmark, each figure next to
# a baseline measured in the same run on the same machine.
#   (a) corridor synth: rows/s writing BENCH_ROWS (default 1,000,000) cases
#   (b) corridor load of that file into the real schema vs psql \copy of the
#       same file into a plain table of text columns: median of 3 each,
#       rows/s, ratio, corridor's peak RSS (/usr/bin/time)
#   (c) every statistic of one brief (corridor stats brief of 2019Q4) vs
#       bare psql GROUP BY of the same groupings
#       queries over the same groupings (median of 3), ratio
#   (d) corridor brief from the 1M-case database (median of 3, with its
#       statistics/rendering split); all 47 Kenyan county briefs as 47
#       separate commands, and in one run (brief --county all, median of 3)
# Runs on the private cluster (scripts/pgcluster.sh) in throw-away
# databases (bench_*) that are dropped at the end; set BENCH_USE_ENV=1 to
# use the server the PG* variables name instead.
# Sections whose command is not implemented yet print
# "skipped: not implemented".
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
C=$REPO/corridor
W=$REPO/var/bench
mkdir -p "$W"
FILE=$W/cases-$ROWS.csv
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time missing (scripts/deps.sh)" >&2; exit 1; }
[ -x "$C" ] || { echo "bench: ./corridor missing: run make" >&2; exit 1; }

if [ "${BENCH_USE_ENV:-0}" != 1 ]; then
	scripts/pgcluster.sh start >/dev/null || exit 1
	eval "$(scripts/pgcluster.sh env)"
fi
MAINT=${PGDATABASE:-postgres}
# The pseudonym key: a throw-away one unless the caller gave one.
if [ -z "${CORRIDOR_HMAC_KEY:-}${CORRIDOR_HMAC_KEY_FILE:-}" ]; then
	export CORRIDOR_HMAC_KEY=bench-throwaway-key-$$
fi
export COR_SQL_DIR=${COR_SQL_DIR:-$REPO/sql}

dbs=()
cleanup() {
	for d in "${dbs[@]}"; do
		dropdb --if-exists --force -d "$MAINT" "$d" >/dev/null 2>&1 ||
			dropdb --if-exists "$d" >/dev/null 2>&1
	done
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$FILE"
}
trap cleanup EXIT

newdb() { # name -> creates, records for cleanup
	dropdb --if-exists "$1" >/dev/null 2>&1
	createdb "$1" || { echo "bench: createdb $1 failed" >&2; exit 1; }
	dbs+=("$1")
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }

# timed OUT CMD...: runs CMD under /usr/bin/time; OUT gets "seconds maxrss_kib";
# stdout/stderr of CMD go to $W/last.out / $W/last.err. Returns CMD's status.
timed() {
	local out=$1
	shift
	"$TIME" -f '%e %M' -o "$out" "$@" >"$W/last.out" 2>"$W/last.err"
}
not_impl() { [ "$1" -eq 70 ] && grep -qi 'not implemented' "$W/last.err"; }
fail() { echo "bench: $*" >&2; sed 's/^/    /' "$W/last.err" >&2; exit 1; }
# A failure that does not stop the other sections; bench exits 1 at the end.
status=0
soft_fail() {
	echo "    FAILED: $*"
	sed 's/^/      /' "$W/last.err" | head -n 5
	status=1
}

echo "corridor bench: $ROWS synthetic cases, median of $RUNS runs, $(nproc) cores, PostgreSQL $(psql -XAtc 'SHOW server_version' -d "$MAINT")"
echo

# (a) synth
echo "(a) corridor synth"
have_file=0
timed "$W/t.synth" "$C" synth --cases "$ROWS" --seed 1 --from 2017Q1 --to 2019Q4 -o "$FILE"
rc=$?
if [ $rc -eq 0 ]; then
	read -r s _ <"$W/t.synth"
	echo "    $ROWS rows in ${s} s = $(rate "$ROWS" "$s") rows/s ($(du -m "$FILE" | cut -f1) MiB)"
	have_file=1
elif not_impl $rc; then
	echo "    skipped: not implemented"
else
	fail "synth failed (exit $rc)"
fi

# (b) load vs psql \copy
echo "(b) corridor load vs psql \\copy"
loaddb=
if [ $have_file = 0 ]; then
	echo "    skipped: no input (synth not implemented)"
else
	# baseline: plain table, one text column per CSV column
	newdb bench_copy
	cols=$(head -n 1 "$FILE" | tr -d '\r' | awk -F, '{ for (i = 1; i <= NF; i++) printf "%s\"%s\" text", (i > 1 ? ", " : ""), $i }')
	psql -XqAt -d bench_copy -v ON_ERROR_STOP=1 -c "CREATE TABLE plain ($cols)" || exit 1
	ts=()
	for i in $(seq "$RUNS"); do
		psql -Xq -d bench_copy -c 'TRUNCATE plain' || exit 1
		timed "$W/t.copy" psql -Xq -d bench_copy -v ON_ERROR_STOP=1 \
			-c "\\copy plain FROM '$FILE' WITH (FORMAT csv, HEADER true)" ||
			fail "psql \\copy failed"
		read -r s _ <"$W/t.copy"
		ts+=("$s")
	done
	copy_s=$(printf '%s\n' "${ts[@]}" | median)
	n=$(psql -XAt -d bench_copy -c 'SELECT count(*) FROM plain')
	echo "    psql \\copy:     median ${copy_s} s = $(rate "$n" "$copy_s") rows/s ($n rows; runs: ${ts[*]})"
	ts=() rss=()
	impl=1
	for i in $(seq "$RUNS"); do
		db=bench_load_$i
		newdb "$db"
		PGDATABASE=$db "$C" -q db init >/dev/null || fail "db init"
		PGDATABASE=$db timed "$W/t.load" "$C" -q load --format cases "$FILE"
		rc=$?
		if [ $rc -ne 0 ]; then
			not_impl $rc && { impl=0; break; }
			fail "corridor load failed (exit $rc)"
		fi
		read -r s m <"$W/t.load"
		ts+=("$s") rss+=("$m")
		loaddb=$db
	done
	if [ $impl = 0 ]; then
		echo "    corridor load: skipped: not implemented"
	else
		load_s=$(printf '%s\n' "${ts[@]}" | median)
		nl=$(psql -XAt -d "$loaddb" -c 'SELECT count(*) FROM case_record')
		peak=$(printf '%s\n' "${rss[@]}" | sort -n | tail -n 1)
		echo "    corridor load: median ${load_s} s = $(rate "$nl" "$load_s") rows/s ($nl rows; runs: ${ts[*]})"
		echo "    ratio corridor/psql rows/s: $(ratio "$(rate "$nl" "$load_s")" "$(rate "$n" "$copy_s")") (target >= 1.0)"
		echo "    corridor peak RSS: $(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }') MiB (target < 64)"
	fi
fi

# The real incidents and stocks (for the incidents and stocks kinds and the
# brief's deaths/missing page), not timed.
DATA_DIR=${DATA_DIR:-../shared/data}
if [ -n "$loaddb" ] && [ -d "$DATA_DIR" ]; then
	for f in "$DATA_DIR"/missing_migrants/*.csv; do
		[ -e "$f" ] && PGDATABASE=$loaddb "$C" -q load --format mmp "$f" >/dev/null 2>&1
	done
	f=$DATA_DIR/unhcr_refugee_statistics/population.csv
	[ -e "$f" ] && PGDATABASE=$loaddb "$C" -q load --format unhcr "$f" >/dev/null 2>&1
	echo "    (also loaded, untimed: Missing Migrants and UNHCR files from $DATA_DIR)"
fi

# (c) stats vs bare GROUP BY. All statistics of one brief are one
# `corridor stats brief` of its quarter (suppressed jointly; with
# disclosure control a window is one calendar quarter, and every other
# kind is suppressed linked to this brief), against bare GROUP BYs of the
# same groupings: the quarter's overview, legs, nodes, profile and
# counties, the quarterly trend over the 12 quarters to it, and the
# Missing Migrants and UNHCR tables.
echo "(c) corridor stats vs bare GROUP BY"
W1="registration_date BETWEEN '2019-10-01' AND '2019-12-31'"
WT="registration_date BETWEEN '2017-01-01' AND '2019-12-31'"
GB="SELECT case_type, count(*), count(*) FILTER (WHERE is_minor), count(*) FILTER (WHERE sex = 'female') FROM case_record WHERE $W1 GROUP BY 1;
SELECT citizenship, count(*) FROM case_record WHERE $W1 GROUP BY 1;
SELECT e, count(*) FROM case_record, unnest(exploitation_types) e WHERE $W1 GROUP BY 1;
SELECT date_trunc('quarter', registration_date), count(*) FROM case_record WHERE $WT GROUP BY 1 ORDER BY 1;
SELECT route[i], route[i + 1], count(*), percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY fee_usd), percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY days_in_transit) FROM case_record, generate_subscripts(route, 1) i WHERE $W1 AND i < cardinality(route) GROUP BY 1, 2;
SELECT s.place, s.role, count(*) FROM route_step s JOIN case_record c ON c.id = s.case_id WHERE c.$W1 GROUP BY 1, 2;
SELECT sex, age_band, count(*) FROM case_record WHERE $W1 GROUP BY 1, 2;
SELECT e, sex, count(*) FROM case_record, unnest(exploitation_types) e WHERE $W1 GROUP BY 1, 2;
SELECT m, count(*) FROM case_record, unnest(means_of_control) m WHERE $W1 GROUP BY 1;
SELECT recruiter_relationship, count(*) FROM case_record WHERE $W1 GROUP BY 1;
SELECT identification_county, count(*) FROM case_record WHERE $W1 GROUP BY 1;
SELECT p.admin1, s.role, count(*) FROM route_step s JOIN place p ON p.id = s.place JOIN case_record c ON c.id = s.case_id WHERE p.country = 'KEN' AND c.$W1 GROUP BY 1, 2;
SELECT date_trunc('quarter', reported_date), count(*), sum(dead), sum(missing) FROM incident WHERE reported_date BETWEEN '2017-01-01' AND '2019-12-31' GROUP BY 1;
SELECT year, origin, asylum, sum(refugees), sum(asylum_seekers) FROM od_stock GROUP BY 1, 2, 3;"
if [ -z "$loaddb" ]; then
	echo "    skipped: no 1M-case database (load not available)"
else
	sqlf=$W/groupby.sql
	printf '%s\n' "$GB" >"$sqlf"
	ts=() bs=() ok=1
	for i in $(seq "$RUNS"); do
		PGDATABASE=$loaddb timed "$W/t.stats" "$C" -q stats brief --from 2019Q4 --to 2019Q4 --format json
		rc=$?
		if [ $rc -ne 0 ] && [ $rc -ne 6 ]; then
			soft_fail "corridor stats brief (exit $rc)"
			ok=0
			break
		fi
		read -r s _ <"$W/t.stats"
		ts+=("$s")
		timed "$W/t.gb" psql -XqAt -d "$loaddb" -v ON_ERROR_STOP=1 -o /dev/null -f "$sqlf" ||
			fail "baseline GROUP BY failed"
		read -r s _ <"$W/t.gb"
		bs+=("$s")
	done
	if [ $ok -eq 1 ]; then
		st=$(printf '%s\n' "${ts[@]}" | median)
		gb=$(printf '%s\n' "${bs[@]}" | median)
		echo "    corridor stats brief 2019Q4 (every statistic of one brief): median ${st} s (runs: ${ts[*]})"
		echo "    bare GROUP BY (same groupings): median ${gb} s (runs: ${bs[*]})"
		echo "    ratio: $(ratio "$st" "$gb") (target <= 1.5)"
	fi
fi

# (d) briefs
echo "(d) corridor brief"
if [ -z "$loaddb" ]; then
	echo "    skipped: no 1M-case database (load not available)"
else
	ts=()
	for i in $(seq "$RUNS"); do
		PGDATABASE=$loaddb timed "$W/t.brief" "$C" brief --quarter 2019Q4 -o "$W/brief.pdf"
		rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 6 ] || break
		read -r s m <"$W/t.brief"
		ts+=("$s")
	done
	if [ $rc -eq 0 ] || [ $rc -eq 6 ]; then
		s=$(printf '%s\n' "${ts[@]}" | median)
		echo "    one brief from $ROWS cases: median ${s} s (runs: ${ts[*]}), peak RSS $((m / 1024)) MiB (target < 1 s)"
		# the brief's own split (corridor brief prints it unless -q)
		split=$(sed -n 's/.*statistics \([0-9]*\) ms, rendering \([0-9]*\) ms.*/statistics \1 ms, rendering alone \2 ms/p' "$W/last.out")
		[ -n "$split" ] && echo "      of which $split"
		t0=$(date +%s.%N)
		for i in $(seq -w 1 47); do
			PGDATABASE=$loaddb "$C" -q brief --quarter 2019Q4 --county "KE0$i" -o "$W/brief-KE0$i.pdf" 2>"$W/last.err"
			rc=$?
			if [ $rc -ne 0 ] && [ $rc -ne 6 ]; then
				soft_fail "county brief KE0$i (exit $rc)"
				break
			fi
		done
		[ $rc -eq 0 ] || [ $rc -eq 6 ] &&
			echo "    47 county briefs, 47 separate commands: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
		rm -f "$W"/brief-KE0*.pdf
		# the programme officer's command: every county in one run
		ts=()
		for i in $(seq "$RUNS"); do
			rm -rf "$W/counties"
			PGDATABASE=$loaddb timed "$W/t.all" "$C" -q brief --quarter 2019Q4 --county all -o "$W/counties"
			rc=$?
			if [ $rc -ne 0 ]; then
				soft_fail "brief --county all (exit $rc)"
				break
			fi
			read -r s _ <"$W/t.all"
			ts+=("$s")
		done
		nall=$(ls "$W/counties" 2>/dev/null | grep -c '\.pdf$')
		[ $rc -eq 0 ] && echo "    47 county briefs, one run (brief --county all, $(nproc) worker processes): median $(printf '%s\n' "${ts[@]}" | median) s (runs: ${ts[*]}; $nall files) (target < 5 s)"
		rm -rf "$W/counties"
	elif not_impl $rc; then
		echo "    skipped: not implemented"
	else
		soft_fail "corridor brief (exit $rc)"
	fi
fi
exit $status
