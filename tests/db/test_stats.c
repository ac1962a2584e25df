/* tests/db/test_stats.c: `corridor stats` kinds against a real server
 * with a small fixture of known answers (inserted with SQL below), JSON
 * shape, disclosure control, time-zone independence and the owner check
 * behind --no-suppress. Run by scripts/run-tests.sh with a fresh database
 * in PGDATABASE; the schema comes from cor_db_migrate. */
#include "support/pgtest.h"

#include <gsl/gsl_errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/db.h"
#include "corridor/etl.h"
#include "corridor/stats.h"

static PGconn *conn;

/* Fixture. Batch 1 (cases, real): per quarter 2018Q4 8, 2019Q1 6,
 * 2019Q2 7, 2019Q3 10, 2019Q4 12 (9 male ETH smuggling via Moyale -
 * Marsabit - Isiolo, fee 400, 30 days; 3 female SOM minors trafficking
 * Moyale - Isiolo intercepted at Isiolo, fee 200), one case on 2020-01-01.
 * Batch 2 (cases, synthetic): 5 cases in 2017. Batch 3 (mmp): incidents.
 * Batch 4 (unhcr): stocks ETH->ZAF. Batch 5 (ctdc): 7 global CTDC records
 * of 2019 (registration year only) and 4 dated 2019-11-15: not part of
 * case statistics unless --source ctdc. */
static const char *fixture =
	"INSERT INTO batch (id, sha256, format, file_name, corridor_version,"
	" synthetic) VALUES"
	" (1, repeat('a', 64), 'cases', 'fixture.csv', 'test', false),"
	" (2, repeat('b', 64), 'cases', 'synth.csv', 'test', true),"
	" (3, repeat('c', 64), 'mmp', 'mmp.csv', 'test', false),"
	" (4, repeat('d', 64), 'unhcr', 'unhcr.csv', 'test', false),"
	" (5, repeat('e', 64), 'ctdc', 'ctdc.csv', 'test', false);"
	"INSERT INTO case_record (batch_id, registration_date,"
	" registration_year, case_type, citizenship)"
	" SELECT 5, NULL::date, 2019, 'trafficking', 'PHL'"
	" FROM generate_series(1, 7)"
	" UNION ALL SELECT 5, '2019-11-15'::date, 2019, 'trafficking', 'UKR'"
	" FROM generate_series(1, 4);"
	"INSERT INTO case_record (batch_id, registration_date,"
	" registration_year, case_type, sex, age, age_band, is_minor,"
	" citizenship, route, interception_place, identification_county,"
	" country_of_exploitation, exploitation_types, fee_usd,"
	" days_in_transit, synthetic)"
	" SELECT 1, d::date, extract(year FROM d::date)::int, 'smuggling',"
	"  'male', 25, '24--26', false, 'ETH',"
	"  '{ET-MOYALE,KE-MOYALE,KE-MARSABIT,KE-ISIOLO}', NULL, 'KE011',"
	"  'ZAF', '{forced_labour}', 300, 20, false"
	" FROM (SELECT '2018-12-01' AS d FROM generate_series(1, 8)"
	"  UNION ALL SELECT '2019-02-01' FROM generate_series(1, 6)"
	"  UNION ALL SELECT '2019-05-01' FROM generate_series(1, 7)"
	"  UNION ALL SELECT '2019-08-15' FROM generate_series(1, 10)"
	"  UNION ALL SELECT '2020-01-01') s;"
	"INSERT INTO case_record (batch_id, registration_date,"
	" registration_year, case_type, sex, age, age_band, is_minor,"
	" citizenship, route, interception_place, identification_county,"
	" country_of_exploitation, exploitation_types, fee_usd,"
	" days_in_transit)"
	" SELECT 1, CASE WHEN g = 1 THEN '2019-12-31' ELSE '2019-11-10'"
	"  END::date, 2019, 'smuggling', 'male', 25, '24--26', false, 'ETH',"
	"  '{ET-MOYALE,KE-MOYALE,KE-MARSABIT,KE-ISIOLO}', NULL, 'KE011',"
	"  'ZAF', '{forced_labour}', 400, 30"
	" FROM generate_series(1, 9) g;"
	"INSERT INTO case_record (batch_id, registration_date,"
	" registration_year, case_type, trafficking_status, sex, age,"
	" age_band, is_minor, citizenship, route, interception_place,"
	" identification_county, country_of_exploitation,"
	" exploitation_types, fee_usd, days_in_transit)"
	" SELECT 1, '2019-11-20', 2019, 'trafficking', 'actual', 'female',"
	"  16, '9--17', true, 'SOM', '{ET-MOYALE,KE-MOYALE,KE-ISIOLO}',"
	"  'KE-ISIOLO', 'KE011', 'KEN', '{sexual_exploitation}', 200, 10"
	" FROM generate_series(1, 3);"
	"INSERT INTO case_record (batch_id, registration_date,"
	" registration_year, case_type, synthetic)"
	" SELECT 2, '2017-03-01', 2017, 'smuggling', true"
	" FROM generate_series(1, 5);"
	"INSERT INTO incident (batch_id, web_id, reported_date, dead, missing,"
	" total_dead_missing, lat, lon) VALUES"
	" (3, 1, '2019-11-05', 3, 4, 7, 0.36, 37.60),"
	" (3, 2, '2019-11-06', 10, 0, 10, 35.0, 20.0),"
	" (3, 3, '2019-10-02', 6, NULL, 6, -1.30, 36.83);"
	"INSERT INTO od_stock (batch_id, year, origin, asylum, refugees,"
	" asylum_seekers) VALUES"
	" (4, 2018, 'ETH', 'ZAF', 1000, 500),"
	" (4, 2019, 'ETH', 'ZAF', 1200, 600),"
	" (4, 2019, 'USA', 'CAN', 5, 5);";

/* Rows written with SQL (not by `corridor load`) lack what the loader
 * derives (sql/006_case_counties.sql): each case's Kenyan counties and the
 * quarterly counts of its batch; cor_test_fixture sets both as the loader
 * would (cor_test_derive). */
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

static cor_stats_result *run_as(cor_stats_kind kind, const char *from,
                                const char *to, int no_suppress)
{
	cor_stats_req req;
	cor_stats_result *r = NULL;
	cor_err err;

	cor_stats_req_init(&req);
	req.kind = kind;
	req.no_suppress = no_suppress;
	if (from != NULL)
		assert_int_equal(cor_stats_parse_bound(from, 0, req.from, &err),
		                 0);
	if (to != NULL)
		assert_int_equal(cor_stats_parse_bound(to, 1, req.to, &err), 0);
	cor_err_clear(&err);
	if (cor_stats_run(conn, &req, &r, &err) != 0)
		fail_msg("cor_stats_run: %s", err.msg);
	assert_non_null(r);
	return r;
}

/* With disclosure control. */
static cor_stats_result *run(cor_stats_kind kind, const char *from,
                             const char *to)
{
	return run_as(kind, from, to, 0);
}

/* Without (the owner's view): windows other than one quarter. */
static cor_stats_result *run_owner(cor_stats_kind kind, const char *from,
                                   const char *to)
{
	return run_as(kind, from, to, 1);
}

static const cor_stats_cell *cell(const cor_stats_result *r,
                                  const char *table, int row,
                                  const char *key)
{
	const cor_stats_table *t = cor_stats_table_find(r, table);
	const cor_stats_cell *c;

	assert_non_null(t);
	c = cor_stats_cell_get(t, row, cor_stats_col_find(t, key));
	assert_non_null(c);
	return c;
}

/* Row index whose column key has code `code`, or fails. */
static int row_of(const cor_stats_result *r, const char *table,
                  const char *key, const char *code)
{
	const cor_stats_table *t = cor_stats_table_find(r, table);
	int col;

	assert_non_null(t);
	col = cor_stats_col_find(t, key);
	assert_true(col >= 0);
	for (int i = 0; i < t->nrow; i++)
		if (t->rows[i].cells[col].code != NULL &&
		    strcmp(t->rows[i].cells[col].code, code) == 0)
			return i;
	fail_msg("no row %s=%s in %s", key, code, table);
	return -1;
}

