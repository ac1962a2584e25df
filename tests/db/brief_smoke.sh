#!/bin/bash
# tests/db/brief_smoke.sh: `corridor brief` end to end against the server
# named by PG* (run by scripts/run-tests.sh, which sets CORRIDOR, REPO,
# TMPDIR and a fresh PGDATABASE). Synthetic cases from `corridor synth`;
# no Missing Migrants / UNHCR data (the brief must say so).
# Checks: 3-6 pages (pdfinfo); every font embedded (pdffonts); every
# headline figure (counts, shares with CI, changes in words, leading
# exploitation and citizenship, the summary sentence) equals `corridor
# stats overview --format json`; no "-0%"; the cells withheld equal one
# `corridor stats brief` request (joint suppression); two runs give
# identical bytes; --no-suppress refused with exit 7; an empty quarter
# renders and says so; the synthetic band on every page; the county brief;
# every page renders (pdftoppm -r 60): one PNG per page and none blank.
# Exit 0 pass, 77 skip (last line says why), anything else fails.
set -uo pipefail

fail() { echo "FAIL: $*"; exit 1; }
for t in pdfinfo pdffonts pdftotext pdftoppm od jq; do
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

# --no-suppress is refused (exit 7) before any connection, and writes
# nothing
PGHOST=/nonexistent PGPORT=1 $CORRIDOR brief --quarter 2019Q4 --no-suppress 	-o "$T/x.pdf" 2>"$T/err"
rc=$?
[ "$rc" -eq 7 ] || fail "--no-suppress without a server gave exit $rc, want 7"
$CORRIDOR brief --quarter 2019Q4 --no-suppress -o "$T/x.pdf" 2>"$T/err"
rc=$?
[ "$rc" -eq 7 ] || fail "--no-suppress gave exit $rc, want 7"
[ ! -e "$T/x.pdf" ] || fail "--no-suppress wrote a file"

$CORRIDOR -q brief --quarter 2019Q4 -o "$T/a.pdf" || fail "brief"
$CORRIDOR -q brief --quarter 2019Q4 -o "$T/b.pdf" || fail "brief (2)"
cmp -s "$T/a.pdf" "$T/b.pdf" || fail "two runs differ"

