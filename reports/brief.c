/* reports/brief.c: the quarterly brief. Every number comes from
 * cor_stats_run (the functions behind `corridor stats`) and is printed
 * with cor_stats_cell_format / cor_stats_change_words, so the brief and
 * `corridor stats` never disagree. The only direct queries read
 * provenance (batch table), place coordinates for the route diagram, and
 * names (admin1). Missing data is stated, never drawn as an empty axis. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "corridor/db.h"
#include "corridor/stats.h"
#include "corridor/pdf.h"

#define M COR_PDF_MARGIN
#define CW (COR_PDF_PAGE_W - 2 * COR_PDF_MARGIN)
#define MAX_TOP 18       /* busiest places always on the route diagram */
#define MAX_NODES 24     /* places on the route diagram, with those that
                          * join the busiest legs */

/* Results: R_BR is one `brief` request (every case table of the brief
 * and the quarter's dead and missing, suppressed jointly); R_INC and
 * R_STK give page 4 its longer windows (12 quarters of Missing Migrants
 * incidents, 6 years of UNHCR stocks): public sources that share no
 * printed total with the case tables. */
enum { R_BR, R_INC, R_STK, NKIND };

typedef struct brief {
	PGconn *conn;
	const cor_brief_req *req;
	cor_pdf *pdf;
	cor_err *err;
	int k;
	int y, q;                 /* the quarter */
	char ql[16], qprev[16], qyear[16], qfirst[16];
	char from[11], to[11], wfrom[11], yfrom[24];
	char county_name[128];
	cor_stats_result *r[NKIND];
	int borrowed[NKIND];    /* r[i] belongs to the caller */
	int failed[NKIND];        /* kind not available: reason in why[] */
	char why[NKIND][1024];
	int synthetic, warnings;
	int case_synthetic;       /* an active case batch holds synthetic
	                           * records (load_meta) */
	long suppressed;
	int has_fmt[4];           /* cases, ctdc, mmp, unhcr batches loaded */
	char vintage[11];         /* date of data (UTC) */
	char inc_first[11];       /* first Missing Migrants incident date */
	long long vintage_epoch;
	PGresult *batches;        /* every batch (load_meta) */
	PGresult *places;         /* every gazetteer place (load_meta) */
	void **mem;
	size_t nmem, capmem;
	double t0;
} brief;

static const char *const kind_label[NKIND] = {
	"brief", "incidents by quarter", "stocks by year" };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Allocation that lives as long as the brief. NULL on OOM. */
static void *balloc(brief *b, size_t n)
{
	void *m;

	if (b->nmem == b->capmem) {
		size_t cap = b->capmem ? 2 * b->capmem : 64;
		void **v = realloc(b->mem, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		b->mem = v;
		b->capmem = cap;
	}
	m = calloc(1, n ? n : 1);
	if (m != NULL)
		b->mem[b->nmem++] = m;
	return m;
}

static char *bprintf(brief *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *bprintf(brief *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = balloc(b, (size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static int oom(brief *b)
{
	return cor_err_set(b->err, COR_ENOMEM, "out of memory");
}

/* cor_stats_change_words prints a bound in (-0.5%, 0) as "-0%"; a
 * reader sees a sign on nothing. Rewrites every "-0%" that is a whole
 * number (not "-0.4%" or "-10%") to "0%", in place. Returns s. */
static char *no_minus_zero(char *s)
{
	for (char *c = s; (c = strstr(c, "-0%")) != NULL;) {
		if (c == s || !(c[-1] >= '0' && c[-1] <= '9')) {
			memmove(c, c + 1, strlen(c + 1) + 1);
		} else {
			c++;
		}
	}
	return s;
}

/* 1 when cell c is not published here because its own period's output
 * publishes it. */
static int own_period(const cor_stats_cell *c)
{
	return c->status == COR_CELL_NA && c->reason != NULL &&
	       strcmp(c->reason, COR_STATS_NA_OWN_PERIOD) == 0;
}

static const char *change_words(const brief *b, const cor_stats_cell *rr,
                                char *buf, size_t n)
{
	return no_minus_zero((char *)cor_stats_change_words(b->r[R_BR], rr,
	                                                   buf, n));
}

/* A signed whole percentage without "-0" or "+0": "+11%", "0%", "-3%". */
static const char *spct(double v, char *out, size_t n)
{
	long r = lround(v);

	if (r == 0)
		snprintf(out, n, "0%%");
	else
		snprintf(out, n, "%+ld%%", r);
	return out;
}

/* ---- quarters ----------------------------------------------------------- */

static void qlabel(int idx, char *out)
{
	snprintf(out, 16, "%04dQ%d", idx / 4, idx % 4 + 1);
}

static int parse_quarter(brief *b, const char *s)
{
	int idx;

	if (s == NULL || strlen(s) != 6 || s[4] != 'Q' || s[5] < '1' ||
	    s[5] > '4' || sscanf(s, "%4d", &b->y) != 1 || b->y < 1900 ||
	    b->y > 2200)
		return cor_err_set(b->err, COR_EINVAL, "bad quarter '%s' "
		                   "(expected e.g. 2019Q4)", s ? s : "");
	b->q = s[5] - '0';
	idx = b->y * 4 + b->q - 1;
	qlabel(idx, b->ql);
	qlabel(idx - 1, b->qprev);
	qlabel(idx - 4, b->qyear);
	qlabel(idx - 11, b->qfirst);
	if (cor_stats_parse_bound(b->ql, 0, b->from, b->err) != 0 ||
	    cor_stats_parse_bound(b->ql, 1, b->to, b->err) != 0 ||
	    cor_stats_parse_bound(b->qfirst, 0, b->wfrom, b->err) != 0)
		return b->err->code;
	snprintf(b->yfrom, sizeof(b->yfrom), "%04d-01-01", b->y - 5);
	return 0;
}

int cor_brief_check_quarter(const char *quarter, cor_err *err)
{
	brief b;

	memset(&b, 0, sizeof(b));
	b.err = err;
	return parse_quarter(&b, quarter);
}

/* ---- statistics ---------------------------------------------------------- */

/* Runs one kind with the brief's filters, exactly as
 * `corridor stats KIND --from F --to T [--county C] --k K` would. A kind
 * that fails for want of data is recorded and stated in the brief; a
 * database or memory error stops the brief. */
/* The statistics request of one kind of the brief (county NULL: the
 * whole corridor). */
static void kind_req(cor_stats_req *rq, cor_stats_kind kind,
                     const char *from, const char *to, cor_stats_by by,
                     int k, const char *county)
{
	cor_stats_req_init(rq);
	rq->kind = kind;
	snprintf(rq->from, sizeof(rq->from), "%s", from);
	snprintf(rq->to, sizeof(rq->to), "%s", to);
	rq->by = by;
	rq->k = k;
	rq->county = county;
}

static int run_kind(brief *b, int slot, cor_stats_kind kind,
                    const char *from, const char *to, cor_stats_by by,
                    int county)
{
	cor_stats_req rq;
	cor_err e;
	int rc;

	cor_err_clear(&e);
	if (county && b->req->county != NULL &&
	    b->req->county_stats != NULL) {
		/* computed with the other counties' (borrowed) */
		b->r[slot] = (cor_stats_result *)b->req->county_stats;
		b->borrowed[slot] = 1;
		b->synthetic |= b->r[slot]->synthetic;
		b->suppressed += b->r[slot]->suppressed;
		return 0;
	}
	kind_req(&rq, kind, from, to, by, b->k,
	         county ? b->req->county : NULL);
	/* a county brief's disclosure control is linked to the national
	 * brief's (given, or computed by cor_stats_run) */
	rq.linked = rq.county != NULL ? b->req->national : NULL;
	rc = cor_stats_run(b->conn, &rq, &b->r[slot], &e);
	if (rc == 0) {
		b->synthetic |= b->r[slot]->synthetic;
		b->suppressed += b->r[slot]->suppressed;
		return 0;
	}
	b->r[slot] = NULL;
	if (rc == COR_EDB || rc == COR_ENOMEM || rc == COR_ECONNECT ||
	    rc == COR_EPERM) {
		*b->err = e;
		return rc;
	}
	b->failed[slot] = 1;
	b->warnings++;
	snprintf(b->why[slot], sizeof(b->why[slot]), "%s", e.msg);
	return 0;
}

static int run_all(brief *b)
{
	int rc;

	rc = run_kind(b, R_BR, COR_STATS_BRIEF, b->from, b->to,
	              COR_BY_QUARTER, 1);
	if (rc == 0 && b->has_fmt[2])
		rc = run_kind(b, R_INC, COR_STATS_INCIDENTS, b->wfrom, b->to,
		              COR_BY_QUARTER, 0);
	if (rc == 0 && b->has_fmt[3])
		rc = run_kind(b, R_STK, COR_STATS_STOCKS, b->yfrom, b->to,
		              COR_BY_YEAR, 0);
	return rc;
}

/* ---- provenance (direct reads of metadata, no statistics) ---------------- */

/* Two queries, before any statistics: every batch (provenance table,
 * formats loaded, date of data) and every gazetteer place (coordinates
 * and local names for the route diagram) with the county's name. The
 * results live until brief_free. */
static int load_meta(brief *b)
{
	const char *p[1] = { b->req->county };
	PGresult *res;

	res = cor_db_query(b->conn, "SELECT id, file_name, format,"
	                   " left(sha256, 12), rows_loaded,"
	                   " to_char(coalesce(finished_at, started_at)"
	                   "  AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
	                   " synthetic, extract(epoch FROM"
	                   "  coalesce(finished_at, started_at))::bigint,"
	                   " active, (SELECT min(reported_date)::text FROM"
	                   "  incident i JOIN batch ib ON ib.id = i.batch_id"
	                   "  AND ib.active)"
	                   " FROM batch ORDER BY id", 0, NULL,
	                   PGRES_TUPLES_OK, b->err);
	if (res == NULL)
		return COR_EDB;
	b->batches = res;
	for (int i = 0; i < PQntuples(res); i++) {
		static const char *const f[4] = { "cases", "ctdc", "mmp",
		                                  "unhcr" };
		long long ep = strtoll(PQgetvalue(res, i, 7), NULL, 10);

		if (i == 0)
			snprintf(b->inc_first, sizeof(b->inc_first), "%s",
			         PQgetvalue(res, i, 9));
		if (strcmp(PQgetvalue(res, i, 8), "t") != 0)
			continue;
		for (int j = 0; j < 4; j++)
			if (strcmp(PQgetvalue(res, i, 2), f[j]) == 0)
				b->has_fmt[j] = 1;
		/* the brief's case figures read format cases (the default
		 * source of corridor stats) */
		if (strcmp(PQgetvalue(res, i, 6), "t") == 0 &&
		    strcmp(PQgetvalue(res, i, 2), "cases") == 0)
			b->case_synthetic = 1;
		if (ep > b->vintage_epoch) {
			b->vintage_epoch = ep;
			snprintf(b->vintage, sizeof(b->vintage), "%.10s",
			         PQgetvalue(res, i, 5));
		}
	}
	/* one row even when the gazetteer is empty, for the county name */
	res = cor_db_query(b->conn, "SELECT p.id, p.lat, p.lon, p.name_local,"
	                   " (SELECT a.name FROM admin1 a WHERE a.pcode = $1"
	                   "  AND a.country = 'KEN')"
	                   " FROM (SELECT 1) AS one LEFT JOIN place p ON true"
	                   " ORDER BY p.id COLLATE \"C\"", 1, p,
	                   PGRES_TUPLES_OK, b->err);
	if (res == NULL)
		return COR_EDB;
	b->places = res;
	if (b->req->county == NULL)
		return 0;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 4))
		return cor_err_set(b->err, COR_EINVAL, "--county '%s': "
		                   "unknown county; expected a Kenyan county "
		                   "P-code KE001-KE047 (e.g. KE011 Isiolo)",
		                   b->req->county);
	snprintf(b->county_name, sizeof(b->county_name), "%s",
	         PQgetvalue(res, 0, 4));
	return 0;
}

/* ---- helpers over result tables ------------------------------------------ */

static const cor_stats_table *tab(const brief *b, int slot,
                                  const char *name)
{
	return b->r[slot] ? cor_stats_table_find(b->r[slot], name) : NULL;
}

/* Thousands separators, in place (s has room for n bytes): every run of
 * 4 or more digits that is an integer part ("1882" -> "1,882", "2670
 * (IQR 1818-3738)" -> "2,670 (IQR 1,818-3,738)"); digits after a '.' or
 * inside a word ("KE011", "2019Q4") are left alone. Only for strings
 * that are numbers: never for periods, dates or codes. Returns s. */
static char *group_digits(char *s, size_t n)
{
	char out[512];
	size_t o = 0, i = 0, len = strlen(s);

	while (i < len && o + 1 < sizeof(out)) {
		size_t j = i;
		int word = i > 0 && (s[i - 1] == '.' || s[i - 1] == '_' ||
		           (s[i - 1] >= 'A' && s[i - 1] <= 'Z') ||
		           (s[i - 1] >= 'a' && s[i - 1] <= 'z'));

		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j == i) {
			out[o++] = s[i++];
			continue;
		}
		if (j < len && ((s[j] >= 'A' && s[j] <= 'Z') ||
		                (s[j] >= 'a' && s[j] <= 'z')))
			word = 1;     /* "2019Q4", "1e5" */
		for (size_t k = i; k < j && o + 2 < sizeof(out); k++) {
			if (!word && k > i && (j - k) % 3 == 0)
				out[o++] = ',';
			out[o++] = s[k];
		}
		i = j;
	}
	out[o] = '\0';
	if (o + 1 <= n)
		memcpy(s, out, o + 1);
	return s;
}

/* A cell as cor_stats_cell_format prints it, numbers with thousands
 * separators (codes, periods and text unchanged). */
static const char *fmt(const brief *b, int slot, const cor_stats_table *t,
                       int row, int col, char *buf, size_t n)
{
	cor_stats_cell_format(b->r[slot], t, row, col, buf, n);
	if (t != NULL && col >= 0 && col < t->ncol &&
	    t->cols[col].type != COR_COL_CODE &&
	    t->cols[col].type != COR_COL_TEXT &&
	    t->cols[col].type != COR_COL_PERIOD)
		group_digits(buf, n);
	return buf;
}

/* fmt for running text: a withheld cell reads "withheld" (a bare "x" in
 * a sentence reads as a typo; fresh-eyes trial), a small one "fewer than
 * k". */
static const char *pfmt(const brief *b, int slot, const cor_stats_table *t,
                        int row, int col, char *buf, size_t n)
{
	const char *v = fmt(b, slot, t, row, col, buf, n);

	if (strcmp(v, COR_STATS_X) == 0)
		snprintf(buf, n, "withheld");
	else if (v[0] == '<')
		snprintf(buf, n, "fewer than %s", v + 1);
	else
		return v;
	return buf;
}

/* A count with thousands separators: "20,000". */
static const char *grp(long long v, char *buf, size_t n)
{
	snprintf(buf, n, "%lld", v);
	return group_digits(buf, n);
}

static const char *code_name(const cor_stats_cell *c)
{
	if (c == NULL)
		return "";
	if (c->name != NULL && *c->name != '\0')
		return c->name;
	if (c->code != NULL)
		return c->code;
	return "Total";
}

/* Category codes such as "forced_labour" read as "forced labour". */
static char *humanise(brief *b, const char *s)
{
	const char *dd = strstr(s, "--");
	char *d = dd ? bprintf(b, "%.*s–%s", (int)(dd - s), s, dd + 2)
	             : bprintf(b, "%s", s);

	for (char *c = d; c != NULL && *c != '\0'; c++)
		if (*c == '_')
			*c = ' ';
	if (d != NULL && d[0] >= 'a' && d[0] <= 'z')
		d[0] = (char)(d[0] - 'a' + 'A');
	return d;
}

/* First letter lower-cased (in place), for a name inside a sentence. */
static char *lower(char *s)
{
	if (s != NULL && s[0] >= 'A' && s[0] <= 'Z')
		s[0] = (char)(s[0] - 'A' + 'a');
	return s;
}

static cor_pdf_val cell_val(const cor_stats_cell *c, int use_n)
{
	cor_pdf_val v = { NAN, 0 };

	if (c == NULL)
		return v;
	if (c->status == COR_CELL_SUPPRESSED)
		v.suppressed = c->primary ? 1 : 2;  /* "<k" | "x" */
	else if (c->status == COR_CELL_OK)
		v.v = use_n ? (double)c->n : c->v;
	return v;
}

static int col_of(const cor_stats_table *t, cor_stats_ctype type, int nth)
{
	for (int c = 0; t != NULL && c < t->ncol; c++)
		if (t->cols[c].type == type && nth-- == 0)
			return c;
	return -1;
}

/* Finds row whose CODE column 0 has code `code`; -1 if none. */
static int row_of(const cor_stats_table *t, const char *code)
{
	for (int r = 0; t != NULL && r < t->nrow; r++) {
		const cor_stats_cell *c = &t->rows[r].cells[0];

		if (c->code != NULL && strcmp(c->code, code) == 0)
			return r;
	}
	return -1;
}

/* Label column of a table: the first CODE column, else the first PERIOD
 * column; -1 if none. */
static int label_col(const cor_stats_table *t)
{
	int c = col_of(t, COR_COL_CODE, 0);

	return c >= 0 ? c : col_of(t, COR_COL_PERIOD, 0);
}

static int in_keys(const char *key, const char *const *keys)
{
	for (int i = 0; keys != NULL && keys[i] != NULL; i++)
		if (strcmp(keys[i], key) == 0)
			return 1;
	return 0;
}

/* "unknown" and "other" go last in any order. */
static int tail_rank(const char *s)
{
	if (strcasecmp(s, "unknown") == 0 || strcasecmp(s, "not recorded") == 0)
		return 2;
	if (strcasecmp(s, "other") == 0)
		return 1;
	return 0;
}

/* Sort key of a category: age bands ("0--8", "9--17", "48+") by their
 * first year when every category is a band (else table order), with
 * "other" and "unknown" last. */
static double cat_key(const char *s, size_t pos, int bands)
{
	int t = tail_rank(s);

	if (t > 0)
		return 1e9 + t;
	return bands ? strtod(s, NULL) : (double)pos;
}

/* Sexes always in the same order and colour in every chart (female
 * ochre, male slate blue, other sage, unknown grey); other series keep
 * their order and take colours by position. */
static int sex_rank(const char *s)
{
	static const char *const sx[] = { "female", "male", "other",
		"unknown" };

	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, sx[i]) == 0)
			return i;
	return -1;
}

