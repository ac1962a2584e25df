/* tests/unit/test_stats.c: the pure statistics and disclosure control of
 * corridor/stats.h (no database). Reference values were computed once
 * outside corridor with R 4.2 (Debian r-base-core); the R call is given
 * next to each number. R is not a test dependency. Tolerances: 1e-9
 * relative for closed forms (Wilson, Clopper-Pearson via GSL beta
 * quantiles: 1e-7), 1e-8 for IRLS estimates against R run to full
 * convergence (glm.control(epsilon = 1e-14)). Cases C22, C23, C25, C26, C28 of
 * ../shared/cases/README.md are asserted here. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/pgtest.h"
#include "corridor/stats.h"

#define close_rel(a, b, tol) \
	assert_true(fabs((a) - (b)) <= (tol) * fmax(1.0, fabs(b)))

/* ---- Wilson: C25 and prop.test ---- */

static void test_wilson_c25(void **state)
{
	double p, lo, hi;
	cor_err e;

	(void)state;
	/* prop.test(0, 10, correct = FALSE)$conf.int
	 * -> 0.000000000000000 0.277532799862889 */
	assert_int_equal(cor_stats_wilson(0, 10, 0.95, &p, &lo, &hi, &e), 0);
	assert_true(lo == 0.0);
	close_rel(hi, 0.277532799862889, 1e-9);
	assert_true(p == 0.0);
	/* prop.test(10, 10, correct = FALSE)$conf.int
	 * -> 0.722467200137111 1.000000000000000 */
	assert_int_equal(cor_stats_wilson(10, 10, 0.95, &p, &lo, &hi, &e), 0);
	close_rel(lo, 0.722467200137111, 1e-9);
	assert_true(hi == 1.0);
	/* C25 "Right": [0.0000, 0.2775] and [0.7225, 1.0000] at 4 dp */
	assert_int_equal((int)lround(hi * 10000), 10000);
	assert_int_equal((int)lround(lo * 10000), 7225);
}

static void test_wilson_reference(void **state)
{
	double p, lo, hi;
	cor_err e;

	(void)state;
	/* prop.test(3, 12, correct = FALSE)$conf.int
	 * -> 0.0889416683940547 0.5323053349335656 */
	assert_int_equal(cor_stats_wilson(3, 12, 0.95, &p, &lo, &hi, &e), 0);
	close_rel(lo, 0.0889416683940547, 1e-9);
	close_rel(hi, 0.5323053349335656, 1e-9);
	/* prop.test(303, 1858, correct = FALSE)$conf.int
	 * -> 0.146978353881736 0.180569115819027 */
	assert_int_equal(cor_stats_wilson(303, 1858, 0.95, &p, &lo, &hi, &e),
	                 0);
	close_rel(lo, 0.146978353881736, 1e-9);
	close_rel(hi, 0.180569115819027, 1e-9);
	/* every x of n: bounds inside [0,1], finite, lo <= p <= hi */
	for (long long n = 1; n <= 60; n++) {
		for (long long x = 0; x <= n; x++) {
			assert_int_equal(cor_stats_wilson(x, n, 0.95, &p, &lo,
			                                  &hi, &e), 0);
			assert_true(isfinite(lo) && isfinite(hi));
			assert_true(lo >= 0.0 && hi <= 1.0);
			assert_true(lo <= p && p <= hi);
		}
	}
	assert_int_equal(cor_stats_wilson(5, 4, 0.95, &p, &lo, &hi, &e),
	                 COR_EINVAL);
}

/* C26: zero denominators give no share and a reason; the mean of the
 * quarterly rates uses the defined quarters only; the pooled rate is
 * 4/16. Input adapted from ../shared/cases/inputs/C26.csv. */
