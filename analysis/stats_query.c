/* analysis/stats_query.c: the kinds of `corridor stats`. Aggregation runs
 * in PostgreSQL (GROUP BY / GROUPING SETS, unnest over route steps), one
 * pass per grouping family; C computes the statistics and disclosure
 * control (corridor/stats.h). Values reach SQL only as PQexecParams
 * parameters. Period keys use date arithmetic on the recorded date
 * (extract(... FROM date)), never timestamptz, so results do not depend on
 * the session time zone. */
#include "corridor/stats.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	/* reference data */
	place *places;
	int nplace;
	name_kv *countries, *admin1;
	int ncountry, nadmin1;
} run;

/* Filter on case_record c joined to batch b; uses $1..$8 (all of them, so
 * every parameter's type is known). Dates are compared as dates. */
#define CASE_FROM \
	" FROM case_record c JOIN batch b ON b.id = c.batch_id AND b.active "
#define CASE_WHERE \
	" WHERE ($1::date IS NULL OR c.registration_date >= $1::date)" \
	" AND ($2::date IS NULL OR c.registration_date <= $2::date)" \
	" AND ($3::text IS NULL OR c.case_type = $3::text)" \
	" AND ($4::text IS NULL OR c.citizenship = $4::text)" \
	" AND ($5::text IS NULL OR c.sex = $5::text)" \
	" AND ($6::text IS NULL OR c.identification_county = $6::text" \
	"      OR c.origin_admin1 = $6::text OR EXISTS (SELECT 1" \
	"      FROM unnest(c.route) AS u(pid) JOIN place pc ON pc.id = u.pid" \
	"      WHERE pc.admin1 = $6::text))" \
	" AND ($7::bigint IS NULL OR c.batch_id = $7::bigint)" \
	" AND ($8::text IS NULL OR b.format = $8::text) "

static const cor_stats_ref NOREF = { -1, -1, -1 };

static cor_stats_ref ref(int t, int r, int c)
{
	cor_stats_ref x = { t, r, c };
	return x;
}

static PGresult *q(run *x, const char *sql, int nextra,
                   const char *const *extra)
{
	const char *params[16];
	int n = 8;

	memcpy(params, x->p, 8 * sizeof(*params));
	for (int i = 0; i < nextra && n < 16; i++)
		params[n++] = extra[i];
	return cor_db_query(x->conn, sql, n, params, PGRES_TUPLES_OK,
	                    x->err);
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
	res = cor_db_query(x->conn, "SELECT iso3, name FROM country", 0, NULL,
	                   PGRES_TUPLES_OK, x->err);
	if (res == NULL)
		goto out;
	x->ncountry = PQntuples(res);
	x->countries = calloc((size_t)x->ncountry + 1, sizeof(name_kv));
	if (x->countries == NULL) {
		rc = oom(x);
		goto out;
	}
	for (int i = 0; i < x->ncountry; i++) {
		x->countries[i].code = xstrdup(sv(res, i, 0));
		x->countries[i].name = xstrdup(sv(res, i, 1));
		if (x->countries[i].code == NULL ||
		    x->countries[i].name == NULL) {
			rc = oom(x);
			goto out;
		}
	}
	PQclear(res);
	res = cor_db_query(x->conn, "SELECT pcode, name FROM admin1", 0, NULL,
	                   PGRES_TUPLES_OK, x->err);
	if (res == NULL)
		goto out;
	x->nadmin1 = PQntuples(res);
	x->admin1 = calloc((size_t)x->nadmin1 + 1, sizeof(name_kv));
	if (x->admin1 == NULL) {
		rc = oom(x);
		goto out;
	}
	for (int i = 0; i < x->nadmin1; i++) {
		x->admin1[i].code = xstrdup(sv(res, i, 0));
		x->admin1[i].name = xstrdup(sv(res, i, 1));
		if (x->admin1[i].code == NULL || x->admin1[i].name == NULL) {
			rc = oom(x);
			goto out;
		}
	}
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

		snprintf(pf, 11, "%04d-%02d-01", a / 12, a % 12 + 1);
		snprintf(pt, 11, "%04d-%02d-%02d", b / 12, b % 12 + 1,
		         mdays(b / 12, b % 12 + 1));
		return;
	}
	{
		long a = days_civil(y1, m1, d1), b = days_civil(y2, m2, d2);
		long len = year ? 0 : b - a + 1;
		int y, m, d;

		if (year) {
			snprintf(pf, 11, "%04d-%02d-%02d", y1 - 1, m1,
			         d1 > mdays(y1 - 1, m1) ? mdays(y1 - 1, m1) : d1);
			snprintf(pt, 11, "%04d-%02d-%02d", y2 - 1, m2,
			         d2 > mdays(y2 - 1, m2) ? mdays(y2 - 1, m2) : d2);
			return;
		}
		civil_days(a - len, &y, &m, &d);
		snprintf(pf, 11, "%04d-%02d-%02d", y, m, d);
		civil_days(b - len, &y, &m, &d);
		snprintf(pt, 11, "%04d-%02d-%02d", y, m, d);
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
#define COL_RR(k, l) { k, l, "#indicator+ratio", COR_COL_RR, 0 }

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
 * request window). */
