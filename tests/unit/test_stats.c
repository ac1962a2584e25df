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
#include <jansson.h>
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
	/* text output: an underflowed p-value (10^6 vs 9 x 10^5 cases: R's
	 * poisson.test gives p < 2.2e-16, the double is denormal or 0)
	 * prints as a bound, an ordinary one as a number (12 vs 5:
	 * binom.test(12, 17) gives the Clopper-Pearson interval 0.4404 to
	 * 0.8969 for 12/17, i.e. 0.787 to 8.70 for the ratio) */
	{
		static const cor_stats_col cols[] = {
			{ "rate_ratio", "rr", "#indicator+ratio", COR_COL_RR,
			  0 },
		};
		cor_stats_ref none = { -1, -1, -1 };
		cor_stats_result *r = cor_stats_result_new(COR_STATS_OVERVIEW,
		                                           5);
		char buf[96];

		assert_non_null(r);
		assert_int_equal(cor_stats_table_add(r, "t", "t", cols, 1), 0);
		assert_int_equal(cor_stats_row_add(r, 0, 0), 0);
		assert_int_equal(cor_stats_row_add(r, 0, 0), 1);
		assert_int_equal(cor_stats_set_rr(r, 0, 0, 0, 1000000, 900000,
		                                  none, none), 0);
		assert_int_equal(cor_stats_set_rr(r, 0, 1, 0, 12, 5, none,
		                                  none), 0);
		assert_true(r->tables[0].rows[0].cells[0].p < 1e-300);
		assert_non_null(strstr(cor_stats_cell_format(r, &r->tables[0],
		                0, 0, buf, sizeof(buf)), "p<1e-300"));
		assert_string_equal(cor_stats_cell_format(r, &r->tables[0], 1,
		                    0, buf, sizeof(buf)),
		                    "2.40 (0.79-8.70) p=0.143");
		cor_stats_result_free(r);
	}
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

/* One table "legs": rows A, B, C (code column "leg", count "n") and a
 * margin row "Total" = A + B + C. */
static cor_stats_result *one_line(long long a, long long b, long long c)
{
	static const cor_stats_col cols[] = {
		{ "leg", "leg", "#loc", COR_COL_CODE, 0 },
		{ "n", "cases", "#affected+num", COR_COL_COUNT, 0 },
	};
	static const char *const code[3] = { "A", "B", "C" };
	cor_stats_result *r = cor_stats_result_new(COR_STATS_SEGMENTS, 5);
	cor_stats_ref mem[3], tot = { 0, 3, 1 };
	long long v[3] = { a, b, c };

	assert_non_null(r);
	assert_int_equal(cor_stats_table_add(r, "legs", "legs", cols, 2), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cor_stats_row_add(r, 0, 0), i);
		assert_int_equal(cor_stats_set_code(r, 0, i, 0, code[i], NULL),
		                 0);
		assert_int_equal(cor_stats_set_count(r, 0, i, 1, v[i]), 0);
		mem[i] = (cor_stats_ref){ 0, i, 1 };
	}
	assert_int_equal(cor_stats_row_add(r, 0, 1), 3);
	assert_int_equal(cor_stats_set_code(r, 0, 3, 0, NULL, "Total"), 0);
	assert_int_equal(cor_stats_set_count(r, 0, 3, 1, a + b + c), 0);
	assert_int_equal(cor_stats_constrain(r, tot, mem, 3), 0);
	return r;
}

static int withheld(const cor_stats_result *r, int row)
{
	return r->tables[0].rows[row].cells[1].status == COR_CELL_SUPPRESSED;
}

/* Linked suppression (a county output inside the national one): a count
 * withheld nationally is withheld in the county output when equal (the
 * same cases); a count published nationally with the same value is never
 * the county output's complement. */