static void test_overview(void **state)
{
	cor_stats_result *r = run(COR_STATS_OVERVIEW, "2019Q4", "2019Q4");
	const cor_stats_cell *c;
	int ri;

	(void)state;
	c = cell(r, "summary", 0, "n");
	assert_int_equal(c->status, COR_CELL_OK);
	assert_int_equal(c->n, 12);
	assert_int_equal(cell(r, "summary", 0, "n_previous")->n, 10);
	assert_int_equal(cell(r, "summary", 0, "n_year_ago")->n, 8);
	/* poisson.test(c(12, 10))$estimate 1.2; c(12, 8): 1.5 */
	c = cell(r, "summary", 0, "rate_ratio");
	assert_int_equal(c->status, COR_CELL_OK);
	assert_true(fabs(c->v - 1.2) < 1e-12);
	assert_true(fabs(cell(r, "summary", 0, "rr_year_ago")->v - 1.5) <
	            1e-12);
	/* 3 minors, 3 women and girls: under k = 5, with their shares */
	assert_int_equal(cell(r, "summary", 1, "n")->status,
	                 COR_CELL_SUPPRESSED);
	assert_int_equal(cell(r, "summary", 1, "share")->status,
	                 COR_CELL_SUPPRESSED);
	assert_int_equal(cell(r, "summary", 2, "n")->status,
	                 COR_CELL_SUPPRESSED);
	/* case types: trafficking 3 suppressed, so smuggling 9 as well (the
	 * total 12 is printed in the summary table) */
	ri = row_of(r, "case_type", "case_type", "trafficking");
	assert_int_equal(cell(r, "case_type", ri, "n")->status,
	                 COR_CELL_SUPPRESSED);
	ri = row_of(r, "case_type", "case_type", "smuggling");
	assert_int_equal(cell(r, "case_type", ri, "n")->status,
	                 COR_CELL_SUPPRESSED);
	assert_int_equal(r->synthetic, 0);
	assert_int_equal(r->nbatch, 1);
	assert_int_equal(r->batches[0], 1);
	assert_true(r->suppressed >= 6);
	cor_stats_result_free(r);
}

