/*
 * calib.c - temperature scaling (calib.h).  Sums in double; the
 * temperature search evaluates the NLL some 60 times over the val logits,
 * which is negligible next to training.
 *
 * Not here: accuracy, log loss and ECE (probq.c), per-class metrics and
 * confusion matrices (tl-report).
 */
#include <math.h>

#include "learn/calib.h"

double
tl_calib_nll(size_t n, int k, const float *logits, const int *y, double t)
{
	double s = 0;

	for (size_t i = 0; i < n; i++) {
		const float *z = logits + i * (size_t)k;
		double mx = z[0], e = 0;
		for (int c = 1; c < k; c++)
			mx = z[c] > mx ? z[c] : mx;
		for (int c = 0; c < k; c++)
			e += exp((z[c] - mx) / t);
		s += log(e) - (z[y[i]] - mx) / t;
	}
	return n ? s / (double)n : 0;
}

double
tl_calib_temperature(size_t n, int k, const float *logits, const int *y)
{
	const double r = (sqrt(5) - 1) / 2;
	double a = log(TL_CALIB_TMIN), b = log(TL_CALIB_TMAX), c, d, fc, fd;

	if (n == 0)
		return 1;
	c = b - r * (b - a), d = a + r * (b - a);
	fc = tl_calib_nll(n, k, logits, y, exp(c));
	fd = tl_calib_nll(n, k, logits, y, exp(d));
	for (int it = 0; it < 60 && b - a > 1e-6; it++) {
		if (fc <= fd) {
			b = d, d = c, fd = fc;
			c = b - r * (b - a);
			fc = tl_calib_nll(n, k, logits, y, exp(c));
		} else {
			a = c, c = d, fc = fd;
			d = a + r * (b - a);
			fd = tl_calib_nll(n, k, logits, y, exp(d));
		}
	}
	return exp((a + b) / 2);
}

int
tl_calib_at_bound(double t)
{
	/* the search ends within 1e-6 of the bound in log T */
	if (log(t) < log(TL_CALIB_TMIN) + 1e-4)
		return -1;
	if (log(t) > log(TL_CALIB_TMAX) - 1e-4)
		return 1;
	return 0;
}
