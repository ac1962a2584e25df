/* analysis/stats_core.c: result tables, disclosure control (primary,
 * complementary, derived suppression), request parsing, periods, and the
 * text/CSV/JSON writers of corridor/stats.h. */
#include "corridor/stats.h"

#include <ctype.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[COR_STATS_NKINDS] = {
	"overview", "trend", "od", "segments", "nodes", "routes", "profile",
	"counties", "incidents", "stocks", "brief",
};

int cor_stats_k_default(void)
{
	const char *v = getenv("CORRIDOR_K");
	char *end;
	long k;

	if (v == NULL || *v == '\0')
		return COR_STATS_K_DEFAULT;
	k = strtol(v, &end, 10);
	return *end == '\0' && k >= 2 && k <= 1000 ? (int)k :
	       COR_STATS_K_DEFAULT;
}

void cor_stats_req_init(cor_stats_req *req)
{
	memset(req, 0, sizeof(*req));
	req->kind = COR_STATS_OVERVIEW;
	req->by = COR_BY_QUARTER;
	req->k = cor_stats_k_default();
	req->buffer_km = COR_STATS_BUFFER_KM;
	req->top = COR_STATS_TOP_DEFAULT;
}

const char *cor_stats_kind_name(cor_stats_kind kind)
{
	if ((int)kind < 0 || kind >= COR_STATS_NKINDS)
		return "?";
	return kind_names[kind];
}

int cor_stats_kind_parse(const char *s, cor_stats_kind *out, cor_err *err)
{
	for (int i = 0; i < COR_STATS_NKINDS; i++) {
		if (s != NULL && strcmp(s, kind_names[i]) == 0) {
			*out = (cor_stats_kind)i;
			return 0;
		}
	}
	return cor_err_set(err, COR_EINVAL,
	                   "unknown kind '%s' (overview, trend, od, segments, "
	                   "nodes, routes, profile, counties, incidents, "
	                   "stocks, brief)", s != NULL ? s : "");
}

const char *cor_stats_by_name(cor_stats_by by)
{
	switch (by) {
	case COR_BY_MONTH:
		return "month";
	case COR_BY_YEAR:
		return "year";
	default:
		return "quarter";
	}
}

