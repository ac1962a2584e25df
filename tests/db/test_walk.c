/* tests/db/test_walk.c: the route walk behind `corridor stats segments`,
 * `nodes` and `counties` (analysis/stats_query.c streams each case's route
 * and aggregates it in C) against the SQL definition of those figures,
 * computed here by independent queries with unnest over the route arrays:
 * legs from unnest(route[:cardinality(route) - 1], route[2:]), places and
 * roles from unnest(route) WITH ORDINALITY, medians and quartiles of fees
 * and days from percentile_cont (R's quantile type 7). The fixture has the
 * routes that are easy to get wrong: a place visited twice, one-place
 * routes, NULL fee or days, a NULL element, elements array_out quotes
 * (blank, comma, backslash, double quote, the word NULL, the empty
 * string), a lower bound other than 1 and a two-dimensional route. Runs
 * in a fresh database (scripts/run-tests.sh); schema from cor_db_migrate. */
#include "support/pgtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/db.h"
#include "corridor/stats.h"

static PGconn *conn;

/* Batch 1 (cases). 2019Q4: the edge cases; 2019Q3: one case outside the
 * window. 2018Q1 (filled by test_many): 25000 generated cases, enough for
 * several fetches of the cursor and for the hashes to grow. */
static const char *fixture =
	"INSERT INTO batch (id, sha256, format, file_name, corridor_version,"
	" synthetic) VALUES"
	" (1, repeat('a', 64), 'cases', 'walk.csv', 'test', false);"
	"CREATE TEMP TABLE w (n int, route text[], ip text, fee numeric,"
	" days int, county text);"
	"INSERT INTO w VALUES"
	/* plain, with an interception at the last place */
	" (9, '{ET-MOYALE,KE-MOYALE,KE-MARSABIT,KE-ISIOLO}', NULL, 400, 30,"
	"  'KE011'),"
	" (3, '{ET-MOYALE,KE-MOYALE,KE-ISIOLO}', 'KE-ISIOLO', 200.50, 10,"
	"  'KE011'),"
	/* intercepted place not last: the last place is a destination */
	" (2, '{ET-MOYALE,KE-MOYALE,KE-ISIOLO}', 'KE-MOYALE', 123.45, 12,"
	"  NULL),"
	/* a place visited twice, the county left and entered again */
	" (2, '{ET-MOYALE,KE-MOYALE,KE-ISIOLO,KE-MOYALE,KE-NAIROBI}', NULL,"
	"  100, 5, 'KE047'),"
	/* one-place routes, intercepted there or not */
	" (3, '{KE-ISIOLO}', 'KE-ISIOLO', 50, 1, 'KE011'),"
	" (2, '{KE-MOYALE}', NULL, NULL, NULL, NULL),"
	/* NULL fee, NULL days, zero fee */
	" (2, '{ET-MOYALE,KE-MOYALE}', NULL, NULL, 7, NULL),"
	" (1, '{ET-MOYALE,KE-MOYALE}', NULL, 50, NULL, NULL),"
	" (1, '{ET-MOYALE,KE-MOYALE}', NULL, 0, 0, NULL),"
	/* NULL elements, inside and last */
	" (2, ARRAY['ET-MOYALE', NULL, 'KE-ISIOLO'], NULL, 300, 20, NULL),"
	" (1, ARRAY['ET-MOYALE', 'KE-MOYALE', NULL], 'KE-MOYALE', 310, 21,"
	"  NULL),"
	/* elements array_out quotes; "" and NULL share the key "" */
	" (1, ARRAY['KE MOYALE', 'a,b', 'KE-ISIOLO'], NULL, 250, 9, NULL),"
	" (1, ARRAY['NULL', 'x\"y\\z', '{}', ''], NULL, 260, 8, NULL),"
	" (1, ARRAY['', 'KE-ISIOLO'], 'KE-ISIOLO', 300, 20, NULL),"
	/* lower bound 0 and 3; two dimensions */
	" (2, '[0:2]={ET-MOYALE,KE-MOYALE,KE-ISIOLO}', NULL, 400, 30, NULL),"
	" (1, '[3:5]={ET-MOYALE,KE-MOYALE,KE-ISIOLO}', NULL, 401, 31, NULL),"
	" (1, '{{ET-MOYALE,KE-MOYALE},{KE-MARSABIT,KE-ISIOLO}}', 'KE-ISIOLO',"
	"  402, 32, NULL),"
	" (1, '{{ET-MOYALE,KE-MOYALE,KE-ISIOLO}}', NULL, 403, 33, NULL),"
	/* empty route: no legs, no places */
	" (2, '{}', NULL, 500, 40, NULL);"
	"INSERT INTO case_record (batch_id, registration_date,"
	" registration_year, case_type, sex, citizenship, route,"
	" interception_place, identification_county, fee_usd,"
	" days_in_transit)"
	" SELECT 1, '2019-11-10', 2019, 'smuggling', 'male', 'ETH', w.route,"
	"  w.ip, w.county, w.fee, w.days"
	" FROM w, generate_series(1, w.n);"
	"INSERT INTO case_record (batch_id, registration_date,"
	" registration_year, case_type, route, fee_usd, days_in_transit)"
	" VALUES (1, '2019-08-01', 2019, 'smuggling',"
	"  '{ET-MOYALE,KE-NAIROBI}', 999, 99);";

