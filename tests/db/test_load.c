/* tests/db/test_load.c: corridor load against a real PostgreSQL: the real
 * files in $DATA_DIR (counts add up; totals checked against values computed
 * here by reading the files independently with libcsv), idempotency,
 * --replace, rejects, the handed cases C01-C18 adapted to corridor's
 * formats, C11 (nothing committed), C30 (backend terminated mid-COPY),
 * concurrent loads of one file, and de-identification (no identifier in
 * any text column of any table). */
#include <csv.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/pgtest.h"
#include "corridor/db.h"
#include "corridor/etl.h"
#include "corridor/synth.h"

#define FIX "tests/fixtures/etl/"

static const unsigned char KEY[] = "corridor-test-pseudonym-key-0001";

static PGconn *conn;

static int setup(void **state)
{
	(void)state;
	conn = cor_test_connect();
	cor_test_schema(conn);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	return 0;
}

static void opts(cor_etl_opts *o)
{
	cor_etl_opts_init(o);
	o->hmac_key = KEY;
	o->hmac_key_len = sizeof(KEY) - 1;
}

static int load(const char *path, const cor_etl_opts *o, cor_etl_result *r,
                cor_err *e)
{
	cor_err_clear(e);
	return cor_etl_load_file(conn, path, o, r, e);
}

/* Runs a one-value query with one text parameter; returns it as long
 * (NULL -> -1). */
