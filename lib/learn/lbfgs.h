/*
 * lbfgs.h - limited-memory BFGS for smooth unconstrained minimisation in
 * double precision (Nocedal & Wright, algorithm 7.4/7.5) with a backtracking
 * line search that enforces the Armijo condition and skips a curvature pair
 * that would break positive definiteness.  Made for convex losses of a few
 * hundred thousand parameters (the linear head); all memory is allocated
 * once per call.
 *
 * Ownership: tl_lbfgs frees all it allocates before it returns; x, the
 * result and the options are the caller's.
 *
 * Not here: the loss (the caller's function), constraints, line searches
 * with the strong Wolfe conditions.
 */
#ifndef TL_LBFGS_H
#define TL_LBFGS_H

#include <stddef.h>

#include "core/err.h"

/* The objective: returns f(x) and writes its gradient into g[n]. */
typedef double (*tl_lbfgs_fn)(void *ctx, const double *x, double *g);

/* Called every `every` iterations (may be NULL). */
typedef void (*tl_lbfgs_log)(void *ctx, int iter, double f, double gnorm);

struct tl_lbfgs_opts {
	int m;          /* correction pairs kept (default 10 when 0) */
	int max_iter;   /* iterations (default 500 when 0) */
	double gtol;    /* stop when max|g| <= gtol (default 1e-5 when 0) */
	double ftol;    /* stop when the relative decrease over 5 iterations is below (1e-9) */
	int every;      /* log period (0: only the end) */
	tl_lbfgs_log log;
};

struct tl_lbfgs_result {
	int iter, evals;
	double f, gnorm; /* at the returned x; gnorm = max|g| */
	int converged;   /* 1 when gtol or ftol stopped it, 0 when max_iter did */
};

/* Minimises f from x[n] (in: the start; out: the minimiser found).  0, or
 * -1 when out of memory or f returned a non-finite value at the start. */
int tl_lbfgs(size_t n, double *x, tl_lbfgs_fn f, void *ctx, const struct tl_lbfgs_opts *o,
             struct tl_lbfgs_result *res, struct tl_err *err);

#endif
