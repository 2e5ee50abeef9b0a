/*
 * ood.c - the OOD statistics (ood.h).  The covariance is computed in
 * double, shrunk, factored (Cholesky) and its factor inverted, each by a
 * loop of its own whose every sum runs in a fixed order: OpenBLAS's dsyrk,
 * dpotrf and dtrtri round differently with the thread count and the kernel
 * it picks for the CPU (OPENBLAS_CORETYPE), which changed the whitening
 * stored in the model, so that the same data gave other files.  D^3/3
 * multiply-adds for the factor and its inverse, n D^2/2 for the covariance:
 * a fraction of a second at D = 576.  Memory: a few [D,D] doubles.
 *
 * Not here: per-class covariances (too few images per class to estimate).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/head.h"
#include "learn/ood.h"

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HOT
#endif

#define TB 32 /* covariance tile: TB x TB doubles summed over the rows */

/* s [p,p] row-major upper triangle (j >= i) = xc' xc / n for the centred
 * rows xc [n,p]: each element sums its n products in row order, whatever
 * the tile or the clone (none has FMA to contract into). */
HOT static void
covariance(size_t n, size_t p, const double *xc, double *s)
{
	double acc[TB][TB];

	for (size_t i0 = 0; i0 < p; i0 += TB)
		for (size_t j0 = i0; j0 < p; j0 += TB) {
			size_t ni = p - i0 < TB ? p - i0 : TB, nj = p - j0 < TB ? p - j0 : TB;
			memset(acc, 0, sizeof acc);
			for (size_t k = 0; k < n; k++) {
				const double *r = xc + k * p;
				for (size_t i = 0; i < ni; i++) {
					double a = r[i0 + i];
					for (size_t j = 0; j < nj; j++)
						acc[i][j] += a * r[j0 + j];
				}
			}
			for (size_t i = 0; i < ni; i++)
				for (size_t j = 0; j < nj; j++)
					if (j0 + j >= i0 + i)
						s[(i0 + i) * p + j0 + j] = acc[i][j] / (double)n;
		}
}

/* a [p,p] row-major symmetric (lower triangle read) into its Cholesky
 * factor L, lower, in place (the upper triangle is left as it was), by
 * columns: each element's updates come in column order.  -1 when a is not
 * positive definite. */
HOT static int
cholesky(size_t p, double *a, double *col)
{
	for (size_t j = 0; j < p; j++) {
		double d = a[j * p + j];
		if (!(d > 0))
			return -1;
		d = sqrt(d);
		a[j * p + j] = d;
		for (size_t i = j + 1; i < p; i++)
			col[i] = a[i * p + j] /= d;
		/* a[i][k] -= L[i][j] L[k][j] for j < k <= i */
		for (size_t i = j + 1; i < p; i++) {
			double l = col[i];
			double *ai = a + i * p;
			for (size_t k = j + 1; k <= i; k++)
				ai[k] -= l * col[k];
		}
	}
	return 0;
}

/* L [p,p] lower (row-major) into L^-1 in w [p,p], lower, zero above:
 * row i = (e_i - sum_k<i L[i][k] row k) / L[i][i], k in order. */
HOT static void
inverse_lower(size_t p, const double *l, double *w)
{
	memset(w, 0, p * p * sizeof *w);
	for (size_t i = 0; i < p; i++) {
		double *wi = w + i * p;
		wi[i] = 1;
		for (size_t k = 0; k < i; k++) {
			double c = l[i * p + k];
			const double *wk = w + k * p;
			for (size_t j = 0; j <= k; j++)
				wi[j] -= c * wk[j];
		}
		for (size_t j = 0; j <= i; j++)
			wi[j] /= l[i * p + i];
	}
}

/* Ledoit-Wolf shrinkage of the covariance of the centred rows xc [n,p]
 * (Ledoit & Wolf 2004, as scikit-learn computes it); s is xc' xc / n with
 * its upper triangle (row-major, j >= i) filled. */
