/* tests/db/test_linked.c: disclosure control of a county output linked to
 * the national output and to the other counties' outputs
 * (cor_stats_suppress_family, through cor_brief_county_family, cor_stats_run
 * and cor_brief_national). On 20,000 synthetic cases loaded with
 * `corridor load`, for every Kenyan county's brief statistics of 2019Q4
 * against the national ones, cell by cell (rows matched on their code and
 * period cells, independently of the library's matching):
 *  - a count withheld nationally is withheld in the county output when
 *    the two counts are equal (the same cases);
 *  - a count the county output withholds as a complement is never
 *    published nationally with the same value;
 *  - for every two counties sharing a case, no count is withheld in one
 *    county's output and published with the same value in the other's
 *    (the check finds such leaks when counties are linked to the national
 *    output only);
 *  - a single county's run gives the same cells as the family;
 * and the linking is not vacuous: some county cell published without it
 * (no_link) is withheld with it. In every output no published share has
 * a withheld count as its base. Runs in a fresh database
 * (scripts/run-tests.sh). */
#include "support/pgtest.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/db.h"
#include "corridor/etl.h"
#include "corridor/pdf.h"
#include "corridor/stats.h"
#include "corridor/synth.h"

static PGconn *conn;
static const unsigned char KEY[] = "corridor-test-pseudonym-key-0002";

static int setup(void **state)
{
	char dir[512], path[600];
	cor_synth_opts so = { 20000, 2019, 2017, 1, 2019, 4 };
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	FILE *fp;

	(void)state;
	conn = cor_test_connect();
	cor_test_schema(conn);
	cor_test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/linked.csv", dir);
	fp = fopen(path, "wb");
	if (fp == NULL)
		return -1;
	cor_err_clear(&e);
	if (cor_synth_write(fp, &so, &e) != 0 || fclose(fp) != 0)
		return -1;
	cor_etl_opts_init(&o);
	o.hmac_key = KEY;
	o.hmac_key_len = sizeof(KEY) - 1;
	if (cor_etl_load_file(conn, path, &o, &r, &e) != 0 ||
	    r.rows_loaded != 20000) {
		fprintf(stderr, "load: %s\n", e.msg);
		return -1;
	}
	cor_test_rmdir(dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	return 0;
}

/* Row i of t as "margin|code|code..." over its CODE and PERIOD cells. */
static void key_of(const cor_stats_table *t, int i, char *buf, size_t n)
{
	size_t o = (size_t)snprintf(buf, n, "%d", t->rows[i].margin);

	for (int j = 0; j < t->ncol && o < n; j++)
		if (t->cols[j].type == COR_COL_CODE ||
		    t->cols[j].type == COR_COL_PERIOD)
			o += (size_t)snprintf(buf + o, n - o, "|%s",
			                      t->rows[i].cells[j].code ?
			                      t->rows[i].cells[j].code : "-");
}

/* Cell of nat matching table t, row i, column j of a county result, or
 * NULL. */
static const cor_stats_cell *twin(const cor_stats_result *nat,
                                  const cor_stats_table *t, int i, int j)
{
	const cor_stats_table *u = cor_stats_table_find(nat, t->name);
	char a[1024], b[1024];
	int j2;

	if (u == NULL)
		return NULL;
	j2 = cor_stats_col_find(u, t->cols[j].key);
	if (j2 < 0)
		return NULL;
	key_of(t, i, a, sizeof(a));
	for (int i2 = 0; i2 < u->nrow; i2++) {
		key_of(u, i2, b, sizeof(b));
		if (strcmp(a, b) == 0)
			return &u->rows[i2].cells[j2];
	}
	return NULL;
}

/* A published share gives away its base (n / share): the test fails when
 * a published share's base is the value of a withheld count of the same
 * output (the Mandera brief printed 99.4% of 155 cases with the total 155
 * withheld). */
/* Table name and row of a withheld count of r equal to v, or NULL. */
static const char *withheld_count(const cor_stats_result *r, long long v,
                                  int *row)
{
	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *u = &r->tables[ti];

		for (int i = 0; i < u->nrow; i++)
			for (int j = 0; j < u->ncol; j++)
				if (u->cols[j].type == COR_COL_COUNT &&
				    u->rows[i].cells[j].status ==
				    COR_CELL_SUPPRESSED &&
				    u->rows[i].cells[j].n == v) {
					*row = i;
					return u->name;
				}
	}
	return NULL;
}

