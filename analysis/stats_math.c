/* analysis/stats_math.c: the pure statistics of corridor/stats.h (no
 * database): Wilson interval, exact rate ratio, Poisson/quasi-Poisson
 * trend by IRLS, OLS with a rank check, PELT change points, medians with
 * a bootstrap interval, great-circle distances. Sources of the formulas
 * are in the header. Expects gsl_set_error_handler_off() in main. */
#include "corridor/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double zq(double conf)
{
	return gsl_cdf_ugaussian_Qinv((1.0 - conf) / 2.0);
}

int cor_stats_wilson(long long x, long long n, double conf, double *p,
                     double *lo, double *hi, cor_err *err)
{
	double z, z2, nn, xx, centre, hw, l, h;

	if (x < 0 || x > n || !(conf > 0.0 && conf < 1.0))
		return cor_err_set(err, COR_EINVAL,
		                   "Wilson interval: need 0 <= x <= n and "
		                   "0 < conf < 1 (x=%lld, n=%lld)", x, n);
	if (n == 0)
		return cor_err_set(err, COR_EDEGENERATE, "zero denominator");
	z = zq(conf);
	z2 = z * z;
	nn = (double)n;
	xx = (double)x;
	centre = (xx + z2 / 2.0) / (nn + z2);
	hw = z * sqrt(xx * (nn - xx) / nn + z2 / 4.0) / (nn + z2);
	l = x == 0 ? 0.0 : centre - hw;
	h = x == n ? 1.0 : centre + hw;
	if (!isfinite(l) || !isfinite(h))
		return cor_err_set(err, COR_EGSL,
		                   "Wilson interval not finite (x=%lld, n=%lld)",
		                   x, n);
	*p = xx / nn;
	*lo = l < 0.0 ? 0.0 : l;
	*hi = h > 1.0 ? 1.0 : h;
	return 0;
}

/* Number of i in [from, to] with binomial pdf(i) <= d, where the pdf is
 * non-increasing on [from, to] when dec = 1 and non-decreasing when
 * dec = 0 (binary search over a monotone run). */
