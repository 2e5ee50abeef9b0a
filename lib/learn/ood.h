/*
 * ood.h - out-of-distribution statistics for a trained head (tlm.h): class
 * means and one covariance shared by all classes (pooled within-class),
 * shrunk toward a multiple of the identity (Ledoit-Wolf by default), whose
 * inverse Cholesky factor whitens; the score is the Mahalanobis distance to
 * the nearest class mean (Lee et al. 2018, with a shared covariance), and
 * the threshold a quantile of the scores of in-distribution held-out data.
 *
 * Ownership: what tl_ood_fit allocates goes into the model (freed with it,
 * tl_tlm_free); nothing is returned for the caller to free.
 *
 * Not here: the score at prediction time (tl_head_ood), deciding what to do
 * with a rejected record (tl-classify).
 */
#ifndef TL_OOD_H
#define TL_OOD_H

#include <stddef.h>

#include "core/err.h"
#include "learn/tlm.h"

/* in: x [n,D] head inputs (tl_head_input), y [n] in 0..K-1.  Fills m's
 * ood_w and ood_mu (allocating them) and ood_shrinkage; shrinkage < 0
 * chooses it by the Ledoit-Wolf formula, else uses it (0..1).  Classes
 * without a sample get the overall mean.  When the shrunk covariance is
 * singular (too few samples), the shrinkage is raised until it is not (1:
 * a multiple of the identity).  -1 when out of memory. */
int tl_ood_fit(struct tl_tlm *m, size_t n, const float *x, const int *y, double shrinkage,
               struct tl_err *err);

/* The smallest score s among score[0..n) such that at least keep * n of
 * them are <= s (keep in (0,1]); +inf when n == 0.  score is not changed. */
double tl_ood_threshold(size_t n, const float *score, double keep);

/* OOD per part (m->ood_nparts > 1, ood_w and ood_mu fitted): each part's
 * scale set to 1 / the quantile at keep of its distance alone over x [n,
 * ood_dim] (val), so that each part rejects what is foreign to it on the
 * same footing (1 when the quantile is 0 or not finite).  work:
 * tl_head_work_size(m, n) floats.  -1 when out of memory. */
int tl_ood_part_scales(struct tl_tlm *m, size_t n, const float *x, double keep, float *work,
                       struct tl_err *err);

#endif
