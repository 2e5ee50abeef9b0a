/*
 * train.h - fitting a head (tlm.h) on labelled embeddings (a training set,
 * trainset.h): normalisation and standardisation, the head (multinomial
 * logistic regression by full-batch L-BFGS, or a one-hidden-layer MLP by
 * AdamW with a one-cycle schedule, dropout and early stopping on val), the
 * L2 strength chosen on a grid by val log loss, temperature scaling on
 * val, and the OOD statistics with their val threshold.
 *
 * Everything is deterministic given the seed: the holdout is a function of
 * (seed, id), the MLP's initialisation, shuffling and dropout come from one
 * tl_rng seeded with the seed.  Memory: the whole training set, as floats.
 * Progress goes to an optional callback: nothing here prints.
 *
 * Ownership: tl_train returns a model the caller frees with tl_tlm_free;
 * the other functions write into what the caller passes.
 *
 * Not here: reading the stream and writing the file (cmd/tl-train.c,
 * tlm.c), the L-BFGS itself (lbfgs.h), metrics and temperature (calib.h),
 * OOD (ood.h).
 */
#ifndef TL_TRAIN_H
#define TL_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rec.h"
#include "learn/calib.h"
#include "learn/probq.h"
#include "learn/tlm.h"
#include "learn/trainset.h"

/* Progress lines ("iter 40 loss 0.213 val acc 0.902"), without newline. */
typedef void (*tl_train_log)(void *ctx, const char *line);

struct tl_train_opts {
	enum tl_tlm_head head;
	int hidden;             /* MLP hidden units */
	double dropout;         /* MLP: on the hidden layer, 0..1 */
	enum tl_tlm_norm norm;  /* per-embedding normalisation */
	int standardize;        /* per-feature mean 0, std 1 on train */
	int nparts;             /* emb is nparts backbones' features concatenated */
	int part_dim[8];        /* [nparts]: their sizes, in order */
	int part_weight;        /* standardized features of part p scaled by
	                         * sqrt(D / (nparts * dim_p)) (folded into the
	                         * model's scale) so each part weighs the same */
	double l2;              /* < 0: chosen on TL_TRAIN_L2_GRID by val log loss */
	double label_smoothing; /* 0..1 */
	int balance;            /* weight classes by n / (K n_c) */
	int max_iter;           /* L-BFGS iterations (linear) */
	int epochs, batch;      /* MLP */
	double lr;              /* MLP peak learning rate */
	uint64_t seed;
	int ood;                /* fit the OOD statistics */
	double keep;            /* OOD: share of val accepted */
	double shrinkage;       /* OOD: < 0 Ledoit-Wolf */
	const struct tl_tlm *init; /* continue from this model (NULL: fresh) */
	int keep_head;          /* with init: its head as it is, only the
	                         * temperature and OOD statistics fitted */
	int log_every;          /* iterations (linear) or epochs (MLP) between lines */
	struct tl_train_lrfind *lrfind; /* MLP: a learning-rate sweep instead of
	                         * the fit (tl_train_lrfind sets it) */
	tl_train_log log;
	void *log_ctx;
};

/* The L2 grid: lambda of (lambda/2)|W|^2 added to the mean loss. */
#define TL_TRAIN_L2_GRID { 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1, 3 }

void tl_train_defaults(struct tl_train_opts *o);

struct tl_train_report {
	double l2;                  /* used */
	double temperature;
	int temp_bound;             /* tl_calib_at_bound(temperature): -1, 0, 1 */
	int iters;                  /* L-BFGS iterations or MLP epochs of the final fit */
	struct tl_probq train;    /* uncalibrated */
	struct tl_probq val_raw;  /* T = 1 */
	struct tl_probq val_cal;  /* T fitted */
	double ood_threshold, ood_kept; /* share of val kept at the threshold */
	int inherited;              /* classes whose weights came from init */
};

/* Fits a model on ts (finished).  The caller sets the backbone and the
 * metadata on the returned model and frees it with tl_tlm_free.  NULL with
 * err set. */
struct tl_tlm *tl_train(const struct tl_train_opts *o, const struct tl_trainset *ts,
                        struct tl_train_report *rep, struct tl_err *err);