static double
ledoit_wolf(size_t n, size_t p, const double *xc, const double *s)
{
	double tr = 0, fro = 0, b4 = 0, mu, beta, delta;

	for (size_t j = 0; j < p; j++) {
		tr += s[j * p + j];
		for (size_t i = 0; i <= j; i++)
			fro += (i == j ? 1 : 2) * s[i * p + j] * s[i * p + j];
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

/* The statistics of columns off..off+p of x [n,D] (D = ood_dim) into
 * the diagonal block of ood_w and columns of ood_mu they cover. */
static int
fit_block(struct tl_tlm *m, size_t n, const float *x, const int *y, double shrinkage,
          size_t off, size_t p, double *sh_out, struct tl_err *err)
{
	size_t k = (size_t)m->nclass, dd = (size_t)m->ood_dim;
	double *mu, *xc, *s, *a, *w, *cnt, tr = 0, sh;
	int info = 0;

	mu = calloc(k * p + k, sizeof *mu);
	xc = malloc(n * p * sizeof *xc);
	s = calloc(p * p, sizeof *s);
	a = malloc(p * p * sizeof *a);
	w = malloc((p * p + p) * sizeof *w);
	if (mu == NULL || xc == NULL || s == NULL || a == NULL || w == NULL) {
		free(mu), free(xc), free(s), free(a), free(w);
		return tl_err_set(err, "out of memory");
	}
	cnt = mu + k * p;
	/* class means [K,D]; a class without samples gets the mean of all */
	for (size_t i = 0; i < n; i++) {
		cnt[y[i]]++;
		for (size_t j = 0; j < p; j++)
			mu[(size_t)y[i] * p + j] += x[i * dd + off + j];
	}
	for (size_t c = 0; c < k; c++)
		for (size_t j = 0; j < p; j++) {
			if (cnt[c] > 0) {
				mu[c * p + j] /= cnt[c];
				continue;
			}
			double a = 0;
			for (size_t i = 0; i < n; i++)
				a += x[i * dd + off + j];
			mu[c * p + j] = a / (double)n;
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p; j++)
			xc[i * p + j] = x[i * dd + off + j] - mu[(size_t)y[i] * p + j];
	/* s [p,p] upper = xc' xc / n */
	covariance(n, p, xc, s);
	sh = shrinkage >= 0 ? shrinkage : ledoit_wolf(n, p, xc, s);
	for (size_t j = 0; j < p; j++)
		tr += s[j * p + j];
	/* full symmetric S from the upper triangle */
	for (size_t i = 0; i < p; i++)
		for (size_t j = 0; j < i; j++)
			s[i * p + j] = s[j * p + i];
	/* (1 - sh) S + sh mu I, factored; when too few samples make it
	 * singular, more shrinkage (1 is mu I, always positive definite) */
	for (;;) {
		double mu_ = tr / (double)p > 1e-12 ? tr / (double)p : 1;
		for (size_t i = 0; i < p; i++)
			for (size_t j = 0; j < p; j++)
				a[i * p + j] = (1 - sh) * s[i * p + j] + (i == j ? sh * mu_ : 0);
		info = cholesky(p, a, w + p * p);
		if (info == 0)
			inverse_lower(p, a, w);
		if (info == 0 || sh >= 1)
			break;
		sh = sh < 0.05 ? 0.1 : fmin(1, 2 * sh);
	}
	if (info != 0) {
		free(mu), free(xc), free(s), free(a), free(w);
		return tl_err_set(err, "the feature covariance cannot be inverted");
	}
	/* W [D,D] row-major lower: W[i][j] = L^-1 (i,j) */
	for (size_t i = 0; i < p; i++)
		for (size_t j = 0; j < p; j++)
			m->ood_w[(off + i) * dd + off + j] = (float)w[i * p + j];
	/* whitened means: ood_mu[c] = W mu_c */
	for (size_t c = 0; c < k; c++)
		for (size_t i = 0; i < p; i++) {
			double v = 0;
			for (size_t j = 0; j <= i; j++)
				v += w[i * p + j] * mu[c * p + j];
			m->ood_mu[c * dd + off + i] = (float)v;
		}
	*sh_out = sh;
	free(mu), free(xc), free(s), free(a), free(w);
	return 0;
}

int
tl_ood_fit(struct tl_tlm *m, size_t n, const float *x, const int *y, double shrinkage,
           struct tl_err *err)
{
	size_t dd = (size_t)m->ood_dim, off = 0;
	double sh = 0, most = 0;

	if (n == 0)
		return tl_err_set(err, "no training data for the OOD statistics");
	if (tl_tlm_alloc_ood(m, err) < 0)
		return -1;
	if (m->ood_nparts <= 1)
		return fit_block(m, n, x, y, shrinkage, 0, dd, &sh, err) < 0 ? -1 :
		    (m->ood_shrinkage = (float)sh, 0);
	/* one block per backbone, zero between them */
	memset(m->ood_w, 0, dd * dd * sizeof *m->ood_w);
	for (int p = 0; p < m->ood_nparts; p++) {
		if (fit_block(m, n, x, y, shrinkage, off, (size_t)m->ood_part_dim[p], &sh, err) < 0)
			return -1;
		most = sh > most ? sh : most;
		off += (size_t)m->ood_part_dim[p];
	}
	m->ood_shrinkage = (float)most;
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

int
tl_ood_part_scales(struct tl_tlm *m, size_t n, const float *x, double keep, float *work,
                   struct tl_err *err)
{
	float *sc = malloc((n + 1) * sizeof *sc), q[TL_TLM_MAX_PARTS];

	if (sc == NULL)
		return tl_err_set(err, "out of memory");
	for (int p = 0; p < m->ood_nparts; p++) {
		for (int k = 0; k < m->ood_nparts; k++)
			m->ood_part_scale[k] = k == p;
		tl_head_ood(m, n, x, sc, work);
		q[p] = (float)tl_ood_threshold(n, sc, keep);
	}
	for (int p = 0; p < m->ood_nparts; p++)
		m->ood_part_scale[p] = q[p] > 1e-12f && isfinite(q[p]) ? 1 / q[p] : 1;
	free(sc);
	return 0;
}