static void test_trend(void **state)
{
	cor_stats_result *r = run(COR_STATS_TREND, "2019Q1", "2019Q4");
	static const long long want[4] = { 6, 7, 10, 12 };
	const cor_stats_table *t = cor_stats_table_find(r, "series");

	(void)state;
	assert_non_null(t);
	assert_int_equal(t->nrow, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(cell(r, "series", i, "n")->n, want[i]);
	assert_string_equal(cell(r, "series", 3, "period")->code, "2019Q4");
	assert_true(r->trend.estimable);
	/* glm(c(6, 7, 10, 12) ~ 0:3, family = poisson) slope (R, epsilon
	 * 1e-14): 0.244025658525 (to 1e-6) */
	assert_true(fabs(r->trend.slope - 0.244025658525) < 1e-6);
	cor_stats_result_free(r);
	/* C23 through the database: one quarter of data */
	r = run(COR_STATS_TREND, "2019Q4", "2019Q4");
	assert_false(r->trend.estimable);
	assert_int_equal(r->nwarn >= 1, 1);
	assert_string_equal(r->warnings[0],
	                    "trend not estimable: one quarter of data");
	assert_int_equal(cell(r, "model", 0, "change_pct_per_year")->status,
	                 COR_CELL_NA);
	cor_stats_result_free(r);
}

/* Quarters come from the date as recorded: the time zone changes
 * nothing (2019-12-31 stays in 2019Q4). */
static void test_timezone(void **state)
{
	static const char *zones[] = { "Pacific/Kiritimati",
	                               "Pacific/Pago_Pago", "UTC" };
	char sql[96];

	(void)state;
	for (int z = 0; z < 3; z++) {
		cor_stats_result *r;
		snprintf(sql, sizeof(sql), "SET TIME ZONE '%s'", zones[z]);
		cor_test_exec(conn, sql);
		r = run(COR_STATS_TREND, "2019Q3", "2020Q1");
		assert_int_equal(cell(r, "series", 0, "n")->n, 10);
		assert_int_equal(cell(r, "series", 1, "n")->n, 12);
		assert_int_equal(cell(r, "series", 2, "n")->status,
		                 COR_CELL_SUPPRESSED);   /* 1 case */
		cor_stats_result_free(r);
	}
}

static void test_segments_nodes(void **state)
{
	cor_stats_result *r = run(COR_STATS_SEGMENTS, "2019Q4", "2019Q4");
	const cor_stats_cell *c;
	int ri;

	(void)state;
	ri = row_of(r, "legs", "from", "ET-MOYALE");
	assert_int_equal(cell(r, "legs", ri, "n")->n, 12);
	/* fees 200 x 3, 400 x 9: quantile(type 7): q1 350, median 400 */
	c = cell(r, "legs", ri, "fee_usd");
	assert_int_equal(c->status, COR_CELL_OK);
	assert_true(c->v == 400.0 && c->q1 == 350.0 && c->q3 == 400.0);
	assert_int_equal(c->n, 12);
	cor_stats_result_free(r);
	r = run(COR_STATS_NODES, "2019Q4", "2019Q4");
	ri = row_of(r, "nodes", "place", "KE-ISIOLO");
	assert_int_equal(cell(r, "nodes", ri, "n")->n, 12);
	/* 3 interceptions suppressed; the 9 destinations are the
	 * complement (n = sum of roles is printed) */
	assert_int_equal(cell(r, "nodes", ri, "n_interception")->status,
	                 COR_CELL_SUPPRESSED);
	assert_int_equal(cell(r, "nodes", ri, "n_destination")->status,
	                 COR_CELL_SUPPRESSED);
	cor_stats_result_free(r);
}

static void test_counties_profile_od(void **state)
{
	cor_stats_result *r = run(COR_STATS_COUNTIES, "2019Q4", "2019Q4");
	int ri;

	(void)state;
	ri = row_of(r, "counties", "county", "KE011");
	assert_int_equal(cell(r, "counties", ri, "n")->n, 12);
	assert_int_equal(cell(r, "counties", ri, "n_destination")->n, 12);
	ri = row_of(r, "counties", "county", "KE010");
	assert_int_equal(cell(r, "counties", ri, "n_transit")->n, 12);
	assert_int_equal(cor_stats_table_find(r, "counties")->nrow, 47);
	cor_stats_result_free(r);
	r = run(COR_STATS_OD, "2019Q4", "2019Q4");
	/* no constraint of the OD matrix has exactly one suppressed cell */
	for (int c = 0; c < r->ncons; c++) {
		const cor_stats_constraint *cn = &r->cons[c];
		int ns = r->tables[cn->total.table].rows[cn->total.row]
		         .cells[cn->total.col].status == COR_CELL_SUPPRESSED;
		for (int m = 0; m < cn->nmem; m++)
			ns += r->tables[cn->mem[m].table].rows[cn->mem[m].row]
			      .cells[cn->mem[m].col].status ==
			      COR_CELL_SUPPRESSED;
		assert_int_not_equal(ns, 1);
	}
	ri = row_of(r, "matrix", "origin", "SOM");
	assert_int_equal(cell(r, "matrix", ri, "n")->status,
	                 COR_CELL_SUPPRESSED);
	cor_stats_result_free(r);
	r = run(COR_STATS_PROFILE, "2019Q4", "2019Q4");
	assert_non_null(cor_stats_table_find(r, "sex_age"));
	assert_non_null(cor_stats_table_find(r, "exploitation_sex"));
	cor_stats_result_free(r);
}

/* As run, with a county filter, optionally inside a transaction the
 * caller opened (then cor_stats_run makes no working set). */
static cor_stats_result *run_county(cor_stats_kind kind, const char *q,
                                    const char *county, int in_txn)
{
	cor_stats_req req;
	cor_stats_result *r = NULL;
	cor_err err;

	cor_stats_req_init(&req);
	req.kind = kind;
	req.county = county;
	assert_int_equal(cor_stats_parse_bound(q, 0, req.from, &err), 0);
	assert_int_equal(cor_stats_parse_bound(q, 1, req.to, &err), 0);
	if (in_txn)
		cor_test_exec(conn, "BEGIN");
	cor_err_clear(&err);
	if (cor_stats_run(conn, &req, &r, &err) != 0)
		fail_msg("cor_stats_run: %s", err.msg);
	if (in_txn)
		cor_test_exec(conn, "COMMIT");
	assert_non_null(r);
	return r;
}

/* Cases of 2019Q4 touching county pc, counted directly from case_record
 * with the original filter (a route step joined to place). */
static long long direct_county_count(const char *pc)
{
	const char *p[1] = { pc };
	PGresult *res = PQexecParams(conn, "SELECT count(*) FROM case_record c"
	        " JOIN batch b ON b.id = c.batch_id AND b.active"
	        " WHERE c.registration_date BETWEEN '2019-10-01'"
	        " AND '2019-12-31' AND (c.identification_county = $1"
	        " OR c.origin_admin1 = $1 OR EXISTS (SELECT 1"
	        " FROM unnest(c.route) AS u(pid) JOIN place pc"
	        " ON pc.id = u.pid WHERE pc.admin1 = $1))",
	        1, NULL, p, NULL, NULL, 0);
	long long n;

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

/* The brief reads the request window from a temporary working set and
 * tests the county by route overlap with the county's places: the same
 * numbers as the kinds run on their own, as the brief run inside the
 * caller's transaction (no working set), and as a direct count. KE010
 * (Marsabit: Moyale, Marsabit) is reached only by route steps (12 cases
 * of 2019Q4), KE011 (Isiolo) also by identification county (12), KE047
 * (Nairobi) by none. */
static void test_brief_working_set_county(void **state)
{
	static const char *const pcs[3] = { "KE010", "KE011", "KE047" };
	static const long long want[3] = { 12, 12, 0 };

	(void)state;
	for (int k = 0; k < 3; k++) {
		cor_stats_result *b = run_county(COR_STATS_BRIEF, "2019Q4",
		                                 pcs[k], 0);
		cor_stats_result *t = run_county(COR_STATS_BRIEF, "2019Q4",
		                                 pcs[k], 1);
		cor_stats_result *s = run_county(COR_STATS_SEGMENTS, "2019Q4",
		                                 pcs[k], 0);
		cor_stats_result *n = run_county(COR_STATS_NODES, "2019Q4",
		                                 pcs[k], 0);
		const cor_stats_table *tb = cor_stats_table_find(b, "series");
		const cor_stats_cell *c1, *c2;
		int ri, rj;

		assert_int_equal(direct_county_count(pcs[k]), want[k]);
		assert_int_equal(cell(b, "summary", 0, "n")->n, want[k]);
		assert_non_null(tb);
		assert_int_equal(cell(b, "series", tb->nrow - 1, "n")->n,
		                 want[k]);
		/* every cell of the two briefs agrees */
		assert_int_equal(b->ntable, t->ntable);
		assert_int_equal(b->suppressed, t->suppressed);
		assert_int_equal(b->nbatch, t->nbatch);
		for (int i = 0; i < b->ntable; i++) {
			assert_int_equal(b->tables[i].nrow, t->tables[i].nrow);
			for (int r = 0; r < b->tables[i].nrow; r++)
				for (int c = 0; c < b->tables[i].ncol; c++) {
					c1 = &b->tables[i].rows[r].cells[c];
					c2 = &t->tables[i].rows[r].cells[c];
					assert_int_equal(c1->status, c2->status);
					assert_int_equal(c1->n, c2->n);
					assert_true(c1->v == c2->v);
				}
		}
		/* legs and nodes as the kinds give them */
		if (want[k] == 0) {
			assert_int_equal(cor_stats_table_find(b, "legs")->nrow,
			                 0);
			goto next;
		}
		ri = row_of(b, "legs", "from", "ET-MOYALE");
		rj = row_of(s, "legs", "from", "ET-MOYALE");
		assert_int_equal(cell(b, "legs", ri, "n")->n, want[k]);
		assert_int_equal(cell(s, "legs", rj, "n")->n, want[k]);
		c1 = cell(b, "legs", ri, "fee_usd");
		c2 = cell(s, "legs", rj, "fee_usd");
		assert_true(c1->v == c2->v && c1->q1 == c2->q1 &&
		            c1->q3 == c2->q3 && c1->n == c2->n);
		ri = row_of(b, "nodes", "place", "KE-MOYALE");
		rj = row_of(n, "nodes", "place", "KE-MOYALE");
		assert_int_equal(cell(b, "nodes", ri, "n")->n, want[k]);
		assert_int_equal(cell(n, "nodes", rj, "n")->n, want[k]);
next:
		cor_stats_result_free(b);
		cor_stats_result_free(t);
		cor_stats_result_free(s);
		cor_stats_result_free(n);
	}
}

static void test_incidents_stocks(void **state)
{
	cor_stats_result *r = run(COR_STATS_INCIDENTS, "2019Q4", "2019Q4");
	const cor_stats_table *t;

	(void)state;
	/* Isiolo (7) and Nairobi (6) are within 50 km of a leg; the
	 * incident at 35N 20E is not */
	assert_int_equal(cell(r, "incidents_period", 0, "n")->n, 13);
	assert_int_equal(cell(r, "incidents_period", 0, "incidents")->status,
	                 COR_CELL_SUPPRESSED);          /* 2 incidents */
	t = cor_stats_table_find(r, "incidents_country");
	assert_int_equal(t->nrow, 2);                   /* KEN + total */
	assert_string_equal(cell(r, "incidents_country", 0,
	                         "country")->code, "KEN");
	assert_int_equal(r->nbatch, 1);
	assert_int_equal(r->batches[0], 3);
	cor_stats_result_free(r);
	r = run(COR_STATS_STOCKS, "2019", "2019");
	t = cor_stats_table_find(r, "stocks");
	assert_int_equal(t->nrow, 1);
	assert_int_equal(cell(r, "stocks", 0, "n")->n, 1800);
	assert_true(fabs(cell(r, "stocks", 0, "change_pct")->v - 20.0) <
	            1e-9);
	cor_stats_result_free(r);
}

/* The synthetic batch marks the output; generated_from lists it. */
static void test_synthetic_and_json(void **state)
{
	/* all dates (the owner's view: both batches, one synthetic), then
	 * one quarter with disclosure control (withheld cells: null) */
	cor_stats_result *rs[2] = {
		run_owner(COR_STATS_OVERVIEW, NULL, NULL),
		run(COR_STATS_OVERVIEW, "2019Q4", "2019Q4") };
	int seen_null = 0;

	(void)state;
	assert_int_equal(rs[0]->synthetic, 1);
	for (int v = 0; v < 2; v++) {
		char *buf = NULL;
		size_t len = 0, i;
		FILE *fp = open_memstream(&buf, &len);
		json_t *o, *rows, *row;
		json_error_t je;
		cor_err err;

		assert_int_equal(cor_stats_write_json(fp, rs[v], &err), 0);
		fclose(fp);
		o = json_loads(buf, 0, &je);
		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o,
		                    "kind")), "overview");
		assert_true(json_is_object(json_object_get(o, "params")));
		assert_int_equal(json_integer_value(json_object_get(o, "k")),
		                 5);
		assert_true(json_is_true(json_object_get(o,
		            "not_for_publication")) == (v == 0));
		if (v == 0) {
			assert_true(json_is_true(json_object_get(o,
			            "synthetic")));
			assert_int_equal(json_array_size(json_object_get(o,
			                 "generated_from")), 2);
		}
		rows = json_object_get(o, "rows");
		assert_true(json_array_size(rows) > 3);
		json_array_foreach(rows, i, row) {
			json_t *n = json_object_get(row, "n");
			json_t *s = json_object_get(row, "suppressed");
			if (n == NULL)
				continue;
			assert_non_null(s);
			if (json_is_null(n)) {
				assert_true(json_is_true(s));
				seen_null += v == 1;
			} else {
				assert_true(json_is_integer(n));
				assert_true(json_is_false(s));
			}
		}
		assert_null(strstr(buf, "nan"));
		json_decref(o);
		free(buf);
		cor_stats_result_free(rs[v]);
	}
	assert_true(seen_null > 0);
}