static long q1(const char *sql, const char *p1)
{
	const char *p[1] = { p1 };
	PGresult *res = PQexecParams(conn, sql, p1 ? 1 : 0, NULL, p, NULL,
	                             NULL, 0);
	long v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	v = PQgetisnull(res, 0, 0) ? -1 : atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

static long qb(const char *sql, long batch)
{
	char b[24];

	snprintf(b, sizeof(b), "%ld", batch);
	return q1(sql, b);
}

static void qs(const char *sql, long batch, char *out, size_t n)
{
	char b[24];
	const char *p[1] = { b };
	PGresult *res;

	snprintf(b, sizeof(b), "%ld", batch);
	res = PQexecParams(conn, sql, 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	snprintf(out, n, "%s", PQgetisnull(res, 0, 0) ? "(null)"
	                                              : PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* Runs sql with one text parameter (or none); the test fails unless the
 * server refuses it with SQLSTATE state. */
static void refused(const char *sql, const char *p1, const char *state)
{
	const char *p[1] = { p1 };
	PGresult *res = PQexecParams(conn, sql, p1 ? 1 : 0, NULL, p, NULL,
	                             NULL, 0);
	const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (PQresultStatus(res) != PGRES_FATAL_ERROR || got == NULL ||
	    strcmp(got, state) != 0) {
		PQclear(res);
		fail_msg("%s: want SQLSTATE %s, got %s", sql, state,
		         got ? got : "success");
	}
	PQclear(res);
}

/* Writes corridor synth's rows for so into dir/name; path gets the path. */
static void synth_file(const char *dir, const char *name,
                       const cor_synth_opts *so, char *path, size_t n)
{
	cor_err e;
	FILE *fp;

	snprintf(path, n, "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	cor_err_clear(&e);
	assert_int_equal(cor_synth_write(fp, so, &e), 0);
	assert_int_equal(fclose(fp), 0);
}

static void counts_add_up(const cor_etl_result *r)
{
	assert_int_equal(r->rows_read, r->rows_loaded + r->rows_rejected);
	assert_int_equal(qb("SELECT rows_read - rows_loaded - rows_rejected "
	                    "FROM batch WHERE id = $1", r->batch_id), 0);
	assert_int_equal(qb("SELECT rows_loaded FROM batch WHERE id = $1",
	                    r->batch_id), r->rows_loaded);
}

/* ---- independent reading of the real files (libcsv directly) -------- */

#define SC_MAXF 32

struct scan {
	size_t nf;
	char f[SC_MAXF][1024];
	int header;
	char names[SC_MAXF][128];
	size_t ncol;
	void (*row)(struct scan *s, void *ud);
	void *ud;
	long rows;
};

static void sc_field(void *data, size_t n, void *ud)
{
	struct scan *s = ud;

	if (s->nf < SC_MAXF) {
		if (n >= sizeof(s->f[0]))
			n = sizeof(s->f[0]) - 1;
		memcpy(s->f[s->nf], data ? data : "", n);
		s->f[s->nf][n] = '\0';
	}
	s->nf++;
}

static void sc_row(int c, void *ud)
{
	struct scan *s = ud;

	(void)c;
	if (s->header) {
		s->header = 0;
		s->ncol = s->nf;
		for (size_t i = 0; i < s->nf && i < SC_MAXF; i++) {
			const char *v = s->f[i];

			if (i == 0 && strncmp(v, "\xef\xbb\xbf", 3) == 0)
				v += 3;
			snprintf(s->names[i], sizeof(s->names[i]), "%s", v);
		}
	} else {
		s->rows++;
		s->row(s, s->ud);
	}
	s->nf = 0;
}

static int sc_col(struct scan *s, const char *name)
{
	for (size_t i = 0; i < s->ncol; i++)
		if (strcmp(s->names[i], name) == 0)
			return (int)i;
	fail_msg("column %s not in file", name);
	return -1;
}

/* Reads path; calls row for each data row; returns the row count. The
 * file starts with a UTF-8 BOM in front of a quoted header cell in the
 * mmp file: strip it before libcsv sees it. */
static long scan_file(const char *path, void (*row)(struct scan *, void *),
                      void *ud, struct scan *s)
{
	struct csv_parser p;
	FILE *fp = fopen(path, "rb");
	char buf[65536];
	size_t n;
	int first = 1;

	assert_non_null(fp);
	memset(s, 0, sizeof(*s));
	s->header = 1;
	s->row = row;
	s->ud = ud;
	assert_int_equal(csv_init(&p, CSV_APPEND_NULL), 0);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		char *b = buf;

		if (first && n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
			b += 3;
			n -= 3;
		}
		first = 0;
		assert_int_equal(csv_parse(&p, b, n, sc_field, sc_row, s), n);
	}
	csv_fini(&p, sc_field, sc_row, s);
	csv_free(&p);
	fclose(fp);
	return s->rows;
}

static int data_path(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/%s", cor_test_data_dir(), rel);
	if (access(buf, R_OK) != 0) {
		fprintf(stderr, "SKIP: %s not readable (set DATA_DIR)\n", buf);
		return -1;
	}
	return 0;
}

struct mmp_acc {
	int year, total;
	long sum2019;
	long dead_blank;
};

static void mmp_row(struct scan *s, void *ud)
{
	struct mmp_acc *a = ud;

	if (a->year < 0) {
		a->year = sc_col(s, "Reported Year");
		a->total = sc_col(s, "Total Dead and Missing");
	}
	if (strcmp(s->f[a->year], "2019") == 0)
		a->sum2019 += atol(s->f[a->total]);
	if (s->f[sc_col(s, "Number Dead")][0] == '\0')
		a->dead_blank++;
}

static void test_real_mmp(void **state)
{
	char path[1024];
	struct scan s;
	struct mmp_acc a = { -1, -1, 0, 0 };
	cor_etl_opts o;
	cor_etl_result r, r2;
	cor_err e;
	long rows;

	(void)state;
	if (data_path(path, sizeof(path), "missing_migrants/"
	              "MissingMigrants-Global-2019-12-31_correct.csv") != 0)
		skip();
	rows = scan_file(path, mmp_row, &a, &s);
	opts(&o);
	assert_int_equal(load(path, &o, &r, &e), 0);
	assert_int_equal(r.format, COR_FMT_MMP);
	counts_add_up(&r);
	assert_int_equal(r.rows_read, rows);
	assert_int_equal(r.rows_loaded, rows);
	assert_int_equal(qb("SELECT sum(total_dead_missing) FROM incident "
	                    "WHERE batch_id = $1 AND reported_date >= "
	                    "'2019-01-01' AND reported_date < '2020-01-01'",
	                    r.batch_id), a.sum2019);
	/* blank counts stay NULL */
	assert_int_equal(qb("SELECT count(*) FROM incident WHERE batch_id = "
	                    "$1 AND dead IS NULL", r.batch_id), a.dead_blank);
	/* a reload changes nothing */
	assert_int_equal(load(path, &o, &r2, &e), 0);
	assert_true(r2.already_loaded);
	assert_int_equal(r2.batch_id, r.batch_id);
	assert_int_equal(qb("SELECT count(*) FROM incident WHERE batch_id = "
	                    "$1", r.batch_id), rows);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE format = 'mmp' "
	                    "AND file_name LIKE 'MissingMigrants%'", NULL), 1);
}

struct unhcr_acc {
	long eth_zaf_2025, oip_blank;
	int c[4];
};

static void unhcr_row(struct scan *s, void *ud)
{
	struct unhcr_acc *a = ud;

	if (a->c[0] < 0) {
		a->c[0] = sc_col(s, "year");
		a->c[1] = sc_col(s, "coo_iso");
		a->c[2] = sc_col(s, "coa_iso");
		a->c[3] = sc_col(s, "refugees");
	}
	if (strcmp(s->f[a->c[0]], "2025") == 0 &&
	    strcmp(s->f[a->c[1]], "ETH") == 0 &&
	    strcmp(s->f[a->c[2]], "ZAF") == 0)
		a->eth_zaf_2025 += atol(s->f[a->c[3]]);
	if (s->f[sc_col(s, "oip")][0] == '\0')
		a->oip_blank++;
}

static void test_real_unhcr(void **state)
{
	char path[1024];
	struct scan s;
	struct unhcr_acc a = { 0, 0, { -1, -1, -1, -1 } };
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	long rows;

	(void)state;
	if (data_path(path, sizeof(path),
	              "unhcr_refugee_statistics/population.csv") != 0)
		skip();
	rows = scan_file(path, unhcr_row, &a, &s);
	opts(&o);
	assert_int_equal(load(path, &o, &r, &e), 0);
	assert_int_equal(r.format, COR_FMT_UNHCR);
	counts_add_up(&r);
	assert_int_equal(r.rows_loaded, rows);
	assert_int_equal(qb("SELECT refugees FROM od_stock WHERE batch_id = $1"
	                    " AND year = 2025 AND origin = 'ETH' AND asylum = "
	                    "'ZAF'", r.batch_id), a.eth_zaf_2025);
	assert_int_equal(qb("SELECT count(*) FROM od_stock WHERE batch_id = $1"
	                    " AND oip IS NULL", r.batch_id), a.oip_blank);
	/* joined on the ISO column: Austria is AUT, never AUS */
	assert_int_equal(qb("SELECT count(*) FROM od_stock WHERE batch_id = $1"
	                    " AND asylum = 'AUS' AND year = 1951",
	                    r.batch_id), 1);
}

struct ctdc_acc {
	const char *col, *val;
	long hits, blank;
	int c;
};

static void ctdc_row(struct scan *s, void *ud)
{
	struct ctdc_acc *a = ud;
	const char *v;

	if (a->c < 0)
		a->c = sc_col(s, a->col);
	v = s->f[a->c];
	a->hits += strcmp(v, a->val) == 0;
	a->blank += v[0] == '\0' || strcmp(v, "-99") == 0 ||
	            strcmp(v, "00") == 0;
}

static void test_real_ctdc(void **state)
{
	char path[1024];
	struct scan s;
	struct ctdc_acc a = { "citizenship", "KE", 0, 0, -1 };
	struct ctdc_acc b = { "country_of_exploitation", "SA", 0, 0, -1 };
	struct ctdc_acc c = { "citizenship", "KH", 0, 0, -1 };
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	long rows;

	(void)state;
	if (data_path(path, sizeof(path),
	              "ctdc/gh-mrmoore_Exports_final.csv") != 0)
		skip();
	rows = scan_file(path, ctdc_row, &a, &s);
	opts(&o);
	assert_int_equal(load(path, &o, &r, &e), 0);
	assert_int_equal(r.format, COR_FMT_CTDC);
	counts_add_up(&r);
	assert_int_equal(r.rows_loaded, rows);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND citizenship = 'KEN'", r.batch_id),
	                 a.hits);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND citizenship IS NULL", r.batch_id),
	                 a.blank);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND registration_date IS NULL AND case_type ="
	                    " 'trafficking'", r.batch_id), rows);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND age_band = '-99'", r.batch_id), 0);

	if (data_path(path, sizeof(path),
	              "ctdc/gh-mrmoore_human_traffick_sample_dataset.csv")
	    != 0)
		skip();
	rows = scan_file(path, ctdc_row, &b, &s);
	scan_file(path, ctdc_row, &c, &s);
	assert_int_equal(load(path, &o, &r, &e), 0);
	counts_add_up(&r);
	assert_int_equal(r.rows_loaded, rows);
	/* SA is Saudi Arabia */
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND country_of_exploitation = 'SAU'",
	                    r.batch_id), b.hits);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND citizenship = 'KHM'", r.batch_id),
	                 c.hits);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND citizenship IS NULL", r.batch_id),
	                 c.blank);
}

/* SHA-256 of a file as hex, computed here (OpenSSL EVP_Digest over the
 * whole file in memory), not by corridor. */
static void file_sha256_hex(const char *path, char hex[65])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	assert_int_equal(EVP_Digest(buf, (size_t)n, md, &len, EVP_sha256(),
	                            NULL), 1);
	assert_int_equal(len, 32);
	free(buf);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = hx[md[i] >> 4];
		hex[2 * i + 1] = hx[md[i] & 15];
	}
	hex[64] = '\0';
}

static long n_child_tables(void)
{
	return q1("SELECT count(*) FROM pg_class WHERE relkind = 'r' AND "
	          "relname LIKE 'case\\_record\\_b%'", NULL);
}