static void test_zero_denominator_c26(void **state)
{
	static const long long idf[3] = { 3, 0, 1 }, scr[3] = { 12, 0, 4 };
	double p, lo = -1, hi = -1, sum = 0.0;
	int defined = 0;
	long long ti = 0, ts = 0;
	cor_err e;
	cor_stats_result *r;
	static const cor_stats_col cols[] = {
		{ "period", "quarter", "#date", COR_COL_PERIOD, 0 },
		{ "share", "rate", "#indicator+pct", COR_COL_SHARE, 0 },
	};
	char buf[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		int rc = cor_stats_wilson(idf[i], scr[i], 0.95, &p, &lo, &hi,
		                          &e);
		if (scr[i] == 0) {
			assert_int_equal(rc, COR_EDEGENERATE);
			assert_non_null(strstr(e.msg, "zero denominator"));
			continue;
		}
		assert_int_equal(rc, 0);
		sum += p;
		defined++;
		ti += idf[i];
		ts += scr[i];
	}
	assert_int_equal(defined, 2);
	close_rel(sum / defined, 0.25, 1e-12);   /* (3/12 + 1/4) / 2 */
	close_rel((double)ti / (double)ts, 0.25, 1e-12); /* 4/16 */
	/* in a result table the quarter shows "n/a" with the reason */
	r = cor_stats_result_new(COR_STATS_TREND, 5);
	assert_non_null(r);
	assert_int_equal(cor_stats_table_add(r, "rates", "rates", cols, 2), 0);
	for (int i = 0; i < 3; i++) {
		cor_stats_ref none = { -1, -1, -1 };
		assert_int_equal(cor_stats_row_add(r, 0, 0), i);
		assert_int_equal(cor_stats_set_share(r, 0, i, 1, idf[i], scr[i],
		                                     none), 0);
	}
	assert_int_equal(r->tables[0].rows[1].cells[1].status, COR_CELL_NA);
	assert_string_equal(r->tables[0].rows[1].cells[1].reason,
	                    "zero denominator");
	assert_string_equal(cor_stats_cell_format(r, &r->tables[0], 1, 1, buf,
	                                          sizeof(buf)), "n/a");
	cor_stats_result_free(r);
}

/* ---- exact rate ratio: poisson.test ---- */

static void test_rate_ratio(void **state)
{
	double rr, lo, hi, p;
	cor_err e;

	(void)state;
	/* poisson.test(c(1911, 2108)): estimate 0.906546489563567,
	 * conf.int 0.851680216236253 0.964901160074951,
	 * p.value 0.00198647388198482 */
	assert_int_equal(cor_stats_rate_ratio(1911, 1, 2108, 1, 0.95, &rr, &lo,
	                                      &hi, &p, &e), 0);
	close_rel(rr, 0.906546489563567, 1e-12);
	close_rel(lo, 0.851680216236253, 1e-7);
	close_rel(hi, 0.964901160074951, 1e-7);
	close_rel(p, 0.00198647388198482, 1e-6);
	/* poisson.test(c(0, 7)): 0, [0, 0.693813980096453], p 0.015625 */
	assert_int_equal(cor_stats_rate_ratio(0, 1, 7, 1, 0.95, &rr, &lo, &hi,
	                                      &p, &e), 0);
	assert_true(rr == 0.0 && lo == 0.0);
	close_rel(hi, 0.693813980096453, 1e-7);
	close_rel(p, 0.015625, 1e-9);
	/* poisson.test(c(30, 10), c(2, 1)): 1.5, [0.713704235075792,
	 * 3.439650885509163], p 0.315861012812792 */
	assert_int_equal(cor_stats_rate_ratio(30, 2, 10, 1, 0.95, &rr, &lo,
	                                      &hi, &p, &e), 0);
	close_rel(rr, 1.5, 1e-12);
	close_rel(lo, 0.713704235075792, 1e-7);
	close_rel(hi, 3.439650885509163, 1e-7);
	close_rel(p, 0.315861012812792, 1e-6);
	/* binom.test(12, 17)$p.value 0.143463134765625 (rr = 12/5) */
	assert_int_equal(cor_stats_rate_ratio(12, 1, 5, 1, 0.95, &rr, &lo, &hi,
	                                      &p, &e), 0);
	close_rel(p, 0.143463134765625, 1e-9);
	/* not estimable: reference zero, nothing at all */
	assert_int_equal(cor_stats_rate_ratio(4, 1, 0, 1, 0.95, &rr, &lo, &hi,
	                                      &p, &e), COR_EDEGENERATE);
	assert_non_null(strstr(e.msg, "reference count is zero"));
	assert_int_equal(cor_stats_rate_ratio(0, 1, 0, 1, 0.95, &rr, &lo, &hi,
	                                      &p, &e), COR_EDEGENERATE);
}

/* ---- Poisson / quasi-Poisson trend ---- */