static void shares_keep_secrets(const cor_stats_result *r, const char *who)
{
	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *t = &r->tables[ti];

		for (int i = 0; i < t->nrow; i++)
			for (int j = 0; j < t->ncol; j++) {
				const cor_stats_cell *s = &t->rows[i].cells[j];
				const char *w;
				int wr = -1;

				if (t->cols[j].type != COR_COL_SHARE ||
				    s->status != COR_CELL_OK || s->d <= 0)
					continue;
				w = withheld_count(r, s->d, &wr);
				if (w != NULL)
					fail_msg("%s: %s row %d share of %lld "
					         "gives away withheld %s row %d",
					         who, t->name, i, s->d, w, wr);
			}
	}
}

static cor_stats_result *brief_stats(const char *county, int no_link,
                                     const cor_stats_result *linked)
{
	cor_stats_req rq;
	cor_stats_result *r = NULL;
	cor_err e;

	cor_stats_req_init(&rq);
	rq.kind = COR_STATS_BRIEF;
	snprintf(rq.from, sizeof(rq.from), "2019-10-01");
	snprintf(rq.to, sizeof(rq.to), "2019-12-31");
	rq.county = county;
	rq.no_link = no_link;
	rq.linked = linked;
	cor_err_clear(&e);
	if (cor_stats_run(conn, &rq, &r, &e) != 0)
		fail_msg("stats brief %s: %s", county ? county : "", e.msg);
	return r;
}

/* Row of t with CODE cells a and b in its first two columns (NULL: a
 * margin's Total), or -1. */
static int row_codes(const cor_stats_table *t, const char *a, const char *b)
{
	for (int i = 0; i < t->nrow; i++) {
		const char *ca = t->rows[i].cells[0].code;
		const char *cb = t->ncol > 1 ? t->rows[i].cells[1].code : NULL;

		if ((a == NULL ? ca == NULL : ca && strcmp(a, ca) == 0) &&
		    (b == NULL ? cb == NULL : cb && strcmp(b, cb) == 0))
			return i;
	}
	return -1;
}

static int is_wh(const cor_stats_cell *c)
{
	return c->status == COR_CELL_SUPPRESSED;
}

/* The brief's headline figures against its own tables (fresh-eyes
 * trial: Samburu printed women and girls 5 with the female total
 * withheld, giving the male total): where women and girls equals the
 * female total, both are printed or both withheld; where minors equals
 * the 0-8 and 9-17 totals, minors is not the one unknown of that sum;
 * the previous quarter's count and the series' cell likewise. *checked:
 * equalities found; *forced: headline counts of k or more withheld. */
static void headline_consistent(const cor_stats_result *r, const char *who,
                                long *checked, long *forced)
{
	const cor_stats_table *S = cor_stats_table_find(r, "summary");
	const cor_stats_table *A = cor_stats_table_find(r, "sex_age");
	const cor_stats_table *T = cor_stats_table_find(r, "series");
	int rw, rm, rf, r08, r917;

	assert_non_null(S);
	assert_non_null(A);
	assert_non_null(T);
	rm = row_codes(S, "minors", NULL);
	rw = row_codes(S, "women_girls", NULL);
	assert_true(rm >= 0 && rw >= 0);
	rf = row_codes(A, "female", NULL);
	r08 = row_codes(A, NULL, "0--8");
	r917 = row_codes(A, NULL, "9--17");
	for (int m = 0; m < 2; m++) {
		const cor_stats_cell *h = &S->rows[m == 0 ? rw : rm].cells[1];
		const cor_stats_cell *sh = &S->rows[m == 0 ? rw : rm].cells[2];

		*forced += is_wh(h) && h->n >= r->k;
		/* the shares are of all cases: their base is the printed
		 * (or withheld) case total, never a count of its own */
		if (sh->status == COR_CELL_OK)
			assert_int_equal(sh->d, S->rows[0].cells[1].n);
	}
	if (rf >= 0 && A->rows[rf].cells[2].n == S->rows[rw].cells[1].n) {
		(*checked)++;
		if (is_wh(&A->rows[rf].cells[2]) !=
		    is_wh(&S->rows[rw].cells[1]))
			fail_msg("%s: women and girls %lld %s, female total "
			         "%s", who, S->rows[rw].cells[1].n,
			         is_wh(&S->rows[rw].cells[1]) ? "withheld" :
			         "printed", is_wh(&A->rows[rf].cells[2]) ?
			         "withheld" : "printed");
	}
	if (r917 >= 0) {
		long long sum = A->rows[r917].cells[2].n;
		int unknown = is_wh(&S->rows[rm].cells[1]) +
		              is_wh(&A->rows[r917].cells[2]);

		if (r08 >= 0) {
			sum += A->rows[r08].cells[2].n;
			unknown += is_wh(&A->rows[r08].cells[2]);
		}
		if (sum == S->rows[rm].cells[1].n) {
			(*checked)++;
			if (unknown == 1)
				fail_msg("%s: minors = 0-8 + 9-17 totals with "
				         "one of them withheld", who);
		}
	}
	if (T->nrow >= 2 && T->rows[T->nrow - 2].cells[1].n ==
	    S->rows[0].cells[3].n) {
		(*checked)++;
		if (is_wh(&T->rows[T->nrow - 2].cells[1]) !=
		    is_wh(&S->rows[0].cells[3]))
			fail_msg("%s: previous quarter's cases printed in one "
			         "table and withheld in the other", who);
	}
}

