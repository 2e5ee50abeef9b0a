/*
 * finetune.h - tl-train's fine-tuning: the end of the backbone (nn/tail.h)
 * trained together with a linear head, fastai-style, on maps taken at the
 * cut (tl-embed --cut).
 *
 * The steps (tl_ft_train): the tail's features of every record with the
 * backbone's own weights, a head fitted on them exactly as tl_train does
 * ("frozen": L2 by val log loss); then the tail and that head trained
 * together on the train records by minibatch AdamW under a one-cycle
 * schedule, the tail's Convs at rates falling by `decay` per Conv toward the
 * cut (discriminative rates), the head's normalisation and standardisation
 * held, keeping the epoch with the best val log loss (epoch 0, the untouched
 * tail, included: BatchNormalization is folded and frozen, so a rate too
 * high for a small set can wreck the features, and then nothing is lost);
 * then the tuned tail's features of every record, on which that head gets
 * its temperature and OOD statistics (tl_train with keep_head: refitting
 * the head on features tuned to separate train loses val accuracy).  The
 * tuned tail goes into the model (tlm.h "tail").
 *
 * Several backbones (tl-embed -m a+b --cut: the header's "backbones" and
 * "dims_frozen", the trainset's xf): the tail is the first backbone's, and
 * the head reads its output followed by the frozen parts' pooled features
 * (parts standardised and weighted as tl_train does, the tail's output the
 * first part); the gradient stops at the tail, and the OOD statistics are
 * per part in the head's input space instead of in the backbone's own
 * feature layer.
 *
 * From scratch (o->scratch): the same, but the tail's weights are redrawn
 * at random first (tl_ft_reinit), so the "frozen" fit is a head on random
 * features, and the OOD statistics are in the trained tail's features.
 *
 * Deterministic given the seed (shuffling); memory: the whole set of maps
 * (held by the trainset) plus one batch of the tail's activations.
 *
 * Ownership: tl_ft_open returns a tail the caller frees with tl_tail_free;
 * tl_ft_train a model the caller frees with tl_tlm_free.  The other
 * functions fill buffers and structs the caller owns, and keep no pointer
 * to their arguments.  Nothing here prints or exits.
 */
#ifndef TL_FINETUNE_H
#define TL_FINETUNE_H

#include "learn/train.h"
#include "nn/tail.h"

struct tl_ft_opts {
	int epochs;              /* joint epochs; 0: the tail stays as it is; -1:
	                          * enough for min_steps steps (tl_ft_epochs) */
	int min_steps;           /* steps the automatic epoch count reaches */
	int batch;               /* maps per step */
	double lr;               /* peak rate of the tail's last Conv */
	double head_lr;          /* peak rate of the head */
	double decay;            /* rate factor per Conv toward the cut (1: one rate) */
	double wd;               /* AdamW decoupled weight decay on weights */
	double label_smoothing;  /* targets (1-E) one-hot + E/K */
	const char *to;          /* the tail's end; NULL: the backbone's (model.h ft_to) */
	int scratch;             /* train from scratch: the tail's weights redrawn
	                          * (tl_ft_reinit, from the train seed) before
	                          * anything is fitted, no OOD tail of the
	                          * backbone's own weights (tl-train --from-scratch) */
	/* NULL, or called with done 0 before the joint epochs and after each
	 * (done 1..total), for the caller's progress line */
	void (*epoch)(void *ctx, int done, int total);
	void *epoch_ctx;
	/* tl_ft_lrfind sets it: the joint steps sweep the rate instead */
	struct tl_train_lrfind *lrfind;
};

void tl_ft_defaults(struct tl_ft_opts *o);

/* What training from scratch changes of the defaults: the steps
 * (min_steps), higher rates (lr, head_lr) and weight decay (wd), measured
 * in tl-train(1) FROM SCRATCH; sets scratch. */
void tl_ft_scratch_defaults(struct tl_ft_opts *o);

/* Every parameter of t drawn again: a Conv's W He-normal (standard
 * deviation sqrt(2 / fan_in), fan_in = Cin/group x KH x KW) from seed, its
 * B zero: the backbone's architecture with random weights. */
void tl_ft_reinit(struct tl_tail *t, uint64_t seed);

/* The joint epochs o asks for with ntrain train maps: o->epochs, or when
 * it is -1 the fewest that make o->min_steps steps, within [5, 200]. */
int tl_ft_epochs(const struct tl_ft_opts *o, size_t ntrain);

