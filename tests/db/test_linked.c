/* tests/db/test_linked.c: disclosure control of a county output linked to
 * the national output (cor_stats_suppress_linked, through cor_stats_run
 * and cor_brief_national). On 20,000 synthetic cases loaded with
 * `corridor load`, for every Kenyan county's brief statistics of 2019Q4
 * against the national ones, cell by cell (rows matched on their code and
 * period cells, independently of the library's matching):
 *  - a count withheld nationally is withheld in the county output when
 *    the two counts are equal (the same cases);
 *  - a count the county output withholds as a complement is never
 *    published nationally with the same value;
 * and the linking is not vacuous: some county cell published without it
 * (no_link) is withheld with it. In every output no published share has
 * a withheld count as its base. Runs in a fresh database
 * (scripts/run-tests.sh). */
#include "support/pgtest.h"

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

static void test_county_linked_to_national(void **state)
{
	cor_brief_req br;
	cor_stats_result *nat = NULL, *nat2 = brief_stats(NULL, 0, NULL);
	cor_err e;
	PGresult *res;
	long equal = 0, linked_only = 0, fixed_seen = 0;

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
	res = PQexec(conn, "SELECT pcode FROM admin1 WHERE country = 'KEN' "
	             "ORDER BY pcode");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(res), 47);
	for (int ci = 0; ci < PQntuples(res); ci++) {
		const char *county = PQgetvalue(res, ci, 0);
		cor_stats_result *c = brief_stats(county, 0, nat);
		cor_stats_result *plain = brief_stats(county, 1, NULL);

		shares_keep_secrets(c, county);

		/* cor_stats_run links by itself when not given the national
		 * result: the same output */
		if (strcmp(county, "KE011") == 0) {
			cor_stats_result *self = brief_stats(county, 0, NULL);

			assert_int_equal(self->suppressed, c->suppressed);
			cor_stats_result_free(self);
		}

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

					if (t->cols[j].type != COR_COL_COUNT)
						continue;
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
					fixed_seen += y->status == COR_CELL_OK;
					linked_only += x->status ==
						COR_CELL_SUPPRESSED &&
						z->status == COR_CELL_OK;
				}
		}
		cor_stats_result_free(c);
		cor_stats_result_free(plain);
	}
	PQclear(res);
	/* the check had cells to check, and linking changed outputs */
	assert_true(equal > 1000);
	assert_true(fixed_seen > 0);
	assert_true(linked_only > 0);
	cor_stats_result_free(nat);
	cor_stats_result_free(nat2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_county_linked_to_national),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