pages=$(pdfinfo "$T/a.pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
[ "$pages" -ge 3 ] && [ "$pages" -le 6 ] || fail "pages = $pages"
# every page renders: pdftoppm -png -r 60 gives one PNG per page, each
# larger than a blank page (an empty A4 page is 2 KB at 60 dpi), and in
# the same pages drawn grey every page has at least 1% ink (bytes < 200 of
# 255 in the 8-bit PGM pixels after its 3-line header)
pdftoppm -png -r 60 "$T/a.pdf" "$T/png" 2>"$T/ppm.err" ||
	fail "pdftoppm -png: $(cat "$T/ppm.err")"
npng=$(find "$T" -maxdepth 1 -name 'png-*.png' | wc -l)
[ "$npng" -eq "$pages" ] ||
	fail "$npng PNG pages rendered, pdfinfo says $pages"
for f in "$T"/png-*.png; do
	sz=$(stat -c %s "$f")
	[ "$sz" -gt 8000 ] || fail "$(basename "$f") is $sz bytes: blank page?"
done
pdftoppm -gray -r 60 "$T/a.pdf" "$T/gray" 2>"$T/ppm.err" ||
	fail "pdftoppm -gray: $(cat "$T/ppm.err")"
for f in "$T"/gray-*.pgm; do
	read -r w h < <(head -c 64 "$f" | awk 'NR == 2 { print $1, $2 }')
	[ "${w:-0}" -gt 0 ] && [ "${h:-0}" -gt 0 ] || fail "$f: not a PGM"
	ink=$(tail -c "$((w * h))" "$f" | od -An -v -tu1 |
		awk '{ for (i = 1; i <= NF; i++) if ($i < 200) n++ }
		END { print n + 0 }')
	[ "$((ink * 100))" -ge "$((w * h))" ] ||
		fail "$(basename "$f"): $ink of $((w * h)) pixels inked:" \
			"blank page?"
done
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

# headline figures against corridor stats overview (JSON): every figure
# printed in the six boxes and the summary sentence
$CORRIDOR stats overview --from 2019Q4 --to 2019Q4 --format json \
	>"$T/ov.json" || fail "stats overview"
tr '\n' ' ' <"$T/a.txt" | tr -s ' ' >"$T/a1.txt"
has() { grep -qF -- "$1" "$T/a1.txt" || fail "brief lacks '$1' ($2)"; }
row() { jq -c "[.rows[] | select(.table == \"$1\" and .margin == false)]$2" \
	"$T/ov.json"; }
# change words as cor_stats_change_words, with "-0%" printed "0%"
words() {
	awk -v rr="$1" -v lo="$2" -v hi="$3" 'BEGIN {
		p = 100 * (rr - 1); l = 100 * (lo - 1); h = 100 * (hi - 1)
		r = p < 0 ? -int(-p + 0.5) : int(p + 0.5)
		if (r == 0) s = sprintf("no change (95%% CI %.0f%% to %.0f%%)", l, h)
		else s = sprintf("%s %.0f%% (95%% CI %.0f%% to %.0f%%)",
			p > 0 ? "up" : "down", p < 0 ? -p : p, l, h)
		gsub(/ -0%/, " 0%", s); print s }'
}
n=$(row summary '[] | select(.measure == "cases") | .n')
[ -n "$n" ] && [ "$n" != null ] || fail "no cases count in stats JSON"
grep -qx 'Cases identified' "$T/a.txt" || fail "no headline box"
grep -qx "$n" "$T/a.txt" || fail "headline figure $n not printed"
nchk=1
for m in cases minors women_girls; do
	r=$(row summary "[] | select(.measure == \"$m\")")
	[ -n "$r" ] || fail "no $m row in stats JSON"
	get() { jq -r ".$1" <<<"$r"; }
	w1=$(words "$(get rate_ratio)" "$(get rr_ci_low)" "$(get rr_ci_high)")
	w2=$(words "$(get rr_year_ago)" "$(get rr_year_ago_ci_low)" \
		"$(get rr_year_ago_ci_high)")
	[ "$(get rate_ratio)" = null ] && w1="n/a"
	[ "$(get rr_year_ago)" = null ] && w2="n/a"
	has "vs 2019Q3: $w1" "$m change on the previous quarter"
	has "vs 2018Q4: $w2" "$m change on a year earlier"
	nchk=$((nchk + 2))
	[ "$m" = cases ] && {
		has "In 2019Q4, $n cases were identified in the Southern Route: $w1 on 2019Q3 and $w2 on 2018Q4." "summary"
		continue
	}
	s=$(get share)
	[ "$s" != null ] || continue
	v=$(awk -v s="$s" -v l="$(get share_ci_low)" -v h="$(get share_ci_high)" \
		-v n="$(get n)" 'BEGIN { printf "%.1f%%|95%% CI %.1f-%.1f%%; %d cases",
		100 * s, 100 * l, 100 * h, n }')
	grep -qx -- "${v%%|*}" "$T/a.txt" || fail "share of $m ${v%%|*} not printed"
	has "${v#*|}" "share of $m: interval and count"
	nchk=$((nchk + 1))
done
for t in exploitation citizenship; do
	r=$(row $t '[0]')
	[ "$r" != null ] || continue
	nm=$(jq -r "if .${t}_name then .${t}_name else .$t end" <<<"$r" |
		tr '_' ' ' | awk '{ print toupper(substr($0, 1, 1)) substr($0, 2) }')
	v=$(jq -r '"\(.n) cases, \(.share * 1000 | round / 10)"' <<<"$r")
	grep -qx "$nm" "$T/a.txt" || fail "leading $t '$nm' not printed"
	cnt=$(jq -r .n <<<"$r")
	sh=$(jq -r .share <<<"$r")
	lo=$(jq -r .share_ci_low <<<"$r")
	hi=$(jq -r .share_ci_high <<<"$r")
	has "$(awk -v n="$cnt" -v s="$sh" -v l="$lo" -v h="$hi" 'BEGIN {
		printf "%d cases, %.1f%% (%.1f-%.1f)", n, 100 * s, 100 * l,
		100 * h }')" "leading $t"
	nchk=$((nchk + 2))
	: "$v"
done
grep -E -q '(^|[^0-9.])[-+]0%' "$T/a1.txt" && fail "'-0%' or '+0%' printed"
# age bands in numeric order in the chart (drawn, hence extracted, top down)
prev=0
for band in '9–17' '18–20' '21–23' '30–38' '48+'; do
	l=$(grep -nx -- "$band" "$T/a.txt" | head -1 | cut -d: -f1)
	[ -n "$l" ] || continue
	[ "$l" -gt "$prev" ] || fail "age band $band out of order"
	prev=$l
done
[ "$prev" -gt 0 ] || fail "no age band label found"
# disclosure control is joint: the cells withheld are those of one
# `stats brief` request (no Missing Migrants / UNHCR data: no other)
sup=$($CORRIDOR stats brief --from 2019Q4 --to 2019Q4 --format json |
	jq .cells_suppressed)
has "Cells withheld in this brief: $sup." "joint suppression count"

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
echo "ok: $pages pages rendered non-blank, fonts embedded, $nchk headline figures equal stats overview, $sup cells withheld jointly, byte-identical"
exit 0