static cor_stats_result *run_req(const cor_stats_req *req)
{
	cor_stats_result *r = NULL;
	cor_err err;

	cor_err_clear(&err);
	if (cor_stats_run(conn, req, &r, &err) != 0)
		fail_msg("cor_stats_run: %s", err.msg);
	assert_non_null(r);
	return r;
}

/* Issue: a year-long window's previous period is its year earlier; both
 * columns must count it (2018: 8 cases; 2017: 5, synthetic batch). */
static void test_year_earlier_full_year(void **state)
{
	cor_stats_result *r = run_owner(COR_STATS_OVERVIEW, "2019Q1",
	                                "2019Q4");

	(void)state;
	assert_int_equal(cell(r, "summary", 0, "n")->n, 6 + 7 + 10 + 12);
	assert_int_equal(cell(r, "summary", 0, "n_previous")->n, 8);
	assert_int_equal(cell(r, "summary", 0, "n_year_ago")->n, 8);
	/* poisson.test(c(35, 8))$estimate = 4.375 */
	assert_int_equal(cell(r, "summary", 0, "rr_year_ago")->status,
	                 COR_CELL_OK);
	assert_true(fabs(cell(r, "summary", 0, "rr_year_ago")->v - 4.375) <
	            1e-12);
	cor_stats_result_free(r);
	r = run_owner(COR_STATS_OVERVIEW, "2018Q1", "2018Q4");
	assert_int_equal(cell(r, "summary", 0, "n")->n, 8);
	assert_int_equal(cell(r, "summary", 0, "n_previous")->n, 5);
	assert_int_equal(cell(r, "summary", 0, "n_year_ago")->n, 5);
	cor_stats_result_free(r);
}

/* Issue: case statistics default to format "cases"; CTDC only when asked
 * for; params show the effective source. */
static void test_default_source(void **state)
{
	cor_stats_req req;
	cor_stats_result *r;

	(void)state;
	r = run(COR_STATS_OVERVIEW, "2019Q4", "2019Q4");
	assert_int_equal(cell(r, "summary", 0, "n")->n, 12);  /* not 16 */
	assert_non_null(r->req.source);
	assert_string_equal(r->req.source, "cases");
	for (int i = 0; i < r->nbatch; i++)
		assert_int_not_equal(r->batches[i], 5);
	cor_stats_result_free(r);
	cor_stats_req_init(&req);
	req.kind = COR_STATS_OVERVIEW;
	req.source = "ctdc";
	req.no_suppress = 1;    /* all dates: the owner's view */
	r = run_req(&req);
	/* all dates: 7 undated + 4 dated CTDC records */
	assert_int_equal(cell(r, "summary", 0, "n")->n, 11);
	assert_string_equal(r->req.source, "ctdc");
	assert_int_equal(r->nbatch, 1);
	assert_int_equal(r->batches[0], 5);
	cor_stats_result_free(r);
	req.source = "5";
	r = run_req(&req);
	assert_int_equal(cell(r, "summary", 0, "n")->n, 11);
	assert_string_equal(r->req.source, "5");
	cor_stats_result_free(r);
	/* incidents keep reading Missing Migrants */
	r = run(COR_STATS_INCIDENTS, "2019Q4", "2019Q4");
	assert_int_equal(cell(r, "incidents_period", 0, "n")->n, 13);
	assert_null(r->req.source);
	cor_stats_result_free(r);
}

/* With disclosure control a window is one calendar quarter (trend:
 * whole quarters by quarter); anything else is refused (COR_EPERM, exit
 * 7): overlapping windows give withheld counts back by subtraction. The
 * owner's unsuppressed view takes any window; incidents and stocks
 * (public sources) too. */
