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
# renders and says so; the synthetic band on every page; the county brief
# (its figures are cases LINKED to the county, worded so, with the count
# identified in it from `stats brief --county`; page 4 says the public
# sources are not filtered by county); numbers with thousands separators
# (the headline count, >= 1,000 here, as "1,234"); the route map draws
# every leg between places drawn (Musina -> Johannesburg listed) and labels
# Johannesburg and the busiest place; change-point flags in plain words,
# each note once, no CTDC citation without a CTDC batch; every page
# renders (pdftoppm -r 60): one PNG per page and none blank.
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
# 12000 cases: about 1,100 in 2019Q4, so the headline needs a separator
$CORRIDOR synth --cases 12000 --seed 11 --from 2017Q1 --to 2019Q4 \
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
# thousands separators as the brief prints them: 1882 -> 1,882
grp() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[^0-9]\)/\1,\2\3/; ta' <<<"$1"; }
[ "$(grp 1234567)" = 1,234,567 ] && [ "$(grp 999)" = 999 ] ||
	fail "grp helper: $(grp 1234567) $(grp 999)"
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
[ "$n" -ge 1000 ] || fail "fixture: $n cases in 2019Q4, want >= 1000 to" \
	"check thousands separators"
grep -qx "$(grp "$n")" "$T/a.txt" ||
	fail "headline figure $n not printed as $(grp "$n")"
grep -qx "$n" "$T/a.txt" && fail "headline figure $n printed without separator"
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
	if [ "$m" = cases ]; then
		has "vs 2019Q3: $w1" "$m change on the previous quarter"
		has "vs 2018Q4: $w2" "$m change on a year earlier"
		nchk=$((nchk + 2))
	else
		# the earlier quarters' minors and women and girls are
		# published by their own briefs only (not compared here)
		[ "$(get n_previous)" = null ] && [ "$(get rate_ratio)" = null ] ||
			fail "$m of 2019Q3 published in the 2019Q4 output"
		[ "$(get rate_ratio_reason)" = "published in that period's output" ] ||
			fail "$m: no reason for the missing comparison"
	fi
	[ "$m" = cases ] && {
		has "In 2019Q4, $(grp "$n") cases were identified on the Southern Route: $w1 on 2019Q3 and $w2 on 2018Q4." "summary"
		continue
	}
	s=$(get share)
	[ "$s" != null ] || continue
	v=$(awk -v s="$s" -v l="$(get share_ci_low)" -v h="$(get share_ci_high)" \
		-v n="$(grp "$(get n)")" 'BEGIN { printf "%.1f%%|95%% CI %.1f-%.1f%%; %s cases",
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
	has "$(awk -v n="$(grp "$cnt")" -v s="$sh" -v l="$lo" -v h="$hi" 'BEGIN {
		printf "%s cases, %.1f%% (%.1f-%.1f)", n, 100 * s, 100 * l,
		100 * h }')" "leading $t"
	nchk=$((nchk + 2))
	: "$v"
done
grep -E -q '(^|[^0-9.])[-+]0%' "$T/a1.txt" && fail "'-0%' or '+0%' printed"
# age bands in numeric order down the chart: the top of each label
# (pdftotext -bbox, points from the top of its page; extraction order is
# not drawing order)
pdftotext -q -bbox -enc UTF-8 "$T/a.pdf" "$T/a.bbox" || fail "pdftotext -bbox"
prev=0 nb=0
for band in '9–17' '18–20' '21–23' '30–38' '48+'; do
	l=$(grep -F ">$band</word>" "$T/a.bbox" | head -1 |
		sed -n 's/.*yMin="\([0-9.]*\)".*/\1/p')
	[ -n "$l" ] || continue
	awk -v a="$l" -v b="$prev" 'BEGIN { exit !(a > b) }' ||
		fail "age band $band out of order (y $l after $prev)"
	prev=$l
	nb=$((nb + 1))
done
[ "$nb" -ge 3 ] || fail "only $nb age band labels found"
# disclosure control is joint: the cells withheld are those of one
# `stats brief` request (no Missing Migrants / UNHCR data: no other)
$CORRIDOR stats brief --from 2019Q4 --to 2019Q4 --format json \
	>"$T/br.json" || fail "stats brief"