int cor_stats_by_parse(const char *s, cor_stats_by *out, cor_err *err)
{
	if (s != NULL && strcmp(s, "month") == 0)
		*out = COR_BY_MONTH;
	else if (s != NULL && strcmp(s, "quarter") == 0)
		*out = COR_BY_QUARTER;
	else if (s != NULL && strcmp(s, "year") == 0)
		*out = COR_BY_YEAR;
	else
		return cor_err_set(err, COR_EINVAL,
		                   "--by '%s': expected month, quarter or year",
		                   s != NULL ? s : "");
	return 0;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	                           30, 31 };
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Parses exactly `len` digits at s. */
static int digits(const char *s, int len, int *v)
{
	int x = 0;

	for (int i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

int cor_stats_parse_bound(const char *s, int end, char out[11],
                          cor_err *err)
{
	int y, m = 0, d = 0, q;
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= 4 && digits(s, 4, &y) == 0 && y >= 1900 && y <= 2999) {
		if (n == 4) {
			m = end ? 12 : 1;
		} else if (n == 6 && (s[4] == 'Q' || s[4] == 'q') &&
		           s[5] >= '1' && s[5] <= '4') {
			q = s[5] - '0';
			m = end ? 3 * q : 3 * q - 2;
		} else if (n == 7 && s[4] == '-' && digits(s + 5, 2, &m) == 0 &&
		           m >= 1 && m <= 12) {
			/* month */
		} else if (n == 10 && s[4] == '-' && s[7] == '-' &&
		           digits(s + 5, 2, &m) == 0 &&
		           digits(s + 8, 2, &d) == 0 && m >= 1 && m <= 12 &&
		           d >= 1 && d <= mdays(y, m)) {
			/* full date */
		} else {
			m = 0;
		}
	} else {
		y = 0;
	}
	if (m == 0)
		return cor_err_set(err, COR_EINVAL,
		                   "bad period '%s': expected 2019Q4, 2019-11, "
		                   "2019 or an ISO date 2019-11-05",
		                   s != NULL ? s : "");
	if (d == 0)
		d = end ? mdays(y, m) : 1;
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return 0;
}

static int parse_date(const char *date, int *y, int *m, int *d)
{
	if (date == NULL || strlen(date) < 10 || date[4] != '-' ||
	    date[7] != '-' || digits(date, 4, y) != 0 ||
	    digits(date + 5, 2, m) != 0 || digits(date + 8, 2, d) != 0 ||
	    *m < 1 || *m > 12 || *d < 1 || *d > mdays(*y, *m))
		return -1;
	return 0;
}

int cor_stats_period_label(const char *date, cor_stats_by by, char *out,
                           size_t n)
{
	int y, m, d;

	if (parse_date(date, &y, &m, &d) != 0 || n < 8)
		return COR_EINVAL;
	if (by == COR_BY_YEAR)
		snprintf(out, n, "%04d", y);
	else if (by == COR_BY_MONTH)
		snprintf(out, n, "%04d-%02d", y, m);
	else
		snprintf(out, n, "%04dQ%d", y, (m - 1) / 3 + 1);
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
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

/* ISO weekday 1 = Monday .. 7 = Sunday (1970-01-01 was a Thursday). */
static int iso_wday(long days)
{
	long w = (days + 3) % 7;

	if (w < 0)
		w += 7;
	return (int)w + 1;
}

int cor_stats_iso_week(const char *date, char *out, size_t n)
{
	int y, m, d, wy, wk;
	long day, thu, jan1;

	if (parse_date(date, &y, &m, &d) != 0 || n < 9)
		return COR_EINVAL;
	day = days_civil(y, m, d);
	/* The ISO week belongs to the year of its Thursday. */
	thu = day - iso_wday(day) + 4;
	wy = y;
	if (thu < days_civil(y, 1, 1))
		wy = y - 1;
	else if (thu >= days_civil(y + 1, 1, 1))
		wy = y + 1;
	jan1 = days_civil(wy, 1, 1);
	wk = (int)((thu - jan1) / 7) + 1;
	snprintf(out, n, "%04d-W%02d", wy, wk);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Builder                                                              */
/* ------------------------------------------------------------------ */

cor_stats_result *cor_stats_result_new(cor_stats_kind kind, int k)
{
	cor_stats_result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->kind = kind;
	r->k = k;
	cor_stats_req_init(&r->req);
	r->req.kind = kind;
	r->req.k = k;
	return r;
}

static void free_table(cor_stats_table *t)
{
	for (int i = 0; i < t->nrow; i++) {
		for (int j = 0; j < t->ncol; j++) {
			free(t->rows[i].cells[j].code);
			free(t->rows[i].cells[j].name);
		}
		free(t->rows[i].cells);
	}
	free(t->rows);
	free(t->cols);
	free(t->name);
	free(t->title);
}

void cor_stats_result_free(cor_stats_result *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < r->ntable; i++)
		free_table(&r->tables[i]);
	free(r->tables);
	for (int i = 0; i < r->ncons; i++)
		free(r->cons[i].mem);
	free(r->cons);
	for (int i = 0; i < r->nwarn; i++)
		free(r->warnings[i]);
	free(r->warnings);
	for (size_t i = 0; i < sizeof(r->own) / sizeof(r->own[0]); i++)
		free(r->own[i]);
	free(r->batches);
	cor_stats_trend_free(&r->trend);
	free(r);
}

int cor_stats_table_add(cor_stats_result *r, const char *name,
                        const char *title, const cor_stats_col *cols,
                        int ncol)
{
	cor_stats_table *t;

	if (r->ntable == r->tcap) {
		int nc = r->tcap ? 2 * r->tcap : 8;
		cor_stats_table *nt = realloc(r->tables, (size_t)nc * sizeof(*nt));
		if (nt == NULL)
			return COR_ENOMEM;
		r->tables = nt;
		r->tcap = nc;
	}
	t = &r->tables[r->ntable];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	t->title = strdup(title != NULL ? title : name);
	t->cols = malloc((size_t)ncol * sizeof(*cols));
	if (t->name == NULL || t->title == NULL || t->cols == NULL) {
		free(t->name);
		free(t->title);
		free(t->cols);
		return COR_ENOMEM;
	}
	memcpy(t->cols, cols, (size_t)ncol * sizeof(*cols));
	t->ncol = ncol;
	return r->ntable++;
}

int cor_stats_row_add(cor_stats_result *r, int ti, int margin)
{
	cor_stats_table *t;
	cor_stats_row *row;

	if (ti < 0 || ti >= r->ntable)
		return COR_EINVAL;
	t = &r->tables[ti];
	if (t->nrow == t->cap) {
		int nc = t->cap ? 2 * t->cap : 16;
		cor_stats_row *nr = realloc(t->rows, (size_t)nc * sizeof(*nr));
		if (nr == NULL)
			return COR_ENOMEM;
		t->rows = nr;
		t->cap = nc;
	}
	row = &t->rows[t->nrow];
	row->cells = calloc((size_t)t->ncol, sizeof(*row->cells));
	if (row->cells == NULL)
		return COR_ENOMEM;
	row->margin = margin;
	return t->nrow++;
}

cor_stats_cell *cor_stats_cell_at(cor_stats_result *r, int ti, int row,
                                  int col)
{
	cor_stats_table *t;

	if (r == NULL || ti < 0 || ti >= r->ntable)
		return NULL;
	t = &r->tables[ti];
	if (row < 0 || row >= t->nrow || col < 0 || col >= t->ncol)
		return NULL;
	return &t->rows[row].cells[col];
}

static cor_stats_cell *cell_ref(cor_stats_result *r, cor_stats_ref a)
{
	return cor_stats_cell_at(r, a.table, a.row, a.col);
}

const cor_stats_table *cor_stats_table_find(const cor_stats_result *r,
                                            const char *name)
{
	for (int i = 0; r != NULL && i < r->ntable; i++)
		if (strcmp(r->tables[i].name, name) == 0)
			return &r->tables[i];
	return NULL;
}

int cor_stats_col_find(const cor_stats_table *t, const char *key)
{
	for (int j = 0; t != NULL && j < t->ncol; j++)
		if (strcmp(t->cols[j].key, key) == 0)
			return j;
	return -1;
}

const cor_stats_cell *cor_stats_cell_get(const cor_stats_table *t, int row,
                                         int col)
{
	if (t == NULL || row < 0 || row >= t->nrow || col < 0 ||
	    col >= t->ncol)
		return NULL;
	return &t->rows[row].cells[col];
}

static int dup_or_null(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out == NULL ? COR_ENOMEM : 0;
}

int cor_stats_set_code(cor_stats_result *r, int ti, int row, int col,
                       const char *code, const char *name)
{
	cor_stats_cell *c = cor_stats_cell_at(r, ti, row, col);

	if (c == NULL)
		return COR_EINVAL;
	free(c->code);
	free(c->name);
	if (dup_or_null(code, &c->code) != 0 ||
	    dup_or_null(name, &c->name) != 0)
		return COR_ENOMEM;
	return 0;
}

int cor_stats_set_text(cor_stats_result *r, int ti, int row, int col,
                       const char *text)
{
	return cor_stats_set_code(r, ti, row, col, text, NULL);
}

int cor_stats_set_count(cor_stats_result *r, int ti, int row, int col,
                        long long n)
{
	cor_stats_cell *c = cor_stats_cell_at(r, ti, row, col);

	if (c == NULL || n < 0)
		return COR_EINVAL;
	c->status = COR_CELL_OK;
	c->n = n;
	return 0;
}

int cor_stats_set_na(cor_stats_result *r, int ti, int row, int col,
                     const char *reason)
{
	cor_stats_cell *c = cor_stats_cell_at(r, ti, row, col);

	if (c == NULL)
		return COR_EINVAL;
	c->status = COR_CELL_NA;
	c->reason = reason;
	return 0;
}

/* Static copies of the reasons the math functions report. */
static const char *static_reason(const char *msg)
{
	static const char *const known[] = {
		"zero denominator", "no events in either period",
		"reference count is zero", "no observations", NULL,
	};
	for (int i = 0; known[i] != NULL; i++)
		if (strstr(msg, known[i]) != NULL)
			return known[i];
	return "not computable";
}

int cor_stats_set_share(cor_stats_result *r, int ti, int row, int col,
                        long long x, long long d, cor_stats_ref dep)
{
	cor_stats_cell *c = cor_stats_cell_at(r, ti, row, col);
	cor_err e;
	int rc;

	if (c == NULL)
		return COR_EINVAL;
	c->n = x;
	c->d = d;
	c->ndep = 0;
	if (dep.table >= 0)
		c->dep[c->ndep++] = dep;
	cor_err_clear(&e);
	rc = cor_stats_wilson(x, d, 0.95, &c->v, &c->lo, &c->hi, &e);
	if (rc != 0) {
		c->status = COR_CELL_NA;
		c->reason = static_reason(e.msg);
		return rc == COR_EDEGENERATE ? 0 : rc;
	}
	c->status = COR_CELL_OK;
	c->has_ci = 1;
	return 0;
}

int cor_stats_set_rr(cor_stats_result *r, int ti, int row, int col,
                     long long a, long long b, cor_stats_ref da,
                     cor_stats_ref db)
{
	cor_stats_cell *c = cor_stats_cell_at(r, ti, row, col);
	cor_err e;
	int rc;

	if (c == NULL)
		return COR_EINVAL;
	c->n = a;
	c->d = b;
	c->ndep = 0;
	if (da.table >= 0)
		c->dep[c->ndep++] = da;
	if (db.table >= 0)
		c->dep[c->ndep++] = db;
	cor_err_clear(&e);
	rc = cor_stats_rate_ratio(a, 1.0, b, 1.0, 0.95, &c->v, &c->lo, &c->hi,
	                          &c->p, &e);
	if (rc != 0) {
		c->status = COR_CELL_NA;
		c->reason = static_reason(e.msg);
		return rc == COR_EDEGENERATE || rc == COR_EGSL ? 0 : rc;
	}
	c->status = COR_CELL_OK;
	c->has_ci = 1;
	c->has_p = 1;
	return 0;
}

int cor_stats_constrain(cor_stats_result *r, cor_stats_ref total,
                        const cor_stats_ref *members, int nmem)
{
	cor_stats_constraint *c;

	if (cell_ref(r, total) == NULL || nmem < 1)
		return COR_EINVAL;
	for (int i = 0; i < nmem; i++)
		if (cell_ref(r, members[i]) == NULL)
			return COR_EINVAL;
	if (r->ncons == r->ccap) {
		int nc = r->ccap ? 2 * r->ccap : 16;
		cor_stats_constraint *n = realloc(r->cons,
		                                  (size_t)nc * sizeof(*n));
		if (n == NULL)
			return COR_ENOMEM;
		r->cons = n;
		r->ccap = nc;
	}
	c = &r->cons[r->ncons];
	c->mem = malloc((size_t)nmem * sizeof(*members));
	if (c->mem == NULL)
		return COR_ENOMEM;
	memcpy(c->mem, members, (size_t)nmem * sizeof(*members));
	c->nmem = nmem;
	c->total = total;
	r->ncons++;
	return 0;
}

int cor_stats_warn(cor_stats_result *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < r->nwarn; i++)
		if (strcmp(r->warnings[i], buf) == 0)
			return 0;
	if (r->nwarn == r->wcap) {
		int nc = r->wcap ? 2 * r->wcap : 8;
		char **n = realloc(r->warnings, (size_t)nc * sizeof(*n));
		if (n == NULL)
			return COR_ENOMEM;
		r->warnings = n;
		r->wcap = nc;
	}
	r->warnings[r->nwarn] = strdup(buf);
	if (r->warnings[r->nwarn] == NULL)
		return COR_ENOMEM;
	r->nwarn++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Disclosure control                                                   */
/* ------------------------------------------------------------------ */

static int is_sup(const cor_stats_cell *c)
{
	return c->status == COR_CELL_SUPPRESSED;
}

static void withhold(cor_stats_cell *c, int primary)
{
	c->status = COR_CELL_SUPPRESSED;
	c->primary = primary;
}

/* Greedy complementary rule: while a constraint has exactly one
 * suppressed cell, suppress its smallest published member with n > 0
 * (else any member, else the total). Returns the cells added. */
static int greedy_pass(cor_stats_result *r)
{
	int changed, added = 0;

	do {
		changed = 0;
		for (int ci = 0; ci < r->ncons; ci++) {
			cor_stats_constraint *cn = &r->cons[ci];
			cor_stats_cell *tot = cell_ref(r, cn->total);
			cor_stats_cell *best = NULL;
			int nsup = is_sup(tot);

			for (int m = 0; m < cn->nmem; m++)
				nsup += is_sup(cell_ref(r, cn->mem[m]));
			if (nsup != 1)
				continue;
			for (int pass = 0; pass < 2 && best == NULL; pass++) {
				for (int m = 0; m < cn->nmem; m++) {
					cor_stats_cell *c = cell_ref(r, cn->mem[m]);
					if (is_sup(c) || c->status != COR_CELL_OK ||
					    c->fixed)
						continue;
					if (pass == 0 && c->n == 0)
						continue;
					if (best == NULL || c->n < best->n)
						best = c;
				}
			}
			if (best == NULL && !is_sup(tot) &&
			    tot->status == COR_CELL_OK && !tot->fixed)
				best = tot;
			if (best != NULL) {
				withhold(best, 0);
				changed = 1;
				added++;
			}
		}
	} while (changed);
	return added;
}

/* Working state of the exact audit. Cells of the result are numbered
 * off[table] + row * ncol + col. */
typedef struct audit {
	int ncell;
	int *off;          /* ntable */
	int *uid;          /* ncell: unknown index or -1 */
	char *margin;      /* ncell: 1 when the cell is some constraint's
	                    * total */
	int nu;
	cor_stats_ref *u;  /* nu unknowns */
	int *parent;       /* nu: union-find of connected unknowns */
	int *comp;         /* nu: component root */
	char *rec;         /* nu: 1 = exactly recoverable */
	int *cons_comp;    /* ncons: component of the constraint or -1 */
	char *used;        /* ncons: 1 = the constraint takes part in the
	                    * combination that determines some unknown */
} audit;

static int cell_no(const audit *a, cor_stats_ref c, const cor_stats_result *r)
{
	return a->off[c.table] + c.row * r->tables[c.table].ncol + c.col;
}

static int uf_find(int *p, int i)
{
	while (p[i] != i) {
		p[i] = p[p[i]];
		i = p[i];
	}
	return i;
}

static void audit_free(audit *a)
{
	free(a->off);
	free(a->uid);
	free(a->margin);
	free(a->u);
	free(a->parent);
	free(a->comp);
	free(a->rec);
	free(a->cons_comp);
	free(a->used);
	memset(a, 0, sizeof(*a));
}

/* Numbers the cells, marks margins and collects the unknowns: the
 * suppressed cells that appear in some constraint. */
static int audit_init(cor_stats_result *r, audit *a)
{
	memset(a, 0, sizeof(*a));
	a->off = calloc((size_t)r->ntable + 1, sizeof(*a->off));
	if (a->off == NULL)
		return COR_ENOMEM;
	for (int ti = 0; ti < r->ntable; ti++) {
		a->off[ti] = a->ncell;
		a->ncell += r->tables[ti].nrow * r->tables[ti].ncol;
	}
	a->uid = malloc(((size_t)a->ncell + 1) * sizeof(*a->uid));
	a->margin = calloc((size_t)a->ncell + 1, 1);
	a->u = malloc(((size_t)a->ncell + 1) * sizeof(*a->u));
	a->cons_comp = malloc(((size_t)r->ncons + 1) *
	                      sizeof(*a->cons_comp));
	a->used = calloc((size_t)r->ncons + 1, 1);
	if (a->uid == NULL || a->margin == NULL || a->u == NULL ||
	    a->cons_comp == NULL || a->used == NULL)
		return COR_ENOMEM;
	for (int i = 0; i < a->ncell; i++)
		a->uid[i] = -1;
	for (int ci = 0; ci < r->ncons; ci++) {
		const cor_stats_constraint *cn = &r->cons[ci];

		a->margin[cell_no(a, cn->total, r)] = 1;
		for (int m = -1; m < cn->nmem; m++) {
			cor_stats_ref c = m < 0 ? cn->total : cn->mem[m];
			int no = cell_no(a, c, r);

			if (is_sup(cell_ref(r, c)) && a->uid[no] < 0) {
				a->uid[no] = a->nu;
				a->u[a->nu++] = c;
			}
		}
	}
	a->parent = malloc(((size_t)a->nu + 1) * sizeof(*a->parent));
	a->comp = malloc(((size_t)a->nu + 1) * sizeof(*a->comp));
	a->rec = calloc((size_t)a->nu + 1, 1);
	if (a->parent == NULL || a->comp == NULL || a->rec == NULL)
		return COR_ENOMEM;
	for (int i = 0; i < a->nu; i++)
		a->parent[i] = i;
	/* unknowns sharing a constraint are in one component */
	for (int ci = 0; ci < r->ncons; ci++) {
		const cor_stats_constraint *cn = &r->cons[ci];
		int first = -1;

		for (int m = -1; m < cn->nmem; m++) {
			cor_stats_ref c = m < 0 ? cn->total : cn->mem[m];
			int u = a->uid[cell_no(a, c, r)];

			if (u < 0)
				continue;
			if (first < 0)
				first = u;
			else
				a->parent[uf_find(a->parent, u)] =
					uf_find(a->parent, first);
		}
		a->cons_comp[ci] = first < 0 ? -1 : first;
	}
	for (int i = 0; i < a->nu; i++)
		a->comp[i] = uf_find(a->parent, i);
	for (int ci = 0; ci < r->ncons; ci++)
		if (a->cons_comp[ci] >= 0)
			a->cons_comp[ci] = a->comp[a->cons_comp[ci]];
	return 0;
}

/* Tolerances of the audit (documented in stats.h and statistics.md): a
 * singular value s is zero when s <= SV_RTOL * s_max; an unknown is
 * determined when the squared length of its unit vector's projection on
 * the null space is below PROJ_TOL. */
#define SV_RTOL 1e-10
#define PROJ_TOL 1e-8

/* Audits the component with root `root`: builds its constraint matrix
 * (one row per constraint involving its unknowns, coefficient +1 for a
 * member, -1 for the total; published cells belong to the right-hand
 * side), takes the SVD A = U S V' (gsl_linalg_SV_decomp on the matrix
 * padded with zero rows to at least as many rows as columns) and marks
 * in a->rec the unknowns whose unit vector e_j lies in the row space
 * (orthogonal to every right singular vector of a zero singular value).
 * For each such unknown the minimum-norm combination of constraints
 * giving it, lambda = U S^+ V' e_j (A' lambda = e_j), marks in a->used
 * the constraints with |lambda_i| > 1e-8 max |lambda|: withholding one
 * more of their published cells breaks that combination. Returns the
 * number of unknowns marked, or a negative status. */
static int audit_component(cor_stats_result *r, audit *a, int root,
                           cor_err *err)
{
	int nu = 0, nc = 0, *loc = NULL, *glob = NULL, *rowci = NULL;
	int nrec = 0, st;
	double *lam = NULL;
	size_t rows, cols;
	gsl_matrix *A = NULL, *V = NULL;
	gsl_vector *S = NULL, *work = NULL;
	double smax;

	loc = malloc(((size_t)a->nu + 1) * sizeof(*loc));
	glob = malloc(((size_t)a->nu + 1) * sizeof(*glob));
	if (loc == NULL || glob == NULL) {
		nrec = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < a->nu; i++) {
		loc[i] = -1;
		if (a->comp[i] == root) {
			loc[i] = nu;
			glob[nu++] = i;
		}
	}
	for (int ci = 0; ci < r->ncons; ci++)
		nc += a->cons_comp[ci] == root;
	cols = (size_t)nu;
	rows = (size_t)nc > cols ? (size_t)nc : cols;
	rowci = malloc(rows * sizeof(*rowci));
	lam = malloc(rows * sizeof(*lam));
	if (rowci == NULL || lam == NULL) {
		nrec = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	A = gsl_matrix_calloc(rows, cols);
	V = gsl_matrix_alloc(cols, cols);
	S = gsl_vector_alloc(cols);
	work = gsl_vector_alloc(cols);
	if (A == NULL || V == NULL || S == NULL || work == NULL) {
		nrec = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	nc = 0;
	for (int ci = 0; ci < r->ncons; ci++) {
		const cor_stats_constraint *cn = &r->cons[ci];

		if (a->cons_comp[ci] != root)
			continue;
		for (int m = -1; m < cn->nmem; m++) {
			cor_stats_ref c = m < 0 ? cn->total : cn->mem[m];
			int u = a->uid[cell_no(a, c, r)];

			if (u < 0)
				continue;
			*gsl_matrix_ptr(A, (size_t)nc, (size_t)loc[u]) +=
				m < 0 ? -1.0 : 1.0;
		}
		rowci[nc++] = ci;
	}
	st = gsl_linalg_SV_decomp(A, V, S, work);
	if (st != GSL_SUCCESS) {
		nrec = cor_err_set(err, COR_EGSL, "disclosure audit: "
		                   "gsl_linalg_SV_decomp: %s",
		                   gsl_strerror(st));
		goto out;
	}
	smax = gsl_vector_get(S, 0);   /* sorted, largest first */
	for (size_t j = 0; j < cols; j++) {
		double proj = 0.0;

		for (size_t q = 0; q < cols; q++) {
			double s = gsl_vector_get(S, q);
			double v = gsl_matrix_get(V, j, q);

			if (!isfinite(s) || !isfinite(v)) {
				nrec = cor_err_set(err, COR_EGSL,
				                   "disclosure audit: SVD not "
				                   "finite");
				goto out;
			}
			if (s <= SV_RTOL * smax)
				proj += v * v;
		}
		if (proj < PROJ_TOL) {
			double lmax = 0.0;

			a->rec[glob[j]] = 1;
			nrec++;
			for (size_t i = 0; i < (size_t)nc; i++) {
				lam[i] = 0.0;
				for (size_t q = 0; q < cols; q++) {
					double s = gsl_vector_get(S, q);
					if (s > SV_RTOL * smax)
						lam[i] += gsl_matrix_get(A, i, q) *
						          gsl_matrix_get(V, j, q) /
						          s;
				}
				if (fabs(lam[i]) > lmax)
					lmax = fabs(lam[i]);
			}
			for (size_t i = 0; i < (size_t)nc; i++)
				if (fabs(lam[i]) > 1e-8 * lmax)
					a->used[rowci[i]] = 1;
		}
	}
out:
	gsl_matrix_free(A);
	gsl_matrix_free(V);
	gsl_vector_free(S);
	gsl_vector_free(work);
	free(loc);
	free(glob);
	free(rowci);
	free(lam);
	return nrec;
}

/* Candidate cell of constraint cn to suppress next: published, count
 * positive (pass 0, 1) or zero (pass 2, 3), not a margin (even passes)
 * or a margin (odd passes); the smallest. */
static void pick(cor_stats_result *r, const audit *a,
                 const cor_stats_constraint *cn, int pass, int keep,
                 cor_stats_cell **best)
{
	for (int m = -1; m < cn->nmem; m++) {
		cor_stats_ref c = m < 0 ? cn->total : cn->mem[m];
		cor_stats_cell *cell = cell_ref(r, c);
		int mg = a->margin[cell_no(a, c, r)];

		if (cell->status != COR_CELL_OK || cell->fixed == 1 ||
		    (cell->fixed == 2 && !keep) ||
		    mg != (pass & 1) || (pass < 2) != (cell->n > 0))
			continue;
		if (*best == NULL || cell->n < (*best)->n)
			*best = cell;
	}
}

/* The smallest candidate of component root's constraints (set 0: those
 * of the determining combinations touching a determined cell, 1: of the
 * determining combinations, 2: all), over pick's passes. */
static void pick_set(cor_stats_result *r, const audit *a, int root,
                     int set, int keep, cor_stats_cell **best)
{
	for (int pass = 0; pass < 4 && *best == NULL; pass++) {
		for (int ci = 0; ci < r->ncons; ci++) {
			const cor_stats_constraint *cn = &r->cons[ci];
			int hit = 0;

			if (a->cons_comp[ci] != root ||
			    (set < 2 && !a->used[ci]))
				continue;
			for (int m = -1; m < cn->nmem && !hit; m++) {
				cor_stats_ref c = m < 0 ? cn->total :
				                  cn->mem[m];
				int u = a->uid[cell_no(a, c, r)];

				hit = u >= 0 && a->rec[u];
			}
			if (hit || set > 0)
				pick(r, a, cn, pass, keep, best);
		}
	}
}

/* One round of the exact audit: in every component with an exactly
 * recoverable unknown, suppresses one more published cell of a
 * constraint involving such an unknown. *added: cells suppressed;
 * *stuck: recoverable unknowns whose constraints have nothing left to
 * suppress. */
static int audit_round(cor_stats_result *r, int *added, int *stuck,
                       cor_err *err)
{
	audit a;
	int rc;

	*added = *stuck = 0;
	rc = audit_init(r, &a);
	if (rc != 0) {
		audit_free(&a);
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	}
	for (int root = 0; root < a.nu; root++) {
		cor_stats_cell *best = NULL;
		int nrec;

		if (a.comp[root] != root)
			continue;
		nrec = audit_component(r, &a, root, err);
		if (nrec < 0) {
			rc = nrec;
			goto out;
		}
		if (nrec == 0)
			continue;
		/* constraints of the determining combinations that
		 * involve a determined cell, then any of those
		 * combinations, then any of the component; kept headline
		 * counts (fixed 2) only when nothing else protects */
		for (int keep = 0; keep < 2 && best == NULL; keep++)
			for (int set = 0; set < 3 && best == NULL; set++)
				pick_set(r, &a, root, set, keep, &best);
		if (best != NULL) {
			withhold(best, 0);
			(*added)++;
		} else {
			*stuck += nrec;
		}
	}
out:
	audit_free(&a);
	return rc;
}

/* ---- bounds audit ------------------------------------------------------ */

/* What a reader knows of a cell of a constraint: a published count
 * exactly; a withheld primary one (printed "<k") lies in 1..k-1; a
 * withheld complement ("x") is taken as at least k when it is (a reader
 * who guesses "large" is right almost always; the fifth user trial did),
 * else as at least 1 when it is not 0 (a listed count; complements are
 * never 0; a small total printed "x" by bunpin_demote). BIG: no upper
 * bound. */
#define BIG (LLONG_MAX / 4)

static void known_range(const cor_stats_cell *c, int k, long long *lo,
                        long long *hi)
{
	if (!is_sup(c)) {
		*lo = *hi = c->n;
	} else if (c->primary) {
		*lo = 1;
		*hi = k - 1;
	} else {
		/* a listed count is at least 1 (complements are never 0) */
		*lo = c->n >= k ? k : c->n >= 1 ? 1 : 0;
		*hi = BIG;
	}
}

/* Working state of the bounds audit: per cell (numbered like the exact
 * audit's) its range and the constraint that last narrowed each end. */
typedef struct bounds {
	int *off;
	long long *lo, *hi;
	int *why_lo, *why_hi;
} bounds;

static int bcell(const cor_stats_result *r, const bounds *b, cor_stats_ref a)
{
	return b->off[a.table] + a.row * r->tables[a.table].ncol + a.col;
}

/* Sets every cell's range (known_range) and narrows them over the
 * constraints (total = sum of members, both ways) until nothing moves;
 * why_lo/why_hi: the constraint that last narrowed each end (-1: none). */
static void bprop(cor_stats_result *r, int k, bounds *b)
{
	int changed = 1;

	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *t = &r->tables[ti];

		for (int i = 0; i < t->nrow; i++)
			for (int j = 0; j < t->ncol; j++) {
				int c = b->off[ti] + i * t->ncol + j;

				known_range(&t->rows[i].cells[j], k, &b->lo[c],
				            &b->hi[c]);
				b->why_lo[c] = b->why_hi[c] = -1;
			}
	}
	for (int pass = 0; changed && pass < 64; pass++) {
		changed = 0;
		for (int ci = 0; ci < r->ncons; ci++) {
			const cor_stats_constraint *cn = &r->cons[ci];
			int tno = bcell(r, b, cn->total);
			long long slo = 0, shi = 0;

			for (int m = 0; m < cn->nmem; m++) {
				int c = bcell(r, b, cn->mem[m]);

				slo += b->lo[c];
				shi = shi >= BIG || b->hi[c] >= BIG ? BIG :
				      shi + b->hi[c];
			}
			if (slo > b->lo[tno]) {
				b->lo[tno] = slo;
				b->why_lo[tno] = ci;
				changed = 1;
			}
			if (shi < b->hi[tno]) {
				b->hi[tno] = shi;
				b->why_hi[tno] = ci;
				changed = 1;
			}
			for (int m = 0; m < cn->nmem; m++) {
				int c = bcell(r, b, cn->mem[m]);
				long long olo = slo - b->lo[c];
				long long ohi = shi >= BIG ? BIG : shi - b->hi[c];
				long long nlo = ohi >= BIG ? b->lo[c] :
				                b->lo[tno] - ohi;
				long long nhi = b->hi[tno] >= BIG ? b->hi[c] :
				                b->hi[tno] - olo;

				if (nlo > b->lo[c]) {
					b->lo[c] = nlo;
					b->why_lo[c] = ci;
					changed = 1;
				}
				if (nhi < b->hi[c]) {
					b->hi[c] = nhi;
					b->why_hi[c] = ci;
					changed = 1;
				}
			}
		}
	}
}

/* Adds the published counts (n > 0, not fixed 1) of constraint ci to the
 * candidate list cand (refs, no duplicates; at most cap). */
static void bcands(cor_stats_result *r, int ci, cor_stats_ref *cand,
                   int *ncand, int cap)
{
	const cor_stats_constraint *cn = &r->cons[ci];

	for (int m = -1; m < cn->nmem && *ncand < cap; m++) {
		cor_stats_ref a = m < 0 ? cn->total : cn->mem[m];
		const cor_stats_cell *x = cell_ref(r, a);
		int dup = 0;

		if (is_sup(x) || x->status != COR_CELL_OK || x->n <= 0 ||
		    x->fixed == 1)
			continue;
		for (int q = 0; q < *ncand && !dup; q++)
			dup = cand[q].table == a.table &&
			      cand[q].row == a.row && cand[q].col == a.col;
		if (!dup)
			cand[(*ncand)++] = a;
	}
}

/* The candidates that may open disclosed small count no (pinned: lo ==
 * hi): the published counts of the constraints that narrowed it and of
 * the constraints that narrowed the pinned withheld cells of those (a row
 * of small cells pinned by its margin, the margin by the margins' total),
 * smallest first and kept headline counts (fixed 2) last. Returns the
 * number put in cand (at most cap). */
static int bcand_list(cor_stats_result *r, bounds *b, int no,
                      cor_stats_ref *cand, int cap)
{
	int ncand = 0, why[2] = { b->why_lo[no], b->why_hi[no] };

	for (int w = 0; w < 2; w++)
		if (why[w] >= 0)
			bcands(r, why[w], cand, &ncand, cap);
	for (int w = 0; w < 2; w++) {
		const cor_stats_constraint *cn;

		if (why[w] < 0)
			continue;
		cn = &r->cons[why[w]];
		for (int m = -1; m < cn->nmem; m++) {
			cor_stats_ref a = m < 0 ? cn->total : cn->mem[m];
			int c = bcell(r, b, a);

			if (c == no || !is_sup(cell_ref(r, a)) ||
			    b->lo[c] != b->hi[c])
				continue;
			if (b->why_lo[c] >= 0)
				bcands(r, b->why_lo[c], cand, &ncand, cap);
			if (b->why_hi[c] >= 0)
				bcands(r, b->why_hi[c], cand, &ncand, cap);
		}
	}
	for (int a = 1; a < ncand; a++)
		for (int z = a; z > 0; z--) {
			const cor_stats_cell *x = cell_ref(r, cand[z - 1]);
			const cor_stats_cell *y = cell_ref(r, cand[z]);

			if ((x->fixed == 2) > (y->fixed == 2) ||
			    ((x->fixed == 2) == (y->fixed == 2) &&
			     x->n > y->n)) {
				cor_stats_ref t = cand[z - 1];

				cand[z - 1] = cand[z];
				cand[z] = t;
			}
		}
	return ncand;
}

static void publish_again(cor_stats_cell *x)
{
	x->status = COR_CELL_OK;
	x->primary = 0;
}

#define BUNPIN_DEPTH 8   /* cells one deep search may withhold */

/* Last resort for a pinned small count no: a total "<k" over listed
 * cells "<k" says too much (k-1 cells of at least 1 under a total of at
 * most k-1: each is 1). The withheld small totals of the constraints that
 * pin no are printed "x" instead (primary 0: no upper bound), one at a
 * time, and the first that leaves no open is kept. Not a total withheld
 * because a linked result withholds it (its marker is that result's),
 * nor one a linked result prints (its value is known). 1 when a marker
 * changed. */
static int bunpin_demote(cor_stats_result *r, int k, bounds *b, int no)
{
	int why[2] = { b->why_lo[no], b->why_hi[no] };

	for (int w = 0; w < 2; w++) {
		cor_stats_cell *t;
		int tno;

		if (why[w] < 0)
			continue;
		t = cell_ref(r, r->cons[why[w]].total);
		tno = bcell(r, b, r->cons[why[w]].total);
		if (tno == no || !is_sup(t) || !t->primary || t->linked_wh ||
		    t->fixed == 1)
			continue;
		t->primary = 0;
		bprop(r, k, b);
		if (b->lo[no] < b->hi[no])
			return 1;
		t->primary = 1;
		bprop(r, k, b);
	}
	return 0;
}

/* Opens disclosed small count no (pinned: lo == hi). First one cell:
 * each candidate (bcand_list) alone, keeping the first whose withholding
 * leaves no unpinned. When none does (no is pinned by two constraints at
 * once, e.g. a leg "<5" by its from-node's and its to-node's totals, or
 * by a total that is itself pinned elsewhere), a deeper search: withhold
 * the first candidate, propagate, take the candidates of whatever now
 * pins no, and so on, at most BUNPIN_DEPTH cells; once no is open, each
 * of those cells is published again, last first, when no stays open
 * without it. 1 when cells were withheld; 0 when nothing opens no (then
 * nothing is left withheld: a pinning no suppression undoes, e.g. k-1
 * cells "<k" under a total "<k", or a total another output of the
 * family already printed). */
static int bunpin(cor_stats_result *r, int k, bounds *b, int no)
{
	cor_stats_ref cand[64], deep[BUNPIN_DEPTH];
	int ncand = bcand_list(r, b, no, cand, 64), nd = 0;

	for (int q = 0; q < ncand && q < 16; q++) {
		cor_stats_cell *x = cell_ref(r, cand[q]);

		withhold(x, 0);
		bprop(r, k, b);
		if (b->lo[no] < b->hi[no])
			return 1;
		publish_again(x);
	}
	bprop(r, k, b);
	while (nd < BUNPIN_DEPTH && b->lo[no] == b->hi[no]) {
		ncand = bcand_list(r, b, no, cand, 64);
		if (ncand == 0)
			break;
		deep[nd++] = cand[0];
		withhold(cell_ref(r, cand[0]), 0);
		bprop(r, k, b);
	}
	if (b->lo[no] == b->hi[no]) {
		while (nd > 0)
			publish_again(cell_ref(r, deep[--nd]));
		bprop(r, k, b);
		return bunpin_demote(r, k, b, no);
	}
	for (int i = nd - 2; i >= 0; i--) {
		cor_stats_cell *x = cell_ref(r, deep[i]);

		publish_again(x);
		bprop(r, k, b);
		if (b->lo[no] == b->hi[no]) {
			withhold(x, 0);
			bprop(r, k, b);
		}
	}
	return 1;
}

/* One round of the bounds audit (interval propagation over the
 * constraints, as a reader narrows "<5" and "x" by the printed totals
 * until nothing moves; fifth user trial: a male total 5 printed over five
 * male cells "<5" gave each of them as 1, and 608 small counts of 132
 * briefs came back this way). The first disclosed small count that a
 * withheld cell can open is opened (bunpin). *added: cells withheld (0 or
 * 1); *stuck: disclosed small counts nothing opens. Returns 0 or
 * COR_ENOMEM. Not an LP: propagation misses bounds that need several
 * constraints at once; the exact audit covers equalities. */
static int bounds_round(cor_stats_result *r, int k, int *added, int *stuck)
{
	bounds b;
	int ncell = 0, rc = 0;

	*added = *stuck = 0;
	memset(&b, 0, sizeof(b));
	b.off = calloc((size_t)r->ntable + 1, sizeof(*b.off));
	if (b.off == NULL)
		return COR_ENOMEM;
	for (int ti = 0; ti < r->ntable; ti++) {
		b.off[ti] = ncell;
		ncell += r->tables[ti].nrow * r->tables[ti].ncol;
	}
	b.lo = malloc(((size_t)ncell + 1) * sizeof(*b.lo));
	b.hi = malloc(((size_t)ncell + 1) * sizeof(*b.hi));
	b.why_lo = malloc(((size_t)ncell + 1) * sizeof(*b.why_lo));
	b.why_hi = malloc(((size_t)ncell + 1) * sizeof(*b.why_hi));
	if (b.lo == NULL || b.hi == NULL || b.why_lo == NULL ||
	    b.why_hi == NULL) {
		rc = COR_ENOMEM;
		goto out;
	}
	bprop(r, k, &b);
	for (int ti = 0; ti < r->ntable && *added == 0; ti++) {
		const cor_stats_table *t = &r->tables[ti];

		for (int i = 0; i < t->nrow && *added == 0; i++)
			for (int j = 0; j < t->ncol && *added == 0; j++) {
				const cor_stats_cell *c = &t->rows[i].cells[j];
				int no = b.off[ti] + i * t->ncol + j;

				if (t->cols[j].type != COR_COL_COUNT ||
				    !is_sup(c) || c->n < 1 || c->n >= k ||
				    b.lo[no] < b.hi[no])
					continue;
				if (bunpin(r, k, &b, no))
					*added = 1;
				else
					(*stuck)++;
			}
	}
out:
	free(b.lo);
	free(b.hi);
	free(b.why_lo);
	free(b.why_hi);
	free(b.off);
	return rc;
}

/* Refits the Poisson trend on the published periods when a period count is
 * withheld (a GLM with intercept has sum(fitted) = sum(observed), so
 * fitted values over all periods would give away the withheld total). */
static int trend_refit(cor_stats_result *r, cor_err *err)
{
	cor_stats_table *s = NULL, *mt = NULL;
	int sn, sf, nhid = 0, rc = 0;
	size_t np = 0;
	double *xs = NULL, *ys = NULL, ppy;
	cor_stats_trend t;
	cor_err e;

	memset(&t, 0, sizeof(t));
	for (int ti = 0; ti < r->ntable; ti++) {
		if (strcmp(r->tables[ti].name, "series") == 0 && s == NULL)
			s = &r->tables[ti];
		if (strcmp(r->tables[ti].name, "model") == 0 && mt == NULL)
			mt = &r->tables[ti];
	}
	if (!r->has_trend || !r->trend.estimable || s == NULL)
		return 0;
	sn = cor_stats_col_find(s, "n");
	sf = cor_stats_col_find(s, "fit");
	if (sn < 0 || s->cols[sn].type != COR_COL_COUNT)
		return 0;
	for (int i = 0; i < s->nrow; i++)
		nhid += !s->rows[i].margin && is_sup(&s->rows[i].cells[sn]);
	if (nhid == 0)
		return 0;
	xs = malloc(((size_t)s->nrow + 1) * sizeof(*xs));
	ys = malloc(((size_t)s->nrow + 1) * sizeof(*ys));
	if (xs == NULL || ys == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < s->nrow; i++) {
		const cor_stats_cell *c = &s->rows[i].cells[sn];

		if (s->rows[i].margin || c->status != COR_CELL_OK)
			continue;
		xs[np] = (double)i;    /* the period index, gaps kept */
		ys[np++] = (double)c->n;
	}
	ppy = r->req.by == COR_BY_MONTH ? 12.0 :
	      r->req.by == COR_BY_YEAR ? 1.0 : 4.0;
	cor_err_clear(&e);
	rc = cor_stats_poisson_trend(xs, ys, np, ppy, &t, &e);
	if (rc != 0 && rc != COR_EDEGENERATE) {
		*err = e;
		goto out;
	}
	cor_stats_trend_free(&r->trend);
	r->trend = t;        /* owns t's arrays now */
	r->trend.estimable = rc == 0;
	if (rc == COR_EDEGENERATE)
		snprintf(r->trend.reason, sizeof(r->trend.reason),
		         "%.100s on the published periods (%d withheld)",
		         t.reason[0] ? t.reason : "not estimable", nhid);
	rc = cor_stats_warn(r, rc == 0 ? "trend fitted on published periods "
	                    "only (%d withheld)" : "trend not estimable on "
	                    "published periods only (%d withheld)", nhid);
	if (rc != 0) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	/* series: fitted values of published periods from the refit; of
	 * withheld periods, withheld */
	for (int i = 0, q = 0; sf >= 0 && i < s->nrow; i++) {
		cor_stats_cell *f = &s->rows[i].cells[sf];

		if (s->rows[i].margin)
			continue;
		if (s->rows[i].cells[sn].status != COR_CELL_OK) {
			withhold(f, 0);
			continue;
		}
		if (r->trend.estimable) {
			f->status = COR_CELL_OK;
			f->v = r->trend.fit[q];
			f->lo = r->trend.fit_lo[q];
			f->hi = r->trend.fit_hi[q];
			f->has_ci = 1;
		} else {
			f->status = COR_CELL_NA;
			f->reason = "trend not estimable";
		}
		q++;
	}
	/* model row */
	for (int i = 0; mt != NULL && i < mt->nrow; i++) {
		cor_stats_row *row = &mt->rows[i];
		int cm = cor_stats_col_find(mt, "model");
		int cpn = cor_stats_col_find(mt, "periods");
		int cc = cor_stats_col_find(mt, "change_pct_per_year");
		int cpv = cor_stats_col_find(mt, "p_value");
		int cd = cor_stats_col_find(mt, "dispersion");
		char m[200];

		if (cm >= 0) {
			char *txt;
			if (r->trend.estimable)
				snprintf(m, sizeof(m), "%s", r->trend.quasi ?
				         "quasi-poisson" : "poisson");
			else
				snprintf(m, sizeof(m), "not estimable: %s",
				         r->trend.reason);
			txt = strdup(m);
			if (txt == NULL) {
				rc = cor_err_set(err, COR_ENOMEM,
				                 "out of memory");
				goto out;
			}
			free(row->cells[cm].code);
			row->cells[cm].code = txt;
		}
		if (cpn >= 0) {
			row->cells[cpn].status = COR_CELL_OK;
			row->cells[cpn].v = (double)np;
		}
		for (int j = 0; j < 3; j++) {
			int col = j == 0 ? cc : j == 1 ? cpv : cd;
			cor_stats_cell *c;

			if (col < 0)
				continue;
			c = &row->cells[col];
			if (!r->trend.estimable) {
				c->status = COR_CELL_NA;
				c->reason = "trend not estimable";
				continue;
			}
			c->status = COR_CELL_OK;
			if (j == 0) {
				c->v = r->trend.pct_per_year;
				c->lo = r->trend.pct_lo;
				c->hi = r->trend.pct_hi;
				c->has_ci = 1;
			} else {
				c->v = j == 1 ? r->trend.p_value
				              : r->trend.dispersion;
			}
		}
	}
	rc = 0;
out:
	free(xs);
	free(ys);
	return rc;
}

/* Identity of row i of t across results: its CODE and PERIOD cells and
 * margin flag, as one string in buf (truncated keys never match: 0). */
static int row_key(const cor_stats_table *t, int i, char *buf, size_t n)
{
	size_t o = 0;
	int w = snprintf(buf, n, "%d", t->rows[i].margin);

	if (w < 0 || (size_t)w >= n)
		return 0;
	o = (size_t)w;
	for (int j = 0; j < t->ncol; j++) {
		const cor_stats_cell *c = &t->rows[i].cells[j];

		if (t->cols[j].type != COR_COL_CODE &&
		    t->cols[j].type != COR_COL_PERIOD)
			continue;
		w = snprintf(buf + o, n - o, "\x1f%s", c->code != NULL ?
		             c->code : "\x01");
		if (w < 0 || (size_t)w >= n - o)
			return 0;
		o += (size_t)w;
	}
	return 1;
}

/* Row i of t against row m of u (the linked table): a count withheld
 * there with the same value is withheld here, one published there with the
 * same value is fixed here. lk: linked's k. */
static void link_row(cor_stats_table *t, int i, const cor_stats_table *u,
                     int m, int lk, int same_pop)
{
	for (int j = 0; j < t->ncol; j++) {
		cor_stats_cell *c = &t->rows[i].cells[j];
		const cor_stats_cell *lc;
		int j2;

		if (c->status != COR_CELL_OK)
			continue;
		j2 = cor_stats_col_find(u, t->cols[j].key);
		if (j2 < 0 || u->cols[j2].type != t->cols[j].type)
			continue;
		lc = &u->rows[m].cells[j2];
		/* a share, rate ratio, median or number of the same
		 * population, computed from the same values, withheld
		 * there: withheld here (it gives the same away) */
		if (t->cols[j].type != COR_COL_COUNT) {
			if (same_pop && t->cols[j].type != COR_COL_CODE &&
			    t->cols[j].type != COR_COL_TEXT &&
			    t->cols[j].type != COR_COL_PERIOD &&
			    lc->status == COR_CELL_SUPPRESSED &&
			    lc->n == c->n && lc->d == c->d && lc->v == c->v)
				withhold(c, 0);
			continue;
		}
		if (lc->n != c->n)
			continue;
		if (lc->status == COR_CELL_SUPPRESSED) {
			/* the same marker: a small count printed "x" there
			 * (bunpin_demote) is "x" here too */
			withhold(c, c->n >= 1 && c->n < lk && lc->primary);
			c->linked_wh = 1;
		} else if (lc->status == COR_CELL_OK)
			c->fixed = 1;
	}
}

/* Both NULL, or equal strings. */
static int same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Step 0 of cor_stats_suppress_linked: every row of r with a row of the
 * same identity in the same-named table of L (row_key of each L row made
 * once) goes through link_row. 0 or COR_ENOMEM. */
static int link_cells(cor_stats_result *r, const cor_stats_result *L)
{
	char ka[1024];
	/* the same population: no population filter differs */
	const cor_stats_req *a = &r->req, *b = &L->req;
	int same_pop = same_str(a->county, b->county) &&
	               same_str(a->source, b->source);

	for (int ti = 0; ti < r->ntable; ti++) {
		cor_stats_table *t = &r->tables[ti];
		const cor_stats_table *u = cor_stats_table_find(L, t->name);
		char **keys;

		if (u == NULL || u->nrow == 0)
			continue;
		keys = calloc((size_t)u->nrow, sizeof(*keys));
		if (keys == NULL)
			return COR_ENOMEM;
		for (int i2 = 0; i2 < u->nrow; i2++)
			if (row_key(u, i2, ka, sizeof(ka)) &&
			    (keys[i2] = strdup(ka)) == NULL) {
				for (int f = 0; f < i2; f++)
					free(keys[f]);
				free(keys);
				return COR_ENOMEM;
			}
		for (int i = 0; i < t->nrow; i++) {
			if (!row_key(t, i, ka, sizeof(ka)))
				continue;
			for (int i2 = 0; i2 < u->nrow; i2++)
				if (keys[i2] != NULL &&
				    strcmp(ka, keys[i2]) == 0) {
					link_row(t, i, u, i2, L->k,
					         same_pop);
					break;
				}
		}
		for (int i2 = 0; i2 < u->nrow; i2++)
			free(keys[i2]);
		free(keys);
	}
	return 0;
}

static int ll_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* The values of r's withheld COUNT cells, sorted, in *out (caller frees;
 * NULL when there are none). 0 or COR_ENOMEM. */
static int withheld_values(const cor_stats_result *r, long long **out,
                           size_t *n)
{
	size_t m = 0;

	*out = NULL;
	*n = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int ti = 0; ti < r->ntable; ti++) {
			const cor_stats_table *t = &r->tables[ti];

			for (int j = 0; j < t->ncol; j++) {
				if (t->cols[j].type != COR_COL_COUNT)
					continue;
				for (int i = 0; i < t->nrow; i++) {
					const cor_stats_cell *c =
						&t->rows[i].cells[j];

					if (!is_sup(c))
						continue;
					if (pass == 1)
						(*out)[*n] = c->n;
					(*n) += pass;
					m += !pass;
				}
			}
		}
		if (pass == 0) {
			if (m == 0)
				return 0;
			*out = malloc(m * sizeof(**out));
			if (*out == NULL)
				return COR_ENOMEM;
		}
	}
	qsort(*out, *n, sizeof(**out), ll_cmp);
	return 0;
}

