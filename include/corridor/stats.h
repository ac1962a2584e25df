/* include/corridor/stats.h: route and trend statistics with confidence
 * intervals and disclosure control. Implemented in analysis/stats_*.c
 * (stats_core.c: result tables, suppression, writers; stats_math.c: pure
 * statistics; stats_query.c: the kinds, aggregated in PostgreSQL).
 *
 * Module layering: analysis may use etl headers (core.h, db.h); reports
 * (the PDF brief) use this header; nothing here reaches up.
 *
 * GSL: the library expects gsl_set_error_handler_off() to have been called
 * once by the program (cli/main.c does; tests do in their main). Every GSL
 * status and every floating result is checked; no NaN or infinity is ever
 * stored in a result cell (a cell that cannot be computed has status
 * COR_CELL_NA and a reason).
 *
 * Methods and their sources (details in docs/statistics.md):
 *  - Wilson score interval for a proportion: E. B. Wilson (1927), "Probable
 *    inference, the law of succession, and statistical inference", JASA
 *    22:209-212; recommended by A. Agresti & B. A. Coull (1998),
 *    "Approximate is better than 'exact' for interval estimation of
 *    binomial proportions", Am. Stat. 52:119-126.
 *  - Rate ratio of two Poisson counts, exact conditional: given a + b, a is
 *    binomial(a + b, pi) with pi = t_a rr / (t_a rr + t_b); Clopper-Pearson
 *    interval for pi (C. J. Clopper & E. S. Pearson (1934), Biometrika
 *    26:404-413) via gsl_cdf_beta_Pinv/Qinv, transformed to rr; two-sided
 *    p-value as in R's binom.test (sum of the probabilities not larger than
 *    that of the observed a). Same as R's poisson.test(c(a, b), c(ta, tb)).
 *  - Poisson log-linear trend: iteratively reweighted least squares
 *    (P. McCullagh & J. A. Nelder (1989), Generalized Linear Models, 2nd
 *    ed., ch. 2.5 and 6) with gsl_multifit_wlinear; quasi-Poisson
 *    dispersion phi = Pearson chi^2 / (n - 2) (ibid. ch. 4.5), used when
 *    phi > 1; Wald intervals with standard errors scaled by sqrt(phi).
 *  - Change points: PELT (R. Killick, P. Fearnhead & I. A. Eckley (2012),
 *    "Optimal detection of changepoints with a linear computational cost",
 *    JASA 107:1590-1598) with the Poisson cost -2 log-likelihood of a
 *    segment and penalty 2 ln n per change (BIC/SIC, as "BIC" in R's
 *    changepoint package for one changing parameter).
 *  - Median and IQR: quantile definition 7 of R. J. Hyndman & Y. Fan
 *    (1996), Am. Stat. 50:361-365 (gsl_stats_quantile_from_sorted_data);
 *    95% percentile bootstrap interval for the median (B. Efron & R. J.
 *    Tibshirani (1993), An Introduction to the Bootstrap, ch. 13) with
 *    gsl_rng_mt19937 seeded with COR_STATS_BOOT_SEED, COR_STATS_BOOT_B
 *    resamples.
 *  - Disclosure control: primary suppression of counts 1..k-1 and
 *    complementary suppression on linear constraints (every row, column
 *    and grand total, and totals shared between tables), after
 *    L. Willenborg & T. de Waal (2001), Elements of Statistical Disclosure
 *    Control, ch. 4 (cell suppression; "no line with exactly one
 *    suppressed cell").
 */
#ifndef COR_STATS_H
#define COR_STATS_H

#include <stdio.h>
#include <libpq-fe.h>

#include "corridor/core.h"

/* Default disclosure threshold k: counts 1..k-1 are suppressed. */
#define COR_STATS_K_DEFAULT 5
/* Bootstrap: fixed seed (documented, reproducible) and resamples. */
#define COR_STATS_BOOT_SEED 20190101UL
#define COR_STATS_BOOT_B 1000
/* Default buffer (km) for assigning incidents to corridor legs. */
#define COR_STATS_BUFFER_KM 50.0
/* Default number of rows of the `routes` kind. */
#define COR_STATS_TOP_DEFAULT 10
/* Printed for a cell withheld to protect another cell (complementary or
 * derived suppression; a primary count prints "<k"), with the footnote
 * COR_STATS_X_NOTE under any output that shows it. */
#define COR_STATS_X "x"
#define COR_STATS_X_NOTE "x = withheld to protect another cell"

/* ------------------------------------------------------------------ */
/* Requests                                                             */
/* ------------------------------------------------------------------ */