static void test_suppression_linked(void **state)
{
	cor_stats_result *nat = one_line(2, 10, 30), *cty, *plain;
	cor_err e;

	(void)state;
	assert_int_equal(cor_stats_suppress(nat, 5, &e), 0);
	/* national: A < 5 (primary), B its complement (smallest), C and
	 * the total published */
	assert_true(withheld(nat, 0) && withheld(nat, 1));
	assert_false(withheld(nat, 2) || withheld(nat, 3));
	/* county: B = 10 is the national complement's cases: withheld here
	 * too, and protected in turn (C, the smallest other count) */
	cty = one_line(0, 10, 7);
	plain = one_line(0, 10, 7);
	assert_int_equal(cor_stats_suppress(plain, 5, &e), 0);
	assert_int_equal(plain->suppressed, 0);      /* alone: nothing */
	assert_int_equal(cor_stats_suppress_linked(cty, 5, nat, &e), 0);
	assert_true(withheld(cty, 1));
	assert_true(withheld(cty, 2));
	assert_int_equal(cty->tables[0].rows[1].cells[1].primary, 0);
	cor_stats_result_free(cty);
	cor_stats_result_free(plain);
	/* county: A < 5 needs a complement; B = 6 is published nationally
	 * with the same count, so C (9) is chosen although B is smaller */
	cor_stats_result_free(nat);
	nat = one_line(20, 6, 30);
	assert_int_equal(cor_stats_suppress(nat, 5, &e), 0);
	assert_int_equal(nat->suppressed, 0);
	cty = one_line(3, 6, 9);
	plain = one_line(3, 6, 9);
	assert_int_equal(cor_stats_suppress(plain, 5, &e), 0);
	assert_true(withheld(plain, 0) && withheld(plain, 1));
	assert_false(withheld(plain, 2));
	assert_int_equal(cor_stats_suppress_linked(cty, 5, nat, &e), 0);
	assert_true(withheld(cty, 0));
	assert_false(withheld(cty, 1));
	assert_true(withheld(cty, 2));
	assert_int_equal(recoverable(cty), 0);
	/* no linked result: cor_stats_suppress itself */
	cor_stats_result_free(cty);
	cty = one_line(3, 6, 9);
	assert_int_equal(cor_stats_suppress_linked(cty, 5, NULL, &e), 0);
	assert_true(withheld(cty, 0) && withheld(cty, 1));
	cor_stats_result_free(cty);
	cor_stats_result_free(plain);
	cor_stats_result_free(nat);
}

/* A family of county outputs (cor_stats_suppress_family): county X's
 * complement is withheld in county Y when equal (the Kajiado / Nairobi
 * case: Y printed the 7 that X withheld), and a count Y's earlier
 * neighbour printed is never Y's complement. */
static void test_suppression_family(void **state)
{
	cor_stats_result *nat = one_line(40, 60, 80), *x, *y, *y0, *z;
	const cor_stats_result *links[3];
	cor_err e;

	(void)state;
	assert_int_equal(cor_stats_suppress(nat, 5, &e), 0);
	assert_int_equal(nat->suppressed, 0);
	/* X: A = 2 < 5, its complement B = 7 (the smallest) */
	x = one_line(2, 7, 30);
	links[0] = nat;
	assert_int_equal(cor_stats_suppress_family(x, 5, links, 1, &e), 0);
	assert_true(withheld(x, 0) && withheld(x, 1));
	assert_false(withheld(x, 2) || withheld(x, 3));
	/* Y alone (linked to the national output only) prints B = 7 */
	y0 = one_line(0, 7, 12);
	assert_int_equal(cor_stats_suppress_family(y0, 5, links, 1, &e), 0);
	assert_false(withheld(y0, 1));
	/* Y in the family: B = 7 is withheld (X's complement), and Y
	 * protects it in turn with C (its only other non-zero count) */
	y = one_line(0, 7, 12);
	links[1] = x;
	assert_int_equal(cor_stats_suppress_family(y, 5, links, 2, &e), 0);
	assert_true(withheld(y, 1));
	assert_true(withheld(y, 2));
	assert_int_equal(y->tables[0].rows[1].cells[1].primary, 0);
	assert_int_equal(recoverable(y), 0);
	/* Z: A = 3 needs a complement; C = 30 is the smaller candidate
	 * but X prints C = 30 (rows are matched by code), so B = 40 is
	 * chosen; alone, Z would withhold C */
	z = one_line(3, 40, 30);
	assert_int_equal(cor_stats_suppress(z, 5, &e), 0);
	assert_true(withheld(z, 0) && withheld(z, 2));
	assert_false(withheld(z, 1));
	cor_stats_result_free(z);
	z = one_line(3, 40, 30);
	links[1] = x;
	links[2] = NULL;        /* NULL entries are skipped */
	assert_int_equal(cor_stats_suppress_family(z, 5, links, 3, &e), 0);
	assert_true(withheld(z, 0) && withheld(z, 1));
	assert_false(withheld(z, 2));
	assert_int_equal(recoverable(z), 0);
	cor_stats_result_free(z);
	cor_stats_result_free(y);
	cor_stats_result_free(y0);
	cor_stats_result_free(x);
	cor_stats_result_free(nat);
}