/* Reorders categories and series of a bar chart in place (values
 * follow) and fills col[nser] with palette indexes. 0 or -1 on OOM. */
static int order(brief *b, const char **cats, size_t ncat, const char **ser,
                 size_t nser, cor_pdf_val *vals, int *col)
{
	size_t *pc = balloc(b, (ncat + 1) * sizeof(*pc));
	size_t *ps = balloc(b, (nser + 1) * sizeof(*ps));
	const char **c2 = balloc(b, (ncat + 1) * sizeof(*c2));
	const char **s2 = balloc(b, (nser + 1) * sizeof(*s2));
	cor_pdf_val *v2 = balloc(b, (ncat * nser + 1) * sizeof(*v2));
	int bands = ncat > 0, sexes = nser > 0;
	static const int sexcol[4] = { 1, 0, 2, 4 };

	if (pc == NULL || ps == NULL || c2 == NULL || s2 == NULL || v2 == NULL)
		return -1;
	for (size_t i = 0; i < ncat; i++)
		if (tail_rank(cats[i]) == 0 &&
		    !(cats[i][0] >= '0' && cats[i][0] <= '9'))
			bands = 0;
	for (size_t j = 0; j < nser; j++)
		if (sex_rank(ser[j]) < 0)
			sexes = 0;
	/* insertion sorts: a few categories, stable */
	for (size_t i = 0; i < ncat; i++) {
		size_t k = i;

		for (; k > 0 && cat_key(cats[pc[k - 1]], pc[k - 1], bands) >
		     cat_key(cats[i], i, bands); k--)
			pc[k] = pc[k - 1];
		pc[k] = i;
	}
	for (size_t j = 0; j < nser; j++) {
		size_t k = j;

		for (; sexes && k > 0 && sex_rank(ser[ps[k - 1]]) >
		     sex_rank(ser[j]); k--)
			ps[k] = ps[k - 1];
		ps[k] = j;
	}
	for (size_t i = 0; i < ncat; i++)
		c2[i] = cats[pc[i]];
	for (size_t j = 0; j < nser; j++) {
		s2[j] = ser[ps[j]];
		col[j] = sexes ? sexcol[sex_rank(s2[j])] : (int)(j % 4);
		for (size_t i = 0; i < ncat; i++)
			v2[j * ncat + i] = vals[ps[j] * ncat + pc[i]];
	}
	memcpy(cats, c2, ncat * sizeof(*cats));
	memcpy(ser, s2, nser * sizeof(*ser));
	memcpy(vals, v2, ncat * nser * sizeof(*vals));
	return 0;
}

/* Bar chart of a result table: long form (two CODE columns and a count:
 * categories x series; swap exchanges the two) or wide form (one label
 * column; the COUNT columns named in keys, NULL-terminated, as series).
 * Margin rows are left out. At most maxcat categories, in table order. */
static int table_bars(brief *b, const cor_stats_table *t, int swap,
                      const char *const *keys, cor_pdf_bars *c,
                      size_t maxcat)
{
	int c1 = label_col(t), c2 = col_of(t, COR_COL_CODE, 1);
	int cn = cor_stats_col_find(t, "n");
	const char **cats, **ser;
	cor_pdf_val *vals;
	size_t ncat = 0, nser = 0, cap;

	memset(c, 0, sizeof(*c));
	c->nser = 1;
	if (t == NULL || c1 < 0 || t->nrow == 0)
		return 0;
	if (swap && c2 >= 0) {
		int tmp = c1;

		c1 = c2;
		c2 = tmp;
	}
	cap = (size_t)t->nrow + 8;
	cats = balloc(b, cap * sizeof(*cats));
	ser = balloc(b, cap * sizeof(*ser));
	vals = balloc(b, cap * cap * sizeof(*vals));
	if (cats == NULL || ser == NULL || vals == NULL)
		return oom(b);
	if (keys == NULL && c2 >= 0 && cn >= 0) {
		for (int pass = 0; pass < 2; pass++) {
			for (int r = 0; r < t->nrow; r++) {
				const cor_stats_cell *x = t->rows[r].cells;
				const char *a, *z;
				size_t i, j;

				if (t->rows[r].margin || x[c1].code == NULL ||
				    x[c2].code == NULL)
					continue;
				a = code_name(&x[c1]);
				z = code_name(&x[c2]);
				for (i = 0; i < ncat && strcmp(cats[i], a); i++)
					;
				for (j = 0; j < nser && strcmp(ser[j], z); j++)
					;
				if (pass == 0) {
					if (i == ncat && ncat < maxcat)
						cats[ncat++] = a;
					if (j == nser)
						ser[nser++] = z;
				} else if (i < ncat && j < nser) {
					vals[j * ncat + i] = cell_val(&x[cn],
					                              1);
				}
			}
			if (pass == 0)   /* absent combinations are zero */
				for (size_t i = 0; i < ncat * nser; i++)
					vals[i] = (cor_pdf_val){ 0, 0 };
		}
	} else {
		int use[8], nu = 0;

		for (int j = 0; j < t->ncol && nu < 8; j++)
			if (t->cols[j].type == COR_COL_COUNT &&
			    (keys != NULL ? in_keys(t->cols[j].key, keys)
			                  : j == cn))
				use[nu++] = j;
		for (int r = 0; r < t->nrow && ncat < maxcat; r++)
			if (!t->rows[r].margin &&
			    t->rows[r].cells[c1].code != NULL)
				cats[ncat++] = code_name(&t->rows[r].cells[c1]);
		nser = (size_t)nu;
		for (int j = 0; j < nu; j++) {
			size_t i = 0;

			ser[j] = t->cols[use[j]].label;
			for (int r = 0; r < t->nrow && i < ncat; r++)
				if (!t->rows[r].margin &&
				    t->rows[r].cells[c1].code != NULL)
					vals[j * ncat + i++] = cell_val(
						&t->rows[r].cells[use[j]], 1);
		}
	}
	{
		int *col = balloc(b, (nser + 1) * sizeof(*col));

		if (col == NULL)
			return oom(b);
		if (order(b, cats, ncat, ser, nser, vals, col) != 0)
			return oom(b);
		c->series_color = col;
	}
	for (size_t i = 0; i < ncat; i++)
		cats[i] = humanise(b, cats[i]);
	for (size_t j = 0; j < nser; j++)
		ser[j] = humanise(b, ser[j]);
	c->ncat = nser ? ncat : 0;
	c->nser = nser ? nser : 1;
	c->categories = cats;
	c->series = ser;
	c->vals = vals;
	return 0;
}