/* Rows written with SQL get what the loader derives (sql/006: counties,
 * quarterly counts) from cor_test_fixture. */
static int setup(void **state)
{
	(void)state;
	conn = cor_test_fixture(fixture);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	return 0;
}

/* Runs kind over quarter q (e.g. "2019Q4"), county filter or NULL,
 * without suppression so every count can be compared. */
static cor_stats_result *run(cor_stats_kind kind, const char *q,
                             const char *county)
{
	cor_stats_req req;
	cor_stats_result *r = NULL;
	cor_err err;

	cor_stats_req_init(&req);
	req.kind = kind;
	req.no_suppress = 1;
	req.county = county;
	cor_err_clear(&err);
	assert_int_equal(cor_stats_parse_bound(q, 0, req.from, &err), 0);
	assert_int_equal(cor_stats_parse_bound(q, 1, req.to, &err), 0);
	if (cor_stats_run(conn, &req, &r, &err) != 0)
		fail_msg("cor_stats_run: %s", err.msg);
	assert_non_null(r);
	return r;
}

/* The reference query sql with $1, $2 the window's dates and $3 the
 * county or NULL; fails unless it returns rows. */
static PGresult *ref(const char *sql, const char *from, const char *to,
                     const char *county)
{
	const char *p[3] = { from, to, county };
	PGresult *res = PQexecParams(conn, sql, 3, NULL, p, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("reference query: %s", PQerrorMessage(conn));
	return res;
}

/* Cases of the window as the kinds select them (batch format cases). */
#define CASES_FROM \
	" FROM case_record c JOIN batch b ON b.id = c.batch_id" \
	" AND b.active AND b.format = 'cases'"
#define CASES_WHERE \
	" WHERE c.registration_date BETWEEN $1::date AND $2::date" \
	" AND ($3::text IS NULL OR c.counties @> ARRAY[$3::text]) "

/* Legs by the SQL definition: total, then per value (fee, days) the
 * count of non-NULL values, median, first and third quartile. Ordered as
 * the legs table: cases descending, then from and to in byte order. */
static const char *ref_legs =
	"SELECT coalesce(u.f, ''), coalesce(u.t, ''), count(*),"
	" count(c.fee_usd),"
	" percentile_cont(0.5) WITHIN GROUP (ORDER BY c.fee_usd::float8),"
	" percentile_cont(0.25) WITHIN GROUP (ORDER BY c.fee_usd::float8),"
	" percentile_cont(0.75) WITHIN GROUP (ORDER BY c.fee_usd::float8),"
	" count(c.days_in_transit),"
	" percentile_cont(0.5) WITHIN GROUP (ORDER BY c.days_in_transit),"
	" percentile_cont(0.25) WITHIN GROUP (ORDER BY c.days_in_transit),"
	" percentile_cont(0.75) WITHIN GROUP (ORDER BY c.days_in_transit)"
	CASES_FROM ", LATERAL unnest(c.route[:cardinality(c.route) - 1],"
	" c.route[2:]) AS u(f, t)" CASES_WHERE
	" AND cardinality(c.route) >= 2 GROUP BY 1, 2 ORDER BY 3 DESC,"
	" coalesce(u.f, '') COLLATE \"C\", coalesce(u.t, '') COLLATE \"C\"";

static long long lv(const PGresult *res, int i, int j)
{
	return strtoll(PQgetvalue(res, i, j), NULL, 10);
}

static const char *code_of(const cor_stats_table *t, int row, const char *k)
{
	const char *c = t->rows[row].cells[cor_stats_col_find(t, k)].code;

	return c != NULL ? c : "";
}

static const cor_stats_cell *cell(const cor_stats_table *t, int row,
                                  const char *k)
{
	int col = cor_stats_col_find(t, k);

	assert_true(col >= 0);
	return &t->rows[row].cells[col];
}

/* Median, quartiles and n of DIST cell c against reference columns j (n),
 * j + 1 .. j + 3 (median, q1, q3); tolerance 1e-9 relative. */
static void check_dist(const cor_stats_cell *c, const PGresult *res, int i,
                       int j, const char *what)
{
	long long n = lv(res, i, j);

	if (n == 0) {
		assert_int_equal(c->status, COR_CELL_NA);
		return;
	}
	if (c->status != COR_CELL_OK || c->n != n)
		fail_msg("%s row %d: status %d n %lld, expected n %lld", what,
		         i, (int)c->status, c->n, n);
	for (int k = 0; k < 3; k++) {
		double want = strtod(PQgetvalue(res, i, j + 1 + k), NULL);
		double got = k == 0 ? c->v : k == 1 ? c->q1 : c->q3;

		if (fabs(got - want) > 1e-9 * (1.0 + fabs(want)))
			fail_msg("%s row %d stat %d: %.17g, expected %.17g",
			         what, i, k, got, want);
	}
	assert_true(c->lo <= c->v && c->v <= c->hi);
}

static void check_legs(const char *q, const char *from, const char *to,
                       const char *county, int min_rows)
{
	cor_stats_result *r = run(COR_STATS_SEGMENTS, q, county);
	const cor_stats_table *t = cor_stats_table_find(r, "legs");
	PGresult *res = ref(ref_legs, from, to, county);
	int nr = PQntuples(res);

	assert_non_null(t);
	assert_true(nr >= min_rows);
	assert_int_equal(t->nrow, nr);
	for (int i = 0; i < nr; i++) {
		if (strcmp(code_of(t, i, "from"), PQgetvalue(res, i, 0)) != 0 ||
		    strcmp(code_of(t, i, "to"), PQgetvalue(res, i, 1)) != 0)
			fail_msg("legs row %d: %s > %s, expected %s > %s", i,
			         code_of(t, i, "from"), code_of(t, i, "to"),
			         PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		assert_int_equal(cell(t, i, "n")->n, lv(res, i, 2));
		check_dist(cell(t, i, "fee_usd"), res, i, 3, "fee");
		check_dist(cell(t, i, "days"), res, i, 7, "days");
	}
	PQclear(res);
	cor_stats_result_free(r);
}

/* Places by the SQL definition of the roles (route_step, migration 005):
 * origin, transit, interception, destination; byte order of the ids. */
static const char *ref_nodes =
	"SELECT coalesce(s.pid, ''), count(*) FILTER (WHERE s.role = 0),"
	" count(*) FILTER (WHERE s.role = 1),"
	" count(*) FILTER (WHERE s.role = 2),"
	" count(*) FILTER (WHERE s.role = 3), count(*) FROM ("
	" SELECT u.pid, CASE WHEN u.seq = cardinality(c.route)"
	"  AND u.pid = c.interception_place THEN 2"
	"  WHEN u.seq = cardinality(c.route) THEN 3"
	"  WHEN u.seq = 1 THEN 0 ELSE 1 END AS role"
	CASES_FROM ", LATERAL unnest(c.route) WITH ORDINALITY AS u(pid, seq)"
	CASES_WHERE ") s"
	" GROUP BY 1 ORDER BY coalesce(s.pid, '') COLLATE \"C\"";

static void check_nodes(const char *q, const char *from, const char *to,
                        const char *county, int min_rows)
{
	static const char *keys[] = { "n_origin", "n_transit",
	                              "n_interception", "n_destination", "n" };
	cor_stats_result *r = run(COR_STATS_NODES, q, county);
	const cor_stats_table *t = cor_stats_table_find(r, "nodes");
	PGresult *res = ref(ref_nodes, from, to, county);
	int nr = PQntuples(res);

	assert_non_null(t);
	assert_true(nr >= min_rows);
	/* the places, then the margin row of cases with a known route */
	assert_int_equal(t->nrow, nr + 1);
	assert_true(t->rows[nr].margin);
	for (int i = 0; i < nr; i++) {
		if (strcmp(code_of(t, i, "place"), PQgetvalue(res, i, 0)) != 0)
			fail_msg("nodes row %d: %s, expected %s", i,
			         code_of(t, i, "place"), PQgetvalue(res, i, 0));
		for (int k = 0; k < 5; k++)
			if (cell(t, i, keys[k])->n != lv(res, i, 1 + k))
				fail_msg("nodes %s %s: %lld, expected %lld",
				         PQgetvalue(res, i, 0), keys[k],
				         cell(t, i, keys[k])->n,
				         lv(res, i, 1 + k));
	}
	PQclear(res);
	cor_stats_result_free(r);
}

/* Counties: a route's last leg ending in a county makes it the
 * destination; another leg ending there from outside the county (or from
 * an unknown or NULL place) a transit. */
static const char *ref_counties =
	"WITH l AS (SELECT u.f, u.t, u.i = cardinality(c.route) - 1 AS last"
	CASES_FROM ", LATERAL unnest(c.route[:cardinality(c.route) - 1],"
	" c.route[2:]) WITH ORDINALITY AS u(f, t, i)" CASES_WHERE
	" AND cardinality(c.route) >= 2)"
	" SELECT k.pcode,"
	" count(l.t) FILTER (WHERE NOT l.last AND pf.admin1 IS DISTINCT FROM"
	"  k.pcode),"
	" count(l.t) FILTER (WHERE l.last)"
	" FROM admin1 k LEFT JOIN (l JOIN place pt ON pt.id = l.t"
	"  LEFT JOIN place pf ON pf.id = l.f) ON pt.admin1 = k.pcode"
	" WHERE k.pcode LIKE 'KE%' GROUP BY 1 ORDER BY 1";

static void check_counties(const char *q, const char *from, const char *to,
                           const char *county)
{
	cor_stats_result *r = run(COR_STATS_COUNTIES, q, county);
	const cor_stats_table *t = cor_stats_table_find(r, "counties");
	PGresult *res = ref(ref_counties, from, to, county);
	int nr = PQntuples(res);
	long long any = 0;

	assert_non_null(t);
	assert_int_equal(nr, 47);
	assert_int_equal(t->nrow, nr);
	for (int i = 0; i < nr; i++) {
		assert_string_equal(code_of(t, i, "county"),
		                    PQgetvalue(res, i, 0));
		if (cell(t, i, "n_transit")->n != lv(res, i, 1) ||
		    cell(t, i, "n_destination")->n != lv(res, i, 2))
			fail_msg("county %s: transit %lld destination %lld, "
			         "expected %lld %lld", PQgetvalue(res, i, 0),
			         cell(t, i, "n_transit")->n,
			         cell(t, i, "n_destination")->n,
			         lv(res, i, 1), lv(res, i, 2));
		any += lv(res, i, 1) + lv(res, i, 2);
	}
	assert_true(any > 0);
	PQclear(res);
	cor_stats_result_free(r);
}

static void test_legs(void **state)
{
	(void)state;
	check_legs("2019Q4", "2019-10-01", "2019-12-31", NULL, 15);
	check_legs("2019Q4", "2019-10-01", "2019-12-31", "KE011", 3);
}

/* Spot values of the fixture, by hand, so that the reference query
 * itself is checked too. */
static void test_legs_by_hand(void **state)
{
	cor_stats_result *r = run(COR_STATS_SEGMENTS, "2019Q4", NULL);
	const cor_stats_table *t = cor_stats_table_find(r, "legs");
	int ri = -1;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < t->nrow; i++)
		if (strcmp(code_of(t, i, "from"), "KE-ISIOLO") == 0 &&
		    strcmp(code_of(t, i, "to"), "KE-MOYALE") == 0)
			ri = i;
	/* only the twice-visiting route goes back: 2 cases, fee 100 */
	assert_true(ri >= 0);
	assert_int_equal(cell(t, ri, "n")->n, 2);
	assert_true(cell(t, ri, "fee_usd")->v == 100.0);
	/* ET-MOYALE > KE-MOYALE: 9 + 3 + 2 + 2 + (2 + 1 + 1) + 1 (NULL
	 * last); none from the [0:2] route (legs ET-MOYALE > KE-ISIOLO,
	 * KE-MOYALE > NULL, KE-ISIOLO > NULL), the [3:5] route (NULL >
	 * each) or the two-dimensional ones (slices of rows) */
	for (int i = 0; i < t->nrow; i++)
		if (strcmp(code_of(t, i, "from"), "ET-MOYALE") == 0 &&
		    strcmp(code_of(t, i, "to"), "KE-MOYALE") == 0)
			ri = i;
	assert_int_equal(cell(t, ri, "n")->n, 21);
	/* fee NULL for 2 of them */
	assert_int_equal(cell(t, ri, "fee_usd")->n, 19);
	cor_stats_result_free(r);
}

static void test_nodes(void **state)
{
	(void)state;
	check_nodes("2019Q4", "2019-10-01", "2019-12-31", NULL, 10);
	check_nodes("2019Q4", "2019-10-01", "2019-12-31", "KE047", 4);
}

static void test_counties(void **state)
{
	(void)state;
	check_counties("2019Q4", "2019-10-01", "2019-12-31", NULL);
	check_counties("2019Q4", "2019-10-01", "2019-12-31", "KE010");
}

/* The brief walks its working set once for segments, nodes and counties:
 * the same figures as the kinds on their own. */
static void test_brief_same(void **state)
{
	static const struct {
		cor_stats_kind kind;
		const char *table;
	} k[] = {
		{ COR_STATS_SEGMENTS, "legs" },
		{ COR_STATS_NODES, "nodes" },
		{ COR_STATS_COUNTIES, "counties" },
	};
	cor_stats_result *b = run(COR_STATS_BRIEF, "2019Q4", NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		cor_stats_result *r = run(k[i].kind, "2019Q4", NULL);
		const cor_stats_table *tb = cor_stats_table_find(b, k[i].table);
		const cor_stats_table *tr = cor_stats_table_find(r, k[i].table);

		assert_non_null(tb);
		assert_non_null(tr);
		assert_int_equal(tb->nrow, tr->nrow);
		assert_int_equal(tb->ncol, tr->ncol);
		for (int row = 0; row < tr->nrow; row++) {
			for (int c = 0; c < tr->ncol; c++) {
				const cor_stats_cell *x = &tb->rows[row].cells[c];
				const cor_stats_cell *y = &tr->rows[row].cells[c];

				assert_int_equal(x->n, y->n);
				assert_true(x->v == y->v && x->lo == y->lo &&
				            x->hi == y->hi);
				assert_string_equal(x->code ? x->code : "",
				                    y->code ? y->code : "");
			}
		}
		cor_stats_result_free(r);
	}
	cor_stats_result_free(b);
}

/* In a transaction of the caller: the walk's cursor is closed and the
 * setting it changes for its plan is as the caller left it. */
static void test_caller_transaction(void **state)
{
	PGresult *res;

	(void)state;
	cor_test_exec(conn, "BEGIN; SET LOCAL cursor_tuple_fraction = 0.3");
	check_legs("2019Q4", "2019-10-01", "2019-12-31", NULL, 15);
	res = PQexec(conn, "SELECT current_setting('cursor_tuple_fraction'),"
	             " (SELECT count(*) FROM pg_cursors)");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(res, 0, 0), "0.3");
	assert_string_equal(PQgetvalue(res, 0, 1), "0");
	PQclear(res);
	cor_test_exec(conn, "COMMIT");
}