typedef enum cor_stats_kind {
	COR_STATS_OVERVIEW = 0,
	COR_STATS_TREND,
	COR_STATS_OD,
	COR_STATS_SEGMENTS,
	COR_STATS_NODES,
	COR_STATS_ROUTES,
	COR_STATS_PROFILE,
	COR_STATS_COUNTIES,
	COR_STATS_INCIDENTS,
	COR_STATS_STOCKS,
	/* Every kind a quarterly brief needs, in one result, with disclosure
	 * control applied across all its tables (one "output"). */
	COR_STATS_BRIEF,
	COR_STATS_NKINDS
} cor_stats_kind;

typedef enum cor_stats_by {
	COR_BY_MONTH = 0,   /* period label "2019-11" */
	COR_BY_QUARTER,     /* period label "2019Q4" (calendar quarter) */
	COR_BY_YEAR         /* period label "2019" */
} cor_stats_by;

/* Reason of a cell not published in this output because the output of
 * its own period publishes it (with its own disclosure control): the
 * previous and year-earlier minors and women and girls of the summary. */
#define COR_STATS_NA_OWN_PERIOD "published in that period's output"

/* Most COUNT cells a derived cell depends on (cor_stats_cell.dep). */
#define COR_STATS_MAXDEP 4

/* A request. Strings are borrowed for the duration of cor_stats_run (the
 * result keeps its own copies). Initialise with cor_stats_req_init. */
typedef struct cor_stats_req {
	cor_stats_kind kind;
	char from[11];          /* first day, ISO "YYYY-MM-DD", "" = open */
	char to[11];            /* last day (inclusive), "" = open */
	cor_stats_by by;        /* period of trend/series tables */
	const char *case_type;  /* trafficking|smuggling|vulnerable_migrant */
	const char *citizenship;/* ISO 3166-1 alpha-3 */
	const char *sex;        /* male|female|other */
	const char *county;     /* Kenyan P-code, e.g. "KE011": cases
	                         * identified in, originating from, or routed
	                         * through a place in the county */
	const char *source;     /* batch id (digits) or batch format
	                         * (cases|ctdc|mmp|unhcr) */
	int k;                  /* disclosure threshold, >= 2 (default 5) */
	int no_suppress;        /* 1: no suppression (caller must have
	                         * checked the owner role; output is marked
	                         * NOT FOR PUBLICATION) */
	double buffer_km;       /* incidents: max distance to a leg, km > 0 */
	int top;                /* routes: number of routes listed, >= 1 */
	/* Linked disclosure control (cor_stats_suppress_linked): the
	 * published result of the same request without its population
	 * filters (county, case_type, citizenship, sex), borrowed. NULL:
	 * cor_stats_run computes it itself when a population filter is set
	 * (one more run) unless no_link. */
	const struct cor_stats_result *linked;
	int no_link;            /* 1: no linked result (tests, internals) */
	/* The brief of the same request without a county (the master of
	 * an unfiltered output, and of the base of a county family),
	 * already computed, borrowed; NULL: computed when needed. */
	const struct cor_stats_result *master;
	int raw;                /* 1: no disclosure control at all, for
	                         * cor_stats_run_counties, which suppresses
	                         * the result itself (never publish it) */
} cor_stats_req;

/* The publication threshold of this installation: environment variable
 * CORRIDOR_K (an integer 2..1000), else COR_STATS_K_DEFAULT. With
 * disclosure control every output uses it (cor_stats_run refuses another
 * k with COR_EPERM): outputs of two thresholds side by side give back
 * the cells one withholds and the other prints. */
int cor_stats_k_default(void);

/* Sets defaults: kind OVERVIEW, open window, by quarter, no filters,
 * k = cor_stats_k_default(), buffer COR_STATS_BUFFER_KM, top
 * COR_STATS_TOP_DEFAULT. */
void cor_stats_req_init(cor_stats_req *req);

/* Kind names: "overview", "trend", "od", "segments", "nodes", "routes",
 * "profile", "counties", "incidents", "stocks", "brief". Parse returns 0
 * or COR_EINVAL (err names the word); *out untouched on error. */
const char *cor_stats_kind_name(cor_stats_kind kind);
int cor_stats_kind_parse(const char *s, cor_stats_kind *out, cor_err *err);
/* "month" | "quarter" | "year". */
const char *cor_stats_by_name(cor_stats_by by);
int cor_stats_by_parse(const char *s, cor_stats_by *out, cor_err *err);

/* Parses a period bound: "2019Q4", "2019-11", "2019" or an ISO date
 * "2019-11-05". end = 0 gives the first day of the period, end = 1 the
 * last (2019Q4 -> 2019-10-01 / 2019-12-31). Writes "YYYY-MM-DD" to out.
 * Pure calendar arithmetic (no time zone). Returns 0 or COR_EINVAL with a
 * reason naming s; out untouched on error. */
int cor_stats_parse_bound(const char *s, int end, char out[11],
                          cor_err *err);