/* A pdf table from rows[0..nrows-1] of a result table and the columns
 * named in keys (missing keys are skipped), cells formatted by
 * cor_stats_cell_format (which prints "<k" for counts withheld for
 * being under k, "x" for cells withheld to protect another cell). */
static int table_of(brief *b, int slot, const cor_stats_table *t,
                    const char *const *keys, size_t nkeys, const int *rows,
                    int nrows, cor_pdf_table *o)
{
	int cols[16], nc = 0;
	const char **hd, **cells;
	cor_pdf_align *al;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; t != NULL && i < nkeys && nc < 16; i++) {
		int c = cor_stats_col_find(t, keys[i]);

		if (c >= 0)
			cols[nc++] = c;
	}
	if (nc == 0)
		return 0;
	hd = balloc(b, (size_t)nc * sizeof(*hd));
	al = balloc(b, (size_t)nc * sizeof(*al));
	cells = balloc(b, (size_t)(nrows + 1) * nc * sizeof(*cells));
	if (hd == NULL || al == NULL || cells == NULL)
		return oom(b);
	for (int j = 0; j < nc; j++) {
		cor_stats_ctype ty = t->cols[cols[j]].type;

		hd[j] = humanise(b, t->cols[cols[j]].label);
		al[j] = ty == COR_COL_CODE || ty == COR_COL_TEXT ||
		        ty == COR_COL_PERIOD ? COR_PDF_LEFT : COR_PDF_RIGHT;
	}
	for (int i = 0; i < nrows; i++) {
		int r = rows[i];

		for (int j = 0; j < nc; j++) {
			const cor_stats_cell *c = &t->rows[r].cells[cols[j]];
			char buf[256];
			size_t k = (size_t)i * nc + j;

			if (t->cols[cols[j]].type == COR_COL_CODE &&
			    c->code != NULL && strlen(c->code) > 3 &&
			    c->code[2] == '-' && c->name != NULL)
				/* a gazetteer place: "Moyale (KE)" */
				cells[k] = bprintf(b, "%s (%.2s)", c->name,
				                   c->code);
			else if (t->cols[cols[j]].type == COR_COL_CODE)
				cells[k] = humanise(b, c->code == NULL &&
				           t->rows[r].margin ? "Total" :
				           code_name(c));
			else
				cells[k] = bprintf(b, "%s", fmt(b, slot, t, r,
				                   cols[j], buf, sizeof(buf)));
			if (cells[k] == NULL)
				return oom(b);
		}
	}
	o->ncols = (size_t)nc;
	o->nrows = (size_t)nrows;
	o->headers = hd;
	o->cells = cells;
	o->align = al;
	return 0;
}

/* Rows of t to print: all, or (skip_zero) those with some count that is
 * not a published zero. *nskip receives the rows left out. */
static int *pick_rows(brief *b, const cor_stats_table *t, int skip_zero,
                      int *n, int *nskip)
{
	int *rows = balloc(b, (size_t)(t ? t->nrow + 1 : 1) * sizeof(int));

	*n = *nskip = 0;
	if (rows == NULL || t == NULL)
		return rows;
	for (int r = 0; r < t->nrow; r++) {
		int zero = 1;

		for (int c = 0; skip_zero && c < t->ncol; c++) {
			const cor_stats_cell *x = &t->rows[r].cells[c];

			if (t->cols[c].type == COR_COL_COUNT &&
			    (x->status != COR_CELL_OK || x->n != 0))
				zero = 0;
		}
		if (skip_zero && zero) {
			(*nskip)++;
			continue;
		}
		rows[(*n)++] = r;
	}
	return rows;
}

/* Rows of a table ranked by its count column `key` with the withheld
 * ones moved last (in their order): a withheld count listed at its rank
 * would give away an interval (fresh-eyes trial: a leg shown as x
 * between 805 and 766). */
static void withheld_last(const cor_stats_table *t, const char *key,
                          int *rows, int n)
{
	int c = t != NULL ? cor_stats_col_find(t, key) : -1, m = 0;
	int *tmp = c >= 0 && n > 0 ? malloc((size_t)n * sizeof(int)) : NULL;

	if (tmp == NULL)
		return;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++)
			if ((t->rows[rows[i]].cells[c].status ==
			     COR_CELL_SUPPRESSED) == pass)
				tmp[m++] = rows[i];
	memcpy(rows, tmp, (size_t)n * sizeof(int));
	free(tmp);
}

/* ---- pages --------------------------------------------------------------- */

static int heading(brief *b, const char *s, double *y)
{
	double h;
	int rc = cor_pdf_text(b->pdf, COR_PDF_H1, COR_PDF_LEFT, M, *y, CW, s,
	                      1, &h, b->err);

	*y += h + 6;
	return rc;
}

static int para(brief *b, cor_pdf_style st, const char *s, double *y)
{
	double h;
	int rc = cor_pdf_text(b->pdf, st, COR_PDF_LEFT, M, *y, CW, s, 1, &h,
	                      b->err);

	*y += h + 4;
	return rc;
}

/* A statement that something is missing. */
static int missing(brief *b, const char *s, double *y)
{
	b->warnings++;
	return para(b, COR_PDF_BODY, s, y);
}

static const char *area(const brief *b)
{
	return b->req->county ? b->county_name : "the Southern Route";
}

/* What the counts of the request count: "cases", or in a county brief
 * "linked cases" (see county_identified). */
static const char *cases_w(const brief *b)
{
	return b->req->county ? "linked cases" : "cases";
}

/* The base of the share in row `row`, column cs of the summary, in words:
 * "all cases" when it is of all cases (the cases without a recorded age
 * or sex were 1..k-1: kind overview then divides by the case total), else
 * "cases with a recorded <what>". */
static const char *base_words(brief *b, const cor_stats_table *sum,
                              int row, int cs, const char *what)
{
	int cn = cor_stats_col_find(sum, "n");
	const cor_stats_cell *c = &sum->rows[row].cells[cs];

	if (cn >= 0 && c->d == sum->rows[0].cells[cn].n)
		return bprintf(b, "all %s", cases_w(b));
	return bprintf(b, "%s with a recorded %s", cases_w(b), what);
}

/* County brief: the cases of the request are those LINKED to the county
 * (identified in, coming from or routed through it; see cor_stats_req).
 * The count identified IN the county is column "n" of its row of table
 * "counties" of the same result (disclosure-controlled with it), as
 * `corridor stats brief --county C` prints it. Formatted into buf ("110",
 * "<5", "x"); NULL for the corridor brief or when the row is absent. */
static const char *county_identified(const brief *b, char *buf, size_t n)
{
	const cor_stats_table *ct = tab(b, R_BR, "counties");
	int cc = col_of(ct, COR_COL_CODE, 0), cn = cor_stats_col_find(ct, "n");

	if (b->req->county == NULL || cc < 0 || cn < 0)
		return NULL;
	for (int r = 0; r < ct->nrow; r++)
		if (!ct->rows[r].margin && ct->rows[r].cells[cc].code != NULL &&
		    strcmp(ct->rows[r].cells[cc].code, b->req->county) == 0)
			return fmt(b, R_BR, ct, r, cn, buf, n);
	return NULL;
}