/* Content already loaded under another file name: the loader hashes such
 * a file while loading it (no pass of its own before) and finds the
 * content after the COPY; the result must be the same no-op as a rerun
 * under the same name (same batch, nothing read, no row, batch row or
 * table left), for a table of its own too, and for a copy that the
 * options of this run would refuse. The hash stored is the file's. */
static void test_same_content_other_name(void **state)
{
	static const char *text = "case_id,registration_date,case_type\n"
		"R-1,2019-05-02,smuggling\n"
		"R-2,2019-05-03,smuggling\n"
		"R-3,2019-05-04,trafficking\n";
	static const char *bad = "case_id,registration_date,case_type\n"
		"S-1,2019-05-02,smuggling\n"
		"S-2,2019-05-03,smugling\n"
		"S-3,2019-05-04,trafficking\n";
	char dir[512], a[600], b[600], hex[65];
	cor_etl_opts o;
	cor_etl_result r1, r2;
	cor_err e;
	long batches, tables;

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	snprintf(a, sizeof(a), "%s/first.csv", dir);
	snprintf(b, sizeof(b), "%s/copy-of-first.csv", dir);
	cor_test_write_file(a, text);
	cor_test_write_file(b, text);
	file_sha256_hex(a, hex);
	opts(&o);
	assert_int_equal(load(a, &o, &r1, &e), 0);
	assert_false(r1.already_loaded);
	assert_int_equal(r1.rows_loaded, 3);
	assert_string_equal(r1.sha256, hex);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE sha256 = $1 "
	                    "AND active", hex), 1);
	batches = q1("SELECT count(*) FROM batch", NULL);
	assert_int_equal(load(b, &o, &r2, &e), 0);
	assert_true(r2.already_loaded);
	assert_int_equal(r2.batch_id, r1.batch_id);
	assert_int_equal(r2.rows_read, 0);
	assert_int_equal(r2.rows_loaded, 0);
	assert_string_equal(r2.sha256, hex);
	assert_int_equal(q1("SELECT count(*) FROM batch", NULL), batches);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1", r1.batch_id), 3);
	assert_int_equal(q1("SELECT count(*) FROM case_record c JOIN batch b "
	                    "ON b.id = c.batch_id WHERE b.sha256 = $1", hex),
	                 3);

	/* a table of its own (sql/007): the second load's is not kept */
	cor_test_write_file(a, "case_id,registration_date,case_type\n"
	                    "T-1,2019-06-02,smuggling\n");
	cor_test_write_file(b, "case_id,registration_date,case_type\n"
	                    "T-1,2019-06-02,smuggling\n");
	file_sha256_hex(a, hex);
	o.child_table_min_bytes = 0;
	assert_int_equal(load(a, &o, &r1, &e), 0);
	assert_false(r1.already_loaded);
	assert_string_equal(r1.sha256, hex);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE sha256 = $1",
	                    hex), 1);
	tables = n_child_tables();
	batches = q1("SELECT count(*) FROM batch", NULL);
	assert_int_equal(load(b, &o, &r2, &e), 0);
	assert_true(r2.already_loaded);
	assert_int_equal(r2.batch_id, r1.batch_id);
	assert_int_equal(n_child_tables(), tables);
	assert_int_equal(q1("SELECT count(*) FROM batch", NULL), batches);

	/* loaded once with --max-rejects 1; a copy loaded without it is
	 * still the no-op, not a refused file */
	cor_test_write_file(a, bad);
	cor_test_write_file(b, bad);
	o.child_table_min_bytes = COR_ETL_CHILD_TABLE_MIN_BYTES;
	o.max_rejects = 1;
	assert_int_equal(load(a, &o, &r1, &e), 0);
	assert_int_equal(r1.rows_loaded, 2);
	assert_int_equal(r1.rows_rejected, 1);
	o.max_rejects = 0;
	assert_int_equal(load(b, &o, &r2, &e), 0);
	assert_true(r2.already_loaded);
	assert_int_equal(r2.batch_id, r1.batch_id);
	assert_int_equal(r2.rows_rejected, 0);
	assert_int_equal(r2.nreasons, 0);
	/* and under its own name (known: hashed before the COPY), the
	 * same no-op */
	assert_int_equal(load(a, &o, &r2, &e), 0);
	assert_true(r2.already_loaded);
	assert_int_equal(r2.batch_id, r1.batch_id);
	cor_test_rmdir(dir);
}

/* ---- handed cases ----------------------------------------------------- */

static void test_reload_replace(void **state)
{
	cor_etl_opts o;
	cor_etl_result r1, r2, r3;
	cor_err e;

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "c30_cases.csv", &o, &r1, &e), 0);
	assert_int_equal(r1.rows_loaded, 3);
	assert_int_equal(load(FIX "c30_cases.csv", &o, &r2, &e), 0);
	assert_true(r2.already_loaded);
	assert_int_equal(r2.batch_id, r1.batch_id);
	o.replace = 1;
	assert_int_equal(load(FIX "c30_cases.csv", &o, &r3, &e), 0);
	assert_false(r3.already_loaded);
	assert_int_equal(r3.replaced_batch, r1.batch_id);
	assert_true(r3.batch_id != r1.batch_id);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1", r1.batch_id), 0);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1", r3.batch_id), 3);
	assert_int_equal(qb("SELECT active::int FROM batch WHERE id = $1",
	                    r1.batch_id), 0);
	assert_int_equal(qb("SELECT active::int FROM batch WHERE id = $1",
	                    r3.batch_id), 1);
}

/* --replace with a corrected export (same file name, new content) swaps
 * every active batch of that name; without --replace the new content
 * loads beside the old and the result names the batch that stays. */
static void test_replace_by_name(void **state)
{
	char dir[512], path[600];
	cor_etl_opts o;
	cor_etl_result r1, r2, r3, r4;
	cor_err e;
	static const char *active_rows =
		"SELECT coalesce(sum(rows_loaded), 0) * 100 + count(*) FROM "
		"batch WHERE file_name = 'corrected.csv' AND active";

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/corrected.csv", dir);
	opts(&o);
	cor_test_write_file(path, "case_id,registration_date,case_type\n"
	                    "N-1,2019-05-02,smuggling\n"
	                    "N-2,2019-05-03,smuggling\n");
	assert_int_equal(load(path, &o, &r1, &e), 0);
	assert_int_equal(r1.same_name_batch, 0);
	/* the corrected export, loaded without --replace: both count */
	cor_test_write_file(path, "case_id,registration_date,case_type\n"
	                    "N-1,2019-05-02,smuggling\n"
	                    "N-2,2019-05-03,trafficking\n"
	                    "N-3,2019-05-04,smuggling\n");
	assert_int_equal(load(path, &o, &r2, &e), 0);
	assert_false(r2.already_loaded);
	assert_int_equal(r2.same_name_batch, r1.batch_id);
	assert_int_equal(r2.replaced_count, 0);
	assert_int_equal(q1(active_rows, NULL), 5 * 100 + 2);
	/* --replace: the batch of the same content and the one of the same
	 * name both go */
	o.replace = 1;
	assert_int_equal(load(path, &o, &r3, &e), 0);
	assert_int_equal(r3.replaced_count, 2);
	assert_int_equal(r3.replaced_batch, r2.batch_id);
	assert_int_equal(r3.same_name_batch, 0);
	assert_int_equal(q1(active_rows, NULL), 3 * 100 + 1);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id "
	                    "= $1", r1.batch_id), 0);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id "
	                    "= $1", r2.batch_id), 0);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id "
	                    "= $1", r3.batch_id), 3);
	/* a third export replaces the one batch left */
	cor_test_write_file(path, "case_id,registration_date,case_type\n"
	                    "N-1,2019-05-02,smuggling\n");
	assert_int_equal(load(path, &o, &r4, &e), 0);
	assert_int_equal(r4.replaced_count, 1);
	assert_int_equal(r4.replaced_batch, r3.batch_id);
	assert_int_equal(q1(active_rows, NULL), 1 * 100 + 1);
	cor_test_rmdir(dir);
}