/* A reader's bounds (fifth user trial): a printed count is known, "<k" is
 * 1..k-1, "x" is at least k when its count is (taken so), else at least
 * 1 when it is not 0 (a listed count; a small total printed "x" by the
 * audit's last resort); narrowed over the output's declared constraints
 * (total = sum of members) until nothing moves. Returns the withheld
 * small counts (1..k-1, whatever their marker) whose range is one value
 * (disclosed), written here apart from the library's audit. */
static long pinned_small(const cor_stats_result *r)
{
	const long long big = LLONG_MAX / 4;
	long long *lo, *hi;
	int *off, n = 0, changed = 1;
	long pinned = 0;

	off = calloc((size_t)r->ntable + 1, sizeof(*off));
	assert_non_null(off);
	for (int ti = 0; ti < r->ntable; ti++) {
		off[ti] = n;
		n += r->tables[ti].nrow * r->tables[ti].ncol;
	}
	lo = calloc((size_t)n + 1, sizeof(*lo));
	hi = calloc((size_t)n + 1, sizeof(*hi));
	assert_non_null(lo);
	assert_non_null(hi);
	for (int ti = 0; ti < r->ntable; ti++)
		for (int i = 0; i < r->tables[ti].nrow; i++)
			for (int j = 0; j < r->tables[ti].ncol; j++) {
				const cor_stats_cell *c =
					&r->tables[ti].rows[i].cells[j];
				int x = off[ti] + i * r->tables[ti].ncol + j;

				lo[x] = !is_wh(c) ? c->n : c->primary ? 1 :
				        c->n >= r->k ? r->k : c->n >= 1 ? 1 : 0;
				hi[x] = !is_wh(c) ? c->n : c->primary ?
				        r->k - 1 : big;
			}
	for (int pass = 0; changed && pass < 100; pass++) {
		changed = 0;
		for (int ci = 0; ci < r->ncons; ci++) {
			const cor_stats_constraint *cn = &r->cons[ci];
			int t = off[cn->total.table] + cn->total.row *
			        r->tables[cn->total.table].ncol + cn->total.col;
			long long sl = 0, sh = 0;

			for (int m = 0; m < cn->nmem; m++) {
				int x = off[cn->mem[m].table] + cn->mem[m].row *
				        r->tables[cn->mem[m].table].ncol +
				        cn->mem[m].col;

				sl += lo[x];
				sh = sh >= big || hi[x] >= big ? big :
				     sh + hi[x];
			}
			if (sl > lo[t] || sh < hi[t]) {
				lo[t] = sl > lo[t] ? sl : lo[t];
				hi[t] = sh < hi[t] ? sh : hi[t];
				changed = 1;
			}
			for (int m = 0; m < cn->nmem; m++) {
				int x = off[cn->mem[m].table] + cn->mem[m].row *
				        r->tables[cn->mem[m].table].ncol +
				        cn->mem[m].col;
				long long ol = sl - lo[x];
				long long oh = sh >= big ? big : sh - hi[x];

				if (oh < big && lo[t] - oh > lo[x]) {
					lo[x] = lo[t] - oh;
					changed = 1;
				}
				if (hi[t] < big && hi[t] - ol < hi[x]) {
					hi[x] = hi[t] - ol;
					changed = 1;
				}
			}
		}
	}
	for (int ti = 0; ti < r->ntable; ti++)
		for (int i = 0; i < r->tables[ti].nrow; i++)
			for (int j = 0; j < r->tables[ti].ncol; j++) {
				const cor_stats_cell *c =
					&r->tables[ti].rows[i].cells[j];
				int x = off[ti] + i * r->tables[ti].ncol + j;

				pinned += is_wh(c) && c->n >= 1 &&
				          c->n < r->k &&
				          r->tables[ti].cols[j].type ==
				          COR_COL_COUNT && lo[x] >= hi[x];
			}
	free(lo);
	free(hi);
	free(off);
	return pinned;
}