/* Period label of ISO date `date` ("YYYY-MM-DD") for `by` into out (size
 * >= 8): "2019Q4", "2019-11", "2019". Returns 0 or COR_EINVAL. */
int cor_stats_period_label(const char *date, cor_stats_by by, char *out,
                           size_t n);

/* ISO 8601 week label of date ("2025-12-29" -> "2026-W01"), i.e. strftime
 * "%G-W%V": ISO week-numbering year with ISO week. out size >= 9.
 * Returns 0 or COR_EINVAL. */
int cor_stats_iso_week(const char *date, char *out, size_t n);

/* ------------------------------------------------------------------ */
/* Result tables                                                        */
/* ------------------------------------------------------------------ */

typedef enum cor_stats_ctype {
	COR_COL_CODE = 0, /* code + name: ISO alpha-3, P-code, place id or a
	                   * category code (e.g. "forced_labour") */
	COR_COL_TEXT,     /* free text, e.g. a flag or a model name */
	COR_COL_PERIOD,   /* period label "2019Q4" | "2019-11" | "2019" */
	COR_COL_COUNT,    /* n (count of cases, people, incidents) */
	COR_COL_SHARE,    /* share in [0,1] with Wilson 95% CI; n/d kept */
	COR_COL_RR,       /* rate ratio with exact 95% CI and p-value */
	COR_COL_DIST,     /* median, q1, q3 and bootstrap 95% CI of the
	                   * median, from n observations (units per column:
	                   * USD or days) */
	COR_COL_NUM       /* a number with optional 95% CI (lo/hi valid when
	                   * has_ci), e.g. a fitted count or % change */
} cor_stats_ctype;

typedef enum cor_stats_cstatus {
	COR_CELL_OK = 0,
	COR_CELL_SUPPRESSED,   /* withheld by disclosure control */
	COR_CELL_NA            /* not computable; reason says why */
} cor_stats_cstatus;

/* Address of a cell inside one result. */
typedef struct cor_stats_ref {
	int table, row, col;
} cor_stats_ref;

/* One cell. Which fields are meaningful depends on the column type:
 *  CODE:   code (NULL for a margin "Total"), name.
 *  TEXT:   code holds the text.   PERIOD: code holds the label.
 *  COUNT:  n.
 *  SHARE:  n (numerator), d (denominator), v (share), lo, hi.
 *  RR:     n (count a), d (count b), v (rr), lo, hi, p.
 *  DIST:   n (observations), v (median), q1, q3, lo, hi (median CI).
 *  NUM:    v, and lo, hi when has_ci; p when has_p.
 * status COR_CELL_SUPPRESSED: the numeric fields must not be published
 * (writers print "<k" in text when primary, COR_STATS_X otherwise; null
 * in CSV/JSON with x_suppression "primary" | "complementary" on COUNT
 * columns); primary = 1 when the cell's own count was 1..k-1, 0 for
 * complementary or derived suppression. status COR_CELL_NA: reason is a static English phrase
 * ("zero denominator", "reference count is zero", ...). All doubles of an
 * OK cell are finite. */
typedef struct cor_stats_cell {
	cor_stats_cstatus status;
	int primary;
	long long n, d;
	double v, lo, hi, p, q1, q3;
	int has_ci, has_p;
	char *code;            /* owned by the result */
	char *name;            /* owned by the result; may be NULL */
	const char *reason;    /* static; NULL unless NA */
	/* Derivation: a SHARE/RR/DIST/NUM cell computed from COUNT cells
	 * (e.g. a share from its count, a rate ratio from two period counts)
	 * is suppressed when any of them is. ndep 0..COR_STATS_MAXDEP. */
	int ndep;
	cor_stats_ref dep[COR_STATS_MAXDEP];
	/* 1: the same count is published in the linked result
	 * (cor_stats_suppress_linked), so it is no secret: never withheld
	 * as a complement. 2: a headline count other outputs repeat (case
	 * total, minors, women and girls): withheld as a complement only
	 * when no other cell can protect (the audit's last resort) */
	int fixed;
	/* 1: withheld because the linked result withholds the same count
	 * (its marker, "<k" or "x", is the linked one's) */
	int linked_wh;
} cor_stats_cell;

/* A column. key is the JSON/CSV key stem (see docs/json-contract.md):
 * COUNT "n" -> n, suppressed; other COUNT key x -> x, x_suppressed.
 * SHARE "share" -> share, share_ci_low, share_ci_high; other x -> x,
 * x_ci_low, x_ci_high. RR "rate_ratio" -> rate_ratio, rr_ci_low,
 * rr_ci_high, p_value; other x -> x, x_ci_low, x_ci_high, x_p_value.
 * CODE x -> x (code), x_name. PERIOD/TEXT x -> x. DIST x -> x_median,
 * x_q1, x_q3, x_median_ci_low, x_median_ci_high, x_n. NUM x -> x (and
 * x_ci_low, x_ci_high when the column has_ci). hxl is the HXL hashtag
 * with attributes of the column's first CSV field. Static strings. */
