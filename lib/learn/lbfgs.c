/*
 * lbfgs.c - L-BFGS (lbfgs.h): two-loop recursion over the last m pairs
 * (s, y), initial Hessian gamma I with gamma = s'y / y'y, and a backtracking
 * Armijo line search from step 1 (the first step scaled to 1/|g|).
 *
 * Not here: the objective's arithmetic (callers use sgemm), multithreading.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/lbfgs.h"

static double
dot(size_t n, const double *a, const double *b)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double
amax(size_t n, const double *a)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

int
tl_lbfgs(size_t n, double *x, tl_lbfgs_fn f, void *ctx, const struct tl_lbfgs_opts *o,
         struct tl_lbfgs_result *res, struct tl_err *err)
{
	int m = o->m > 0 ? o->m : 10, max_iter = o->max_iter > 0 ? o->max_iter : 500;
	double gtol = o->gtol > 0 ? o->gtol : 1e-5, ftol = o->ftol > 0 ? o->ftol : 1e-9;
	double *mem, *g, *d, *xn, *gn, *s, *y, *rho, *alpha, fx, hist[5];
	int k = 0, head = 0, iter, evals = 0;

	/* g, d, xn, gn: n each; s, y: m*n each; rho, alpha: m each */
	if ((mem = malloc(((4 + 2 * (size_t)m) * n + 2 * (size_t)m) * sizeof *mem)) == NULL)
		return tl_err_set(err, "out of memory");
	g = mem, d = g + n, xn = d + n, gn = xn + n, s = gn + n, y = s + (size_t)m * n;
	rho = y + (size_t)m * n, alpha = rho + m;
	fx = f(ctx, x, g), evals++;
	if (!isfinite(fx)) {
		free(mem);
		return tl_err_set(err, "the loss is not finite at the start");
	}
	memset(res, 0, sizeof *res);
	for (iter = 0; iter < max_iter; iter++) {
		double gnorm = amax(n, g), step, gd, fn = fx;
		if (o->log && o->every > 0 && iter > 0 && iter % o->every == 0)
			o->log(ctx, iter, fx, gnorm);
		if (gnorm <= gtol) {
			res->converged = 1;
			break;
		}
		if (iter >= 5 && hist[iter % 5] - fx <= ftol * fmax(fabs(fx), 1)) {
			res->converged = 1;
			break;
		}
		hist[iter % 5] = fx;
		/* d = -H g by the two-loop recursion, newest pair first */
		for (size_t i = 0; i < n; i++)
			d[i] = -g[i];
		for (int j = 0; j < k; j++) {
			int p = (head - 1 - j + m) % m;
			alpha[p] = rho[p] * dot(n, s + (size_t)p * n, d);
			for (size_t i = 0; i < n; i++)
				d[i] -= alpha[p] * y[(size_t)p * n + i];
		}
		if (k > 0) {
			int p = (head - 1 + m) % m;
			double gamma = dot(n, s + (size_t)p * n, y + (size_t)p * n) /
			    dot(n, y + (size_t)p * n, y + (size_t)p * n);
			for (size_t i = 0; i < n; i++)
				d[i] *= gamma;
		}
		for (int j = k - 1; j >= 0; j--) {
			int p = (head - 1 - j + m) % m;
			double b = rho[p] * dot(n, y + (size_t)p * n, d);
			for (size_t i = 0; i < n; i++)
				d[i] += s[(size_t)p * n + i] * (alpha[p] - b);
		}
		gd = dot(n, g, d);
		if (!(gd < 0)) { /* not a descent direction: restart from -g */
			for (size_t i = 0; i < n; i++)
				d[i] = -g[i];
			gd = dot(n, g, d), k = 0;
		}
		step = k == 0 ? fmin(1, 1 / sqrt(dot(n, g, g))) : 1;
		for (int t = 0; t < 12; t++) {
			for (size_t i = 0; i < n; i++)
				xn[i] = x[i] + step * d[i];
			fn = f(ctx, xn, gn), evals++;
			if (isfinite(fn) && fn <= fx + 1e-4 * step * gd)
				break;
			step *= 0.5;
		}
		if (!(isfinite(fn) && fn <= fx + 1e-4 * step * gd)) {
			res->converged = 1; /* no progress possible at this precision */
			break;
		}
		/* the pair (s, y) = (xn - x, gn - g), kept when s'y > 0 */
		{
			double *sp = s + (size_t)head * n, *yp = y + (size_t)head * n, sy;
			for (size_t i = 0; i < n; i++) {
				sp[i] = xn[i] - x[i];
				yp[i] = gn[i] - g[i];
			}
			sy = dot(n, sp, yp);
			if (sy > 1e-12 * dot(n, yp, yp)) {
				rho[head] = 1 / sy;
				head = (head + 1) % m;
				if (k < m)
					k++;
			}
		}
		memcpy(x, xn, n * sizeof *x);
		memcpy(g, gn, n * sizeof *g);
		fx = fn;
	}
	res->iter = iter;
	res->evals = evals;
	res->f = fx;
	res->gnorm = amax(n, g);
	free(mem);
	return 0;
}
