/*
 * test_lbfgs.c - lib/learn/lbfgs on functions whose minimum is known: an
 * ill-conditioned quadratic (condition number 1000) and Rosenbrock's
 * function (2 and 100 variables, from the classic start (-1.2, 1)) reach it
 * within the tolerance each case states; a start at the minimum stops at
 * once; max_iter stops an unfinished run with converged 0; a loss that is
 * not finite at the start is an error; the log is called every `every`
 * iterations; the result's f and gnorm are those of the returned x.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/lbfgs.h"
#include "t.h"

/* 0.5 sum a_i (x_i - c_i)^2, a_i from 1 to 1000 (log-spaced), c_i = i - 3. */
static double
quad(void *ctx, const double *x, double *g)
{
	size_t n = *(size_t *)ctx;
	double f = 0;

	for (size_t i = 0; i < n; i++) {
		double a = pow(1000, (double)i / (double)(n - 1)), d = x[i] - ((double)i - 3);
		f += 0.5 * a * d * d;
		g[i] = a * d;
	}
	return f;
}

/* Extended Rosenbrock: sum over pairs of 100 (x2 - x1^2)^2 + (1 - x1)^2; its
 * only minimum is x = 1, f = 0. */
static double
rosen(void *ctx, const double *x, double *g)
{
	size_t n = *(size_t *)ctx;
	double f = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		double u = x[i + 1] - x[i] * x[i], v = 1 - x[i];
		f += 100 * u * u + v * v;
		g[i] = -400 * u * x[i] - 2 * v;
		g[i + 1] = 200 * u;
	}
	return f;
}

static double
nan_loss(void *ctx, const double *x, double *g)
{
	return NAN;
}

static int logged;

static void
count_log(void *ctx, int iter, double f, double gnorm)
{
	logged++;
}

enum fn { QUAD, ROSEN };