typedef struct cor_stats_col {
	const char *key;
	const char *label;     /* heading for text output */
	const char *hxl;
	cor_stats_ctype type;
	int has_ci;            /* NUM: lo/hi columns are written */
} cor_stats_col;

typedef struct cor_stats_row {
	cor_stats_cell *cells; /* ncol cells */
	int margin;            /* 1: a total row (a code cell NULL = "Total") */
} cor_stats_row;

typedef struct cor_stats_table {
	char *name;            /* stable id within a kind, e.g. "matrix" */
	char *title;           /* English heading */
	int ncol;
	cor_stats_col *cols;   /* owned copy of the column array */
	int nrow, cap;
	cor_stats_row *rows;
} cor_stats_table;

/* Linear constraint for suppression: total = sum(members). Totals printed
 * in another table of the same result are constraints too. */
typedef struct cor_stats_constraint {
	cor_stats_ref total;
	int nmem;
	cor_stats_ref *mem;
} cor_stats_constraint;

/* Poisson trend over equally spaced periods (see cor_stats_poisson_trend).
 * When estimable = 0, reason says why and the numbers are 0. */
typedef struct cor_stats_trend {
	int estimable;
	char reason[160];
	size_t n;              /* periods used */
	double intercept;      /* log expected count at x = 0 */
	double slope, slope_se;/* per period, log scale; se scaled by phi */
	double dispersion;     /* Pearson chi^2 / (n - 2); 0 if n == 2 */
	int quasi;             /* 1: quasi-Poisson (dispersion > 1) used */
	double pct_per_year;   /* 100 (exp(slope * periods_per_year) - 1) */
	double pct_lo, pct_hi; /* 95% CI of pct_per_year */
	double p_value;        /* two-sided, H0: slope = 0 */
	int iterations;
	double *fit, *fit_lo, *fit_hi; /* fitted counts and 95% band, n each,
	                                * owned (free with trend_free) */
} cor_stats_trend;

/* Result of one cor_stats_run. Owned by the caller: free with
 * cor_stats_result_free. */
typedef struct cor_stats_result {
	cor_stats_kind kind;
	cor_stats_req req;     /* copy; string members point into `own` */
	char *own[6];
	int k;
	int no_suppress;
	int synthetic;         /* any record used came from corridor synth */
	int nbatch;
	long long *batches;    /* ids of the batches used, ascending */
	int suppressed;        /* cells withheld (counts and derived) */
	int ntable, tcap;
	cor_stats_table *tables;
	int ncons, ccap;
	cor_stats_constraint *cons;
	int nwarn, wcap;
	char **warnings;       /* e.g. "trend not estimable: one quarter of
	                        * data" */
	int has_trend;
	cor_stats_trend trend; /* trend kind (and brief): the fitted model */
} cor_stats_result;

/* ------------------------------------------------------------------ */
/* Running a kind                                                       */
/* ------------------------------------------------------------------ */

/* Runs req->kind against conn (read-only queries; aggregation in
 * PostgreSQL, one pass per grouping where possible; values only as
 * PQexecParams parameters). Applies disclosure control unless
 * req->no_suppress (the caller checks cor_stats_is_owner first).
 * Tables by kind (column keys in docs/json-contract.md):
 *  overview:  summary, case_type, citizenship, exploitation
 *  trend:     series (period, n, rate_ratio, fit), model
 *  od:        matrix (origin x destination with margins)
 *  segments:  legs (from, to, n, share, fee DIST USD, days DIST)
 *  nodes:     nodes (place, country, n, share, role counts, role)
 *  routes:    routes (route, steps, n, share; other + total rows)
 *  profile:   sex_age, exploitation_sex, control, recruiter
 *  counties:  counties (identified/source/transit/destination),
 *             county_exploitation
 *  incidents: by_period, by_leg, by_country (Missing Migrants, within
 *             req->buffer_km of a corridor leg)
 *  stocks:    stocks (origin, asylum, year, refugees, asylum_seekers, n,
 *             change_pct)
 *  brief:     all of the above except routes, suppressed jointly.
 * A county output (req->county set, disclosure control on, not no_link)
 * is its member of the family of the same request over all counties
 * (cor_stats_run_counties), linked to req->linked or to the same request
 * without population filters: it runs the counties before it that it
 * depends on first, on conn (up to all 47 runs).
 * On success *out is a new result (caller frees with
 * cor_stats_result_free); a statistic that is not estimable is a warning
 * in the result, not an error. Errors: COR_EINVAL (bad request), COR_EDB
 * (SQLSTATE in err), COR_ENOMEM, COR_EGSL; *out is left NULL. */
