/* analysis/stats_query.c: the kinds of `corridor stats`. Aggregation runs
 * in PostgreSQL (GROUP BY / GROUPING SETS), one pass per grouping family,
 * except over route steps: segments, nodes and counties share one walk
 * of the routes in C (walk_get); C computes the statistics and disclosure
 * control (corridor/stats.h). Values reach SQL only as PQexecParams
 * parameters. Period keys use date arithmetic on the recorded date
 * (extract(... FROM date)), never timestamptz, so results do not depend on
 * the session time zone. */
#include "corridor/stats.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "corridor/db.h"

/* ------------------------------------------------------------------ */
/* Run context                                                          */
/* ------------------------------------------------------------------ */

typedef struct place {
	char *id, *name, *country, *admin1;
	double lat, lon;
	int seq;                /* corridor_seq, -1 = off the main line */
} place;

typedef struct name_kv {
	char *code, *name;
} name_kv;

typedef struct run {
	PGconn *conn;
	const cor_stats_req *req;
	cor_stats_result *r;
	cor_err *err;
	/* standard parameters $1..$8 */
	const char *p[16];
	char from[11], to[11], batch_id[24];
	const char *format;
	/* --source as given (batch id, format; NULL when absent): the
	 * incidents and stocks read their own formats (mmp, unhcr) unless
	 * a source is named; case queries default to format "cases" */
	const char *src_batch, *src_fmt;
	/* reference data */
	place *places;
	int nplace;
	name_kv *countries, *admin1;
	int ncountry, nadmin1;
	/* Working set (brief only): the case rows of the request window and
	 * filters, copied once into temporary table cor_ws; queries on that
	 * window read it instead of case_record (see use_ws). ws_p0/ws_p1
	 * are the window parameters it was made with. */
	int ws;
	const char *ws_p0, *ws_p1;
	/* Last case_batches3 pass: its window ("" = open) and denominators;
	 * its batches are already in r. */
	int have_dn;
	char dn_from[11], dn_to[11];
	struct denoms *dn;
	/* Route walk of the request window (segments, nodes, counties;
	 * walk_get), made once per run; NULL until needed */
	struct walk *walk;
} run;

/* Filter on case_record c joined to batch b; uses $1..$8 (all of them, so
 * every parameter's type is known). Dates are compared as dates. County
 * $6: identified in, originating from, or a route step at a gazetteer
 * place of the county, i.e. identification_county = $6 OR origin_admin1 =
 * $6 OR route && ARRAY(SELECT id FROM place WHERE admin1 = $6); the
 * loader stores the Kenyan counties each case touches in c.counties
 * (sql/006_case_counties.sql), so the test is one containment, found by
 * its GIN index (tests/db/test_stats.c checks both give the same rows). */
#define CASE_FROM \
	" FROM case_record c JOIN batch b ON b.id = c.batch_id AND b.active "
#define CASE_WHERE \
	" WHERE ($1::date IS NULL OR c.registration_date >= $1::date)" \
	" AND ($2::date IS NULL OR c.registration_date <= $2::date)" \
	" AND ($3::text IS NULL OR c.case_type = $3::text)" \
	" AND ($4::text IS NULL OR c.citizenship = $4::text)" \
	" AND ($5::text IS NULL OR c.sex = $5::text)" \
	" AND ($6::text IS NULL OR c.counties @> ARRAY[$6::text])" \
	" AND ($7::bigint IS NULL OR c.batch_id = $7::bigint)" \
	" AND ($8::text IS NULL OR b.format = $8::text) "

/* The same filters on the quarterly counts (case_quarter_count, sql/006:
 * n cases per batch, quarter of registration_date, case type, sex, minor,
 * citizenship, counties, synthetic) for a window of whole quarters: with
 * $1 a quarter's first day and $2 a quarter's last day, quarter >= $1 and
 * quarter <= $2 hold exactly when registration_date >= $1 and
 * registration_date <= $2 (cube_ok); a NULL date has a NULL quarter. */
#define CUBE_FROM \
	" FROM case_quarter_count c JOIN batch b ON b.id = c.batch_id" \
	" AND b.active "
#define CUBE_WHERE \
	" WHERE ($1::date IS NULL OR c.quarter >= $1::date)" \
	" AND ($2::date IS NULL OR c.quarter <= $2::date)" \
	" AND ($3::text IS NULL OR c.case_type = $3::text)" \
	" AND ($4::text IS NULL OR c.citizenship = $4::text)" \
	" AND ($5::text IS NULL OR c.sex = $5::text)" \
	" AND ($6::text IS NULL OR c.counties @> ARRAY[$6::text])" \
	" AND ($7::bigint IS NULL OR c.batch_id = $7::bigint)" \
	" AND ($8::text IS NULL OR b.format = $8::text) "

/* Batch format of case statistics when no --source is given: the
 * canonical Southern Route case records (docs/format-cases.md). */
#define COR_STATS_SOURCE_DEFAULT "cases"

static const cor_stats_ref NOREF = { -1, -1, -1 };

static cor_stats_ref ref(int t, int r, int c)
{
	cor_stats_ref x = { t, r, c };
	return x;
}

/* Declares that the share in (ti, ri, col) has the count cell base as its
 * denominator (a share gives away its base: withheld base, withheld
 * share; cor_stats_suppress step 3). */
static void share_base(run *x, int ti, int ri, int col, cor_stats_ref base)
{
	cor_stats_cell *c = cor_stats_cell_at(x->r, ti, ri, col);

	if (c != NULL && c->ndep < COR_STATS_MAXDEP)
		c->dep[c->ndep++] = base;
}

/* The same rows from the working set: the filters were applied when it
 * was made (active batches only); the parameters stay referenced (typed)
 * so that $9.. keep their numbers. The batch columns the queries read
 * (b.id, b.active, b.synthetic, b.format) were copied into the working
 * set: b is a LATERAL row the planner flattens, not a join per query
 * (a hash join over every working-set row, ~15 ms a query at 93k cases). */
#define WS_FROM \
	" FROM cor_ws c CROSS JOIN LATERAL (SELECT c.batch_id AS id," \
	" true AS active, c.b_synthetic AS synthetic, c.b_format AS format) b "
#define WS_WHERE \
	" WHERE num_nulls($1::date, $2::date, $3::text, $4::text, $5::text," \
	" $6::text, $7::bigint, $8::text) >= 0 "

/* Copy of sql with every CASE_FROM / CASE_WHERE replaced by WS_FROM /
 * WS_WHERE, or NULL (no memory). Caller frees. */
static char *ws_sql(const char *sql)
{
	static const char *const from[2] = { CASE_FROM, CASE_WHERE };
	static const char *const to[2] = { WS_FROM, WS_WHERE };
	size_t n = strlen(sql) + 1, o = 0;
	char *out = malloc(n + 2 * (strlen(WS_FROM) + strlen(WS_WHERE)));

	if (out == NULL)
		return NULL;
	while (*sql) {
		int hit = 0;

		for (int i = 0; i < 2 && !hit; i++) {
			size_t l = strlen(from[i]);

			if (strncmp(sql, from[i], l) == 0) {
				memcpy(out + o, to[i], strlen(to[i]));
				o += strlen(to[i]);
				sql += l;
				hit = 1;
			}
		}
		if (!hit)
			out[o++] = *sql++;
	}
	out[o] = '\0';
	return out;
}

/* Runs sql with the standard parameters $1..$8 and nextra more, on the
 * working set when the query reads the working set's window; expects
 * status want. Result (caller PQclears) or NULL (x->err set). */
static PGresult *qw(run *x, const char *sql, int nextra,
                    const char *const *extra, ExecStatusType want)
{
	const char *params[16];
	char *alt = NULL;
	PGresult *res;
	int n = 8;

	memcpy(params, x->p, 8 * sizeof(*params));
	for (int i = 0; i < nextra && n < 16; i++)
		params[n++] = extra[i];
	/* a query on the working set's own window and filters reads it */
	if (x->ws && x->p[0] == x->ws_p0 && x->p[1] == x->ws_p1 &&
	    strstr(sql, CASE_FROM) != NULL) {
		alt = ws_sql(sql);
		if (alt == NULL) {
			cor_err_set(x->err, COR_ENOMEM, "out of memory");
			return NULL;
		}
		sql = alt;
	}
	res = cor_db_query(x->conn, sql, n, params, want, x->err);
	free(alt);
	return res;
}

static PGresult *q(run *x, const char *sql, int nextra,
                   const char *const *extra)
{
	return qw(x, sql, nextra, extra, PGRES_TUPLES_OK);
}

static long long ll(const PGresult *res, int i, int j)
{
	if (PQgetisnull(res, i, j))
		return 0;
	return strtoll(PQgetvalue(res, i, j), NULL, 10);
}

static const char *sv(const PGresult *res, int i, int j)
{
	if (PQgetisnull(res, i, j))
		return NULL;
	return PQgetvalue(res, i, j);
}

static int oom(run *x)
{
	return cor_err_set(x->err, COR_ENOMEM, "out of memory");
}

/* Checks a builder return (>= 0 ok). */
#define CK(e) do { \
	int ck_ = (e); \
	if (ck_ < 0) { \
		rc = ck_ == COR_ENOMEM ? oom(x) : \
		     cor_err_set(x->err, ck_, "internal: table builder"); \
		goto out; \
	} \
} while (0)

static const char *country_name(run *x, const char *code)
{
	for (int i = 0; code != NULL && i < x->ncountry; i++)
		if (strcmp(x->countries[i].code, code) == 0)
			return x->countries[i].name;
	return NULL;
}

static const char *admin1_name(run *x, const char *code)
{
	for (int i = 0; code != NULL && i < x->nadmin1; i++)
		if (strcmp(x->admin1[i].code, code) == 0)
			return x->admin1[i].name;
	return NULL;
}

static const place *place_get(run *x, const char *id)
{
	for (int i = 0; id != NULL && i < x->nplace; i++)
		if (strcmp(x->places[i].id, id) == 0)
			return &x->places[i];
	return NULL;
}

static const char *place_name(run *x, const char *id)
{
	const place *p = place_get(x, id);
	return p != NULL ? p->name : NULL;
}

static char *xstrdup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* Reads (code, name) pairs from sql into a new array *out (n entries,
 * owned by x: freed by free_ref). Returns 0 or a cor_status (x->err). */
static int load_kv(run *x, const char *sql, name_kv **out, int *n)
{
	PGresult *res = cor_db_query(x->conn, sql, 0, NULL, PGRES_TUPLES_OK,
	                             x->err);
	int rc = 0;

	if (res == NULL)
		return COR_EDB;
	*n = PQntuples(res);
	*out = calloc((size_t)*n + 1, sizeof(name_kv));
	if (*out == NULL) {
		*n = 0;
		rc = oom(x);
	}
	for (int i = 0; rc == 0 && i < *n; i++) {
		(*out)[i].code = xstrdup(sv(res, i, 0));
		(*out)[i].name = xstrdup(sv(res, i, 1));
		if ((*out)[i].code == NULL || (*out)[i].name == NULL)
			rc = oom(x);
	}
	PQclear(res);
	return rc;
}

static int load_ref(run *x)
{
	PGresult *res = NULL;
	int rc = COR_EDB;

	res = cor_db_query(x->conn,
	                   "SELECT id, name, country, admin1, lat, lon,"
	                   " coalesce(corridor_seq, -1) FROM place ORDER BY id",
	                   0, NULL, PGRES_TUPLES_OK, x->err);
	if (res == NULL)
		goto out;
	x->nplace = PQntuples(res);
	x->places = calloc((size_t)x->nplace + 1, sizeof(*x->places));
	if (x->places == NULL) {
		rc = oom(x);
		goto out;
	}
	for (int i = 0; i < x->nplace; i++) {
		place *p = &x->places[i];
		p->id = xstrdup(sv(res, i, 0));
		p->name = xstrdup(sv(res, i, 1));
		p->country = xstrdup(sv(res, i, 2));
		p->admin1 = xstrdup(sv(res, i, 3));
		p->lat = strtod(PQgetvalue(res, i, 4), NULL);
		p->lon = strtod(PQgetvalue(res, i, 5), NULL);
		p->seq = (int)ll(res, i, 6);
		if (p->id == NULL || p->name == NULL || p->country == NULL ||
		    p->admin1 == NULL) {
			rc = oom(x);
			goto out;
		}
	}
	PQclear(res);
	res = NULL;
	rc = load_kv(x, "SELECT iso3, name FROM country", &x->countries,
	             &x->ncountry);
	if (rc == 0)
		rc = load_kv(x, "SELECT pcode, name FROM admin1", &x->admin1,
		             &x->nadmin1);
	if (rc != 0)
		goto out;
	rc = 0;
out:
	PQclear(res);
	return rc;
}

static void free_ref(run *x)
{
	for (int i = 0; i < x->nplace; i++) {
		free(x->places[i].id);
		free(x->places[i].name);
		free(x->places[i].country);
		free(x->places[i].admin1);
	}
	free(x->places);
	for (int i = 0; i < x->ncountry; i++) {
		free(x->countries[i].code);
		free(x->countries[i].name);
	}
	free(x->countries);
	for (int i = 0; i < x->nadmin1; i++) {
		free(x->admin1[i].code);
		free(x->admin1[i].name);
	}
	free(x->admin1);
}

/* ------------------------------------------------------------------ */
/* Calendar helpers                                                     */
/* ------------------------------------------------------------------ */

static int dparse(const char *s, int *y, int *m, int *d)
{
	return sscanf(s, "%4d-%2d-%2d", y, m, d) == 3 ? 0 : -1;
}

static int mdays(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	                           30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

static long days_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Writes "YYYY-MM-DD" to out (11 bytes). */
static void fmt_date(char *out, int y, int m, int d)
{
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
	memcpy(out, tmp, 10);
	out[10] = '\0';
}

/* Shifts window [from, to] back: by whole months when it is made of whole
 * months (1st .. last day), else by its length in days (back = 1) or by a
 * year (year = 1). */
static void shift_window(const char *from, const char *to, int year,
                         char *pf, char *pt)
{
	int y1, m1, d1, y2, m2, d2;

	dparse(from, &y1, &m1, &d1);
	dparse(to, &y2, &m2, &d2);
	if (d1 == 1 && d2 == mdays(y2, m2)) {
		int months = year ? 12 : (y2 * 12 + m2) - (y1 * 12 + m1) + 1;
		int a = y1 * 12 + (m1 - 1) - months;
		int b = y2 * 12 + (m2 - 1) - months;

		fmt_date(pf, a / 12, a % 12 + 1, 1);
		fmt_date(pt, b / 12, b % 12 + 1, mdays(b / 12, b % 12 + 1));
		return;
	}
	{
		long a = days_civil(y1, m1, d1), b = days_civil(y2, m2, d2);
		long len = year ? 0 : b - a + 1;
		int y, m, d;

		if (year) {
			fmt_date(pf, y1 - 1, m1,
			         d1 > mdays(y1 - 1, m1) ? mdays(y1 - 1, m1) : d1);
			fmt_date(pt, y2 - 1, m2,
			         d2 > mdays(y2 - 1, m2) ? mdays(y2 - 1, m2) : d2);
			return;
		}
		civil_days(a - len, &y, &m, &d);
		fmt_date(pf, y, m, d);
		civil_days(b - len, &y, &m, &d);
		fmt_date(pt, y, m, d);
	}
}

/* Period key expression (integer) of date column `col` for by. */
static const char *pkey_sql(cor_stats_by by)
{
	switch (by) {
	case COR_BY_MONTH:
		return "(extract(year FROM %s)::int * 100"
		       " + extract(month FROM %s)::int)";
	case COR_BY_YEAR:
		return "(extract(year FROM %s)::int + 0 * extract(month FROM"
		       " %s)::int)";
	default:
		return "(extract(year FROM %s)::int * 10"
		       " + extract(quarter FROM %s)::int)";
	}
}

/* Key <-> consecutive index <-> label. */
static long key_index(cor_stats_by by, long key)
{
	switch (by) {
	case COR_BY_MONTH:
		return (key / 100) * 12 + (key % 100 - 1);
	case COR_BY_YEAR:
		return key;
	default:
		return (key / 10) * 4 + (key % 10 - 1);
	}
}

static void index_label(cor_stats_by by, long idx, char *buf, size_t n)
{
	switch (by) {
	case COR_BY_MONTH:
		snprintf(buf, n, "%04ld-%02ld", idx / 12, idx % 12 + 1);
		break;
	case COR_BY_YEAR:
		snprintf(buf, n, "%04ld", idx);
		break;
	default:
		snprintf(buf, n, "%04ldQ%ld", idx / 4, idx % 4 + 1);
		break;
	}
}

static long date_index(cor_stats_by by, const char *date)
{
	int y, m, d;

	dparse(date, &y, &m, &d);
	switch (by) {
	case COR_BY_MONTH:
		return y * 12L + (m - 1);
	case COR_BY_YEAR:
		return y;
	default:
		return y * 4L + (m - 1) / 3;
	}
}

static double per_year(cor_stats_by by)
{
	return by == COR_BY_MONTH ? 12.0 : by == COR_BY_YEAR ? 1.0 : 4.0;
}

/* 1 when [f, t] (NULL: open) is made of whole calendar quarters, so that
 * the quarterly counts (CUBE_WHERE) select the same cases. */
static int cube_ok(const char *f, const char *t)
{
	int y, m, d;

	if (f != NULL && (dparse(f, &y, &m, &d) != 0 || d != 1 ||
	                  (m - 1) % 3 != 0))
		return 0;
	if (t != NULL && (dparse(t, &y, &m, &d) != 0 || m % 3 != 0 ||
	                  d != mdays(y, m)))
		return 0;
	return 1;
}

/* Builds an SQL string from a format with pkey placeholders. */
static void pkey_of(cor_stats_by by, const char *col, char *buf, size_t n)
{
	snprintf(buf, n, pkey_sql(by), col, col);
}

/* ------------------------------------------------------------------ */
/* Columns                                                              */
/* ------------------------------------------------------------------ */

#define COL_CODE(k, l, h) { k, l, h, COR_COL_CODE, 0 }
#define COL_N(k, l, h) { k, l, h, COR_COL_COUNT, 0 }
#define COL_SHARE { "share", "share (95% CI)", "#indicator+pct", \
                    COR_COL_SHARE, 0 }
/* h: HXL hashtag with attributes, distinct per column of a table */
#define COL_RR(k, l, h) { k, l, h, COR_COL_RR, 0 }

/* Generated-from and synthetic flag, from the batches of the rows used. */
static int add_batches(run *x, PGresult *res, int col_id, int col_syn)
{
	for (int i = 0; i < PQntuples(res); i++) {
		long long id;
		int dup = 0;
		long long *nb;

		if (PQgetisnull(res, i, col_id))
			continue;
		id = ll(res, i, col_id);
		if (col_syn >= 0 && strcmp(PQgetvalue(res, i, col_syn), "t") == 0)
			x->r->synthetic = 1;
		for (int j = 0; j < x->r->nbatch; j++)
			if (x->r->batches[j] == id)
				dup = 1;
		if (dup)
			continue;
		nb = realloc(x->r->batches,
		             (size_t)(x->r->nbatch + 1) * sizeof(*nb));
		if (nb == NULL)
			return oom(x);
		x->r->batches = nb;
		/* insertion sort: ascending */
		{
			int j = x->r->nbatch;
			while (j > 0 && nb[j - 1] > id) {
				nb[j] = nb[j - 1];
				j--;
			}
			nb[j] = id;
		}
		x->r->nbatch++;
	}
	return 0;
}

/* Batches of the case rows matching the filters in [f, t] (NULL = the
 * request window); also the number of cases with a route of >= 1 and
 * >= 2 steps (route1, route2; NULL-safe). */
typedef struct denoms {
	long long route1, route2, expl, means, recruiter;
} denoms;