static long long count_le(long long from, long long to, double d, double pi,
                          unsigned nn, int dec)
{
	long long lo = from, hi = to, first;

	if (from > to)
		return 0;
	if (dec) {
		/* first index with pdf <= d; all after it qualify */
		first = to + 1;
		while (lo <= hi) {
			long long mid = lo + (hi - lo) / 2;
			if (gsl_ran_binomial_pdf((unsigned)mid, pi, nn) <= d) {
				first = mid;
				hi = mid - 1;
			} else {
				lo = mid + 1;
			}
		}
		return to - first + 1;
	}
	/* last index with pdf <= d; all before it qualify */
	first = from - 1;
	while (lo <= hi) {
		long long mid = lo + (hi - lo) / 2;
		if (gsl_ran_binomial_pdf((unsigned)mid, pi, nn) <= d) {
			first = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return first - from + 1;
}

/* Two-sided binomial test p-value as R's binom.test: the probability of
 * outcomes no more likely than x (relative tolerance 1e-7). The pdf is
 * unimodal with mode floor((n+1)pi); each side is searched by bisection. */
static double binom_p(long long x, long long n, double pi)
{
	double m = (double)n * pi, d, pval;
	unsigned nn = (unsigned)n;
	long long mode = (long long)floor((double)(n + 1) * pi), y;

	if (mode > n)
		mode = n;
	d = gsl_ran_binomial_pdf((unsigned)x, pi, nn) * (1.0 + 1e-7);
	if ((double)x == m)
		return 1.0;
	if ((double)x < m) {
		long long c = (long long)ceil(m);
		/* i in [c, n]: increasing up to mode, decreasing after */
		y = 0;
		if (c <= mode) {
			y += count_le(c, mode - 1, d, pi, nn, 0);
			y += count_le(mode, n, d, pi, nn, 1);
		} else {
			y += count_le(c, n, d, pi, nn, 1);
		}
		pval = gsl_cdf_binomial_P((unsigned)x, pi, nn);
		if (n - y >= 0 && y > 0)
			pval += gsl_cdf_binomial_Q((unsigned)(n - y), pi, nn);
	} else {
		long long f = (long long)floor(m);
		/* i in [0, f]: increasing up to mode, decreasing after */
		y = 0;
		if (mode <= f) {
			y += count_le(0, mode, d, pi, nn, 0);
			y += count_le(mode + 1, f, d, pi, nn, 1);
		} else {
			y += count_le(0, f, d, pi, nn, 0);
		}
		pval = 0.0;
		if (y > 0)
			pval += gsl_cdf_binomial_P((unsigned)(y - 1), pi, nn);
		pval += x > 0 ? gsl_cdf_binomial_Q((unsigned)(x - 1), pi, nn)
		              : 1.0;
	}
	return pval > 1.0 ? 1.0 : pval;
}

int cor_stats_rate_ratio(long long a, double ta, long long b, double tb,
                         double conf, double *rr, double *lo, double *hi,
                         double *p, cor_err *err)
{
	double alpha, pi0, plo, phi, r, l, h, pv, scale;
	long long n;

	if (a < 0 || b < 0 || !(ta > 0.0) || !(tb > 0.0) || !isfinite(ta) ||
	    !isfinite(tb) || !(conf > 0.0 && conf < 1.0))
		return cor_err_set(err, COR_EINVAL,
		                   "rate ratio: need counts >= 0, exposures > 0 "
		                   "(a=%lld, b=%lld)", a, b);
	n = a + b;
	if (n == 0)
		return cor_err_set(err, COR_EDEGENERATE,
		                   "no events in either period");
	if (b == 0)
		return cor_err_set(err, COR_EDEGENERATE,
		                   "reference count is zero");
	if (n > 4000000000LL)
		return cor_err_set(err, COR_EINVAL,
		                   "rate ratio: counts too large (%lld)", n);
	alpha = 1.0 - conf;
	scale = tb / ta;
	plo = a == 0 ? 0.0
	             : gsl_cdf_beta_Pinv(alpha / 2.0, (double)a,
	                                 (double)(b + 1));
	phi = gsl_cdf_beta_Qinv(alpha / 2.0, (double)(a + 1), (double)b);
	pi0 = ta / (ta + tb);
	pv = binom_p(a, n, pi0);
	r = ((double)a / ta) / ((double)b / tb);
	l = plo / (1.0 - plo) * scale;
	h = phi / (1.0 - phi) * scale;
	if (!isfinite(r) || !isfinite(l) || !isfinite(h) || !isfinite(pv) ||
	    phi >= 1.0)
		return cor_err_set(err, COR_EGSL,
		                   "rate ratio: non-finite result (a=%lld, "
		                   "b=%lld)", a, b);
	*rr = r;
	*lo = l < 0.0 ? 0.0 : l;
	*hi = h;
	*p = pv < 0.0 ? 0.0 : pv;
	return 0;
}

void cor_stats_trend_free(cor_stats_trend *t)
{
	if (t == NULL)
		return;
	free(t->fit);
	free(t->fit_lo);
	free(t->fit_hi);
	t->fit = t->fit_lo = t->fit_hi = NULL;
}

static int degenerate(cor_stats_trend *out, cor_err *err, const char *why)
{
	out->estimable = 0;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
	return cor_err_set(err, COR_EDEGENERATE, "trend not estimable: %s",
	                   why);
}

static double poisson_dev(const double *y, const double *mu, size_t n)
{
	double dev = 0.0;

	for (size_t i = 0; i < n; i++) {
		double t = y[i] > 0.0 ? y[i] * log(y[i] / mu[i]) : 0.0;
		dev += 2.0 * (t - (y[i] - mu[i]));
	}
	return dev;
}

int cor_stats_poisson_trend(const double *x, const double *y, size_t n,
                            double periods_per_year, cor_stats_trend *out,
                            cor_err *err)
{
	int rc = COR_EFAIL, st = 0, it;
	gsl_matrix *X = NULL, *cov = NULL;
	gsl_vector *w = NULL, *z = NULL, *c = NULL;
	gsl_multifit_linear_workspace *ws = NULL;
	double *mu = NULL, *eta = NULL, *fit = NULL, *flo = NULL, *fhi = NULL;
	double dev = 0.0, devold, chisq, chi2, phi, se, q, b1, pct_l, pct_h;
	double ysum = 0.0, tstat, pval;
	int converged = 0, distinct = 0;

	memset(out, 0, sizeof(*out));
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]) || y[i] < 0.0)
			return cor_err_set(err, COR_EINVAL,
			                   "trend: period %zu has a negative or "
			                   "non-finite value", i + 1);
		ysum += y[i];
		if (x[i] != x[0])
			distinct = 1;
	}
	if (!(periods_per_year > 0.0) || !isfinite(periods_per_year))
		return cor_err_set(err, COR_EINVAL,
		                   "trend: periods per year must be > 0");
	/* Checked before any fit: a zero x-variance divides by zero (C23). */
	if (n >= 1 && !distinct)
		return degenerate(out, err, "one period of data");
	if (n < 3)
		return degenerate(out, err, "fewer than 3 periods");
	if (ysum <= 0.0)
		return degenerate(out, err, "all counts are zero");

	X = gsl_matrix_alloc(n, 2);
	cov = gsl_matrix_alloc(2, 2);
	w = gsl_vector_alloc(n);
	z = gsl_vector_alloc(n);
	c = gsl_vector_alloc(2);
	ws = gsl_multifit_linear_alloc(n, 2);
	mu = malloc(n * sizeof(*mu));
	eta = malloc(n * sizeof(*eta));
	fit = malloc(n * sizeof(*fit));
	flo = malloc(n * sizeof(*flo));
	fhi = malloc(n * sizeof(*fhi));
	if (X == NULL || cov == NULL || w == NULL || z == NULL || c == NULL ||
	    ws == NULL || mu == NULL || eta == NULL || fit == NULL ||
	    flo == NULL || fhi == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "trend: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		gsl_matrix_set(X, i, 0, 1.0);
		gsl_matrix_set(X, i, 1, x[i]);
		mu[i] = y[i] + 0.1;      /* R's poisson()$initialize */
		eta[i] = log(mu[i]);
	}
	devold = poisson_dev(y, mu, n);
	/* IRLS; the final pass (converged) refits with the weights of the
	 * converged mu so that cov = (X'WX)^-1 at the estimate. */
	for (it = 1; it <= 60; it++) {
		for (size_t i = 0; i < n; i++) {
			gsl_vector_set(w, i, mu[i]);
			gsl_vector_set(z, i, eta[i] + (y[i] - mu[i]) / mu[i]);
		}
		st = gsl_multifit_wlinear(X, w, z, c, cov, &chisq, ws);
		if (st != GSL_SUCCESS) {
			rc = cor_err_set(err, COR_EGSL,
			                 "trend: gsl_multifit_wlinear: %s",
			                 gsl_strerror(st));
			goto out;
		}
		if (converged)
			break;
		for (size_t i = 0; i < n; i++) {
			eta[i] = gsl_vector_get(c, 0) +
			         gsl_vector_get(c, 1) * x[i];
			mu[i] = exp(eta[i]);
			if (!isfinite(mu[i]) || mu[i] <= 0.0 ||
			    mu[i] < 1e-300) {
				rc = degenerate(out, err,
				                "fit did not converge (counts "
				                "concentrated at one end)");
				goto out;
			}
		}
		dev = poisson_dev(y, mu, n);
		if (!isfinite(dev)) {
			rc = degenerate(out, err, "non-finite deviance");
			goto out;
		}
		if (fabs(dev - devold) / (fabs(dev) + 0.1) < 1e-10)
			converged = 1;
		devold = dev;
	}
	if (!converged) {
		rc = degenerate(out, err,
		                "fit did not converge (counts concentrated at "
		                "one end)");
		goto out;
	}
	chi2 = 0.0;
	for (size_t i = 0; i < n; i++)
		chi2 += (y[i] - mu[i]) * (y[i] - mu[i]) / mu[i];
	phi = n > 2 ? chi2 / (double)(n - 2) : 0.0;
	out->dispersion = phi;
	out->quasi = phi > 1.0;
	b1 = gsl_vector_get(c, 1);
	se = sqrt(gsl_matrix_get(cov, 1, 1));
	if (out->quasi) {
		se *= sqrt(phi);
		q = gsl_cdf_tdist_Qinv(0.025, (double)(n - 2));
		tstat = b1 / se;
		pval = 2.0 * gsl_cdf_tdist_Q(fabs(tstat), (double)(n - 2));
	} else {
		q = gsl_cdf_ugaussian_Qinv(0.025);
		tstat = b1 / se;
		pval = 2.0 * gsl_cdf_ugaussian_Q(fabs(tstat));
	}
	pct_l = 100.0 * expm1((b1 - q * se) * periods_per_year);
	pct_h = 100.0 * expm1((b1 + q * se) * periods_per_year);
	out->pct_per_year = 100.0 * expm1(b1 * periods_per_year);
	for (size_t i = 0; i < n; i++) {
		double v00 = gsl_matrix_get(cov, 0, 0);
		double v01 = gsl_matrix_get(cov, 0, 1);
		double v11 = gsl_matrix_get(cov, 1, 1);
		double var = v00 + 2.0 * x[i] * v01 + x[i] * x[i] * v11;
		double s = sqrt((out->quasi ? phi : 1.0) * var);

		fit[i] = mu[i];
		flo[i] = exp(eta[i] - q * s);
		fhi[i] = exp(eta[i] + q * s);
		if (!isfinite(fit[i]) || !isfinite(flo[i]) ||
		    !isfinite(fhi[i]) || !(var >= 0.0)) {
			rc = degenerate(out, err, "non-finite fitted values");
			goto out;
		}
	}
	if (!isfinite(b1) || !isfinite(se) || !isfinite(pval) ||
	    !isfinite(out->pct_per_year) || !isfinite(pct_l) ||
	    !isfinite(pct_h) || !isfinite(phi)) {
		rc = degenerate(out, err, "non-finite estimate");
		goto out;
	}
	out->estimable = 1;
	out->intercept = gsl_vector_get(c, 0);
	out->slope = b1;
	out->slope_se = se;
	out->pct_lo = pct_l;
	out->pct_hi = pct_h;
	out->p_value = pval;
	out->iterations = it;
	out->fit = fit;
	out->fit_lo = flo;
	out->fit_hi = fhi;
	fit = flo = fhi = NULL;
	rc = 0;