int cor_stats_run(PGconn *conn, const cor_stats_req *req,
                  cor_stats_result **out, cor_err *err);

/* ------------------------------------------------------------------ */
/* County families (linked disclosure control between counties)         */
/* ------------------------------------------------------------------ */

/* The Kenyan counties (admin1 of KEN, P-code order in the C collation)
 * and which pairs of them share a case: adj[i * n + j] = 1 (i != j) when
 * at least one case of the population (active batches; req's case type,
 * citizenship, sex and source filters; any registration date, so a
 * superset of any window's pairs) is linked to both (c.counties, the
 * identified-in / origin / route-step test of --county). */
typedef struct cor_stats_cgraph {
	int n;                 /* counties */
	char **pcode;          /* n P-codes, e.g. "KE011" */
	unsigned char *adj;    /* n * n, symmetric, 0 on the diagonal */
} cor_stats_cgraph;

/* Reads the graph for req (two queries on the quarterly counts,
 * sql/006). *out: new graph (cor_stats_cgraph_free). Errors: COR_EDB,
 * COR_ENOMEM; *out NULL on error. */
int cor_stats_cgraph_load(PGconn *conn, const cor_stats_req *req,
                          cor_stats_cgraph **out, cor_err *err);
void cor_stats_cgraph_free(cor_stats_cgraph *g);
/* Index of pcode in g, or -1. */
int cor_stats_cgraph_find(const cor_stats_cgraph *g, const char *pcode);

/* The published results of counties, suppressed as one family so that no
 * two of them give each other's withheld cells away (a count withheld in
 * one county's output and printed with the same value in another's would
 * give back the first one's complement and with it a small cell).
 *
 * For every county i marked in want (g->n flags), req is run with
 * county = g->pcode[i] and with it every county that i's result depends
 * on: each earlier county (P-code order) sharing a case with a county
 * already needed. The runs are spread over the nconn (>= 1) connections
 * conns (one thread each; each connection is used by one thread only).
 * Then, in P-code order, each result is suppressed with
 * cor_stats_suppress_family linked to base (the same request without
 * population filters, already suppressed; may be NULL) and to the
 * results of the earlier counties it shares a case with. A county's
 * result depends only on g, base and the data, never on want: the same
 * county gets the same cells from `--county P` and `--county all`.
 *
 * out: g->n slots, set to a new result (cor_stats_result_free) for every
 * county that was run, NULL for the others. req->county, linked and raw
 * are ignored; req->master, when set, is used as the national brief the
 * counties' masters are linked to (other than brief: each county's
 * output is also linked to its own brief, the county's member of the
 * brief family); req->no_suppress must be 0. Errors as cor_stats_run (the
 * first one met); on error every slot is NULL. */
int cor_stats_run_counties(PGconn *const *conns, int nconn,
                           const cor_stats_req *req,
                           const cor_stats_result *base,
                           const cor_stats_cgraph *g,
                           const unsigned char *want,
                           cor_stats_result **out, cor_err *err);

/* Sets *owner = 1 when the session user owns table case_record (or is a
 * superuser), else 0. Returns 0 or COR_EDB. */
int cor_stats_is_owner(PGconn *conn, int *owner, cor_err *err);

/* Table of a result by name, or NULL. Borrowed from r. */
const cor_stats_table *cor_stats_table_find(const cor_stats_result *r,
                                            const char *name);
/* Column index of key in t, or -1. */
int cor_stats_col_find(const cor_stats_table *t, const char *key);
/* Cell at (row, col) of t; NULL when out of range. Borrowed. */
const cor_stats_cell *cor_stats_cell_get(const cor_stats_table *t, int row,
                                         int col);

/* Formats one cell for humans into buf (size n): counts as "1234",
 * suppressed as "<k" (k from r), NA as "n/a", shares as "23.4%
 * (20.1-27.0)", rate ratios "1.18 (1.04-1.34)", DIST "median 350 (IQR
 * 200-500)". Never prints nan/inf. Returns buf. */
const char *cor_stats_cell_format(const cor_stats_result *r,
                                  const cor_stats_table *t, int row,
                                  int col, char *buf, size_t n);

/* Words a rate ratio as a change: "up 18% (95% CI 4% to 34%)",
 * "down 5% (95% CI -12% to 3%)", "no change (...)". Returns buf; for a
 * non-OK cell writes "n/a (reason)" or "suppressed (<k)". */
const char *cor_stats_change_words(const cor_stats_result *r,
                                   const cor_stats_cell *rr, char *buf,
                                   size_t n);