static int page_headline(brief *b)
{
	const cor_stats_table *sum = tab(b, R_BR, "summary");
	const cor_stats_table *ex = tab(b, R_BR, "exploitation");
	const cor_stats_table *cz = tab(b, R_BR, "citizenship");
	cor_pdf_figure fig[6];
	int nfig = 0, rc;
	double y, h;
	char buf[256], b2[256];
	char *title, *sub;

	rc = cor_pdf_page_add(b->pdf, &y, b->err);
	if (rc != 0)
		return rc;
	title = b->req->county ?
	        bprintf(b, "%s County (%s) — %s", b->county_name,
	                b->req->county, b->ql) :
	        bprintf(b, "Southern Route brief — %s", b->ql);
	sub = bprintf(b, "Ethiopia → Kenya → Tanzania → Malawi / Mozambique → "
	              "South Africa. Data as of %s. Disclosure control: counts "
	              "below %d are withheld (<%d); %s.", b->vintage[0] ?
	              b->vintage : "no data loaded", b->k, b->k,
	              COR_STATS_X_NOTE);
	if (title == NULL || sub == NULL)
		return oom(b);
	rc = cor_pdf_text(b->pdf, COR_PDF_TITLE, COR_PDF_LEFT, M, y, CW, title,
	                  1, &h, b->err);
	if (rc != 0)
		return rc;
	y += h + 2;
	rc = para(b, COR_PDF_SMALL, sub, &y);
	if (rc != 0)
		return rc;
	y += 6;
	memset(fig, 0, sizeof(fig));
	for (int r = 0; sum != NULL && r < sum->nrow && nfig < 3; r++) {
		int cn = cor_stats_col_find(sum, "n");
		int cs = cor_stats_col_find(sum, "share");
		int c1 = cor_stats_col_find(sum, "rate_ratio");
		int c2 = cor_stats_col_find(sum, "rr_year_ago");
		const cor_stats_cell *sc = cs >= 0 ? &sum->rows[r].cells[cs]
		                                   : NULL;
		cor_pdf_figure *f = &fig[nfig++];

		f->label = humanise(b, code_name(&sum->rows[r].cells[0]));
		if (b->req->county != NULL && r == row_of(sum, "cases"))
			f->label = bprintf(b, "Cases linked to %s",
			                   b->county_name);
		if (sc != NULL && sc->status != COR_CELL_NA) {
			/* "15.4% (13.8-17.2)": the value, then its interval
			 * with the count, digits as cor_stats_cell_format */
			char *v = bprintf(b, "%s", fmt(b, R_BR, sum, r, cs, buf,
			                  sizeof(buf)));
			char *par = v ? strstr(v, " (") : NULL;

			if (v == NULL)
				return oom(b);
			if (par != NULL) {
				*par = '\0';
				par[strlen(par + 2) + 1] = '\0';   /* ")" */
				f->detail[0] = bprintf(b, "95%% CI %s%%; %s "
				        "%s", par + 2, fmt(b, R_BR, sum, r,
				        cn, b2, sizeof(b2)), cases_w(b));
			} else {
				f->detail[0] = bprintf(b, "%s %s", fmt(b,
				        R_BR, sum, r, cn, b2, sizeof(b2)),
				        cases_w(b));
			}
			f->value = v;
		} else if (sc != NULL && sc->reason != NULL &&
		           strcmp(sc->reason, "not applicable") != 0) {
			/* a share that cannot be computed is not a zero */
			f->value = "n/a";
			f->detail[0] = bprintf(b, "share not computable (%s); "
			                       "%s cases", sc->reason, fmt(b,
			                       R_BR, sum, r, cn, buf,
			                       sizeof(buf)));
		} else {
			f->value = bprintf(b, "%s", fmt(b, R_BR, sum, r, cn,
			                   buf, sizeof(buf)));
			if (b->req->county != NULL &&
			    r == row_of(sum, "cases")) {
				const char *ci = county_identified(b, b2,
				                                   sizeof(b2));

				f->detail[0] = ci ? bprintf(b, "Identified in, "
				        "coming from or passing through the "
				        "county; %s identified in %s itself", ci,
				        b->county_name) : "Identified in, coming "
				        "from or passing through the county";
			}
		}
		/* minors, women and girls: the earlier quarters' own
		 * briefs publish them (COR_STATS_NA_OWN_PERIOD) */
		if (c1 >= 0 && own_period(&sum->rows[r].cells[c1]))
			c1 = c2 = -1;
		if (c1 >= 0)
			f->detail[f->detail[0] ? 1 : 0] = bprintf(b,
				"vs %s: %s", b->qprev, change_words(
				b, &sum->rows[r].cells[c1], buf,
				sizeof(buf)));
		if (c2 >= 0)
			f->detail[f->detail[0] && f->detail[1] ? 2 :
			          f->detail[0] ? 1 : 0] = bprintf(b,
				"vs %s: %s", b->qyear, change_words(
				b, &sum->rows[r].cells[c2], b2,
				sizeof(b2)));
	}
	if (ex != NULL && ex->nrow > 0) {
		cor_pdf_figure *f = &fig[nfig++];

		f->label = "Leading form of exploitation";
		f->value = humanise(b, code_name(&ex->rows[0].cells[0]));
		f->detail[0] = bprintf(b, "%s %s, %s of those with a "
		                       "recorded form",
		                       fmt(b, R_BR, ex, 0, 1, buf, sizeof(buf)),
		                       cases_w(b),
		                       fmt(b, R_BR, ex, 0, 2, b2, sizeof(b2)));
	}
	if (cz != NULL && cz->nrow > 0) {
		cor_pdf_figure *f = &fig[nfig++];

		f->label = "Leading citizenship";
		f->value = bprintf(b, "%s", code_name(&cz->rows[0].cells[0]));
		f->detail[0] = bprintf(b, "%s %s, %s of all",
		                       fmt(b, R_BR, cz, 0, 1, buf, sizeof(buf)),
		                       cases_w(b),
		                       fmt(b, R_BR, cz, 0, 2, b2, sizeof(b2)));
	}
	{
		const cor_stats_table *ip = tab(b, R_BR, "incidents_period");
		int pr = -1, cn = cor_stats_col_find(ip, "n");
		int cp = col_of(ip, COR_COL_PERIOD, 0);
		cor_pdf_figure *f = &fig[nfig++];

		for (int r = 0; ip != NULL && cp >= 0 && r < ip->nrow; r++)
			if (ip->rows[r].cells[cp].code != NULL &&
			    strcmp(ip->rows[r].cells[cp].code, b->ql) == 0)
				pr = r;
		f->label = b->req->county ? "Dead and missing on the whole "
		           "route" : "Dead and missing on the route";
		if (!b->has_fmt[2]) {
			f->value = "n/a";
			f->detail[0] = "No Missing Migrants data loaded";
		} else if (b->inc_first[0] == '\0' ||
		           strcmp(b->to, b->inc_first) < 0) {
			/* before the first incident loaded: not covered,
			 * not zero */
			f->value = "n/a";
			f->detail[0] = b->inc_first[0] ? bprintf(b,
			               "The Missing Migrants data loaded begin "
			               "on %s",
			               b->inc_first) : "No Missing Migrants "
			               "incidents loaded";
		} else if (ip == NULL || cn < 0) {
			f->value = "n/a";
			f->detail[0] = b->failed[R_BR] ? b->why[R_BR] :
			               "incident statistics not available";
		} else if (pr < 0) {
			f->value = "0";
			f->detail[0] = bprintf(b, "No incident recorded near "
			                       "the corridor in %s", b->ql);
		} else {
			f->value = bprintf(b, "%s", fmt(b, R_BR, ip, pr, cn,
			                   buf, sizeof(buf)));
			f->detail[0] = bprintf(b, "IOM Missing Migrants "
			               "Project: incidents within %.0f km of a "
			               "corridor leg", COR_STATS_BUFFER_KM);
		}
	}
	for (int i = 0; i < nfig; i++) {
		double fw = (CW - 10) / 2.0, fh = b->req->county ? 92 : 82;
		cor_pdf_box bx = { M + (i % 2) * (fw + 10), y + (i / 2) *
		                   (fh + 8), fw, fh };

		for (int d = 0; d < 3; d++)
			if (fig[i].label == NULL || fig[i].value == NULL)
				return oom(b);
		rc = cor_pdf_figure_box(b->pdf, bx, &fig[i], b->err);
		if (rc != 0)
			return rc;
	}
	y += ((nfig + 1) / 2) * (b->req->county ? 100 : 90) + 6;
	/* trend chart */
	{
		const cor_stats_table *s = tab(b, R_BR, "series");
		int cp = col_of(s, COR_COL_PERIOD, 0);
		int cn = cor_stats_col_find(s, "n");
		int cf = cor_stats_col_find(s, "fit");
		cor_pdf_trend t;
		size_t n = s ? (size_t)s->nrow : 0;
		const char **per = balloc(b, (n + 1) * sizeof(*per));
		cor_pdf_val *cnt = balloc(b, (n + 1) * sizeof(*cnt));
		double *fit = balloc(b, (n + 1) * sizeof(double));
		double *lo = balloc(b, (n + 1) * sizeof(double));
		double *hi = balloc(b, (n + 1) * sizeof(double));
		size_t m = 0;

		if (per == NULL || cnt == NULL || fit == NULL || lo == NULL ||
		    hi == NULL)
			return oom(b);
		for (int r = 0; s != NULL && cp >= 0 && cn >= 0 &&
		     r < s->nrow; r++) {
			const cor_stats_cell *fc = cf >= 0 ?
			        &s->rows[r].cells[cf] : NULL;

			if (s->rows[r].margin)
				continue;
			per[m] = s->rows[r].cells[cp].code;
			cnt[m] = cell_val(&s->rows[r].cells[cn], 1);
			fit[m] = lo[m] = hi[m] = NAN;
			if (fc != NULL && fc->status == COR_CELL_OK) {
				fit[m] = fc->v;
				lo[m] = fc->has_ci ? fc->lo : fc->v;
				hi[m] = fc->has_ci ? fc->hi : fc->v;
			}
			m++;
		}
		memset(&t, 0, sizeof(t));
		t.title = b->req->county ?
		          bprintf(b, "Cases linked to %s (identified in, "
		                  "coming from or passing through the county) "
		                  "per quarter, %s to %s", b->county_name,
		                  b->qfirst, b->ql) :
		          bprintf(b, "Cases identified per quarter, %s to %s",
		                  b->qfirst, b->ql);
		t.value_label = "cases";
		t.period_label = "Quarter of registration";
		t.n = m;
		t.periods = per;
		t.counts = cnt;
		t.fit = cf >= 0 ? fit : NULL;
		t.lo = cf >= 0 ? lo : NULL;
		t.hi = cf >= 0 ? hi : NULL;
		t.count_name = b->req->county ? "Cases linked to the county" :
		               "Cases identified";
		t.fit_name = "Poisson trend with 95% CI";
		t.empty_note = b->failed[R_BR] ? b->why[R_BR] :
		               bprintf(b, "No cases recorded from %s to %s",
		                       b->qfirst, b->ql);
		rc = cor_pdf_trend_chart(b->pdf, (cor_pdf_box){ M, y, CW, 230 },
		                         &t, b->err);
		if (rc != 0)
			return rc;
		y += 242;
	}
	/* summary: three sentences from the statistics */
	{
		double hh;
		char s1[1400], s2[1400], s3[1400];
		int cn = cor_stats_col_find(sum, "n");
		int c1 = cor_stats_col_find(sum, "rate_ratio");
		int c2 = cor_stats_col_find(sum, "rr_year_ago");
		int rm = row_of(sum, "minors"), rw = row_of(sum,
		                                             "women_girls");
		int cs = cor_stats_col_find(sum, "share");

		rc = cor_pdf_text(b->pdf, COR_PDF_H2, COR_PDF_LEFT, M, y, CW,
		                  "Summary", 1, &hh, b->err);
		if (rc != 0)
			return rc;
		y += hh + 2;
		if (sum != NULL && cn >= 0 && sum->nrow > 0 &&
		    sum->rows[0].cells[cn].status == COR_CELL_OK &&
		    sum->rows[0].cells[cn].n == 0) {
			if (b->req->county != NULL)
				snprintf(s1, sizeof(s1), "No cases identified "
				         "in, coming from or passing through %s "
				         "were recorded for %s.", area(b),
				         b->ql);
			else
				snprintf(s1, sizeof(s1), "No cases were "
				         "recorded in %s for %s.", area(b),
				         b->ql);
		} else if (sum != NULL && cn >= 0 && c1 >= 0 && c2 >= 0 &&
		           b->req->county != NULL) {
			/* the request counts cases LINKED to the county: say
			 * so, and give the count identified in it */
			char w1[160], w2[160], ci[64];
			const char *idn = county_identified(b, ci, sizeof(ci));

			snprintf(s1, sizeof(s1), "In %s, %s cases were linked "
			         "to %s (identified in, coming from or passing "
			         "through the county): %s on %s and %s on %s.%s"
			         "%s%s%s", b->ql, fmt(b, R_BR, sum, 0, cn, buf,
			         sizeof(buf)), area(b),
			         change_words(b,
			         &sum->rows[0].cells[c1], w1, sizeof(w1)),
			         b->qprev, change_words(b,
			         &sum->rows[0].cells[c2], w2, sizeof(w2)),
			         b->qyear, idn ? " Of these, " : "",
			         idn ? idn : "", idn ? " were identified in " :
			         "", idn ? area(b) : "");
			if (idn != NULL)
				snprintf(s1 + strlen(s1), sizeof(s1) -
				         strlen(s1), " itself.");
		} else if (sum != NULL && cn >= 0 && c1 >= 0 && c2 >= 0) {
			char w1[160], w2[160];

			snprintf(s1, sizeof(s1), "In %s, %s cases were "
			         "identified on %s: %s on %s and %s on %s.",
			         b->ql, pfmt(b, R_BR, sum, 0, cn, buf,
			         sizeof(buf)), area(b),
			         change_words(b,
			         &sum->rows[0].cells[c1], w1, sizeof(w1)),
			         b->qprev, change_words(b,
			         &sum->rows[0].cells[c2], w2, sizeof(w2)),
			         b->qyear);
		} else {
			snprintf(s1, sizeof(s1), "Headline statistics for %s "
			         "are not available (%s).", b->ql,
			         b->failed[R_BR] ? b->why[R_BR] : "no result");
		}
		if (rm >= 0 && rw >= 0 && cs >= 0 &&
		    (sum->rows[rm].cells[cs].status == COR_CELL_NA ||
		     sum->rows[rw].cells[cs].status == COR_CELL_NA)) {
			snprintf(s2, sizeof(s2), "The shares of minors and of "
			         "women and girls are not available (%s).",
			         sum->rows[rm].cells[cs].reason ?
			         sum->rows[rm].cells[cs].reason :
			         sum->rows[rw].cells[cs].reason ?
			         sum->rows[rw].cells[cs].reason :
			         "not computable");
		} else if (rm >= 0 && rw >= 0 && cs >= 0) {
			char m1[160], m2[160];

			char c1s[240], c2s[240];
			int wm = sum->rows[rm].cells[cs].status ==
			         COR_CELL_SUPPRESSED;
			int ww = sum->rows[rw].cells[cs].status ==
			         COR_CELL_SUPPRESSED;

			/* a withheld share is said, not printed as "x" */
			if (wm)
				snprintf(c1s, sizeof(c1s), "The share%s of "
				         "minors%s withheld", ww ? "s" : "",
				         ww ? " and of women and girls are" :
				         " is");
			else
				snprintf(c1s, sizeof(c1s), "Minors were %s of "
				         "%s", fmt(b, R_BR, sum, rm, cs, m1,
				         sizeof(m1)), base_words(b, sum, rm, cs,
				         "age"));
			if (wm && ww)
				c2s[0] = '\0';
			else if (ww)
				snprintf(c2s, sizeof(c2s), "; the share of "
				         "women and girls is withheld");
			else
				snprintf(c2s, sizeof(c2s), "%swomen and girls "
				         "%s%s of %s", wm ? "; " : " and ",
				         wm ? "were " : "", fmt(b, R_BR, sum, rw,
				         cs, m2, sizeof(m2)), base_words(b, sum,
				         rw, cs, "sex"));
			snprintf(s2, sizeof(s2), "%s%s%s%s%s.", c1s, c2s,
			         ex && ex->nrow ? "; the leading form of "
			         "exploitation was " : "",
			         ex && ex->nrow ? lower(humanise(b, code_name(
			         &ex->rows[0].cells[0]))) : "", "");
			for (char *c = s2; *c; c++)
				if (c[0] == '.' && c[1] == '\0' &&
				    c > s2 && c[-1] == '.')
					c[0] = '\0';
		} else {
			snprintf(s2, sizeof(s2), "The profile of cases is not "
			         "available for %s.", b->ql);
		}
		if (b->r[R_BR] != NULL && b->r[R_BR]->has_trend &&
		    b->r[R_BR]->trend.estimable) {
			const cor_stats_trend *tr = &b->r[R_BR]->trend;
			char p1[32], p2[32], p3[32];

			snprintf(s3, sizeof(s3), "From %s to %s the number of "
			         "%s changed by %s a year (95%% CI %s to "
			         "%s, %s model).", b->qfirst, b->ql, cases_w(b),
			         spct(tr->pct_per_year, p1, sizeof(p1)),
			         spct(tr->pct_lo, p2, sizeof(p2)),
			         spct(tr->pct_hi, p3, sizeof(p3)),
			         tr->quasi ? "quasi-Poisson" : "Poisson");
		} else if (b->r[R_BR] != NULL && b->r[R_BR]->has_trend) {
			snprintf(s3, sizeof(s3), "Trend not estimable (%s).",
			         b->r[R_BR]->trend.reason);
		} else {
			snprintf(s3, sizeof(s3), "Trend not estimable (%s).",
			         b->failed[R_BR] ? b->why[R_BR] :
			         "no trend model in the result");
		}
		{
			char *all = bprintf(b, "%s %s %s", s1, s2, s3);

			if (all == NULL)
				return oom(b);
			rc = para(b, COR_PDF_BODY, all, &y);
		}
	}
	return rc;
}