static void test_poisson_trend(void **state)
{
	static const double y[8] = { 20, 25, 22, 30, 35, 33, 41, 45 };
	/* fitted(g) at R's default epsilon (agree to 1e-5) */
	static const double fit[8] = {
		20.4598715621008, 22.9005505339812, 25.6323805927928,
		28.6900934490137, 32.1125639943323, 35.9433045459647,
		40.2310180498818, 45.0302172762138 };
	double x[8];
	cor_stats_trend t;
	cor_err e;

	(void)state;
	for (int i = 0; i < 8; i++)
		x[i] = i;
	/* g <- glm(y ~ x, family = poisson, control = glm.control(
	 *   epsilon = 1e-14, maxit = 100)): R at its default epsilon 1e-8
	 * stops earlier (estimates differ by < 5e-5 relative); converged:
	 * intercept 3.01846548293924, slope 0.11269546807347 (se
	 * 0.0281153569145767, p 6.11511113739701e-05); sum(residuals(g,
	 * "pearson")^2)/6 = 0.215454330721126 (< 1: plain Poisson).
	 * 100 (exp(4 (b + c(0, -1, 1) qnorm(.975) se)) - 1):
	 * 56.9538884834782 (25.9055106844621, 95.6588156956995). */
	assert_int_equal(cor_stats_poisson_trend(x, y, 8, 4.0, &t, &e), 0);
	assert_true(t.estimable);
	assert_false(t.quasi);
	close_rel(t.intercept, 3.01846548293924, 1e-8);
	close_rel(t.slope, 0.11269546807347, 1e-8);
	close_rel(t.slope_se, 0.0281153569145767, 1e-8);
	close_rel(t.p_value, 6.11511113739701e-05, 1e-6);
	close_rel(t.dispersion, 0.215454330721126, 1e-8);
	close_rel(t.pct_per_year, 56.9538884834782, 1e-8);
	close_rel(t.pct_lo, 25.9055106844621, 1e-8);
	close_rel(t.pct_hi, 95.6588156956995, 1e-8);
	for (int i = 0; i < 8; i++) {
		close_rel(t.fit[i], fit[i], 1e-5);
		assert_true(t.fit_lo[i] < t.fit[i] && t.fit[i] < t.fit_hi[i]);
	}
	cor_stats_trend_free(&t);
}

static void test_quasi_poisson_trend(void **state)
{
	static const double y[8] = { 20, 45, 12, 50, 35, 10, 60, 45 };
	double x[8];
	cor_stats_trend t;
	cor_err e;

	(void)state;
	for (int i = 0; i < 8; i++)
		x[i] = i;
	/* g2 <- glm(y ~ x, family = quasipoisson, control = glm.control(
	 *   epsilon = 1e-14, maxit = 100)): slope 0.0792692315612949, se
	 * 0.084484443341054, p (t, 6 df) 0.384321551022115016,
	 * summary(g2)$dispersion 10.1712468884488; 100 (exp(4 (b + c(0, -1,
	 * 1) qt(.975, 6) se)) - 1): 37.3108195920515 (-39.9400536285324,
	 * 213.9240428292813) */
	assert_int_equal(cor_stats_poisson_trend(x, y, 8, 4.0, &t, &e), 0);
	assert_true(t.quasi);
	close_rel(t.slope, 0.0792692315612949, 1e-8);
	close_rel(t.slope_se, 0.084484443341054, 1e-8);
	close_rel(t.dispersion, 10.1712468884488, 1e-8);
	close_rel(t.p_value, 0.384321551022115016, 1e-8);
	close_rel(t.pct_per_year, 37.3108195920515, 1e-8);
	close_rel(t.pct_lo, -39.9400536285324, 1e-8);
	close_rel(t.pct_hi, 213.9240428292813, 1e-8);
	cor_stats_trend_free(&t);
}

/* C23: all records in one quarter: no trend, a reason, nothing NaN. */
static void test_trend_degenerate_c23(void **state)
{
	/* ../shared/cases/inputs/C23.csv: 2020-Q1 7, 5, 9 */
	static const double x1[3] = { 0, 0, 0 }, y1[3] = { 7, 5, 9 };
	static const double x2[2] = { 0, 1 }, y2[2] = { 3, 4 };
	static const double x3[4] = { 0, 1, 2, 3 }, y3[4] = { 0, 0, 0, 0 };
	cor_stats_trend t;
	cor_err e;

	(void)state;
	assert_int_equal(cor_stats_poisson_trend(x1, y1, 3, 4.0, &t, &e),
	                 COR_EDEGENERATE);
	assert_false(t.estimable);
	assert_string_equal(t.reason, "one period of data");
	assert_null(t.fit);
	assert_true(t.slope == 0.0 && t.p_value == 0.0);
	/* variant: only the first row */
	assert_int_equal(cor_stats_poisson_trend(x1, y1, 1, 4.0, &t, &e),
	                 COR_EDEGENERATE);
	assert_string_equal(t.reason, "one period of data");
	assert_int_equal(cor_stats_poisson_trend(x2, y2, 2, 4.0, &t, &e),
	                 COR_EDEGENERATE);
	assert_string_equal(t.reason, "fewer than 3 periods");
	assert_int_equal(cor_stats_poisson_trend(x3, y3, 4, 4.0, &t, &e),
	                 COR_EDEGENERATE);
	assert_string_equal(t.reason, "all counts are zero");
}