/* The count the library's own warning declares as determined and left
 * (nothing more could be withheld), 0 without that warning. */
static long declared_stuck(const cor_stats_result *r)
{
	for (int w = 0; w < r->nwarn; w++) {
		long n;

		if (sscanf(r->warnings[w], "disclosure control: %ld withheld",
		           &n) == 1)
			return n;
	}
	return 0;
}

/* 1 when both counts are withheld with different markers ("<k" in one,
 * "x" in the other: the "x" loses its cover; a small total printed "x"
 * by the bounds audit must be "x" wherever it is withheld). */
static int markers_differ(const cor_stats_cell *x, const cor_stats_cell *y)
{
	return x->status == COR_CELL_SUPPRESSED &&
	       y->status == COR_CELL_SUPPRESSED && !x->primary != !y->primary;
}

/* Counts the cells of column type `type` (COUNT: n; SHARE: n and d)
 * equal in a and b (same table, row key and column) and, of those, the
 * ones withheld in one and published in the other (a leak: the published
 * one gives the withheld one back), or withheld in both as counts with
 * different markers ("<k" and "x"); names the first leak when fail is
 * set. */
static void compare_pair(const cor_stats_result *a, const char *an,
                         const cor_stats_result *b, const char *bn,
                         cor_stats_ctype type, int fail, long *equal,
                         long *leaks)
{
	for (int ti = 0; ti < a->ntable; ti++) {
		const cor_stats_table *t = &a->tables[ti];

		for (int i = 0; i < t->nrow; i++)
			for (int j = 0; j < t->ncol; j++) {
				const cor_stats_cell *x = &t->rows[i].cells[j];
				const cor_stats_cell *y;
				int wx, wy;

				if (t->cols[j].type != type ||
				    (type == COR_COL_COUNT && x->n < 1))
					continue;
				y = twin(b, t, i, j);
				if (y == NULL || y->n != x->n || y->d != x->d)
					continue;
				(*equal)++;
				wx = x->status == COR_CELL_SUPPRESSED;
				wy = y->status == COR_CELL_SUPPRESSED;
				if (type == COR_COL_COUNT &&
				    markers_differ(x, y)) {
					(*leaks)++;
					if (fail)
						fail_msg("%s %s row %d col %s = "
						         "%lld is withheld with "
						         "different markers in %s "
						         "and %s", an, t->name, i,
						         t->cols[j].key, x->n,
						         an, bn);
					continue;
				}
				if (wx == wy)
					continue;
				(*leaks)++;
				if (fail)
					fail_msg("%s %s row %d col %s = %lld is "
					         "%s in %s and %s in %s", an,
					         t->name, i, t->cols[j].key,
					         x->n, wx ? "withheld" :
					         "published", an, wx ?
					         "published" : "withheld", bn);
			}
	}
}

/* The same cells with the same status. */
static void same_result(const cor_stats_result *a, const cor_stats_result *b)
{
	assert_int_equal(a->suppressed, b->suppressed);
	assert_int_equal(a->ntable, b->ntable);
	for (int ti = 0; ti < a->ntable; ti++) {
		assert_int_equal(a->tables[ti].nrow, b->tables[ti].nrow);
		for (int i = 0; i < a->tables[ti].nrow; i++)
			for (int j = 0; j < a->tables[ti].ncol; j++) {
				const cor_stats_cell *x =
					&a->tables[ti].rows[i].cells[j];
				const cor_stats_cell *y =
					&b->tables[ti].rows[i].cells[j];

				assert_int_equal(x->status, y->status);
				assert_int_equal(x->n, y->n);
			}
	}
}

