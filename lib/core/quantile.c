/*
 * quantile.c - sorting a sample and reading its quantiles (quantile.h).
 * One formula for every caller, so the bootstrap intervals of tl-report
 * and its usage summary interpolate the same way.
 *
 * Not here: the bootstrap itself (report/metrics.c).
 */
#include <math.h>
#include <stdlib.h>

#include "core/quantile.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
tl_quantile_sort(double *x, size_t n)
{
	qsort(x, n, sizeof *x, cmp_double);
}

double
tl_quantile(const double *x, size_t n, double q)
{
	double pos, f;
	size_t i;

	if (n == 0)
		return NAN;
	pos = q * (double)(n - 1);
	i = (size_t)pos;
	if (i + 1 >= n)
		return x[n - 1];
	f = pos - (double)i;
	return x[i] + f * (x[i + 1] - x[i]);
}