/* C22: collinear predictors (route_a == route_b) in a regression: a
 * status, not an abort; R's lm() leaves route_b NA ("1 not defined
 * because of singularities"). The non-collinear fit total ~ route_a
 * matches lm(): intercept 6.981132075472 (se 2.111634634747), slope
 * 1.773584905660 (se 0.182281468506). */
static void test_collinear_c22(void **state)
{
	/* ../shared/cases/inputs/C22.csv */
	static const double a[5] = { 10, 12, 9, 15, 11 };
	static const double tot[5] = { 25, 29, 22, 33, 27 };
	double X[15], X2[10], b[3], se[3];
	size_t rank = 99;
	cor_err e;
	gsl_matrix *m;
	gsl_permutation *perm;
	gsl_vector *rhs, *sol;
	int signum, st;

	(void)state;
	for (int i = 0; i < 5; i++) {
		X[3 * i] = 1.0;
		X[3 * i + 1] = a[i];
		X[3 * i + 2] = a[i];   /* route_b equals route_a */
		X2[2 * i] = 1.0;
		X2[2 * i + 1] = a[i];
	}
	b[0] = b[1] = b[2] = -7.0;
	assert_int_equal(cor_stats_ols(X, tot, 5, 3, b, se, &rank, &e),
	                 COR_EDEGENERATE);
	assert_int_equal(rank, 2);
	assert_non_null(strstr(e.msg, "not estimable: collinear"));
	assert_true(b[0] == -7.0 && b[2] == -7.0);  /* untouched */
	assert_int_equal(cor_stats_ols(X2, tot, 5, 2, b, se, &rank, &e), 0);
	close_rel(b[0], 6.981132075472, 1e-9);
	close_rel(b[1], 1.773584905660, 1e-9);
	close_rel(se[0], 2.111634634747, 1e-9);
	close_rel(se[1], 0.182281468506, 1e-9);
	/* With the handler off (as cli/main.c does), GSL's own singular
	 * solve returns a status instead of calling abort(). */
	m = gsl_matrix_calloc(2, 2);
	perm = gsl_permutation_alloc(2);
	rhs = gsl_vector_calloc(2);
	sol = gsl_vector_alloc(2);
	gsl_matrix_set(m, 0, 0, 1.0);
	gsl_matrix_set(m, 0, 1, 2.0);
	gsl_matrix_set(m, 1, 0, 2.0);
	gsl_matrix_set(m, 1, 1, 4.0);
	st = gsl_linalg_LU_decomp(m, perm, &signum);
	if (st == GSL_SUCCESS)
		st = gsl_linalg_LU_solve(m, perm, rhs, sol);
	assert_int_not_equal(st, GSL_SUCCESS);
	gsl_matrix_free(m);
	gsl_permutation_free(perm);
	gsl_vector_free(rhs);
	gsl_vector_free(sol);
}

/* ---- change points ---- */

static void test_changepoints(void **state)
{
	static const double step[12] = { 20, 22, 19, 21, 20, 22, 60, 58, 62,
	                                 61, 59, 60 };
	static const double flat[12] = { 20, 22, 19, 21, 20, 22, 21, 20, 19,
	                                 21, 22, 20 };
	size_t cp[12], n = 99;
	cor_err e;

	(void)state;
	/* a level shift from index 6; cost difference is huge, the penalty
	 * 2 ln 12 = 4.97 is small: exactly one change at 6 */
	assert_int_equal(cor_stats_changepoints(step, 12, 0.0, cp, &n, &e),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0], 6);
	assert_int_equal(cor_stats_changepoints(flat, 12, 0.0, cp, &n, &e),
	                 0);
	assert_int_equal(n, 0);
	assert_int_equal(cor_stats_changepoints(flat, 3, 0.0, cp, &n, &e), 0);
	assert_int_equal(n, 0);
}

/* ---- medians ---- */