static void test_window_rules(void **state)
{
	static const struct {
		cor_stats_kind kind;
		const char *from, *to;
		cor_stats_by by;
		int ok;
	} w[] = {
		{ COR_STATS_OVERVIEW, "2019Q4", "2019Q4", COR_BY_QUARTER, 1 },
		{ COR_STATS_PROFILE, "2019-10-01", "2019-12-31",
		  COR_BY_QUARTER, 1 },
		{ COR_STATS_OVERVIEW, "2019", "2019", COR_BY_QUARTER, 0 },
		{ COR_STATS_OVERVIEW, "2019Q1", "2019Q3", COR_BY_QUARTER, 0 },
		{ COR_STATS_SEGMENTS, "2019-11", "2019-11", COR_BY_QUARTER, 0 },
		{ COR_STATS_OD, "2019-10-01", "2019-12-30", COR_BY_QUARTER, 0 },
		{ COR_STATS_ROUTES, NULL, NULL, COR_BY_QUARTER, 0 },
		{ COR_STATS_BRIEF, "2019", "2019", COR_BY_QUARTER, 0 },
		{ COR_STATS_TREND, "2017Q1", "2019Q4", COR_BY_QUARTER, 1 },
		{ COR_STATS_TREND, NULL, NULL, COR_BY_QUARTER, 1 },
		{ COR_STATS_TREND, "2017Q1", "2019Q4", COR_BY_MONTH, 0 },
		{ COR_STATS_TREND, "2017Q1", "2019Q4", COR_BY_YEAR, 0 },
		{ COR_STATS_TREND, "2019-11", "2019Q4", COR_BY_QUARTER, 0 },
		{ COR_STATS_INCIDENTS, "2019", "2019", COR_BY_QUARTER, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		for (int owner = 0; owner < 2; owner++) {
			cor_stats_req req;
			cor_stats_result *r = NULL;
			cor_err err;
			int rc;

			cor_stats_req_init(&req);
			req.kind = w[i].kind;
			req.by = w[i].by;
			req.no_suppress = owner;
			cor_err_clear(&err);
			if (w[i].from != NULL)
				assert_int_equal(cor_stats_parse_bound(w[i].from,
				                 0, req.from, &err), 0);
			if (w[i].to != NULL)
				assert_int_equal(cor_stats_parse_bound(w[i].to, 1,
				                 req.to, &err), 0);
			rc = cor_stats_run(conn, &req, &r, &err);
			if (owner || w[i].ok) {
				if (rc != 0)
					fail_msg("window %zu (owner %d): %s", i,
					         owner, err.msg);
				assert_non_null(r);
			} else {
				assert_int_equal(rc, COR_EPERM);
				assert_null(r);
				assert_non_null(strstr(err.msg,
				                       "--no-suppress"));
			}
			cor_stats_result_free(r);
			assert_int_equal(PQtransactionStatus(conn),
			                 PQTRANS_IDLE);
		}
	}
	/* one threshold for every published output: another k is refused
	 * unless it is the installation's (CORRIDOR_K) */
	{
		cor_stats_req req;
		cor_stats_result *r = NULL;
		cor_err err;

		cor_stats_req_init(&req);
		assert_int_equal(req.k, 5);
		req.kind = COR_STATS_OVERVIEW;
		req.k = 6;
		snprintf(req.from, sizeof(req.from), "2019-10-01");
		snprintf(req.to, sizeof(req.to), "2019-12-31");
		cor_err_clear(&err);
		assert_int_equal(cor_stats_run(conn, &req, &r, &err),
		                 COR_EPERM);
		assert_null(r);
		assert_non_null(strstr(err.msg, "CORRIDOR_K"));
		assert_int_equal(setenv("CORRIDOR_K", "6", 1), 0);
		assert_int_equal(cor_stats_k_default(), 6);
		r = run_req(&req);
		assert_int_equal(r->k, 6);
		cor_stats_result_free(r);
		assert_int_equal(unsetenv("CORRIDOR_K"), 0);
		assert_int_equal(cor_stats_k_default(), 5);
	}
	/* a county's trend over whole quarters (its family has no brief
	 * master: a brief is one quarter) */
	{
		cor_stats_req req;
		cor_stats_result *r;
		cor_err err;

		cor_stats_req_init(&req);
		req.kind = COR_STATS_TREND;
		req.county = "KE011";
		assert_int_equal(cor_stats_parse_bound("2017Q1", 0, req.from,
		                                       &err), 0);
		assert_int_equal(cor_stats_parse_bound("2019Q4", 1, req.to,
		                                       &err), 0);
		r = run_req(&req);
		assert_non_null(cor_stats_table_find(r, "series"));
		cor_stats_result_free(r);
	}
}

/* Issue: unknown filter values are usage errors naming the value. */
static void test_unknown_filters(void **state)
{
	static const struct {
		const char *county, *cit, *ct, *sex, *want;
	} bad[] = {
		{ "KE999", NULL, NULL, NULL, "KE999" },
		{ "KE048", NULL, NULL, NULL, "KE001-KE047" },
		{ "TZ01", NULL, NULL, NULL, "KE001-KE047" },
		{ NULL, "XXZ", NULL, NULL, "XXZ" },
		{ NULL, "eth", NULL, NULL, "eth" },
		{ NULL, NULL, "labour", NULL, "labour" },
		{ NULL, NULL, NULL, "f", "'f'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cor_stats_req req;
		cor_stats_result *r = NULL;
		cor_err err;

		cor_stats_req_init(&req);
		req.kind = COR_STATS_OVERVIEW;
		snprintf(req.from, sizeof(req.from), "2019-10-01");
		snprintf(req.to, sizeof(req.to), "2019-12-31");
		req.county = bad[i].county;
		req.citizenship = bad[i].cit;
		req.case_type = bad[i].ct;
		req.sex = bad[i].sex;
		cor_err_clear(&err);
		assert_int_equal(cor_stats_run(conn, &req, &r, &err),
		                 COR_EINVAL);
		assert_null(r);
		assert_non_null(strstr(err.msg, bad[i].want));
		/* the CLI maps it to exit 2 (usage) */
		assert_int_equal(cor_status_exit(err.code), COR_EXIT_USAGE);
		assert_int_equal(PQtransactionStatus(conn), PQTRANS_IDLE);
	}
	/* a real county and country still work: unsuppressed (owner);
	 * with disclosure control a citizenship, case type or sex filter
	 * is refused (filtered outputs add up to the unfiltered one) */
	{
		static const char *const f[3][3] = {
			{ "SOM", NULL, NULL }, { NULL, "smuggling", NULL },
			{ NULL, NULL, "female" } };
		cor_stats_req req;
		cor_stats_result *r = NULL;
		cor_err err;

		cor_stats_req_init(&req);
		req.kind = COR_STATS_OVERVIEW;
		req.county = "KE047";
		req.citizenship = "SOM";
		req.no_suppress = 1;
		r = run_req(&req);
		cor_stats_result_free(r);
		r = NULL;
		for (int i = 0; i < 3; i++) {
			req.no_suppress = 0;
			req.citizenship = f[i][0];
			req.case_type = f[i][1];
			req.sex = f[i][2];
			cor_err_clear(&err);
			assert_int_equal(cor_stats_run(conn, &req, &r, &err),
			                 COR_EPERM);
			assert_null(r);
			assert_non_null(strstr(err.msg, "--no-suppress"));
			assert_int_equal(cor_status_exit(err.code),
			                 COR_EXIT_PERM);
			assert_int_equal(PQtransactionStatus(conn),
			                 PQTRANS_IDLE);
		}
	}
}

/* Quarterly counts counts[0..n-1] from 2010Q1 as a new batch 90 (format
 * cases) inside the caller's transaction. */
static void insert_series(const int *counts, int n)
{
	char sql[256];

	cor_test_exec(conn, "INSERT INTO batch (id, sha256, format, file_name,"
	              " corridor_version) VALUES (90, repeat('9', 64),"
	              " 'cases', 'series.csv', 'test')");
	for (int i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO case_record (batch_id,"
		         " registration_date, registration_year, case_type)"
		         " SELECT 90, make_date(%d, %d, 15), %d, 'smuggling'"
		         " FROM generate_series(1, %d)", 2010 + i / 4,
		         (i % 4) * 3 + 2, 2010 + i / 4, counts[i]);
		cor_test_exec(conn, sql);
	}
	cor_test_derive(conn);
}

/* Flags of the series of a trend over 2010Q1.. of the inserted batch. */
static int flags_of(const int *counts, int n, int *first)
{
	cor_stats_req req;
	cor_stats_result *r;
	cor_err err;
	const cor_stats_table *t;
	int nf = 0, cf;

	cor_test_exec(conn, "BEGIN");
	insert_series(counts, n);
	cor_stats_req_init(&req);
	req.kind = COR_STATS_TREND;
	req.source = "90";
	assert_int_equal(cor_stats_parse_bound("2010Q1", 0, req.from, &err),
	                 0);
	assert_int_equal(cor_stats_parse_bound(n > 8 ? "2012" : "2011", 1,
	                                       req.to, &err), 0);
	r = run_req(&req);
	cor_test_exec(conn, "ROLLBACK");
	t = cor_stats_table_find(r, "series");
	assert_non_null(t);
	assert_int_equal(t->nrow, n);
	cf = cor_stats_col_find(t, "flag");
	*first = -1;
	for (int i = 0; i < t->nrow; i++) {
		assert_int_equal(t->rows[i].cells[1].n, counts[i]);
		if (t->rows[i].cells[cf].code != NULL &&
		    t->rows[i].cells[cf].code[0] != '\0') {
			if (*first < 0)
				*first = i;
			nf++;
			assert_non_null(strstr(t->rows[i].cells[cf].code,
			                       "automatic flag, not a finding"));
		}
	}
	cor_stats_result_free(r);
	return nf;
}

/* Issue: seasonal peaks (every Q3) are no change in level; a real shift
 * is flagged once, at the period it starts. */
static void test_changepoints(void **state)
{
	static const int shift[12] = { 20, 20, 20, 20, 20, 20,
	                               60, 60, 60, 60, 60, 60 };
	static const int shift8[8] = { 20, 20, 20, 20, 60, 60, 60, 60 };
	static const int seas[12] = { 20, 20, 40, 20, 20, 20, 40, 20,
	                              20, 20, 40, 20 };
	static const int seas_big[12] = { 200, 200, 300, 200, 200, 200, 300,
	                                  200, 200, 200, 300, 200 };
	int first;

	(void)state;
	assert_int_equal(flags_of(seas, 12, &first), 0);
	assert_int_equal(flags_of(seas_big, 12, &first), 0);
	assert_int_equal(flags_of(shift, 12, &first), 1);
	assert_int_equal(first, 6);                     /* 2011Q3 */
	assert_int_equal(flags_of(shift8, 8, &first), 1);
	assert_int_equal(first, 4);                     /* 2011Q1 */
}

/* Issue: a node's passing total, its role counts and the legs leaving it
 * are linked: n(P) = origin + transit + interception + destination and
 * n(P) = legs from P + interception + destination. Fixture (2015Q2):
 * 40 cases ET-MOYALE > KE-MOYALE > KE-MARSABIT and 3 intercepted at
 * KE-MOYALE (route ET-MOYALE > KE-MOYALE): at KE-MOYALE n 43 = transit
 * 40 + interception 3, leg KE-MOYALE > KE-MARSABIT 40. The 3 must not be
 * recoverable as n - leg in the brief (both tables in one output). */
/* The nodes shares reveal their base (n / share = cases with a known
 * route). Every route ends once, so base = sum of interception and
 * destination counts: with one end count withheld and the base and all
 * other end counts published, the withheld one would be base - the rest.
 * 40 cases end at Marsabit, 20 at Isiolo, 3 are intercepted at Moyale. */
static void test_nodes_share_base(void **state)
{
	cor_stats_req req;
	cor_stats_result *r, *u;
	cor_err err;
	const cor_stats_table *t;
	int base = -1, hidden_ends = 0, im, ii, ik;
	long long sum_ends = 0;

	(void)state;
	cor_test_exec(conn, "BEGIN;"
	              "INSERT INTO batch (id, sha256, format, file_name,"
	              " corridor_version) VALUES (92, repeat('7', 64),"
	              " 'cases', 'base.csv', 'test');"
	              "INSERT INTO case_record (batch_id, registration_date,"
	              " registration_year, case_type, route)"
	              " SELECT 92, '2015-05-01', 2015, 'smuggling',"
	              " '{ET-MOYALE,KE-MOYALE,KE-MARSABIT}'"
	              " FROM generate_series(1, 40);"
	              "INSERT INTO case_record (batch_id, registration_date,"
	              " registration_year, case_type, route)"
	              " SELECT 92, '2015-05-01', 2015, 'smuggling',"
	              " '{ET-MOYALE,KE-MOYALE,KE-ISIOLO}'"
	              " FROM generate_series(1, 20);"
	              "INSERT INTO case_record (batch_id, registration_date,"
	              " registration_year, case_type, route,"
	              " interception_place)"
	              " SELECT 92, '2015-05-02', 2015, 'smuggling',"
	              " '{ET-MOYALE,KE-MOYALE}', 'KE-MOYALE'"
	              " FROM generate_series(1, 3)");
	cor_test_derive(conn);
	cor_stats_req_init(&req);
	req.kind = COR_STATS_NODES;
	assert_int_equal(cor_stats_parse_bound("2015Q2", 0, req.from, &err),
	                 0);
	assert_int_equal(cor_stats_parse_bound("2015Q2", 1, req.to, &err), 0);
	r = run_req(&req);
	req.no_suppress = 1;
	u = run_req(&req);
	cor_test_exec(conn, "ROLLBACK");
	/* true values */
	im = row_of(u, "nodes", "place", "KE-MARSABIT");
	ii = row_of(u, "nodes", "place", "KE-ISIOLO");
	ik = row_of(u, "nodes", "place", "KE-MOYALE");
	assert_int_equal(cell(u, "nodes", im, "n_destination")->n, 40);
	assert_int_equal(cell(u, "nodes", ii, "n_destination")->n, 20);
	assert_int_equal(cell(u, "nodes", ik, "n_interception")->n, 3);
	/* the base is published as a margin row: 63 cases */
	t = &u->tables[0];
	for (int i = 0; i < t->nrow; i++)
		if (t->rows[i].margin)
			base = i;
	assert_true(base >= 0);
	assert_int_equal(cell(u, "nodes", base, "n")->n, 63);
	/* after suppression: 3 withheld (primary) and the base relation
	 * has at least two unknowns, or the base and every share are
	 * withheld */
	assert_int_equal(cell(r, "nodes", ik, "n_interception")->status,
	                 COR_CELL_SUPPRESSED);
	t = &r->tables[0];
	for (int i = 0; i < t->nrow; i++) {
		const char *keys[2] = { "n_interception", "n_destination" };

		if (t->rows[i].margin)
			continue;
		for (int k = 0; k < 2; k++) {
			const cor_stats_cell *c = cell(r, "nodes", i, keys[k]);
			if (c->status == COR_CELL_SUPPRESSED)
				hidden_ends++;
			else
				sum_ends += c->n;
		}
	}
	if (cell(r, "nodes", base, "n")->status == COR_CELL_SUPPRESSED) {
		for (int i = 0; i < t->nrow; i++)
			if (!t->rows[i].margin)
				assert_int_not_equal(
				        cell(r, "nodes", i, "share")->status,
				        COR_CELL_OK);
	} else {
		assert_true(hidden_ends >= 2);
		assert_true(sum_ends < 63 - 3);
	}
	cor_stats_result_free(r);
	cor_stats_result_free(u);
}

static void test_nodes_legs_disclosure(void **state)
{
	cor_stats_req req;
	cor_stats_result *r, *u;
	cor_err err;
	int ri, lj;
	const cor_stats_cell *n, *ni, *nd, *nt, *no, *leg;

	(void)state;
	cor_test_exec(conn, "BEGIN;"
	              "INSERT INTO batch (id, sha256, format, file_name,"
	              " corridor_version) VALUES (91, repeat('8', 64),"
	              " 'cases', 'nodes.csv', 'test');"
	              "INSERT INTO case_record (batch_id, registration_date,"
	              " registration_year, case_type, route)"
	              " SELECT 91, '2015-05-01', 2015, 'smuggling',"
	              " '{ET-MOYALE,KE-MOYALE,KE-MARSABIT}'"
	              " FROM generate_series(1, 40);"
	              "INSERT INTO case_record (batch_id, registration_date,"
	              " registration_year, case_type, route,"
	              " interception_place)"
	              " SELECT 91, '2015-05-02', 2015, 'smuggling',"
	              " '{ET-MOYALE,KE-MOYALE}', 'KE-MOYALE'"
	              " FROM generate_series(1, 3)");
	cor_test_derive(conn);
	cor_stats_req_init(&req);
	req.kind = COR_STATS_BRIEF;
	assert_int_equal(cor_stats_parse_bound("2015Q2", 0, req.from, &err),
	                 0);
	assert_int_equal(cor_stats_parse_bound("2015Q2", 1, req.to, &err), 0);
	r = run_req(&req);
	req.no_suppress = 1;
	u = run_req(&req);
	req.no_suppress = 0;
	cor_test_exec(conn, "ROLLBACK");
	/* the relations hold on the true values */
	ri = row_of(u, "nodes", "place", "KE-MOYALE");
	assert_int_equal(cell(u, "nodes", ri, "n")->n, 43);
	assert_int_equal(cell(u, "nodes", ri, "n_origin")->n, 0);
	assert_int_equal(cell(u, "nodes", ri, "n_transit")->n, 40);
	assert_int_equal(cell(u, "nodes", ri, "n_interception")->n, 3);
	assert_int_equal(cell(u, "nodes", ri, "n_destination")->n, 0);
	lj = row_of(u, "legs", "from", "KE-MOYALE");
	assert_int_equal(cell(u, "legs", lj, "n")->n, 40);
	assert_string_equal(cell(u, "legs", lj, "to")->code, "KE-MARSABIT");
	/* after suppression: 3 withheld, and not total - leg - dest */
	ri = row_of(r, "nodes", "place", "KE-MOYALE");
	lj = row_of(r, "legs", "from", "KE-MOYALE");
	n = cell(r, "nodes", ri, "n");
	no = cell(r, "nodes", ri, "n_origin");
	nt = cell(r, "nodes", ri, "n_transit");
	ni = cell(r, "nodes", ri, "n_interception");
	nd = cell(r, "nodes", ri, "n_destination");
	leg = cell(r, "legs", lj, "n");
	assert_int_equal(ni->status, COR_CELL_SUPPRESSED);
	assert_int_equal(ni->primary, 1);
	assert_true(n->status == COR_CELL_SUPPRESSED ||
	            leg->status == COR_CELL_SUPPRESSED ||
	            nd->status == COR_CELL_SUPPRESSED);
	/* nor from the node row: total - origin - transit - destination */
	assert_true(n->status == COR_CELL_SUPPRESSED ||
	            no->status == COR_CELL_SUPPRESSED ||
	            nt->status == COR_CELL_SUPPRESSED ||
	            nd->status == COR_CELL_SUPPRESSED);
	/* no constraint of the output has exactly one withheld cell */
	for (int c = 0; c < r->ncons; c++) {
		const cor_stats_constraint *cn = &r->cons[c];
		int ns = r->tables[cn->total.table].rows[cn->total.row]
		         .cells[cn->total.col].status == COR_CELL_SUPPRESSED;
		for (int m = 0; m < cn->nmem; m++)
			ns += r->tables[cn->mem[m].table].rows[cn->mem[m].row]
			      .cells[cn->mem[m].col].status ==
			      COR_CELL_SUPPRESSED;
		assert_int_not_equal(ns, 1);
	}
	/* the declared constraint: n(P) = leg + interception + destination */
	{
		int found = 0;
		for (int c = 0; c < r->ncons; c++) {
			const cor_stats_constraint *cn = &r->cons[c];
			if (cn->total.table ==
			    (int)(cor_stats_table_find(r, "nodes") - r->tables) &&
			    cn->total.row == ri && cn->nmem == 3)
				found = 1;
		}
		assert_true(found);
	}
	cor_stats_result_free(r);
	cor_stats_result_free(u);
}

/* Issue: withheld rate ratios are derived (never "<k"); age bands in
 * numeric order; distinct HXL hashtags for the two rate ratios. */
static void test_cosmetics(void **state)
{
	cor_stats_result *r = run(COR_STATS_TREND, "2019Q3", "2020Q1");
	const cor_stats_cell *c;
	const cor_stats_table *t;
	char buf[64];
	int ca, cs, seen = 0;

	(void)state;
	/* 2020Q1: 1 case, withheld as a count (<5); its rate ratio to
	 * 2019Q4 is derived */
	assert_int_equal(cell(r, "series", 2, "n")->primary, 1);
	c = cell(r, "series", 2, "rate_ratio");
	assert_int_equal(c->status, COR_CELL_SUPPRESSED);
	assert_int_equal(c->primary, 0);
	t = cor_stats_table_find(r, "series");
	cor_stats_cell_format(r, t, 2, cor_stats_col_find(t, "rate_ratio"),
	                      buf, sizeof(buf));
	assert_null(strchr(buf, '<'));
	cor_stats_result_free(r);
	r = run(COR_STATS_OVERVIEW, "2019Q4", "2019Q4");
	t = cor_stats_table_find(r, "summary");
	assert_string_equal(t->cols[cor_stats_col_find(t, "rate_ratio")].hxl,
	                    "#indicator+ratio+prev");
	assert_string_equal(t->cols[cor_stats_col_find(t,
	                    "rr_year_ago")].hxl, "#indicator+ratio+yoy");
	cor_stats_result_free(r);
	/* sex x age column margins: 9--17 before 24--26 (text order would
	 * put "24--26" first) */
	r = run(COR_STATS_PROFILE, "2019Q4", "2019Q4");
	t = cor_stats_table_find(r, "sex_age");
	cs = cor_stats_col_find(t, "sex");
	ca = cor_stats_col_find(t, "age_band");
	for (int i = 0; i < t->nrow; i++) {
		const cor_stats_cell *s = &t->rows[i].cells[cs];
		const cor_stats_cell *a = &t->rows[i].cells[ca];
		if (s->code != NULL || a->code == NULL)
			continue;
		assert_string_equal(a->code, seen == 0 ? "9--17" : "24--26");
		seen++;
	}
	assert_int_equal(seen, 2);
	cor_stats_result_free(r);
}

/* --no-suppress: only the owner of case_record. */
static void test_owner(void **state)
{
	int owner = -1;
	cor_err err;

	(void)state;
	assert_int_equal(cor_stats_is_owner(conn, &owner, &err), 0);
	assert_int_equal(owner, 1);
	cor_test_exec(conn, "DROP ROLE IF EXISTS cor_test_stats_analyst;"
	              "CREATE ROLE cor_test_stats_analyst NOLOGIN;"
	              "GRANT corridor_analyst TO cor_test_stats_analyst;"
	              "SET ROLE cor_test_stats_analyst");
	assert_int_equal(cor_stats_is_owner(conn, &owner, &err), 0);
	assert_int_equal(owner, 0);
	cor_test_exec(conn, "RESET ROLE; DROP ROLE cor_test_stats_analyst");
}

/* Text of a one-value query with up to 5 text parameters (NULL allowed);
 * "" for SQL NULL. Caller frees. */
static char *text_q(const char *sql, int n, const char *const *p)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0);
	char *t;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("query failed: %s\n%s", sql, PQerrorMessage(conn));
	t = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	assert_non_null(t);
	return t;
}