sup=$(jq .cells_suppressed "$T/br.json")
has "Cells withheld in this brief: $(grp "$sup")." "joint suppression count"

# route map: every leg between places drawn, not only the busiest; the
# legs not in the table are listed under it ("Other legs on the map")
ml=$(jq -r '[.rows[] | select(.table == "legs" and .margin == false and
	.from == "ZA-MUSINA" and .to == "ZA-JOHANNESBURG")][0].n // empty' \
	"$T/br.json")
[ -n "$ml" ] && [ "$ml" != null ] ||
	fail "fixture: no Musina -> Johannesburg leg in stats brief"
grep -qE "Musina \(ZA\) (→ )?Johannesburg \(ZA\)( $(grp "$ml")[;.]| $(grp "$ml") )" \
	"$T/a1.txt" || fail "leg Musina -> Johannesburg ($ml) not listed"
# the key stars a place the map could not label: Johannesburg and the
# busiest place (Moyale (ET) here) are labelled
grep -qx 'Johannesburg (ZA)' "$T/a.txt" || fail "no Johannesburg label"
grep -q 'Johannesburg (ZA) \*' "$T/a.txt" && fail "Johannesburg not labelled"
top=$(jq -r '[.rows[] | select(.table == "nodes" and .margin == false and
	.suppressed == false)] | max_by(.n) | "\(.place_name) (\(.place[0:2]))"' \
	"$T/br.json")