static void test_median_iqr(void **state)
{
	static const double v[10] = { 100, 250, 250, 300, 420, 500, 800, 1200,
	                              50, 75 };
	static const double gv[9] = { 50, 75, 100, 250, 300, 420, 500, 800,
	                              1200 };
	static const long long gw[9] = { 1, 1, 1, 2, 1, 1, 1, 1, 1 };
	cor_stats_dist d, g, d2;
	cor_err e;

	(void)state;
	/* quantile(v, c(.25, .5, .75)) (type 7): 137.5 275 480 */
	assert_int_equal(cor_stats_median_iqr(v, 10, COR_STATS_BOOT_SEED,
	                                      COR_STATS_BOOT_B, &d, &e), 0);
	close_rel(d.q1, 137.5, 1e-12);
	close_rel(d.median, 275.0, 1e-12);
	close_rel(d.q3, 480.0, 1e-12);
	assert_true(d.lo <= d.median && d.median <= d.hi);
	assert_true(d.lo >= 50.0 && d.hi <= 1200.0);
	/* grouped data: identical results, same seed */
	assert_int_equal(cor_stats_median_iqr_grouped(gv, gw, 9,
	                 COR_STATS_BOOT_SEED, COR_STATS_BOOT_B, &g, &e), 0);
	assert_true(g.median == d.median && g.q1 == d.q1 && g.q3 == d.q3);
	assert_true(g.lo == d.lo && g.hi == d.hi);
	/* reproducible */
	assert_int_equal(cor_stats_median_iqr(v, 10, COR_STATS_BOOT_SEED,
	                                      COR_STATS_BOOT_B, &d2, &e), 0);
	assert_true(d2.lo == d.lo && d2.hi == d.hi);
	assert_int_equal(cor_stats_median_iqr(v, 0, 1, 10, &d, &e),
	                 COR_EDEGENERATE);
}

/* ---- periods: C28 and quarters ---- */

static void test_periods_c28(void **state)
{
	char b[16], d[11];
	cor_err e;

	(void)state;
	/* ../shared/cases/inputs/C28.csv: %G-W%V */
	assert_int_equal(cor_stats_iso_week("2025-12-28", b, sizeof(b)), 0);
	assert_string_equal(b, "2025-W52");
	assert_int_equal(cor_stats_iso_week("2025-12-29", b, sizeof(b)), 0);
	assert_string_equal(b, "2026-W01");
	assert_int_equal(cor_stats_iso_week("2026-01-01", b, sizeof(b)), 0);
	assert_string_equal(b, "2026-W01");
	assert_int_equal(cor_stats_iso_week("2021-01-03", b, sizeof(b)), 0);
	assert_string_equal(b, "2020-W53");
	assert_int_equal(cor_stats_period_label("2019-12-31", COR_BY_QUARTER,
	                                        b, sizeof(b)), 0);
	assert_string_equal(b, "2019Q4");
	assert_int_equal(cor_stats_period_label("2019-01-01", COR_BY_QUARTER,
	                                        b, sizeof(b)), 0);
	assert_string_equal(b, "2019Q1");
	assert_int_equal(cor_stats_parse_bound("2019Q4", 0, d, &e), 0);
	assert_string_equal(d, "2019-10-01");
	assert_int_equal(cor_stats_parse_bound("2019Q4", 1, d, &e), 0);
	assert_string_equal(d, "2019-12-31");
	assert_int_equal(cor_stats_parse_bound("2020-02", 1, d, &e), 0);
	assert_string_equal(d, "2020-02-29");
	assert_int_equal(cor_stats_parse_bound("2019Q5", 0, d, &e),
	                 COR_EINVAL);
	assert_int_equal(cor_stats_parse_bound("2019-02-30", 0, d, &e),
	                 COR_EINVAL);
}

/* ---- distances ---- */

static void test_distance(void **state)
{
	(void)state;
	/* one degree of arc on the equator: 6371.0088 * pi / 180 (R) =
	 * 111.195080233533 */
	close_rel(cor_stats_gc_km(0, 0, 0, 1), 111.195080233533, 1e-10);
	/* a point 1 degree north of the middle of an equator segment */
	close_rel(cor_stats_seg_km(1, 0.5, 0, 0, 0, 1), 111.195080233533,
	          1e-9);
	/* beyond the end: the distance to the endpoint, 2 degrees */
	close_rel(cor_stats_seg_km(0, 3, 0, 0, 0, 1), 2 * 111.195080233533,
	          1e-9);
}

/* ---- disclosure control ---- */

/* The suppression audit. Every published total is a linear constraint
 * total = sum(members). Moving the published cells to the right-hand
 * side leaves a linear system A u = c in the suppressed values u. A
 * suppressed value u_i is recovered by some subtraction (any linear
 * combination of rows, columns, grand and cross-table totals) exactly
 * when the unit vector e_i lies in the row space of A, i.e. when
 * rank([A; e_i]) == rank(A). */
typedef struct cellid {
	int t, r, c;
} cellid;