/* One table: rows A.. with counts v[0..n-1] and a margin "Total". */
static cor_stats_result *row_of_counts(const long long *v, int n)
{
	static const cor_stats_col cols[] = {
		{ "leg", "leg", "#loc", COR_COL_CODE, 0 },
		{ "n", "cases", "#affected+num", COR_COL_COUNT, 0 },
	};
	cor_stats_result *r = cor_stats_result_new(COR_STATS_SEGMENTS, 5);
	cor_stats_ref mem[8], tot = { 0, n, 1 };
	long long sum = 0;
	char code[2] = "A";

	assert_non_null(r);
	assert_int_equal(cor_stats_table_add(r, "legs", "legs", cols, 2), 0);
	for (int i = 0; i < n; i++) {
		code[0] = (char)('A' + i);
		assert_int_equal(cor_stats_row_add(r, 0, 0), i);
		assert_int_equal(cor_stats_set_code(r, 0, i, 0, code, NULL), 0);
		assert_int_equal(cor_stats_set_count(r, 0, i, 1, v[i]), 0);
		mem[i] = (cor_stats_ref){ 0, i, 1 };
		sum += v[i];
	}
	assert_int_equal(cor_stats_row_add(r, 0, 1), n);
	assert_int_equal(cor_stats_set_code(r, 0, n, 0, NULL, "Total"), 0);
	assert_int_equal(cor_stats_set_count(r, 0, n, 1, sum), 0);
	assert_int_equal(cor_stats_constrain(r, tot, mem, n), 0);
	return r;
}

/* The bounds audit (fifth user trial): "<5" is 1..4, so a printed total
 * 5 over five withheld cells gives each as 1, and a total 16 over four
 * gives each as 4, although no equality determines them. The total is
 * withheld then; a total 6 over five (each 1 or 2) is printed; a total 4
 * over four cells of 1 is printed "x", not "<5". */