static void test_rejects(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char s[200];

	(void)state;
	opts(&o);
	o.max_rejects = 3;              /* 4 bad rows: refused */
	assert_int_equal(load(FIX "rejects_cases.csv", &o, &r, &e), COR_EDATA);
	assert_int_equal(r.rows_rejected, 4);
	assert_int_equal(r.rows_loaded, 0);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE file_name = "
	                    "'rejects_cases.csv'", NULL), 0);
	o.max_rejects = 4;
	assert_int_equal(load(FIX "rejects_cases.csv", &o, &r, &e), 0);
	assert_int_equal(r.rows_read, 6);
	assert_int_equal(r.rows_loaded, 2);
	assert_int_equal(r.rows_rejected, 4);
	counts_add_up(&r);
	assert_int_equal(qb("SELECT count(*) FROM reject WHERE batch_id = $1",
	                    r.batch_id), 4);
	qs("SELECT string_agg(line || ':' || column_name, ' ' ORDER BY line) "
	   "FROM reject WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "3:age 4:fee_usd 5:route 6:route");
	/* no raw content in the reject table */
	assert_int_equal(qb("SELECT count(*) FROM reject WHERE batch_id = $1 "
	                    "AND (reason LIKE '%Atlantis%' OR reason LIKE "
	                    "'%121%')", r.batch_id), 0);
	/* the alias "Addis" resolved */
	qs("SELECT array_to_string(route, ',') FROM case_record WHERE "
	   "batch_id = $1 AND fee_usd = 12.5", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "ET-ADDIS-ABABA");
}

/* C11: one bad value: nothing of the file committed; line 4, column
 * number_dead, value twelve. */
static void test_c11_nothing_committed(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	long before = q1("SELECT count(*) FROM incident", NULL);
	long batches = q1("SELECT count(*) FROM batch", NULL);

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "c11_mmp_partial.csv", &o, &r, &e),
	                 COR_EDATA);
	assert_int_equal(e.line, 4);
	assert_string_equal(e.column, "number_dead");
	assert_non_null(strstr(e.msg, "twelve"));
	assert_int_equal(q1("SELECT count(*) FROM incident", NULL), before);
	assert_int_equal(q1("SELECT count(*) FROM batch", NULL), batches);
}

/* C06: blank counts are NULL, never 0. */
static void test_c06_blank_counts(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "c06_mmp_blank.csv", &o, &r, &e), 0);
	assert_int_equal(qb("SELECT count(dead) FROM incident WHERE batch_id ="
	                    " $1", r.batch_id), 1);
	assert_int_equal(qb("SELECT sum(dead) FROM incident WHERE batch_id ="
	                    " $1", r.batch_id), 0);
	assert_int_equal(qb("SELECT sum(missing) FROM incident WHERE "
	                    "batch_id = $1", r.batch_id), 15);
}

/* C15: latitude first; blank -> both NULL (row kept); 95.1 refused. */
static void test_c15_coords(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char s[100];

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "c15_mmp_coords.csv", &o, &r, &e),
	                 COR_EDATA);
	assert_int_equal(e.line, 4);
	assert_string_equal(e.column, "Location Coordinates");
	o.max_rejects = 1;
	assert_int_equal(load(FIX "c15_mmp_coords.csv", &o, &r, &e), 0);
	assert_int_equal(r.rows_loaded, 2);
	qs("SELECT lat || ' ' || lon FROM incident WHERE batch_id = $1 AND "
	   "web_id = 1", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "3.5269 39.0543");
	assert_int_equal(qb("SELECT count(*) FROM incident WHERE batch_id = $1"
	                    " AND web_id = 2 AND lat IS NULL AND lon IS NULL",
	                    r.batch_id), 1);
	assert_int_equal(qb("SELECT sum(total_dead_missing) FROM incident "
	                    "WHERE batch_id = $1", r.batch_id), 6);
}

/* C17: text dates parsed; chronological order; quarterly totals. */
static void test_c17_dates(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char s[200];

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "c17_mmp_dates.csv", &o, &r, &e), 0);
	qs("SELECT string_agg(web_id || '=' || reported_date, ' ' ORDER BY "
	   "reported_date) FROM incident WHERE batch_id = $1", r.batch_id, s,
	   sizeof(s));
	assert_string_equal(s, "203=2018-12-31 202=2019-03-29 "
	                       "201=2019-04-02");
	qs("SELECT string_agg(q || '=' || n, ' ' ORDER BY q) FROM (SELECT "
	   "to_char(reported_date, 'YYYY\"Q\"Q') q, sum(total_dead_missing) n "
	   "FROM incident WHERE batch_id = $1 GROUP BY 1) x", r.batch_id, s,
	   sizeof(s));
	assert_string_equal(s, "2018Q4=1 2019Q1=2 2019Q2=4");
}