out:
	gsl_matrix_free(X);
	gsl_matrix_free(cov);
	gsl_vector_free(w);
	gsl_vector_free(z);
	gsl_vector_free(c);
	if (ws != NULL)
		gsl_multifit_linear_free(ws);
	free(mu);
	free(eta);
	free(fit);
	free(flo);
	free(fhi);
	return rc;
}

int cor_stats_ols(const double *Xd, const double *y, size_t n, size_t p,
                  double *b, double *se, size_t *rank, cor_err *err)
{
	int rc = COR_EFAIL, st;
	gsl_matrix *A = NULL, *V = NULL, *X = NULL, *cov = NULL;
	gsl_vector *S = NULL, *work = NULL, *yv = NULL, *c = NULL;
	gsl_multifit_linear_workspace *ws = NULL;
	double chisq, tol;
	size_t r = 0;

	if (n <= p || p == 0)
		return cor_err_set(err, COR_EDEGENERATE,
		                   "not estimable: %zu observations for %zu "
		                   "coefficients", n, p);
	A = gsl_matrix_alloc(n, p);
	X = gsl_matrix_alloc(n, p);
	V = gsl_matrix_alloc(p, p);
	cov = gsl_matrix_alloc(p, p);
	S = gsl_vector_alloc(p);
	work = gsl_vector_alloc(p);
	yv = gsl_vector_alloc(n);
	c = gsl_vector_alloc(p);
	ws = gsl_multifit_linear_alloc(n, p);
	if (A == NULL || X == NULL || V == NULL || cov == NULL || S == NULL ||
	    work == NULL || yv == NULL || c == NULL || ws == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "ols: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(y[i])) {
			rc = cor_err_set(err, COR_EINVAL,
			                 "ols: non-finite response at row %zu",
			                 i + 1);
			goto out;
		}
		gsl_vector_set(yv, i, y[i]);
		for (size_t j = 0; j < p; j++) {
			if (!isfinite(Xd[i * p + j])) {
				rc = cor_err_set(err, COR_EINVAL,
				                 "ols: non-finite predictor at "
				                 "row %zu", i + 1);
				goto out;
			}
			gsl_matrix_set(A, i, j, Xd[i * p + j]);
			gsl_matrix_set(X, i, j, Xd[i * p + j]);
		}
	}
	st = gsl_linalg_SV_decomp(A, V, S, work);
	if (st != GSL_SUCCESS) {
		rc = cor_err_set(err, COR_EGSL, "ols: gsl_linalg_SV_decomp: %s",
		                 gsl_strerror(st));
		goto out;
	}
	tol = 1e-10 * gsl_vector_get(S, 0);
	for (size_t j = 0; j < p; j++)
		if (gsl_vector_get(S, j) > tol)
			r++;
	if (rank != NULL)
		*rank = r;
	if (r < p) {
		rc = cor_err_set(err, COR_EDEGENERATE,
		                 "not estimable: collinear predictors (rank "
		                 "%zu of %zu)", r, p);
		goto out;
	}
	st = gsl_multifit_linear(X, yv, c, cov, &chisq, ws);
	if (st != GSL_SUCCESS) {
		rc = cor_err_set(err, COR_EGSL, "ols: gsl_multifit_linear: %s",
		                 gsl_strerror(st));
		goto out;
	}
	for (size_t j = 0; j < p; j++) {
		double bj = gsl_vector_get(c, j);
		double sj = sqrt(gsl_matrix_get(cov, j, j));

		if (!isfinite(bj) || !isfinite(sj)) {
			rc = cor_err_set(err, COR_EDEGENERATE,
			                 "not estimable: non-finite "
			                 "coefficient %zu", j);
			goto out;
		}
	}
	for (size_t j = 0; j < p; j++) {
		b[j] = gsl_vector_get(c, j);
		se[j] = sqrt(gsl_matrix_get(cov, j, j));
	}
	rc = 0;