grep -q "^$top" "$T/a.txt" || fail "busiest place $top not in the key"
grep -q "^$top.* \*\$" "$T/a.txt" && fail "busiest place $top not labelled"
# notes: change points in plain words, once each; no jargon, no repeats
grep -qE 'Note \(|\(PELT\)|^flag:' "$T/a.txt" && fail "statistics jargon in notes"
nq=0
for q in $(jq -r '.warnings[] | select(startswith("flag: ")) |
	capture("from (?<q>[0-9]{4}Q[1-4])").q' "$T/br.json"); do
	nq=$((nq + 1))
	c=$(grep -cF "may have shifted in $q (automatic change-point flag, not a finding)." "$T/a.txt")
	[ "$c" -eq 1 ] || fail "change point $q stated $c times"
done
[ "$nq" -ge 1 ] || echo "note: no change-point flag in this fixture," \
	"wording not checked"
grep -q 'not a finding).*not a finding' "$T/a.txt" && fail "flag worded twice"
d=$(grep '^Note: ' "$T/a.txt" | sort | uniq -d)
[ -z "$d" ] || fail "note repeated: $d"
grep -q 'CTDC' "$T/a.txt" && fail "CTDC cited without a CTDC batch"

# an empty quarter renders and says so
$CORRIDOR -q brief --quarter 2010Q1 -o "$T/e.pdf" || fail "empty quarter"
pdftotext -q -enc UTF-8 "$T/e.pdf" "$T/e.txt" || fail "pdftotext e"
grep -q 'No cases were recorded' "$T/e.txt" || fail "empty quarter not stated"

# county brief (Isiolo)
$CORRIDOR -q brief --quarter 2019Q4 --county KE011 -o "$T/c.pdf" ||
	fail "county brief"
pdftotext -q -enc UTF-8 "$T/c.pdf" "$T/c.txt" || fail "pdftotext c"
grep -q 'Isiolo County (KE011)' "$T/c.txt" || fail "county brief title"
# the county request counts cases identified in, coming from or routed
# through the county: worded so, with the count identified in it
tr '\n' ' ' <"$T/c.txt" | tr -s ' ' >"$T/c1.txt"
$CORRIDOR stats brief --from 2019Q4 --to 2019Q4 --county KE011 \
	--format json >"$T/cbr.json" || fail "stats brief --county"
cn=$(jq -r '[.rows[] | select(.table == "summary" and .measure == "cases")][0].n' \
	"$T/cbr.json")
ci=$(jq -r '[.rows[] | select(.table == "counties" and .county == "KE011")][0] |
	if .suppressed then "x" else .n end' "$T/cbr.json")
[ -n "$cn" ] && [ "$cn" != null ] && [ -n "$ci" ] && [ "$ci" != null ] ||
	fail "no county counts in stats brief --county"
[ "$ci" = x ] || [ "$ci" -le "$cn" ] || fail "identified $ci > linked $cn"
grep -qx 'Cases linked to Isiolo' "$T/c.txt" || fail "county headline label"
grep -qx "$(grp "$cn")" "$T/c.txt" || fail "county headline $cn not printed"
grep -qF "cases were linked to Isiolo (identified in, coming from or passing through the county)" \
	"$T/c1.txt" || fail "county summary wording"
grep -qF "$(grp "$cn") cases were linked to Isiolo" "$T/c1.txt" ||
	fail "county summary count"
[ "$ci" = x ] || grep -qF "Of these, $(grp "$ci") were identified in Isiolo itself." \
	"$T/c1.txt" || fail "identified-in count $ci not stated"
grep -q 'cases were identified in Isiolo' "$T/c1.txt" &&
	fail "county count worded as identified in the county"
grep -qF 'Not filtered by county' "$T/c1.txt" ||
	fail "county page 4 does not say the public sources are route-wide"
rc=0
$CORRIDOR -q brief --quarter 2019Q4 --county KE999 -o "$T/z.pdf" \
	2>"$T/z.err" || rc=$?
# a usage error (2), as for `corridor stats --county KE999`
[ "$rc" -eq 2 ] || fail "unknown county: exit $rc, want 2"
grep -q "unknown county" "$T/z.err" || fail "unknown county: no reason"
[ ! -e "$T/z.pdf" ] || fail "unknown county wrote a file"
# --county all: one brief per Kenyan county, by two worker processes,
# each the same bytes as the single-county command
$CORRIDOR -q brief --quarter 2019Q4 --county all --jobs 2 -o "$T/all" ||
	fail "brief --county all"
nall=$(ls "$T/all" | grep -c '^brief-2019Q4-KE0[0-4][0-9]\.pdf$')
want=$(psql -XAtq -c "SELECT count(*) FROM admin1 WHERE country = 'KEN'")
[ "$nall" -eq "$want" ] && [ "$want" -eq 47 ] ||
	fail "--county all wrote $nall briefs, want $want (47 counties)"
cmp -s "$T/c.pdf" "$T/all/brief-2019Q4-KE011.pdf" ||
	fail "--county all: KE011 differs from --county KE011"
# every county brief rests on the synthetic case records, also one with
# no case in the quarter (its "no cases" statements come from them): the
# band on page 1 and the synthetic batch among the batches used
nzero=0
for f in "$T"/all/*.pdf; do
	pdftotext "$f" "$T/one.txt" 2>/dev/null || fail "pdftotext $f"
	grep -q 'SYNTHETIC DATA — NOT FOR PUBLICATION' "$T/one.txt" ||
		fail "$(basename "$f") has no synthetic-data band"
	if grep -q 'No recorded case in any of its 47 rows' "$T/one.txt"; then
		nzero=$((nzero + 1))
		grep -q 'rows with no recorded case left out' "$T/one.txt" &&
			fail "$(basename "$f"): contradictory county table note"
		grep -q '(synthetic)' "$T/one.txt" ||
			fail "$(basename "$f"): synthetic batch not among those used"
	fi
done
[ "$nzero" -gt 0 ] || fail "no county without cases to check"
$CORRIDOR -q brief --quarter 2019Q4 --county all --jobs 1 -o "$T/all1" ||
	fail "brief --county all --jobs 1"
for f in "$T"/all/*.pdf; do
	cmp -s "$f" "$T/all1/$(basename "$f")" ||
		fail "--jobs 1 and --jobs 2 differ for $(basename "$f")"
done
$CORRIDOR -q brief --quarter 2019Q4 --county KE011 --jobs 2 -o "$T/j.pdf" \
	2>/dev/null && fail "--jobs accepted without --county all"
echo "ok: $pages pages rendered non-blank, fonts embedded, --county all $nall briefs, $nchk headline figures equal stats overview, $sup cells withheld jointly, byte-identical, county wording ($cn linked, $ci identified), Musina -> Johannesburg $ml listed"
exit 0