int cor_stats_suppress(cor_stats_result *r, int k, cor_err *err)
{
	return cor_stats_suppress_family(r, k, NULL, 0, err);
}

int cor_stats_suppress_linked(cor_stats_result *r, int k,
                              const cor_stats_result *linked, cor_err *err)
{
	return cor_stats_suppress_family(r, k, &linked, linked != NULL, err);
}

int cor_stats_suppress_family(cor_stats_result *r, int k,
                              const cor_stats_result *const *linked,
                              int nlinked, cor_err *err)
{
	int count = 0, added, stuck = 0, rc;
	long long *wv = NULL;   /* withheld counts, sorted (step 3) */
	size_t nwv = 0;

	if (k < 2)
		return cor_err_set(err, COR_EINVAL,
		                   "disclosure threshold k must be >= 2 (got %d)",
		                   k);
	r->k = k;
	/* 0. linked results: the same cells, the same status */
	for (int l = 0; l < nlinked; l++)
		if (linked[l] != NULL && link_cells(r, linked[l]) != 0)
			return cor_err_set(err, COR_ENOMEM, "out of memory");
	/* 1. primary */
	for (int ti = 0; ti < r->ntable; ti++) {
		cor_stats_table *t = &r->tables[ti];
		for (int i = 0; i < t->nrow; i++) {
			for (int j = 0; j < t->ncol; j++) {
				cor_stats_cell *c = &t->rows[i].cells[j];
				if (t->cols[j].type == COR_COL_COUNT &&
				    c->status == COR_CELL_OK && c->n >= 1 &&
				    c->n < k)
					withhold(c, 1);
			}
		}
	}
	/* 2. complementary: the greedy rule first, then the exact linear
	 * audit, one more cell per component and round, until no withheld
	 * count is determined by the published cells (terminates: every
	 * round withholds at least one more cell or stops) */
	for (;;) {
		int badd = 0, bstuck = 0;

		greedy_pass(r);
		rc = audit_round(r, &added, &stuck, err);
		if (rc != 0)
			return rc;
		if (added > 0)
			continue;
		/* no equality gives a withheld count back: then the
		 * bounds ("<k" is 1..k-1, "x" is 0 or >= k) */
		if (bounds_round(r, k, &badd, &bstuck) != 0)
			return cor_err_set(err, COR_ENOMEM, "out of memory");
		if (badd == 0) {
			stuck += bstuck;
			break;
		}
	}
	if (stuck > 0 &&
	    cor_stats_warn(r, "disclosure control: %d withheld cells are "
	                   "determined by the published totals and nothing "
	                   "more can be withheld", stuck) != 0)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	/* 2b. the trend series: refit on the published periods */
	rc = trend_refit(r, err);
	if (rc != 0)
		return rc;
	/* 3. derived cells. A share also gives away its base (n / share):
	 * a share whose base equals a withheld count of this output is
	 * withheld, whether or not the base was declared (dep) */
	rc = withheld_values(r, &wv, &nwv);
	if (rc != 0)
		return cor_err_set(err, rc, "out of memory");
	for (int ti = 0; ti < r->ntable; ti++) {
		cor_stats_table *t = &r->tables[ti];
		for (int i = 0; i < t->nrow; i++) {
			for (int j = 0; j < t->ncol; j++) {
				cor_stats_cell *c = &t->rows[i].cells[j];
				cor_stats_ctype ty = t->cols[j].type;
				int sup = 0;

				if (ty == COR_COL_CODE || ty == COR_COL_TEXT ||
				    ty == COR_COL_PERIOD || ty == COR_COL_COUNT)
					continue;
				for (int d = 0; d < c->ndep; d++) {
					cor_stats_cell *dc = cell_ref(r,
					                              c->dep[d]);
					if (dc != NULL && is_sup(dc))
						sup = 1;
				}
				if (ty == COR_COL_SHARE &&
				    ((c->n >= 1 && c->n < k) ||
				     (c->d >= 1 && c->d < k)))
					sup = 1;
				if (ty == COR_COL_SHARE && !sup &&
				    c->status == COR_CELL_OK && c->d > 0 &&
				    nwv > 0 && bsearch(&c->d, wv, nwv,
				                       sizeof(*wv), ll_cmp))
					sup = 1;
				if (ty == COR_COL_RR &&
				    ((c->n >= 1 && c->n < k) ||
				     (c->d >= 1 && c->d < k)))
					sup = 1;
				if (ty == COR_COL_DIST &&
				    c->status == COR_CELL_OK && c->n < k)
					sup = 1;
				if (sup && c->status != COR_CELL_SUPPRESSED)
					withhold(c, 0);
			}
		}
	}
	for (int ti = 0; ti < r->ntable; ti++) {
		cor_stats_table *t = &r->tables[ti];
		for (int i = 0; i < t->nrow; i++)
			for (int j = 0; j < t->ncol; j++)
				count += is_sup(&t->rows[i].cells[j]);
	}
	r->suppressed = count;
	free(wv);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                           */
/* ------------------------------------------------------------------ */

/* 1 when s holds a lower-case ASCII letter. */
static int has_lower(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			return 1;
	return 0;
}

/* Prints v with sensible precision; v finite by construction. */
static void num(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "n/a");
	else if (fabs(v) >= 100.0 || v == floor(v))
		snprintf(buf, n, "%.0f", v);
	else if (fabs(v) >= 10.0)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

const char *cor_stats_cell_format(const cor_stats_result *r,
                                  const cor_stats_table *t, int row,
                                  int col, char *buf, size_t n)
{
	const cor_stats_cell *c = cor_stats_cell_get(t, row, col);
	char a[64], b[64], d[64];

	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (c == NULL)
		return buf;
	switch (t->cols[col].type) {
	case COR_COL_CODE:
		if (c->code == NULL && t->rows[row].margin)
			snprintf(buf, n, "%s", c->name != NULL ? c->name
			                                       : "Total");
		else if (c->code == NULL)
			snprintf(buf, n, "%s", c->name != NULL ? c->name : "");
		else if (c->name != NULL && has_lower(c->code))
			/* a code word such as "women_girls": its label says
			 * it; ISO codes and P-codes stay beside the name */
			snprintf(buf, n, "%s", c->name);
		else if (c->name != NULL && strcmp(c->name, c->code) != 0)
			snprintf(buf, n, "%s %s", c->code, c->name);
		else
			snprintf(buf, n, "%s", c->code);
		return buf;
	case COR_COL_TEXT:
	case COR_COL_PERIOD:
		snprintf(buf, n, "%s", c->code != NULL ? c->code : "");
		return buf;
	default:
		break;
	}
	if (c->status == COR_CELL_SUPPRESSED) {
		/* "<k" is true only of a count withheld for being 1..k-1;
		 * anything withheld to protect another cell is "x" */
		if (c->primary)
			snprintf(buf, n, "<%d", r->k);
		else
			snprintf(buf, n, "%s", COR_STATS_X);
		return buf;
	}
	if (c->status == COR_CELL_NA) {
		snprintf(buf, n, "n/a");
		return buf;
	}
	switch (t->cols[col].type) {
	case COR_COL_COUNT:
		snprintf(buf, n, "%lld", c->n);
		break;
	case COR_COL_SHARE:
		snprintf(buf, n, "%.1f%% (%.1f-%.1f)", 100.0 * c->v,
		         100.0 * c->lo, 100.0 * c->hi);
		break;
	case COR_COL_RR:
		/* below 1e-300 a double p-value is underflow (denormals such
		 * as 4.94e-324), not a number to print */
		if (c->p < 1e-300)
			snprintf(buf, n, "%.2f (%.2f-%.2f) p<1e-300", c->v,
			         c->lo, c->hi);
		else
			snprintf(buf, n, "%.2f (%.2f-%.2f) p=%.3g", c->v,
			         c->lo, c->hi, c->p);
		break;
	case COR_COL_DIST:
		num(a, sizeof(a), c->v);
		num(b, sizeof(b), c->q1);
		num(d, sizeof(d), c->q3);
		snprintf(buf, n, "%s (IQR %s-%s)", a, b, d);
		break;
	case COR_COL_NUM:
		num(a, sizeof(a), c->v);
		if (t->cols[col].has_ci && c->has_ci) {
			num(b, sizeof(b), c->lo);
			num(d, sizeof(d), c->hi);
			snprintf(buf, n, "%s (%s to %s)", a, b, d);
		} else {
			snprintf(buf, n, "%s", a);
		}
		break;
	default:
		break;
	}
	return buf;
}

const char *cor_stats_change_words(const cor_stats_result *r,
                                   const cor_stats_cell *rr, char *buf,
                                   size_t n)
{
	double pct, lo, hi;

	if (rr == NULL || rr->status == COR_CELL_NA) {
		snprintf(buf, n, "n/a (%s)",
		         rr != NULL && rr->reason != NULL ? rr->reason
		                                          : "not computable");
		return buf;
	}
	if (rr->status == COR_CELL_SUPPRESSED) {
		if (rr->primary)
			snprintf(buf, n, "suppressed (<%d)",
			         r != NULL ? r->k : 0);
		else
			snprintf(buf, n, "suppressed (%s)", COR_STATS_X);
		return buf;
	}
	pct = 100.0 * (rr->v - 1.0);
	lo = 100.0 * (rr->lo - 1.0);
	hi = 100.0 * (rr->hi - 1.0);
	if (lround(pct) == 0)
		snprintf(buf, n, "no change (95%% CI %.0f%% to %.0f%%)", lo, hi);
	else
		snprintf(buf, n, "%s %.0f%% (95%% CI %.0f%% to %.0f%%)",
		         pct > 0 ? "up" : "down", fabs(pct), lo, hi);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Writers                                                              */
/* ------------------------------------------------------------------ */

#define NFP "NOT FOR PUBLICATION"

static int io_fail(cor_err *err)
{
	return cor_err_set(err, COR_EIO, "write failed");
}

static int has_reason(const cor_stats_col *c);

/* Display width of a UTF-8 string (code points). */
static int width(const char *s)
{
	int w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void pad(FILE *fp, const char *s, int w, int right)
{
	int sw = width(s);

	if (right)
		for (int i = sw; i < w; i++)
			fputc(' ', fp);
	fputs(s, fp);
	if (!right)
		for (int i = sw; i < w; i++)
			fputc(' ', fp);
}

static void params_line(const cor_stats_result *r, char *buf, size_t n)
{
	const cor_stats_req *q = &r->req;
	size_t o;

	/* the grouping matters only for kinds that print a series */
	int series = r->kind == COR_STATS_TREND ||
	             r->kind == COR_STATS_INCIDENTS ||
	             r->kind == COR_STATS_BRIEF;

	if (q->from[0] == '\0' && q->to[0] == '\0')
		o = (size_t)snprintf(buf, n, "period: all dates");
	else
		o = (size_t)snprintf(buf, n, "period %s..%s",
		                     q->from[0] ? q->from : "start",
		                     q->to[0] ? q->to : "end");
	if (series && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", by %s",
		                      cor_stats_by_name(q->by));
#define ADDF(name, v) do { \
	if ((v) != NULL && o < n) \
		o += (size_t)snprintf(buf + o, n - o, ", %s %s", name, v); \
} while (0)
	ADDF("case type", q->case_type);
	ADDF("citizenship", q->citizenship);
	ADDF("sex", q->sex);
	ADDF("county", q->county);
	ADDF("source", q->source);
#undef ADDF
}

/* 1 when some cell of r is withheld as primary (want = 1) or to protect
 * another cell (want = 0), in a numeric column (printed "<k" / "x"). */
static int has_kind(const cor_stats_result *r, int want)
{
	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *t = &r->tables[ti];
		for (int j = 0; j < t->ncol; j++) {
			if (!has_reason(&t->cols[j]))
				continue;
			for (int i = 0; i < t->nrow; i++) {
				const cor_stats_cell *c = &t->rows[i].cells[j];
				if (c->status == COR_CELL_SUPPRESSED &&
				    !c->primary == !want)
					return 1;
			}
		}
	}
	return 0;
}

int cor_stats_write_text(FILE *fp, const cor_stats_result *r, cor_err *err)
{
	const char *pre = r->no_suppress ? NFP "  " : "";
	char buf[512], pl[512];

	params_line(r, pl, sizeof(pl));
	fprintf(fp, "%scorridor stats %s: %s\n", pre,
	        cor_stats_kind_name(r->kind), pl);
	fprintf(fp, "%sdisclosure control: k = %d, cells suppressed: %d%s\n",
	        pre, r->k, r->suppressed,
	        r->no_suppress ? " (suppression OFF: " NFP ")" : "");
	if (r->synthetic)
		fprintf(fp, "%sSYNTHETIC DATA - NOT FOR PUBLICATION\n", pre);
	fprintf(fp, "%sbatches:", pre);
	if (r->nbatch == 0)
		fprintf(fp, " none");
	for (int i = 0; i < r->nbatch; i++)
		fprintf(fp, " %lld", r->batches[i]);
	fprintf(fp, "\n");
	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *t = &r->tables[ti];
		int *w = calloc((size_t)t->ncol, sizeof(*w));

		if (w == NULL)
			return cor_err_set(err, COR_ENOMEM, "out of memory");
		for (int j = 0; j < t->ncol; j++) {
			w[j] = width(t->cols[j].label);
			for (int i = 0; i < t->nrow; i++) {
				int cw = width(cor_stats_cell_format(
					r, t, i, j, buf, sizeof(buf)));
				if (cw > w[j])
					w[j] = cw;
			}
		}
		fprintf(fp, "%s\n%s%s\n", pre, pre, t->title);
		fputs(pre, fp);
		for (int j = 0; j < t->ncol; j++) {
			int right = t->cols[j].type >= COR_COL_COUNT;
			pad(fp, t->cols[j].label, w[j], right);
			fputs(j + 1 < t->ncol ? "  " : "\n", fp);
		}
		if (t->nrow == 0)
			fprintf(fp, "%s(no rows)\n", pre);
		for (int i = 0; i < t->nrow; i++) {
			fputs(pre, fp);
			for (int j = 0; j < t->ncol; j++) {
				int right = t->cols[j].type >= COR_COL_COUNT;
				cor_stats_cell_format(r, t, i, j, buf,
				                      sizeof(buf));
				if (j + 1 == t->ncol)
					fputs(buf, fp);
				else
					pad(fp, buf, w[j], right);
				fputs(j + 1 < t->ncol ? "  " : "\n", fp);
			}
		}
		free(w);
	}
	for (int i = 0; i < r->nwarn; i++)
		fprintf(fp, "%swarning: %s\n", pre, r->warnings[i]);
	if (has_kind(r, 0))
		fprintf(fp, "%s%s\n", pre, COR_STATS_X_NOTE);
	fprintf(fp, "%sk = %d; cells suppressed: %d\n", pre, r->k,
	        r->suppressed);
	if (fflush(fp) != 0 || ferror(fp))
		return io_fail(err);
	return 0;
}