/* Writers. Every output states k and the number of cells suppressed;
 * with no_suppress every line (text, CSV) or the JSON object carries
 * "NOT FOR PUBLICATION". text: aligned tables; csv: RFC 4180, one
 * section per table (a "table" column first), with hxl = 1 an HXL hashtag
 * row under the header (refused with COR_EPERM when r->no_suppress);
 * json: the contract in docs/json-contract.md (jansson). Return 0,
 * COR_EIO (write failed), COR_ENOMEM or COR_EPERM. */
int cor_stats_write_text(FILE *fp, const cor_stats_result *r, cor_err *err);
int cor_stats_write_csv(FILE *fp, const cor_stats_result *r, int hxl,
                        cor_err *err);
int cor_stats_write_json(FILE *fp, const cor_stats_result *r, cor_err *err);

/* Frees r and everything it owns. NULL-safe. */
void cor_stats_result_free(cor_stats_result *r);

/* ------------------------------------------------------------------ */
/* Building results (used by the kinds and by tests)                    */
/* ------------------------------------------------------------------ */

/* New empty result for kind with threshold k (>= 2). NULL on OOM. */
cor_stats_result *cor_stats_result_new(cor_stats_kind kind, int k);

/* Appends a table with a copy of cols[0..ncol-1]; returns its index
 * (>= 0) or COR_ENOMEM. name/title are copied. */
int cor_stats_table_add(cor_stats_result *r, const char *name,
                        const char *title, const cor_stats_col *cols,
                        int ncol);

/* Appends a row of zeroed cells (status OK) to table ti; returns the row
 * index or COR_ENOMEM. */
int cor_stats_row_add(cor_stats_result *r, int ti, int margin);

/* Mutable cell at (ti, row, col); NULL when out of range. */
cor_stats_cell *cor_stats_cell_at(cor_stats_result *r, int ti, int row,
                                  int col);

/* Cell setters; code/name/text are copied (NULL allowed). Return 0 or
 * COR_ENOMEM / COR_EINVAL (bad address). set_share computes the Wilson
 * interval (NA "zero denominator" when d == 0) and depends on count cell
 * dep (dep.table < 0: none). set_rr computes the exact rate ratio a/b
 * (equal exposures) and depends on count cells da, db. */
int cor_stats_set_code(cor_stats_result *r, int ti, int row, int col,
                       const char *code, const char *name);
int cor_stats_set_text(cor_stats_result *r, int ti, int row, int col,
                       const char *text);
int cor_stats_set_count(cor_stats_result *r, int ti, int row, int col,
                        long long n);
int cor_stats_set_share(cor_stats_result *r, int ti, int row, int col,
                        long long x, long long d, cor_stats_ref dep);
int cor_stats_set_rr(cor_stats_result *r, int ti, int row, int col,
                     long long a, long long b, cor_stats_ref da,
                     cor_stats_ref db);
int cor_stats_set_na(cor_stats_result *r, int ti, int row, int col,
                     const char *reason);

/* Records total = sum(members[0..nmem-1]) (all COUNT cells). Returns 0,
 * COR_EINVAL or COR_ENOMEM. */
int cor_stats_constrain(cor_stats_result *r, cor_stats_ref total,
                        const cor_stats_ref *members, int nmem);

/* Appends a printf-style warning. Returns 0 or COR_ENOMEM. */
int cor_stats_warn(cor_stats_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Disclosure control over the whole result (all tables), threshold k:
 * 1. primary: every COUNT cell with 1 <= n <= k-1 is suppressed;
 * 2. complementary: (a) greedy: for every constraint (total and
 *    members), if exactly one of its cells is suppressed, suppress the
 *    smallest published member with n > 0 (else the smallest member,
 *    else the total), until no constraint changes; (b) exact linear
 *    audit: the suppressed cells in constraints are unknowns, each
 *    constraint one equation (published cells on the right-hand side);
 *    an unknown is determined iff its unit vector lies in the row space
 *    of the constraint matrix A. Per connected component of unknowns,
 *    the null space comes from gsl_linalg_SV_decomp of A padded with
 *    zero rows to at least as many rows as columns: singular values
 *    <= 1e-10 x the largest count as zero; an unknown whose squared
 *    projection on the null space is < 1e-8 is determined. In each
 *    component with a determined unknown one more cell is suppressed:
 *    the smallest published n > 0 of a constraint that takes part in
 *    the minimum-norm combination lambda = U S^+ V' e_j giving it
 *    (constraints containing it first), preferring cells that are no
 *    constraint's total (then zeros);
 *    then (a) and (b) again, until nothing is determined (terminates:
 *    every round suppresses a cell or stops; if nothing is left to
 *    suppress a warning says so). Bounds (n >= 0) are not audited;
 * 2b. trend: when r->has_trend, a count of table "series" (column "n")
 *    is suppressed and the trend was estimable, the Poisson trend is
 *    refitted on the published periods only (x = period index, gaps
 *    kept; cor_stats_poisson_trend) and r->trend, the series "fit"
 *    cells and the "model" row come from the refit; fitted values of
 *    withheld periods are suppressed; warning "trend fitted on published
 *    periods only (N withheld)". (A Poisson GLM with intercept has
 *    sum(fitted) = sum(observed): the full fit gives away the hidden
 *    total.)
 * 3. derived: SHARE/RR/DIST/NUM cells depending on a suppressed count,
 *    shares with denominator < k, and DIST cells with fewer than k
 *    observations are suppressed.
 * Sets r->suppressed (cells withheld) and r->k. Returns 0, COR_EINVAL,
 * COR_ENOMEM or COR_EGSL (SVD failed; cells may be partly suppressed:
 * do not publish r). */