/* The direct count behind the cube: cases of the active "cases" batches
 * per quarter 2018Q1..2022Q4 (comma-separated) with the original county
 * filter (identification county, origin admin1 or a route step at a
 * place of the county) and the other filters; p: case type, citizenship,
 * sex, county. */
static char *direct_series(const char *const *p)
{
	return text_q("SELECT string_agg(coalesce(s.n, 0)::text, ','"
	        " ORDER BY g.q) FROM generate_series('2018-01-01'::date,"
	        " '2022-10-01', '3 months') AS g(q) LEFT JOIN ("
	        "SELECT date_trunc('quarter', c.registration_date)::date AS q,"
	        " count(*) AS n FROM case_record c JOIN batch b"
	        " ON b.id = c.batch_id AND b.active AND b.format = 'cases'"
	        " WHERE ($1::text IS NULL OR c.case_type = $1)"
	        " AND ($2::text IS NULL OR c.citizenship = $2)"
	        " AND ($3::text IS NULL OR c.sex = $3)"
	        " AND ($4::text IS NULL OR c.identification_county = $4"
	        "  OR c.origin_admin1 = $4 OR EXISTS (SELECT 1"
	        "  FROM unnest(c.route) AS u(pid) JOIN place pc"
	        "  ON pc.id = u.pid WHERE pc.admin1 = $4))"
	        " GROUP BY 1) s ON s.q = g.q::date", 4, p);
}