/* --- field expansion shared by CSV and JSON --- */

typedef struct field {
	char key[96];
	char hxl[128];
} field;

/* Expands column c into its fields (max 6). Returns their number. */
static int expand(const cor_stats_col *c, field *f)
{
	const char *k = c->key;
	const char *h = c->hxl != NULL ? c->hxl : "#meta";
	int n = 0;

#define F(kfmt, kv, hfmt, hv) do { \
	snprintf(f[n].key, sizeof(f[n].key), kfmt, kv); \
	snprintf(f[n].hxl, sizeof(f[n].hxl), hfmt, hv); \
	n++; \
} while (0)
	switch (c->type) {
	case COR_COL_CODE:
		F("%s", k, "%s+code", h);
		F("%s_name", k, "%s+name", h);
		break;
	case COR_COL_TEXT:
	case COR_COL_PERIOD:
		F("%s", k, "%s", h);
		break;
	case COR_COL_COUNT:
		F("%s", k, "%s", h);
		if (strcmp(k, "n") == 0) {
			F("%s", "suppressed", "%s", "#meta+suppressed");
			F("%s", "suppression", "%s", "#meta+suppression");
		} else {
			F("%s_suppressed", k, "#meta+suppressed+%s", k);
			F("%s_suppression", k, "#meta+suppression+%s", k);
		}
		break;
	case COR_COL_SHARE:
		F("%s", k, "%s", h);
		F("%s_ci_low", k, "%s+ci_low", h);
		F("%s_ci_high", k, "%s+ci_high", h);
		break;
	case COR_COL_RR:
		F("%s", k, "%s", h);
		if (strcmp(k, "rate_ratio") == 0) {
			F("%s", "rr_ci_low", "%s+ci_low", h);
			F("%s", "rr_ci_high", "%s+ci_high", h);
			F("%s", "p_value", "%s+pvalue", h);
		} else {
			F("%s_ci_low", k, "%s+ci_low", h);
			F("%s_ci_high", k, "%s+ci_high", h);
			F("%s_p_value", k, "%s+pvalue", h);
		}
		break;
	case COR_COL_DIST:
		F("%s_median", k, "%s+median", h);
		F("%s_q1", k, "%s+q1", h);
		F("%s_q3", k, "%s+q3", h);
		F("%s_median_ci_low", k, "%s+median+ci_low", h);
		F("%s_median_ci_high", k, "%s+median+ci_high", h);
		F("%s_n", k, "%s+num", h);
		break;
	case COR_COL_NUM:
		F("%s", k, "%s", h);
		if (c->has_ci) {
			F("%s_ci_low", k, "%s+ci_low", h);
			F("%s_ci_high", k, "%s+ci_high", h);
		}
		break;
	}
