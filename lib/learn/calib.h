/*
 * calib.h - temperature scaling: the temperature T that minimises the
 * negative log-likelihood of softmax(logits / T) on held-out data (Guo et
 * al. 2017).  Nothing is allocated; the caller owns every array.
 *
 * Not here: how good the probabilities are before and after (probq.h),
 * producing the logits (tlm.h), thresholds for OOD (ood.h).
 */
#ifndef TL_CALIB_H
#define TL_CALIB_H

#include <stddef.h>

#define TL_CALIB_TMIN 0.05 /* the temperature's search interval */
#define TL_CALIB_TMAX 20.0

/* in: logits [n,K], y [n]; the T in [TL_CALIB_TMIN, TL_CALIB_TMAX]
 * minimising the mean NLL of softmax(logits / T), by golden-section search
 * on log T (the NLL is convex in 1/T).  1 when n == 0. */
double tl_calib_temperature(size_t n, int k, const float *logits, const int *y);

/* -1 when t (from tl_calib_temperature) stopped at TL_CALIB_TMIN, 1 at
 * TL_CALIB_TMAX, else 0: at a bound the NLL still falls beyond it, so T is
 * not the minimum but the limit. */
int tl_calib_at_bound(double t);

/* Mean NLL of softmax(logits / t) against y. */
double tl_calib_nll(size_t n, int k, const float *logits, const int *y, double t);

#endif