static void
test_minima(void)
{
	static const struct {
		const char *name;
		enum fn fn;
		size_t n;
		int at_min;     /* start at the minimum instead of the usual start */
		int max_iter;
		double gtol, fstop; /* the options gtol and ftol (0: default) */
		double xtol;    /* max |x - x*| wanted */
		double ftol;    /* |f - f*| wanted */
		int converged;
	} c[] = {
		/* stopped by gtol: |x_i - c_i| = |g_i| / a_i <= gtol (a_i >= 1) */
		{ "quadratic, 10", QUAD, 10, 0, 0, 1e-9, 1e-30, 1e-9, 1e-15, 1 },
		{ "quadratic, 1000", QUAD, 1000, 0, 2000, 1e-9, 1e-30, 1e-9, 1e-15, 1 },
		/* the defaults (gtol 1e-5, ftol 1e-9) */
		{ "quadratic, 10, defaults", QUAD, 10, 0, 0, 0, 0, 1e-4, 1e-8, 1 },
		/* the Hessian at x* = 1 has its least eigenvalue near 0.4: |x - 1| <=
		   gtol / 0.4 */
		{ "rosenbrock, 2", ROSEN, 2, 0, 0, 1e-9, 1e-15, 1e-8, 1e-15, 1 },
		{ "rosenbrock, 100", ROSEN, 100, 0, 0, 1e-9, 1e-15, 1e-8, 1e-15, 1 },
		{ "rosenbrock, 2, defaults", ROSEN, 2, 0, 0, 0, 0, 1e-3, 1e-7, 1 },
		{ "rosenbrock, at the minimum", ROSEN, 2, 1, 0, 0, 0, 0, 0, 1 },
		{ "quadratic, at the minimum", QUAD, 4, 1, 0, 0, 0, 0, 0, 1 },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		size_t n = c[k].n;
		double *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), fstar, err_x = 0, f;
		struct tl_lbfgs_opts o = { .max_iter = c[k].max_iter, .gtol = c[k].gtol,
		                           .ftol = c[k].fstop };
		struct tl_lbfgs_result res;
		struct tl_err err;
		tl_lbfgs_fn fn = c[k].fn == QUAD ? quad : rosen;
		char t[96];
		int rc;

		for (size_t i = 0; i < n; i++) {
			if (c[k].fn == QUAD)
				x[i] = c[k].at_min ? (double)i - 3 : 0;
			else
				x[i] = c[k].at_min ? 1 : (i % 2 ? 1 : -1.2);
		}
		fstar = 0;
		rc = tl_lbfgs(n, x, fn, &n, &o, &res, &err);
		snprintf(t, sizeof t, "lbfgs %s: returns 0", c[k].name);
		T_EQ_INT(t, rc, 0);
		for (size_t i = 0; i < n; i++) {
			double want = c[k].fn == QUAD ? (double)i - 3 : 1;
			err_x = fmax(err_x, fabs(x[i] - want));
		}
		printf("  lbfgs %s: %d iterations, %d evaluations\n", c[k].name, res.iter, res.evals);
		snprintf(t, sizeof t, "lbfgs %s: x within %g", c[k].name, c[k].xtol);
		T_NEAR(t, err_x, 0, c[k].xtol, 0);
		snprintf(t, sizeof t, "lbfgs %s: f within %g", c[k].name, c[k].ftol);
		T_NEAR(t, res.f, fstar, c[k].ftol, 0);
		snprintf(t, sizeof t, "lbfgs %s: converged", c[k].name);
		T_EQ_INT(t, res.converged, c[k].converged);
		/* the result describes the x returned */
		f = fn(&n, x, g);
		snprintf(t, sizeof t, "lbfgs %s: res.f is f(x)", c[k].name);
		T_OK(t, res.f == f);
		double gmax = 0;
		for (size_t i = 0; i < n; i++)
			gmax = fmax(gmax, fabs(g[i]));
		snprintf(t, sizeof t, "lbfgs %s: res.gnorm is max|g(x)|", c[k].name);
		T_OK(t, res.gnorm == gmax);
		if (c[k].at_min) {
			snprintf(t, sizeof t, "lbfgs %s: stops at once", c[k].name);
			T_OK(t, res.iter == 0 && res.evals == 1);
		}
		free(x);
		free(g);
	}
}

static void
test_stops(void)
{
	size_t n = 2;
	double x[2] = { -1.2, 1 };
	struct tl_lbfgs_opts o = { .max_iter = 3 };
	struct tl_lbfgs_result res;
	struct tl_err err;

	T_EQ_INT("max_iter: returns 0", tl_lbfgs(n, x, rosen, &n, &o, &res, &err), 0);
	T_EQ_INT("max_iter: 3 iterations", res.iter, 3);
	T_EQ_INT("max_iter: not converged", res.converged, 0);
	T_OK("max_iter: went downhill", res.f < 24.2); /* f(-1.2, 1) = 24.2 */

	x[0] = -1.2, x[1] = 1;
	T_EQ_INT("not finite: -1", tl_lbfgs(n, x, nan_loss, &n, &o, &res, &err), -1);
	T_EQ_STR("not finite: message", err.msg, "the loss is not finite at the start");
	T_OK("not finite: x untouched", x[0] == -1.2 && x[1] == 1);

	/* the log: at iterations every, 2 every, ... before the end */
	struct tl_lbfgs_opts lo = { .max_iter = 20, .every = 5, .log = count_log };
	x[0] = -1.2, x[1] = 1;
	logged = 0;
	tl_lbfgs(n, x, rosen, &n, &lo, &res, &err);
	T_EQ_INT("log: 20 iterations", res.iter, 20);
	T_EQ_INT("log: at 5, 10, 15", logged, 3);
	lo.every = 0;
	logged = 0;
	tl_lbfgs(n, x, rosen, &n, &lo, &res, &err);
	T_EQ_INT("log: every 0, never", logged, 0);
}

int
main(void)
{
	test_minima();
	test_stops();
	T_DONE();
}