/* Coordinates and local name of gazetteer place id (from load_meta's
 * place rows, sorted by id). *lat is NaN when the place is unknown. */
static void place_coords(brief *b, const char *id, double *lat, double *lon,
                         const char **local)
{
	int lo = 0, hi = b->places ? PQntuples(b->places) - 1 : -1;

	*lat = *lon = NAN;
	*local = NULL;
	while (lo <= hi) {
		int mid = (lo + hi) / 2, c;

		if (PQgetisnull(b->places, mid, 0)) {
			lo = mid + 1;      /* NULLs sort last; none expected */
			continue;
		}
		c = strcmp(PQgetvalue(b->places, mid, 0), id);
		if (c == 0) {
			*lat = strtod(PQgetvalue(b->places, mid, 1), NULL);
			*lon = strtod(PQgetvalue(b->places, mid, 2), NULL);
			if (!PQgetisnull(b->places, mid, 3))
				*local = PQgetvalue(b->places, mid, 3);
			return;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
}

/* Cases through place `code` from the nodes table; NaN when absent. */
static cor_pdf_val node_count(const cor_stats_table *nd, int np, int nn,
                              const char *code)
{
	for (int i = 0; nd != NULL && np >= 0 && nn >= 0 && i < nd->nrow; i++)
		if (nd->rows[i].cells[np].code != NULL &&
		    strcmp(nd->rows[i].cells[np].code, code) == 0)
			return cell_val(&nd->rows[i].cells[nn], 1);
	return (cor_pdf_val){ NAN, 0 };
}

static int node_index(const char **ids, size_t n, const char *code)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(ids[j], code) == 0)
			return (int)j;
	return -1;
}

/* Adds place cell c (a CODE cell: gazetteer id and name) to the route
 * diagram's nodes unless it is there or has no coordinates. 0, or
 * COR_ENOMEM. */
static int route_node(brief *b, const cor_stats_cell *c,
                      const cor_stats_table *nd, int np, int nn,
                      cor_pdf_node *nodes, const char **ids, size_t *nnode)
{
	double lat, lon;
	const char *local;
	size_t j = *nnode;

	if (c->code == NULL || node_index(ids, j, c->code) >= 0)
		return 0;
	place_coords(b, c->code, &lat, &lon, &local);
	if (!isfinite(lat) || !isfinite(lon))
		return 0;
	ids[j] = c->code;
	/* "Moyale (ET) / ሞያሌ": two Moyales and two Namangas sit on the
	 * borders */
	nodes[j].label = local ?
	        bprintf(b, "%s (%.2s) / %s", code_name(c), c->code, local) :
	        bprintf(b, "%s (%.2s)", code_name(c), c->code);
	if (nodes[j].label == NULL)
		return COR_ENOMEM;
	nodes[j].lat = lat;
	nodes[j].lon = lon;
	nodes[j].count = node_count(nd, np, nn, c->code);
	(*nnode)++;
	return 0;
}

/* "Other legs on the map (cases): Musina (ZA) → Johannesburg (ZA) 384;
 * ...": the legs drawn (rows legrow[0..nleg-1] of lg) that are not among
 * the first `shown` rows of the table (rows[]), in table order; "" when
 * none. NULL on OOM. */
static const char *other_legs(brief *b, const cor_stats_table *lg,
                              const int *rows, int shown, const int *legrow,
                              size_t nleg)
{
	int cf = col_of(lg, COR_COL_CODE, 0), ct = col_of(lg, COR_COL_CODE, 1);
	int cn = cor_stats_col_find(lg, "n");
	char *s = bprintf(b, "%s", ""), buf[64];
	int n = 0;

	/* withheld legs last (withheld_last) */
	for (size_t k = 0; s != NULL && k < 2 * nleg; k++) {
		int i = legrow[k % nleg], in_table = 0;
		const cor_stats_cell *a = &lg->rows[i].cells[cf];
		const cor_stats_cell *z = &lg->rows[i].cells[ct];

		for (int j = 0; j < shown; j++)
			in_table |= rows[j] == i;
		if (in_table || (lg->rows[i].cells[cn].status ==
		                 COR_CELL_SUPPRESSED) != (k >= nleg))
			continue;
		s = bprintf(b, "%s%s%s (%.2s) → %s (%.2s) %s", s, n++ ? "; " :
		            "Other legs on the map (cases): ", code_name(a),
		            a->code, code_name(z), z->code, fmt(b, R_BR, lg, i,
		            cn, buf, sizeof(buf)));
	}
	if (s != NULL && n > 0)
		s = bprintf(b, "%s.", s);
	return s;
}

static int page_route(brief *b)
{
	const cor_stats_table *lg = tab(b, R_BR, "legs");
	const cor_stats_table *nd = tab(b, R_BR, "nodes");
	int cf = col_of(lg, COR_COL_CODE, 0), ct = col_of(lg, COR_COL_CODE, 1);
	int cn = cor_stats_col_find(lg, "n");
	int np = nd ? col_of(nd, COR_COL_CODE, 0) : -1;
	int nn = cor_stats_col_find(nd, "n");
	size_t cap = (size_t)((nd ? nd->nrow : 0) + 2 * (lg ? lg->nrow : 0) +
	                      1);
	cor_pdf_node *nodes = balloc(b, cap * sizeof(*nodes));
	cor_pdf_leg *legs = balloc(b, (size_t)(lg ? lg->nrow + 1 : 1) *
	                           sizeof(*legs));
	int *legrow = balloc(b, (size_t)(lg ? lg->nrow + 1 : 1) *
	                     sizeof(*legrow));
	const char **ids = balloc(b, cap * sizeof(*ids));
	size_t nnode = 0, nleg = 0;
	int *top = NULL, ntop = 0;
	cor_pdf_route r;
	double y;
	int rc;

	if (nodes == NULL || legs == NULL || ids == NULL || legrow == NULL)
		return oom(b);
	rc = cor_pdf_page_add(b->pdf, &y, b->err);
	if (rc == 0)
		rc = heading(b, "Route", &y);
	if (rc != 0)
		return rc;
	/* nodes: the busiest places of the nodes table (a diagram of every
	 * place is unreadable), plus the ends of the legs drawn */
	{
		int nr = nd ? nd->nrow : 0;

		top = balloc(b, (size_t)(nr + 1) * sizeof(*top));
		if (top == NULL)
			return oom(b);
		for (int i = 0; nd != NULL && nn >= 0 && i < nr; i++) {
			const cor_stats_cell *c = &nd->rows[i].cells[nn];
			int j;

			if (nd->rows[i].margin || c->status != COR_CELL_OK ||
			    c->n <= 0)
				continue;
			for (j = ntop; j > 0 &&
			     nd->rows[top[j - 1]].cells[nn].n < c->n; j--)
				top[j] = top[j - 1];
			top[j] = i;
			ntop++;
		}
		if (ntop > MAX_TOP)
			ntop = MAX_TOP;
	}
	/* the busiest places, then the ends of the busiest legs while they
	 * fit (so that the main corridor is drawn joined up: a border post
	 * between two busy places is added with its legs) */
	for (int ii = 0; np >= 0 && ii < ntop; ii++)
		if (route_node(b, &nd->rows[top[ii]].cells[np], nd, np, nn,
		               nodes, ids, &nnode) == COR_ENOMEM)
			return oom(b);
	if (lg != NULL && cf >= 0 && ct >= 0 && cn >= 0) {
		int *ord = balloc(b, (size_t)(lg->nrow + 1) * sizeof(*ord));
		int no = 0;

		if (ord == NULL)
			return oom(b);
		for (int i = 0; i < lg->nrow; i++) {
			const cor_stats_cell *c = &lg->rows[i].cells[cn];
			int j;

			if (lg->rows[i].margin || c->status != COR_CELL_OK ||
			    c->n <= 0)
				continue;
			for (j = no; j > 0 &&
			     lg->rows[ord[j - 1]].cells[cn].n < c->n; j--)
				ord[j] = ord[j - 1];
			ord[j] = i;
			no++;
		}
		for (int k = 0; k < no && nnode < MAX_NODES; k++) {
			const cor_stats_cell *a = &lg->rows[ord[k]].cells[cf];
			const cor_stats_cell *z = &lg->rows[ord[k]].cells[ct];
			int ia, iz;

			if (a->code == NULL || z->code == NULL)
				continue;
			ia = node_index(ids, nnode, a->code);
			iz = node_index(ids, nnode, z->code);
			if (nnode + (ia < 0) + (iz < 0) > MAX_NODES)
				continue;
			if ((ia < 0 && route_node(b, a, nd, np, nn, nodes, ids,
			                          &nnode) == COR_ENOMEM) ||
			    (iz < 0 && route_node(b, z, nd, np, nn, nodes, ids,
			                          &nnode) == COR_ENOMEM))
				return oom(b);
		}
	}
	/* every leg between two places drawn, withheld ones too (dashed) */
	for (int i = 0; lg != NULL && cf >= 0 && ct >= 0 && cn >= 0 &&
	     i < lg->nrow; i++) {
		const cor_stats_cell *a = &lg->rows[i].cells[cf];
		const cor_stats_cell *z = &lg->rows[i].cells[ct];
		int ia, iz;

		if (lg->rows[i].margin || a->code == NULL || z->code == NULL)
			continue;
		ia = node_index(ids, nnode, a->code);
		iz = node_index(ids, nnode, z->code);
		if (ia < 0 || iz < 0)
			continue;
		legrow[nleg] = i;
		legs[nleg].from = (size_t)ia;
		legs[nleg].to = (size_t)iz;
		legs[nleg].flow = cell_val(&lg->rows[i].cells[cn], 1);
		nleg++;
	}
	memset(&r, 0, sizeof(r));
	r.title = b->req->county ?
	          bprintf(b, "Recorded routes of cases linked to %s, %s",
	                  area(b), b->ql) :
	          bprintf(b, "Recorded routes on %s, %s", area(b), b->ql);
	r.nnodes = nnode;
	r.nlegs = nleg;
	r.nodes = nodes;
	r.legs = legs;
	r.flow_label = "Line width is proportional to the cases recorded on "
	               "the leg. Places at their latitude and longitude "
	               "(equirectangular, east-west scaled by the cosine of "
	               "the mean latitude).";
	{
		/* say when the diagram leaves places out */
		int nplace = 0;

		for (int i = 0; nd != NULL && i < nd->nrow; i++)
			nplace += !nd->rows[i].margin;
		if ((int)nnode < nplace) {
			r.flow_label = bprintf(b, "%s Shown: the %d places with "
			                       "the most cases and those joining "
			                       "the busiest legs, of %d on "
			                       "recorded routes (all in corridor "
			                       "stats nodes).", r.flow_label,
			                       (int)nnode, nplace);
			if (r.flow_label == NULL)
				return oom(b);
		}
	}
	r.empty_note = b->failed[R_BR] ? b->why[R_BR] :
	               bprintf(b, "No recorded routes in %s", b->ql);
	rc = cor_pdf_route_diagram(b->pdf, (cor_pdf_box){ M, y, CW, 470 }, &r,
	                           b->err);
	if (rc != 0)
		return rc;
	y += 480;
	{
		static const char *const keys[] = { "from", "to", "n", "share",
			"fee_usd", "days" };
		cor_pdf_table t;
		int *rows, nr, nskip, fit;
		double h;
		static const double w[] = { 0.15, 0.15, 0.07, 0.19, 0.23,
			0.21 };

		const char *more = NULL;

		rows = pick_rows(b, lg, 0, &nr, &nskip);
		if (rows == NULL)
			return oom(b);
		withheld_last(lg, "n", rows, nr);
		/* one-line rows (13 pt) under a title and a 2-line header,
		 * then the other legs of the map in a paragraph: fewer table
		 * rows until both fit */
		fit = (int)((cor_pdf_content_bottom(b->pdf) - y - 40) / 13.5);
		if (fit > 10)
			fit = 10;
		for (;;) {
			double ph = 0;
			int shown = nr < fit ? nr : fit;

			more = other_legs(b, lg, rows, shown, legrow, nleg);
			if (more == NULL)
				return oom(b);
			if (*more != '\0') {
				rc = cor_pdf_text(b->pdf, COR_PDF_SMALL,
				                  COR_PDF_LEFT, M, 0, CW, more, 0,
				                  &ph, b->err);
				if (rc != 0)
					return rc;
			}
			/* a row is 13 to 15 pt (8 pt text, padding) */
			if (fit <= 3 || y + 44 + 15.5 * shown + ph + 8 <=
			    cor_pdf_content_bottom(b->pdf))
				break;
			fit--;
		}
		rc = table_of(b, R_BR, lg, keys, 6, rows, nr < fit ? nr : fit,
		              &t);
		if (rc != 0)
			return rc;
		if (t.ncols == 0)
			return missing(b, b->failed[R_BR] ? bprintf(b, "Leg "
			               "statistics are not available (%s).",
			               b->why[R_BR]) : "Leg statistics are not "
			               "available.", &y);
		t.title = "Top legs by cases (median fee in USD and days in "
		          "transit where recorded)";
		t.widths = t.ncols == 6 ? w : NULL;
		t.empty_note = "No legs recorded in this quarter.";
		rc = cor_pdf_table_draw(b->pdf, (cor_pdf_box){ M, y, CW, 200 },
		                        &t, &h, b->err);
		y += h + 4;
		if (rc == 0 && *more != '\0')
			rc = para(b, COR_PDF_SMALL, more, &y);
	}
	return rc;
}