static size_t mat_rank(double *a, size_t rows, size_t cols)
{
	size_t rank = 0;

	for (size_t c = 0; c < cols && rank < rows; c++) {
		size_t piv = rank;
		double best = 0.0;
		for (size_t r = rank; r < rows; r++)
			if (fabs(a[r * cols + c]) > best) {
				best = fabs(a[r * cols + c]);
				piv = r;
			}
		if (best < 1e-9)
			continue;
		for (size_t k = 0; k < cols; k++) {
			double t = a[rank * cols + k];
			a[rank * cols + k] = a[piv * cols + k];
			a[piv * cols + k] = t;
		}
		for (size_t r = 0; r < rows; r++) {
			double f;
			if (r == rank)
				continue;
			f = a[r * cols + c] / a[rank * cols + c];
			for (size_t k = 0; k < cols; k++)
				a[r * cols + k] -= f * a[rank * cols + k];
		}
		rank++;
	}
	return rank;
}

/* Returns the number of suppressed count cells whose value follows from
 * the published cells (0 = safe). */
static int recoverable(const cor_stats_result *r)
{
	cellid sup[256];
	int ns = 0, bad = 0;
	size_t rows = (size_t)r->ncons;

	for (int t = 0; t < r->ntable; t++)
		for (int i = 0; i < r->tables[t].nrow; i++)
			for (int j = 0; j < r->tables[t].ncol; j++)
				if (r->tables[t].cols[j].type == COR_COL_COUNT &&
				    r->tables[t].rows[i].cells[j].status ==
				    COR_CELL_SUPPRESSED && ns < 256)
					sup[ns++] = (cellid){ t, i, j };
	for (int s = 0; s < ns; s++) {
		double *A = calloc((rows + 1) * (size_t)ns, sizeof(double));
		double *B = calloc((rows + 1) * (size_t)ns, sizeof(double));
		size_t r1, r2;

		assert_non_null(A);
		assert_non_null(B);
		for (size_t c = 0; c < rows; c++) {
			const cor_stats_constraint *cn = &r->cons[c];
			for (int k = 0; k < ns; k++) {
				double coef = 0.0;
				if (cn->total.table == sup[k].t &&
				    cn->total.row == sup[k].r &&
				    cn->total.col == sup[k].c)
					coef -= 1.0;
				for (int m = 0; m < cn->nmem; m++)
					if (cn->mem[m].table == sup[k].t &&
					    cn->mem[m].row == sup[k].r &&
					    cn->mem[m].col == sup[k].c)
						coef += 1.0;
				A[c * (size_t)ns + (size_t)k] = coef;
				B[c * (size_t)ns + (size_t)k] = coef;
			}
		}
		B[rows * (size_t)ns + (size_t)s] = 1.0;
		r1 = mat_rank(A, rows, (size_t)ns);
		r2 = mat_rank(B, rows + 1, (size_t)ns);
		if (r1 == r2)
			bad++;
		free(A);
		free(B);
	}
	return bad;
}

/* A 3 x 3 table of cells 1..4 and larger, with row, column and grand
 * margins; a second table whose total is the first one's grand total. */
