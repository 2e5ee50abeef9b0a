/*
 * calib.c - metrics and temperature scaling (calib.h).  Sums in double; the
 * temperature search evaluates the NLL some 60 times over the val logits,
 * which is negligible next to training.
 *
 * Not here: per-class metrics and confusion matrices (tl-report).
 */
#include <math.h>

#include "learn/calib.h"

void
tl_metrics_eval(size_t n, int k, const float *prob, const int *y, struct tl_metrics *m)
{
	double bin_n[TL_ECE_BINS] = { 0 }, bin_acc[TL_ECE_BINS] = { 0 }, bin_conf[TL_ECE_BINS] = { 0 };
	double correct = 0, ll = 0;

	m->acc = m->logloss = m->ece = 0;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const float *p = prob + i * (size_t)k;
		int best = 0, b;
		for (int c = 1; c < k; c++)
			if (p[c] > p[best])
				best = c;
		correct += best == y[i];
		ll -= log(fmax(p[y[i]], 1e-15));
		b = (int)(p[best] * TL_ECE_BINS);
		b = b >= TL_ECE_BINS ? TL_ECE_BINS - 1 : b < 0 ? 0 : b;
		bin_n[b]++;
		bin_acc[b] += best == y[i];
		bin_conf[b] += p[best];
	}
	for (int b = 0; b < TL_ECE_BINS; b++)
		if (bin_n[b] > 0)
			m->ece += fabs(bin_acc[b] - bin_conf[b]) / (double)n;
	m->acc = correct / (double)n;
	m->logloss = ll / (double)n;
}

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
