/*
 * probq.h - how good predicted probabilities are ("probability quality"):
 * the loss -ln p(label) of one prediction, the confidence bin of one, the
 * expected calibration error from per-bin sums, and accuracy, log loss and
 * ECE of a matrix of predictions at once.  tl-train judges its heads with
 * them (train.c, finetune.c); tl-report its verdicts (report/metrics.c,
 * and report/shots.c to rank the top losses the same way).
 *
 * The two tools keep different numbers, passed as a struct tl_probq_opts:
 *  - tl-train (tl_probq_train) scores its own softmax, which sums to 1:
 *    p(label) is clipped below at 1e-15 and not renormalised; 15 bins; the
 *    ECE sums per-bin terms each divided by n.
 *  - tl-report (tl_probq_report) scores the probabilities of any stream,
 *    which need not sum to 1 (sigmoid outputs, rounded JSON): every p is
 *    clipped into [1e-15, 1 - 1e-15] and p(label) divided by their sum;
 *    --bins bins (15 by default); the ECE divides the sum of the terms once
 *    (its sums carry bootstrap weights).
 * The last difference changes only rounding.  It stays because a model
 * file stores its ECE as an f64 and tl-report --json prints the shortest
 * round-trip double: both tools' outputs are kept bit for bit.  The bins
 * are one rule for both: tl-train used to bin p * 15 in float, tl-report
 * in double, and for 15 bins the two agree on every float in [0, 1] (an
 * exhaustive search; tests/unit/test_probq.c checks the floats around
 * each bin edge, the only place they could differ).
 *
 * Ownership: the caller owns every array; nothing is allocated.
 * Not here: temperature scaling (calib.h), per-class metrics, intervals
 * and reliability tables (report/metrics.h).
 */
#ifndef TL_PROBQ_H
#define TL_PROBQ_H

#include <stddef.h>

#define TL_PROBQ_BINS 15      /* equal-width confidence bins, as in Guo et al. 2017 */
#define TL_PROBQ_MAXBINS 1000 /* tl-report --bins at most */

struct tl_probq_opts {
	double lo, hi; /* each p is clipped into [lo, hi] before use */
	int renorm;    /* 1: p(label) / the sum of the K clipped p */
	int bins;      /* ECE's equal-width confidence bins, 1..TL_PROBQ_MAXBINS */
	int ece_each;  /* 1: sum |acc - conf| / n per bin; 0: divide the sum once */
};

extern const struct tl_probq_opts tl_probq_train;  /* { 1e-15, 1, 0, 15, 1 } */
extern const struct tl_probq_opts tl_probq_report; /* { 1e-15, 1 - 1e-15, 1, 15, 0 } */

struct tl_probq {
	double acc;     /* share of argmax == label */
	double logloss; /* mean -ln p(label), clipped (and renormalised) by the opts */
	double ece;     /* sum over bins of |acc - conf| weighted by bin share */
};

/* The first class of largest p[0..k). */
int tl_probq_argmax(const float *p, int k);

/* -ln p(label) of one prediction p[0..k), clipped and renormalised as o
 * says. */
double tl_probq_loss(const float *p, int k, int label, const struct tl_probq_opts *o);

/* The bin 0..bins-1 of confidence conf (0..1; 1 in the last bin). */
int tl_probq_bin(double conf, int bins);

/* ECE from per-bin sums s[3 * b ...]: weight, weighted confidence,
 * weighted right verdicts, b < o->bins.  NaN when the weights are all 0. */
double tl_probq_ece(const double *s, const struct tl_probq_opts *o);

/* in: prob [n,K], y [n] (0..K-1); accuracy of the argmax, log loss and ECE
 * into m; n may be 0 (all metrics 0, as when out of memory). */
void tl_probq_eval(const struct tl_probq_opts *o, size_t n, int k, const float *prob,
                   const int *y, struct tl_probq *m);

#endif