struct tl_ft_report {
	struct tl_train_report frozen;   /* the head on the untouched tail */
	struct tl_probq joint_val;       /* the jointly trained head, T = 1, at the kept epoch */
	int epochs;                      /* joint epochs run (tl_ft_epochs) */
	int best_epoch;                  /* the kept epoch: best val log loss (0: untouched) */
	int convs;                       /* Conv nodes in the tail */
	long long params;                /* tail parameters trained */
	char from[512], to[512];         /* the cut and the end */
};

/* The tail of backbone `name` (whose sha256 must be `sha256`, unless NULL)
 * from tensor `from` to `to` (NULL or "": the sidecar's ft_to, whose name
 * then goes into to_out[0..n) if to_out is not NULL).  Caller frees it with
 * tl_tail_free.  NULL with err. */
struct tl_tail *tl_ft_open(const char *name, const char *sha256, const char *from,
                           const char *to, char *to_out, size_t n, struct tl_err *err);

/* Runs the tail over the n maps of x ([n, H*W*C]) into f [n, C], in
 * batches.  0 or -1 with err. */
int tl_ft_features(struct tl_tail *t, const float *x, size_t n, float *f, struct tl_err *err);

/* The model's tail parameters into t, checked against t's nodes and shapes
 * (a model tuned on another backbone or cut is refused). */
int tl_ft_restore(struct tl_tail *t, const struct tl_tlm *m, struct tl_err *err);

/* What a run will train, for the cost tl-train states before it starts. */
struct tl_ft_plan {
	char from[512], to[512]; /* the cut and the end */
	int convs;               /* Conv nodes in the tail */
	int net_convs;           /* Conv nodes of the network up to the end */
	long long params;        /* tail parameters */
	long long macs;          /* multiply-adds of one map's forward pass */
	int nfrozen;             /* several backbones: the frozen parts after the
	                          * first (0: one backbone) */
	char frozen[1024];       /* their names, joined by '+' */
	int frozen_dim;          /* their pooled features, in all */
	long long frozen_macs;   /* multiply-adds of one image through them to
	                          * their feature layers (spent by tl-embed);
	                          * -1 when not known */
};

/* What tl_ft_train would refuse before it reads a record: a header without
 * backbone and layer, a head it cannot train, no tail from that layer to the
 * end (a backbone that names none), maps of another size.  0, with plan
 * filled when not NULL, or -1 with err. */
int tl_ft_check(const struct tl_rec *header, const struct tl_train_opts *to,
                const struct tl_ft_opts *fo, struct tl_ft_plan *plan, struct tl_err *err);

/* The whole of tl-train --finetune (see above) on ts (finished, x = maps at
 * the cut named by the header's "layer"): returns the final model with its
 * tail set, which the caller frees with tl_tlm_free.  to->init, if set,
 * must have the same tail; its tail starts the tuning.  NULL with err. */
struct tl_tlm *tl_ft_train(const struct tl_train_opts *to, const struct tl_ft_opts *fo,
                           const struct tl_trainset *ts, const struct tl_rec *header,
                           struct tl_train_report *rep, struct tl_ft_report *frep,
                           struct tl_err *err);

/* The learning-rate finder for fine-tuning (tl-train --lr-find on maps):
 * the tail and the head fitted on its untouched features (as tl_ft_train
 * starts) trained jointly, as tl_ft_train does (same shuffling, batches,
 * AdamW, weight decay, label smoothing, discriminative rates), one step per
 * rate: the tail's last Conv at lf's rate i, start (end/start)^(i/(n-1)),
 * its other Convs at that times decay^depth, the head at that times
 * head_lr / lr (the ratio the run would use).  Each step records its
 * batch's loss before the update, raw and smoothed (train.h: beta 0.98,
 * bias-corrected), stops once the smoothed loss passes 4 times its best,
 * and the suggestion is tl_train_valley's.  0, or -1 with err (as
 * tl_ft_train; lf as tl_train_lrfind wants it). */
int tl_ft_lrfind(const struct tl_train_opts *to, const struct tl_ft_opts *fo,
                 const struct tl_trainset *ts, const struct tl_rec *header,
                 struct tl_train_lrfind *lf, struct tl_err *err);

/* Adds "finetune" {from, to, convs, params, epochs (run), best_epoch, batch, lr, head_lr,
 * decay, wd, label_smoothing, frozen_val, joint_val: {accuracy, log_loss,
 * ece}} to meta (the file's "train" map).  0 or -1 (out of memory). */
int tl_ft_meta(const struct tl_ft_opts *o, const struct tl_ft_report *r, struct tl_rec *meta);

#endif
