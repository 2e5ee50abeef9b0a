/*
 * calib.h - how good probabilities are, and temperature scaling: accuracy,
 * log loss and expected calibration error of a set of predictions, and the
 * temperature T that minimises the negative log-likelihood of
 * softmax(logits / T) on held-out data (Guo et al. 2017).
 *
 * Not here: producing the logits (tlm.h), thresholds for OOD (ood.h).
 */
#ifndef TL_CALIB_H
#define TL_CALIB_H

#include <stddef.h>

#define TL_ECE_BINS 15 /* equal-width confidence bins, as in Guo et al. */

struct tl_metrics {
	double acc;     /* share of argmax == label */
	double logloss; /* mean -log p(label), p clipped at 1e-15 */
	double ece;     /* sum over bins of |acc - conf| weighted by bin share */
};

/* in: prob [n,K], y [n] (0..K-1); n may be 0 (all metrics 0). */
void tl_metrics_eval(size_t n, int k, const float *prob, const int *y, struct tl_metrics *m);

/* in: logits [n,K], y [n]; the T in [0.05, 20] minimising the mean NLL of
 * softmax(logits / T), by golden-section search on log T (the NLL is convex
 * in 1/T).  1 when n == 0. */
double tl_calib_temperature(size_t n, int k, const float *logits, const int *y);

/* Mean NLL of softmax(logits / t) against y. */
double tl_calib_nll(size_t n, int k, const float *logits, const int *y, double t);

#endif
