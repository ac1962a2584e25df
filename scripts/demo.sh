#!/bin/bash
# scripts/demo.sh (make demo): corridor's main job, end to end.
#   build -> private PostgreSQL cluster (scripts/pgcluster.sh) -> db init ->
#   synthetic Southern Route cases (corridor synth) -> load the real public
#   datasets in $DATA_DIR and the synthetic file -> stats overview ->
#   quarterly PDF briefs (national and Isiolo county, KE011).
# Re-running is idempotent: the cluster is reused, migrations and loads of
# unchanged files are no-ops, the synthetic file is byte-identical (same
# seed), briefs are rewritten identically.
# A step whose command is not implemented yet (exit 70 "not implemented")
# is reported as "not available yet" and skipped; any other failure stops
# the demo with a non-zero exit.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
DATA_DIR=${DATA_DIR:-../shared/data}
case $DATA_DIR in /*) ;; *) DATA_DIR=$REPO/$DATA_DIR ;; esac
[ -d "$DATA_DIR" ] && DATA_DIR=$(cd "$DATA_DIR" && pwd)
QUARTER=2019Q4
COUNTY=KE011   # Isiolo
SYNTH=var/demo/synthetic-cases.csv
# This tree's migrations, not an installed copy's.
export COR_SQL_DIR=${COR_SQL_DIR:-$REPO/sql}
t0=$(date +%s.%N)
skipped=()
outputs=()

say() { printf '\n== %s\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# step LABEL CMD...: runs CMD; returns 0 ok, 1 not available yet;
# any other failure ends the demo.
step() {
	local label=$1 rc ts
	shift
	say "$label: $*"
	ts=$(date +%s.%N)
	"$@" 2>var/demo/last-stderr
	rc=$?
	cat var/demo/last-stderr >&2
	if [ "$rc" -eq 0 ]; then
		echo "   ok ($(elapsed "$ts") s)"
		return 0
	fi
	if [ "$rc" -eq 70 ] && grep -qi 'not implemented' var/demo/last-stderr; then
		echo "   not available yet: '$1 ${2:-}' is not implemented; skipped"
		skipped+=("$label")
		return 1
	fi
	echo "demo: FAILED at step '$label' (exit $rc)" >&2
	exit 1
}

say "build (make)"
make --no-print-directory || { echo "demo: build failed" >&2; exit 1; }

say "private PostgreSQL cluster (scripts/pgcluster.sh)"
scripts/pgcluster.sh start || { echo "demo: cluster did not start" >&2; exit 1; }
eval "$(scripts/pgcluster.sh env)"
echo "   PGHOST=$PGHOST PGDATABASE=$PGDATABASE PGUSER=$PGUSER"
mkdir -p var/demo out
# Keyed pseudonyms need a key that never enters the database. The demo keeps
# one in var/ (0600) so re-runs link the same cases to the same pseudonyms.
if [ -z "${CORRIDOR_HMAC_KEY:-}${CORRIDOR_HMAC_KEY_FILE:-}" ]; then
	if [ ! -s var/demo/hmac.key ]; then
		(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >var/demo/hmac.key)
	fi
	export CORRIDOR_HMAC_KEY_FILE=$REPO/var/demo/hmac.key
fi

step "schema" ./corridor db init

have_synth=0
if step "synthetic cases" ./corridor synth --cases 20000 --seed 2019 \
	--from 2017Q1 --to 2019Q4 -o "$SYNTH"; then
	have_synth=1
fi

if [ -d "$DATA_DIR" ]; then
	echo
	echo "real datasets: $DATA_DIR"
	load_ok=1
	mmp=("$DATA_DIR"/missing_migrants/*.csv)
	ctdc=("$DATA_DIR"/ctdc/*.csv)
	unhcr=$DATA_DIR/unhcr_refugee_statistics/population.csv
	if [ -e "${mmp[0]}" ]; then
		step "load Missing Migrants incidents" ./corridor load --format mmp "${mmp[@]}" || load_ok=0
	else
		echo "   (no Missing Migrants CSV under $DATA_DIR/missing_migrants)"
	fi
	if [ "$load_ok" = 0 ]; then
		skipped+=("load UNHCR and CTDC (load not available)")
	elif [ -e "$unhcr" ]; then
		step "load UNHCR population stocks" ./corridor load --format unhcr "$unhcr" || load_ok=0
	fi
	if [ "$load_ok" = 1 ] && [ -e "${ctdc[0]}" ]; then
		step "load CTDC case extracts" ./corridor load --format ctdc "${ctdc[@]}" || load_ok=0
	fi
else
	echo
	echo "DATA_DIR $DATA_DIR not found: running on synthetic data alone"
	skipped+=("real datasets (DATA_DIR absent)")
fi
if [ "$have_synth" = 1 ]; then
	step "load synthetic cases" ./corridor load --format cases "$SYNTH" || true
else
	skipped+=("load synthetic cases (needs synth)")
fi

step "statistics" ./corridor stats overview --from "$QUARTER" --to "$QUARTER" || true

if step "brief" ./corridor brief --quarter "$QUARTER" -o "out/brief-$QUARTER.pdf"; then
	outputs+=("out/brief-$QUARTER.pdf")
fi
if step "county brief (Isiolo)" ./corridor brief --quarter "$QUARTER" \
	--county "$COUNTY" -o "out/brief-$QUARTER-$COUNTY.pdf"; then
	outputs+=("out/brief-$QUARTER-$COUNTY.pdf")
fi

say "done in $(elapsed "$t0") s"
[ "$have_synth" = 1 ] && echo "synthetic cases: $REPO/$SYNTH (SYNTHETIC DATA, not for publication)"
for o in "${outputs[@]}"; do
	echo "brief: $REPO/$o"
done
[ ${#outputs[@]} -eq 0 ] && echo "no PDF brief written (brief not available yet)"
if [ ${#skipped[@]} -gt 0 ]; then
	echo "not available yet / skipped:"
	printf '  - %s\n' "${skipped[@]}"
fi
echo "database: $PGDATABASE on $PGHOST (eval \"\$(scripts/pgcluster.sh env)\" to use it; scripts/pgcluster.sh stop to stop)"
exit 0