static int case_batches3(run *x, const char *f, const char *t, denoms *dn)
{
	PGresult *res;
	const char *saved1 = x->p[0], *saved2 = x->p[1];
	int rc;
	denoms z = { 0, 0, 0, 0, 0 };
	char kf[11], kt[11];

	if (f != NULL)
		x->p[0] = f;
	if (t != NULL)
		x->p[1] = t;
	/* the same window (filters are fixed per run) was counted already:
	 * its batches are in the result, its denominators cached */
	snprintf(kf, sizeof(kf), "%s", x->p[0] != NULL ? x->p[0] : "");
	snprintf(kt, sizeof(kt), "%s", x->p[1] != NULL ? x->p[1] : "");
	if (x->have_dn && strcmp(kf, x->dn_from) == 0 &&
	    strcmp(kt, x->dn_to) == 0) {
		x->p[0] = saved1;
		x->p[1] = saved2;
		if (dn != NULL)
			*dn = *x->dn;
		return 0;
	}
	res = q(x, "SELECT c.batch_id, bool_or(c.synthetic OR b.synthetic),"
	        " count(*) FILTER (WHERE cardinality(c.route) >= 1),"
	        " count(*) FILTER (WHERE cardinality(c.route) >= 2),"
	        " count(*) FILTER (WHERE"
	        "  cardinality(c.exploitation_types) >= 1),"
	        " count(*) FILTER (WHERE cardinality(c.means_of_control) >= 1),"
	        " count(c.recruiter_relationship)"
	        CASE_FROM CASE_WHERE "GROUP BY 1", 0, NULL);
	x->p[0] = saved1;
	x->p[1] = saved2;
	if (res == NULL)
		return COR_EDB;
	for (int i = 0; i < PQntuples(res); i++) {
		z.route1 += ll(res, i, 2);
		z.route2 += ll(res, i, 3);
		z.expl += ll(res, i, 4);
		z.means += ll(res, i, 5);
		z.recruiter += ll(res, i, 6);
	}
	if (dn != NULL)
		*dn = z;
	rc = add_batches(x, res, 0, 1);
	PQclear(res);
	if (rc == 0 && x->dn != NULL) {
		*x->dn = z;
		memcpy(x->dn_from, kf, sizeof(kf));
		memcpy(x->dn_to, kt, sizeof(kt));
		x->have_dn = 1;
	}
	return rc;
}

static int case_batches2(run *x, const char *f, const char *t,
                         long long *route1, long long *route2)
{
	denoms d;
	int rc = case_batches3(x, f, t, &d);

	if (rc == 0 && route1 != NULL)
		*route1 = d.route1;
	if (rc == 0 && route2 != NULL)
		*route2 = d.route2;
	return rc;
}

static int case_batches(run *x, const char *f, const char *t)
{
	return case_batches2(x, f, t, NULL, NULL);
}

/* A headline count of the output (case total, minors, women and girls)
 * is chosen as a complement only as the audit's last resort (fixed 2; it
 * may still be withheld as a small count, or when a linked output
 * withholds it): other outputs repeat them most (trend series, county
 * tables, the next quarter's "previous quarter" and the next year's
 * "year earlier"), so withholding them protects little (third user
 * trial: Mandera's brief withheld its total 155 to protect one case of
 * unknown citizenship; `stats trend` printed 155; fourth trial: the
 * 2019Q1 brief printed the 2018Q4 women and girls the 2018Q4 brief
 * withheld). */
static void keep_total(run *x, cor_stats_ref t)
{
	cor_stats_cell *c = t.table >= 0 ?
	                    cor_stats_cell_at(x->r, t.table, t.row, t.col) :
	                    NULL;

	if (c != NULL && c->fixed == 0)
		c->fixed = 2;
}

/* ------------------------------------------------------------------ */
/* overview                                                             */
/* ------------------------------------------------------------------ */

static int kind_overview(run *x)
{
	static const char *sql =
		"SELECT w.w,"
		" c.case_type, c.citizenship, GROUPING(c.case_type,"
		"  c.citizenship) AS g,"
		" count(*) AS n,"
		" count(*) FILTER (WHERE c.is_minor) AS minors,"
		" count(c.is_minor) AS minors_known,"
		" count(*) FILTER (WHERE c.sex = 'female') AS female,"
		" count(c.sex) AS sex_known,"
		" count(*) FILTER (WHERE cardinality(c.exploitation_types) >= 1)"
		CASE_FROM
		/* the windows may coincide or overlap (a year-long window:
		 * previous period = year earlier): a case counts in each
		 * window it falls in */
		", LATERAL (VALUES (0, $9::date, $10::date),"
		"  (1, $11::date, $12::date), (2, $13::date, $14::date))"
		"  AS w(w, f, t)"
		CASE_WHERE
		" AND c.registration_date BETWEEN w.f AND w.t"
		" GROUP BY GROUPING SETS ((1), (1, c.case_type),"
		"  (1, c.citizenship))"
		" ORDER BY g, n DESC, 2, 3";
	static const char *sql_open =
		"SELECT 0 AS w, c.case_type, c.citizenship,"
		" GROUPING(c.case_type, c.citizenship) AS g, count(*) AS n,"
		" count(*) FILTER (WHERE c.is_minor) AS minors,"
		" count(c.is_minor) AS minors_known,"
		" count(*) FILTER (WHERE c.sex = 'female') AS female,"
		" count(c.sex) AS sex_known,"
		" count(*) FILTER (WHERE cardinality(c.exploitation_types) >= 1)"
		CASE_FROM CASE_WHERE
		" GROUP BY GROUPING SETS ((), (c.case_type), (c.citizenship))"
		" ORDER BY g, n DESC, 2, 3";
	/* the previous and year-earlier windows' counts from the quarterly
	 * counts (whole quarters): only n, minors and women and girls of
	 * those windows are printed */
	static const char *sql_cube =
		"SELECT w.w, sum(c.n),"
		" sum(c.n) FILTER (WHERE c.is_minor),"
		" sum(c.n) FILTER (WHERE c.sex = 'female')"
		CUBE_FROM
		", LATERAL (VALUES (1, $9::date, $10::date),"
		"  (2, $11::date, $12::date)) AS w(w, f, t)"
		CUBE_WHERE
		" AND c.quarter BETWEEN w.f AND w.t GROUP BY 1";
	static const char *sql_batches =
		"SELECT c.batch_id, bool_or(c.synthetic OR b.synthetic)"
		CUBE_FROM CUBE_WHERE "GROUP BY 1";
	static const char *sql_expl =
		"SELECT e.t, count(*) AS n"
		CASE_FROM ", unnest(c.exploitation_types) AS e(t)"
		CASE_WHERE " GROUP BY e.t ORDER BY n DESC, e.t";
	static const cor_stats_col scols[] = {
		COL_CODE("measure", "measure", "#indicator"),
		COL_N("n", "cases", "#affected+num"),
		COL_SHARE,
		COL_N("n_previous", "previous period",
		      "#affected+num+previous"),
		COL_RR("rate_ratio", "vs previous (rate ratio)",
		       "#indicator+ratio+prev"),
		COL_N("n_year_ago", "year earlier", "#affected+num+year_ago"),
		COL_RR("rr_year_ago", "vs year earlier (rate ratio)",
		       "#indicator+ratio+yoy"),
	};
	const cor_stats_col ct = COL_CODE("case_type", "case type",
	                                  "#case+type");
	const cor_stats_col cz = COL_CODE("citizenship", "citizenship",
	                                  "#affected+citizenship");
	const cor_stats_col ce = COL_CODE("exploitation", "exploitation type",
	                                  "#exploitation+type");
	char pf[11], pt[11], yf[11], yt[11];
	const char *ex[6];
	PGresult *res = NULL;
	long long tot[3][6];     /* window x (n, minors, mk, female, sk,
	                          * with exploitation) */
	int open = x->from[0] == '\0' || x->to[0] == '\0';
	int cube = !open && cube_ok(x->from, x->to);
	int ti, rc = 0, gb = 0;
	cor_stats_ref total_ref;

	memset(tot, 0, sizeof(tot));
	if (!open) {
		shift_window(x->from, x->to, 0, pf, pt);
		shift_window(x->from, x->to, 1, yf, yt);
		ex[0] = x->from;
		ex[1] = x->to;
		ex[2] = pf;
		ex[3] = pt;
		ex[4] = yf;
		ex[5] = yt;
		/* the date filter spans all three windows */
		x->p[0] = strcmp(yf, pf) < 0 ? yf : pf;
		x->p[1] = x->to;
		if (cube) {
			PGresult *rq = q(x, sql_cube, 4, ex + 2);

			if (rq == NULL) {
				x->p[0] = x->from;
				return COR_EDB;
			}
			for (int i = 0; i < PQntuples(rq); i++) {
				int w = (int)ll(rq, i, 0);

				if (w < 1 || w > 2)
					continue;
				tot[w][0] = ll(rq, i, 1);
				tot[w][1] = ll(rq, i, 2);
				tot[w][3] = ll(rq, i, 3);
			}
			PQclear(rq);
			/* the batches of all three windows (and between) */
			rq = q(x, sql_batches, 0, NULL);
			if (rq == NULL) {
				x->p[0] = x->from;
				return COR_EDB;
			}
			rc = add_batches(x, rq, 0, 1);
			PQclear(rq);
			x->p[0] = x->from;
			if (rc != 0)
				return rc;
			/* the window itself (the brief's working set) */
			res = q(x, sql_open, 0, NULL);
		} else {
			res = q(x, sql, 6, ex);
			x->p[0] = x->from;
		}
		x->p[1] = x->to;
	} else {
		res = q(x, sql_open, 0, NULL);
	}
	if (res == NULL)
		return COR_EDB;
	for (int i = 0; i < PQntuples(res); i++) {
		int w = (int)ll(res, i, 0), g = (int)ll(res, i, 3);
		if (g != 3 || w < 0 || w > 2)
			continue;
		for (int j = 0; j < 6; j++)
			tot[w][j] = ll(res, i, 4 + j);
	}
	ti = cor_stats_table_add(x->r, "summary", "Headline figures", scols,
	                         7);
	CK(ti);
	for (int m = 0; m < 3; m++) {
		static const char *codes[] = { "cases", "minors",
		                               "women_girls" };
		static const char *names[] = {
			"cases identified", "minors (under 18)",
			"women and girls" };
		static const int num[] = { 0, 1, 3 }, den[] = { -1, 2, 4 };
		int ri = cor_stats_row_add(x->r, ti, 0);

		CK(ri);
		CK(cor_stats_set_code(x->r, ti, ri, 0, codes[m], names[m]));
		CK(cor_stats_set_count(x->r, ti, ri, 1, tot[0][num[m]]));
		if (den[m] < 0) {
			CK(cor_stats_set_na(x->r, ti, ri, 2,
			                    "not applicable"));
		} else {
			/* of all cases (the case total): a share of those
			 * with a recorded age (sex) gives its base away, and
			 * with it the cases without one, often 1..k-1 or a
			 * complement (third and fourth user trials) */
			CK(cor_stats_set_share(x->r, ti, ri, 2,
			                       tot[0][num[m]], tot[0][0],
			                       ref(ti, ri, 1)));
			share_base(x, ti, ri, 2, ref(ti, 0, 1));
		}
		if (open) {
			CK(cor_stats_set_na(x->r, ti, ri, 3, "no period given"));
			CK(cor_stats_set_na(x->r, ti, ri, 4, "no period given"));
			CK(cor_stats_set_na(x->r, ti, ri, 5, "no period given"));
			CK(cor_stats_set_na(x->r, ti, ri, 6, "no period given"));
			continue;
		}
		if (m > 0 && !x->req->no_suppress) {
			/* minors, women and girls of the previous and the
			 * year-earlier quarter: their own quarter's output
			 * suppressed them with its own tables (a complement
			 * there, e.g. with the female total, would be printed
			 * here; fourth and fifth user trials); the rate
			 * ratios give them away too. Published there only. */
			for (int c = 3; c <= 6; c++)
				CK(cor_stats_set_na(x->r, ti, ri, c,
				                    COR_STATS_NA_OWN_PERIOD));
			continue;
		}
		CK(cor_stats_set_count(x->r, ti, ri, 3, tot[1][num[m]]));
		CK(cor_stats_set_rr(x->r, ti, ri, 4, tot[0][num[m]],
		                    tot[1][num[m]], ref(ti, ri, 1),
		                    ref(ti, ri, 3)));
		CK(cor_stats_set_count(x->r, ti, ri, 5, tot[2][num[m]]));
		CK(cor_stats_set_rr(x->r, ti, ri, 6, tot[0][num[m]],
		                    tot[2][num[m]], ref(ti, ri, 1),
		                    ref(ti, ri, 5)));
	}
	total_ref = ref(ti, 0, 1);
	/* the headline counts (cases, minors, women and girls) */
	for (int m = 0; m < 3; m++)
		keep_total(x, ref(ti, m, 1));
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: case types (g = 1: citizenship rolled up), pass 1:
		 * citizenships (g = 2) */
		int want = pass == 0 ? 1 : 2;
		int cc = pass == 0 ? 1 : 2;
		cor_stats_col cols[3] = { pass == 0 ? ct : cz,
		                          COL_N("n", "cases", "#affected+num"),
		                          COL_SHARE };
		int t2 = cor_stats_table_add(x->r, pass == 0 ? "case_type" :
		                             "citizenship", pass == 0 ?
		                             "Cases by case type" :
		                             "Cases by citizenship", cols, 3);
		cor_stats_ref mem[512];
		int nm = 0;

		CK(t2);
		for (int i = 0; i < PQntuples(res); i++) {
			int w = (int)ll(res, i, 0), g = (int)ll(res, i, 3);
			const char *code = sv(res, i, cc);
			long long n = ll(res, i, 4);
			int ri;

			if (w != 0 || g != want)
				continue;
			ri = cor_stats_row_add(x->r, t2, 0);
			CK(ri);
			CK(cor_stats_set_code(x->r, t2, ri, 0,
			                      code != NULL ? code : "unknown",
			                      code == NULL ? "Unknown" :
			                      pass == 1 ? country_name(x, code)
			                                : NULL));
			CK(cor_stats_set_count(x->r, t2, ri, 1, n));
			CK(cor_stats_set_share(x->r, t2, ri, 2, n, tot[0][0],
			                       ref(t2, ri, 1)));
			/* the base is the headline total: withheld total,
			 * withheld shares */
			share_base(x, t2, ri, 2, total_ref);
			if (nm < 512)
				mem[nm++] = ref(t2, ri, 1);
			else
				gb = 1;
		}
		if (nm > 0 && !gb)
			CK(cor_stats_constrain(x->r, total_ref, mem, nm));
	}
	PQclear(res);
	res = q(x, sql_expl, 0, NULL);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	{
		/* base: cases with a recorded form; when those without
		 * one are 1..k-1, all cases (the base would give that
		 * small count away; the shares move by under k cases) */
		long long with_type = tot[0][5];

		if (tot[0][0] - with_type >= 1 &&
		    tot[0][0] - with_type < x->req->k)
			with_type = tot[0][0];

		if (!cube)
			rc = case_batches(x, open ? NULL :
			                  strcmp(yf, pf) < 0 ? yf : pf,
			                  open ? NULL : x->to);
		if (rc != 0)
			goto out;

		{
			cor_stats_col cols[3] = { ce,
			        COL_N("n", "cases", "#affected+num"),
			        COL_SHARE };
			int t3 = cor_stats_table_add(x->r, "exploitation",
			        "Forms of exploitation (share of cases with a "
			        "recorded form; a case may have several)",
			        cols, 3);
			CK(t3);
			for (int i = 0; i < PQntuples(res); i++) {
				int ri;
				if (PQgetisnull(res, i, 0))
					continue;
				ri = cor_stats_row_add(x->r, t3, 0);
				CK(ri);
				CK(cor_stats_set_code(x->r, t3, ri, 0,
				                      sv(res, i, 0), NULL));
				CK(cor_stats_set_count(x->r, t3, ri, 1,
				                       ll(res, i, 1)));
				CK(cor_stats_set_share(x->r, t3, ri, 2,
				                       ll(res, i, 1), with_type,
				                       ref(t3, ri, 1)));
			}
		}
	}
out:
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------------ */
/* trend                                                                */
/* ------------------------------------------------------------------ */

/* Longest series searched for change points (exact search, O(n^2)). */
#define CP_MAX_PERIODS 5000

/* Poisson cost of a segment of m periods with sum S: -2 times the
 * log-likelihood at its mean, up to terms that do not depend on the
 * segmentation: -2 (S log(S/m) - S), 0 log 0 = 0. */
static double pcost(double S, double m)
{
	return S > 0.0 ? -2.0 * (S * log(S / m) - S) : 0.0;
}

/* Change points of counts y[0..n-1] (finite, >= 0): the segmentation
 * minimising sum of segment costs (pcost) + pen per change with every
 * segment at least minseg periods long. Exact search by optimal
 * partitioning (B. Jackson et al. (2005), IEEE Signal Processing Letters
 * 12:105-108), which is the optimum PELT finds (R. Killick, P. Fearnhead
 * & I. A. Eckley (2012), JASA 107:1590-1598, who also allow a minimum
 * segment length, as R's changepoint::cpt.meanvar(minseglen =)); n is at
 * most CP_MAX_PERIODS here, so no pruning is needed. Ties keep fewer and
 * earlier changes. Writes the indexes where a new segment starts,
 * ascending, to cp (capacity n); returns their number (0 when n <
 * 2 minseg or on OOM, which then only loses the flags). */
static size_t changepoints(const double *y, size_t n, size_t minseg,
                           double pen, size_t *cp)
{
	double *cs = calloc(n + 1, sizeof(*cs));
	double *F = calloc(n + 1, sizeof(*F));
	size_t *last = calloc(n + 1, sizeof(*last));
	size_t ncp = 0, t;

	if (cs == NULL || F == NULL || last == NULL || minseg < 1 ||
	    n < 2 * minseg)
		goto out;
	for (size_t i = 0; i < n; i++)
		cs[i + 1] = cs[i] + y[i];
	/* F[t]: best cost of y[0..t-1]; defined for t = 0 and t >= minseg */
	F[0] = -pen;
	for (t = minseg; t <= n; t++) {
		double best = F[0] + pcost(cs[t], (double)t) + pen;
		size_t arg = 0;

		for (size_t s0 = minseg; s0 + minseg <= t; s0++) {
			double v = F[s0] + pcost(cs[t] - cs[s0],
			                         (double)(t - s0)) + pen;
			if (v < best - 1e-9 * fabs(best)) {
				best = v;
				arg = s0;
			}
		}
		F[t] = best;
		last[t] = arg;
	}
	for (t = n; t > 0 && last[t] > 0; t = last[t])
		cp[ncp++] = last[t];
	for (size_t i = 0; i < ncp / 2; i++) {
		size_t tmp = cp[i];
		cp[i] = cp[ncp - 1 - i];
		cp[ncp - 1 - i] = tmp;
	}
out:
	free(cs);
	free(F);
	free(last);
	return ncp;
}

static const char *by_word(cor_stats_by by)
{
	return cor_stats_by_name(by);
}

/* Series of counts per period over [f, t] (NULL: request window; open:
 * the data's range), rate ratio to the previous period, Poisson trend and
 * change-point flags. */
