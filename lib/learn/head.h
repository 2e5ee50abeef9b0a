/*
 * head.h - the head's inference: a trained model (tlm.h) applied to
 * embeddings, in batches.  For one embedding e [D] (D = product of the
 * backbone's "dims"), exactly:
 *
 *   u = e                               norm NONE
 *   u = e / max(|e|_2, 1e-12)           norm L2
 *   u = sign(e) sqrt|e|, then L2        norm SQRT
 *   x = (u - mean) * scale              standardisation, [D] each (identity:
 *                                       mean 0, scale 1)
 *   linear: z = W1 x + b1               W1 [K,D], b1 [K]
 *   mlp:    h = max(0, W1 x + b1)       W1 [H,D], b1 [H]
 *           z = W2 h + b2               W2 [K,H], b2 [K]
 *   prob = softmax(z / temperature)     [K], order = classes
 *   ood  = min_k |Wo (x - mu_k)|_2      Mahalanobis distance to the nearest
 *                                       class mean: Wo [D,D] whitens with
 *                                       the shared shrunk covariance
 *                                       (Wo = L^-1, Sigma = L L^T), mu_k
 *                                       the class means in x space
 *   accepted when ood <= ood_threshold  (the threshold keeps ood_keep of
 *                                       the in-distribution val images)
 *
 * Ownership: nothing here allocates; the caller owns every buffer (the
 * outputs and the work buffer of tl_head_work_size floats).  The functions
 * only read the model, so one model may be shared by threads, each with its
 * own work buffer.  Nothing here prints or exits.
 *
 * Not here: the model file and its fields (tlm.h), fitting them (train.h).
 */
#ifndef TL_HEAD_H
#define TL_HEAD_H

#include <stddef.h>

#include "learn/tlm.h"

/* Floats of work buffer the batch functions below need for n embeddings. */
size_t tl_head_work_size(const struct tl_tlm *m, size_t n);

/* in: emb [n,D]; out: x [n,D], normalised and standardised (head input).
 * x may equal emb. */
void tl_head_input(const struct tl_tlm *m, size_t n, const float *emb, float *x);

/* in: f [n,ood_dim], the ood_layer features; out: x [n,ood_dim], the OOD
 * space's input (normalised by m->norm, then ood_mean and ood_scale).
 * x may equal f. */
void tl_head_ood_input(const struct tl_tlm *m, size_t n, const float *f, float *x);

/* in: emb [n,D]; out: logits [n,K] (before temperature).  work holds
 * tl_head_work_size(m, n) floats. */
void tl_head_logits(const struct tl_tlm *m, size_t n, const float *emb, float *logits,
                    float *work);

/* d logit[k] / dx into gx [D] for one head input x [D] (tl_head_input's
 * output): W1's row k for a linear head; for an MLP sum_h W2[k,h]
 * [W1 x + b1 > 0]_h W1[h,:].  hid [H] is scratch (MLP).  What
 * tl-classify --explain backpropagates through the head. */
void tl_head_logit_grad(const struct tl_tlm *m, int k, const float *x, float *hid, float *gx);

/* in: logits [n,K]; out: prob [n,K] = softmax(logits / t), t = temperature
 * (pass m->temperature, or 1 for uncalibrated).  prob may equal logits. */
void tl_head_softmax(size_t n, int nclass, const float *logits, float t, float *prob);

/* in: x [n,D] as made by tl_head_input (with an OOD space of its own: [n,
 * ood_dim] from tl_head_ood_input); out: ood [n], the Mahalanobis distance
 * to the nearest class mean, or with ood_nparts the largest scaled
 * per-part distance (0 for all when !m->has_ood).  work holds
 * tl_head_work_size(m, n) floats. */
void tl_head_ood(const struct tl_tlm *m, size_t n, const float *x, float *ood, float *work);

/* Everything for classification: in emb [n,D]; out prob [n,K] (calibrated)
 * and, if ood is not NULL and the OOD space is x, ood [n].  work:
 * tl_head_work_size(m, n) floats. */
void tl_head_predict(const struct tl_tlm *m, size_t n, const float *emb, float *prob,
                     float *ood, float *work);

#endif