/* 25000 cases over 300 distinct places and ~2000 fee values: several
 * fetches of the cursor and hashes that grow. */
static void test_many(void **state)
{
	(void)state;
	cor_test_exec(conn,
	              "INSERT INTO case_record (batch_id, registration_date,"
	              " registration_year, case_type, route,"
	              " interception_place, fee_usd, days_in_transit)"
	              " SELECT 1, '2018-02-01', 2018, 'smuggling',"
	              "  ARRAY['ET-MOYALE', 'KE-P' || (g % 300),"
	              "  'KE-P' || (g % 7), 'KE-ISIOLO'],"
	              "  CASE WHEN g % 3 = 0 THEN 'KE-ISIOLO' END,"
	              "  CASE WHEN g % 11 <> 0 THEN (g % 2003) / 4.0 END,"
	              "  CASE WHEN g % 13 <> 0 THEN g % 61 END"
	              " FROM generate_series(1, 25000) g");
	cor_test_derive(conn);
	check_legs("2018Q1", "2018-01-01", "2018-03-31", NULL, 900);
	check_nodes("2018Q1", "2018-01-01", "2018-03-31", NULL, 300);
	check_counties("2018Q1", "2018-01-01", "2018-03-31", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legs),
		cmocka_unit_test(test_legs_by_hand),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_counties),
		cmocka_unit_test(test_brief_same),
		cmocka_unit_test(test_caller_transaction),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