static void test_county_family(void **state)
{
	cor_brief_req br;
	cor_stats_result *nat = NULL, *nat2 = brief_stats(NULL, 0, NULL);
	cor_stats_result **fam = NULL, **old;
	cor_stats_cgraph *g = NULL;
	PGconn *conns[2];
	cor_err e;
	PGresult *res;
	long equal = 0, linked_only = 0, fixed_seen = 0, pairs = 0;
	long pequal = 0, pleaks = 0, oequal = 0, oleaks = 0, county_only = 0;
	long hchecked = 0, hforced = 0, npinned = 0, ndeclared = 0;
	long nsmall = 0;

	(void)state;
	/* the brief's national statistics are the plain national run */
	memset(&br, 0, sizeof(br));
	br.quarter = "2019Q4";
	br.k = 5;
	cor_err_clear(&e);
	assert_int_equal(cor_brief_national(conn, &br, &nat, &e), 0);
	assert_int_equal(nat->suppressed, nat2->suppressed);
	assert_true(nat->suppressed > 0);
	shares_keep_secrets(nat, "national");
	headline_consistent(nat, "national", &hchecked, &hforced);
	/* every county's statistics as `brief --county all` makes them,
	 * on two connections (two threads) */
	br.national = nat;
	conns[0] = conn;
	conns[1] = cor_test_connect();
	assert_int_equal(cor_brief_county_family(conns, 2, &br, &g, &fam,
	                                         &e), 0);
	PQfinish(conns[1]);
	assert_int_equal(g->n, 47);
	old = calloc((size_t)g->n, sizeof(*old));
	assert_non_null(old);
	for (int ci = 0; ci < g->n; ci++) {
		const char *county = g->pcode[ci];
		cor_stats_result *c = fam[ci];
		cor_stats_result *plain = brief_stats(county, 1, NULL);

		assert_non_null(c);
		assert_string_equal(c->req.county, county);
		/* linked to the national output only, as before families */
		old[ci] = brief_stats(county, 1, nat);
		shares_keep_secrets(c, county);
		headline_consistent(c, county, &hchecked, &hforced);
		npinned += pinned_small(c);
		ndeclared += declared_stuck(c);
		nsmall += c->suppressed;
		for (int ti = 0; ti < c->ntable; ti++) {
			const cor_stats_table *t = &c->tables[ti];

			for (int i = 0; i < t->nrow; i++)
				for (int j = 0; j < t->ncol; j++) {
					const cor_stats_cell *x =
						&t->rows[i].cells[j];
					const cor_stats_cell *y;
					const cor_stats_cell *z =
						&plain->tables[ti].rows[i]
						.cells[j];
					const cor_stats_cell *o =
						&old[ci]->tables[ti].rows[i]
						.cells[j];

					if (t->cols[j].type != COR_COL_COUNT)
						continue;
					county_only += x->status ==
						COR_CELL_SUPPRESSED &&
						o->status == COR_CELL_OK;
					y = twin(nat, t, i, j);
					if (y == NULL || y->n != x->n)
						continue;
					equal++;
					if (y->status == COR_CELL_SUPPRESSED &&
					    x->status != COR_CELL_SUPPRESSED)
						fail_msg("%s %s row %d col %s: "
						         "%lld withheld "
						         "nationally, published "
						         "here", county,
						         t->name, i,
						         t->cols[j].key, x->n);
					if (x->status == COR_CELL_SUPPRESSED &&
					    !x->primary &&
					    y->status == COR_CELL_OK)
						fail_msg("%s %s row %d col %s: "
						         "complement %lld "
						         "published nationally",
						         county, t->name, i,
						         t->cols[j].key, x->n);
					if (markers_differ(x, y))
						fail_msg("%s %s row %d col %s: "
						         "%lld withheld with "
						         "another marker "
						         "nationally", county,
						         t->name, i,
						         t->cols[j].key, x->n);
					fixed_seen += y->status == COR_CELL_OK;
					linked_only += x->status ==
						COR_CELL_SUPPRESSED &&
						z->status == COR_CELL_OK;
				}
		}
		cor_stats_result_free(plain);
	}
	/* county against county: every pair that shares a case (read from
	 * case_record here, not from the library's graph) */
	res = PQexec(conn, "SELECT DISTINCT a, b FROM case_record,"
	             " unnest(counties) a, unnest(counties) b WHERE a < b");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	for (int r = 0; r < PQntuples(res); r++) {
		int a = cor_stats_cgraph_find(g, PQgetvalue(res, r, 0));
		int b = cor_stats_cgraph_find(g, PQgetvalue(res, r, 1));

		if (a < 0 || b < 0)
			continue;
		pairs++;
		assert_true(g->adj[a * g->n + b] && g->adj[b * g->n + a]);
		compare_pair(fam[a], g->pcode[a], fam[b], g->pcode[b],
		             COR_COL_COUNT, 1,
		             &pequal, &pleaks);
		compare_pair(old[a], g->pcode[a], old[b], g->pcode[b],
		             COR_COL_COUNT, 0,
		             &oequal, &oleaks);
	}
	PQclear(res);
	fprintf(stderr, "# %ld county pairs share cases; %ld equal cells; "
	        "linked to the national output only, %ld of them leaked; "
	        "as a family, %ld (%ld cells withheld for it)\n", pairs,
	        pequal, oleaks, pleaks, county_only);
	/* a single county's run computes the same result as the family */
	for (int ci = 0; ci < g->n; ci++)
		if (strcmp(g->pcode[ci], "KE011") == 0 ||
		    strcmp(g->pcode[ci], "KE047") == 0) {
			cor_stats_result *self = brief_stats(g->pcode[ci], 0,
			                                     NULL);

			same_result(self, fam[ci]);
			cor_stats_result_free(self);
		}
	/* the checks had cells to check, and linking changed outputs: the
	 * pair check fails without the family (oleaks) */
	assert_true(equal > 1000);
	assert_true(fixed_seen > 0);
	assert_true(linked_only > 0);
	assert_true(pairs > 10);
	assert_true(pequal > 200);
	assert_true(oleaks > 0);
	assert_int_equal(pleaks, 0);
	assert_true(county_only > 0);
	/* bounds: no small count is pinned by "<k" / "x" and the totals,
	 * except what the library declares it could not protect */
	npinned += pinned_small(nat);
	ndeclared += declared_stuck(nat);
	fprintf(stderr, "# bounds: %ld small counts pinned (%ld declared), "
	        "of %ld withheld cells in 48 briefs\n", npinned, ndeclared,
	        nsmall);
	assert_true(npinned <= ndeclared);
	/* the headline checks met equalities, and some headline count of
	 * k or more was withheld because of them */
	fprintf(stderr, "# headline equalities checked: %ld; headline counts "
	        ">= k withheld: %ld\n", hchecked, hforced);
	assert_true(hchecked > 40);
	assert_true(hforced > 0);
	for (int ci = 0; ci < g->n; ci++) {
		cor_stats_result_free(fam[ci]);
		cor_stats_result_free(old[ci]);
	}
	free(fam);
	free(old);
	cor_stats_cgraph_free(g);
	cor_stats_result_free(nat);
	cor_stats_result_free(nat2);
}