static int case_batches(run *x, const char *f, const char *t)
{
	PGresult *res;
	const char *saved1 = x->p[0], *saved2 = x->p[1];
	int rc;

	if (f != NULL)
		x->p[0] = f;
	if (t != NULL)
		x->p[1] = t;
	res = q(x, "SELECT c.batch_id, bool_or(c.synthetic OR b.synthetic)"
	        CASE_FROM CASE_WHERE "GROUP BY 1", 0, NULL);
	x->p[0] = saved1;
	x->p[1] = saved2;
	if (res == NULL)
		return COR_EDB;
	rc = add_batches(x, res, 0, 1);
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------------ */
/* overview                                                             */
/* ------------------------------------------------------------------ */

static int kind_overview(run *x)
{
	static const char *sql =
		"SELECT CASE WHEN c.registration_date BETWEEN $9::date AND"
		"  $10::date THEN 0 WHEN c.registration_date BETWEEN $11::date"
		"  AND $12::date THEN 1 ELSE 2 END AS w,"
		" c.case_type, c.citizenship, GROUPING(c.case_type,"
		"  c.citizenship) AS g,"
		" count(*) AS n,"
		" count(*) FILTER (WHERE c.is_minor) AS minors,"
		" count(c.is_minor) AS minors_known,"
		" count(*) FILTER (WHERE c.sex = 'female') AS female,"
		" count(c.sex) AS sex_known"
		CASE_FROM CASE_WHERE
		" AND (c.registration_date BETWEEN $9::date AND $10::date"
		"  OR c.registration_date BETWEEN $11::date AND $12::date"
		"  OR c.registration_date BETWEEN $13::date AND $14::date)"
		" GROUP BY GROUPING SETS ((1), (1, c.case_type),"
		"  (1, c.citizenship))"
		" ORDER BY g, n DESC, 2, 3";
	static const char *sql_open =
		"SELECT 0 AS w, c.case_type, c.citizenship,"
		" GROUPING(c.case_type, c.citizenship) AS g, count(*) AS n,"
		" count(*) FILTER (WHERE c.is_minor) AS minors,"
		" count(c.is_minor) AS minors_known,"
		" count(*) FILTER (WHERE c.sex = 'female') AS female,"
		" count(c.sex) AS sex_known"
		CASE_FROM CASE_WHERE
		" GROUP BY GROUPING SETS ((), (c.case_type), (c.citizenship))"
		" ORDER BY g, n DESC, 2, 3";
	static const char *sql_expl =
		"SELECT e.t, count(*) AS n, count(DISTINCT c.id) AS cases"
		CASE_FROM ", unnest(c.exploitation_types) AS e(t)"
		CASE_WHERE " GROUP BY ROLLUP (e.t) ORDER BY e.t IS NULL DESC,"
		" n DESC, e.t";
	static const cor_stats_col scols[] = {
		COL_CODE("measure", "measure", "#indicator"),
		COL_N("n", "cases", "#affected+num"),
		COL_SHARE,
		COL_N("n_previous", "previous period",
		      "#affected+num+previous"),
		COL_RR("rate_ratio", "vs previous (rate ratio)"),
		COL_N("n_year_ago", "year earlier", "#affected+num+year_ago"),
		COL_RR("rr_year_ago", "vs year earlier (rate ratio)"),
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
	long long tot[3][5];     /* window x (n, minors, mk, female, sk) */
	int open = x->from[0] == '\0' || x->to[0] == '\0';
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
		res = q(x, sql, 6, ex);
		x->p[0] = x->from;
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
		for (int j = 0; j < 5; j++)
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
		if (den[m] < 0)
			CK(cor_stats_set_na(x->r, ti, ri, 2,
			                    "not applicable"));
		else
			CK(cor_stats_set_share(x->r, ti, ri, 2,
			                       tot[0][num[m]],
			                       tot[0][den[m]],
			                       ref(ti, ri, 1)));
		if (open) {
			CK(cor_stats_set_na(x->r, ti, ri, 3, "no period given"));
			CK(cor_stats_set_na(x->r, ti, ri, 4, "no period given"));
			CK(cor_stats_set_na(x->r, ti, ri, 5, "no period given"));
			CK(cor_stats_set_na(x->r, ti, ri, 6, "no period given"));
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
	/* first row: rollup (cases with at least one type: DISTINCT) */
	{
		long long with_type = 0;
		for (int i = 0; i < PQntuples(res); i++)
			if (PQgetisnull(res, i, 0))
				with_type = ll(res, i, 2);
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
	if (!open) {
		rc = case_batches(x, strcmp(yf, pf) < 0 ? yf : pf, x->to);
		goto out;
	}
	rc = case_batches(x, NULL, NULL);
out:
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------------ */
/* trend                                                                */
/* ------------------------------------------------------------------ */

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
		COL_RR("rate_ratio", "vs previous period (rate ratio)"),
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
	char sql[2048], pk[256], lab[16], why[200];
	const char *s1 = x->p[0], *s2 = x->p[1];
	PGresult *res = NULL;
	long lo = 0, hi = -1, nodate = 0;
	long long *cnt = NULL;
	double *xs = NULL, *ys = NULL;
	size_t *cp = NULL, ncp = 0, np;
	int ts, tm, rc = 0, ri;
	cor_stats_trend *tr = &x->r->trend;
	cor_err e;

	pkey_of(x->req->by, "c.registration_date", pk, sizeof(pk));
	snprintf(sql, sizeof(sql), "SELECT %s AS k, count(*)" CASE_FROM
	         CASE_WHERE " GROUP BY 1 ORDER BY 1", pk);
	if (f != NULL)
		x->p[0] = f;
	if (t != NULL)
		x->p[1] = t;
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
	if (rc == COR_EDEGENERATE || (rc == 0 && 0)) {
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
	if (np >= 4) {
		rc = cor_stats_changepoints(ys, np, 0.0, cp, &ncp, x->err);
		if (rc != 0)
			goto out;
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
				char fl[96];
				snprintf(fl, sizeof(fl), "possible change in "
				         "level from %s (PELT)", lab);
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
	rc = case_batches(x, f, t);
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
		"SELECT coalesce(c.citizenship, c.origin_country, 'unknown')"
		"  AS o, coalesce(c.country_of_exploitation,"
		"  c.intended_destination, 'unknown') AS d,"
		" GROUPING(1, 2) AS g, count(*) AS n"
		CASE_FROM CASE_WHERE
		" GROUP BY CUBE (1, 2) ORDER BY g, n DESC, o, d";
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
