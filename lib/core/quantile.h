/*
 * quantile.h - quantiles of a sample: sorting it and reading the q-quantile
 * with linear interpolation between order statistics (NumPy's default,
 * Hyndman and Fan's type 7).  tl-report uses them for the bootstrap's
 * percentile intervals (metrics.c) and the confidence quantiles of a usage
 * log (usage.c).
 *
 * Ownership: the caller owns the array; nothing is allocated.
 * Not here: weighted quantiles, selection without sorting.
 */
#ifndef TL_QUANTILE_H
#define TL_QUANTILE_H

#include <stddef.h>

/* Sorts x[0..n) in ascending order (NaN, which compares neither way, is
 * left where the sort puts it: keep it out). */
void tl_quantile_sort(double *x, size_t n);

/* The q-quantile (0..1) of sorted x[0..n): x[i] + f (x[i+1] - x[i]) at
 * q (n - 1) = i + f; NaN when n == 0. */
double tl_quantile(const double *x, size_t n, double q);

#endif