static void test_suppression_bounds(void **state)
{
	static const long long ones[] = { 1, 1, 1, 1, 1 };
	static const long long fours[] = { 4, 4, 4, 4 };
	static const long long mixed[] = { 1, 1, 1, 1, 2 };
	cor_stats_result *r;
	cor_err e;

	(void)state;
	r = row_of_counts(ones, 5);
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	assert_true(withheld(r, 0) && withheld(r, 4));
	assert_true(withheld(r, 5));            /* the total */
	cor_stats_result_free(r);
	r = row_of_counts(fours, 4);
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	assert_true(withheld(r, 4));
	cor_stats_result_free(r);
	r = row_of_counts(mixed, 5);
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	assert_false(withheld(r, 5));           /* each cell 1 or 2 */
	assert_int_equal(r->suppressed, 5);
	cor_stats_result_free(r);
	/* four cells of 1 under a total 4: "<5" over four "<5" gives each
	 * as 1 and nothing more can be withheld; the total is printed "x"
	 * (no upper bound: each cell 1 to 4 again), the cells stay "<5",
	 * and no warning is needed */
	r = row_of_counts(ones, 4);
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	for (int i = 0; i < 4; i++) {
		assert_true(withheld(r, i));
		assert_int_equal(r->tables[0].rows[i].cells[1].primary, 1);
	}
	assert_true(withheld(r, 4));
	assert_int_equal(r->tables[0].rows[4].cells[1].primary, 0);
	assert_int_equal(r->nwarn, 0);
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

/* ---- exact audit: chains of constraints (audit finding A) ---- */

/* An independent checker working on the printed output only: parses the
 * JSON of an OD-style table (origin, destination, n, margin rows: row
 * margins have destination null, column margins origin null, the grand
 * total both), rebuilds every row, column and grand-total equation with
 * the published values on the right-hand side, and for every withheld
 * cell compares rank(A) with rank([A; e_j]) by GSL's QR decomposition
 * with column pivoting (gsl_linalg_QRPT_decomp; |R_ii| > 1e-9 |R_00|
 * counts). Equal ranks: the cell follows from the printed numbers.
 * Returns the number of determined withheld cells; *nhidden gets the
 * number of withheld cells. */
typedef struct pcell {
	char o[16], d[16];      /* "" = margin */
	int hidden;
	long long n;
} pcell;

static size_t qr_rank(const double *a, size_t rows, size_t cols)
{
	size_t m = rows > cols ? rows : cols, rank = 0;
	gsl_matrix *A = gsl_matrix_calloc(m, cols);
	gsl_vector *tau = gsl_vector_alloc(cols < m ? cols : m);
	gsl_vector *norm = gsl_vector_alloc(cols);
	gsl_permutation *perm = gsl_permutation_alloc(cols);
	int signum;
	double r0;

	assert_non_null(A);
	assert_non_null(tau);
	assert_non_null(norm);
	assert_non_null(perm);
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			gsl_matrix_set(A, i, j, a[i * cols + j]);
	assert_int_equal(gsl_linalg_QRPT_decomp(A, tau, perm, &signum, norm),
	                 GSL_SUCCESS);
	r0 = fabs(gsl_matrix_get(A, 0, 0));
	for (size_t i = 0; i < cols && i < m; i++)
		if (r0 > 0 && fabs(gsl_matrix_get(A, i, i)) > 1e-9 * r0)
			rank++;
	gsl_matrix_free(A);
	gsl_vector_free(tau);
	gsl_vector_free(norm);
	gsl_permutation_free(perm);
	return rank;
}

static int printed_determined(const cor_stats_result *r, int *nhidden)
{
	char *buf = NULL;
	size_t len = 0, nrow, nh = 0;
	FILE *fp = open_memstream(&buf, &len);
	json_t *o, *rows;
	json_error_t je;
	pcell c[64];
	int hid[64], bad = 0;
	double *A, *B;
	size_t neq = 0, r1;
	cor_err e;

	assert_non_null(fp);
	assert_int_equal(cor_stats_write_json(fp, r, &e), 0);
	fclose(fp);
	o = json_loads(buf, 0, &je);
	free(buf);
	assert_non_null(o);
	rows = json_object_get(o, "rows");
	nrow = json_array_size(rows);
	assert_true(nrow > 0 && nrow <= 64);
	for (size_t i = 0; i < nrow; i++) {
		json_t *ro = json_array_get(rows, i);
		json_t *jo = json_object_get(ro, "origin");
		json_t *jd = json_object_get(ro, "destination");
		json_t *jn = json_object_get(ro, "n");

		snprintf(c[i].o, sizeof(c[i].o), "%s", json_is_string(jo) ?
		         json_string_value(jo) : "");
		snprintf(c[i].d, sizeof(c[i].d), "%s", json_is_string(jd) ?
		         json_string_value(jd) : "");
		c[i].hidden = json_is_null(jn);
		assert_true(c[i].hidden == json_is_true(json_object_get(ro,
		            "suppressed")));
		c[i].n = c[i].hidden ? 0 : json_integer_value(jn);
		if (c[i].hidden)
			hid[nh++] = (int)i;
	}
	json_decref(o);
	*nhidden = (int)nh;
	if (nh == 0)
		return 0;
	/* equations: margin row i = sum of the cells it totals */
	A = calloc((nrow + 1) * nh, sizeof(double));
	B = calloc((nrow + 1) * nh, sizeof(double));
	assert_non_null(A);
	assert_non_null(B);
	for (size_t i = 0; i < nrow; i++) {
		int grand = !c[i].o[0] && !c[i].d[0];
		for (int pass = 0; pass < (grand ? 2 : 1); pass++) {
			int any = 0;
			if (c[i].o[0] && c[i].d[0])
				break;
			for (size_t j = 0; j < nrow; j++) {
				int mem;
				if (grand)   /* row margins, then columns */
					mem = pass == 0 ? c[j].o[0] && !c[j].d[0]
					                : !c[j].o[0] && c[j].d[0];
				else if (c[i].o[0])
					mem = c[j].d[0] &&
					      strcmp(c[j].o, c[i].o) == 0;
				else
					mem = c[j].o[0] &&
					      strcmp(c[j].d, c[i].d) == 0;
				for (size_t h = 0; mem && h < nh; h++)
					if (hid[h] == (int)j)
						A[neq * nh + h] += 1.0;
				any |= mem;
			}
			for (size_t h = 0; any && h < nh; h++)
				if (hid[h] == (int)i)
					A[neq * nh + h] -= 1.0;
			neq += any;
		}
	}
	r1 = qr_rank(A, neq, nh);
	for (size_t h = 0; h < nh; h++) {
		memcpy(B, A, neq * nh * sizeof(double));
		memset(B + neq * nh, 0, nh * sizeof(double));
		B[neq * nh + h] = 1.0;
		if (qr_rank(B, neq + 1, nh) == r1)
			bad++;
	}
	free(A);
	free(B);
	return bad;
}

/* The OD matrix of a query has only its non-zero cells: row A has the
 * single cell A->X = 2, column Z the single cell B->Z = 1; other cells
 * B->X 76, B->Y 12, C->X 51, C->Y 30; row, column and grand totals are
 * printed. The former greedy rule alone ("no line with exactly one
 * suppressed cell", constraints in the order rows, columns, grand)
 * withheld A->X, B->Y, B->Z, C->X, C->Y and the margins of row A, row C,
 * column Y, column Z: every line had two or more withheld cells, yet
 * C->Y = 30 followed from the printed totals (col Y: B->Y + C->Y = Y;
 * row C: C->X + C->Y = C; grand by rows: A + C = G - B; row A: A->X = A;
 * col X: A->X + C->X = X - 76; col Z: B->Z = Z; grand by columns closes
 * the loop). */
static cor_stats_result *od_chain(cor_stats_ref *bz, cor_stats_ref *any_x)
{
	static const char *const co[6] = { "A", "B", "B", "B", "C", "C" };
	static const char *const cd[6] = { "X", "X", "Y", "Z", "X", "Y" };
	static const long long cn[6] = { 2, 76, 12, 1, 51, 30 };
	static const char *const O[3] = { "A", "B", "C" };
	static const char *const D[3] = { "X", "Y", "Z" };
	static const cor_stats_col cols[] = {
		{ "origin", "origin", "#country+origin", COR_COL_CODE, 0 },
		{ "destination", "destination", "#country+dest", COR_COL_CODE,
		  0 },
		{ "n", "n", "#affected+num", COR_COL_COUNT, 0 },
	};
	cor_stats_result *r = cor_stats_result_new(COR_STATS_OD, 5);
	cor_stats_ref mem[6], rm[3], cm[3], g;
	long long tot = 0;
	int ri, nm;

	assert_non_null(r);
	assert_int_equal(cor_stats_table_add(r, "matrix", "m", cols, 3), 0);
	for (int i = 0; i < 6; i++) {
		ri = cor_stats_row_add(r, 0, 0);
		assert_int_equal(cor_stats_set_code(r, 0, ri, 0, co[i], NULL),
		                 0);
		assert_int_equal(cor_stats_set_code(r, 0, ri, 1, cd[i], NULL),
		                 0);
		assert_int_equal(cor_stats_set_count(r, 0, ri, 2, cn[i]), 0);
		tot += cn[i];
	}
	*bz = (cor_stats_ref){ 0, 3, 2 };
	*any_x = (cor_stats_ref){ 0, 0, 2 };
	for (int g2 = 0; g2 < 2; g2++) {
		for (int a = 0; a < 3; a++) {
			long long s = 0;
			nm = 0;
			for (int i = 0; i < 6; i++)
				if (strcmp(g2 == 0 ? co[i] : cd[i],
				           g2 == 0 ? O[a] : D[a]) == 0) {
					s += cn[i];
					mem[nm++] = (cor_stats_ref){ 0, i, 2 };
				}
			ri = cor_stats_row_add(r, 0, 1);
			cor_stats_set_code(r, 0, ri, g2 == 0 ? 0 : 1,
			                   g2 == 0 ? O[a] : D[a], NULL);
			cor_stats_set_count(r, 0, ri, 2, s);
			(g2 == 0 ? rm : cm)[a] = (cor_stats_ref){ 0, ri, 2 };
			assert_int_equal(cor_stats_constrain(r, (g2 == 0 ? rm :
			                 cm)[a], mem, nm), 0);
		}
	}
	ri = cor_stats_row_add(r, 0, 1);
	cor_stats_set_count(r, 0, ri, 2, tot);
	g = (cor_stats_ref){ 0, ri, 2 };
	assert_int_equal(cor_stats_constrain(r, g, rm, 3), 0);
	assert_int_equal(cor_stats_constrain(r, g, cm, 3), 0);
	return r;
}

static void test_suppression_chain_od(void **state)
{
	/* rows 0..5 cells, 6..8 row margins A B C, 9..11 column margins
	 * X Y Z, 12 grand; the old greedy pattern: */
	static const int old[] = { 0, 2, 3, 4, 5, 6, 8, 10, 11 };
	cor_stats_ref bz, ax;
	cor_stats_result *r = od_chain(&bz, &ax);
	int nh = 0, primary = 0;
	cor_err e;

	(void)state;
	/* the checker finds the leak of the greedy-only pattern, and the
	 * chain is the only way: no line has exactly one withheld cell */
	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
		r->tables[0].rows[old[i]].cells[2].status =
			COR_CELL_SUPPRESSED;
	assert_true(printed_determined(r, &nh) >= 1);
	assert_int_equal(nh, 9);
	cor_stats_result_free(r);
	/* the exact audit leaves nothing determined */
	r = od_chain(&bz, &ax);
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	assert_int_equal(printed_determined(r, &nh), 0);
	assert_true(nh >= 2);
	assert_int_equal(recoverable(r), 0);
	/* primary: A->X 2, B->Z 1, row margin A 2, column margin Z 1 */
	for (int i = 0; i < r->tables[0].nrow; i++)
		primary += r->tables[0].rows[i].cells[2].primary;
	assert_int_equal(primary, 4);
	assert_int_equal(r->tables[0].rows[bz.row].cells[2].status,
	                 COR_CELL_SUPPRESSED);
	cor_stats_result_free(r);
}

/* ---- trend refit on published periods (audit finding B) ---- */

static cor_stats_result *trend_result(const double *y, size_t n)
{
	static const cor_stats_col scols[] = {
		{ "period", "period", "#date+period", COR_COL_PERIOD, 0 },
		{ "n", "cases", "#affected+num", COR_COL_COUNT, 0 },
		{ "rate_ratio", "rr", "#indicator+ratio", COR_COL_RR, 0 },
		{ "fit", "trend fit (95% CI)", "#indicator+fitted",
		  COR_COL_NUM, 1 },
		{ "flag", "flag", "#meta+flag", COR_COL_TEXT, 0 },
	};
	static const cor_stats_col mcols[] = {
		{ "model", "model", "#meta+model", COR_COL_TEXT, 0 },
		{ "periods", "periods", "#meta+periods", COR_COL_NUM, 0 },
		{ "change_pct_per_year", "change per year", "#indicator",
		  COR_COL_NUM, 1 },
		{ "p_value", "p-value", "#indicator+pvalue", COR_COL_NUM, 0 },
		{ "dispersion", "dispersion", "#indicator", COR_COL_NUM, 0 },
	};
	cor_stats_result *r = cor_stats_result_new(COR_STATS_TREND, 5);
	double x[16];
	cor_err e;
	char lab[16];
	cor_stats_cell *c;

	assert_non_null(r);
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		x[i] = (double)i;
	assert_int_equal(cor_stats_poisson_trend(x, y, n, 4.0, &r->trend,
	                                         &e), 0);
	r->has_trend = 1;
	assert_int_equal(cor_stats_table_add(r, "series", "s", scols, 5), 0);
	for (size_t i = 0; i < n; i++) {
		int ri = cor_stats_row_add(r, 0, 0);
		snprintf(lab, sizeof(lab), "2019Q%d", (int)(i % 16) + 1);
		cor_stats_set_text(r, 0, ri, 0, lab);
		cor_stats_set_count(r, 0, ri, 1, (long long)y[i]);
		if (i == 0)
			cor_stats_set_na(r, 0, ri, 2, "no previous period");
		else
			cor_stats_set_rr(r, 0, ri, 2, (long long)y[i],
			                 (long long)y[i - 1],
			                 (cor_stats_ref){ 0, ri, 1 },
			                 (cor_stats_ref){ 0, ri - 1, 1 });
		c = cor_stats_cell_at(r, 0, ri, 3);
		c->v = r->trend.fit[i];
		c->lo = r->trend.fit_lo[i];
		c->hi = r->trend.fit_hi[i];
		c->has_ci = 1;
	}
	assert_int_equal(cor_stats_table_add(r, "model", "m", mcols, 5), 1);
	assert_int_equal(cor_stats_row_add(r, 1, 0), 0);
	cor_stats_set_text(r, 1, 0, 0, "poisson");
	cor_stats_cell_at(r, 1, 0, 1)->v = (double)n;
	c = cor_stats_cell_at(r, 1, 0, 2);
	c->v = r->trend.pct_per_year;
	c->lo = r->trend.pct_lo;
	c->hi = r->trend.pct_hi;
	c->has_ci = 1;
	cor_stats_cell_at(r, 1, 0, 3)->v = r->trend.p_value;
	cor_stats_cell_at(r, 1, 0, 4)->v = r->trend.dispersion;
	return r;
}

static void test_trend_refit_published(void **state)
{
	/* period 3 (2019Q4) has 3 cases: withheld */
	static const double y[8] = { 20, 25, 22, 3, 35, 33, 41, 45 };
	/* glm(y ~ x, family = poisson, control = glm.control(epsilon =
	 * 1e-14, maxit = 100)) with x = c(0,1,2,4,5,6,7), y = c(20,25,22,
	 * 35,33,41,45) (R 4.2): slope 0.114010349314708, se
	 * 0.0286536596628263, p 6.9231774154306e-05, Pearson chi^2/5 =
	 * 0.24650706898291 (< 1: Poisson); 100 (exp(4 (b + c(0,-1,1)
	 * qnorm(.975) se)) - 1) = 57.7815660657815 (26.0364334335905,
	 * 97.5224299193451); fitted: */
	static const double rfit[7] = {
		20.2265805470336, 22.6692177368829, 25.4068368900632,
		31.9138155486664, 35.7678467601158, 40.0873051329204,
		44.9283973843177 };
	cor_stats_result *r = trend_result(y, 8);
	const cor_stats_table *s, *m;
	double full = 0.0, pub_fit = 0.0, pub_y = 0.0;
	int q = 0, warned = 0;
	cor_err e;

	(void)state;
	/* before: the fit over all periods gives the withheld count away:
	 * sum(fitted) - sum(published counts) = 3 */
	for (int i = 0; i < 8; i++) {
		full += r->trend.fit[i];
		if (i != 3)
			pub_y += y[i];
	}
	assert_true(fabs(full - pub_y - 3.0) < 1e-6);
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	s = cor_stats_table_find(r, "series");
	m = cor_stats_table_find(r, "model");
	assert_int_equal(s->rows[3].cells[1].status, COR_CELL_SUPPRESSED);
	assert_int_equal(s->rows[3].cells[3].status, COR_CELL_SUPPRESSED);
	for (int i = 0; i < 8; i++) {
		if (i == 3)
			continue;
		assert_int_equal(s->rows[i].cells[3].status, COR_CELL_OK);
		close_rel(s->rows[i].cells[3].v, rfit[q], 1e-6);
		assert_true(s->rows[i].cells[3].lo < s->rows[i].cells[3].v &&
		            s->rows[i].cells[3].v < s->rows[i].cells[3].hi);
		pub_fit += s->rows[i].cells[3].v;
		q++;
	}
	/* after: what is printed no longer gives 3 (the refit preserves the
	 * published sum only) */
	assert_true(fabs(pub_fit - pub_y) < 1e-6);
	assert_true(fabs(pub_fit - (pub_y + 3.0)) > 0.5);
	/* the model row from the published periods (R, tolerance 1e-8) */
	assert_int_equal(r->trend.n, 7);
	close_rel(r->trend.slope, 0.114010349314708, 1e-8);
	close_rel(r->trend.slope_se, 0.0286536596628263, 1e-8);
	close_rel(m->rows[0].cells[1].v, 7.0, 0);
	close_rel(m->rows[0].cells[2].v, 57.7815660657815, 1e-8);
	close_rel(m->rows[0].cells[2].lo, 26.0364334335905, 1e-8);
	close_rel(m->rows[0].cells[2].hi, 97.5224299193451, 1e-8);
	close_rel(m->rows[0].cells[3].v, 6.9231774154306e-05, 1e-6);
	close_rel(m->rows[0].cells[4].v, 0.24650706898291, 1e-8);
	assert_string_equal(m->rows[0].cells[0].code, "poisson");
	for (int i = 0; i < r->nwarn; i++)
		warned |= strcmp(r->warnings[i], "trend fitted on published "
		                 "periods only (1 withheld)") == 0;
	assert_true(warned);
	cor_stats_result_free(r);
}

/* Nothing withheld: the trend is left as fitted. */
static void test_trend_no_refit(void **state)
{
	static const double y[8] = { 20, 25, 22, 30, 35, 33, 41, 45 };
	cor_stats_result *r = trend_result(y, 8);
	cor_err e;

	(void)state;
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	assert_int_equal(r->trend.n, 8);
	close_rel(r->trend.slope, 0.11269546807347, 1e-8);
	assert_int_equal(r->nwarn, 0);
	cor_stats_result_free(r);
}

/* ---- labels (audit finding C) ---- */

static void test_suppression_labels(void **state)
{
	cor_stats_ref bz, ax;
	cor_stats_result *r = od_chain(&bz, &ax);
	const cor_stats_table *t;
	char buf[64], *out = NULL;
	size_t len = 0;
	FILE *fp;
	int comp = -1;
	json_t *o, *rows;
	json_error_t je;
	cor_err e;

	(void)state;
	assert_int_equal(cor_stats_suppress(r, 5, &e), 0);
	t = &r->tables[0];
	for (int i = 0; i < t->nrow && comp < 0; i++)
		if (t->rows[i].cells[2].status == COR_CELL_SUPPRESSED &&
		    !t->rows[i].cells[2].primary)
			comp = i;
	assert_true(comp >= 0);
	/* B->Z = 1 is primary: "<5"; a cell withheld to protect it: "x" */
	assert_string_equal(cor_stats_cell_format(r, t, bz.row, 2, buf,
	                                          sizeof(buf)), "<5");
	assert_string_equal(cor_stats_cell_format(r, t, comp, 2, buf,
	                                          sizeof(buf)), "x");
	assert_true(t->rows[comp].cells[2].n >= 5);
	/* text: the footnote */
	fp = open_memstream(&out, &len);
	assert_int_equal(cor_stats_write_text(fp, r, &e), 0);
	fclose(fp);
	assert_non_null(strstr(out, "\nx = withheld to protect another "
	                            "cell\n"));
	free(out);
	out = NULL;
	/* JSON: null + suppressed + suppression kind */
	fp = open_memstream(&out, &len);
	assert_int_equal(cor_stats_write_json(fp, r, &e), 0);
	fclose(fp);
	o = json_loads(out, 0, &je);
	assert_non_null(o);
	rows = json_object_get(o, "rows");
	assert_true(json_is_null(json_object_get(json_array_get(rows,
	            (size_t)bz.row), "n")));
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(rows, (size_t)bz.row), "suppression")),
		"primary");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(rows, (size_t)comp), "suppression")),
		"complementary");
	assert_true(json_is_null(json_object_get(json_array_get(rows,
	            (size_t)(t->nrow - 1)), "suppression")) ||
	            t->rows[t->nrow - 1].cells[2].status ==
	            COR_CELL_SUPPRESSED);
	json_decref(o);
	free(out);
	out = NULL;
	/* CSV: the added column */
	fp = open_memstream(&out, &len);
	assert_int_equal(cor_stats_write_csv(fp, r, 0, &e), 0);
	fclose(fp);
	assert_non_null(strstr(out, ",n,suppressed,suppression,"));
	assert_non_null(strstr(out, ",true,complementary,"));
	assert_non_null(strstr(out, ",true,primary,"));
	free(out);
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
		cmocka_unit_test(test_suppression_linked),
		cmocka_unit_test(test_suppression_family),
		cmocka_unit_test(test_suppression_bounds),
		cmocka_unit_test(test_suppression_audit_detects),
		cmocka_unit_test(test_suppression_chain_od),
		cmocka_unit_test(test_trend_refit_published),
		cmocka_unit_test(test_trend_no_refit),
		cmocka_unit_test(test_suppression_labels),
		cmocka_unit_test(test_derived_suppression),
		cmocka_unit_test(test_writers),
		cmocka_unit_test(test_change_words),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
