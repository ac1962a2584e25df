#!/bin/bash
# scripts/run-tests.sh [unit]: corridor's test runner (make installcheck,
# make check, make valgrind).
#
# Runs every $BUILD/tests/unit/test_* binary; then, unless "unit" is given,
# every $BUILD/tests/db/test_* binary and every tests/db/*.sh script against
# the server named by the PG* variables, each in a fresh database of its own
# (created here, exported as PGDATABASE, dropped afterwards).
#
# Counting: cmocka's summary lines give the test cases of a binary; a binary
# that dies before its summary counts its unreported cases as failed. A shell
# script is one test: exit 0 passed, 77 skipped (its last output line is the
# reason, reported), anything else failed.
#
# Environment:
#   BUILD           build directory (default build/rel)
#   VALGRIND=1      wrap unit tests in valgrind --leak-check=full
#   COR_REQUIRE_DB=1  an unreachable server is a failure (set by make check),
#                   not a skip
#   DATA_DIR        shared datasets (default ../shared/data from the repo)
#   COR_TEST_TIMEOUT  seconds per binary/script (default 900)
# Scripts also get CORRIDOR (the binary), REPO (repository root), DATA_DIR,
# COR_SQL_DIR and a private TMPDIR.
#
# Output: one line per binary/script, the log of each failure, and a closing
# line "N passed, N failed[, N skipped]". Exit 1 if anything failed.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 2
BUILD=${BUILD:-build/rel}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
MODE=${1:-all}
TIMEOUT=${COR_TEST_TIMEOUT:-900}
DATA_DIR=${DATA_DIR:-../shared/data}
case $DATA_DIR in /*) ;; *) DATA_DIR=$REPO/$DATA_DIR ;; esac
export DATA_DIR REPO
export CORRIDOR=$BUILD/corridor
export COR_SQL_DIR=${COR_SQL_DIR:-$REPO/sql}
# Sanitizer builds: stop at the first error, report leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

LOGDIR=$BUILD/tests/logs
mkdir -p "$LOGDIR"
passed=0 failed=0 skipped=0
failures=()

if [ -t 1 ]; then bold=$'\e[1m' red=$'\e[31m' norm=$'\e[0m'
else bold='' red='' norm=''; fi

report_failure() { # name log
	failures+=("$1")
	echo "${red}---- $1: log ($2) ----${norm}"
	tail -n 80 "$2"
	echo "${red}---- end of $1 ----${norm}"
}

# Runs one cmocka binary; adds its counts.
run_cmocka() { # label binary [wrapper...]
	local label=$1 bin=$2 log rc run p f s
	shift 2
	log=$LOGDIR/$(basename "$bin").log
	timeout "$TIMEOUT" "$@" "$bin" >"$log" 2>&1
	rc=$?
	run=$(awk '/^\[==========\] Running [0-9]+ test/ { n += $3 } END { print n + 0 }' "$log")
	p=$(awk '/^\[  PASSED  \] [0-9]+ test/ { n += $4 } END { print n + 0 }' "$log")
	f=$(awk '/^\[  FAILED  \] [0-9]+ test\(s\), listed/ { n += $4 } END { print n + 0 }' "$log")
	s=$(awk '/^\[  SKIPPED \] [0-9]+ test\(s\), listed/ { n += $4 } END { print n + 0 }' "$log")
	# Died (sanitizer, signal, valgrind error) after or before its summary.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ $((p + s)) -lt "$run" ]; then
			f=$((run - p - s))
		else
			f=1
		fi
		[ "$rc" -eq 124 ] && echo "timed out after ${TIMEOUT}s" >>"$log"
		echo "exit status $rc" >>"$log"
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		f=1
		echo "no cmocka summary in output (exit status $rc)" >>"$log"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '%-32s %3d passed, %d failed, %d skipped\n' "$label" "$p" "$f" "$s"
	if [ "$f" -gt 0 ]; then
		report_failure "$label" "$log"
	elif [ "$s" -gt 0 ]; then
		grep -A1 '^\[  SKIPPED \] [a-z_]' "$log" | sed 's/^/    /' | head -20
	fi
}

# Runs one test script as one test.
run_script() { # label script
	local label=$1 script=$2 log rc reason tmp
	log=$LOGDIR/$(basename "$script").log
	tmp=$(mktemp -d)
	TMPDIR=$tmp timeout "$TIMEOUT" bash "$script" >"$log" 2>&1 </dev/null
	rc=$?
	rm -rf "$tmp"
	case $rc in
	0)
		passed=$((passed + 1))
		printf '%-32s passed\n' "$label" ;;
	77)
		skipped=$((skipped + 1))
		reason=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
		printf '%-32s SKIPPED: %s\n' "$label" "${reason:-no reason given}" ;;
	*)
		failed=$((failed + 1))
		[ "$rc" -eq 124 ] && echo "timed out after ${TIMEOUT}s" >>"$log"
		printf '%-32s FAILED (exit %d)\n' "$label" "$rc"
		report_failure "$label" "$log" ;;
	esac
}

# Fresh database per test: name from the test and this process.
dbseq=0
with_fresh_db() { # label fn args...
	local label=$1 db
	shift
	dbseq=$((dbseq + 1))
	db=cortest_$(echo "$label" | tr -c 'a-z0-9\n' '_' | cut -c1-30)_$$_$dbseq
	if ! createdb "$db" >"$LOGDIR/createdb.log" 2>&1; then
		failed=$((failed + 1))
		printf '%-32s FAILED: could not create database %s\n' "$label" "$db"
		report_failure "$label" "$LOGDIR/createdb.log"
		return
	fi
	PGDATABASE=$db "$@"
	# The test's database and any it made named after it ("${db}_x").
	for d in $(psql -XAt -d "${PGDATABASE:-postgres}" -v p="${db}_" \
		2>/dev/null <<<"SELECT datname FROM pg_database
		WHERE starts_with(datname, :'p')") "$db"; do
		dropdb --if-exists --force "$d" >/dev/null 2>&1 ||
			echo "warning: could not drop database $d" >&2
	done
}

echo "${bold}unit tests${norm} ($BUILD)"
wrap=()
if [ "${VALGRIND:-0}" = 1 ]; then
	wrap=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible
	      --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99)
fi
n=0
for bin in "$BUILD"/tests/unit/test_*; do
	[ -x "$bin" ] || continue
	n=$((n + 1))
	run_cmocka "unit/$(basename "$bin")" "$bin" "${wrap[@]}"
done
[ "$n" -eq 0 ] && echo "  (no unit test binaries in $BUILD/tests/unit)"

if [ "$MODE" != unit ]; then
	echo "${bold}database tests${norm} (server: host ${PGHOST:-default} port ${PGPORT:-default})"
	dbtests=()
	for bin in "$BUILD"/tests/db/test_*; do
		[ -x "$bin" ] && dbtests+=("$bin")
	done
	for s in tests/db/*.sh; do
		[ -f "$s" ] && dbtests+=("$s")
	done
	if PGCONNECT_TIMEOUT=10 psql -XAtqc 'SELECT 1' -d "${PGDATABASE:-postgres}" \
		>"$LOGDIR/server-check.log" 2>&1; then
		for t in "${dbtests[@]}"; do
			case $t in
			*.sh) with_fresh_db "db/$(basename "$t")" run_script "db/$(basename "$t")" "$t" ;;
			*) with_fresh_db "db/$(basename "$t")" run_cmocka "db/$(basename "$t")" "$t" ;;
			esac
		done
	elif [ "${COR_REQUIRE_DB:-0}" = 1 ]; then
		failed=$((failed + 1))
		echo "${red}FAILED: no PostgreSQL server reachable through the PG* variables; make check needs one${norm}"
		cat "$LOGDIR/server-check.log"
	else
		skipped=$((skipped + ${#dbtests[@]}))
		echo "SKIPPED ${#dbtests[@]} database test(s): no server reachable through the PG* variables ($(head -n 1 "$LOGDIR/server-check.log"))"
	fi
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
