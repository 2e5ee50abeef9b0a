/*
 * optim.c - AdamW and the one-cycle schedule (optim.h).  The moments are
 * updated in float and the step computed in double, in one fixed order of
 * operations: the MLP head and the fine-tuning both step through here, and
 * their models stay the same bit for bit from one build to the next.
 *
 * Not here: anything that computes a gradient.
 */
#include <math.h>

#include "learn/optim.h"

#define ONE_CYCLE_UP 0.3            /* share of the steps spent warming up */
#define ONE_CYCLE_START 25          /* the first rate is lr / this */
#define ONE_CYCLE_END 1e5           /* the last rate is lr / this */

void
tl_optim_adamw(const struct tl_optim_adamw *a, long t, double lr, double wd, size_t n,
               float *w, const float *g, float *m, float *v)
{
	float b1 = (float)a->beta1, a1 = (float)(1 - a->beta1);
	float b2 = (float)a->beta2, a2 = (float)(1 - a->beta2);
	double c1 = 1 - pow(a->beta1, (double)t), c2 = 1 - pow(a->beta2, (double)t);

	for (size_t i = 0; i < n; i++) {
		m[i] = b1 * m[i] + a1 * g[i];
		v[i] = b2 * v[i] + a2 * g[i] * g[i];
		w[i] -= (float)(lr * ((m[i] / c1) / (sqrt(v[i] / c2) + a->eps) + wd * w[i]));
	}
}

double
tl_optim_one_cycle(double lr, long t, long total)
{
	long up = (long)(ONE_CYCLE_UP * (double)total);
	double lo = lr / ONE_CYCLE_START, end = lr / ONE_CYCLE_END;

	if (t < up)
		return lo + (lr - lo) * (1 - cos(M_PI * (double)t / (double)up)) / 2;
	return end + (lr - end) * (1 + cos(M_PI * (double)(t - up) / (double)(total - up))) / 2;
}
