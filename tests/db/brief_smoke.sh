#!/bin/bash
# tests/db/brief_smoke.sh: `corridor brief` end to end against the server
# named by PG* (run by scripts/run-tests.sh, which sets CORRIDOR, REPO,
# TMPDIR and a fresh PGDATABASE). Synthetic cases from `corridor synth`;
# no Missing Migrants / UNHCR data (the brief must say so).
# Checks: 3-6 pages (pdfinfo); every font embedded (pdffonts); headline
# figures equal `corridor stats overview --format json`; two runs give
# identical bytes; --no-suppress refused with exit 7; an empty quarter
# renders and says so; the synthetic band on every page; the county brief.
# Exit 0 pass, 77 skip (last line says why), anything else fails.
set -uo pipefail

fail() { echo "FAIL: $*"; exit 1; }
for t in pdfinfo pdffonts pdftotext jq; do
	command -v $t >/dev/null || { echo "skip: $t not installed"; exit 77; }
done
: "${CORRIDOR:?}"
T=${TMPDIR:-/tmp}/brief.$$
mkdir -p "$T" || exit 1
trap 'rm -rf "$T"' EXIT
export CORRIDOR_HMAC_KEY=${CORRIDOR_HMAC_KEY:-0123456789abcdef0123456789abcdef}
unset SOURCE_DATE_EPOCH

$CORRIDOR -q db init || fail "db init"
$CORRIDOR synth --cases 4000 --seed 11 --from 2017Q1 --to 2019Q4 \
	-o "$T/synth.csv" || fail "synth"
$CORRIDOR -q load --format cases "$T/synth.csv" || fail "load"

# --no-suppress is refused (exit 7), and writes nothing
$CORRIDOR brief --quarter 2019Q4 --no-suppress -o "$T/x.pdf" 2>"$T/err"
rc=$?
[ "$rc" -eq 7 ] || fail "--no-suppress gave exit $rc, want 7"
[ ! -e "$T/x.pdf" ] || fail "--no-suppress wrote a file"

$CORRIDOR -q brief --quarter 2019Q4 -o "$T/a.pdf" || fail "brief"
$CORRIDOR -q brief --quarter 2019Q4 -o "$T/b.pdf" || fail "brief (2)"
cmp -s "$T/a.pdf" "$T/b.pdf" || fail "two runs differ"

pages=$(pdfinfo "$T/a.pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
[ "$pages" -ge 3 ] && [ "$pages" -le 6 ] || fail "pages = $pages"
pdfinfo "$T/a.pdf" 2>/dev/null | grep -q '^Author: *corridor$' ||
	fail "author is not corridor"
# pdffonts: skip the 2 header lines; column "emb" is the 3rd from the right
nf=$(pdffonts "$T/a.pdf" 2>/dev/null | tail -n +3 | wc -l)
ne=$(pdffonts "$T/a.pdf" 2>/dev/null | tail -n +3 |
	awk '{ if ($(NF-4) != "yes") bad++ } END { print bad + 0 }')
[ "$nf" -ge 2 ] || fail "only $nf fonts"
[ "$ne" -eq 0 ] || fail "$ne fonts not embedded"

pdftotext -q -enc UTF-8 "$T/a.pdf" "$T/a.txt" || fail "pdftotext"
for bad in nan NaN inf '?'; do
	grep -qF -- "$bad" "$T/a.txt" && grep -wF -- "$bad" "$T/a.txt" &&
		fail "'$bad' printed in the brief"
done
nb=$(grep -c 'SYNTHETIC DATA — NOT FOR PUBLICATION' "$T/a.txt")
[ "$nb" -eq "$pages" ] || fail "synthetic band on $nb of $pages pages"
grep -q 'No Missing Migrants data loaded' "$T/a.txt" ||
	fail "missing Missing Migrants data not stated"
grep -q 'No UNHCR data loaded' "$T/a.txt" || fail "missing UNHCR not stated"
grep -q 'Page 1 of' "$T/a.txt" || fail "no page numbers"

# headline figures against corridor stats overview (JSON)
$CORRIDOR stats overview --from 2019Q4 --to 2019Q4 --format json \
	>"$T/ov.json" || fail "stats overview"
n=$(jq -r '.rows[] | select(.table == "summary" and .measure == "cases")
	| .n' "$T/ov.json" 2>/dev/null)
if [ -z "$n" ] || [ "$n" = null ]; then
	# rows may be grouped per table
	n=$(jq -r '[.. | objects | select(.measure? == "cases")][0].n' \
		"$T/ov.json")
fi
[ -n "$n" ] && [ "$n" != null ] || fail "no cases count in stats JSON"
grep -q "In 2019Q4, $n cases were identified" "$T/a.txt" ||
	fail "summary does not state $n cases"
# the headline box: label and the value as a line of its own
grep -qx 'Cases identified' "$T/a.txt" || fail "no headline box"
grep -qx "$n" "$T/a.txt" || fail "headline figure $n not printed"
for m in minors women_girls; do
	s=$(jq -r "[.. | objects | select(.measure? == \"$m\")][0].share" \
		"$T/ov.json")
	[ -n "$s" ] && [ "$s" != null ] || continue
	pct=$(awk -v s="$s" 'BEGIN { printf "%.1f%%", 100 * s }')
	grep -qF "$pct" "$T/a.txt" || fail "share of $m $pct not in brief"
done

# an empty quarter renders and says so
$CORRIDOR -q brief --quarter 2010Q1 -o "$T/e.pdf" || fail "empty quarter"
pdftotext -q -enc UTF-8 "$T/e.pdf" "$T/e.txt" || fail "pdftotext e"
grep -q 'No cases were recorded' "$T/e.txt" || fail "empty quarter not stated"

# county brief (Isiolo)
$CORRIDOR -q brief --quarter 2019Q4 --county KE011 -o "$T/c.pdf" ||
	fail "county brief"
pdftotext -q -enc UTF-8 "$T/c.pdf" "$T/c.txt" || fail "pdftotext c"
grep -q 'Isiolo County (KE011)' "$T/c.txt" || fail "county brief title"
$CORRIDOR -q brief --quarter 2019Q4 --county KE999 -o "$T/z.pdf" \
	2>/dev/null && fail "unknown county accepted"
[ ! -e "$T/z.pdf" ] || fail "unknown county wrote a file"
echo "ok: $pages pages, fonts embedded, $n cases, byte-identical"
exit 0