static void test_c01_c03_c12_c18(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char s[200];

	(void)state;
	opts(&o);
	/* C01: BOM before case_id */
	assert_int_equal(load(FIX "c01_cases_bom.csv", &o, &r, &e), 0);
	assert_int_equal(r.rows_loaded, 2);
	qs("SELECT string_agg(origin_country, ',' ORDER BY registration_date)"
	   " FROM case_record WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "ETH,ERI");
	/* C03: CRLF; no CR in values; 2 x ET-MOYALE, 1 x ET-DILLA */
	assert_int_equal(load(FIX "c03_cases_crlf.csv", &o, &r, &e), 0);
	qs("SELECT string_agg(route[1], ',' ORDER BY registration_date) FROM "
	   "case_record WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "ET-MOYALE,ET-MOYALE,ET-DILLA");
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND (array_to_string(route, ',') LIKE "
	                    "'%' || chr(13) || '%' OR case_type LIKE '%' || "
	                    "chr(13))", r.batch_id), 0);
	/* C12: unnamed empty trailing column dropped */
	assert_int_equal(load(FIX "c12_cases_trailing.csv", &o, &r, &e), 0);
	assert_int_equal(r.rows_loaded, 2);
	/* ... but not when it holds a value */
	assert_int_equal(load(FIX "c12_cases_trailing_value.csv", &o, &r, &e),
	                 COR_EDATA);
	assert_int_equal(e.line, 3);
	/* C18: HXL row skipped, not counted; total 165 */
	assert_int_equal(load(FIX "c18_cases_hxl.csv", &o, &r, &e), 0);
	assert_int_equal(r.rows_read, 2);
	assert_int_equal(qb("SELECT sum(days_in_transit) FROM case_record "
	                    "WHERE batch_id = $1", r.batch_id), 165);
}

/* C02 (UTF-8 refused naming line 2 and 0xF4; latin1 converts), C04
 * (physical lines), C09 (decimal comma). */
static void test_c02_c04_c09(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char s[200];

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "c02_cases_latin1.csv", &o, &r, &e),
	                 COR_EDATA);
	assert_int_equal(e.line, 2);
	assert_non_null(strstr(e.msg, "0xF4"));
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE file_name = "
	                    "'c02_cases_latin1.csv'", NULL), 0);
	o.csv.encoding = COR_ENC_LATIN1;
	assert_int_equal(load(FIX "c02_cases_latin1.csv", &o, &r, &e), 0);
	qs("SELECT encode(convert_to(reporting_org, 'UTF8'), 'hex') FROM "
	   "case_record WHERE batch_id = $1 AND reporting_org LIKE 'Bureau%'",
	   r.batch_id, s, sizeof(s));
	/* "Bureau Côte d'Ivoire" */
	assert_string_equal(s, "42757265617520"
	                       "43c3b4746520642749766f697265");
	o.csv.encoding = COR_ENC_UTF8;

	assert_int_equal(load(FIX "c04_cases_newline.csv", &o, &r, &e),
	                 COR_EDATA);
	assert_int_equal(e.line, 4);
	assert_string_equal(e.column, "age");
	assert_int_equal(r.rows_read, 2);

	assert_int_equal(load(FIX "c09_cases_comma.csv", &o, &r, &e),
	                 COR_EDATA);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.column, "fee_usd");
	o.decimal_comma = 1;
	assert_int_equal(load(FIX "c09_cases_comma.csv", &o, &r, &e), 0);
	qs("SELECT string_agg(fee_usd::text, ' ' ORDER BY fee_usd) FROM "
	   "case_record WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "87.75 1204.50");
}

/* C13 and CTDC codes: -99/Unknown NULL, 00 unknown country, NA Namibia. */
static void test_ctdc_codes(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char s[400];

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "c13_raw.csv", &o, &r, &e), 0);
	assert_int_equal(r.format, COR_FMT_CTDC);
	assert_int_equal(r.rows_loaded, 3);
	assert_int_equal(qb("SELECT count(sex) FROM case_record WHERE "
	                    "batch_id = $1", r.batch_id), 2);
	assert_int_equal(qb("SELECT count(age_band) FROM case_record WHERE "
	                    "batch_id = $1", r.batch_id), 2);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND 'forced_labour' = ANY(exploitation_types)",
	                    r.batch_id), 1);
	qs("SELECT string_agg(coalesce(citizenship, '-'), ',' ORDER BY id) "
	   "FROM case_record WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "ETH,ERI,-");

	assert_int_equal(load(FIX "ctdc_codes.csv", &o, &r, &e), 0);
	qs("SELECT string_agg(concat_ws('|', registration_year, "
	   "coalesce(sex, '-'), coalesce(age_band, '-'), is_minor, "
	   "coalesce(citizenship, '-'), coalesce(country_of_exploitation, '-'),"
	   " exploitation_types, means_of_control, "
	   "coalesce(recruiter_relationship, '-')), ' ' ORDER BY id) FROM "
	   "case_record WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s,
	        "2017|female|9--17|t|NAM|ZAF|"
	        "{forced_labour,sexual_exploitation}|{debt_bondage}|family "
	        "2018|male|-|-|SAU|{}|{}|- "
	        "2018|-|48+|f|KEN|-|{sexual_exploitation}|{}|intimate_partner");
}

/* Place names: accents, case, aliases; ambiguous names rejected. */
static void test_places(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char s[200];

	(void)state;
	opts(&o);
	o.max_rejects = 1;
	assert_int_equal(load(FIX "places_cases.csv", &o, &r, &e), 0);
	assert_int_equal(r.rows_loaded, 1);
	assert_int_equal(r.rows_rejected, 1);
	assert_non_null(strstr(r.reasons[0].reason, "ambiguous"));
	assert_non_null(strstr(r.reasons[0].reason, "KE-MOYALE"));
	qs("SELECT array_to_string(route, ',') || '|' || interception_place "
	   "FROM case_record WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s, "ET-ADDIS-ABABA,ET-MOYALE,TZ-DAR-ES-SALAAM|"
	                       "TZ-DAR-ES-SALAAM");
}

/* No key: a cases file is refused before anything is written. */
static void test_no_key(void **state)
{
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;

	(void)state;
	cor_etl_opts_init(&o);
	assert_int_equal(load(FIX "c18_cases_hxl.csv", &o, &r, &e),
	                 COR_EPERM);
}

/* De-identification: every text-like column of every table is scanned
 * for the fixture's names, phones, e-mails, ids, addresses and dates of
 * birth. */