/* As direct_series for one window [$5, $6]: cases, minors, women and
 * girls ("n,minors,female"). */
static char *direct_window(const char *const *p)
{
	return text_q("SELECT count(*) || ',' || count(*) FILTER (WHERE"
	        " c.is_minor) || ',' || count(*) FILTER (WHERE"
	        " c.sex = 'female') FROM case_record c JOIN batch b"
	        " ON b.id = c.batch_id AND b.active AND b.format = 'cases'"
	        " WHERE c.registration_date BETWEEN $5::date AND $6::date"
	        " AND ($1::text IS NULL OR c.case_type = $1)"
	        " AND ($2::text IS NULL OR c.citizenship = $2)"
	        " AND ($3::text IS NULL OR c.sex = $3)"
	        " AND ($4::text IS NULL OR c.identification_county = $4"
	        "  OR c.origin_admin1 = $4 OR EXISTS (SELECT 1"
	        "  FROM unnest(c.route) AS u(pid) JOIN place pc"
	        "  ON pc.id = u.pid WHERE pc.admin1 = $4))", 6, p);
}

/* Trend 2018Q1..2022Q4 (quarterly counts) and overview of 2022Q3
 * (previous 2022Q2, year earlier 2021Q3, from the quarterly counts) with
 * filters f (case type, citizenship, sex, county) equal the direct
 * counts. */