/* 1 when some count of t is not zero, printed or withheld: an empty
 * chart then says its counts are withheld, not that there were none
 * (fresh-eyes trial: Samburu's page 3 said "No cases recorded" beside
 * 7 linked cases on page 1). */
static int has_cases(const cor_stats_table *t)
{
	for (int i = 0; t != NULL && i < t->nrow; i++)
		for (int j = 0; j < t->ncol; j++)
			if (t->cols[j].type == COR_COL_COUNT &&
			    t->rows[i].cells[j].n > 0)
				return 1;
	return 0;
}

/* Chart data of table `name` of result slot, ready to draw. */
static int bars_prep(brief *b, int slot, const char *name, int swap,
                     const char *const *keys, const char *title,
                     cor_pdf_bars *c)
{
	const cor_stats_table *t = tab(b, slot, name);
	int rc = table_bars(b, t, swap, keys, c, 14);

	if (rc != 0)
		return rc;
	c->title = title;
	c->value_label = "cases";
	c->empty_note = b->failed[slot] ? b->why[slot] : has_cases(t) ?
	                bprintf(b, "All counts withheld in %s (disclosure "
	                        "control: fewer than %d cases, or protecting "
	                        "such a count)", b->ql, b->k) :
	                bprintf(b, "No cases recorded in %s", b->ql);
	return 0;
}

/* Height that gives each bar about 5.5 pt (a category at least 12 pt)
 * plus title, legend and axis; at least 90 pt (the "no data" box). */
static double bars_height(const cor_pdf_bars *c)
{
	double per = (c->nser > 2 ? 4.5 : 5.5) * (double)c->nser + 3.0;

	if (per < 12.0)
		per = 12.0;
	return fmax(90.0, 58.0 + per * (double)c->ncat);
}

static int bars_or_note(brief *b, int slot, const char *name, int swap,
                        const char *const *keys, const char *title,
                        double *y)
{
	cor_pdf_bars c;
	double h;
	int rc = bars_prep(b, slot, name, swap, keys, title, &c);

	if (rc != 0)
		return rc;
	h = bars_height(&c);
	rc = cor_pdf_bar_chart(b->pdf, (cor_pdf_box){ M, *y, CW, h }, &c,
	                       b->err);
	*y += h + 12;
	return rc;
}

/* Draws a table, in two side-by-side halves when that avoids a page
 * break, else continued on new pages. skip_zero leaves out rows whose
 * counts are all published zeros (stated under the table). */
static int long_table(brief *b, int slot, const cor_stats_table *t,
                      const char *const *keys, size_t nkeys, int skip_zero,
                      const char *title, const char *empty, double *y)
{
	int n, nskip, first = 0, rc;
	int *rows = pick_rows(b, t, skip_zero, &n, &nskip);
	const double rowh = 14.0;

	if (rows == NULL)
		return oom(b);
	if (n == 0 && nskip > 0) {
		/* every row a published zero: one statement, not "not
		 * available" followed by "N rows left out" */
		empty = bprintf(b, "No recorded case in any of its %d rows.",
		                nskip);
		if (empty == NULL)
			return oom(b);
		nskip = 0;
	}
	do {
		/* title, heading row and the note under the table */
		double room = cor_pdf_content_bottom(b->pdf) - *y - 46, h = 0;
		int fit = (int)(room / rowh), halves, per;
		cor_pdf_table pt;

		if (fit < 4 && n - first > fit) {
			rc = cor_pdf_page_add(b->pdf, y, b->err);
			if (rc != 0)
				return rc;
			continue;
		}
		/* halves only for narrow tables: five columns in half a
		 * page wrap their headings */
		halves = n - first > fit && n - first <= 2 * fit &&
		         nkeys <= 3 ? 2 : 1;
		per = halves == 2 ? (n - first + 1) / 2 : n - first < fit ?
		      n - first : fit;
		for (int hv = 0; hv < halves; hv++) {
			int cnt = first + per > n ? n - first : per;
			double hh, w = halves == 2 ? CW / 2 - 6 : CW;

			rc = table_of(b, slot, t, keys, nkeys, rows + first,
			              cnt, &pt);
			if (rc != 0)
				return rc;
			if (pt.ncols == 0)
				return missing(b, empty, y);
			pt.title = first == 0 ? title : hv == 0 ?
			           bprintf(b, "%s (continued)", title) : " ";
			pt.empty_note = empty;
			rc = cor_pdf_table_draw(b->pdf, (cor_pdf_box){ M +
			                        hv * (CW / 2 + 6), *y, w,
			                        room }, &pt, &hh, b->err);
			if (rc != 0)
				return rc;
			h = hh > h ? hh : h;
			first += cnt;
		}
		*y += h + 6;
	} while (first < n);
	if (nskip > 0) {
		rc = para(b, COR_PDF_SMALL, bprintf(b, "%d row%s with no "
		          "recorded case left out.", nskip, nskip == 1 ? "" :
		          "s"), y);
		if (rc != 0)
			return rc;
	}
	*y += 6;
	return 0;
}

static int page_who(brief *b)
{
	static const char *const ck[] = { "county", "n", "n_source",
		"n_transit", "n_destination" };
	cor_pdf_bars ex, ag;
	double y, h, hw = (CW - 18) / 2;
	int rc;

	rc = cor_pdf_page_add(b->pdf, &y, b->err);
	if (rc == 0)
		rc = heading(b, "Who and what", &y);
	if (rc == 0)
		rc = bars_prep(b, R_BR, "exploitation_sex", 0, NULL,
		               "Exploitation by sex (several per case)", &ex);
	if (rc == 0)
		rc = bars_prep(b, R_BR, "sex_age", 1, NULL,
		               "Age bands (years) by sex", &ag);
	if (rc != 0)
		return rc;
	/* side by side: both are small multiples of the same sexes */
	h = fmax(bars_height(&ex), bars_height(&ag));
	rc = cor_pdf_bar_chart(b->pdf, (cor_pdf_box){ M, y, hw, h }, &ex,
	                       b->err);
	if (rc == 0)
		rc = cor_pdf_bar_chart(b->pdf, (cor_pdf_box){ M + hw + 18, y,
		                       hw, h }, &ag, b->err);
	y += h + 12;
	if (rc == 0)
		rc = bars_or_note(b, R_BR, "control", 0, NULL,
		                  "Means of control (a case may have several)",
		                  &y);
	if (rc == 0)
		rc = long_table(b, R_BR, tab(b, R_BR, "counties"), ck, 5,
		                1, "Kenyan counties: cases identified; the "
		                "county as source, transit point or "
		                "destination",
		                b->failed[R_BR] ?
		                b->why[R_BR] : "County statistics are not "
		                "available.", &y);
	return rc;
}

/* The year-on-year change of a stocks row as a whole percentage with its
 * sign ("+1%", "+400%", "-3%", "0%"), from the stats cell change_pct
 * (row r, column cc). "n/a" when the year has no row, the previous
 * year's stock (row rprev, column cn) is missing or 0, or the cell is not
 * a finite published number; a withheld cell prints as the stats API
 * prints it. */
static const char *stock_change(brief *b, const cor_stats_table *t, int r,
                                int rprev, int cn, int cc)
{
	const cor_stats_cell *c, *base;
	char buf[64];

	if (r < 0 || cc < 0 || rprev < 0 || cn < 0)
		return "n/a";
	c = &t->rows[r].cells[cc];
	base = &t->rows[rprev].cells[cn];
	if (c->status == COR_CELL_SUPPRESSED)
		return bprintf(b, "%s", fmt(b, R_STK, t, r, cc, buf,
		               sizeof(buf)));
	if (c->status != COR_CELL_OK || !isfinite(c->v) ||
	    base->status != COR_CELL_OK || base->n <= 0)
		return "n/a";
	return bprintf(b, "%s", spct(c->v, buf, sizeof(buf)));
}

/* UNHCR stocks as pairs x years: n (refugees + asylum-seekers) per
 * year, then the latest year-on-year change; cells as formatted by
 * cor_stats_cell_format (counts with thousands separators). */