static void test_deidentification(void **state)
{
	static const char *const needles[] = {
		"Abebech", "Tesfaye", "Gebremariam", "911 234 567", "+251",
		"abebech.tesfaye@example.org", "1999-03-14", "ET-ID-55501234",
		"Kebele 04", "722 000 111", "Meskerem", "DEID-CASE-7781",
		"DEID-CASE-7782", "Yohannes", "0722 555 019",
		"y.girma.w@example.net", "2004-11-30", "KE-ID-77104455",
		"2nd Avenue", "travelling alone", "example.", NULL
	};
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	char hex[65], s[200];
	PGresult *cols;
	long checked = 0;

	(void)state;
	opts(&o);
	assert_int_equal(load(FIX "deid_cases.csv", &o, &r, &e), 0);
	assert_int_equal(r.rows_loaded, 2);
	assert_non_null(strstr(r.dropped, "full_name"));
	assert_non_null(strstr(r.dropped, "Phone Number"));
	assert_non_null(strstr(r.dropped, "e-mail"));
	assert_non_null(strstr(r.dropped, "date_of_birth"));
	assert_non_null(strstr(r.dropped, "national_id"));
	assert_non_null(strstr(r.dropped, "home_address"));
	assert_non_null(strstr(r.ignored, "note"));
	/* date of birth -> age at registration */
	qs("SELECT string_agg(age || '/' || is_minor, ',' ORDER BY "
	   "registration_date) FROM case_record WHERE batch_id = $1",
	   r.batch_id, s, sizeof(s));
	assert_string_equal(s, "20/false,14/true");
	/* pseudonym = HMAC-SHA-256(key, case id) */
	assert_int_equal(cor_etl_hmac_hex(KEY, sizeof(KEY) - 1,
	                                  "DEID-CASE-7781", 14, hex), 0);
	qs("SELECT case_key FROM case_record WHERE batch_id = $1 AND "
	   "registration_date = '2019-05-02'", r.batch_id, s, sizeof(s));
	assert_string_equal(s, hex);
	qs("SELECT array_to_string(dropped_columns, '|') FROM batch WHERE "
	   "id = $1", r.batch_id, s, sizeof(s));
	assert_non_null(strstr(s, "full_name"));

	cols = PQexec(conn, "SELECT table_schema, table_name, column_name "
	              "FROM information_schema.columns c JOIN "
	              "information_schema.tables t USING (table_schema, "
	              "table_name) WHERE t.table_type = 'BASE TABLE' AND "
	              "table_schema NOT IN ('pg_catalog', "
	              "'information_schema') AND data_type IN ('text', "
	              "'character', 'character varying', 'ARRAY', 'date', "
	              "'name', 'json', 'jsonb')");
	assert_int_equal(PQresultStatus(cols), PGRES_TUPLES_OK);
	assert_true(PQntuples(cols) > 10);
	for (int i = 0; i < PQntuples(cols); i++) {
		char *sch = PQescapeIdentifier(conn, PQgetvalue(cols, i, 0),
		                               strlen(PQgetvalue(cols, i, 0)));
		char *tab = PQescapeIdentifier(conn, PQgetvalue(cols, i, 1),
		                               strlen(PQgetvalue(cols, i, 1)));
		char *col = PQescapeIdentifier(conn, PQgetvalue(cols, i, 2),
		                               strlen(PQgetvalue(cols, i, 2)));
		char sql[1024];

		assert_non_null(sch);
		assert_non_null(tab);
		assert_non_null(col);
		for (size_t k = 0; needles[k] != NULL; k++) {
			long n;

			snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.%s "
			         "WHERE strpos(%s::text, $1) > 0", sch, tab,
			         col);
			n = q1(sql, needles[k]);
			if (n != 0)
				fail_msg("'%s' found in %s.%s", needles[k],
				         tab, col);
			checked++;
		}
		PQfreemem(sch);
		PQfreemem(tab);
		PQfreemem(col);
	}
	PQclear(cols);
	assert_true(checked > 100);
}

/* Loads p0 and p1 at the same time in two processes (own connections;
 * child_min: o.child_table_min_bytes, -1 = default) and counts how many
 * loaded (*loaded) and how many found the content already loaded. */
static void race_two(const char *p0, const char *p1, long child_min,
                     int *loaded, int *already)
{
	const char *path[2] = { p0, p1 };
	pid_t pid[2];

	*loaded = *already = 0;
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			cor_etl_opts o;
			cor_etl_result r;
			cor_err e;
			PGconn *c = cor_db_connect(NULL, &e);
			int rc;

			if (c == NULL)
				_exit(2);
			opts(&o);
			if (child_min >= 0)
				o.child_table_min_bytes = child_min;
			rc = cor_etl_load_file(c, path[i], &o, &r, &e);
			PQfinish(c);
			_exit(rc != 0 ? 1 : r.already_loaded ? 11 : 10);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st;

		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		*loaded += WEXITSTATUS(st) == 10;
		*already += WEXITSTATUS(st) == 11;
	}
}

/* Two loads of one content under two names at the same time (each name
 * new: the content check waits for the hash made while loading), into
 * tables of their own: one loads, one no-ops, nothing is left of it. */
static void test_concurrent_two_names(void **state)
{
	char dir[512], path[2][600], hex[65];
	cor_synth_opts so = { 3000, 11, 2018, 1, 2018, 4 };
	int loaded = 0, already = 0;
	long tables = n_child_tables();

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	synth_file(dir, "twin-a.csv", &so, path[0], sizeof(path[0]));
	synth_file(dir, "twin-b.csv", &so, path[1], sizeof(path[1]));
	file_sha256_hex(path[0], hex);
	race_two(path[0], path[1], 0, &loaded, &already);
	assert_int_equal(loaded, 1);
	assert_int_equal(already, 1);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE file_name LIKE "
	                    "'twin-_.csv'", NULL), 1);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE sha256 = $1",
	                    hex), 1);
	assert_int_equal(q1("SELECT count(*) FROM case_record c JOIN batch b "
	                    "ON b.id = c.batch_id WHERE b.sha256 = $1", hex),
	                 3000);
	assert_int_equal(n_child_tables(), tables + 1);
	cor_test_rmdir(dir);
}

/* Two loads of one file at the same time: one loads, one no-ops. */
static void test_concurrent(void **state)
{
	char dir[512], path[600];
	cor_synth_opts so = { 20000, 7, 2018, 1, 2018, 4 };
	int loaded = 0, already = 0;

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	synth_file(dir, "conc.csv", &so, path, sizeof(path));
	race_two(path, path, -1, &loaded, &already);
	assert_int_equal(loaded, 1);
	assert_int_equal(already, 1);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE file_name = "
	                    "'conc.csv'", NULL), 1);
	assert_int_equal(q1("SELECT count(*) FROM case_record c JOIN batch b "
	                    "ON b.id = c.batch_id WHERE b.file_name = "
	                    "'conc.csv'", NULL), 20000);
	cor_test_rmdir(dir);
}

/* sql/004: case_record has no foreign keys to the reference tables; the
 * loader checks every code. v_case_ref_problems lists values naming no
 * reference row: empty after everything loaded so far (fixtures, the
 * concurrent synth file) plus a synth file of every place and quarter; a
 * row edited behind the loader's back shows up, one line per bad value. */
static void test_ref_problems(void **state)
{
	char dir[512], path[600], s[300];
	cor_synth_opts so = { 30000, 3, 2017, 1, 2019, 4 };
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;

	(void)state;
	assert_int_equal(q1("SELECT count(*) FROM pg_constraint WHERE conrelid "
	                    "= 'case_record'::regclass AND contype = 'f'",
	                    NULL), 0);
	cor_test_tmpdir(dir, sizeof(dir));
	synth_file(dir, "refs.csv", &so, path, sizeof(path));
	opts(&o);
	/* into case_record itself: a batch table's CHECK (sql/007) would
	 * refuse the bad batch_id the view must be able to show */
	o.child_table_min_bytes = UINT64_MAX;
	assert_int_equal(load(path, &o, &r, &e), 0);
	assert_int_equal(r.rows_loaded, 30000);
	assert_true(q1("SELECT count(DISTINCT batch_id) FROM case_record",
	               NULL) >= 5);
	assert_true(q1("SELECT count(*) FROM case_record WHERE "
	               "interception_place IS NOT NULL AND "
	               "identification_county IS NOT NULL AND "
	               "origin_admin1 IS NOT NULL", NULL) > 1000);
	assert_int_equal(q1("SELECT count(*) FROM v_case_ref_problems", NULL),
	                 0);
	/* the view can fail: two bad values in one row */
	cor_test_exec(conn, "BEGIN");
	cor_test_exec(conn, "UPDATE case_record SET citizenship = 'XYZ', "
	              "route = route || '{ZZ-NOWHERE}'::text[] WHERE id = "
	              "(SELECT min(id) FROM case_record)");
	cor_test_exec(conn, "UPDATE case_record SET batch_id = 999999, "
	              "origin_admin1 = 'KE999' WHERE id = (SELECT max(id) FROM "
	              "case_record)");
	qs("SELECT string_agg(column_name || '=' || value, ' ' ORDER BY "
	   "column_name) FROM v_case_ref_problems WHERE batch_id > $1", 0, s,
	   sizeof(s));
	assert_string_equal(s, "batch_id=999999 citizenship=XYZ "
	                    "origin_admin1=KE999 route=ZZ-NOWHERE");
	cor_test_exec(conn, "ROLLBACK");
	assert_int_equal(q1("SELECT count(*) FROM v_case_ref_problems", NULL),
	                 0);
	cor_test_rmdir(dir);
}