static void cube_matches_direct(const char *const *f)
{
	cor_stats_req req;
	cor_stats_result *r;
	const cor_stats_table *t;
	char got[512], *want;
	size_t o = 0;
	const char *w[6] = { f[0], f[1], f[2], f[3], NULL, NULL };
	static const char *const win[2][2] = {
		{ "2022-04-01", "2022-06-30" }, { "2021-07-01", "2021-09-30" } };
	cor_err err;

	cor_stats_req_init(&req);
	req.kind = COR_STATS_TREND;
	req.case_type = f[0];
	req.citizenship = f[1];
	req.sex = f[2];
	req.county = f[3];
	req.no_suppress = 1;
	assert_int_equal(cor_stats_parse_bound("2018Q1", 0, req.from, &err),
	                 0);
	assert_int_equal(cor_stats_parse_bound("2022Q4", 1, req.to, &err), 0);
	r = run_req(&req);
	t = cor_stats_table_find(r, "series");
	assert_non_null(t);
	assert_int_equal(t->nrow, 20);
	got[0] = '\0';
	for (int i = 0; i < t->nrow; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%lld",
		                      i ? "," : "", t->rows[i].cells[1].n);
	want = direct_series(f);
	assert_string_equal(got, want);
	free(want);
	cor_stats_result_free(r);
	req.kind = COR_STATS_OVERVIEW;
	assert_int_equal(cor_stats_parse_bound("2022Q3", 0, req.from, &err),
	                 0);
	assert_int_equal(cor_stats_parse_bound("2022Q3", 1, req.to, &err), 0);
	r = run_req(&req);
	for (int k = 0; k < 2; k++) {
		w[4] = win[k][0];
		w[5] = win[k][1];
		snprintf(got, sizeof(got), "%lld,%lld,%lld",
		         cell(r, "summary", 0, k ? "n_year_ago" : "n_previous")->n,
		         cell(r, "summary", 1, k ? "n_year_ago" : "n_previous")->n,
		         cell(r, "summary", 2, k ? "n_year_ago" : "n_previous")->n);
		want = direct_window(w);
		assert_string_equal(got, want);
		free(want);
	}
	cor_stats_result_free(r);
}

/* sql/006: the loader's counties column selects the same cases as the
 * original county filter (routes through towns and county places, place
 * names and aliases, identification county, Kenyan and other origin
 * admin1); the quarterly counts equal direct counts for several filter
 * combinations, before and after --replace. */
static void test_counties_and_cube(void **state)
{
	static const char key[] = "test-key-counties-0123456789abcdef";
	static const char *const filt[][4] = {
		{ NULL, NULL, NULL, NULL },
		{ NULL, NULL, NULL, "KE011" },
		{ NULL, NULL, "female", "KE022" },
		{ "trafficking", NULL, NULL, NULL },
		{ NULL, "ETH", NULL, "KE010" },
		{ "smuggling", NULL, "male", "KE047" },
		{ NULL, NULL, NULL, "KE030" },
	};
	char dir[256], path[320], bid[24], *t;
	const char *p[1] = { bid };
	cor_etl_opts o;
	cor_etl_result r1, r2;
	cor_err e;
	long old_rows;

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/counties.csv", dir);
	cor_test_write_file(path,
	        "case_id,registration_date,case_type,trafficking_status,sex,"
	        "age,citizenship,origin_country,origin_admin1,route,"
	        "interception_place,identification_county\n"
	        "T1,2022-02-01,smuggling,,male,30,ETH,ETH,ET07,"
	        "ET-MOYALE;KE-MOYALE;KE-MARSABIT;isiolo town;KE-NAIROBI,,\n"
	        "T2,2022-02-02,trafficking,actual,female,15,SOM,SOM,,,,KE030\n"
	        "T3,2022-05-03,smuggling,,female,25,KEN,KEN,KE022,"
	        "KE-NAIROBI,,\n"
	        "T4,2022-05-04,vulnerable_migrant,,male,40,ETH,ETH,ET07,"
	        "ET-MOYALE,,\n"
	        "T5,2022-08-05,trafficking,possible,female,12,ETH,,,"
	        "ET-MOYALE;KE-C-BARINGO;KE-THIKA,KE-THIKA,KE011\n"
	        "T6,2022-08-06,smuggling,,,,,,,,,\n"
	        "T7,2022-11-07,smuggling,,male,20,ERI,ERI,,"
	        "kenyan moyale;KE-C-MARSABIT,,KE010\n");
	/* the fixture chose its batch ids itself */
	cor_test_exec(conn, "SELECT setval('batch_id_seq',"
	              " (SELECT max(id) FROM batch))");
	cor_etl_opts_init(&o);
	o.hmac_key = (const unsigned char *)key;
	o.hmac_key_len = sizeof(key) - 1;
	cor_err_clear(&e);
	if (cor_etl_load_file(conn, path, &o, &r1, &e) != 0)
		fail_msg("load: %s", e.msg);
	assert_int_equal(r1.rows_loaded, 7);
	snprintf(bid, sizeof(bid), "%ld", r1.batch_id);
	/* the loader's arrays, in registration order */
	t = text_q("SELECT string_agg(array_to_string(counties, ' '), '|'"
	           " ORDER BY registration_date) FROM case_record"
	           " WHERE batch_id = $1::bigint", 1, p);
	assert_string_equal(t, "KE010 KE011 KE047|KE030|KE022 KE047||"
	                    "KE011 KE022 KE030||KE010");
	free(t);
	/* every row (fixture included) as the SQL definition ... */
	assert_int_equal(cor_test_scalar(conn, "SELECT count(*) FROM"
	                                 " v_case_counties_stale"), 0);
	/* ... and as the original filter, for every Kenyan county */
	assert_int_equal(cor_test_scalar(conn, "SELECT count(*) FROM admin1 k"
	        " CROSS JOIN case_record c WHERE k.country = 'KEN' AND"
	        " coalesce(c.identification_county = k.pcode OR"
	        " c.origin_admin1 = k.pcode OR c.route && ARRAY(SELECT pc.id"
	        " FROM place pc WHERE pc.admin1 = k.pcode), false) <>"
	        " coalesce(c.counties @> ARRAY[k.pcode::text], false)"), 0);
	assert_int_equal(cor_test_scalar(conn, "SELECT count(*) FROM"
	        " case_record WHERE counties @> '{KE011}'"
	        " AND registration_date >= '2022-01-01'"), 2);
	for (size_t i = 0; i < sizeof(filt) / sizeof(filt[0]); i++)
		cube_matches_direct(filt[i]);
	old_rows = cor_test_scalar(conn, "SELECT count(*) FROM"
	                           " case_quarter_count WHERE quarter >="
	                           " '2022-01-01'");
	assert_true(old_rows >= 7);
	/* --replace: the old batch's counts go with its cases */
	o.replace = 1;
	cor_err_clear(&e);
	if (cor_etl_load_file(conn, path, &o, &r2, &e) != 0)
		fail_msg("load --replace: %s", e.msg);
	assert_int_equal(r2.replaced_batch, r1.batch_id);
	t = text_q("SELECT count(*) FROM case_quarter_count"
	           " WHERE batch_id = $1::bigint", 1, p);
	assert_string_equal(t, "0");
	free(t);
	assert_int_equal(cor_test_scalar(conn, "SELECT count(*) FROM"
	                                 " case_quarter_count WHERE quarter >="
	                                 " '2022-01-01'"), old_rows);
	assert_int_equal(cor_test_scalar(conn, "SELECT sum(n) FROM"
	                                 " case_quarter_count WHERE quarter >="
	                                 " '2022-01-01'"), 7);
	for (size_t i = 0; i < sizeof(filt) / sizeof(filt[0]); i++)
		cube_matches_direct(filt[i]);
	/* leave the fixture as it was for the other tests */
	snprintf(bid, sizeof(bid), "%ld", r2.batch_id);
	t = text_q("UPDATE batch SET active = false WHERE id = $1::bigint"
	           " RETURNING id", 1, p);
	free(t);
	t = text_q("SELECT cor_purge_batch($1::bigint)", 1, p);
	assert_string_equal(t, "7");
	free(t);
	cor_test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overview),
		cmocka_unit_test(test_trend),
		cmocka_unit_test(test_timezone),
		cmocka_unit_test(test_segments_nodes),
		cmocka_unit_test(test_counties_profile_od),
		cmocka_unit_test(test_brief_working_set_county),
		cmocka_unit_test(test_incidents_stocks),
		cmocka_unit_test(test_synthetic_and_json),
		cmocka_unit_test(test_year_earlier_full_year),
		cmocka_unit_test(test_default_source),
		cmocka_unit_test(test_unknown_filters),
		cmocka_unit_test(test_window_rules),
		cmocka_unit_test(test_changepoints),
		cmocka_unit_test(test_nodes_legs_disclosure),
		cmocka_unit_test(test_nodes_share_base),
		cmocka_unit_test(test_cosmetics),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_counties_and_cube),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, setup, teardown);
}