#undef F
	return n;
}

/* Value of field fi of cell c as JSON (NULL = json null), new ref. */
static json_t *field_json(const cor_stats_col *col, const cor_stats_cell *c,
                          int fi, int margin)
{
	int ok = c->status == COR_CELL_OK;

	switch (col->type) {
	case COR_COL_CODE:
		if (fi == 0)
			return c->code != NULL ? json_string(c->code)
			                       : json_null();
		if (c->name != NULL)
			return json_string(c->name);
		return margin && c->code == NULL ? json_string("Total")
		                                 : json_null();
	case COR_COL_TEXT:
	case COR_COL_PERIOD:
		return c->code != NULL ? json_string(c->code) : json_null();
	case COR_COL_COUNT:
		if (fi == 1)
			return json_boolean(c->status == COR_CELL_SUPPRESSED);
		if (fi == 2)
			return c->status != COR_CELL_SUPPRESSED ? json_null() :
			       json_string(c->primary ? "primary"
			                              : "complementary");
		return ok ? json_integer(c->n) : json_null();
	case COR_COL_SHARE:
		if (!ok)
			return json_null();
		return json_real(fi == 0 ? c->v : fi == 1 ? c->lo : c->hi);
	case COR_COL_RR:
		if (!ok)
			return json_null();
		return json_real(fi == 0 ? c->v : fi == 1 ? c->lo
		                 : fi == 2 ? c->hi : c->p);
	case COR_COL_DIST:
		if (fi == 5)
			return ok ? json_integer(c->n) : json_null();
		if (!ok)
			return json_null();
		return json_real(fi == 0 ? c->v : fi == 1 ? c->q1
		                 : fi == 2 ? c->q3 : fi == 3 ? c->lo : c->hi);
	case COR_COL_NUM:
		if (!ok || (fi > 0 && !c->has_ci))
			return json_null();
		return json_real(fi == 0 ? c->v : fi == 1 ? c->lo : c->hi);
	}
	return json_null();
}