/* Every kind the brief contains, run on its own for the same quarter
 * (national and two counties), prints exactly the brief's cells: a
 * count or share equal to the brief's is withheld in both or in neither
 * (third user trial: `stats overview` printed the share of women and
 * girls the brief withheld, which gave its base back). */
static void test_kinds_match_brief(void **state)
{
	static const cor_stats_kind kinds[] = {
		COR_STATS_OVERVIEW, COR_STATS_PROFILE, COR_STATS_SEGMENTS,
		COR_STATS_NODES, COR_STATS_COUNTIES, COR_STATS_TREND,
		COR_STATS_OD };
	static const char *const counties[] = { NULL, "KE011", "KE047" };
	long equal = 0, leaks = 0, shares = 0;

	(void)state;
	for (size_t c = 0; c < 3; c++) {
		cor_stats_result *br = brief_stats(counties[c], 0, NULL);

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			cor_stats_req rq;
			cor_stats_result *r = NULL;
			cor_err e;
			char who[64];

			cor_stats_req_init(&rq);
			rq.kind = kinds[k];
			snprintf(rq.from, sizeof(rq.from), "2019-10-01");
			snprintf(rq.to, sizeof(rq.to), "2019-12-31");
			rq.county = counties[c];
			cor_err_clear(&e);
			assert_int_equal(cor_stats_run(conn, &rq, &r, &e), 0);
			snprintf(who, sizeof(who), "%s %s", cor_stats_kind_name(
			         kinds[k]), counties[c] ? counties[c] : "all");
			compare_pair(r, who, br, "the brief", COR_COL_COUNT, 1,
			             &equal, &leaks);
			compare_pair(r, who, br, "the brief", COR_COL_SHARE, 1,
			             &shares, &leaks);
			cor_stats_result_free(r);
		}
		cor_stats_result_free(br);
	}
	fprintf(stderr, "# kinds against the brief: %ld equal counts, %ld "
	        "equal shares\n", equal, shares);
	assert_true(equal > 1000);
	assert_true(shares > 100);
	assert_int_equal(leaks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_county_family),
		cmocka_unit_test(test_kinds_match_brief),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
