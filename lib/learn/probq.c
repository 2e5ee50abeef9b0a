/*
 * probq.c - accuracy, log loss and ECE (probq.h).  Sums in double, in
 * record order, so that a caller's numbers do not depend on how it was
 * split into these functions: tl_probq_eval adds what tl-train's loop
 * always added, in the same order, and report/metrics.c's weighted sums
 * reach tl_probq_ece as they always did.
 *
 * Not here: the weights of a bootstrap replicate (report/metrics.c).
 */
#include <math.h>
#include <string.h>

#include "learn/probq.h"

const struct tl_probq_opts tl_probq_train = { 1e-15, 1, 0, TL_PROBQ_BINS, 1 };
const struct tl_probq_opts tl_probq_report = { 1e-15, 1 - 1e-15, 1, TL_PROBQ_BINS, 0 };

int
tl_probq_argmax(const float *p, int k)
{
	int best = 0;

	for (int c = 1; c < k; c++)
		if (p[c] > p[best])
			best = c;
	return best;
}

double
tl_probq_loss(const float *p, int k, int label, const struct tl_probq_opts *o)
{
	double sum = 0, pl = 0;

	if (!o->renorm)
		return -log(fmin(fmax(p[label], o->lo), o->hi));
	for (int c = 0; c < k; c++) {
		double q = fmin(fmax(p[c], o->lo), o->hi);
		sum += q;
		if (c == label)
			pl = q;
	}
	return -log(pl / sum);
}

int
tl_probq_bin(double conf, int bins)
{
	int b = (int)(conf * bins);

	return b >= bins ? bins - 1 : b < 0 ? 0 : b;
}

double
tl_probq_ece(const double *s, const struct tl_probq_opts *o)
{
	double n = 0, ece = 0;

	for (int b = 0; b < o->bins; b++)
		n += s[3 * b];
	if (!(n > 0))
		return NAN;
	for (int b = 0; b < o->bins; b++)
		if (s[3 * b] > 0)
			ece += o->ece_each ? fabs(s[3 * b + 2] - s[3 * b + 1]) / n
			                   : fabs(s[3 * b + 2] - s[3 * b + 1]);
	return o->ece_each ? ece : ece / n;
}

void
tl_probq_eval(const struct tl_probq_opts *o, size_t n, int k, const float *prob, const int *y,
              struct tl_probq *m)
{
	double s[3 * TL_PROBQ_MAXBINS], correct = 0, ll = 0;

	m->acc = m->logloss = m->ece = 0;
	if (n == 0)
		return;
	memset(s, 0, 3 * (size_t)o->bins * sizeof *s);
	for (size_t i = 0; i < n; i++) {
		const float *p = prob + i * (size_t)k;
		int best = tl_probq_argmax(p, k), b;
		correct += best == y[i];
		ll += tl_probq_loss(p, k, y[i], o);
		b = tl_probq_bin(p[best], o->bins);
		s[3 * b]++;
		s[3 * b + 1] += p[best];
		s[3 * b + 2] += best == y[i];
	}
	m->ece = tl_probq_ece(s, o);
	m->acc = correct / (double)n;
	m->logloss = ll / (double)n;
}
