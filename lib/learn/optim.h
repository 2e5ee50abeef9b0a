/*
 * optim.h - the minibatch optimiser shared by the MLP head (train.c) and
 * the fine-tuning (finetune.c): AdamW (Loshchilov & Hutter 2019: Adam with
 * the weight decay decoupled from the gradient) and the one-cycle learning
 * rate schedule (Smith 2018) that drives it.
 *
 * Ownership: nothing here allocates; the caller owns the parameters, the
 * gradients and the moments it passes in.  Nothing here prints or exits.
 *
 * Not here: the gradients (train.c, finetune.c, nn/tail.h), full-batch
 * L-BFGS (lbfgs.h).
 */
#ifndef TL_OPTIM_H
#define TL_OPTIM_H

#include <stddef.h>

/* AdamW's constants: the moments' decay rates and the denominator's
 * epsilon.  TL_OPTIM_ADAMW is what tl-train uses. */
struct tl_optim_adamw {
	double beta1;               /* first moment (mean of g) */
	double beta2;               /* second moment (mean of g^2) */
	double eps;                 /* added to sqrt(v^) */
};
#define TL_OPTIM_ADAMW { .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8 }

/* One AdamW step, the t-th (t >= 1, for the bias correction), on n
 * parameters: in g [n] the gradient; in/out w [n] the parameters and m, v
 * [n] their moments (zero before step 1).  For each i, in float for the
 * moments and double for the update:
 *
 *   m = beta1 m + (1 - beta1) g
 *   v = beta2 v + (1 - beta2) g g
 *   w -= lr (m / (1 - beta1^t) / (sqrt(v / (1 - beta2^t)) + eps) + wd w)
 *
 * wd is the decoupled weight decay; 0 for none (biases). */
void tl_optim_adamw(const struct tl_optim_adamw *a, long t, double lr, double wd, size_t n,
                    float *w, const float *g, float *m, float *v);

/* The one-cycle learning rate at step t (0-based) of total steps, peaking
 * at lr: cosine up from lr / 25 over the first 30% of the steps, then
 * cosine down to lr / 1e5 at the last. */
double tl_optim_one_cycle(double lr, long t, long total);

#endif