out:
	gsl_matrix_free(A);
	gsl_matrix_free(X);
	gsl_matrix_free(V);
	gsl_matrix_free(cov);
	gsl_vector_free(S);
	gsl_vector_free(work);
	gsl_vector_free(yv);
	gsl_vector_free(c);
	if (ws != NULL)
		gsl_multifit_linear_free(ws);
	return rc;
}

/* -2 log-likelihood (up to a constant) of periods s..t-1 at their MLE. */
static double pois_cost(const double *cum, size_t s, size_t t)
{
	double S = cum[t] - cum[s], m = (double)(t - s);

	if (S <= 0.0)
		return 0.0;
	return -2.0 * (S * log(S / m) - S);
}

int cor_stats_changepoints(const double *y, size_t n, double pen,
                           size_t *cp, size_t *ncp, cor_err *err)
{
	const size_t minseg = 2;
	double *cum = NULL, *F = NULL;
	size_t *last = NULL, *R = NULL, nr, k;
	int rc = COR_ENOMEM;

	*ncp = 0;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(y[i]) || y[i] < 0.0)
			return cor_err_set(err, COR_EINVAL,
			                   "change points: bad count at period "
			                   "%zu", i + 1);
	if (n < 2 * minseg)
		return 0;
	if (pen <= 0.0)
		pen = 2.0 * log((double)n);
	cum = calloc(n + 1, sizeof(*cum));
	F = calloc(n + 1, sizeof(*F));
	last = calloc(n + 1, sizeof(*last));
	R = calloc(n + 1, sizeof(*R));
	if (cum == NULL || F == NULL || last == NULL || R == NULL) {
		cor_err_set(err, COR_ENOMEM, "change points: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		cum[i + 1] = cum[i] + y[i];
	/* PELT: F(t) = min over s in R of F(s) + C(s..t) + pen, F(0) = -pen;
	 * s is a candidate last change; prune s with F(s) + C(s..t) > F(t)
	 * (valid with K = 0 for a -2 log-likelihood cost). */
	F[0] = -pen;
	nr = 0;
	R[nr++] = 0;
	for (size_t t = minseg; t <= n; t++) {
		double best = INFINITY;
		size_t arg = 0, keep = 0;

		for (k = 0; k < nr; k++) {
			size_t s = R[k];
			double v;

			if (t - s < minseg || (s > 0 && s < minseg))
				continue;
			v = F[s] + pois_cost(cum, s, t) + pen;
			if (v < best) {
				best = v;
				arg = s;
			}
		}
		F[t] = best;
		last[t] = arg;
		for (k = 0; k < nr; k++) {
			size_t s = R[k];
			if (t - s < minseg ||
			    F[s] + pois_cost(cum, s, t) <= F[t])
				R[keep++] = s;
		}
		nr = keep;
		if (t + 1 >= 2 * minseg && t + 1 - minseg >= minseg &&
		    t + 1 - minseg <= n)
			R[nr++] = t + 1 - minseg;
	}
	/* back-track from n */
	k = 0;
	for (size_t t = n; t > 0 && last[t] > 0; t = last[t])
		cp[k++] = last[t];
	for (size_t i = 0; i < k / 2; i++) {
		size_t tmp = cp[i];
		cp[i] = cp[k - 1 - i];
		cp[k - 1 - i] = tmp;
	}
	*ncp = k;
	rc = 0;
out:
	free(cum);
	free(F);
	free(last);
	free(R);
	return rc;
}

/* Smallest index i with cw[i] > pos (cw non-decreasing, cw[k-1] > pos):
 * the value at 0-based position pos of the expanded sorted data. */
static size_t pos_index(const long long *cw, size_t k, long long pos)
{
	size_t l = 0, r = k - 1;

	while (l < r) {
		size_t m = l + (r - l) / 2;
		if (cw[m] > pos)
			r = m;
		else
			l = m + 1;
	}
	return l;
}

/* Type-7 quantile of grouped data (values v ascending, cumulative counts
 * cw[i] = w[0] + ... + w[i], non-decreasing, total N): the same
 * interpolation as gsl_stats_quantile_from_sorted_data on the expanded
 * data (index h = (N-1) f, linear between positions floor(h), +1). */
static double grouped_q(const double *v, const long long *cw, size_t k,
                        long long N, double f)
{
	double h = (double)(N - 1) * f;
	long long lo = (long long)floor(h);
	double delta = h - (double)lo;
	double a = v[pos_index(cw, k, lo)];

	if (lo + 1 >= N || delta == 0.0)
		return a;
	return (1.0 - delta) * a + delta * v[pos_index(cw, k, lo + 1)];
}

/* Value at 0-based position pos of a bootstrap resample of size N drawn
 * from the distinct values v[l..r] with weights given by the cumulative
 * counts cw (cw[-1] = 0). The resample's frequencies are multinomial;
 * they are drawn by recursive binomial splitting (the count falling in
 * the left half is binomial, the halves are then independent given it),
 * which yields exactly the multinomial law while only visiting the
 * O(log k) halves that hold the position. */
static double boot_pos(gsl_rng *rng, const double *v, const long long *cw,
                       size_t l, size_t r, unsigned N, unsigned pos)
{
	while (l < r) {
		size_t m = l + (r - l) / 2;
		double base = l > 0 ? (double)cw[l - 1] : 0.0;
		double pl = ((double)cw[m] - base) / ((double)cw[r] - base);
		unsigned nl = gsl_ran_binomial(rng, pl, N);

		if (pos < nl) {
			r = m;
			N = nl;
		} else {
			l = m + 1;
			pos -= nl;
			N -= nl;
		}
	}
	return v[l];
}

/* Type-7 median of one bootstrap resample; positions h and h+1 are drawn
 * jointly: split until they separate, then each half independently. */
static double boot_median(gsl_rng *rng, const double *v, const long long *cw,
                          size_t k, unsigned N)
{
	double h = (double)(N - 1) * 0.5;
	unsigned lo = (unsigned)floor(h), pos = lo;
	size_t l = 0, r = k - 1;

	if (h == (double)lo)
		return boot_pos(rng, v, cw, 0, k - 1, N, lo);
	/* even N: mean of positions lo and lo + 1 */
	while (l < r) {
		size_t m = l + (r - l) / 2;
		double base = l > 0 ? (double)cw[l - 1] : 0.0;
		double pl = ((double)cw[m] - base) / ((double)cw[r] - base);
		unsigned nl = gsl_ran_binomial(rng, pl, N);

		if (pos + 1 < nl) {
			r = m;
			N = nl;
		} else if (pos >= nl) {
			l = m + 1;
			pos -= nl;
			N -= nl;
		} else {
			/* pos is the last of the left half, pos+1 the first
			 * of the right half */
			double a = boot_pos(rng, v, cw, l, m, nl, pos);
			double b = boot_pos(rng, v, cw, m + 1, r, N - nl, 0);
			return 0.5 * (a + b);
		}
	}
	return v[l];
}

int cor_stats_median_iqr_grouped(const double *v, const long long *w,
                                 size_t k, unsigned long seed, int B,
                                 cor_stats_dist *out, cor_err *err)
{
	int rc = COR_ENOMEM;
	long long *cw = NULL, N = 0;
	double *meds = NULL;
	gsl_rng *rng = NULL;
	cor_stats_dist d;

	for (size_t i = 0; i < k; i++) {
		if (!isfinite(v[i]) || w[i] <= 0 || (i > 0 && v[i] <= v[i - 1]))
			return cor_err_set(err, COR_EINVAL,
			                   "median: grouped values must be finite, "
			                   "ascending and distinct with positive "
			                   "counts (item %zu)", i + 1);
		N += w[i];
	}
	if (N == 0)
		return cor_err_set(err, COR_EDEGENERATE, "no observations");
	if (B < 1 || N > 4000000000LL)
		return cor_err_set(err, COR_EINVAL,
		                   "median: bad resample count or n");
	cw = malloc(k * sizeof(*cw));
	meds = malloc((size_t)B * sizeof(*meds));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (cw == NULL || meds == NULL || rng == NULL) {
		cor_err_set(err, COR_ENOMEM, "median: out of memory");
		goto out;
	}
	gsl_rng_set(rng, seed);
	for (size_t i = 0; i < k; i++)
		cw[i] = w[i] + (i > 0 ? cw[i - 1] : 0);
	d.n = N;
	d.median = grouped_q(v, cw, k, N, 0.5);
	d.q1 = grouped_q(v, cw, k, N, 0.25);
	d.q3 = grouped_q(v, cw, k, N, 0.75);
	/* Percentile bootstrap (Efron & Tibshirani 1993, ch. 13). */
	for (int b = 0; b < B; b++)
		meds[b] = boot_median(rng, v, cw, k, (unsigned)N);
	gsl_sort(meds, 1, (size_t)B);
	d.lo = gsl_stats_quantile_from_sorted_data(meds, 1, (size_t)B, 0.025);
	d.hi = gsl_stats_quantile_from_sorted_data(meds, 1, (size_t)B, 0.975);
	if (!isfinite(d.median) || !isfinite(d.q1) || !isfinite(d.q3) ||
	    !isfinite(d.lo) || !isfinite(d.hi)) {
		rc = cor_err_set(err, COR_EGSL, "median: non-finite result");
		goto out;
	}
	*out = d;
	rc = 0;
out:
	free(cw);
	free(meds);
	gsl_rng_free(rng);
	return rc;
}

int cor_stats_median_iqr(const double *x, size_t n, unsigned long seed,
                         int B, cor_stats_dist *out, cor_err *err)
{
	int rc = COR_ENOMEM;
	double *s = NULL, *v = NULL;
	long long *w = NULL;
	size_t k = 0;
	cor_stats_dist d;

	if (n == 0)
		return cor_err_set(err, COR_EDEGENERATE, "no observations");
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return cor_err_set(err, COR_EINVAL,
			                   "median: non-finite value at %zu",
			                   i + 1);
	s = malloc(n * sizeof(*s));
	v = malloc(n * sizeof(*v));
	w = malloc(n * sizeof(*w));
	if (s == NULL || v == NULL || w == NULL) {
		cor_err_set(err, COR_ENOMEM, "median: out of memory");
		goto out;
	}
	memcpy(s, x, n * sizeof(*s));
	gsl_sort(s, 1, n);
	/* collapse to distinct values for the multinomial bootstrap */
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && v[k - 1] == s[i]) {
			w[k - 1]++;
		} else {
			v[k] = s[i];
			w[k++] = 1;
		}
	}
	rc = cor_stats_median_iqr_grouped(v, w, k, seed, B, &d, err);
	if (rc != 0)
		goto out;
	/* point estimates straight from GSL on the sorted data */
	d.median = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.5);
	d.q1 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.25);
	d.q3 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.75);
	if (!isfinite(d.median) || !isfinite(d.q1) || !isfinite(d.q3)) {
		rc = cor_err_set(err, COR_EGSL, "median: non-finite result");
		goto out;
	}
	*out = d;
	rc = 0;