/* COPY binary round trip through the server: fees (numeric), route dates
 * with NULL elements, empty arrays, smallint age, dates. */
static void test_binary_values(void **state)
{
	char dir[512], path[600], s[300];
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/bin.csv", dir);
	cor_test_write_file(path,
	    "case_id,registration_date,case_type,age,route,fee_usd,"
	    "exploitation_types\n"
	    "B-1,2019-03-01,smuggling,0,ET-MOYALE@2019-02-27;KE-MOYALE,0,\n"
	    "B-2,2019-03-02,smuggling,120,,0.05,\n"
	    "B-3,2019-03-03,trafficking,17,KE-MOYALE;KE-ISIOLO@2019-03-03,"
	    "10000,begging;other;begging\n"
	    "B-4,2019-03-04,smuggling,,,12.5,\n"
	    "B-5,2019-03-05,smuggling,,,9999999999.99,\n");
	opts(&o);
	assert_int_equal(load(path, &o, &r, &e), 0);
	assert_int_equal(r.rows_loaded, 5);
	qs("SELECT string_agg(concat_ws('|', registration_date, "
	   "registration_year, age, age_band, is_minor, route, route_dates, "
	   "fee_usd, exploitation_types), ' ' ORDER BY registration_date) "
	   "FROM case_record WHERE batch_id = $1", r.batch_id, s, sizeof(s));
	assert_string_equal(s,
	    "2019-03-01|2019|0|0--8|t|{ET-MOYALE,KE-MOYALE}|{2019-02-27,NULL}"
	    "|0.00|{} "
	    "2019-03-02|2019|120|48+|f|{}|0.05|{} "
	    "2019-03-03|2019|17|9--17|t|{KE-MOYALE,KE-ISIOLO}|"
	    "{NULL,2019-03-03}|10000.00|{begging,other} "
	    "2019-03-04|2019|{}|12.50|{} "
	    "2019-03-05|2019|{}|9999999999.99|{}");
	/* numeric(12, 2) cannot hold 10^10: a reject naming the line */
	cor_test_write_file(path, "case_id,registration_date,case_type,"
	                    "fee_usd\nB-6,2019-03-06,smuggling,10000000000\n");
	assert_int_equal(load(path, &o, &r, &e), COR_EDATA);
	assert_int_equal(r.reasons[0].line, 2);
	assert_string_equal(r.reasons[0].column, "fee_usd");
	cor_test_rmdir(dir);
}

/* --replace works for the corridor_loader role (sql/004 cor_purge_batch),
 * which still may not DELETE case rows itself nor purge an active batch. */
static void test_replace_as_loader(void **state)
{
	cor_etl_opts o;
	cor_etl_result r1, r2;
	cor_err e;
	char b[24], dir[512], path[600];

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/loader.csv", dir);
	cor_test_write_file(path, "case_id,registration_date,case_type,"
	                    "citizenship\nL-1,2019-05-02,smuggling,ETH\n"
	                    "L-2,2019-05-03,vulnerable_migrant,ERI\n");
	opts(&o);
	cor_test_exec(conn, "SET ROLE corridor_loader");
	assert_int_equal(load(path, &o, &r1, &e), 0);
	assert_false(r1.already_loaded);
	assert_int_equal(r1.rows_loaded, 2);
	o.replace = 1;
	if (load(path, &o, &r2, &e) != 0)
		fail_msg("replace as corridor_loader: %s", e.msg);
	assert_int_equal(r2.replaced_batch, r1.batch_id);
	assert_int_equal(r2.rows_loaded, 2);
	snprintf(b, sizeof(b), "%ld", r2.batch_id);
	refused("SELECT cor_purge_batch($1::bigint)", b, "22023");
	refused("DELETE FROM case_record", NULL, "42501");
	cor_test_exec(conn, "RESET ROLE");
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1", r1.batch_id), 0);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1 AND citizenship IN ('ETH', 'ERI')",
	                    r2.batch_id), 2);
	cor_test_rmdir(dir);
}

/* Digest of a batch's case rows without id and batch_id, in a stable
 * order: equal digests, equal rows. */
#define ROWS_MD5 "SELECT md5(string_agg(t::text, E'\n' ORDER BY t::text)) " \
	"FROM (SELECT case_key, registration_date, registration_year, " \
	"reporting_org, case_type, trafficking_status, sex, age, age_band, " \
	"is_minor, citizenship, origin_country, origin_admin1, route, " \
	"route_dates, interception_place, interception_date, " \
	"identification_county, intended_destination, " \
	"country_of_exploitation, exploitation_types, means_of_control, " \
	"recruiter_relationship, fee_usd, days_in_transit, nrm_referral, " \
	"nrm_referral_date, synthetic, counties FROM case_record " \
	"WHERE batch_id = $1) t"

/* sql/007: a large file's rows go into the batch's own table, an indexed
 * inheritance child of case_record, in the load's transaction; the same
 * rows as a load into case_record itself. --replace drops the table; a
 * refused file leaves none; the loader role may load one but not read
 * it. */