static int stocks_table(brief *b, double *y)
{
	const cor_stats_table *t = tab(b, R_STK, "stocks");
	int co = cor_stats_col_find(t, "origin");
	int ca = cor_stats_col_find(t, "asylum");
	int cp = cor_stats_col_find(t, "period");
	int cn = cor_stats_col_find(t, "n");
	int cc = cor_stats_col_find(t, "change_pct");
	enum { NY = 5 };
	int npair = 0, *first, (*cell)[NY + 1], rc;
	const char **hd, **cells;
	cor_pdf_table pt;
	double h;
	char buf[128];

	if (t == NULL || co < 0 || ca < 0 || cp < 0 || cn < 0)
		return missing(b, b->failed[R_STK] ? bprintf(b, "UNHCR stock "
		               "statistics are not available (%s).",
		               b->why[R_STK]) : "UNHCR stock statistics are "
		               "not available.", y);
	first = balloc(b, (size_t)(t->nrow + 1) * sizeof(*first));
	cell = balloc(b, (size_t)(t->nrow + 1) * sizeof(*cell));
	hd = balloc(b, (NY + 3) * sizeof(*hd));
	cells = balloc(b, (size_t)(t->nrow + 1) * (NY + 3) * sizeof(*cells));
	if (first == NULL || cell == NULL || hd == NULL || cells == NULL)
		return oom(b);
	for (int r = 0; r < t->nrow; r++) {
		const cor_stats_cell *x = t->rows[r].cells;
		int yr, p, yi;

		if (t->rows[r].margin || x[co].code == NULL ||
		    x[ca].code == NULL || x[cp].code == NULL)
			continue;
		yr = atoi(x[cp].code);
		yi = yr - (b->y - NY + 1);
		if (yi < 0 || yi >= NY)
			continue;
		for (p = 0; p < npair; p++) {
			const cor_stats_cell *f = t->rows[first[p]].cells;

			if (strcmp(f[co].code, x[co].code) == 0 &&
			    strcmp(f[ca].code, x[ca].code) == 0)
				break;
		}
		if (p == npair) {
			first[npair] = r;
			for (int j = 0; j <= NY; j++)
				cell[npair][j] = -1;
			npair++;
		}
		cell[p][yi] = r;
		if (yi == NY - 1)
			cell[p][NY] = r;
	}
	hd[0] = "Origin";
	hd[1] = "Asylum";
	for (int j = 0; j < NY; j++)
		hd[2 + j] = bprintf(b, "%d", b->y - NY + 1 + j);
	hd[NY + 2] = bprintf(b, "Change %d on %d", b->y, b->y - 1);
	for (int p = 0; p < npair; p++) {
		const cor_stats_cell *f = t->rows[first[p]].cells;

		cells[p * (NY + 3)] = code_name(&f[co]);
		cells[p * (NY + 3) + 1] = code_name(&f[ca]);
		for (int j = 0; j < NY; j++) {
			int r = cell[p][j];

			cells[p * (NY + 3) + 2 + j] = r < 0 ? "n/a" :
			        bprintf(b, "%s", fmt(b, R_STK, t, r, cn, buf,
			                sizeof(buf)));
		}
		cells[p * (NY + 3) + 2 + NY] = stock_change(b, t, cell[p][NY],
		                                            cell[p][NY - 2],
		                                            cn, cc);
	}
	memset(&pt, 0, sizeof(pt));
	pt.title = bprintf(b, "UNHCR stocks for corridor origin–destination "
	                   "pairs: refugees and asylum-seekers at the end of "
	                   "%d to %d", b->y - NY + 1, b->y);
	{
		static const cor_pdf_align al[NY + 3] = { COR_PDF_LEFT,
			COR_PDF_LEFT, COR_PDF_RIGHT, COR_PDF_RIGHT,
			COR_PDF_RIGHT, COR_PDF_RIGHT, COR_PDF_RIGHT,
			COR_PDF_RIGHT };
		static const double w[NY + 3] = { 0.1, 0.27, 0.1, 0.1,
			0.1, 0.1, 0.1, 0.13 };

		pt.align = al;
		pt.widths = w;
	}
	pt.ncols = NY + 3;
	pt.nrows = (size_t)npair;
	pt.headers = hd;
	pt.cells = cells;
	pt.empty_note = "No UNHCR stocks for the corridor pairs in these "
	                "years.";
	rc = cor_pdf_table_draw(b->pdf, (cor_pdf_box){ M, *y, CW, 300 }, &pt,
	                        &h, b->err);
	*y += h + 8;
	return rc;
}

/* Dead and missing per quarter over the 12 quarters ending with the
 * brief's: bars (no trend model: counts are few and lumpy), withheld
 * quarters hatched, totals of the window under the chart. */
static int deaths_chart(brief *b, double *y)
{
	const cor_stats_table *t = tab(b, R_INC, "incidents_period");
	int cp = col_of(t, COR_COL_PERIOD, 0), cn = cor_stats_col_find(t, "n");
	int cd = cor_stats_col_find(t, "dead");
	int cm = cor_stats_col_find(t, "missing");
	size_t n = t ? (size_t)t->nrow : 0, m = 0;
	const char **per = balloc(b, (n + 1) * sizeof(*per));
	cor_pdf_val *cnt = balloc(b, (n + 1) * sizeof(*cnt));
	cor_pdf_trend tr;
	char b1[64], b2[64], b3[64];
	int tot = -1, rc;

	if (per == NULL || cnt == NULL)
		return oom(b);
	if (b->inc_first[0] == '\0' || strcmp(b->to, b->inc_first) < 0)
		return missing(b, b->inc_first[0] ? bprintf(b, "The Missing "
		               "Migrants data loaded begin on %s, after %s: "
		               "deaths and disappearances cannot be shown for "
		               "these quarters.", b->inc_first, b->ql) :
		               "No Missing Migrants incidents loaded.", y);
	for (int r = 0; t != NULL && cp >= 0 && cn >= 0 && r < t->nrow; r++) {
		if (t->rows[r].margin) {
			tot = r;
			continue;
		}
		per[m] = t->rows[r].cells[cp].code;
		cnt[m++] = cell_val(&t->rows[r].cells[cn], 1);
	}
	memset(&tr, 0, sizeof(tr));
	tr.title = bprintf(b, "Dead and missing near the corridor by quarter, "
	                   "%s to %s (IOM Missing Migrants Project)",
	                   b->qfirst, b->ql);
	tr.value_label = "people";
	tr.period_label = "Quarter of the report";
	tr.n = m;
	tr.periods = per;
	tr.counts = cnt;
	tr.count_name = "Dead and missing (people)";
	tr.empty_note = b->failed[R_INC] ? b->why[R_INC] :
	                bprintf(b, "No dead or missing recorded near the "
	                        "corridor from %s to %s", b->qfirst, b->ql);
	rc = cor_pdf_trend_chart(b->pdf, (cor_pdf_box){ M, *y, CW, 200 }, &tr,
	                         b->err);
	*y += 206;
	if (rc != 0 || tot < 0 || cd < 0 || cm < 0)
		return rc;
	return para(b, COR_PDF_SMALL, bprintf(b, "Over the 12 quarters: %s "
	            "dead and missing (%s dead, %s missing), incidents within "
	            "%.0f km of a corridor leg.%s%s%s", fmt(b, R_INC, t, tot,
	            cn, b1, sizeof(b1)), fmt(b, R_INC, t, tot, cd, b2,
	            sizeof(b2)), fmt(b, R_INC, t, tot, cm, b3, sizeof(b3)),
	            COR_STATS_BUFFER_KM, strcmp(b->wfrom, b->inc_first) < 0 ?
	            " The data loaded begin on " : "",
	            strcmp(b->wfrom, b->inc_first) < 0 ? b->inc_first : "",
	            strcmp(b->wfrom, b->inc_first) < 0 ? "." : ""), y);
}

static int page_deaths(brief *b)
{
	double y;
	int rc;

	rc = cor_pdf_page_add(b->pdf, &y, b->err);
	if (rc == 0)
		rc = heading(b, "Deaths and missing; displacement", &y);
	if (rc == 0 && b->req->county != NULL)
		/* the public sources carry no county: say so plainly */
		rc = para(b, COR_PDF_BOLD, bprintf(b, "Not filtered by county: "
		          "the Missing Migrants and UNHCR figures on this page "
		          "are route-wide (national and cross-border) and are "
		          "the same in every county brief; they do not "
		          "describe %s County.", b->county_name), &y);
	if (rc != 0)
		return rc;
	if (!b->has_fmt[2])
		rc = missing(b, "No Missing Migrants data loaded: deaths and "
		             "disappearances on the route cannot be shown.",
		             &y);
	else
		rc = deaths_chart(b, &y);
	if (rc != 0)
		return rc;
	y += 10;
	if (!b->has_fmt[3])
		return missing(b, "No UNHCR data loaded: displacement stocks "
		               "cannot be shown.", &y);
	return stocks_table(b, &y);
}

/* A warning of the statistics in plain words. A change-point flag (a
 * warning "flag: ... from 2017Q3 ...", see the series table of
 * cor_stats_run) reads "The number of cases may have shifted in 2017Q3
 * (automatic change-point flag, not a finding)."; other warnings print as
 * "Note: ...". NULL on OOM. */
static const char *note_words(brief *b, int slot, const char *w)
{
	const char *what = slot == R_INC ? "dead and missing" :
	                   slot == R_STK ? "refugees and asylum-seekers" :
	                   cases_w(b);
	const char *q;

	if (strncmp(w, "flag: ", 6) != 0)
		return bprintf(b, "Note: %s.", w);
	/* the period the flag names: "from 2017Q3", "from 2019-11" */
	if ((q = strstr(w, " from ")) != NULL) {
		size_t n;

		q += 6;
		n = strspn(q, "0123456789Q-");
		if (n >= 4)
			return bprintf(b, "The number of %s may have shifted "
			               "in %.*s (automatic change-point flag, "
			               "not a finding).", what, (int)n, q);
	}
	return bprintf(b, "Note: %s.", w + 6);
}

/* Appends id to (*ids, *n) unless there. -1 when out of memory (then
 * *ids is freed and NULL). */
static int id_add(long long **ids, int *n, long long id)
{
	long long *p;

	for (int m = 0; m < *n; m++)
		if ((*ids)[m] == id)
			return 0;
	p = realloc(*ids, (size_t)(*n + 1) * sizeof(**ids));
	if (p == NULL) {
		free(*ids);
		*ids = NULL;
		return -1;
	}
	*ids = p;
	p[(*n)++] = id;
	return 0;
}