/* Text form of a field for CSV ("" = empty/null). */
static void field_text(const cor_stats_col *col, const cor_stats_cell *c,
                       int fi, int margin, char *buf, size_t n)
{
	json_t *j = field_json(col, c, fi, margin);

	buf[0] = '\0';
	if (json_is_string(j))
		snprintf(buf, n, "%s", json_string_value(j));
	else if (json_is_integer(j))
		snprintf(buf, n, "%lld", (long long)json_integer_value(j));
	else if (json_is_real(j))
		snprintf(buf, n, "%.6g", json_real_value(j));
	else if (json_is_true(j))
		snprintf(buf, n, "true");
	else if (json_is_false(j))
		snprintf(buf, n, "false");
	json_decref(j);
}

static void csv_put(FILE *fp, const char *s, int first)
{
	if (!first)
		fputc(',', fp);
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static int has_reason(const cor_stats_col *c)
{
	return c->type != COR_COL_CODE && c->type != COR_COL_TEXT &&
	       c->type != COR_COL_PERIOD;
}

int cor_stats_write_csv(FILE *fp, const cor_stats_result *r, int hxl,
                        cor_err *err)
{
	field *all = NULL, f[8];
	int nall = 0, cap = 0, rc = COR_ENOMEM;
	char buf[1024];

	if (hxl && r->no_suppress)
		return cor_err_set(err, COR_EPERM,
		                   "--hxl is refused with --no-suppress");
	/* union of fields over all tables, in order of first appearance */
	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *t = &r->tables[ti];
		for (int j = 0; j < t->ncol; j++) {
			int nf = expand(&t->cols[j], f);
			if (has_reason(&t->cols[j])) {
				snprintf(f[nf].key, sizeof(f[nf].key),
				         "%s_reason", t->cols[j].key);
				snprintf(f[nf].hxl, sizeof(f[nf].hxl),
				         "#meta+reason+%s", t->cols[j].key);
				nf++;
			}
			for (int a = 0; a < nf; a++) {
				int dup = 0;
				for (int b = 0; b < nall; b++)
					if (strcmp(all[b].key, f[a].key) == 0)
						dup = 1;
				if (dup)
					continue;
				if (nall == cap) {
					int nc = cap ? 2 * cap : 32;
					field *nw = realloc(all, (size_t)nc *
					                    sizeof(*nw));
					if (nw == NULL) {
						cor_err_set(err, COR_ENOMEM,
						            "out of memory");
						goto out;
					}
					all = nw;
					cap = nc;
				}
				all[nall++] = f[a];
			}
		}
	}
	/* header */
	if (r->no_suppress)
		csv_put(fp, NFP, 1);
	csv_put(fp, "table", !r->no_suppress);
	csv_put(fp, "margin", 0);
	for (int i = 0; i < nall; i++)
		csv_put(fp, all[i].key, 0);
	csv_put(fp, "k", 0);
	csv_put(fp, "cells_suppressed", 0);
	csv_put(fp, "synthetic", 0);
	fputs("\r\n", fp);
	if (hxl) {
		csv_put(fp, "#meta+table", 1);
		csv_put(fp, "#meta+margin", 0);
		for (int i = 0; i < nall; i++)
			csv_put(fp, all[i].hxl, 0);
		csv_put(fp, "#meta+k", 0);
		csv_put(fp, "#meta+suppressed+num", 0);
		csv_put(fp, "#meta+synthetic", 0);
		fputs("\r\n", fp);
	}
	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *t = &r->tables[ti];
		for (int i = 0; i < t->nrow; i++) {
			const cor_stats_row *row = &t->rows[i];

			if (r->no_suppress)
				csv_put(fp, NFP, 1);
			csv_put(fp, t->name, !r->no_suppress);
			csv_put(fp, row->margin ? "true" : "false", 0);
			for (int a = 0; a < nall; a++) {
				int done = 0;
				for (int j = 0; j < t->ncol && !done; j++) {
					const cor_stats_col *c = &t->cols[j];
					const cor_stats_cell *cell =
						&row->cells[j];
					int nf = expand(c, f);
					for (int q = 0; q < nf && !done; q++) {
						if (strcmp(f[q].key,
						           all[a].key) != 0)
							continue;
						field_text(c, cell, q,
						           row->margin, buf,
						           sizeof(buf));
						csv_put(fp, buf, 0);
						done = 1;
					}
					snprintf(buf, sizeof(buf), "%s_reason",
					         c->key);
					if (!done && has_reason(c) &&
					    strcmp(buf, all[a].key) == 0) {
						csv_put(fp, cell->status ==
						        COR_CELL_NA ?
						        cell->reason :
						        cell->status ==
						        COR_CELL_SUPPRESSED ?
						        "suppressed" : "", 0);
						done = 1;
					}
				}
				if (!done)
					csv_put(fp, "", 0);
			}
			snprintf(buf, sizeof(buf), "%d", r->k);
			csv_put(fp, buf, 0);
			snprintf(buf, sizeof(buf), "%d", r->suppressed);
			csv_put(fp, buf, 0);
			csv_put(fp, r->synthetic ? "true" : "false", 0);
			fputs("\r\n", fp);
		}
	}
	if (fflush(fp) != 0 || ferror(fp)) {
		rc = io_fail(err);
		goto out;
	}
	rc = 0;