int cor_stats_suppress(cor_stats_result *r, int k, cor_err *err);

/* cor_stats_suppress for a result r whose population is a subset of the
 * population of linked (an already suppressed result of the same kind and
 * window without r's population filters: e.g. a county brief and the
 * national brief). A COUNT cell of r and the cell of linked with the same
 * table name, the same row (CODE and PERIOD cells and margin flag equal)
 * and the same column key count the same cases exactly when their counts
 * are equal (r's cases are a subset of linked's). Before step 1, such a
 * cell is withheld in r when it is withheld in linked (else publishing it
 * here would give away linked's complement, and with it a small cell), and
 * marked fixed when it is published in linked: it is no secret, so it is
 * never chosen as a complement (a complement that can be read in the
 * other output protects nothing). Steps 1-3 then run as above. linked
 * NULL: exactly cor_stats_suppress. Two filtered results (two counties)
 * are linked by cor_stats_suppress_family; not covered: sums across
 * outputs. Same errors as cor_stats_suppress. */
int cor_stats_suppress_linked(cor_stats_result *r, int k,
                              const cor_stats_result *linked, cor_err *err);

/* cor_stats_suppress_linked with nlinked (>= 0) linked results, each
 * already suppressed and each sharing cases with r: the unfiltered output
 * and the outputs of other counties that share a case with r's county
 * (cor_stats_run_counties). Step 0 runs against each linked[l] in order
 * (NULL entries are skipped): a cell equal to a withheld cell of any of
 * them is withheld; one equal to a published cell is never chosen as a
 * complement. Equal counts are taken as the same cases, which may
 * withhold more than needed, never less. Same errors as
 * cor_stats_suppress. */
int cor_stats_suppress_family(cor_stats_result *r, int k,
                              const cor_stats_result *const *linked,
                              int nlinked, cor_err *err);

/* ------------------------------------------------------------------ */
/* Pure statistics (no database)                                        */
/* ------------------------------------------------------------------ */

/* Wilson score interval (Wilson 1927) for x successes of n at confidence
 * conf (e.g. 0.95): z = Phi^-1(1 - (1-conf)/2) (gsl_cdf_ugaussian_Qinv),
 * centre (x + z^2/2) / (n + z^2), half-width z sqrt(x(n-x)/n + z^2/4) /
 * (n + z^2); bounds clamped to [0,1] and exactly 0 for x = 0, 1 for
 * x = n. Equals R's prop.test(x, n, correct = FALSE)$conf.int.
 * Outputs *p = x/n, *lo, *hi. Errors: COR_EDEGENERATE when n == 0 (err:
 * "zero denominator"), COR_EINVAL when x < 0, x > n or conf not in (0,1);
 * outputs untouched on error. */
int cor_stats_wilson(long long x, long long n, double conf, double *p,
                     double *lo, double *hi, cor_err *err);

/* Exact conditional rate ratio (see header notes) of count a over
 * exposure ta against count b over exposure tb (exposures > 0, e.g. 1,
 * or days/person-time): rr = (a/ta)/(b/tb); Clopper-Pearson interval for
 * pi = a/(a+b) by gsl_cdf_beta_Pinv/Qinv, rr bound = pi/(1-pi) * tb/ta;
 * two-sided p-value of H0 rr = 1 as binom.test (relative tolerance 1e-7).
 * a = 0: rr = 0, lo = 0. Errors: COR_EDEGENERATE when a + b == 0 ("no
 * events in either period") or b == 0 ("reference count is zero": rr
 * unbounded), COR_EINVAL on negative counts or exposures <= 0,
 * COR_EGSL when a GSL result is not finite. Outputs untouched on
 * error. */
int cor_stats_rate_ratio(long long a, double ta, long long b, double tb,
                         double conf, double *rr, double *lo, double *hi,
                         double *p, cor_err *err);