static void test_child_table(void **state)
{
	char dir[512], path[600], bad[600], tab[64], d1[40], d2[40];
	char sql[200];
	cor_synth_opts so = { 2000, 11, 2019, 1, 2019, 4 };
	cor_etl_opts o;
	cor_etl_result r1, r2, r3;
	cor_err e;
	long tables;

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	synth_file(dir, "child.csv", &so, path, sizeof(path));
	opts(&o);
	o.child_table_min_bytes = 0;            /* every case file */
	if (load(path, &o, &r1, &e) != 0)
		fail_msg("child load: %s", e.msg);
	assert_int_equal(r1.rows_loaded, 2000);
	counts_add_up(&r1);
	snprintf(tab, sizeof(tab), "case_record_b%ld", r1.batch_id);
	assert_int_equal(q1("SELECT count(*) FROM pg_inherits WHERE "
	                    "inhrelid = to_regclass($1) AND inhparent = "
	                    "'case_record'::regclass", tab), 1);
	assert_int_equal(q1("SELECT count(*) FROM pg_index WHERE indrelid = "
	                    "to_regclass($1)", tab), 3);
	assert_int_equal(qb("SELECT count(*) FROM case_record WHERE batch_id ="
	                    " $1", r1.batch_id), 2000);
	assert_int_equal(qb("SELECT count(*) FROM ONLY case_record WHERE "
	                    "batch_id = $1", r1.batch_id), 0);
	/* a row of another batch is refused by the child's CHECK */
	snprintf(sql, sizeof(sql), "INSERT INTO %s (batch_id, "
	         "registration_year, case_type) VALUES (%ld, 2019, "
	         "'smuggling')", tab, r1.batch_id + 1);
	refused(sql, NULL, "23514");
	/* the quarterly counts cover the child's rows */
	assert_int_equal(qb("SELECT sum(n) FROM case_quarter_count WHERE "
	                    "batch_id = $1", r1.batch_id), 2000);
	qs(ROWS_MD5, r1.batch_id, d1, sizeof(d1));
	/* the same file into case_record itself: the same rows; the old
	 * batch's table is dropped */
	o.child_table_min_bytes = UINT64_MAX;
	o.replace = 1;
	if (load(path, &o, &r2, &e) != 0)
		fail_msg("replace into case_record: %s", e.msg);
	assert_int_equal(r2.replaced_batch, r1.batch_id);
	qs(ROWS_MD5, r2.batch_id, d2, sizeof(d2));
	assert_string_equal(d1, d2);
	assert_int_equal(q1("SELECT (to_regclass($1) IS NULL)::int", tab), 1);
	assert_int_equal(qb("SELECT count(*) FROM ONLY case_record WHERE "
	                    "batch_id = $1", r2.batch_id), 2000);
	/* a refused file leaves no table behind */
	tables = q1("SELECT count(*) FROM pg_class WHERE relname ~ "
	            "'^case_record_b[0-9]+$'", NULL);
	snprintf(bad, sizeof(bad), "%s/bad.csv", dir);
	cor_test_write_file(bad, "case_id,registration_date,case_type\n"
	                    "X-1,2019-05-02,smuggling\n"
	                    "X-2,2019-05-03,piracy\n");
	o.child_table_min_bytes = 0;
	o.replace = 0;
	assert_int_equal(load(bad, &o, &r3, &e), COR_EDATA);
	assert_int_equal(q1("SELECT count(*) FROM pg_class WHERE relname ~ "
	                    "'^case_record_b[0-9]+$'", NULL), tables);
	/* the loader role: loads into a table of its own batch, replaces
	 * it, never reads case rows */
	cor_test_exec(conn, "SET ROLE corridor_loader");
	o.replace = 1;
	if (load(path, &o, &r3, &e) != 0)
		fail_msg("child load as corridor_loader: %s", e.msg);
	assert_int_equal(r3.replaced_batch, r2.batch_id);
	snprintf(tab, sizeof(tab), "case_record_b%ld", r3.batch_id);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tab);
	refused(sql, NULL, "42501");
	/* nor creates a table for a batch that is not being loaded */
	snprintf(sql, sizeof(sql), "%ld", r3.batch_id);
	refused("SELECT cor_batch_table_create($1::bigint)", sql, "22023");
	cor_test_exec(conn, "RESET ROLE");
	qs(ROWS_MD5, r3.batch_id, d2, sizeof(d2));
	assert_string_equal(d1, d2);
	assert_int_equal(q1("SELECT count(*) FROM pg_inherits WHERE "
	                    "inhrelid = to_regclass($1)", tab), 1);
	cor_test_rmdir(dir);
}

/* C30: the backend is terminated after the first CopyData messages. */
struct killer {
	PGconn *victim;
	int done;
	long at_rows;
};

static void kill_backend(void *ud, long rows, uint64_t bytes, uint64_t total,
                         double secs)
{
	struct killer *k = ud;
	char pid[24];
	const char *p[1] = { pid };
	PGconn *c;
	PGresult *res;

	(void)bytes;
	(void)total;
	(void)secs;
	if (k->done)
		return;
	k->done = 1;
	k->at_rows = rows;
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(k->victim));
	c = cor_test_connect();
	res = PQexecParams(c, "SELECT pg_terminate_backend($1::int)", 1, NULL,
	                   p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	PQfinish(c);
	usleep(200000);
}

static void test_c30_connection_lost(void **state)
{
	char dir[512], path[600];
	cor_synth_opts so = { 300000, 11, 2019, 1, 2019, 4 };
	struct killer k = { NULL, 0, 0 };
	cor_etl_opts o;
	cor_etl_result r;
	cor_err e;
	PGconn *victim;
	long before;
	int rc;

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	synth_file(dir, "c30_big.csv", &so, path, sizeof(path));
	before = q1("SELECT count(*) FROM case_record", NULL);
	victim = cor_test_connect();
	k.victim = victim;
	opts(&o);
	o.progress = kill_backend;
	o.progress_ud = &k;
	cor_err_clear(&e);
	rc = cor_etl_load_file(victim, path, &o, &r, &e);
	assert_true(k.done);
	assert_true(k.at_rows > 0 && k.at_rows < 300000);
	assert_int_equal(rc, COR_EDB);
	/* libpq's text, e.g. "terminating connection due to administrator
	 * command" or "server closed the connection unexpectedly" */
	assert_true(strstr(e.msg, "terminat") != NULL ||
	            strstr(e.msg, "connection") != NULL);
	assert_int_equal(r.rows_loaded, 0);
	PQfinish(victim);
	assert_int_equal(q1("SELECT count(*) FROM batch WHERE file_name = "
	                    "'c30_big.csv'", NULL), 0);
	assert_int_equal(q1("SELECT count(*) FROM case_record", NULL), before);
	cor_test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_mmp),
		cmocka_unit_test(test_real_unhcr),
		cmocka_unit_test(test_real_ctdc),
		cmocka_unit_test(test_reload_replace),
		cmocka_unit_test(test_replace_by_name),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_c11_nothing_committed),
		cmocka_unit_test(test_c06_blank_counts),
		cmocka_unit_test(test_c15_coords),
		cmocka_unit_test(test_c17_dates),
		cmocka_unit_test(test_c01_c03_c12_c18),
		cmocka_unit_test(test_c02_c04_c09),
		cmocka_unit_test(test_ctdc_codes),
		cmocka_unit_test(test_places),
		cmocka_unit_test(test_no_key),
		cmocka_unit_test(test_deidentification),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_concurrent_two_names),
		cmocka_unit_test(test_same_content_other_name),
		cmocka_unit_test(test_ref_problems),
		cmocka_unit_test(test_binary_values),
		cmocka_unit_test(test_replace_as_loader),
		cmocka_unit_test(test_child_table),
		cmocka_unit_test(test_c30_connection_lost),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
