/*
 * ood.c - the OOD statistics (ood.h).  The covariance is computed in double
 * (cblas_dsyrk), shrunk, factored with LAPACK's dpotrf and inverted with
 * dtrtri; OpenBLAS ships LAPACK, so the two Fortran symbols are declared
 * here rather than pulling in LAPACKE.  Memory: a few [D,D] doubles.
 *
 * Not here: per-class covariances (too few images per class to estimate).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "ood.h"

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dtrtri_(const char *uplo, const char *diag, const int *n, double *a, const int *lda,
             int *info);

/* Ledoit-Wolf shrinkage of the covariance of the centred rows xc [n,p]
 * (Ledoit & Wolf 2004, as scikit-learn computes it); s is xc' xc / n with
 * its upper triangle (column-major) filled. */
static double
ledoit_wolf(size_t n, size_t p, const double *xc, const double *s)
{
	double tr = 0, fro = 0, b4 = 0, mu, beta, delta;

	for (size_t j = 0; j < p; j++) {
		tr += s[j + j * p];
		for (size_t i = 0; i <= j; i++)
			fro += (i == j ? 1 : 2) * s[i + j * p] * s[i + j * p];
	}
	for (size_t k = 0; k < n; k++) {
		double r = 0;
		for (size_t j = 0; j < p; j++)
			r += xc[k * p + j] * xc[k * p + j];
		b4 += r * r;
	}
	mu = tr / (double)p;
	beta = (b4 / (double)n - fro) / ((double)p * (double)n);
	delta = (fro - 2 * mu * tr + (double)p * mu * mu) / (double)p;
	beta = fmin(beta, delta);
	return delta > 0 ? fmax(beta, 0) / delta : 0;
}

int
tl_ood_fit(struct tl_tlm *m, size_t n, const float *x, const int *y, double shrinkage,
           struct tl_err *err)
{
	size_t p = (size_t)m->ood_dim, k = (size_t)m->nclass;
	double *mu, *xc, *s, *a, *cnt, tr = 0, sh;
	int pi = (int)p, info = 0;

	if (n == 0)
		return tl_err_set(err, "no training data for the OOD statistics");
	if (tl_tlm_alloc_ood(m, err) < 0)
		return -1;
	mu = calloc(k * p + k, sizeof *mu);
	xc = malloc(n * p * sizeof *xc);
	s = calloc(p * p, sizeof *s);
	a = malloc(p * p * sizeof *a);
	if (mu == NULL || xc == NULL || s == NULL || a == NULL) {
		free(mu), free(xc), free(s), free(a);
		return tl_err_set(err, "out of memory");
	}
	cnt = mu + k * p;
	/* class means [K,D]; a class without samples gets the mean of all */
	for (size_t i = 0; i < n; i++) {
		cnt[y[i]]++;
		for (size_t j = 0; j < p; j++)
			mu[(size_t)y[i] * p + j] += x[i * p + j];
	}
	for (size_t c = 0; c < k; c++)
		for (size_t j = 0; j < p; j++) {
			if (cnt[c] > 0) {
				mu[c * p + j] /= cnt[c];
				continue;
			}
			double a = 0;
			for (size_t i = 0; i < n; i++)
				a += x[i * p + j];
			mu[c * p + j] = a / (double)n;
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p; j++)
			xc[i * p + j] = x[i * p + j] - mu[(size_t)y[i] * p + j];
	/* s [p,p] column-major upper = xc' xc / n (xc row-major [n,p] is xc'
	 * column-major [p,n]) */
	cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, pi, (int)n, 1.0 / (double)n, xc, pi,
	    0, s, pi);
	sh = shrinkage >= 0 ? shrinkage : ledoit_wolf(n, p, xc, s);
	for (size_t j = 0; j < p; j++)
		tr += s[j + j * p];
	/* full symmetric S from the upper triangle */
	for (size_t j = 0; j < p; j++)
		for (size_t i = j + 1; i < p; i++)
			s[i + j * p] = s[j + i * p];
	/* (1 - sh) S + sh mu I, factored; when too few samples make it
	 * singular, more shrinkage (1 is mu I, always positive definite) */
	for (;;) {
		double mu_ = tr / (double)p > 1e-12 ? tr / (double)p : 1;
		for (size_t j = 0; j < p; j++)
			for (size_t i = 0; i < p; i++)
				a[i + j * p] = (1 - sh) * s[i + j * p] + (i == j ? sh * mu_ : 0);
		dpotrf_("L", &pi, a, &pi, &info);
		if (info == 0)
			dtrtri_("L", "N", &pi, a, &pi, &info);
		if (info == 0 || sh >= 1)
			break;
		sh = sh < 0.05 ? 0.1 : fmin(1, 2 * sh);
	}
	if (info != 0) {
		free(mu), free(xc), free(s), free(a);
		return tl_err_set(err, "the feature covariance cannot be inverted");
	}
	/* W [D,D] row-major lower: W[i][j] = L^-1 (i,j) */
	for (size_t i = 0; i < p; i++)
		for (size_t j = 0; j < p; j++)
			m->ood_w[i * p + j] = j <= i ? (float)a[i + j * p] : 0;
	/* whitened means: ood_mu[c] = W mu_c */
	for (size_t c = 0; c < k; c++)
		for (size_t i = 0; i < p; i++) {
			double v = 0;
			for (size_t j = 0; j <= i; j++)
				v += a[i + j * p] * mu[c * p + j];
			m->ood_mu[c * p + i] = (float)v;
		}
	m->ood_shrinkage = (float)sh;
	free(mu), free(xc), free(s), free(a);
	return 0;
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

double
tl_ood_threshold(size_t n, const float *score, double keep)
{
	float *v;
	size_t i;
	double t;

	if (n == 0 || (v = malloc(n * sizeof *v)) == NULL)
		return INFINITY;
	memcpy(v, score, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_float);
	i = (size_t)ceil(keep * (double)n - 1e-9);
	i = i < 1 ? 0 : i > n ? n - 1 : i - 1;
	t = v[i];
	free(v);
	return t;
}