/* Poisson log-linear trend log E[y_i] = b0 + b1 x_i fitted by IRLS
 * (McCullagh & Nelder 1989): working response z = eta + (y - mu)/mu,
 * weights mu, solved by gsl_multifit_wlinear until the relative deviance
 * change < 1e-10 (max 50 iterations). x in periods (e.g. 0,1,2,... or
 * with gaps), y counts >= 0; periods_per_year converts the slope to a
 * change per year (4 for quarters, 12 months, 1 years). Dispersion phi =
 * Pearson chi^2/(n-2); if phi > 1 the fit is quasi-Poisson: standard
 * errors scaled by sqrt(phi) and CIs/p-values from Student t with n-2 df
 * (as R's summary.glm); else normal z. pct_per_year = 100 (exp(b1 ppy) -
 * 1) with CI from the b1 interval. Fitted counts and a 95% band
 * exp(eta_i +- q se(eta_i)) are stored in out->fit* (owned; free with
 * cor_stats_trend_free).
 * Not estimable (returns COR_EDEGENERATE, out->estimable = 0 and
 * out->reason / err say why; nothing allocated): n < 3 ("fewer than 3
 * periods"), one distinct x ("one period of data"), all counts zero
 * ("all counts are zero"), a singular or non-converging fit, or a
 * non-finite result. COR_EINVAL for negative/non-finite input,
 * COR_ENOMEM, COR_EGSL (status in err). */
int cor_stats_poisson_trend(const double *x, const double *y, size_t n,
                            double periods_per_year, cor_stats_trend *out,
                            cor_err *err);
void cor_stats_trend_free(cor_stats_trend *t);  /* frees fit arrays only */

/* Least squares y = X b with p predictors (columns of X, row-major n x p,
 * first column normally 1) by gsl_multifit_linear after a rank check with
 * gsl_linalg_SV_decomp (relative tolerance 1e-10 of the largest singular
 * value). Collinear predictors give COR_EDEGENERATE with *rank set and
 * err "not estimable: collinear predictors (rank r of p)"; b, se
 * untouched. Success: b[p], se[p] (se from sigma^2 (X'X)^-1, n > p). */
int cor_stats_ols(const double *X, const double *y, size_t n, size_t p,
                  double *b, double *se, size_t *rank, cor_err *err);

/* Change points in a count series y[0..n-1] by PELT (Killick et al. 2012)
 * with Poisson cost C(s..t) = -2 (S log(S/m) - S) for a segment of m
 * periods with sum S (0 log 0 = 0), penalty pen per change (pen <= 0:
 * 2 ln n), minimum segment length 2. Writes the indexes i where a new
 * segment starts (1 <= i < n), ascending, to cp (capacity n) and their
 * number to *ncp. n < 4 gives *ncp = 0. Returns 0, COR_EINVAL (negative
 * or non-finite y) or COR_ENOMEM. */
int cor_stats_changepoints(const double *y, size_t n, double pen,
                           size_t *cp, size_t *ncp, cor_err *err);

/* Median, quartiles (Hyndman-Fan type 7: gsl_sort then
 * gsl_stats_quantile_from_sorted_data) and the percentile bootstrap 95%
 * CI of the median (B resamples with gsl_rng_mt19937 seeded with seed).
 * x[0..n-1] finite values (not modified; copied). Outputs med, q1, q3,
 * lo, hi. Errors: COR_EDEGENERATE n == 0 ("no observations"), COR_EINVAL
 * non-finite x, COR_ENOMEM. Outputs untouched on error. */
typedef struct cor_stats_dist {
	long long n;
	double median, q1, q3, lo, hi;
} cor_stats_dist;
int cor_stats_median_iqr(const double *x, size_t n, unsigned long seed,
                         int B, cor_stats_dist *out, cor_err *err);

/* As cor_stats_median_iqr for grouped data: distinct values v[0..k-1]
 * ascending with frequencies w[0..k-1] > 0 (e.g. from SQL GROUP BY
 * value). Same type-7 quantiles as on the expanded data; each bootstrap
 * resample's order statistics at the median are drawn by recursive
 * binomial splitting (gsl_ran_binomial), which follows exactly the
 * multinomial law of resampling the expanded data, in O(B log k).
 * cor_stats_median_iqr collapses its data and uses the same draws, so
 * both give identical results for the same data and seed. */
int cor_stats_median_iqr_grouped(const double *v, const long long *w,
                                 size_t k, unsigned long seed, int B,
                                 cor_stats_dist *out, cor_err *err);

/* Great-circle distance (km, mean Earth radius 6371.0088 km, haversine)
 * between two points, and from point P to the great-circle segment A-B
 * (cross-track distance when the foot of the perpendicular lies between
 * A and B, else the nearer endpoint). Degrees in, km out. */
double cor_stats_gc_km(double lat1, double lon1, double lat2, double lon2);
double cor_stats_seg_km(double plat, double plon, double alat, double alon,
                        double blat, double blon);

#endif /* COR_STATS_H */