static cor_stats_result *small_tables(void)
{
	static const long long cell[3][3] = {
		{ 1, 12, 30 },
		{ 14, 2, 25 },
		{ 20, 16, 4 },
	};
	static const cor_stats_col cols[] = {
		{ "origin", "origin", "#country+origin", COR_COL_CODE, 0 },
		{ "destination", "destination", "#country+dest", COR_COL_CODE,
		  0 },
		{ "n", "n", "#affected+num", COR_COL_COUNT, 0 },
	};
	static const cor_stats_col c2[] = {
		{ "sex", "sex", "#affected+sex", COR_COL_CODE, 0 },
		{ "n", "n", "#affected+num", COR_COL_COUNT, 0 },
	};
	static const char *o[3] = { "ETH", "SOM", "ERI" };
	static const char *d[3] = { "KEN", "TZA", "ZAF" };
	cor_stats_result *r = cor_stats_result_new(COR_STATS_OD, 5);
	cor_stats_ref cref[3][3], rowm[3], colm[3], grand, mem[3], sx[2];
	long long rs[3] = { 0, 0, 0 }, cs[3] = { 0, 0, 0 }, g = 0;
	int ri;

	assert_non_null(r);
	assert_int_equal(cor_stats_table_add(r, "matrix", "m", cols, 3), 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			ri = cor_stats_row_add(r, 0, 0);
			cor_stats_set_code(r, 0, ri, 0, o[i], NULL);
			cor_stats_set_code(r, 0, ri, 1, d[j], NULL);
			cor_stats_set_count(r, 0, ri, 2, cell[i][j]);
			cref[i][j] = (cor_stats_ref){ 0, ri, 2 };
			rs[i] += cell[i][j];
			cs[j] += cell[i][j];
			g += cell[i][j];
		}
	for (int i = 0; i < 3; i++) {
		ri = cor_stats_row_add(r, 0, 1);
		cor_stats_set_code(r, 0, ri, 0, o[i], NULL);
		cor_stats_set_count(r, 0, ri, 2, rs[i]);
		rowm[i] = (cor_stats_ref){ 0, ri, 2 };
	}
	for (int j = 0; j < 3; j++) {
		ri = cor_stats_row_add(r, 0, 1);
		cor_stats_set_code(r, 0, ri, 1, d[j], NULL);
		cor_stats_set_count(r, 0, ri, 2, cs[j]);
		colm[j] = (cor_stats_ref){ 0, ri, 2 };
	}
	ri = cor_stats_row_add(r, 0, 1);
	cor_stats_set_count(r, 0, ri, 2, g);
	grand = (cor_stats_ref){ 0, ri, 2 };
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++)
			mem[j] = cref[i][j];
		assert_int_equal(cor_stats_constrain(r, rowm[i], mem, 3), 0);
	}
	for (int j = 0; j < 3; j++) {
		for (int i = 0; i < 3; i++)
			mem[i] = cref[i][j];
		assert_int_equal(cor_stats_constrain(r, colm[j], mem, 3), 0);
	}
	assert_int_equal(cor_stats_constrain(r, grand, rowm, 3), 0);
	assert_int_equal(cor_stats_constrain(r, grand, colm, 3), 0);
	/* second table: by sex, 3 female + rest male; its total printed in
	 * table 1 (the grand total) is its margin */
	assert_int_equal(cor_stats_table_add(r, "sex", "s", c2, 2), 1);
	ri = cor_stats_row_add(r, 1, 0);
	cor_stats_set_code(r, 1, ri, 0, "female", NULL);
	cor_stats_set_count(r, 1, ri, 1, 3);
	sx[0] = (cor_stats_ref){ 1, ri, 1 };
	ri = cor_stats_row_add(r, 1, 0);
	cor_stats_set_code(r, 1, ri, 0, "male", NULL);
	cor_stats_set_count(r, 1, ri, 1, g - 3);
	sx[1] = (cor_stats_ref){ 1, ri, 1 };
	assert_int_equal(cor_stats_constrain(r, grand, sx, 2), 0);
	return r;
}

static void test_suppression(void **state)
{
	cor_stats_result *r = small_tables();
	cor_err e;
	int primary = 0;
	char buf[64];

	(void)state;
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	/* primary: the cells 1, 2, 4 and the female count 3 */
	for (int t = 0; t < r->ntable; t++)
		for (int i = 0; i < r->tables[t].nrow; i++)
			for (int j = 0; j < r->tables[t].ncol; j++)
				primary += r->tables[t].rows[i].cells[j].primary;
	assert_int_equal(primary, 4);
	/* no line (row, column, grand total, cross-table) with exactly one
	 * suppressed cell */
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
	/* every subtraction (any linear combination of the published
	 * margins) leaves each suppressed value undetermined */
	assert_int_equal(recoverable(r), 0);
	/* the female count is hidden and so is its complement (male), as
	 * the grand total is printed in the matrix */
	assert_int_equal(r->tables[1].rows[0].cells[1].status,
	                 COR_CELL_SUPPRESSED);
	assert_int_equal(r->tables[1].rows[1].cells[1].status,
	                 COR_CELL_SUPPRESSED);
	assert_true(r->suppressed >= 8);
	assert_string_equal(cor_stats_cell_format(r, &r->tables[0], 0, 2, buf,
	                                          sizeof(buf)), "<5");
	cor_stats_result_free(r);
}

/* Without complementary suppression the audit finds recoverable cells:
 * the audit itself can fail. */
static void test_suppression_audit_detects(void **state)
{
	cor_stats_result *r = small_tables();

	(void)state;
	r->tables[0].rows[0].cells[2].status = COR_CELL_SUPPRESSED;
	assert_int_equal(recoverable(r), 1);
	cor_stats_result_free(r);
}

/* Derived cells: a share of a suppressed count is withheld; a rate ratio
 * from a count under k too. */