static int trend_tables(run *x, const char *f, const char *t)
{
	static const cor_stats_col scols[] = {
		{ "period", "period", "#date+period", COR_COL_PERIOD, 0 },
		COL_N("n", "cases", "#affected+num"),
		COL_RR("rate_ratio", "vs previous period (rate ratio)",
		       "#indicator+ratio+prev"),
		{ "fit", "trend fit (95% CI)", "#indicator+fitted",
		  COR_COL_NUM, 1 },
		{ "flag", "flag", "#meta+flag", COR_COL_TEXT, 0 },
	};
	static const cor_stats_col mcols[] = {
		{ "model", "model", "#meta+model", COR_COL_TEXT, 0 },
		{ "periods", "periods", "#meta+periods", COR_COL_NUM, 0 },
		{ "change_pct_per_year", "change per year % (95% CI)",
		  "#indicator+change+pct", COR_COL_NUM, 1 },
		{ "p_value", "p-value", "#indicator+pvalue", COR_COL_NUM, 0 },
		{ "dispersion", "dispersion", "#indicator+dispersion",
		  COR_COL_NUM, 0 },
	};
	char sql[2048], pk[256], lab[48], why[160];
	const char *s1 = x->p[0], *s2 = x->p[1];
	PGresult *res = NULL;
	long lo = 0, hi = -1, nodate = 0;
	long long *cnt = NULL;
	double *xs = NULL, *ys = NULL;
	size_t *cp = NULL, ncp = 0, np;
	int ts, tm, rc = 0, ri;
	cor_stats_trend *tr = &x->r->trend;
	cor_err e;

	if (f != NULL)
		x->p[0] = f;
	if (t != NULL)
		x->p[1] = t;
	/* by batch too: the batches used (generated_from, synthetic) come
	 * from this pass instead of a second one over the same rows.
	 * Quarterly and yearly series over whole quarters read the
	 * quarterly counts, a few thousand rows, instead of the cases */
	if (x->req->by != COR_BY_MONTH && cube_ok(x->p[0], x->p[1])) {
		pkey_of(x->req->by, "c.quarter", pk, sizeof(pk));
		snprintf(sql, sizeof(sql), "SELECT %s AS k, sum(c.n),"
		         " c.batch_id, bool_or(c.synthetic OR b.synthetic)"
		         CUBE_FROM CUBE_WHERE " GROUP BY 1, 3 ORDER BY 1, 3",
		         pk);
	} else {
		pkey_of(x->req->by, "c.registration_date", pk, sizeof(pk));
		snprintf(sql, sizeof(sql), "SELECT %s AS k, count(*),"
		         " c.batch_id, bool_or(c.synthetic OR b.synthetic)"
		         CASE_FROM CASE_WHERE " GROUP BY 1, 3 ORDER BY 1, 3",
		         pk);
	}
	res = q(x, sql, 0, NULL);
	x->p[0] = s1;
	x->p[1] = s2;
	if (res == NULL)
		return COR_EDB;
	f = f != NULL ? f : x->from[0] ? x->from : NULL;
	t = t != NULL ? t : x->to[0] ? x->to : NULL;
	for (int i = 0; i < PQntuples(res); i++) {
		long idx;
		if (PQgetisnull(res, i, 0)) {
			nodate += ll(res, i, 1);
			continue;
		}
		idx = key_index(x->req->by, ll(res, i, 0));
		if (hi < lo) {
			lo = hi = idx;
		} else {
			lo = idx < lo ? idx : lo;
			hi = idx > hi ? idx : hi;
		}
	}
	if (f != NULL)
		lo = date_index(x->req->by, f);
	if (t != NULL)
		hi = date_index(x->req->by, t);
	if (nodate > 0)
		CK(cor_stats_warn(x->r, "%ld cases without a registration date "
		                  "are not in the %sly series", nodate,
		                  by_word(x->req->by)));
	np = hi >= lo ? (size_t)(hi - lo + 1) : 0;
	if (np > 100000) {
		rc = cor_err_set(x->err, COR_EINVAL, "trend: window too long");
		goto out;
	}
	cnt = calloc(np + 1, sizeof(*cnt));
	xs = calloc(np + 1, sizeof(*xs));
	ys = calloc(np + 1, sizeof(*ys));
	cp = calloc(np + 1, sizeof(*cp));
	if (cnt == NULL || xs == NULL || ys == NULL || cp == NULL) {
		rc = oom(x);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		long idx;
		if (PQgetisnull(res, i, 0))
			continue;
		idx = key_index(x->req->by, ll(res, i, 0));
		if (idx >= lo && idx <= hi)
			cnt[idx - lo] += ll(res, i, 1);
	}
	for (size_t i = 0; i < np; i++) {
		xs[i] = (double)i;
		ys[i] = (double)cnt[i];
	}
	cor_err_clear(&e);
	cor_stats_trend_free(tr);
	rc = cor_stats_poisson_trend(xs, ys, np, per_year(x->req->by), tr, &e);
	x->r->has_trend = 1;
	if (rc == COR_EDEGENERATE) {
		if (strcmp(tr->reason, "one period of data") == 0 || np == 1)
			snprintf(why, sizeof(why), "one %s of data",
			         by_word(x->req->by));
		else if (strcmp(tr->reason, "fewer than 3 periods") == 0 ||
		         np < 3)
			snprintf(why, sizeof(why), "fewer than 3 %ss of data",
			         by_word(x->req->by));
		else
			snprintf(why, sizeof(why), "%s", tr->reason);
		snprintf(tr->reason, sizeof(tr->reason), "%s", why);
		tr->estimable = 0;
		CK(cor_stats_warn(x->r, "trend not estimable: %s", why));
		rc = 0;
	} else if (rc != 0) {
		*x->err = e;
		goto out;
	}
	{
		/* minimum segment one year (two for yearly series): a
		 * seasonal peak is no change in level; penalty 2 ln n, times
		 * the quasi-Poisson dispersion when over-dispersed */
		size_t minseg = x->req->by == COR_BY_MONTH ? 12 :
		                x->req->by == COR_BY_YEAR ? 2 : 4;
		double phi = tr->estimable && tr->dispersion > 1.0 ?
		             tr->dispersion : 1.0;

		if (np > CP_MAX_PERIODS)
			CK(cor_stats_warn(x->r, "change points not searched: "
			                  "more than %d periods",
			                  CP_MAX_PERIODS));
		else if (np >= 2 * minseg)
			ncp = changepoints(ys, np, minseg,
			                   2.0 * log((double)np) * phi, cp);
	}
	ts = cor_stats_table_add(x->r, "series", "Cases per period", scols, 5);
	CK(ts);
	for (size_t i = 0; i < np; i++) {
		cor_stats_cell *c;

		ri = cor_stats_row_add(x->r, ts, 0);
		CK(ri);
		index_label(x->req->by, lo + (long)i, lab, sizeof(lab));
		CK(cor_stats_set_text(x->r, ts, ri, 0, lab));
		CK(cor_stats_set_count(x->r, ts, ri, 1, cnt[i]));
		if (i == 0)
			CK(cor_stats_set_na(x->r, ts, ri, 2,
			                    "no previous period in window"));
		else
			CK(cor_stats_set_rr(x->r, ts, ri, 2, cnt[i],
			                    cnt[i - 1], ref(ts, ri, 1),
			                    ref(ts, ri - 1, 1)));
		c = cor_stats_cell_at(x->r, ts, ri, 3);
		if (tr->estimable) {
			c->v = tr->fit[i];
			c->lo = tr->fit_lo[i];
			c->hi = tr->fit_hi[i];
			c->has_ci = 1;
		} else {
			CK(cor_stats_set_na(x->r, ts, ri, 3, tr->reason));
		}
		for (size_t j = 0; j < ncp; j++) {
			if (cp[j] == i) {
				char fl[160];
				snprintf(fl, sizeof(fl), "possible shift in "
				         "level from %s (automatic flag, not a "
				         "finding)", lab);
				CK(cor_stats_set_text(x->r, ts, ri, 4, fl));
				CK(cor_stats_warn(x->r, "flag: %s", fl));
			}
		}
	}
	tm = cor_stats_table_add(x->r, "model",
	                         "Log-linear Poisson trend over the window",
	                         mcols, 5);
	CK(tm);
	ri = cor_stats_row_add(x->r, tm, 0);
	CK(ri);
	cor_stats_cell_at(x->r, tm, ri, 1)->v = (double)np;
	if (tr->estimable) {
		cor_stats_cell *c;
		CK(cor_stats_set_text(x->r, tm, ri, 0, tr->quasi ?
		                      "quasi-poisson" : "poisson"));
		c = cor_stats_cell_at(x->r, tm, ri, 2);
		c->v = tr->pct_per_year;
		c->lo = tr->pct_lo;
		c->hi = tr->pct_hi;
		c->has_ci = 1;
		cor_stats_cell_at(x->r, tm, ri, 3)->v = tr->p_value;
		cor_stats_cell_at(x->r, tm, ri, 4)->v = tr->dispersion;
	} else {
		char m[200];
		snprintf(m, sizeof(m), "not estimable: %s", tr->reason);
		CK(cor_stats_set_text(x->r, tm, ri, 0, m));
		CK(cor_stats_set_na(x->r, tm, ri, 2, "trend not estimable"));
		CK(cor_stats_set_na(x->r, tm, ri, 3, "trend not estimable"));
		CK(cor_stats_set_na(x->r, tm, ri, 4, "trend not estimable"));
	}
	rc = add_batches(x, res, 2, 3);
out:
	PQclear(res);
	free(cnt);
	free(xs);
	free(ys);
	free(cp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Two-way tables with margins (od, profile)                            */
/* ------------------------------------------------------------------ */

typedef const char *(*namefn)(run *, const char *);

static const char *no_name(run *x, const char *c)
{
	(void)x;
	(void)c;
	return NULL;
}

/* res rows: a, b, g (GROUPING(a, b)), n with a/b already coalesced to
 * "unknown" where NULL. Writes rows (a, b, n, share of grand total):
 * cells, then row margins (b = Total), column margins (a = Total) and the
 * grand total, with the constraints of every row, column and the grand
 * total. Returns the table index or a negative status. *grand receives
 * the grand total's reference. */
static int twoway(run *x, PGresult *res, const char *name, const char *title,
                  const cor_stats_col *ca, const cor_stats_col *cb,
                  namefn fa, namefn fb, cor_stats_ref *grand)
{
	cor_stats_col cols[4] = { *ca, *cb,
	                          COL_N("n", "count", "#affected+num"),
	                          COL_SHARE };
	int nr = PQntuples(res), ti, rc = 0, gi = -1;
	long long gtot = 0;
	cor_stats_ref *mem = NULL, *rowref = NULL;
	int nmem;

	ti = cor_stats_table_add(x->r, name, title, cols, 4);
	CK(ti);
	mem = calloc((size_t)nr + 1, sizeof(*mem));
	rowref = calloc((size_t)nr + 1, sizeof(*rowref));
	if (mem == NULL || rowref == NULL) {
		rc = oom(x);
		goto out;
	}
	for (int i = 0; i < nr; i++)
		if (ll(res, i, 2) == 3)
			gtot = ll(res, i, 3);
	/* order: g = 0 cells, g = 1 (b rolled up: row margins), g = 2
	 * (column margins), g = 3 grand total */
	for (int g = 0; g < 4; g++) {
		for (int i = 0; i < nr; i++) {
			const char *a = sv(res, i, 0), *b = sv(res, i, 1);
			int ri;

			if (ll(res, i, 2) != g)
				continue;
			ri = cor_stats_row_add(x->r, ti, g != 0);
			CK(ri);
			rowref[i] = ref(ti, ri, 2);
			if (g == 0 || g == 1)
				CK(cor_stats_set_code(x->r, ti, ri, 0, a,
				    strcmp(a, "unknown") == 0 ? "Unknown"
				                              : fa(x, a)));
			else
				CK(cor_stats_set_code(x->r, ti, ri, 0, NULL,
				                      "Total"));
			if (g == 0 || g == 2)
				CK(cor_stats_set_code(x->r, ti, ri, 1, b,
				    strcmp(b, "unknown") == 0 ? "Unknown"
				                              : fb(x, b)));
			else
				CK(cor_stats_set_code(x->r, ti, ri, 1, NULL,
				                      "Total"));
			CK(cor_stats_set_count(x->r, ti, ri, 2,
			                       ll(res, i, 3)));
			CK(cor_stats_set_share(x->r, ti, ri, 3, ll(res, i, 3),
			                       gtot, ref(ti, ri, 2)));
			if (g == 3)
				gi = i;
		}
	}
	/* constraints: each row margin = its cells; each column margin =
	 * its cells; grand = row margins = column margins */
	for (int i = 0; i < nr; i++) {
		int g = (int)ll(res, i, 2);
		if (g != 1 && g != 2)
			continue;
		nmem = 0;
		for (int j = 0; j < nr; j++) {
			if (ll(res, j, 2) != 0)
				continue;
			if (strcmp(sv(res, j, g == 1 ? 0 : 1),
			           sv(res, i, g == 1 ? 0 : 1)) == 0)
				mem[nmem++] = rowref[j];
		}
		if (nmem > 0)
			CK(cor_stats_constrain(x->r, rowref[i], mem, nmem));
	}
	if (gi >= 0) {
		for (int g = 1; g <= 2; g++) {
			nmem = 0;
			for (int j = 0; j < nr; j++)
				if (ll(res, j, 2) == g)
					mem[nmem++] = rowref[j];
			if (nmem > 0)
				CK(cor_stats_constrain(x->r, rowref[gi], mem,
				                       nmem));
		}
		if (grand != NULL)
			*grand = rowref[gi];
		/* every share's base is the grand total */
		for (int j = 0; j < nr; j++)
			if (j != gi && ll(res, j, 2) >= 0 && ll(res, j, 2) < 3)
				share_base(x, rowref[j].table, rowref[j].row, 3,
				           rowref[gi]);
	} else if (grand != NULL) {
		*grand = NOREF;
	}
	rc = ti;
out:
	free(mem);
	free(rowref);
	return rc;
}

static int kind_od(run *x)
{
	static const char *sql =
		"SELECT o, d, GROUPING(o, d) AS g, count(*) AS n FROM ("
		"SELECT coalesce(c.citizenship, c.origin_country, 'unknown')"
		"  AS o, coalesce(c.country_of_exploitation,"
		"  c.intended_destination, 'unknown') AS d"
		CASE_FROM CASE_WHERE
		") s GROUP BY CUBE (o, d) ORDER BY g, n DESC, o, d";
	const cor_stats_col co = COL_CODE("origin",
	        "origin (citizenship, else origin country)",
	        "#country+origin");
	const cor_stats_col cd = COL_CODE("destination",
	        "destination (exploitation, else intended)",
	        "#country+dest");
	PGresult *res = q(x, sql, 0, NULL);
	int rc;

	if (res == NULL)
		return COR_EDB;
	rc = twoway(x, res, "matrix", "Origin-destination (OD) matrix",
	            &co, &cd, country_name, country_name, NULL);
	PQclear(res);
	if (rc < 0)
		return rc;
	return case_batches(x, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* segments, nodes, routes                                              */
/* ------------------------------------------------------------------ */

/* Fills DIST cell (ti, ri, col) from grouped values v/w (k distinct). */
static int set_dist(run *x, int ti, int ri, int col, const double *v,
                    const long long *w, size_t k, cor_stats_ref dep)
{
	cor_stats_cell *c = cor_stats_cell_at(x->r, ti, ri, col);
	cor_stats_dist d;
	cor_err e;
	int rc;

	if (c == NULL)
		return COR_EINVAL;
	c->ndep = 0;
	if (dep.table >= 0)
		c->dep[c->ndep++] = dep;
	if (k == 0) {
		c->status = COR_CELL_NA;
		c->reason = "not recorded";
		return 0;
	}
	cor_err_clear(&e);
	rc = cor_stats_median_iqr_grouped(v, w, k, COR_STATS_BOOT_SEED,
	                                  COR_STATS_BOOT_B, &d, &e);
	if (rc != 0) {
		c->status = COR_CELL_NA;
		c->reason = "not computable";
		return rc == COR_ENOMEM ? oom(x) : 0;
	}
	c->status = COR_CELL_OK;
	c->n = d.n;
	c->v = d.median;
	c->q1 = d.q1;
	c->q3 = d.q3;
	c->lo = d.lo;
	c->hi = d.hi;
	c->has_ci = 1;
	return 0;
}

/* Route walk. The kinds segments, nodes and counties aggregate the steps
 * of the same routes: the legs (consecutive places) with each case's fee
 * and days in transit, every place with its role, and the legs with a
 * flag for a route's last leg. SQL did this with unnest over array
 * slices, hashing text keys per leg; here one query streams each case's
 * route, interception place, fee and days through a cursor, and C
 * aggregates them in one pass with the semantics of the SQL it replaces
 * (tests/db/test_walk.c checks the two agree):
 *   legs:  unnest(route[:cardinality(route) - 1], route[2:]) WITH
 *          ORDINALITY AS u(f, t, i) over routes of cardinality >= 2 (a
 *          one-subscript slice cuts an array's first dimension; unnest
 *          of two arrays pads the shorter with NULLs); a route's last
 *          leg is i = cardinality(route) - 1;
 *   nodes: unnest(route) WITH ORDINALITY AS u(pid, seq), role
 *          interception when seq = cardinality and pid =
 *          interception_place, else destination when seq = cardinality,
 *          else origin when seq = 1, else transit;
 *   values: fee_usd as strtod reads its numeric text, days_in_transit as
 *          a double; a NULL value counts in the leg's total only.
 * A NULL route element has the key "", the string PQgetvalue gave for the
 * NULL group of the SQL version. Memory grows with the distinct places,
 * legs and (leg, value) pairs, never with the cases. */

typedef struct wleg {
	int f, t;               /* place keys (walk.key) */
	int id;                 /* index before walk_finish sorted them */
	long long n[2];         /* occurrences; n[1]: as a route's last leg */
} wleg;

typedef struct wval {
	unsigned leg;           /* walk.leg index */
	unsigned kind;          /* 0 fee_usd, 1 days_in_transit */
	double v;               /* finite; -0 stored as 0 */
	long long n;            /* cases; 0 = free hash slot */
} wval;

typedef struct walk {
	char from[11], to[11];  /* window walked ("" = open) */
	int vals;               /* fee and days values were counted */
	/* place keys: route elements as written (NULL as ""); after
	 * walk_finish in strcmp order */
	char **key;
	long long (*role)[4];   /* per key: origin, transit, interception,
	                         * destination */
	const place **pl;       /* per key after walk_finish, or NULL */
	int nkey, capkey, nullkey;
	int *kh;                /* hash of keys: key index or -1 */
	size_t khcap;
	/* legs; after walk_finish ordered by from, then to (strcmp) */
	wleg *leg;
	int nleg, capleg;
	int *lh;                /* hash of legs: leg index or -1 */
	size_t lhcap;
	/* while walking an open-addressing hash of valcap slots; after
	 * walk_finish nval entries by leg, kind, ascending value */
	wval *val;
	size_t nval, valcap;
	/* scratch: the elements of one route, one decoded element */
	int *el;
	unsigned char *elnull;
	size_t elcap;
	char *buf;
	size_t bufcap;
} walk;

/* splitmix64's finaliser (S. Vigna, public domain): a 64-bit mix. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* FNV-1a over n bytes. */
static uint64_t strhash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* New index slots (cap a power of two), all -1; NULL on OOM. */
static int *slots_new(size_t cap)
{
	int *h = malloc(cap * sizeof(*h));

	if (h != NULL)
		memset(h, 0xff, cap * sizeof(*h));
	return h;
}

static void walk_free(walk *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < w->nkey; i++)
		free(w->key[i]);
	free(w->key);
	free(w->role);
	free(w->pl);
	free(w->kh);
	free(w->leg);
	free(w->lh);
	free(w->val);
	free(w->el);
	free(w->elnull);
	free(w->buf);
	free(w);
}

/* Index of key s[0..n-1] (no NUL inside), added when new; -1 on OOM. */
static int key_intern(walk *w, const char *s, size_t n)
{
	size_t m, i;

	if (2 * ((size_t)w->nkey + 1) > w->khcap) {
		size_t cap = w->khcap ? 2 * w->khcap : 256;
		int *h = slots_new(cap);

		if (h == NULL)
			return -1;
		for (int k = 0; k < w->nkey; k++) {
			i = strhash(w->key[k], strlen(w->key[k])) & (cap - 1);
			while (h[i] >= 0)
				i = (i + 1) & (cap - 1);
			h[i] = k;
		}
		free(w->kh);
		w->kh = h;
		w->khcap = cap;
	}
	m = w->khcap - 1;
	for (i = strhash(s, n) & m; w->kh[i] >= 0; i = (i + 1) & m) {
		const char *k = w->key[w->kh[i]];

		if (strncmp(k, s, n) == 0 && k[n] == '\0')
			return w->kh[i];
	}
	if (w->nkey == w->capkey) {
		int cap = w->capkey ? 2 * w->capkey : 64;
		char **nk = realloc(w->key, (size_t)cap * sizeof(*nk));
		long long (*nr)[4];

		if (nk == NULL)
			return -1;
		w->key = nk;
		nr = realloc(w->role, (size_t)cap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		w->role = nr;
		w->capkey = cap;
	}
	w->key[w->nkey] = strndup(s, n);
	if (w->key[w->nkey] == NULL)
		return -1;
	memset(w->role[w->nkey], 0, sizeof(w->role[0]));
	w->kh[i] = w->nkey;
	return w->nkey++;
}

static uint64_t leg_hash(int f, int t)
{
	return mix64((uint64_t)(unsigned)f << 32 | (unsigned)t);
}

/* Index of leg (f, t), added when new; -1 on OOM. */
static int leg_get(walk *w, int f, int t)
{
	size_t m, i;

	if (2 * ((size_t)w->nleg + 1) > w->lhcap) {
		size_t cap = w->lhcap ? 2 * w->lhcap : 1024;
		int *h = slots_new(cap);

		if (h == NULL)
			return -1;
		for (int k = 0; k < w->nleg; k++) {
			i = leg_hash(w->leg[k].f, w->leg[k].t) & (cap - 1);
			while (h[i] >= 0)
				i = (i + 1) & (cap - 1);
			h[i] = k;
		}
		free(w->lh);
		w->lh = h;
		w->lhcap = cap;
	}
	m = w->lhcap - 1;
	for (i = leg_hash(f, t) & m; w->lh[i] >= 0; i = (i + 1) & m)
		if (w->leg[w->lh[i]].f == f && w->leg[w->lh[i]].t == t)
			return w->lh[i];
	if (w->nleg == w->capleg) {
		int cap = w->capleg ? 2 * w->capleg : 256;
		wleg *nl = realloc(w->leg, (size_t)cap * sizeof(*nl));

		if (nl == NULL)
			return -1;
		w->leg = nl;
		w->capleg = cap;
	}
	memset(&w->leg[w->nleg], 0, sizeof(*w->leg));
	w->leg[w->nleg].f = f;
	w->leg[w->nleg].t = t;
	w->lh[i] = w->nleg;
	return w->nleg++;
}

static uint64_t val_hash(unsigned leg, unsigned kind, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return mix64(bits ^ mix64((uint64_t)leg << 1 | kind));
}

/* Inserts or finds (leg, kind, v) in the hash tab of cap slots. */
static wval *val_slot(wval *tab, size_t cap, unsigned leg, unsigned kind,
                      double v)
{
	size_t m = cap - 1, i;

	for (i = val_hash(leg, kind, v) & m; tab[i].n > 0; i = (i + 1) & m)
		if (tab[i].leg == leg && tab[i].kind == kind && tab[i].v == v)
			return &tab[i];
	tab[i].leg = leg;
	tab[i].kind = kind;
	tab[i].v = v;
	return &tab[i];
}

/* Counts one case with value v of kind on leg; a value that is not
 * finite is left out (as set_dist's callers did). -1 on OOM. */
static int val_add(walk *w, int leg, unsigned kind, double v)
{
	wval *s;

	if (!isfinite(v))
		return 0;
	if (v == 0.0)
		v = 0.0;
	if (2 * (w->nval + 1) > w->valcap) {
		size_t cap = w->valcap ? 2 * w->valcap : 4096;
		wval *t = calloc(cap, sizeof(*t));

		if (t == NULL)
			return -1;
		for (size_t i = 0; i < w->valcap; i++)
			if (w->val[i].n > 0)
				*val_slot(t, cap, w->val[i].leg, w->val[i].kind,
				          w->val[i].v) = w->val[i];
		free(w->val);
		w->val = t;
		w->valcap = cap;
	}
	s = val_slot(w->val, w->valcap, (unsigned)leg, kind, v);
	if (s->n == 0)
		w->nval++;
	s->n++;
	return 0;
}

/* Appends byte c to the decoded element (w->buf, length *len). */
static int buf_put(walk *w, size_t *len, char c)
{
	if (*len + 1 >= w->bufcap) {
		size_t cap = w->bufcap ? 2 * w->bufcap : 256;
		char *b = realloc(w->buf, cap);

		if (b == NULL)
			return -1;
		w->buf = b;
		w->bufcap = cap;
	}
	w->buf[(*len)++] = c;
	return 0;
}

/* Reads one element at *sp (text array_out wrote: unquoted, NULL, or
 * double-quoted with backslash escapes) into w->buf; sets *isnull and
 * the length. Returns 0, -1 (OOM) or -2 (malformed). */
static int elem_read(walk *w, const char **sp, size_t *len, int *isnull)
{
	const char *s = *sp;
	int quoted = *s == '"';

	*len = 0;
	if (quoted)
		s++;
	for (;;) {
		char c = *s;

		if (c == '\0')
			return -2;
		if (quoted ? c == '"' : c == ',' || c == '}')
			break;
		if (!quoted && (c == '{' || c == '"'))
			return -2;
		if (c == '\\') {
			c = *++s;
			if (c == '\0')
				return -2;
		}
		if (buf_put(w, len, c) != 0)
			return -1;
		s++;
	}
	if (quoted)
		s++;
	else if (*len == 0)
		return -2;
	*isnull = !quoted && *len == 4 && strncasecmp(w->buf, "NULL", 4) == 0;
	*sp = s;
	return 0;
}

/* Parses a text[] literal as array_out writes it (optional dimensions
 * "[lo:hi]..=", then nested braces) into w->el / w->elnull: the element
 * keys in storage order (*n of them); *lo is the lower bound and *rows
 * the length of the first dimension. Returns 0, -1 (OOM) or -2
 * (malformed). */
static int route_parse(walk *w, const char *s, size_t *n, long *lo,
                       size_t *rows)
{
	int depth = 1, sub = 0, leaf = 0;

	*n = 0;
	*lo = 1;
	*rows = 0;
	if (*s == '[') {
		char *e;

		*lo = strtol(s + 1, &e, 10);
		if (*e != ':')
			return -2;
		s = strchr(e, '=');
		if (s == NULL)
			return -2;
		s++;
	}
	if (*s++ != '{')
		return -2;
	while (depth > 0) {
		size_t len;
		int isnull, k, st;

		if (*s == '{') {
			if (++depth == 2)
				(*rows)++;
			sub = 1;
			s++;
			continue;
		}
		if (*s == '}') {
			depth--;
			s++;
			if (depth > 0 && *s == ',')
				s++;
			continue;
		}
		st = elem_read(w, &s, &len, &isnull);
		if (st != 0)
			return st;
		if (depth == 1)
			(*rows)++;
		leaf = depth == 1;
		if (isnull) {
			if (w->nullkey < 0)
				w->nullkey = key_intern(w, "", 0);
			k = w->nullkey;
		} else {
			k = key_intern(w, w->buf, len);
		}
		if (k < 0)
			return -1;
		if (*n == w->elcap) {
			size_t cap = w->elcap ? 2 * w->elcap : 64;
			int *ne = realloc(w->el, cap * sizeof(*ne));
			unsigned char *nn;

			if (ne == NULL)
				return -1;
			w->el = ne;
			nn = realloc(w->elnull, cap);
			if (nn == NULL)
				return -1;
			w->elnull = nn;
			w->elcap = cap;
		}
		w->el[*n] = k;
		w->elnull[*n] = (unsigned char)isnull;
		(*n)++;
		if (*s == ',')
			s++;
		else if (*s != '}')
			return -2;
	}
	if (*s != '\0' || (sub && leaf) || (*rows > 0 && *n % *rows != 0))
		return -2;
	return 0;
}

/* Adds one case: route literal, interception place, fee_usd and
 * days_in_transit as text (NULL = SQL NULL). 0, -1 (OOM), -2 (route
 * malformed). */
static int walk_case(walk *w, const char *route, const char *ip,
                     const char *fee, const char *days)
{
	size_t n, rows;
	long lo, hi, a1, b1, a2, len1, len2, per;
	double fv = 0.0, dv = 0.0;
	int st = route_parse(w, route, &n, &lo, &rows);

	if (st != 0)
		return st;
	for (size_t s = 0; s < n; s++) {
		int role = s == 0 ? 0 : 1;

		if (s + 1 == n)
			role = !w->elnull[s] && ip != NULL &&
			       strcmp(w->key[w->el[s]], ip) == 0 ? 2 : 3;
		w->role[w->el[s]][role]++;
	}
	if (n < 2)
		return 0;
	if (w->nullkey < 0) {
		w->nullkey = key_intern(w, "", 0);
		if (w->nullkey < 0)
			return -1;
	}
	/* route[:n - 1] and route[2:] on the first dimension [lo, hi],
	 * each row holding per elements */
	per = (long)(n / rows);
	hi = lo + (long)rows - 1;
	a1 = lo;
	b1 = (long)n - 1 < hi ? (long)n - 1 : hi;
	len1 = b1 >= a1 ? (b1 - a1 + 1) * per : 0;
	a2 = lo > 2 ? lo : 2;
	len2 = hi >= a2 ? (hi - a2 + 1) * per : 0;
	if (!w->vals)
		fee = days = NULL;
	if (fee != NULL)
		fv = strtod(fee, NULL);
	if (days != NULL)
		dv = strtod(days, NULL);
	for (long k = 0; k < (len1 > len2 ? len1 : len2); k++) {
		int f = k < len1 ? w->el[k] : w->nullkey;
		int t = k < len2 ? w->el[(a2 - lo) * per + k] : w->nullkey;
		int leg = leg_get(w, f, t);

		if (leg < 0)
			return -1;
		w->leg[leg].n[k + 1 == (long)n - 1]++;
		if (fee != NULL && val_add(w, leg, 0, fv) != 0)
			return -1;
		if (days != NULL && val_add(w, leg, 1, dv) != 0)
			return -1;
	}
	return 0;
}

typedef struct wkey {
	const char *s;
	int old;
} wkey;

static int wkeycmp(const void *a, const void *b)
{
	return strcmp(((const wkey *)a)->s, ((const wkey *)b)->s);
}

static int wlegcmp(const void *a, const void *b)
{
	const wleg *p = a, *q = b;

	if (p->f != q->f)
		return p->f < q->f ? -1 : 1;
	return p->t < q->t ? -1 : p->t > q->t;
}

static int wvalcmp(const void *a, const void *b)
{
	const wval *p = a, *q = b;

	if (p->leg != q->leg)
		return p->leg < q->leg ? -1 : 1;
	if (p->kind != q->kind)
		return p->kind < q->kind ? -1 : 1;
	return p->v < q->v ? -1 : p->v > q->v;
}

/* Orders the keys (strcmp), the legs (from, to) and the values (leg,
 * kind, value) and looks up the keys' places; the hashes go. */
static int walk_finish(run *x, walk *w)
{
	wkey *ks = calloc((size_t)w->nkey + 1, sizeof(*ks));
	int *rank = calloc((size_t)w->nkey + 1, sizeof(*rank));
	int *map = calloc((size_t)w->nleg + 1, sizeof(*map));
	char **key = calloc((size_t)w->nkey + 1, sizeof(*key));
	long long (*role)[4] = calloc((size_t)w->nkey + 1, sizeof(*role));
	int rc = 0;
	size_t j = 0;

	w->pl = calloc((size_t)w->nkey + 1, sizeof(*w->pl));
	if (ks == NULL || rank == NULL || map == NULL || key == NULL ||
	    role == NULL || w->pl == NULL) {
		free(key);
		free(role);
		rc = oom(x);
		goto out;
	}
	for (int k = 0; k < w->nkey; k++) {
		ks[k].s = w->key[k];
		ks[k].old = k;
	}
	if (w->nkey > 0)
		qsort(ks, (size_t)w->nkey, sizeof(*ks), wkeycmp);
	for (int k = 0; k < w->nkey; k++) {
		rank[ks[k].old] = k;
		key[k] = w->key[ks[k].old];
		memcpy(role[k], w->role[ks[k].old], sizeof(role[k]));
		w->pl[k] = place_get(x, key[k]);
	}
	free(w->key);
	free(w->role);
	w->key = key;
	w->role = role;
	w->capkey = w->nkey;
	if (w->nullkey >= 0)
		w->nullkey = rank[w->nullkey];
	for (int i = 0; i < w->nleg; i++) {
		w->leg[i].f = rank[w->leg[i].f];
		w->leg[i].t = rank[w->leg[i].t];
		w->leg[i].id = i;
	}
	if (w->nleg > 0)
		qsort(w->leg, (size_t)w->nleg, sizeof(*w->leg), wlegcmp);
	for (int i = 0; i < w->nleg; i++)
		map[w->leg[i].id] = i;
	for (size_t i = 0; i < w->valcap; i++) {
		if (w->val[i].n == 0)
			continue;
		w->val[j] = w->val[i];
		w->val[j].leg = (unsigned)map[w->val[i].leg];
		j++;
	}
	w->nval = j;
	if (j > 0)
		qsort(w->val, j, sizeof(*w->val), wvalcmp);
	free(w->kh);
	free(w->lh);
	w->kh = w->lh = NULL;
	w->khcap = w->lhcap = 0;
out:
	free(ks);
	free(rank);
	free(map);
	return rc;
}

#define WALK_FETCH "FETCH FORWARD 10000 FROM cor_walk"

/* Waits for the result of the command sent last and reads the connection
 * until idle. *res: the result (caller PQclears) when its status is
 * want, else NULL. 0 or COR_EDB (err). */
static int walk_wait(PGconn *conn, ExecStatusType want, PGresult **res,
                     cor_err *err)
{
	PGresult *r;
	int rc = 0;

	*res = NULL;
	while ((r = PQgetResult(conn)) != NULL) {
		if (*res == NULL && rc == 0 && PQresultStatus(r) == want) {
			*res = r;
			continue;
		}
		if (rc == 0)
			rc = cor_db_fail(err, conn, r);
		PQclear(r);
	}
	if (rc == 0 && *res == NULL)
		rc = cor_db_fail(err, conn, NULL);
	if (rc != 0) {
		PQclear(*res);
		*res = NULL;
	}
	return rc;
}

/* Streams the cases of the window and filters (the working set in a
 * brief) through cursor cor_walk into w, 10000 rows a fetch; the server
 * reads the next rows while these are counted. Needs the transaction
 * cor_stats_run holds. 0 or a cor_status (x->err). */
static int walk_stream(run *x, walk *w)
{
	static const char *decl =
		"DECLARE cor_walk NO SCROLL CURSOR FOR SELECT c.route,"
		" c.interception_place, c.fee_usd, c.days_in_transit"
		CASE_FROM CASE_WHERE " AND cardinality(c.route) >= 1";
	/* without the values (nodes, counties): a tenth less to send */
	static const char *decl_novals =
		"DECLARE cor_walk NO SCROLL CURSOR FOR SELECT c.route,"
		" c.interception_place, NULL, NULL"
		CASE_FROM CASE_WHERE " AND cardinality(c.route) >= 1";
	PGresult *res = NULL;
	char saved[64];
	const char *sp[1] = { saved };
	int rc = COR_EDB, open = 0, sent = 0;

	/* a cursor's plan is made for its first rows (cursor_tuple_fraction
	 * 0.1); all rows are read: plan for all, as a plain query is */
	res = cor_db_query(x->conn, "SELECT current_setting("
	                   "'cursor_tuple_fraction'), set_config("
	                   "'cursor_tuple_fraction', '1', true)", 0, NULL,
	                   PGRES_TUPLES_OK, x->err);
	if (res == NULL)
		goto out;
	snprintf(saved, sizeof(saved), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = qw(x, w->vals ? decl : decl_novals, 0, NULL, PGRES_COMMAND_OK);
	if (res == NULL)
		goto out;
	open = 1;
	PQclear(res);
	res = cor_db_query(x->conn, "SELECT set_config("
	                   "'cursor_tuple_fraction', $1, true)", 1, sp,
	                   PGRES_TUPLES_OK, x->err);
	if (res == NULL)
		goto out;
	PQclear(res);
	res = NULL;
	if (!PQsendQuery(x->conn, WALK_FETCH)) {
		rc = cor_db_fail(x->err, x->conn, NULL);
		goto out;
	}
	sent = 1;
	for (;;) {
		int nr;

		sent = 0;
		rc = walk_wait(x->conn, PGRES_TUPLES_OK, &res, x->err);
		if (rc != 0)
			goto out;
		rc = COR_EDB;
		nr = PQntuples(res);
		if (nr == 0)
			break;
		if (!PQsendQuery(x->conn, WALK_FETCH)) {
			rc = cor_db_fail(x->err, x->conn, NULL);
			goto out;
		}
		sent = 1;
		for (int i = 0; i < nr; i++) {
			const char *route = PQgetvalue(res, i, 0);
			int st = walk_case(w, route, sv(res, i, 1),
			                   sv(res, i, 2), sv(res, i, 3));

			if (st == -1) {
				rc = oom(x);
				goto out;
			}
			if (st != 0) {
				rc = cor_err_set(x->err, COR_EINVAL, "route "
				                 "walk: case_record.route '%.60s'"
				                 " is not a text array literal",
				                 route);
				goto out;
			}
		}
		PQclear(res);
		res = NULL;
	}
	rc = 0;
out:
	PQclear(res);
	if (sent) {
		/* a fetch in flight: drain it, keeping the first error */
		cor_err e;

		cor_err_clear(&e);
		walk_wait(x->conn, PGRES_TUPLES_OK, &res, &e);
		PQclear(res);
	}
	if (open && PQtransactionStatus(x->conn) == PQTRANS_INTRANS) {
		res = PQexec(x->conn, "CLOSE cor_walk");
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = cor_db_fail(x->err, x->conn, res);
		PQclear(res);
	}
	return rc;
}

/* The route walk of the current window (x->p[0], x->p[1]) and filters,
 * with the legs' fee and days values when vals is 1 (segments), made on
 * first use and kept in x->walk for the other route kinds of the run.
 * *out borrowed until cor_stats_run returns. 0 or a cor_status
 * (x->err). */
static int walk_get(run *x, int vals, const walk **out)
{
	char kf[11], kt[11];
	walk *w;
	int rc;

	snprintf(kf, sizeof(kf), "%s", x->p[0] != NULL ? x->p[0] : "");
	snprintf(kt, sizeof(kt), "%s", x->p[1] != NULL ? x->p[1] : "");
	if (x->walk != NULL && strcmp(x->walk->from, kf) == 0 &&
	    strcmp(x->walk->to, kt) == 0 && (x->walk->vals || !vals)) {
		*out = x->walk;
		return 0;
	}
	walk_free(x->walk);
	x->walk = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return oom(x);
	w->nullkey = -1;
	w->vals = vals;
	memcpy(w->from, kf, sizeof(kf));
	memcpy(w->to, kt, sizeof(kt));
	rc = walk_stream(x, w);
	if (rc == 0)
		rc = walk_finish(x, w);
	if (rc != 0) {
		walk_free(w);
		return rc;
	}
	x->walk = w;
	*out = w;
	return 0;
}

static int kind_segments(run *x)
{
	static const cor_stats_col cols[] = {
		COL_CODE("from", "from", "#loc+from"),
		COL_CODE("to", "to", "#loc+to"),
		COL_N("n", "cases", "#affected+num"),
		COL_SHARE,
		{ "fee_usd", "fee USD median (IQR)", "#value+fee+usd",
		  COR_COL_DIST, 0 },
		{ "days", "days in transit median (IQR)",
		  "#indicator+days+transit", COR_COL_DIST, 0 },
	};
	const walk *wk = NULL;
	long long known2 = 0, *w = NULL;
	double *v = NULL;
	int ti, rc;
	size_t j = 0;

	rc = case_batches2(x, NULL, NULL, NULL, &known2);
	if (rc == 0)
		rc = walk_get(x, 1, &wk);
	if (rc != 0)
		return rc;
	v = calloc(wk->nval + 1, sizeof(*v));
	w = calloc(wk->nval + 1, sizeof(*w));
	if (v == NULL || w == NULL) {
		rc = oom(x);
		goto out;
	}
	ti = cor_stats_table_add(x->r, "legs", "Flows on legs (consecutive "
	                         "places on recorded routes)", cols, 6);
	CK(ti);
	/* legs in from, to order (strcmp), values ascending per leg */
	for (int i = 0; i < wk->nleg; i++) {
		const char *f = wk->key[wk->leg[i].f];
		const char *t = wk->key[wk->leg[i].t];
		long long tot = wk->leg[i].n[0] + wk->leg[i].n[1];
		int ri = cor_stats_row_add(x->r, ti, 0);

		CK(ri);
		CK(cor_stats_set_code(x->r, ti, ri, 0, f, place_name(x, f)));
		CK(cor_stats_set_code(x->r, ti, ri, 1, t, place_name(x, t)));
		CK(cor_stats_set_count(x->r, ti, ri, 2, tot));
		CK(cor_stats_set_share(x->r, ti, ri, 3, tot, known2,
		                       ref(ti, ri, 2)));
		for (unsigned kind = 0; kind < 2; kind++) {
			size_t k = 0;

			for (; j < wk->nval && wk->val[j].leg == (unsigned)i &&
			       wk->val[j].kind == kind; j++) {
				v[k] = wk->val[j].v;
				w[k] = wk->val[j].n;
				k++;
			}
			CK(set_dist(x, ti, ri, 4 + (int)kind, v, w, k,
			            ref(ti, ri, 2)));
		}
	}
	/* sort rows by flow, largest first (stable on from/to order) */
	{
		cor_stats_table *t = &x->r->tables[ti];
		for (int a = 1; a < t->nrow; a++) {
			cor_stats_row tmp = t->rows[a];
			int b = a;
			while (b > 0 && t->rows[b - 1].cells[2].n <
			       tmp.cells[2].n) {
				t->rows[b] = t->rows[b - 1];
				b--;
			}
			t->rows[b] = tmp;
		}
		/* dependencies point at the same row: fix after sorting */
		for (int a = 0; a < t->nrow; a++)
			for (int c = 3; c < 6; c++)
				if (t->rows[a].cells[c].ndep > 0)
					t->rows[a].cells[c].dep[0].row = a;
	}
out:
	free(v);
	free(w);
	return rc;
}

static int kind_nodes(run *x)
{
	static const cor_stats_col cols[] = {
		COL_CODE("place", "place", "#loc"),
		COL_CODE("country", "country", "#country"),
		COL_N("n", "cases", "#affected+num"),
		COL_SHARE,
		COL_N("n_origin", "origin", "#affected+num+origin"),
		COL_N("n_transit", "transit", "#affected+num+transit"),
		COL_N("n_interception", "interception",
		      "#affected+num+interception"),
		COL_N("n_destination", "destination", "#affected+num+dest"),
		{ "role", "main role", "#loc+type", COR_COL_TEXT, 0 },
	};
	static const char *roles[] = { "origin", "transit", "interception",
	                               "destination" };
	const walk *wk = NULL;
	long long known1 = 0;
	int ti, rc, any = 0;

	rc = case_batches2(x, NULL, NULL, &known1, NULL);
	if (rc == 0)
		rc = walk_get(x, 0, &wk);
	if (rc != 0)
		return rc;
	ti = cor_stats_table_add(x->r, "nodes", "Places on recorded routes "
	                         "(share of cases with a known route)",
	                         cols, 9);
	CK(ti);
	/* places in strcmp order */
	for (int i = 0; i < wk->nkey; i++) {
		const char *pid = wk->key[i];
		const place *pl = wk->pl[i];
		const long long *rn = wk->role[i];
		long long tot = 0;
		int ri, best = 0;
		cor_stats_ref mem[4];

		if (rn[0] == 0 && rn[1] == 0 && rn[2] == 0 && rn[3] == 0)
			continue;
		any = 1;
		ri = cor_stats_row_add(x->r, ti, 0);
		CK(ri);
		for (int j = 0; j < 4; j++) {
			tot += rn[j];
			if (rn[j] > rn[best])
				best = j;
			CK(cor_stats_set_count(x->r, ti, ri, 4 + j, rn[j]));
			mem[j] = ref(ti, ri, 4 + j);
		}
		CK(cor_stats_set_code(x->r, ti, ri, 0, pid,
		                      pl != NULL ? pl->name : NULL));
		CK(cor_stats_set_code(x->r, ti, ri, 1,
		                      pl != NULL ? pl->country : NULL,
		                      pl != NULL ? country_name(x, pl->country)
		                                 : NULL));
		CK(cor_stats_set_count(x->r, ti, ri, 2, tot));
		/* a route that visits a place twice counts twice: n may
		 * exceed the cases with a route (then no share) */
		if (tot <= known1)
			CK(cor_stats_set_share(x->r, ti, ri, 3, tot, known1,
			                       ref(ti, ri, 2)));
		else
			CK(cor_stats_set_na(x->r, ti, ri, 3,
			                    "visits exceed cases"));
		CK(cor_stats_set_text(x->r, ti, ri, 8, roles[best]));
		/* passing = origin + transit + interception + destination */
		CK(cor_stats_constrain(x->r, ref(ti, ri, 2), mem, 4));
	}
	if (any) {
		/* The shares reveal their base (n / share), so publish it as
		 * a count and tie it to the cells it sums: every route ends
		 * once, at an interception or a destination. Without this,
		 * base - published ends = a withheld end count. Each share
		 * depends on the base too: withheld base, withheld shares. */
		int nrow = x->r->tables[ti].nrow, ri, nm = 0;
		cor_stats_ref *ends = calloc(2 * (size_t)nrow, sizeof(*ends));

		if (ends == NULL) {
			rc = oom(x);
			goto out;
		}
		for (int k = 0; k < nrow; k++) {
			ends[nm++] = ref(ti, k, 6);
			ends[nm++] = ref(ti, k, 7);
		}
		ri = cor_stats_row_add(x->r, ti, 1);
		if (ri < 0) {
			free(ends);
			rc = ri;
			goto out;
		}
		rc = cor_stats_set_code(x->r, ti, ri, 0, NULL,
		                        "Total: cases with a known route");
		if (rc == 0)
			rc = cor_stats_set_code(x->r, ti, ri, 1, NULL, "");
		if (rc == 0)
			rc = cor_stats_set_count(x->r, ti, ri, 2, known1);
		for (int j = 3; j <= 7 && rc == 0; j++)
			rc = cor_stats_set_na(x->r, ti, ri, j, "not applicable");
		if (rc == 0)
			rc = cor_stats_constrain(x->r, ref(ti, ri, 2), ends, nm);
		free(ends);
		CK(rc);
		for (int k = 0; k < nrow; k++) {
			cor_stats_cell *c = cor_stats_cell_at(x->r, ti, k, 3);

			if (c != NULL && c->status == COR_CELL_OK &&
			    c->ndep < COR_STATS_MAXDEP)
				c->dep[c->ndep++] = ref(ti, ri, 2);
		}
	}
out:
	return rc;
}

static int kind_routes(run *x)
{
	static const char *sql =
		"SELECT route, n, sum(n) OVER () AS total,"
		" count(*) OVER () AS distinct_routes FROM ("
		"SELECT c.route, count(*) AS n" CASE_FROM CASE_WHERE
		" AND cardinality(c.route) >= 1 GROUP BY c.route) s"
		" ORDER BY n DESC, route LIMIT $9::int";
	static const cor_stats_col cols[] = {
		COL_CODE("route", "route", "#route+places"),
		{ "steps", "steps", "#meta+steps", COR_COL_NUM, 0 },
		COL_N("n", "cases", "#affected+num"),
		COL_SHARE,
	};
	char top[16], *buf = NULL, *names = NULL;
	const char *ex[1] = { top };
	PGresult *res = NULL;
	long long total = 0, sum = 0;
	int ti, rc = 0, nr;
	cor_stats_ref *mem = NULL;

	snprintf(top, sizeof(top), "%d", x->req->top);
	res = q(x, sql, 1, ex);
	if (res == NULL)
		return COR_EDB;
	nr = PQntuples(res);
	mem = calloc((size_t)nr + 2, sizeof(*mem));
	if (mem == NULL) {
		rc = oom(x);
		goto out;
	}
	ti = cor_stats_table_add(x->r, "routes", "Most frequent full routes",
	                         cols, 4);
	CK(ti);
	if (nr > 0)
		total = ll(res, 0, 2);
	for (int i = 0; i < nr; i++) {
		/* route is a text[] literal {A,B,C}: ids have no commas,
		 * quotes or braces (CHECK on place.id) */
		const char *lit = sv(res, i, 0);
		size_t len = strlen(lit);
		int steps = 1, ri;
		char *tok, *save = NULL;
		size_t no = 0, cap = len * 8 + 64;

		free(buf);
		free(names);
		buf = strdup(lit + 1);
		names = malloc(cap);
		if (buf == NULL || names == NULL) {
			rc = oom(x);
			goto out;
		}
		names[0] = '\0';
		if (len >= 2)
			buf[len - 2] = '\0';
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			const char *nm = place_name(x, tok);
			no += (size_t)snprintf(names + no, cap - no, "%s%s",
			                       no ? " > " : "",
			                       nm != NULL ? nm : tok);
			if (no >= cap)
				no = cap - 1;
		}
		for (const char *c = lit; *c; c++)
			steps += *c == ',';
		for (char *c = buf; c < buf + len - 2; c++)
			if (*c == '\0')
				*c = '>';
		ri = cor_stats_row_add(x->r, ti, 0);
		CK(ri);
		CK(cor_stats_set_code(x->r, ti, ri, 0, buf, names));
		cor_stats_cell_at(x->r, ti, ri, 1)->v = steps;
		CK(cor_stats_set_count(x->r, ti, ri, 2, ll(res, i, 1)));
		CK(cor_stats_set_share(x->r, ti, ri, 3, ll(res, i, 1), total,
		                       ref(ti, ri, 2)));
		sum += ll(res, i, 1);
		mem[i] = ref(ti, ri, 2);
	}
	if (nr > 0) {
		int ro = cor_stats_row_add(x->r, ti, 0), rt;

		CK(ro);
		CK(cor_stats_set_code(x->r, ti, ro, 0, "other",
		                      "all other routes"));
		CK(cor_stats_set_na(x->r, ti, ro, 1, "several"));
		CK(cor_stats_set_count(x->r, ti, ro, 2, total - sum));
		CK(cor_stats_set_share(x->r, ti, ro, 3, total - sum, total,
		                       ref(ti, ro, 2)));
		mem[nr] = ref(ti, ro, 2);
		rt = cor_stats_row_add(x->r, ti, 1);
		CK(rt);
		CK(cor_stats_set_code(x->r, ti, rt, 0, NULL, "Total"));
		CK(cor_stats_set_na(x->r, ti, rt, 1, "several"));
		CK(cor_stats_set_count(x->r, ti, rt, 2, total));
		CK(cor_stats_set_share(x->r, ti, rt, 3, total, total,
		                       ref(ti, rt, 2)));
		CK(cor_stats_constrain(x->r, ref(ti, rt, 2), mem, nr + 1));
		for (int k = 0; k < rt; k++)
			share_base(x, ti, k, 3, ref(ti, rt, 2));
	}
	rc = case_batches(x, NULL, NULL);
out:
	PQclear(res);
	free(mem);
	free(buf);
	free(names);
	return rc;
}

/* ------------------------------------------------------------------ */
/* profile                                                              */
/* ------------------------------------------------------------------ */

/* One-dimension table of (code, n) rows of res with share of denom. */
static int onedim(run *x, PGresult *res, const char *name, const char *title,
                  const cor_stats_col *cc, long long denom)
{
	cor_stats_col cols[3] = { *cc, COL_N("n", "cases", "#affected+num"),
	                          COL_SHARE };
	int ti = cor_stats_table_add(x->r, name, title, cols, 3), rc = 0;

	CK(ti);
	for (int i = 0; i < PQntuples(res); i++) {
		int ri = cor_stats_row_add(x->r, ti, 0);
		CK(ri);
		CK(cor_stats_set_code(x->r, ti, ri, 0, sv(res, i, 0), NULL));
		CK(cor_stats_set_count(x->r, ti, ri, 1, ll(res, i, 1)));
		CK(cor_stats_set_share(x->r, ti, ri, 2, ll(res, i, 1), denom,
		                       ref(ti, ri, 1)));
	}
	rc = ti;
out:
	return rc;
}

static int kind_profile(run *x, cor_stats_ref *grand)
{
	static const char *sql_sa =
		"SELECT s, a, GROUPING(s, a) AS g, count(*) AS n FROM ("
		"SELECT coalesce(c.sex, 'unknown') AS s,"
		" coalesce(c.age_band, 'unknown') AS a" CASE_FROM CASE_WHERE
		") z GROUP BY CUBE (s, a)"
		/* age bands in numeric order (0--8, 9--17, ..., 48+), unknown
		 * last; sexes alphabetical, unknown last */
		" ORDER BY g, s = 'unknown', s,"
		" substring(a FROM '^[0-9]+')::int NULLS LAST, a";
	static const char *sql_es =
		"SELECT t, s, GROUPING(t, s) AS g, count(*) AS n FROM ("
		"SELECT e.t, coalesce(c.sex, 'unknown') AS s" CASE_FROM
		", unnest(c.exploitation_types) AS e(t)" CASE_WHERE
		") z GROUP BY CUBE (t, s) ORDER BY g, n DESC, t, s";
	static const char *sql_mc =
		"SELECT m.t, count(*) AS n" CASE_FROM
		", unnest(c.means_of_control) AS m(t)" CASE_WHERE
		" GROUP BY 1 ORDER BY n DESC, 1";
	static const char *sql_rr =
		"SELECT c.recruiter_relationship, count(*) AS n" CASE_FROM
		CASE_WHERE " AND c.recruiter_relationship IS NOT NULL"
		" GROUP BY 1 ORDER BY n DESC, 1";
	const cor_stats_col csex = COL_CODE("sex", "sex", "#affected+sex");
	const cor_stats_col cage = COL_CODE("age_band", "age band",
	                                    "#affected+age+band");
	const cor_stats_col cexp = COL_CODE("exploitation",
	                                    "exploitation type",
	                                    "#exploitation+type");
	const cor_stats_col cmc = COL_CODE("means", "means of control",
	                                   "#control+means");
	const cor_stats_col crr = COL_CODE("relationship",
	                                   "recruiter relationship",
	                                   "#recruiter+relationship");
	PGresult *res = NULL;
	denoms dn;
	int rc;

	rc = case_batches3(x, NULL, NULL, &dn);
	if (rc != 0)
		return rc;
	res = q(x, sql_sa, 0, NULL);
	if (res == NULL)
		return COR_EDB;
	rc = twoway(x, res, "sex_age", "Sex by age band", &csex, &cage,
	            no_name, no_name, grand);
	PQclear(res);
	if (rc < 0)
		return rc;
	keep_total(x, *grand);
	res = q(x, sql_es, 0, NULL);
	if (res == NULL)
		return COR_EDB;
	rc = twoway(x, res, "exploitation_sex", "Forms of exploitation by sex "
	            "(mentions: a case may have several forms)", &cexp, &csex,
	            no_name, no_name, NULL);
	PQclear(res);
	if (rc < 0)
		return rc;
	res = q(x, sql_mc, 0, NULL);
	if (res == NULL)
		return COR_EDB;
	rc = onedim(x, res, "control", "Means of control (share of cases "
	            "with a recorded means; several per case)", &cmc,
	            dn.means);
	PQclear(res);
	if (rc < 0)
		return rc;
	res = q(x, sql_rr, 0, NULL);
	if (res == NULL)
		return COR_EDB;
	rc = onedim(x, res, "recruiter", "Relationship to the recruiter "
	            "(share of cases where recorded)", &crr, dn.recruiter);
	PQclear(res);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* counties                                                             */
/* ------------------------------------------------------------------ */

static int kind_counties(run *x)
{
	/* Grouped by place ids only (a few hundred groups); the place ->
	 * county mapping is done in C from the gazetteer, which avoids a
	 * join per route step. */
	static const char *sql_is =
		"SELECT c.identification_county, c.origin_admin1, c.route[1],"
		" count(*)" CASE_FROM CASE_WHERE " GROUP BY 1, 2, 3";
	static const char *sql_ex =
		"SELECT c.identification_county, e.t, count(*) AS n" CASE_FROM
		", unnest(c.exploitation_types) AS e(t)" CASE_WHERE
		" AND c.identification_county IS NOT NULL"
		" GROUP BY 1, 2 ORDER BY 1, n DESC, 2";
	static const cor_stats_col cols[] = {
		COL_CODE("county", "county", "#adm1"),
		COL_N("n", "identified", "#affected+num+identified"),
		COL_N("n_source", "source", "#affected+num+origin"),
		COL_N("n_transit", "transit", "#affected+num+transit"),
		COL_N("n_destination", "destination", "#affected+num+dest"),
	};
	static const cor_stats_col ecols[] = {
		COL_CODE("county", "county", "#adm1"),
		COL_CODE("exploitation", "exploitation type",
		         "#exploitation+type"),
		COL_N("n", "cases", "#affected+num"),
	};
	PGresult *r1 = NULL, *r3 = NULL;
	const walk *wk = NULL;
	int ti, te, rc = 0;

	r1 = q(x, sql_is, 0, NULL);
	if (r1 == NULL)
		return COR_EDB;
	/* transit and destination from the legs of the route walk */
	rc = walk_get(x, 0, &wk);
	if (rc != 0)
		goto out;
	r3 = q(x, sql_ex, 0, NULL);
	if (r3 == NULL) {
		rc = COR_EDB;
		goto out;
	}
	ti = cor_stats_table_add(x->r, "counties", "Kenyan counties: cases "
	                         "identified, and as source, transit point or "
	                         "destination (last recorded step)", cols, 5);
	CK(ti);
	for (int a = 0; a < x->nadmin1; a++) {
		const char *pc = x->admin1[a].code;
		long long v[4] = { 0, 0, 0, 0 };
		int ri;

		if (strncmp(pc, "KE", 2) != 0)
			continue;
		for (int i = 0; i < PQntuples(r1); i++) {
			const char *idc = sv(r1, i, 0), *src = sv(r1, i, 1);
			const place *p0 = place_get(x, sv(r1, i, 2));

			if (src == NULL && p0 != NULL)
				src = p0->admin1;
			if (idc != NULL && strcmp(idc, pc) == 0)
				v[0] += ll(r1, i, 3);
			if (src != NULL && strcmp(src, pc) == 0)
				v[1] += ll(r1, i, 3);
		}
		for (int i = 0; i < wk->nleg; i++) {
			const place *pp = wk->pl[wk->leg[i].f];
			const place *pcur = wk->pl[wk->leg[i].t];

			if (pcur == NULL || strcmp(pcur->admin1, pc) != 0)
				continue;
			/* destination: the last leg ends in the county;
			 * transit: first step of a run in the county */
			v[3] += wk->leg[i].n[1];
			if (pp == NULL || strcmp(pp->admin1, pc) != 0)
				v[2] += wk->leg[i].n[0];
		}
		ri = cor_stats_row_add(x->r, ti, 0);
		CK(ri);
		CK(cor_stats_set_code(x->r, ti, ri, 0, pc, x->admin1[a].name));
		for (int j = 0; j < 4; j++)
			CK(cor_stats_set_count(x->r, ti, ri, 1 + j, v[j]));
	}
	/* P-code order (KE001 .. KE047) */
	{
		cor_stats_table *t = &x->r->tables[ti];
		for (int a = 1; a < t->nrow; a++) {
			cor_stats_row tmp = t->rows[a];
			int b = a;
			while (b > 0 && strcmp(t->rows[b - 1].cells[0].code,
			                       tmp.cells[0].code) > 0) {
				t->rows[b] = t->rows[b - 1];
				b--;
			}
			t->rows[b] = tmp;
		}
	}
	te = cor_stats_table_add(x->r, "county_exploitation", "Forms of "
	                         "exploitation by county of identification",
	                         ecols, 3);
	CK(te);
	for (int i = 0; i < PQntuples(r3); i++) {
		int ri = cor_stats_row_add(x->r, te, 0);
		CK(ri);
		CK(cor_stats_set_code(x->r, te, ri, 0, sv(r3, i, 0),
		                      admin1_name(x, sv(r3, i, 0))));
		CK(cor_stats_set_code(x->r, te, ri, 1, sv(r3, i, 1), NULL));
		CK(cor_stats_set_count(x->r, te, ri, 2, ll(r3, i, 2)));
	}
	rc = case_batches(x, NULL, NULL);
out:
	PQclear(r1);
	PQclear(r3);
	return rc;
}

/* ------------------------------------------------------------------ */
/* incidents                                                            */
/* ------------------------------------------------------------------ */

static int filters_warn(run *x, const char *what)
{
	const cor_stats_req *r = x->req;

	if (r->case_type != NULL || r->citizenship != NULL ||
	    r->sex != NULL || r->county != NULL)
		return cor_stats_warn(x->r, "case filters (case type, "
		                      "citizenship, sex, county) do not apply "
		                      "to %s", what);
	return 0;
}

/* Source filter of a kind reading format fmt (incidents: "mmp", stocks:
 * "unhcr"): which = 0 the batch id, 1 the format. On their own the kinds
 * take --source as given; in a brief (whose --source selects the case
 * records) only a source naming their own format applies. */
static const char *own_source(run *x, const char *fmt, int which)
{
	if (x->req->kind == COR_STATS_BRIEF)
		return which == 1 && x->src_fmt != NULL &&
		       strcmp(x->src_fmt, fmt) == 0 ? x->src_fmt : NULL;
	return which == 0 ? x->src_batch : x->src_fmt;
}

typedef struct agg {
	char key[40], key2[40];
	long long n, dead, missing, inc;
} agg;

static agg *agg_get(agg **a, int *na, int *cap, const char *k1,
                    const char *k2)
{
	for (int i = 0; i < *na; i++)
		if (strcmp((*a)[i].key, k1) == 0 &&
		    strcmp((*a)[i].key2, k2) == 0)
			return &(*a)[i];
	if (*na == *cap) {
		int nc = *cap ? 2 * *cap : 32;
		agg *n = realloc(*a, (size_t)nc * sizeof(*n));
		if (n == NULL)
			return NULL;
		*a = n;
		*cap = nc;
	}
	memset(&(*a)[*na], 0, sizeof(agg));
	snprintf((*a)[*na].key, sizeof((*a)[*na].key), "%s", k1);
	snprintf((*a)[*na].key2, sizeof((*a)[*na].key2), "%s", k2);
	return &(*a)[(*na)++];
}

static int kind_incidents(run *x)
{
	static const char *sql =
		"SELECT i.reported_date::text, i.dead, i.missing,"
		" i.total_dead_missing, i.lat, i.lon, i.batch_id,"
		" b.synthetic FROM incident i"
		" JOIN batch b ON b.id = i.batch_id AND b.active"
		" WHERE i.lat IS NOT NULL"
		" AND ($1::date IS NULL OR i.reported_date >= $1::date)"
		" AND ($2::date IS NULL OR i.reported_date <= $2::date)"
		" AND i.lat BETWEEN $3::float8 AND $4::float8"
		" AND i.lon BETWEEN $5::float8 AND $6::float8"
		" AND ($7::bigint IS NULL OR i.batch_id = $7::bigint)"
		" AND ($8::text IS NULL OR b.format = $8::text)"
		" ORDER BY i.reported_date, i.id";
	static const cor_stats_col pcols[] = {
		{ "period", "period", "#date+period", COR_COL_PERIOD, 0 },
		COL_N("n", "dead and missing", "#affected+killed+missing"),
		COL_N("dead", "dead", "#affected+killed"),
		COL_N("missing", "missing", "#affected+missing"),
		COL_N("incidents", "incidents", "#event+num"),
	};
	static const cor_stats_col lcols[] = {
		COL_CODE("from", "from", "#loc+from"),
		COL_CODE("to", "to", "#loc+to"),
		COL_N("n", "dead and missing", "#affected+killed+missing"),
		COL_N("incidents", "incidents", "#event+num"),
	};
	static const cor_stats_col ccols[] = {
		COL_CODE("country", "country", "#country"),
		COL_N("n", "dead and missing", "#affected+killed+missing"),
		COL_N("incidents", "incidents", "#event+num"),
	};
	const place **leg = NULL;
	agg *ap = NULL, *al = NULL, *ac = NULL;
	int nap = 0, cap_p = 0, nal = 0, cap_l = 0, nac = 0, cap_c = 0;
	int nleg = 0, rc = 0, tp, tl, tc;
	double la0 = 90, la1 = -90, lo0 = 180, lo1 = -180, pad;
	char b[4][32], lab[48];
	const char *params[8];
	PGresult *res = NULL;
	long lo = 0, hi = -1;
	long long tot[4] = { 0, 0, 0, 0 };
	cor_stats_ref totref[3][4];

	rc = filters_warn(x, "Missing Migrants incidents");
	if (rc != 0)
		return oom(x);
	/* corridor legs: consecutive places in corridor_seq order */
	leg = calloc((size_t)x->nplace + 1, sizeof(*leg));
	if (leg == NULL)
		return oom(x);
	for (int i = 0; i < x->nplace; i++)
		if (x->places[i].seq >= 0)
			leg[nleg++] = &x->places[i];
	for (int a = 1; a < nleg; a++) {
		const place *t = leg[a];
		int c = a;
		while (c > 0 && leg[c - 1]->seq > t->seq) {
			leg[c] = leg[c - 1];
			c--;
		}
		leg[c] = t;
	}
	for (int i = 0; i < nleg; i++) {
		la0 = fmin(la0, leg[i]->lat);
		la1 = fmax(la1, leg[i]->lat);
		lo0 = fmin(lo0, leg[i]->lon);
		lo1 = fmax(lo1, leg[i]->lon);
	}
	if (nleg < 2) {
		CK(cor_stats_warn(x->r, "no corridor legs in the gazetteer "
		                  "(place.corridor_seq)"));
		nleg = 0;
	}
	/* bounding box prefilter: 1 degree of latitude ~ 111 km; longitude
	 * degrees shrink with cos(lat), at most ~35 degrees here */
	pad = x->req->buffer_km / 111.0 / cos(40.0 * M_PI / 180.0) + 0.01;
	snprintf(b[0], sizeof(b[0]), "%.6f", la0 - pad);
	snprintf(b[1], sizeof(b[1]), "%.6f", la1 + pad);
	snprintf(b[2], sizeof(b[2]), "%.6f", lo0 - pad);
	snprintf(b[3], sizeof(b[3]), "%.6f", lo1 + pad);
	params[0] = x->p[0];
	params[1] = x->p[1];
	params[2] = b[0];
	params[3] = b[1];
	params[4] = b[2];
	params[5] = b[3];
	params[6] = own_source(x, "mmp", 0);
	params[7] = own_source(x, "mmp", 1);
	res = cor_db_query(x->conn, sql, 8, params, PGRES_TUPLES_OK, x->err);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	for (int i = 0; i < PQntuples(res) && nleg > 0; i++) {
		double lat = strtod(PQgetvalue(res, i, 4), NULL);
		double lon = strtod(PQgetvalue(res, i, 5), NULL);
		double best = INFINITY, bp = INFINITY;
		int bl = -1;
		const place *np = NULL;
		long long n, dead = ll(res, i, 1), miss = ll(res, i, 2);
		agg *a;

		for (int l = 0; l + 1 < nleg; l++) {
			double d = cor_stats_seg_km(lat, lon, leg[l]->lat,
			                            leg[l]->lon, leg[l + 1]->lat,
			                            leg[l + 1]->lon);
			if (d < best) {
				best = d;
				bl = l;
			}
		}
		if (bl < 0 || !(best <= x->req->buffer_km))
			continue;
		for (int p = 0; p < x->nplace; p++) {
			double d = cor_stats_gc_km(lat, lon, x->places[p].lat,
			                           x->places[p].lon);
			if (d < bp) {
				bp = d;
				np = &x->places[p];
			}
		}
		n = PQgetisnull(res, i, 3) ? dead + miss : ll(res, i, 3);
		cor_stats_period_label(PQgetvalue(res, i, 0), x->req->by, lab,
		                       sizeof(lab));
		{
			long idx = date_index(x->req->by,
			                      PQgetvalue(res, i, 0));
			if (hi < lo) {
				lo = hi = idx;
			} else {
				lo = idx < lo ? idx : lo;
				hi = idx > hi ? idx : hi;
			}
		}
		a = agg_get(&ap, &nap, &cap_p, lab, "");
		if (a == NULL)
			goto nomem;
		a->n += n;
		a->dead += dead;
		a->missing += miss;
		a->inc++;
		a = agg_get(&al, &nal, &cap_l, leg[bl]->id, leg[bl + 1]->id);
		if (a == NULL)
			goto nomem;
		a->n += n;
		a->inc++;
		a = agg_get(&ac, &nac, &cap_c, np != NULL ? np->country : "UNK",
		            "");
		if (a == NULL)
			goto nomem;
		a->n += n;
		a->inc++;
		tot[0] += n;
		tot[1] += dead;
		tot[2] += miss;
		tot[3]++;
		rc = add_batches(x, res, 6, 7);
		if (rc != 0)
			goto out;
	}
	/* by period, with the window's empty periods as zeros */
	if (x->from[0])
		lo = date_index(x->req->by, x->from);
	if (x->to[0])
		hi = date_index(x->req->by, x->to);
	tp = cor_stats_table_add(x->r, "incidents_period", "Dead and missing "
	                         "near the corridor (Missing Migrants "
	                         "Project) by period", pcols, 5);
	CK(tp);
	{
		cor_stats_ref mem[4][2048];
		int nm = 0, rt;

		for (long idx = lo; idx <= hi && hi - lo < 2048; idx++) {
			int ri = cor_stats_row_add(x->r, tp, 0);
			agg *a = NULL;

			CK(ri);
			index_label(x->req->by, idx, lab, sizeof(lab));
			for (int j = 0; j < nap; j++)
				if (strcmp(ap[j].key, lab) == 0)
					a = &ap[j];
			CK(cor_stats_set_text(x->r, tp, ri, 0, lab));
			CK(cor_stats_set_count(x->r, tp, ri, 1, a ? a->n : 0));
			CK(cor_stats_set_count(x->r, tp, ri, 2,
			                       a ? a->dead : 0));
			CK(cor_stats_set_count(x->r, tp, ri, 3,
			                       a ? a->missing : 0));
			CK(cor_stats_set_count(x->r, tp, ri, 4,
			                       a ? a->inc : 0));
			for (int j = 0; j < 4; j++)
				mem[j][nm] = ref(tp, ri, 1 + j);
			nm++;
		}
		rt = cor_stats_row_add(x->r, tp, 1);
		CK(rt);
		CK(cor_stats_set_text(x->r, tp, rt, 0, "Total"));
		for (int j = 0; j < 4; j++) {
			CK(cor_stats_set_count(x->r, tp, rt, 1 + j, tot[j]));
			totref[0][j] = ref(tp, rt, 1 + j);
			if (nm > 0)
				CK(cor_stats_constrain(x->r, totref[0][j],
				                       mem[j], nm));
		}
	}
	tl = cor_stats_table_add(x->r, "incidents_leg", "Dead and missing by "
	                         "nearest corridor leg", lcols, 4);
	CK(tl);
	tc = cor_stats_table_add(x->r, "incidents_country", "Dead and missing "
	                         "by country of the nearest place", ccols, 3);
	CK(tc);
	for (int pass = 0; pass < 2; pass++) {
		int t = pass == 0 ? tl : tc, nc = pass == 0 ? 2 : 1;
		agg *A = pass == 0 ? al : ac;
		int nA = pass == 0 ? nal : nac, rt;
		cor_stats_ref *m1 = calloc((size_t)nA + 1, sizeof(*m1));
		cor_stats_ref *m2 = calloc((size_t)nA + 1, sizeof(*m2));

		if (m1 == NULL || m2 == NULL) {
			free(m1);
			free(m2);
			goto nomem;
		}
		for (int j = 0; j < nA; j++) {
			int ri = cor_stats_row_add(x->r, t, 0);
			if (ri < 0) {
				free(m1);
				free(m2);
				goto nomem;
			}
			if (pass == 0) {
				rc = cor_stats_set_code(x->r, t, ri, 0, A[j].key,
				        place_name(x, A[j].key));
				if (rc == 0)
					rc = cor_stats_set_code(x->r, t, ri, 1,
					        A[j].key2,
					        place_name(x, A[j].key2));
			} else {
				rc = cor_stats_set_code(x->r, t, ri, 0, A[j].key,
				        country_name(x, A[j].key));
			}
			if (rc == 0)
				rc = cor_stats_set_count(x->r, t, ri, nc,
				                         A[j].n);
			if (rc == 0)
				rc = cor_stats_set_count(x->r, t, ri, nc + 1,
				                         A[j].inc);
			m1[j] = ref(t, ri, nc);
			m2[j] = ref(t, ri, nc + 1);
			if (rc != 0)
				break;
		}
		rt = rc == 0 ? cor_stats_row_add(x->r, t, 1) : rc;
		if (rt >= 0) {
			rc = cor_stats_set_code(x->r, t, rt, 0, NULL, "Total");
			if (rc == 0 && pass == 0)
				rc = cor_stats_set_code(x->r, t, rt, 1, NULL,
				                        "Total");
			if (rc == 0)
				rc = cor_stats_set_count(x->r, t, rt, nc,
				                         tot[0]);
			if (rc == 0)
				rc = cor_stats_set_count(x->r, t, rt, nc + 1,
				                         tot[3]);
			if (rc == 0 && nA > 0)
				rc = cor_stats_constrain(x->r,
				        ref(t, rt, nc), m1, nA);
			if (rc == 0 && nA > 0)
				rc = cor_stats_constrain(x->r,
				        ref(t, rt, nc + 1), m2, nA);
			/* the same totals are printed in the period table:
			 * margins of each other */
			if (rc == 0)
				rc = cor_stats_constrain(x->r, totref[0][0],
				        &(cor_stats_ref){ t, rt, nc }, 1);
			if (rc == 0)
				rc = cor_stats_constrain(x->r,
				        ref(t, rt, nc), &totref[0][0], 1);
			if (rc == 0)
				rc = cor_stats_constrain(x->r, totref[0][3],
				        &(cor_stats_ref){ t, rt, nc + 1 }, 1);
			if (rc == 0)
				rc = cor_stats_constrain(x->r,
				        ref(t, rt, nc + 1), &totref[0][3], 1);
		} else {
			rc = rt;
		}
		free(m1);
		free(m2);
		if (rc != 0)
			goto nomem;
	}
	if (nleg > 0)
		CK(cor_stats_warn(x->r, "incidents within %.0f km of a corridor "
		                  "leg (great-circle distance); %d legs",
		                  x->req->buffer_km, nleg - 1));
	rc = 0;
	goto out;
nomem:
	rc = oom(x);
out:
	PQclear(res);
	free(leg);
	free(ap);
	free(al);
	free(ac);
	return rc;
}

/* ------------------------------------------------------------------ */
/* stocks                                                               */
/* ------------------------------------------------------------------ */

static int kind_stocks(run *x)
{
	static const char *sql =
		"SELECT origin, asylum, year, refugees, asylum_seekers,"
		" batch_id, synthetic FROM ("
		"SELECT DISTINCT ON (s.year, s.origin, s.asylum) s.origin,"
		" s.asylum, s.year, s.refugees, s.asylum_seekers, s.batch_id,"
		" b.synthetic FROM od_stock s"
		" JOIN batch b ON b.id = s.batch_id AND b.active"
		" WHERE s.origin = ANY ($1::text[]) AND s.asylum = ANY ($2::text[])"
		" AND s.year >= coalesce($3::int, (SELECT max(year) - 10"
		"  FROM od_stock))"
		" AND ($4::int IS NULL OR s.year <= $4::int)"
		" AND ($5::bigint IS NULL OR s.batch_id = $5::bigint)"
		" AND ($6::text IS NULL OR b.format = $6::text)"
		" ORDER BY s.year, s.origin, s.asylum, s.batch_id DESC) z"
		" ORDER BY origin, asylum, year";
	static const cor_stats_col cols[] = {
		COL_CODE("origin", "origin", "#country+origin"),
		COL_CODE("asylum", "asylum", "#country+asylum"),
		{ "period", "year", "#date+year", COR_COL_PERIOD, 0 },
		COL_N("refugees", "refugees", "#affected+refugees"),
		COL_N("asylum_seekers", "asylum-seekers", "#affected+asylum"),
		COL_N("n", "refugees and asylum-seekers",
		      "#affected+refugees+asylum"),
		{ "change_pct", "change on previous year %",
		  "#indicator+change+pct", COR_COL_NUM, 0 },
	};
	char y1[16], y2[16];
	const char *params[6];
	PGresult *res = NULL;
	int ti, rc = 0, first = -1;

	rc = filters_warn(x, "UNHCR stocks");
	if (rc != 0)
		return oom(x);
	snprintf(y1, sizeof(y1), "%.4s", x->from);
	if (x->from[0])
		snprintf(y1, sizeof(y1), "%d", atoi(x->from) - 1);
	snprintf(y2, sizeof(y2), "%.4s", x->to);
	params[0] = "{ETH,SOM,ERI}";
	params[1] = "{KEN,TZA,MWI,MOZ,ZMB,ZWE,ZAF}";
	params[2] = x->from[0] ? y1 : NULL;
	params[3] = x->to[0] ? y2 : NULL;
	params[4] = own_source(x, "unhcr", 0);
	params[5] = own_source(x, "unhcr", 1);
	res = cor_db_query(x->conn, sql, 6, params, PGRES_TUPLES_OK, x->err);
	if (res == NULL)
		return COR_EDB;
	ti = cor_stats_table_add(x->r, "stocks", "UNHCR refugees and "
	                         "asylum-seekers by origin and asylum country "
	                         "(end of year)", cols, 7);
	CK(ti);
	for (int i = 0; i < PQntuples(res); i++) {
		long long rf = ll(res, i, 3), as = ll(res, i, 4);
		int year = atoi(PQgetvalue(res, i, 2)), ri, prev;
		cor_stats_cell *c;
		const char *o = sv(res, i, 0), *a = sv(res, i, 1);

		if (x->from[0] && year < atoi(x->from)) {
			first = i;      /* previous year: for the change only */
			continue;
		}
		prev = i > 0 && strcmp(sv(res, i - 1, 0), o) == 0 &&
		       strcmp(sv(res, i - 1, 1), a) == 0 &&
		       atoi(PQgetvalue(res, i - 1, 2)) == year - 1 ? i - 1
		                                                   : -1;
		ri = cor_stats_row_add(x->r, ti, 0);
		CK(ri);
		CK(cor_stats_set_code(x->r, ti, ri, 0, o, country_name(x, o)));
		CK(cor_stats_set_code(x->r, ti, ri, 1, a, country_name(x, a)));
		CK(cor_stats_set_text(x->r, ti, ri, 2, PQgetvalue(res, i, 2)));
		if (PQgetisnull(res, i, 3))
			CK(cor_stats_set_na(x->r, ti, ri, 3, "not reported"));
		else
			CK(cor_stats_set_count(x->r, ti, ri, 3, rf));
		if (PQgetisnull(res, i, 4))
			CK(cor_stats_set_na(x->r, ti, ri, 4, "not reported"));
		else
			CK(cor_stats_set_count(x->r, ti, ri, 4, as));
		CK(cor_stats_set_count(x->r, ti, ri, 5, rf + as));
		if (!PQgetisnull(res, i, 3) && !PQgetisnull(res, i, 4)) {
			cor_stats_ref m[2] = { ref(ti, ri, 3), ref(ti, ri, 4) };
			CK(cor_stats_constrain(x->r, ref(ti, ri, 5), m, 2));
		}
		c = cor_stats_cell_at(x->r, ti, ri, 6);
		if (prev < 0) {
			c->status = COR_CELL_NA;
			c->reason = "no previous year";
		} else {
			long long pn = ll(res, prev, 3) + ll(res, prev, 4);
			if (pn == 0) {
				c->status = COR_CELL_NA;
				c->reason = "zero in previous year";
			} else {
				c->v = 100.0 * ((double)(rf + as) /
				                (double)pn - 1.0);
				c->ndep = 1;
				c->dep[0] = ref(ti, ri, 5);
				if (ri > 0 && prev != first)
					c->dep[c->ndep++] = ref(ti, ri - 1, 5);
			}
		}
	}
	rc = add_batches(x, res, 5, 6);
	if (rc == 0 && PQntuples(res) == 0)
		CK(cor_stats_warn(x->r, "no UNHCR stocks loaded for the corridor "
		                  "pairs (origin ETH, SOM, ERI)"));
out:
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------------ */
/* brief, dispatcher, owner check                                       */
/* ------------------------------------------------------------------ */

/* Equality of two printed counts (each is the other's margin). */
static int same_total(run *x, cor_stats_ref a, cor_stats_ref b)
{
	int rc;

	if (a.table < 0 || b.table < 0)
		return 0;
	rc = cor_stats_constrain(x->r, a, &b, 1);
	if (rc == 0)
		rc = cor_stats_constrain(x->r, b, &a, 1);
	return rc == COR_ENOMEM ? oom(x) : 0;
}

/* Nodes and legs in one output (same rows: same window and filters):
 * every visit of a place P on a route either continues on a leg leaving
 * P or ends the route there (the node roles put a route's last place
 * first: interception or destination, even for a route of one place), so
 * n(P) = sum of n over the legs from P + n_interception(P) +
 * n_destination(P). Without this constraint a withheld interception
 * count was recoverable as node total - leg. tl, tn: the tables "legs"
 * and "nodes". */
static int nodes_legs(run *x, int tl, int tn)
{
	const cor_stats_table *L = &x->r->tables[tl], *N = &x->r->tables[tn];
	int cl = cor_stats_col_find(L, "n"), cf = cor_stats_col_find(L, "from");
	int cn = cor_stats_col_find(N, "n"), cp = cor_stats_col_find(N, "place");
	int ci = cor_stats_col_find(N, "n_interception");
	int cd = cor_stats_col_find(N, "n_destination");
	cor_stats_ref *mem;
	int rc = 0;

	if (cl < 0 || cf < 0 || cn < 0 || cp < 0 || ci < 0 || cd < 0)
		return cor_err_set(x->err, COR_EINVAL,
		                   "internal: nodes/legs columns");
	mem = calloc((size_t)L->nrow + 3, sizeof(*mem));
	if (mem == NULL)
		return oom(x);
	for (int i = 0; i < N->nrow && rc == 0; i++) {
		const char *pid = N->rows[i].cells[cp].code;
		int nm = 0;

		if (N->rows[i].margin || pid == NULL)
			continue;
		for (int j = 0; j < L->nrow; j++) {
			const char *f = L->rows[j].cells[cf].code;
			if (!L->rows[j].margin && f != NULL &&
			    strcmp(f, pid) == 0)
				mem[nm++] = ref(tl, j, cl);
		}
		mem[nm++] = ref(tn, i, ci);
		mem[nm++] = ref(tn, i, cd);
		rc = cor_stats_constrain(x->r, ref(tn, i, cn), mem, nm);
		if (rc != 0)
			rc = rc == COR_ENOMEM ? oom(x) :
			     cor_err_set(x->err, rc, "internal: constraint");
	}
	free(mem);
	return rc;
}

/* Row of table t whose first two CODE cells hold a and b (NULL: the
 * margin's "Total"), or -1. */
static int row_of(const cor_stats_table *t, const char *a, const char *b)
{
	for (int i = 0; i < t->nrow; i++) {
		const char *ca = t->rows[i].cells[0].code;
		const char *cb = t->rows[i].cells[1].code;

		if ((a == NULL ? ca == NULL : ca != NULL && strcmp(a, ca) == 0) &&
		    (b == NULL ? cb == NULL : cb != NULL && strcmp(b, cb) == 0))
			return i;
	}
	return -1;
}

/* n of the count cell at column col of row ri of t, 0 for ri < 0. */
static long long n_at(const cor_stats_table *t, int ri, int col)
{
	return ri < 0 ? 0 : t->rows[ri].cells[col].n;
}

/* The brief's headline figures are also cells of its tables; a reader
 * who sees both can subtract (fresh-eyes trial: the Samburu brief printed
 * women and girls 5 of 7 cases with the female total withheld, giving
 * the boys 9-17 = 2). Declared here, where they hold (they do unless a
 * record's minor flag or sex disagrees with its age band), so that the
 * joint suppression sees them:
 *  - women and girls = sex_age (female, Total);
 *  - minors = sex_age (Total, 0-8) + (Total, 9-17);
 *  - previous quarter and year-earlier counts = the series' cells.
 * (The shares of minors and of women and girls are of all cases: their
 * base is the case total.) ts: the series table; grand: sex_age's grand
 * total. */
static int brief_equalities(run *x, int ts, cor_stats_ref grand)
{
	const cor_stats_table *S = cor_stats_table_find(x->r, "summary");
	const cor_stats_table *A = cor_stats_table_find(x->r, "sex_age");
	const cor_stats_table *T = &x->r->tables[ts];
	int si, ai, rw, rm, rf, r08, r917, rc = 0;
	cor_stats_ref mem[2];
	int nm = 0;

	if (S == NULL || A == NULL || grand.table < 0 || S->nrow < 3)
		return 0;
	si = (int)(S - x->r->tables);
	ai = (int)(A - x->r->tables);
	/* (the summary's second cell is a count: no code) */
	rm = row_of(S, "minors", NULL);
	rw = row_of(S, "women_girls", NULL);
	if (rm < 0 || rw < 0)
		return 0;
	rf = row_of(A, "female", NULL);
	r08 = row_of(A, NULL, "0--8");
	r917 = row_of(A, NULL, "9--17");
	if (rf >= 0 && n_at(A, rf, 2) == n_at(S, rw, 1))
		rc = same_total(x, ref(si, rw, 1), ref(ai, rf, 2));
	if (r08 >= 0)
		mem[nm++] = ref(ai, r08, 2);
	if (r917 >= 0)
		mem[nm++] = ref(ai, r917, 2);
	if (rc == 0 && nm > 0 &&
	    n_at(A, r08, 2) + n_at(A, r917, 2) == n_at(S, rm, 1)) {
		rc = cor_stats_constrain(x->r, ref(si, rm, 1), mem, nm);
		if (rc == COR_ENOMEM)
			return oom(x);
	}
	/* the previous quarter and the year-earlier quarter in the series
	 * (one-quarter window: the series ends with it) */
	if (rc == 0 && x->req->by == COR_BY_QUARTER && T->nrow >= 5 &&
	    S->ncol >= 6 && x->from[0] && x->to[0] &&
	    date_index(COR_BY_QUARTER, x->from) ==
	    date_index(COR_BY_QUARTER, x->to)) {
		if (n_at(S, 0, 3) == n_at(T, T->nrow - 2, 1))
			rc = same_total(x, ref(si, 0, 3),
			                ref(ts, T->nrow - 2, 1));
		if (rc == 0 && n_at(S, 0, 5) == n_at(T, T->nrow - 5, 1))
			rc = same_total(x, ref(si, 0, 5),
			                ref(ts, T->nrow - 5, 1));
	}
	return rc;
}

/* The OD matrix beside the nodes in one output (the brief, whose matrix
 * `stats od` then prints; fourth user trial: od's Kenya origin total 101
 * minus the published Kenyan origin counts of the nodes, 99, gave
 * Moyale's withheld 2). Where they hold, a row margin of the matrix
 * (origin country c, all destinations) = the sum of n_origin over the
 * nodes in c (a case's route usually starts in its country of
 * citizenship), and the matrix's grand total = the case total. tn: the
 * table "nodes". */
static int od_origins(run *x, int tn)
{
	const cor_stats_table *M = cor_stats_table_find(x->r, "matrix");
	const cor_stats_table *N = &x->r->tables[tn];
	const cor_stats_table *S = cor_stats_table_find(x->r, "summary");
	int cno = cor_stats_col_find(N, "n_origin");
	int ccy = cor_stats_col_find(N, "country");
	int mi, rc = 0;
	cor_stats_ref *mem;

	if (M == NULL || S == NULL || cno < 0 || ccy < 0)
		return 0;
	mi = (int)(M - x->r->tables);
	mem = calloc((size_t)N->nrow + 1, sizeof(*mem));
	if (mem == NULL)
		return oom(x);
	for (int i = 0; rc == 0 && i < M->nrow; i++) {
		const char *o = M->rows[i].cells[0].code;
		long long sum = 0;
		int nm = 0;

		if (M->rows[i].cells[1].code != NULL)
			continue;       /* not a row margin */
		if (o == NULL) {        /* the grand total */
			if (n_at(M, i, 2) == n_at(S, 0, 1))
				rc = same_total(x, ref(mi, i, 2),
				                ref((int)(S - x->r->tables), 0,
				                    1));
			continue;
		}
		for (int j = 0; j < N->nrow; j++) {
			const char *c = N->rows[j].cells[ccy].code;

			if (N->rows[j].margin || c == NULL || strcmp(c, o) != 0 ||
			    N->rows[j].cells[cno].n <= 0)
				continue;
			sum += N->rows[j].cells[cno].n;
			mem[nm++] = ref(tn, j, cno);
		}
		if (nm > 0 && sum == n_at(M, i, 2)) {
			rc = cor_stats_constrain(x->r, ref(mi, i, 2), mem, nm);
			if (rc == COR_ENOMEM)
				rc = oom(x);
		}
	}
	free(mem);
	return rc;
}

static int kind_brief(run *x)
{
	cor_stats_ref grand = NOREF;
	char tf[11];
	int rc, y, m, d, ts, tl, tn;

	rc = kind_overview(x);
	if (rc != 0)
		return rc;
	/* trend over the three years ending with the window */
	tf[0] = '\0';
	if (x->to[0] && dparse(x->to, &y, &m, &d) == 0) {
		int a = y * 12 + (m - 1) - 35;
		fmt_date(tf, a / 12, a % 12 + 1, 1);
	}
	ts = x->r->ntable;
	rc = trend_tables(x, tf[0] ? tf : NULL, x->to[0] ? x->to : NULL);
	if (rc != 0)
		return rc;
	/* the series' last period equals the window when the window is one
	 * period: its count is the headline count */
	if (x->from[0] && x->to[0] &&
	    date_index(x->req->by, x->from) == date_index(x->req->by, x->to)) {
		cor_stats_table *t = &x->r->tables[ts];
		if (t->nrow > 0) {
			rc = same_total(x, ref(0, 0, 1), ref(ts, t->nrow - 1, 1));
			if (rc != 0)
				return rc;
		}
	}
	tl = x->r->ntable;
	rc = kind_segments(x);
	tn = x->r->ntable;
	if (rc == 0)
		rc = kind_nodes(x);
	if (rc == 0)
		rc = nodes_legs(x, tl, tn);
	if (rc == 0)
		rc = kind_profile(x, &grand);
	if (rc == 0)
		rc = same_total(x, ref(0, 0, 1), grand);
	if (rc == 0)
		rc = brief_equalities(x, ts, grand);
	if (rc == 0)
		rc = kind_od(x);
	if (rc == 0)
		rc = od_origins(x, tn);
	if (rc == 0)
		rc = kind_counties(x);
	if (rc == 0)
		rc = kind_incidents(x);
	if (rc == 0)
		rc = kind_stocks(x);
	return rc;
}

static int valid_code(const char *s, int minlen, int maxlen, int upper_digits)
{
	size_t n = strlen(s);

	if ((int)n < minlen || (int)n > maxlen)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (upper_digits ? !(isupper(c) || isdigit(c)) : !islower(c) &&
		    c != '_')
			return 0;
	}
	return 1;
}

/* 1 when s is one of Kenya's 47 county P-codes, "KE001" .. "KE047". */
static int kenya_county(const char *s)
{
	int v;

	if (strlen(s) != 5 || strncmp(s, "KE", 2) != 0 ||
	    !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return 0;
	v = atoi(s + 2);
	return v >= 1 && v <= 47;
}

/* Filters that need the reference tables: --citizenship must be an ISO
 * 3166-1 alpha-3 code of table country, --county a county of table
 * admin1. COR_EINVAL naming the value. */
/* Case type, citizenship and sex split the cases: outputs of each value
 * of one of them add up to the unfiltered output, so with it and the
 * others a withheld count comes back by subtraction (third user trial:
 * Mandera's vulnerable-migrant children 9-17 = 18 - 7 - 9 = 2).
 * Disclosure control works output by output (and over the county
 * family), not over such sums: such a filter with disclosure control is
 * refused (COR_EPERM). */
static int filter_refused(const cor_stats_req *q, cor_err *err)
{
	if (q->no_suppress || q->raw ||
	    (q->case_type == NULL && q->citizenship == NULL && q->sex == NULL))
		return 0;
	return cor_err_set(err, COR_EPERM,
	                   "--%s with disclosure control is refused: "
	                   "outputs filtered by case type, citizenship or "
	                   "sex add up to the unfiltered output, so together "
	                   "they give withheld counts back. The unfiltered "
	                   "output has these breakdowns (overview: case_type, "
	                   "citizenship; profile: sex_age, exploitation_sex); "
	                   "the owner of case_record can use --no-suppress "
	                   "(NOT FOR PUBLICATION)", q->case_type != NULL ?
	                   "case-type" : q->citizenship != NULL ?
	                   "citizenship" : "sex");
}

/* 1 when iso ("YYYY-MM-DD") is the first (end 0) or last (end 1) day of
 * a calendar quarter; *qi gets the quarter's index (year * 4 + q). */
static int quarter_edge(const char *iso, int end, int *qi)
{
	int y, m, d;

	if (dparse(iso, &y, &m, &d) != 0 || (m - 1) % 3 != (end ? 2 : 0))
		return 0;
	*qi = y * 4 + (m - 1) / 3;
	if (!end)
		return d == 1;
	return d == (m == 3 || m == 12 ? 31 : 30);
}

/* Windows with disclosure control (case statistics; incidents and
 * stocks are public sources): one calendar quarter, the brief's unit;
 * trend: whole quarters, by quarter. Outputs of nested or overlapping
 * windows are suppressed each on its own, so their difference gives a
 * withheld count back (fourth user trial: the 2019Q4 brief with
 * `--from 2019 --to 2019` and `--from 2019Q1 --to 2019Q3` recovered 80
 * of its 105 withheld cells, 43 of them 1-4). COR_EPERM, else 0. */
static int window_refused(const cor_stats_req *q, cor_err *err)
{
	char f[11] = "", t[11] = "";
	int a = 0, b = 0, ok;

	if (q->no_suppress || q->raw || q->kind == COR_STATS_INCIDENTS ||
	    q->kind == COR_STATS_STOCKS)
		return 0;
	if (q->from[0])
		cor_stats_parse_bound(q->from, 0, f, err);
	if (q->to[0])
		cor_stats_parse_bound(q->to, 1, t, err);
	if (q->kind == COR_STATS_TREND)
		ok = q->by == COR_BY_QUARTER &&
		     (!f[0] || quarter_edge(f, 0, &a)) &&
		     (!t[0] || quarter_edge(t, 1, &b));
	else
		ok = f[0] && t[0] && quarter_edge(f, 0, &a) &&
		     quarter_edge(t, 1, &b) && a == b;
	if (ok)
		return 0;
	return cor_err_set(err, COR_EPERM, "with disclosure control the "
	                   "window must be %s: outputs of overlapping windows "
	                   "(a year and its first three quarters, a month and "
	                   "its quarter) give withheld counts back by "
	                   "subtraction. The owner of case_record can use "
	                   "--no-suppress (NOT FOR PUBLICATION)",
	                   q->kind == COR_STATS_TREND ? "whole quarters, by "
	                   "quarter (e.g. --from 2017Q1 --to 2019Q4)" :
	                   "one calendar quarter (e.g. --from 2019Q4 --to "
	                   "2019Q4)");
}

/* The publication rules of disclosure control (filter_refused,
 * window_refused): COR_EPERM with the reason, else 0. */
static int policy_refused(const cor_stats_req *q, cor_err *err)
{
	int rc = filter_refused(q, err);

	if (rc == 0)
		rc = window_refused(q, err);
	/* one threshold for every published output (fifth user trial:
	 * the --k 10 brief printed cells the --k 5 brief withheld as
	 * complements, which gave a 2 back) */
	if (rc == 0 && !q->no_suppress && !q->raw &&
	    q->k != cor_stats_k_default())
		rc = cor_err_set(err, COR_EPERM, "--k %d with disclosure "
		                 "control is refused: every published output "
		                 "uses this installation's threshold, k = %d "
		                 "(environment variable CORRIDOR_K); outputs of "
		                 "two thresholds side by side give back the cells "
		                 "one withholds and the other prints. For "
		                 "analysis, the owner of case_record can use "
		                 "corridor stats --no-suppress (NOT FOR "
		                 "PUBLICATION)", q->k, cor_stats_k_default());
	return rc;
}

static int check_codes(run *x)
{
	const cor_stats_req *q = x->req;

	if (q->citizenship != NULL && country_name(x, q->citizenship) == NULL)
		return cor_err_set(x->err, COR_EINVAL,
		                   "--citizenship '%s': unknown ISO 3166-1 "
		                   "alpha-3 country code (e.g. ETH, SOM, ERI)",
		                   q->citizenship);
	if (q->county != NULL && admin1_name(x, q->county) == NULL)
		return cor_err_set(x->err, COR_EINVAL,
		                   "--county '%s': unknown county; expected a "
		                   "Kenyan county P-code KE001-KE047",
		                   q->county);
	return policy_refused(q, x->err);
}

static int check_req(const cor_stats_req *q, cor_err *err)
{
	char tmp[11];

	if ((int)q->kind < 0 || q->kind >= COR_STATS_NKINDS)
		return cor_err_set(err, COR_EINVAL, "unknown kind");
	if (q->k < 2 || q->k > 1000)
		return cor_err_set(err, COR_EINVAL,
		                   "--k %d: the threshold must be 2..1000",
		                   q->k);
	if (!(q->buffer_km > 0.0) || !isfinite(q->buffer_km) ||
	    q->buffer_km > 2000.0)
		return cor_err_set(err, COR_EINVAL,
		                   "--buffer-km must be > 0 and <= 2000");
	if (q->top < 1 || q->top > 10000)
		return cor_err_set(err, COR_EINVAL, "top must be 1..10000");
	if (q->from[0] && cor_stats_parse_bound(q->from, 0, tmp, err) != 0)
		return COR_EINVAL;
	if (q->to[0] && cor_stats_parse_bound(q->to, 1, tmp, err) != 0)
		return COR_EINVAL;
	if (q->from[0] && q->to[0] && strcmp(q->from, q->to) > 0)
		return cor_err_set(err, COR_EINVAL,
		                   "--from %s is after --to %s", q->from, q->to);
	if (q->case_type != NULL && strcmp(q->case_type, "trafficking") != 0 &&
	    strcmp(q->case_type, "smuggling") != 0 &&
	    strcmp(q->case_type, "vulnerable_migrant") != 0)
		return cor_err_set(err, COR_EINVAL,
		                   "--case-type '%s': expected trafficking, "
		                   "smuggling or vulnerable_migrant",
		                   q->case_type);
	if (q->citizenship != NULL && !valid_code(q->citizenship, 3, 3, 1))
		return cor_err_set(err, COR_EINVAL,
		                   "--citizenship '%s': expected an ISO 3166-1 "
		                   "alpha-3 code such as ETH", q->citizenship);
	if (q->sex != NULL && strcmp(q->sex, "male") != 0 &&
	    strcmp(q->sex, "female") != 0 && strcmp(q->sex, "other") != 0)
		return cor_err_set(err, COR_EINVAL,
		                   "--sex '%s': expected male, female or other",
		                   q->sex);
	if (q->county != NULL && !kenya_county(q->county))
		return cor_err_set(err, COR_EINVAL,
		                   "--county '%s': unknown county; expected a "
		                   "Kenyan county P-code KE001-KE047 (e.g. "
		                   "KE011 Isiolo)", q->county);
	if (q->source != NULL && !valid_code(q->source, 1, 18, 1) &&
	    strcmp(q->source, "cases") != 0 && strcmp(q->source, "ctdc") != 0 &&
	    strcmp(q->source, "mmp") != 0 && strcmp(q->source, "unhcr") != 0)
		return cor_err_set(err, COR_EINVAL,
		                   "--source '%s': expected a batch id or a "
		                   "format (cases, ctdc, mmp, unhcr)", q->source);
	if (q->source != NULL && isupper((unsigned char)q->source[0]))
		return cor_err_set(err, COR_EINVAL,
		                   "--source '%s': expected a batch id or a "
		                   "format (cases, ctdc, mmp, unhcr)", q->source);
	return 0;
}

static char *own(cor_stats_result *r, int i, const char *s)
{
	if (s == NULL)
		return NULL;
	r->own[i] = strdup(s);
	return r->own[i];
}

/* Working set for the brief: the case rows of the request window and
 * filters, with the columns the window's queries read, copied once into
 * a temporary table dropped at commit. The brief's segments, nodes,
 * profile, counties and exploitation queries then scan ~1/12 of the
 * rows of a 3-year table, narrow and in memory, instead of filtering
 * case_record again each time (one bitmap heap scan of most of its pages
 * per query, as the rows are not in date order). Same snapshot, same
 * filters: the same rows. Needs a transaction that may write temporary
 * tables. */
static int make_ws(run *x)
{
	static const char *cols =
		"c.batch_id, c.registration_date, c.case_type, c.citizenship,"
		" c.origin_country, c.sex, c.age_band, c.is_minor,"
		" c.origin_admin1, c.route, c.interception_place,"
		" c.identification_county, c.intended_destination,"
		" c.country_of_exploitation, c.exploitation_types,"
		" c.means_of_control, c.recruiter_relationship, c.fee_usd,"
		" c.days_in_transit, c.synthetic,"
		" b.synthetic AS b_synthetic, b.format AS b_format";
	char sql[2048];
	PGresult *res;
	int rc;

	snprintf(sql, sizeof(sql), "CREATE TEMP TABLE cor_ws ON COMMIT DROP"
	         " AS SELECT %s" CASE_FROM "WITH NO DATA", cols);
	rc = cor_db_exec(x->conn, sql, x->err);
	if (rc != 0)
		return rc;
	snprintf(sql, sizeof(sql), "INSERT INTO cor_ws SELECT %s" CASE_FROM
	         CASE_WHERE, cols);
	res = cor_db_query(x->conn, sql, 8, x->p, PGRES_COMMAND_OK, x->err);
	if (res == NULL)
		return COR_EDB;
	PQclear(res);
	/* no ANALYZE: it cost as much as a query (statistics of the array
	 * columns); the size estimate from the table's pages suffices */
	x->ws = 1;
	x->ws_p0 = x->p[0];
	x->ws_p1 = x->p[1];
	return 0;
}

/* Only a count can be withheld as "<k" (primary); a withheld rate ratio,
 * share, distribution or number is derived (primary = 0: printed as
 * withheld, never as a count). */
static void derived_not_primary(cor_stats_result *r)
{
	for (int ti = 0; ti < r->ntable; ti++) {
		cor_stats_table *t = &r->tables[ti];
		for (int j = 0; j < t->ncol; j++) {
			if (t->cols[j].type == COR_COL_COUNT)
				continue;
			for (int i = 0; i < t->nrow; i++)
				t->rows[i].cells[j].primary = 0;
		}
	}
}

/* $1..$8 of CASE_WHERE for req: p (8 slots) borrows from, to (ISO
 * dates, "" = open), req's strings and batch_id (a buffer of n bytes for
 * the --source batch id). */
static void filter_params(const cor_stats_req *req, const char *from,
                          const char *to, const char **p, char *batch_id,
                          size_t n)
{
	memset(p, 0, 8 * sizeof(*p));
	p[0] = from[0] ? from : NULL;
	p[1] = to[0] ? to : NULL;
	p[2] = req->case_type;
	p[3] = req->citizenship;
	p[4] = req->sex;
	p[5] = req->county;
	if (req->source != NULL && isdigit((unsigned char)req->source[0])) {
		snprintf(batch_id, n, "%s", req->source);
		p[6] = batch_id;
	} else {
		p[7] = req->source;
	}
	/* Case statistics default to the canonical case records (format
	 * "cases": Southern Route case files and corridor synth); CTDC's
	 * global extract (registration year only, a third-party
	 * derivative) only when asked for (--source ctdc or its batch). */
	if (req->source == NULL && req->kind != COR_STATS_INCIDENTS &&
	    req->kind != COR_STATS_STOCKS)
		p[7] = COR_STATS_SOURCE_DEFAULT;
}

static int run_family(PGconn *conn, const cor_stats_req *req,
                      cor_stats_result **out, cor_err *err);

/* 1 when an output of req is suppressed together with its master, the
 * brief of the same request (kind brief, the same window, filters,
 * source and k), so that two kinds of one window never differ on a cell
 * (third user trial: `stats overview` printed the share of women and
 * girls, which gives away its base and with it the unknown-sex total
 * the brief withheld). The brief itself, raw and unsuppressed runs have
 * none. */
static int window_refused(const cor_stats_req *q, cor_err *err);

static int has_master(const cor_stats_req *req)
{
	cor_stats_req mq = *req;
	cor_err e;

	/* a brief is one quarter: a trend over several has none */
	mq.kind = COR_STATS_BRIEF;
	return req->kind != COR_STATS_BRIEF && !req->raw &&
	       !req->no_suppress && window_refused(&mq, &e) == 0;
}

/* The master of req (has_master), or *out NULL when req has none or the
 * brief cannot be made for this request (not estimable, bad window): the
 * output is then suppressed on its own. 0 or a database/memory error. */
static int run_master(PGconn *conn, const cor_stats_req *req,
                      cor_stats_result **out, cor_err *err)
{
	cor_stats_req mq = *req;
	cor_err e;
	int rc;

	*out = NULL;
	if (!has_master(req) || (req->master != NULL && req->county == NULL))
		return 0;       /* none, or the caller's */
	mq.kind = COR_STATS_BRIEF;
	mq.by = COR_BY_QUARTER;
	mq.linked = NULL;
	mq.master = NULL;
	cor_err_clear(&e);
	rc = cor_stats_run(conn, &mq, out, &e);
	if (rc == COR_EDB || rc == COR_ENOMEM || rc == COR_ECONNECT) {
		*err = e;
		return rc;
	}
	return 0;
}

/* The published output req's filtered output is linked to: the same
 * request without population filters (county, case type, citizenship,
 * sex), suppressed on its own. */
static int run_unfiltered(PGconn *conn, const cor_stats_req *req,
                          cor_stats_result **out, cor_err *err)
{
	cor_stats_req lq = *req;

	lq.county = lq.case_type = lq.citizenship = NULL;
	lq.sex = NULL;
	lq.linked = NULL;
	lq.no_link = 1;
	return cor_stats_run(conn, &lq, out, err);
}

int cor_stats_run(PGconn *conn, const cor_stats_req *req,
                  cor_stats_result **out, cor_err *err)
{
	run x;
	int rc, began = 0;
	cor_stats_ref grand = NOREF;
	denoms dn_cache;
	cor_stats_result *master = NULL;

	*out = NULL;
	rc = check_req(req, err);
	if (rc != 0)
		return rc;
	memset(&x, 0, sizeof(x));
	x.conn = conn;
	x.req = req;
	x.err = err;
	x.dn = &dn_cache;
	if (req->from[0])
		cor_stats_parse_bound(req->from, 0, x.from, err);
	if (req->to[0])
		cor_stats_parse_bound(req->to, 1, x.to, err);
	filter_params(req, x.from, x.to, x.p, x.batch_id,
	              sizeof(x.batch_id));
	x.src_batch = x.p[6];
	x.src_fmt = req->source != NULL && x.p[6] == NULL ? req->source
	                                                  : NULL;
	if (!req->raw && !req->no_suppress && !req->no_link &&
	    req->county != NULL)
		return run_family(conn, req, out, err);
	x.r = cor_stats_result_new(req->kind, req->k);
	if (x.r == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	x.r->req = *req;
	x.r->req.linked = NULL;         /* borrowed: not kept */
	x.r->req.master = NULL;
	memcpy(x.r->req.from, x.from, sizeof(x.from));
	memcpy(x.r->req.to, x.to, sizeof(x.to));
	x.r->req.case_type = own(x.r, 0, req->case_type);
	x.r->req.citizenship = own(x.r, 1, req->citizenship);
	x.r->req.sex = own(x.r, 2, req->sex);
	x.r->req.county = own(x.r, 3, req->county);
	/* params show the effective source */
	x.r->req.source = own(x.r, 4, x.p[6] != NULL ? x.p[6] : x.p[7]);
	x.r->no_suppress = req->no_suppress;
	for (int i = 0; i < 5; i++) {
		const char *s[] = { req->case_type, req->citizenship, req->sex,
		                    req->county, x.p[6] != NULL ? x.p[6]
		                                                : x.p[7] };
		if (s[i] != NULL && x.r->own[i] == NULL) {
			rc = cor_err_set(err, COR_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* one snapshot for every query of the output */
	if (PQtransactionStatus(conn) == PQTRANS_IDLE) {
		/* the brief writes its temporary working set (make_ws) */
		rc = cor_db_exec(conn, req->kind == COR_STATS_BRIEF ?
		                 "BEGIN ISOLATION LEVEL REPEATABLE READ" :
		                 "BEGIN ISOLATION LEVEL REPEATABLE READ "
		                 "READ ONLY", err);
		if (rc != 0)
			goto out;
		began = 1;
		/* hash aggregates over route steps stay in memory; a
		 * memoized function scan keyed on whole routes only costs */
		rc = cor_db_exec(conn, "SET LOCAL work_mem = '64MB'; "
		                 "SET LOCAL enable_memoize = off", err);
		if (rc != 0)
			goto out;
	}
	rc = load_ref(&x);
	if (rc == 0)
		rc = check_codes(&x);
	if (rc != 0)
		goto out;
	if (began && req->kind == COR_STATS_BRIEF) {
		rc = make_ws(&x);
		if (rc != 0)
			goto out;
	}
	switch (req->kind) {
	case COR_STATS_OVERVIEW:
		rc = kind_overview(&x);
		break;
	case COR_STATS_TREND:
		rc = trend_tables(&x, NULL, NULL);
		break;
	case COR_STATS_OD:
		rc = kind_od(&x);
		break;
	case COR_STATS_SEGMENTS:
		rc = kind_segments(&x);
		break;
	case COR_STATS_NODES:
		rc = kind_nodes(&x);
		break;
	case COR_STATS_ROUTES:
		rc = kind_routes(&x);
		break;
	case COR_STATS_PROFILE:
		rc = kind_profile(&x, &grand);
		if (rc == 0)
			rc = case_batches(&x, NULL, NULL);
		break;
	case COR_STATS_COUNTIES:
		rc = kind_counties(&x);
		break;
	case COR_STATS_INCIDENTS:
		rc = kind_incidents(&x);
		break;
	case COR_STATS_STOCKS:
		rc = kind_stocks(&x);
		break;
	case COR_STATS_BRIEF:
		rc = kind_brief(&x);
		break;
	default:
		rc = cor_err_set(err, COR_EINVAL, "unknown kind");
		break;
	}
	if (rc != 0)
		goto out;
	if (began) {
		began = 0;
		rc = cor_db_exec(conn, "COMMIT", err);
		if (rc != 0)
			goto out;
	}
	if (req->no_suppress || req->raw) {
		x.r->k = req->k;
		x.r->suppressed = 0;
	} else {
		/* a filtered population is a subset of the unfiltered one:
		 * suppress consistently with the unfiltered output (e.g. a
		 * county brief with the national brief) */
		const cor_stats_result *link = req->linked;
		cor_stats_result *own_link = NULL;

		if (link == NULL && !req->no_link &&
		    (req->county != NULL || req->case_type != NULL ||
		     req->citizenship != NULL || req->sex != NULL)) {
			rc = run_unfiltered(conn, req, &own_link, err);
			if (rc != 0)
				goto out;
			link = own_link;
		}
		const cor_stats_result *links[2];

		rc = run_master(conn, req, &master, err);
		if (rc != 0) {
			cor_stats_result_free(own_link);
			goto out;
		}
		links[0] = link;
		links[1] = master != NULL ? master : req->county == NULL ?
		           req->master : NULL;
		rc = cor_stats_suppress_family(x.r, req->k, links, 2, err);
		cor_stats_result_free(own_link);
		if (rc != 0)
			goto out;
		derived_not_primary(x.r);
	}
	*out = x.r;
	x.r = NULL;
out:
	if (began) {
		PGresult *res = PQexec(conn, "ROLLBACK");
		PQclear(res);
	}
	free_ref(&x);
	walk_free(x.walk);
	cor_stats_result_free(x.r);
	cor_stats_result_free(master);
	return rc;
}

/* ---- county families -------------------------------------------------- */

static int pcode_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cor_stats_cgraph_find(const cor_stats_cgraph *g, const char *pcode)
{
	char *const *hit;

	if (g == NULL || pcode == NULL || g->n == 0)
		return -1;
	hit = bsearch(&pcode, g->pcode, (size_t)g->n, sizeof(*g->pcode),
	              pcode_cmp);
	return hit != NULL ? (int)(hit - g->pcode) : -1;
}

void cor_stats_cgraph_free(cor_stats_cgraph *g)
{
	if (g == NULL)
		return;
	for (int i = 0; i < g->n; i++)
		free(g->pcode[i]);
	free(g->pcode);
	free(g->adj);
	free(g);
}

int cor_stats_cgraph_load(PGconn *conn, const cor_stats_req *req,
                          cor_stats_cgraph **out, cor_err *err)
{
	cor_stats_req q = *req;
	const char *p[8];
	char bid[24];
	PGresult *res;
	cor_stats_cgraph *g;
	int rc = COR_ENOMEM;

	*out = NULL;
	res = cor_db_query(conn, "SELECT pcode FROM admin1 WHERE country ="
	                   " 'KEN' ORDER BY pcode COLLATE \"C\"", 0, NULL,
	                   PGRES_TUPLES_OK, err);
	if (res == NULL)
		return COR_EDB;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		goto out;
	g->n = PQntuples(res);
	g->pcode = calloc((size_t)g->n + 1, sizeof(*g->pcode));
	g->adj = calloc((size_t)g->n * (size_t)g->n + 1, 1);
	if (g->pcode == NULL || g->adj == NULL)
		goto out;
	for (int i = 0; i < g->n; i++)
		if ((g->pcode[i] = strdup(PQgetvalue(res, i, 0))) == NULL)
			goto out;
	PQclear(res);
	/* pairs of counties of one case: any date, the other filters */
	q.county = NULL;
	filter_params(&q, "", "", p, bid, sizeof(bid));
	res = cor_db_query(conn, "SELECT DISTINCT ua.u, uz.u" CUBE_FROM
	                   " CROSS JOIN LATERAL unnest(c.counties) AS ua(u)"
	                   " CROSS JOIN LATERAL unnest(c.counties) AS uz(u)"
	                   CUBE_WHERE " AND ua.u < uz.u", 8, p,
	                   PGRES_TUPLES_OK, err);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		int a = cor_stats_cgraph_find(g, PQgetvalue(res, r, 0));
		int z = cor_stats_cgraph_find(g, PQgetvalue(res, r, 1));

		if (a < 0 || z < 0)
			continue;       /* not a Kenyan county of admin1 */
		g->adj[(size_t)a * (size_t)g->n + (size_t)z] = 1;
		g->adj[(size_t)z * (size_t)g->n + (size_t)a] = 1;
	}
	*out = g;
	g = NULL;
	rc = 0;
out:
	PQclear(res);
	cor_stats_cgraph_free(g);
	if (rc == COR_ENOMEM)
		cor_err_set(err, rc, "out of memory");
	return rc;
}

/* One thread of cor_stats_run_counties: runs the needed counties it takes
 * from the shared cursor, on its own connection, without suppression. */
typedef struct fam_job {
	PGconn *conn;
	const cor_stats_req *req;
	const cor_stats_cgraph *g;
	const unsigned char *need;
	cor_stats_result **out;
	pthread_mutex_t *mu;
	int *next;              /* shared: next county to look at */
	int *stop;              /* shared: 1 once a run failed */
	int rc;
	cor_err err;
} fam_job;

static void *fam_worker(void *arg)
{
	fam_job *j = arg;

	for (;;) {
		cor_stats_req rq = *j->req;
		int i;

		pthread_mutex_lock(j->mu);
		while (*j->next < j->g->n && !j->need[*j->next])
			(*j->next)++;
		i = *j->stop ? j->g->n : (*j->next)++;
		pthread_mutex_unlock(j->mu);
		if (i >= j->g->n)
			break;
		rq.county = j->g->pcode[i];
		rq.linked = NULL;
		rq.raw = 1;
		j->rc = cor_stats_run(j->conn, &rq, &j->out[i], &j->err);
		if (j->rc != 0) {
			pthread_mutex_lock(j->mu);
			*j->stop = 1;
			pthread_mutex_unlock(j->mu);
			break;
		}
	}
	return NULL;
}

int cor_stats_run_counties(PGconn *const *conns, int nconn,
                           const cor_stats_req *req,
                           const cor_stats_result *base,
                           const cor_stats_cgraph *g,
                           const unsigned char *want,
                           cor_stats_result **out, cor_err *err)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	cor_stats_result **masters = NULL, *mbase = NULL;
	unsigned char *need = NULL;
	const cor_stats_result **links = NULL;
	fam_job *jobs = NULL;
	pthread_t *tid = NULL;
	int next = 0, stop = 0, started = 0, rc = 0, n = g->n;

	if (nconn < 1 || req->no_suppress)
		return cor_err_set(err, COR_EINVAL, "county family: needs a "
		                   "connection and disclosure control");
	memset(out, 0, (size_t)n * sizeof(*out));
	need = malloc((size_t)n + 1);
	links = calloc((size_t)n + 2, sizeof(*links));
	jobs = calloc((size_t)nconn, sizeof(*jobs));
	tid = calloc((size_t)nconn, sizeof(*tid));
	if (need == NULL || links == NULL || jobs == NULL || tid == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	/* what the wanted counties depend on: earlier neighbours, closed
	 * downwards (a county's neighbours come before it is reached) */
	memcpy(need, want, (size_t)n);
	for (int i = n - 1; i >= 0; i--)
		for (int j = 0; need[i] && j < i; j++)
			if (g->adj[(size_t)i * (size_t)n + (size_t)j])
				need[j] = 1;
	for (int t = 0; t < nconn; t++) {
		jobs[t].conn = conns[t];
		jobs[t].req = req;
		jobs[t].g = g;
		jobs[t].need = need;
		jobs[t].out = out;
		jobs[t].mu = &mu;
		jobs[t].next = &next;
		jobs[t].stop = &stop;
		cor_err_clear(&jobs[t].err);
	}
	if (nconn == 1) {
		fam_worker(&jobs[0]);
	} else {
		for (int t = 0; t < nconn; t++) {
			if (pthread_create(&tid[t], NULL, fam_worker,
			                   &jobs[t]) != 0) {
				pthread_mutex_lock(&mu);
				stop = 1;
				pthread_mutex_unlock(&mu);
				rc = cor_err_set(err, COR_ENOMEM, "county family: "
				                 "cannot start a thread");
				break;
			}
			started++;
		}
		for (int t = 0; t < started; t++)
			pthread_join(tid[t], NULL);
	}
	for (int t = 0; rc == 0 && t < nconn; t++)
		if (jobs[t].rc != 0) {
			*err = jobs[t].err;
			rc = jobs[t].rc;
		}
	/* the counties' masters (has_master): their briefs, a family of
	 * their own linked to the national brief */
	if (rc == 0 && has_master(req)) {
		cor_stats_req bq = *req;

		bq.kind = COR_STATS_BRIEF;
		bq.by = COR_BY_QUARTER;
		bq.county = NULL;
		bq.linked = NULL;
		bq.master = NULL;
		bq.raw = 0;
		masters = calloc((size_t)n + 1, sizeof(*masters));
		if (masters == NULL)
			rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		else if (req->master == NULL)
			rc = cor_stats_run(conns[0], &bq, &mbase, err);
		if (rc == 0)
			rc = cor_stats_run_counties(conns, nconn, &bq,
			                            req->master != NULL ?
			                            req->master : mbase, g,
			                            need, masters, err);
	}
	/* in P-code order, each linked to base, its master and its
	 * earlier neighbours, already published */
	for (int i = 0; rc == 0 && i < n; i++) {
		int nl = 0;

		if (!need[i])
			continue;
		links[nl++] = base;
		links[nl++] = masters != NULL ? masters[i] : NULL;
		for (int j = 0; j < i; j++)
			if (need[j] && g->adj[(size_t)i * (size_t)n + (size_t)j])
				links[nl++] = out[j];
		rc = cor_stats_suppress_family(out[i], req->k, links, nl, err);
		if (rc == 0) {
			derived_not_primary(out[i]);
			out[i]->req.raw = 0;
		}
	}
out:
	if (rc != 0)
		for (int i = 0; i < n; i++) {
			cor_stats_result_free(out[i]);
			out[i] = NULL;
		}
	for (int i = 0; masters != NULL && i < n; i++)
		cor_stats_result_free(masters[i]);
	free(masters);
	cor_stats_result_free(mbase);
	pthread_mutex_destroy(&mu);
	free(tid);
	free(jobs);
	free(links);
	free(need);
	return rc;
}

/* A second connection to conn's server, database and user (PQconninfo),
 * or NULL. */
static PGconn *conn_twin(PGconn *conn)
{
	PQconninfoOption *o = PQconninfo(conn), *q;
	const char *kw[64], *val[64];
	PGconn *c = NULL;
	int n = 0;

	if (o == NULL)
		return NULL;
	for (q = o; q->keyword != NULL && n < 63; q++)
		if (q->val != NULL && q->val[0] != '\0') {
			kw[n] = q->keyword;
			val[n++] = q->val;
		}
	kw[n] = val[n] = NULL;
	c = PQconnectdbParams(kw, val, 0);
	PQconninfoFree(o);
	if (c != NULL && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		c = NULL;
	}
	return c;
}

/* cor_stats_run of a county output (req->county set, disclosure control
 * on): the county's result from its family (cor_stats_run_counties),
 * linked to req->linked or to the same request without population
 * filters. */
static int run_family(PGconn *conn, const cor_stats_req *req,
                      cor_stats_result **out, cor_err *err)
{
	cor_stats_cgraph *g = NULL;
	cor_stats_result *own_base = NULL, **rs = NULL, *nat_master = NULL;
	const cor_stats_result *base = req->linked;
	cor_stats_req fq = *req;
	unsigned char *want = NULL;
	PGconn *conns[4];
	long ncpu;
	int i, rc, nconn = 0;

	/* the publication rules before any run */
	rc = policy_refused(req, err);
	if (rc != 0)
		return rc;
	/* the national brief, once: the master of the base and of the
	 * counties' brief family */
	if (fq.master == NULL) {
		cor_stats_req nq = *req;

		nq.county = NULL;
		rc = run_master(conn, &nq, &nat_master, err);
		if (rc != 0)
			goto out;
		fq.master = nat_master;
	}
	if (base == NULL) {
		rc = run_unfiltered(conn, &fq, &own_base, err);
		if (rc != 0)
			goto out;
		base = own_base;
	}
	rc = cor_stats_cgraph_load(conn, req, &g, err);
	if (rc != 0)
		goto out;
	i = cor_stats_cgraph_find(g, req->county);
	if (i < 0) {
		/* not a Kenyan county of the reference table: the run
		 * itself names the error */
		cor_stats_req rq = *req;

		rq.linked = base;
		rq.no_link = 1;
		rc = cor_stats_run(conn, &rq, out, err);
		goto out;
	}
	want = calloc((size_t)g->n, 1);
	rs = calloc((size_t)g->n, sizeof(*rs));
	if (want == NULL || rs == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	want[i] = 1;
	/* the family's runs on up to one connection per CPU (at most
	 * 4): conn and its twins; without a twin, or inside the caller's
	 * transaction (which a twin would not see), on conn alone */
	conns[nconn++] = conn;
	ncpu = PQtransactionStatus(conn) == PQTRANS_IDLE ?
	       sysconf(_SC_NPROCESSORS_ONLN) : 1;
	while (nconn < (ncpu < 4 ? ncpu : 4) &&
	       (conns[nconn] = conn_twin(conn)) != NULL)
		nconn++;
	rc = cor_stats_run_counties(conns, nconn, &fq, base, g, want, rs,
	                            err);
	while (nconn > 1)
		PQfinish(conns[--nconn]);
	if (rc == 0) {
		*out = rs[i];
		rs[i] = NULL;
	}
out:
	for (int j = 0; rs != NULL && j < g->n; j++)
		cor_stats_result_free(rs[j]);
	free(rs);
	free(want);
	cor_stats_cgraph_free(g);
	cor_stats_result_free(own_base);
	cor_stats_result_free(nat_master);
	return rc;
}

int cor_stats_is_owner(PGconn *conn, int *owner, cor_err *err)
{
	PGresult *res;

	res = cor_db_query(conn,
	                   "SELECT (SELECT rolsuper FROM pg_catalog.pg_roles"
	                   " WHERE rolname = current_user)"
	                   " OR coalesce((SELECT c.relowner = r.oid"
	                   " FROM pg_catalog.pg_class c, pg_catalog.pg_roles r"
	                   " WHERE c.oid = pg_catalog.to_regclass("
	                   "'case_record') AND r.rolname = current_user),"
	                   " false)", 0, NULL, PGRES_TUPLES_OK, err);
	if (res == NULL)
		return COR_EDB;
	*owner = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
	         strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}