out:
	free(all);
	return rc;
}

static json_t *opt_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* Builds the JSON document; NULL on OOM. */
static json_t *to_json(const cor_stats_result *r)
{
	json_t *o = json_object(), *params = json_object();
	json_t *rows = json_array(), *gen = json_array(), *warn = json_array();
	json_t *tables = json_array();
	const cor_stats_req *q = &r->req;
	field f[8];

	if (o == NULL || params == NULL || rows == NULL || gen == NULL ||
	    warn == NULL || tables == NULL) {
		json_decref(o);
		json_decref(params);
		json_decref(rows);
		json_decref(gen);
		json_decref(warn);
		json_decref(tables);
		return NULL;
	}
	json_object_set_new(o, "kind", json_string(cor_stats_kind_name(
		r->kind)));
	json_object_set_new(params, "from", q->from[0] ? json_string(q->from)
	                                               : json_null());
	json_object_set_new(params, "to", q->to[0] ? json_string(q->to)
	                                           : json_null());
	json_object_set_new(params, "by", json_string(cor_stats_by_name(
		q->by)));
	json_object_set_new(params, "case_type", opt_str(q->case_type));
	json_object_set_new(params, "citizenship", opt_str(q->citizenship));
	json_object_set_new(params, "sex", opt_str(q->sex));
	json_object_set_new(params, "county", opt_str(q->county));
	json_object_set_new(params, "source", opt_str(q->source));
	json_object_set_new(params, "k", json_integer(r->k));
	json_object_set_new(params, "no_suppress",
	                    json_boolean(r->no_suppress));
	json_object_set_new(params, "buffer_km", json_real(q->buffer_km));
	json_object_set_new(params, "top", json_integer(q->top));
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "k", json_integer(r->k));
	json_object_set_new(o, "cells_suppressed",
	                    json_integer(r->suppressed));
	json_object_set_new(o, "not_for_publication",
	                    json_boolean(r->no_suppress));
	json_object_set_new(o, "synthetic", json_boolean(r->synthetic));
	for (int i = 0; i < r->nbatch; i++)
		json_array_append_new(gen, json_integer(r->batches[i]));
	json_object_set_new(o, "generated_from", gen);
	for (int ti = 0; ti < r->ntable; ti++) {
		const cor_stats_table *t = &r->tables[ti];
		json_t *tj = json_object();

		json_object_set_new(tj, "name", json_string(t->name));
		json_object_set_new(tj, "title", json_string(t->title));
		json_object_set_new(tj, "rows", json_integer(t->nrow));
		json_array_append_new(tables, tj);
		for (int i = 0; i < t->nrow; i++) {
			const cor_stats_row *row = &t->rows[i];
			json_t *ro = json_object();

			json_object_set_new(ro, "table", json_string(t->name));
			json_object_set_new(ro, "margin",
			                    json_boolean(row->margin));
			for (int j = 0; j < t->ncol; j++) {
				const cor_stats_col *c = &t->cols[j];
				const cor_stats_cell *cell = &row->cells[j];
				int nf = expand(c, f);

				for (int a = 0; a < nf; a++)
					json_object_set_new(ro, f[a].key,
						field_json(c, cell, a,
						           row->margin));
				if (has_reason(c) &&
				    cell->status != COR_CELL_OK) {
					char key[128];
					snprintf(key, sizeof(key), "%s_reason",
					         c->key);
					json_object_set_new(ro, key,
						json_string(cell->status ==
						COR_CELL_NA ? cell->reason :
						"suppressed"));
				}
			}
			json_array_append_new(rows, ro);
		}
	}
	json_object_set_new(o, "tables", tables);
	json_object_set_new(o, "rows", rows);
	for (int i = 0; i < r->nwarn; i++)
		json_array_append_new(warn, json_string(r->warnings[i]));
	json_object_set_new(o, "warnings", warn);
	return o;
}

int cor_stats_write_json(FILE *fp, const cor_stats_result *r, cor_err *err)
{
	json_t *o = to_json(r);
	int rc;

	if (o == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	/* Reals with 17 significant digits round-trip; key order is the
	 * insertion order so the output is stable. */
	rc = json_dumpf(o, fp, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
	                JSON_REAL_PRECISION(10));
	json_decref(o);
	if (rc != 0 || fputc('\n', fp) == EOF || fflush(fp) != 0 ||
	    ferror(fp))
		return io_fail(err);
	return 0;
}