/* The learning-rate finder (Smith 2017; fastai's lr_find): the MLP head
 * as tl_train would fit it (same set, initialisation, shuffling, dropout,
 * AdamW and weight decay), one minibatch step per rate, the rate going
 * exponentially from start to end over steps steps (epochs repeat as the
 * steps need them), rate i = start (end/start)^(i/(steps-1)).  Each step
 * records the batch's loss before its update, raw and smoothed (an
 * exponential moving average, beta 0.98, bias-corrected: fastai's); the
 * sweep stops after the step whose smoothed loss exceeds 4 times the best
 * so far, or is not finite.  The suggestion is fastai's "valley" (see
 * tl_train_valley).  Caller sets 0 < start < end, 2 <= steps <=
 * TL_TRAIN_LRFIND_MAX; the rest is output. */
#define TL_TRAIN_LRFIND_MAX 10000
struct tl_train_lrfind {
	double start, end;
	int steps;
	/* ---- out */
	int n;                      /* steps run (n <= steps) */
	double *lr, *loss, *smooth; /* [n], owned: tl_train_lrfind_free */
	int stopped;                /* 1: stopped early, the loss diverged */
	int valley;                 /* index of the suggested rate */
	double suggest;             /* lr[valley] */
};

/* Runs the sweep on ts (finished) with o (o->head must be TL_TLM_MLP); 0,
 * or -1 with err set. */
int tl_train_lrfind(const struct tl_train_opts *o, const struct tl_trainset *ts,
                    struct tl_train_lrfind *lf, struct tl_err *err);
void tl_train_lrfind_free(struct tl_train_lrfind *lf);

/* fastai's "valley" (fastai 2.5 lr_find suggest_funcs) over loss [n],
 * work [n]: the first tenth of the points is skipped (fastai's lr_find
 * does); in the rest, the longest decreasing subsequence ends at e (the
 * first such end) and is L long; s = e - L (fastai's: one before the start
 * of a contiguous descent); the index returned is s + floor((e-s)/3) +
 * floor((e-s)/6) (at least 0), past the first tenth: about half way down
 * the longest descent, where the loss still falls fast, well before the
 * minimum. */
int tl_train_valley(int n, const double *loss, int *work);

/* Shared with the fine-tuning (finetune.c): adds sum_i w_i (logsumexp(z_i)
 * - sum_c t_ic z_ic) over n rows of logits z [n,K] with targets t smoothed
 * by eps, turns z into dL/dz in place, returns the loss. */
double tl_train_xent(size_t n, int k, float *z, const int *y, const float *w, double eps);

/* Per-feature statistics of x [n,d] (n >= 2, else nothing is written):
 * mean, and scale = 1/standard deviation (1 where it is below 1e-6).
 * 0 or -1 (out of memory). */
int tl_train_stats(size_t n, size_t d, const float *x, float *mean, float *scale);

/* Metadata helpers: key of parent = the map sub (deep copy); key of parent
 * = {accuracy, log_loss, ece} of m, built in tmp.  0 or -1 (out of memory). */
int tl_train_meta_map(struct tl_rec *parent, const char *key, const struct tl_rec *sub);
int tl_train_meta_metrics(struct tl_rec *parent, struct tl_rec *tmp, const char *key,
                          const struct tl_probq *m);

/* The file's "train" map into meta (cleared first): seed, hyper-parameters
 * (head, hidden, dropout, norm, standardize, l2 and whether it was chosen,
 * label_smoothing, balance, max_iter or epochs/batch/lr, keep, shrinkage,
 * holdout), counts {class: {train, val}}, ignored {test, unlabelled,
 * other}, iterations, temperature, metrics {train, val, val_calibrated:
 * {accuracy, log_loss, ece}}, ood {threshold, kept}, ids_sha256, init (the
 * version of the --init model, when given).  0 or -1 (out of memory). */
int tl_train_meta(const struct tl_train_opts *o, const struct tl_trainset *ts,
                  const struct tl_train_report *rep, double holdout, struct tl_rec *meta);

#endif