static void test_derived_suppression(void **state)
{
	static const cor_stats_col cols[] = {
		{ "n", "n", "#affected+num", COR_COL_COUNT, 0 },
		{ "share", "share", "#indicator+pct", COR_COL_SHARE, 0 },
		{ "rate_ratio", "rr", "#indicator+ratio", COR_COL_RR, 0 },
	};
	cor_stats_result *r = cor_stats_result_new(COR_STATS_TREND, 5);
	cor_stats_ref none = { -1, -1, -1 };
	cor_err e;

	(void)state;
	assert_int_equal(cor_stats_table_add(r, "t", "t", cols, 3), 0);
	assert_int_equal(cor_stats_row_add(r, 0, 0), 0);
	assert_int_equal(cor_stats_row_add(r, 0, 0), 1);
	cor_stats_set_count(r, 0, 0, 0, 40);
	cor_stats_set_count(r, 0, 1, 0, 3);
	cor_stats_set_share(r, 0, 0, 1, 40, 43, (cor_stats_ref){ 0, 0, 0 });
	cor_stats_set_share(r, 0, 1, 1, 3, 43, (cor_stats_ref){ 0, 1, 0 });
	cor_stats_set_rr(r, 0, 1, 2, 3, 40, (cor_stats_ref){ 0, 1, 0 },
	                 (cor_stats_ref){ 0, 0, 0 });
	cor_stats_set_rr(r, 0, 0, 2, 40, 0, none, none);
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	assert_int_equal(r->tables[0].rows[1].cells[1].status,
	                 COR_CELL_SUPPRESSED);
	assert_int_equal(r->tables[0].rows[1].cells[2].status,
	                 COR_CELL_SUPPRESSED);
	assert_int_equal(r->tables[0].rows[0].cells[1].status, COR_CELL_OK);
	assert_int_equal(r->tables[0].rows[0].cells[2].status, COR_CELL_NA);
	assert_int_equal(cor_stats_suppress(r, 1, &e), COR_EINVAL);
	cor_stats_result_free(r);
}

/* Writers: JSON shape, nulls for suppressed/NA, no nan/inf anywhere;
 * --no-suppress marks every line; --hxl refused with it. */
static void test_writers(void **state)
{
	cor_stats_result *r = small_tables();
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	cor_err e;

	(void)state;
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(cor_stats_write_json(fp, r, &e), 0);
	fclose(fp);
	assert_non_null(strstr(buf, "\"kind\": \"od\""));
	assert_non_null(strstr(buf, "\"k\": 5"));
	assert_non_null(strstr(buf, "\"n\": null"));
	assert_non_null(strstr(buf, "\"suppressed\": true"));
	assert_non_null(strstr(buf, "\"generated_from\": []"));
	assert_null(strstr(buf, "nan"));
	assert_null(strstr(buf, "inf"));
	free(buf);
	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_int_equal(cor_stats_write_csv(fp, r, 1, &e), 0);
	fclose(fp);
	assert_non_null(strstr(buf, "\r\n#meta+table,#meta+margin,"
	                            "#country+origin+code"));
	free(buf);
	buf = NULL;
	r->no_suppress = 1;
	fp = open_memstream(&buf, &len);
	assert_int_equal(cor_stats_write_csv(fp, r, 1, &e), COR_EPERM);
	assert_int_equal(cor_stats_write_text(fp, r, &e), 0);
	fclose(fp);
	for (char *line = buf; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		assert_int_equal(strncmp(line, "NOT FOR PUBLICATION", 19), 0);
		line = nl != NULL ? nl + 1 : NULL;
	}
	free(buf);
	cor_stats_result_free(r);
}

static void test_change_words(void **state)
{
	cor_stats_cell c;
	char buf[128];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.v = 1.18;
	c.lo = 1.04;
	c.hi = 1.34;
	assert_string_equal(cor_stats_change_words(NULL, &c, buf, sizeof(buf)),
	                    "up 18% (95% CI 4% to 34%)");
	c.status = COR_CELL_NA;
	c.reason = "reference count is zero";
	assert_string_equal(cor_stats_change_words(NULL, &c, buf, sizeof(buf)),
	                    "n/a (reference count is zero)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wilson_c25),
		cmocka_unit_test(test_wilson_reference),
		cmocka_unit_test(test_zero_denominator_c26),
		cmocka_unit_test(test_rate_ratio),
		cmocka_unit_test(test_poisson_trend),
		cmocka_unit_test(test_quasi_poisson_trend),
		cmocka_unit_test(test_trend_degenerate_c23),
		cmocka_unit_test(test_collinear_c22),
		cmocka_unit_test(test_changepoints),
		cmocka_unit_test(test_median_iqr),
		cmocka_unit_test(test_periods_c28),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_suppression),
		cmocka_unit_test(test_suppression_audit_detects),
		cmocka_unit_test(test_derived_suppression),
		cmocka_unit_test(test_writers),
		cmocka_unit_test(test_change_words),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