out:
	free(s);
	free(v);
	free(w);
	return rc;
}

#define EARTH_KM 6371.0088

static void unit(double lat, double lon, double u[3])
{
	double la = lat * M_PI / 180.0, lo = lon * M_PI / 180.0;

	u[0] = cos(la) * cos(lo);
	u[1] = cos(la) * sin(lo);
	u[2] = sin(la);
}

static void cross(const double a[3], const double b[3], double c[3])
{
	c[0] = a[1] * b[2] - a[2] * b[1];
	c[1] = a[2] * b[0] - a[0] * b[2];
	c[2] = a[0] * b[1] - a[1] * b[0];
}

static double dot(const double a[3], const double b[3])
{
	return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

double cor_stats_gc_km(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * M_PI / 180.0, p2 = lat2 * M_PI / 180.0;
	double dp = p2 - p1, dl = (lon2 - lon1) * M_PI / 180.0;
	double a = sin(dp / 2) * sin(dp / 2) +
	           cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);

	if (a > 1.0)
		a = 1.0;
	return 2.0 * EARTH_KM * asin(sqrt(a));
}

double cor_stats_seg_km(double plat, double plon, double alat, double alon,
                        double blat, double blon)
{
	double P[3], A[3], Bv[3], N[3], F[3], t1[3], t2[3], nn, s;
	double da = cor_stats_gc_km(plat, plon, alat, alon);
	double db = cor_stats_gc_km(plat, plon, blat, blon);
	double dend = da < db ? da : db;

	unit(plat, plon, P);
	unit(alat, alon, A);
	unit(blat, blon, Bv);
	cross(A, Bv, N);
	nn = sqrt(dot(N, N));
	if (nn < 1e-12)
		return dend;          /* A == B (or antipodal): a point */
	for (int i = 0; i < 3; i++)
		N[i] /= nn;
	s = dot(P, N);            /* sin of the cross-track angle */
	for (int i = 0; i < 3; i++)
		F[i] = P[i] - s * N[i]; /* foot on the great circle */
	cross(A, F, t1);
	cross(F, Bv, t2);
	if (dot(t1, N) >= 0.0 && dot(t2, N) >= 0.0) {
		double ct;

		if (s > 1.0)
			s = 1.0;
		if (s < -1.0)
			s = -1.0;
		ct = fabs(asin(s)) * EARTH_KM;
		return ct < dend ? ct : dend;
	}
	return dend;
}