static int page_methods(brief *b)
{
	double y, h;
	int rc;
	long long *ids = NULL;
	int nid = 0;
	static const char *const fmts[4] = { "cases", "ctdc", "mmp",
	                                     "unhcr" };
	int used_fmt[4] = { 0, 0, 0, 0 };
	char nsup[48];

	rc = cor_pdf_page_add(b->pdf, &y, b->err);
	if (rc == 0)
		rc = heading(b, "Methods and provenance", &y);
	if (rc != 0)
		return rc;
	{
		const char *txt[] = {
			"Definitions. A case is one record of a person "
			"identified as a victim of trafficking, a smuggled "
			"migrant or a vulnerable migrant, counted by the quarter "
			"of its registration date. A leg is a consecutive pair of "
			"places on a recorded route; a transit node is a place "
			"on a route between its origin and its last place. "
			"Minors are persons under 18 at registration.",
			"Methods. Shares carry Wilson score 95% intervals "
			"(Wilson 1927). Changes against the previous quarter and "
			"the same quarter a year earlier are rate ratios of two "
			"counts with exact conditional 95% intervals "
			"(Clopper–Pearson on a/(a+b), as R's poisson.test), worded "
			"as percentage changes. The quarterly trend is a "
			"log-linear Poisson model fitted by IRLS (McCullagh and "
			"Nelder 1989), quasi-Poisson when over-dispersed; its band "
			"is the 95% interval of the fitted mean. Medians of fees "
			"and days carry a seeded bootstrap interval (Efron and "
			"Tibshirani 1993). Dead and missing are Missing Migrants "
			"incidents within the buffer of a corridor leg.",
			NULL, NULL, NULL };
		char *dc = bprintf(b, "Disclosure control. Counts from 1 to %d "
		                   "are withheld and printed as <%d; further "
		                   "cells are withheld so that none can be "
		                   "recovered from the printed totals "
		                   "(complementary suppression, printed x), and "
		                   "shares, medians and rate ratios from fewer "
		                   "than %d records, or from a withheld count, "
		                   "are withheld too (x). When a quarter is "
		                   "withheld the trend is fitted on the published "
		                   "quarters only.%s Cells withheld in this brief: "
		                   "%s. k = %d.", b->k - 1, b->k, b->k,
		                   b->req->county != NULL ? " As the county's "
		                   "cases are among the corridor's, and some are "
		                   "also other counties' cases, a count the "
		                   "national brief of the quarter, or the brief of "
		                   "a county sharing cases with this one, withholds "
		                   "is withheld here too when it is the same "
		                   "number, and a count those briefs print is "
		                   "never withheld here to protect another. County "
		                   "briefs of the same quarter can be published "
		                   "side by side." : "",
		                   grp(b->suppressed, nsup, sizeof(nsup)), b->k);
		char *cov = bprintf(b, "Coverage. Case records are those "
		                    "reported by the organisations that loaded "
		                    "them; they count identified cases, not "
		                    "the number of people moving. %s%s%s",
		                    b->synthetic ? "This brief uses SYNTHETIC "
		                    "case records generated by corridor synth: "
		                    "its numbers describe no real person and must "
		                    "not be published. " : "",
		                    b->has_fmt[2] ? "" : "No Missing Migrants "
		                    "data loaded. ", b->has_fmt[3] ? "" :
		                    "No UNHCR data loaded.");

		if (dc == NULL || cov == NULL)
			return oom(b);
		txt[2] = dc;
		txt[3] = cov;
		for (int i = 0; txt[i] != NULL; i++) {
			rc = para(b, COR_PDF_BODY, txt[i], &y);
			if (rc != 0)
				return rc;
			y += 2;
		}
		for (int i = 0; i < NKIND; i++) {
			if (!b->failed[i])
				continue;
			rc = para(b, COR_PDF_SMALL, bprintf(b, "Not available: "
			          "%s statistics (%s).", kind_label[i],
			          b->why[i]), &y);
			if (rc != 0)
				return rc;
		}
		for (int i = 0; i < NKIND; i++)
			for (int w = 0; b->r[i] != NULL && w < b->r[i]->nwarn;
			     w++) {
				const char *s = note_words(b, i,
				                           b->r[i]->warnings[w]);
				int dup = 0;

				if (s == NULL)
					return oom(b);
				/* each note once, whichever request gave it */
				for (int i2 = 0; i2 <= i && !dup; i2++)
					for (int w2 = 0; b->r[i2] != NULL &&
					     w2 < (i2 < i ? b->r[i2]->nwarn : w);
					     w2++)
						dup |= strcmp(b->r[i2]->
						        warnings[w2], b->r[i]->
						        warnings[w]) == 0;
				if (dup)
					continue;
				rc = para(b, COR_PDF_SMALL, s, &y);
				if (rc != 0)
					return rc;
			}
	}
	/* batches used: union of the results' batch ids */
	for (int i = 0; i < NKIND; i++)
		for (int j = 0; b->r[i] != NULL && j < b->r[i]->nbatch; j++)
			if (id_add(&ids, &nid, b->r[i]->batches[j]) != 0)
				return oom(b);
	/* when no case row matched, the active case batches that were
	 * searched: the brief's "no cases" statements rest on them */
	if (b->batches != NULL) {
		int any_case = 0;

		for (int i = 0; i < PQntuples(b->batches); i++) {
			long long id = strtoll(PQgetvalue(b->batches, i, 0),
			                       NULL, 10);

			for (int m = 0; m < nid; m++)
				any_case |= ids[m] == id && strcmp(PQgetvalue(
				        b->batches, i, 2), "cases") == 0;
		}
		for (int i = 0; !any_case && i < PQntuples(b->batches); i++) {
			if (strcmp(PQgetvalue(b->batches, i, 8), "t") != 0 ||
			    strcmp(PQgetvalue(b->batches, i, 2), "cases") != 0)
				continue;
			if (id_add(&ids, &nid, strtoll(PQgetvalue(b->batches,
			           i, 0), NULL, 10)) != 0)
				return oom(b);
		}
	}
	{
		PGresult *res = b->batches;
		cor_pdf_table t;
		static const char *const hd[] = { "Batch", "File", "Format",
			"SHA-256", "Rows", "Loaded (UTC)" };
		static const double w[] = { 0.07, 0.37, 0.1, 0.16, 0.12,
			0.18 };
		static const cor_pdf_align bal[] = { COR_PDF_LEFT,
			COR_PDF_LEFT, COR_PDF_LEFT, COR_PDF_LEFT, COR_PDF_RIGHT,
			COR_PDF_RIGHT };
		const char **cells;
		int n = 0, nb = res ? PQntuples(res) : 0;

		cells = balloc(b, (size_t)(nb + 1) * 6 * sizeof(*cells));
		if (cells == NULL) {
			free(ids);
			return oom(b);
		}
		for (int i = 0; i < nb; i++) {
			long long id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
			int used = 0;

			for (int m = 0; m < nid; m++)
				used |= ids[m] == id;
			if (!used)
				continue;
			for (int j = 0; j < 4; j++)
				if (strcmp(PQgetvalue(res, i, 2), fmts[j]) == 0)
					used_fmt[j] = 1;
			for (int j = 0; j < 6; j++) {
				char num[48];

				cells[n * 6 + j] = bprintf(b, "%s%s", j == 4 ?
				        grp(strtoll(PQgetvalue(res, i, j), NULL,
				        10), num, sizeof(num)) :
				        PQgetvalue(res, i, j), j == 1 &&
				        strcmp(PQgetvalue(res, i, 6), "t") == 0
				        ? " (synthetic)" : "");
				if (cells[n * 6 + j] == NULL) {
					free(ids);
					return oom(b);
				}
			}
			n++;
		}
		free(ids);
		memset(&t, 0, sizeof(t));
		t.title = "Data batches used";
		t.ncols = 6;
		t.nrows = (size_t)n;
		t.headers = hd;
		t.widths = w;
		t.align = bal;
		t.cells = cells;
		t.empty_note = "No data batches contributed to this brief.";
		y += 4;
		rc = cor_pdf_table_draw(b->pdf, (cor_pdf_box){ M, y, CW, 200 },
		                        &t, &h, b->err);
		if (rc != 0)
			return rc;
		y += h + 10;
	}
	{
		/* a citation for each source of a batch actually used */
		const char *src[6] = { NULL };
		int ns = 0;

		if (used_fmt[2])
			src[ns++] = "Source: IOM Missing Migrants Project "
			            "(missingmigrants.iom.int).";
		if (used_fmt[3])
			src[ns++] = "Source: UNHCR Refugee Data Finder (CC BY "
			            "4.0).";
		if (used_fmt[1])
			src[ns++] = "Case records: CTDC extracts are "
			            "third-party derivatives of Counter "
			            "Trafficking Data Collaborative data, not "
			            "CTDC's own statistics.";
		if (used_fmt[0])
			src[ns++] = b->synthetic ? "Case records: as loaded "
			            "(synthetic records from corridor synth are "
			            "marked in the batch table)." : "Case "
			            "records: programme case records as loaded.";
		src[ns] = bprintf(b, "Produced with corridor %s. Cite as: "
		                 "corridor Southern Route brief, %s%s%s, data "
		                 "as of %s.", COR_VERSION, b->ql,
		                 b->req->county ? ", " : "", b->req->county ?
		                 b->county_name : "", b->vintage[0] ?
		                 b->vintage : "n/a");
		for (int i = 0; src[i] != NULL; i++) {
			rc = para(b, COR_PDF_SMALL, src[i], &y);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static void brief_free(brief *b)
{
	for (int i = 0; i < NKIND; i++)
		if (!b->borrowed[i])
			cor_stats_result_free(b->r[i]);
	PQclear(b->batches);
	PQclear(b->places);
	for (size_t i = 0; i < b->nmem; i++)
		free(b->mem[i]);
	free(b->mem);
	cor_pdf_free(b->pdf);
}

int cor_brief_national(PGconn *conn, const cor_brief_req *req,
                       cor_stats_result **out, cor_err *err)
{
	brief b;
	cor_stats_req rq;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.err = err;
	if (conn == NULL || req == NULL)
		return cor_err_set(err, COR_EINVAL, "brief: missing argument");
	if (parse_quarter(&b, req->quarter) != 0)
		return err->code;
	/* the request run_kind makes for R_BR, without the county */
	kind_req(&rq, COR_STATS_BRIEF, b.from, b.to, COR_BY_QUARTER,
	         req->k > 0 ? req->k : cor_stats_k_default(), NULL);
	return cor_stats_run(conn, &rq, out, err);
}

int cor_brief_county_family(PGconn *const *conns, int nconn,
                            const cor_brief_req *req, cor_stats_cgraph **g,
                            cor_stats_result ***out, cor_err *err)
{
	brief b;
	cor_stats_req rq;
	unsigned char *want = NULL;
	int rc;

	*g = NULL;
	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.err = err;
	if (conns == NULL || nconn < 1 || req == NULL ||
	    req->national == NULL)
		return cor_err_set(err, COR_EINVAL, "brief: missing argument");
	if (parse_quarter(&b, req->quarter) != 0)
		return err->code;
	/* the request run_kind makes for R_BR; the county is set per run */
	kind_req(&rq, COR_STATS_BRIEF, b.from, b.to, COR_BY_QUARTER,
	         req->k > 0 ? req->k : cor_stats_k_default(), NULL);
	rc = cor_stats_cgraph_load(conns[0], &rq, g, err);
	if (rc != 0)
		return rc;
	want = malloc((size_t)(*g)->n + 1);
	*out = calloc((size_t)(*g)->n + 1, sizeof(**out));
	if (want == NULL || *out == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	memset(want, 1, (size_t)(*g)->n);
	rc = cor_stats_run_counties(conns, nconn, &rq, req->national, *g,
	                            want, *out, err);
out:
	free(want);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		cor_stats_cgraph_free(*g);
		*g = NULL;
	}
	return rc;
}

int cor_brief_write(PGconn *conn, const cor_brief_req *req, const char *path,
                    cor_brief_info *info, cor_err *err)
{
	brief b;
	cor_pdf_opts o;
	double t1;
	int rc;

	memset(&b, 0, sizeof(b));
	b.conn = conn;
	b.req = req;
	b.err = err;
	b.t0 = now_s();
	if (conn == NULL || req == NULL || path == NULL)
		return cor_err_set(err, COR_EINVAL, "brief: missing argument");
	b.k = req->k > 0 ? req->k : cor_stats_k_default();
	if (b.k < 2)
		return cor_err_set(err, COR_EINVAL, "k must be at least 2");
	rc = parse_quarter(&b, req->quarter);
	if (rc == 0 && req->county != NULL &&
	    (strlen(req->county) != 5 || strncmp(req->county, "KE", 2) != 0))
		rc = cor_err_set(err, COR_EINVAL, "bad county P-code '%s' "
		                 "(expected e.g. KE011)", req->county);
	if (rc == 0)
		rc = load_meta(&b);
	if (rc == 0)
		rc = run_all(&b);
	if (rc != 0)
		goto out;
	/* The case figures are counted over every active case batch, also
	 * when none of its rows matches (a county with no case in the
	 * quarter: "No cases ... were recorded"); such a statement rests on
	 * the synthetic records as much as a count does. So any synthetic
	 * case record loaded marks the brief, whatever rows matched. */
	b.synthetic |= b.case_synthetic;
	t1 = now_s();
	memset(&o, 0, sizeof(o));
	o.date = req->date >= 0 ? req->date : b.vintage_epoch;
	o.title = req->county ?
	          bprintf(&b, "corridor brief · %s County (%s)",
	                  b.county_name, req->county) :
	          bprintf(&b, "corridor brief · Southern Route");
	o.subject = bprintf(&b, "Southern Route migration brief, %s", b.ql);
	o.quarter = b.ql;
	o.synthetic = b.synthetic;
	o.k = b.k;
	o.font_fallback = req->font_fallback;
	if (o.title == NULL || o.subject == NULL) {
		rc = oom(&b);
		goto out;
	}
	rc = cor_pdf_new(&o, &b.pdf, err);
	if (rc == 0)
		rc = page_headline(&b);
	if (rc == 0)
		rc = page_route(&b);
	if (rc == 0)
		rc = page_who(&b);
	if (rc == 0)
		rc = page_deaths(&b);
	if (rc == 0)
		rc = page_methods(&b);
	if (rc == 0)
		rc = cor_pdf_save(b.pdf, path, err);
	if (rc == 0 && info != NULL) {
		memset(info, 0, sizeof(*info));
		info->pages = cor_pdf_page_count(b.pdf);
		info->synthetic = b.synthetic;
		info->cells_suppressed = b.suppressed;
		info->warnings = b.warnings;
		info->seconds_stats = t1 - b.t0;
		info->seconds_render = now_s() - t1;
	}
out:
	brief_free(&b);
	return rc;
}
