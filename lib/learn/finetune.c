/*
 * finetune.c - tl-train's fine-tuning (finetune.h): the tail and a linear
 * head trained together on maps at the cut (tl-embed --cut), between two
 * ordinary tl_train fits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backbone/model.h"
#include "backbone/scratch.h"
#include "core/rng.h"
#include "learn/finetune.h"
#include "learn/head.h"
#include "learn/ood.h"
#include "learn/optim.h"
#include "nn/nn.h"

#define FT_BATCH_FEATURES 32 /* maps per tail run when only features are wanted */

void
tl_ft_defaults(struct tl_ft_opts *o)
{
	memset(o, 0, sizeof *o);
	/* measured before tl-train's products were summed in a fixed order
	 * (with OpenBLAS; the defaults now give 0.902 over seeds 0-4, make
	 * seeds in pipelines/hymenoptera); hymenoptera, tail to
	 * block_15_expand_relu, mean val accuracy: 4
	 * variants per photo for 10 epochs (390 steps) 0.876 (2 seeds), for
	 * 20 (780) 0.891 (3), 10 variants for 10 epochs (850) 0.902 (3): the
	 * length that matters is in steps */
	o->epochs = -1;
	o->min_steps = 800;
	o->batch = 32;
	/* the same tail, 10 variants, seeds 0-2: 5e-4 0.884, 1e-3 0.902, 2e-3
	 * 0.886 (seeds 0-1) (the whole tail to out_relu collapsed at 1e-3 in 3
	 * of 5 PyTorch runs) */
	o->lr = 1e-3;
	o->head_lr = 1e-3;
	o->decay = 1;
	o->wd = 1e-2;
	o->label_smoothing = 0.1;
}

void
tl_ft_scratch_defaults(struct tl_ft_opts *o)
{
	/* hymenoptera, scratch:64, 10 variants per photo (2695 train maps, 85
	 * steps an epoch), seed 0, best val log loss (epoch): 1000 steps at
	 * 3e-3 0.577 (2; val accuracy 0.693), at 1e-3 (fine-tuning's rate)
	 * 0.622 (1; 0.588); 3000 steps at 3e-3 0.591 (2; 0.654), train loss
	 * at its floor from epoch 20: the network learns the 245 photos by
	 * heart, so more steps buy nothing but time.  Weight decay 0.1
	 * instead of 0.01, 1000 steps at 3e-3: hymenoptera val 0.719 and
	 * 0.574 (was 0.614 and 0.627 on compare.mk's order of the records),
	 * intel_scenes test 0.800 and 0.625 (was 0.761 and 0.643) */
	o->scratch = 1;
	o->min_steps = 1000;
	o->lr = 3e-3;
	o->head_lr = 3e-3;
	o->wd = 0.1;
}

void
tl_ft_reinit(struct tl_tail *t, uint64_t seed)
{
	struct tl_rng r;

	tl_rng_seed(&r, seed ^ 0x73637261746368ull /* "scratch" */);
	for (int i = 0; i < tl_tail_nparams(t); i++) {
		struct tl_tail_param *p = tl_tail_param(t, i);
		if (strcmp(p->what, "W") == 0 && p->rank == 4)
			tl_scratch_he(&r, p->dims[0], p->n / p->dims[0], p->w);
		else
			memset(p->w, 0, (size_t)p->n * sizeof *p->w);
	}
}

int
tl_ft_epochs(const struct tl_ft_opts *o, size_t ntrain)
{
	size_t per = (ntrain + (size_t)o->batch - 1) / (size_t)(o->batch > 0 ? o->batch : 1);
	size_t e;

	if (o->epochs >= 0)
		return o->epochs;
	e = per ? ((size_t)o->min_steps + per - 1) / per : 200;
	return e < 5 ? 5 : e > 200 ? 200 : (int)e;
}

/* The Convs the network runs up to and including tensor `to`, in its
 * execution order: the whole network the tail is a part of. */
static int
convs_to(const struct tl_nn *nn, const char *to)
{
	const char *name, *op;
	int n = 0;

	for (int i = 0; (name = tl_nn_list_tensors(nn, i, &op)) != NULL; i++) {
		n += op != NULL && strcmp(op, "Conv") == 0;
		if (strcmp(name, to) == 0)
			break;
	}
	return n;
}

/* tl_ft_open, and the number of Convs up to the end into *net (if not
 * NULL). */
static struct tl_tail *
open_tail(const char *name, const char *sha256, const char *from, const char *to,
          char *to_out, size_t n, int *net, struct tl_err *err)
{
	struct tl_model m;
	struct tl_nn *nn;
	struct tl_tail *t;

	if (tl_model_open(name, &m, err) < 0)
		return NULL;
	if (sha256 != NULL && strcmp(m.sha256, sha256) != 0)
		return tl_err_set(err, "backbone %s: its files have sha256 %.12s, the embeddings "
		    "were made by %.12s", name, m.sha256, sha256), NULL;
	if (m.format == TL_MODEL_PIXELS)
		return tl_err_set(err, "backbone %s is raw pixels: no network to fine-tune",
		    m.name), NULL;
	if (to == NULL || *to == '\0')
		to = m.ft_to;
	if (*to == '\0')
		return tl_err_set(err, "backbone %s names no end for fine-tuning (tl-model.json "
		    "\"finetune\"): give --finetune-to LAYER", name), NULL;
	if (strcmp(from, to) == 0)
		return tl_err_set(err, "the embeddings are at %s, the end of %s's tail: fine-tuning "
		    "reads the maps at its cut, %s (tl-embed --cut)", to, m.name,
		    *m.ft_from ? m.ft_from : "?"), NULL;
	if ((nn = tl_model_load(&m, to, NULL, err)) == NULL)
		return NULL;
	t = tl_tail_new(nn, from, to, err);
	if (net != NULL)
		*net = convs_to(nn, to);
	tl_nn_free(nn);
	if (to_out != NULL)
		snprintf(to_out, n, "%s", to);
	return t;
}

struct tl_tail *
tl_ft_open(const char *name, const char *sha256, const char *from, const char *to,
           char *to_out, size_t n, struct tl_err *err)
{
	return open_tail(name, sha256, from, to, to_out, n, NULL, err);
}

int
tl_ft_features(struct tl_tail *t, const float *x, size_t n, float *f, struct tl_err *err)
{
	int64_t hwc[3];
	size_t in, c = (size_t)tl_tail_out_dim(t);

	tl_tail_in_shape(t, hwc);
	in = (size_t)(hwc[0] * hwc[1] * hwc[2]);
	for (size_t i = 0; i < n; i += FT_BATCH_FEATURES) {
		int b = (int)(n - i < FT_BATCH_FEATURES ? n - i : FT_BATCH_FEATURES);
		if (tl_tail_forward(t, x + i * in, b, f + i * c, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* The head's inputs of every record of ts (x = maps at the cut) into f
 * [n, C + F]: the tail's features, then the frozen parts' (ts->xf). */
static int
features(struct tl_tail *t, const struct tl_trainset *ts, float *f, struct tl_err *err)
{
	size_t c = (size_t)tl_tail_out_dim(t);
	float *tf;
	int rc;

	if (ts->fdim == 0)
		return tl_ft_features(t, ts->x, ts->n, f, err);
	if ((tf = malloc(ts->n * c * sizeof *tf + 1)) == NULL)
		return tl_err_set(err, "out of memory");
	rc = tl_ft_features(t, ts->x, ts->n, tf, err);
	if (rc == 0)
		for (size_t i = 0; i < ts->n; i++) {
			memcpy(f + i * (c + (size_t)ts->fdim), tf + i * c, c * sizeof *f);
			memcpy(f + i * (c + (size_t)ts->fdim) + c, ts->xf + i * (size_t)ts->fdim,
			    (size_t)ts->fdim * sizeof *f);
		}
	free(tf);
	return rc;
}

int
tl_ft_restore(struct tl_tail *t, const struct tl_tlm *m, struct tl_err *err)
{
	int n = tl_tail_nparams(t);

	if (m->tail.n != n)
		return tl_err_set(err, "the model's tail has %d parameters, this backbone's %d",
		    m->tail.n, n);
	for (int i = 0; i < n; i++) {
		struct tl_tail_param *p = tl_tail_param(t, i);
		const struct tl_tlm_tparam *q = &m->tail.p[i];
		int same = strcmp(p->node, q->node) == 0 && strcmp(p->what, q->what) == 0 &&
		    p->rank == q->ndim;
		for (int j = 0; same && j < p->rank; j++)
			same = (uint64_t)p->dims[j] == q->shape[j];
		if (!same)
			return tl_err_set(err, "the model's tail parameter %d (%s %s) does not match "
			    "the backbone's (%s %s)", i, q->node, q->what, p->node, p->what);
		memcpy(p->w, q->data, (size_t)p->n * sizeof *p->w);
	}
	return 0;
}

/* The tail's parameters into m. */
static int
store(struct tl_tlm *m, struct tl_tail *t, const char *from, const char *to, struct tl_err *err)
{
	int n = tl_tail_nparams(t);
	uint64_t *sizes = malloc((size_t)n * sizeof *sizes), shape[4];
	int rc = -1;

	if (sizes == NULL)
		return tl_err_set(err, "out of memory");
	for (int i = 0; i < n; i++)
		sizes[i] = (uint64_t)tl_tail_param(t, i)->n;
	if (tl_tlm_alloc_tail(m, from, to, n, sizes, err) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		struct tl_tail_param *p = tl_tail_param(t, i);
		for (int j = 0; j < p->rank; j++)
			shape[j] = (uint64_t)p->dims[j];
		if (tl_tlm_set_tparam(m, i, p->node, p->what, p->rank, shape, p->w, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(sizes);
	return rc;
}

/* ---- the joint training ------------------------------------------------ */

struct joint {
	struct tl_tail *t;
	struct tl_tlm *m;
	const struct tl_ft_opts *o;
	int b, c, k;              /* batch, features, classes */
	int ct, fd;               /* of the c features: the tail's, then the
	                           * frozen parts' (c = ct + fd) */
	const float *xf;          /* [n, fd] the frozen parts' features */
	float *tf, *dc;           /* batch: the tail's output, dL/d it [b, ct] */
	size_t in;                /* floats per map */
	float *x, *f, *u, *z, *d; /* batch: maps, features, head inputs, logits, dL/dfeat */
	float *gw, *gb;           /* head gradients [K,C], [K] */
	float *wts;               /* [B] the batch's weights, summing to 1 */
	const float *w;           /* [n] per record: 1, or with --balance 1/(its
	                           * class's train count), as tl_train weights */
	float **am, **av;         /* AdamW moments per tail parameter */
	float *hm, *hv;           /* and for the head: W then b */
	float *work;              /* tl_nn_gemm's */
	size_t *wi;               /* [b] joint_val's rows */
	long step, steps;
	double sweep;             /* > 0: the learning-rate finder's rate for
	                           * this step (the tail's last Conv), instead
	                           * of the one-cycle schedule */
};

/* Head inputs before normalisation: row i of out [n, ct + fd] is the
 * tail's output tf[i] [ct], then the frozen parts' features xf[idx[i]]
 * [fd] (idx NULL: row i of xf). */
static void
join(const float *tf, int ct, const float *xf, int fd, const size_t *idx, int n, float *out)
{
	size_t c = (size_t)ct + (size_t)fd;

	for (int i = 0; i < n; i++) {
		memcpy(out + (size_t)i * c, tf + (size_t)i * (size_t)ct, (size_t)ct * sizeof *out);
		if (fd > 0)
			memcpy(out + (size_t)i * c + ct, xf + (idx ? idx[i] : (size_t)i) * (size_t)fd,
			    (size_t)fd * sizeof *out);
	}
}

/* One step on the rows idx[0..b): forward, loss, backward, AdamW.  The
 * rows' weights j->w, scaled to sum to 1 over the batch (tl_train's MLP
 * does the same).  Returns the batch's weighted mean loss times its share
 * of the train set's weight, or -1 (err) when the tail fails. */
static double
step(struct joint *j, const float *maps, const int *labels, const size_t *idx, int b,
     struct tl_err *err)
{
	struct tl_tlm *m = j->m;
	int c = j->c, k = j->k, l2 = m->norm == TL_TLM_NORM_L2;
	const struct tl_optim_adamw adamw = TL_OPTIM_ADAMW;
	double loss, wsum = 0;

	for (int i = 0; i < b; i++)
		memcpy(j->x + (size_t)i * j->in, maps + idx[i] * j->in, j->in * sizeof *j->x);
	if (tl_tail_forward(j->t, j->x, b, j->tf, 1, err) < 0)
		return -1;
	join(j->tf, j->ct, j->xf, j->fd, idx, b, j->f);
	/* u: the head input (normalised, standardised); z = u W^T + b */
	for (int i = 0; i < b; i++) {
		float *f = j->f + (size_t)i * c, *u = j->u + (size_t)i * c;
		double s = 0;
		for (int q = 0; q < c; q++)
			s += (double)f[q] * f[q];
		s = l2 ? 1 / fmax(sqrt(s), 1e-12) : 1;
		for (int q = 0; q < c; q++)
			u[q] = (float)(f[q] * s - m->mean[q]) * m->scale[q];
	}
	tl_nn_gemm(0, 1, b, k, c, j->u, c, m->w1, c, j->z, k, j->work);
	for (int i = 0; i < b; i++)
		wsum += j->w[idx[i]];
	for (int i = 0; i < b; i++) {
		for (int q = 0; q < k; q++)
			j->z[i * k + q] += m->b1[q];
		j->wts[i] = (float)(j->w[idx[i]] / wsum);
	}
	{
		int ys[4096];
		for (int i = 0; i < b; i++)
			ys[i] = labels[idx[i]];
		loss = wsum * tl_train_xent((size_t)b, k, j->z, ys, j->wts, j->o->label_smoothing);
	}
	/* head gradients, then dL/du = dz W, back through the standardisation
	 * and the L2 normalisation: df = (du - v (v . du)) / |f|, v = f/|f| */
	tl_nn_gemm(1, 0, k, c, b, j->z, k, j->u, c, j->gw, c, j->work);
	for (int q = 0; q < k; q++) {
		double s = 0;
		for (int i = 0; i < b; i++)
			s += j->z[i * k + q];
		j->gb[q] = (float)s;
	}
	tl_nn_gemm(0, 0, b, c, k, j->z, k, m->w1, c, j->d, c, j->work);
	for (int i = 0; i < b; i++) {
		float *f = j->f + (size_t)i * c, *d = j->d + (size_t)i * c;
		double nf = 0, dot = 0;
		for (int q = 0; q < c; q++)
			d[q] *= m->scale[q], nf += (double)f[q] * f[q];
		if (!l2)
			continue;
		nf = fmax(sqrt(nf), 1e-12);
		for (int q = 0; q < c; q++)
			dot += (double)f[q] / nf * d[q];
		for (int q = 0; q < c; q++)
			d[q] = (float)((d[q] - f[q] / nf * dot) / nf);
	}
	for (int i = 0; i < b; i++) /* the tail's share: no gradient into the frozen features */
		memcpy(j->dc + (size_t)i * j->ct, j->d + (size_t)i * c, (size_t)j->ct * sizeof *j->dc);
	tl_tail_zero_grad(j->t);
	if (tl_tail_backward(j->t, j->dc, err) < 0)
		return -1;
	/* AdamW: decoupled decay on weights, not biases */
	j->step++;
	for (int pi = 0; pi < tl_tail_nparams(j->t); pi++) {
		struct tl_tail_param *p = tl_tail_param(j->t, pi);
		double lr = j->sweep > 0 ? j->sweep * pow(j->o->decay, p->depth) :
		    tl_optim_one_cycle(j->o->lr * pow(j->o->decay, p->depth), j->step - 1, j->steps);
		double wd = strcmp(p->what, "W") == 0 ? j->o->wd : 0;
		tl_optim_adamw(&adamw, j->step, lr, wd, (size_t)p->n, p->w, p->g, j->am[pi], j->av[pi]);
	}
	{
		double lr = j->sweep > 0 ? j->sweep * j->o->head_lr / j->o->lr :
		    tl_optim_one_cycle(j->o->head_lr, j->step - 1, j->steps);
		size_t nw = (size_t)k * (size_t)c;
		tl_optim_adamw(&adamw, j->step, lr, j->o->wd, nw, m->w1, j->gw, j->hm, j->hv);
		tl_optim_adamw(&adamw, j->step, lr, 0, (size_t)k, m->b1, j->gb, j->hm + nw, j->hv + nw);
	}
	return loss;
}

/* Val metrics of the jointly trained head at T = 1, the val maps run
 * through the tail a batch at a time (through j->x) into e. */
static int
joint_val(struct joint *j, const struct tl_trainset *ts, struct tl_probq *vm,
          struct tl_err *err)
{
	size_t nv = 0, c = (size_t)j->c, k = (size_t)j->k, r = 0;
	float *e, *p, *work;
	int *y, b = 0, rc = -1;

	for (size_t i = 0; i < ts->n; i++)
		nv += ts->val[i] == 1;
	memset(vm, 0, sizeof *vm);
	if (nv == 0)
		return 0;
	e = malloc(nv * c * sizeof *e);
	p = malloc(nv * k * sizeof *p);
	y = malloc(nv * sizeof *y);
	work = malloc(tl_head_work_size(j->m, nv) * sizeof *work);
	if (e == NULL || p == NULL || y == NULL || work == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->val[i] == 1) {
			memcpy(j->x + (size_t)b * j->in, ts->x + i * j->in, j->in * sizeof *j->x);
			j->wi[b] = i;
			y[r + (size_t)b++] = ts->y[i];
		}
		if (b > 0 && (b == j->b || i + 1 == ts->n)) {
			if (tl_tail_forward(j->t, j->x, b, j->tf, 0, err) < 0)
				goto out;
			join(j->tf, j->ct, j->xf, j->fd, j->wi, b, e + r * c);
			r += (size_t)b, b = 0;
		}
	}
	tl_head_logits(j->m, nv, e, p, work);
	tl_head_softmax(nv, j->k, p, 1, p);
	tl_probq_eval(&tl_probq_train, nv, j->k, p, y, vm);
	rc = 0;
out:
	free(e), free(p), free(y), free(work);
	return rc;
}

/* Every tail parameter, then the head's W and b, into *buf (allocated on
 * first use). */
static int
snapshot(struct joint *j, float **buf)
{
	size_t n = (size_t)j->k * (size_t)j->c + (size_t)j->k, off = 0;

	for (int i = 0; i < tl_tail_nparams(j->t); i++)
		n += (size_t)tl_tail_param(j->t, i)->n;
	if (*buf == NULL && (*buf = malloc(n * sizeof **buf)) == NULL)
		return -1;
	for (int i = 0; i < tl_tail_nparams(j->t); i++) {
		struct tl_tail_param *p = tl_tail_param(j->t, i);
		memcpy(*buf + off, p->w, (size_t)p->n * sizeof *p->w);
		off += (size_t)p->n;
	}
	memcpy(*buf + off, j->m->w1, (size_t)j->k * (size_t)j->c * sizeof *j->m->w1);
	memcpy(*buf + off + (size_t)j->k * (size_t)j->c, j->m->b1, (size_t)j->k * sizeof *j->m->b1);
	return 0;
}

static void
restore(struct joint *j, const float *buf)
{
	size_t off = 0;

	for (int i = 0; i < tl_tail_nparams(j->t); i++) {
		struct tl_tail_param *p = tl_tail_param(j->t, i);
		memcpy(p->w, buf + off, (size_t)p->n * sizeof *p->w);
		off += (size_t)p->n;
	}
	memcpy(j->m->w1, buf + off, (size_t)j->k * (size_t)j->c * sizeof *j->m->w1);
	memcpy(j->m->b1, buf + off + (size_t)j->k * (size_t)j->c, (size_t)j->k * sizeof *j->m->b1);
}

/* The learning-rate finder's steps (finetune.h tl_ft_lrfind) on the train
 * rows idx[0..ntr), epochs of them as the steps need, shuffled as
 * joint_train shuffles. */
static int
sweep(struct joint *j, const struct tl_trainset *ts, size_t *idx, size_t ntr,
      struct tl_rng *rng, struct tl_train_lrfind *lf, struct tl_err *err)
{
	double avg = 0, best = INFINITY;
	long t = 0;

	while (!lf->stopped && t < lf->steps) {
		for (size_t i = ntr - 1; i > 0; i--) { /* Fisher-Yates */
			size_t r = (size_t)(tl_rng_u64(rng) % (i + 1)), tmp = idx[i];
			idx[i] = idx[r], idx[r] = tmp;
		}
		for (size_t b0 = 0; b0 < ntr && !lf->stopped && t < lf->steps; b0 += (size_t)j->b, t++) {
			int b = (int)(ntr - b0 < (size_t)j->b ? ntr - b0 : (size_t)j->b);
			double wsum = 0, l;
			for (int i = 0; i < b; i++)
				wsum += j->w[idx[b0 + (size_t)i]];
			j->sweep = lf->start * pow(lf->end / lf->start, (double)t / (lf->steps - 1));
			if ((l = step(j, ts->x, ts->y, idx + b0, b, err)) < 0)
				return -1;
			l /= wsum; /* the batch's weighted mean loss, before the update */
			avg = 0.98 * avg + 0.02 * l;
			lf->lr[t] = j->sweep, lf->loss[t] = l;
			lf->smooth[t] = avg / (1 - pow(0.98, (double)(t + 1)));
			lf->n = (int)t + 1;
			best = lf->smooth[t] < best ? lf->smooth[t] : best;
			if (!isfinite(lf->smooth[t]) || lf->smooth[t] > 4 * best)
				lf->stopped = 1;
		}
	}
	j->sweep = 0;
	return 0;
}

static int
joint_train(struct tl_tail *t, struct tl_tlm *m, const struct tl_trainset *ts,
            const struct tl_train_opts *to, const struct tl_ft_opts *o, float *feat,
            struct tl_probq *vm, int *best_epoch, struct tl_err *err)
{
	float *best = NULL, *w = NULL;
	double best_ll, wtot = 0;
	struct joint j = { .t = t, .m = m, .o = o, .b = o->batch, .c = m->dim, .k = m->nclass };
	int np = tl_tail_nparams(t), rc = -1;
	size_t ntr = 0, *idx = NULL;
	int64_t hwc[3];
	struct tl_rng rng;
	char line[256];

	tl_tail_in_shape(t, hwc);
	j.in = (size_t)(hwc[0] * hwc[1] * hwc[2]);
	j.ct = (int)tl_tail_out_dim(t), j.fd = ts->fdim, j.xf = ts->xf;
	for (size_t i = 0; i < ts->n; i++)
		ntr += ts->val[i] == 0;
	if (j.b > 4096)
		j.b = 4096;
	j.tf = malloc((size_t)j.b * (size_t)j.ct * 2 * sizeof *j.tf);
	j.wi = malloc((size_t)j.b * sizeof *j.wi);
	j.x = malloc((size_t)j.b * j.in * sizeof *j.x);
	j.f = malloc((size_t)j.b * (size_t)j.c * 3 * sizeof *j.f);
	j.z = malloc((size_t)j.b * (size_t)j.k * sizeof *j.z);
	j.gw = malloc(((size_t)j.k * (size_t)j.c + (size_t)j.k) * sizeof *j.gw);
	j.wts = malloc((size_t)j.b * sizeof *j.wts);
	j.am = calloc((size_t)np, sizeof *j.am);
	j.av = calloc((size_t)np, sizeof *j.av);
	j.hm = calloc(2 * ((size_t)j.k * (size_t)j.c + (size_t)j.k), sizeof *j.hm);
	j.work = malloc((tl_nn_gemm_work(j.b, j.k, j.c) + tl_nn_gemm_work(j.k, j.c, j.b) +
	    tl_nn_gemm_work(j.b, j.c, j.k)) * sizeof *j.work);
	idx = malloc((ntr + 1) * sizeof *idx);
	j.w = w = malloc((ts->n + 1) * sizeof *w);
	if (j.tf == NULL || j.wi == NULL || w == NULL || j.x == NULL || j.f == NULL || j.z == NULL || j.gw == NULL || j.wts == NULL ||
	    j.am == NULL || j.av == NULL || j.hm == NULL || j.work == NULL || idx == NULL)
		goto oom;
	j.dc = j.tf + (size_t)j.b * (size_t)j.ct;
	j.u = j.f + (size_t)j.b * (size_t)j.c;
	j.d = j.u + (size_t)j.b * (size_t)j.c;
	j.gb = j.gw + (size_t)j.k * (size_t)j.c;
	j.hv = j.hm + (size_t)j.k * (size_t)j.c + (size_t)j.k;
	for (int i = 0; i < np; i++) {
		int64_t n = tl_tail_param(t, i)->n;
		if ((j.am[i] = calloc((size_t)n, sizeof **j.am)) == NULL ||
		    (j.av[i] = calloc((size_t)n, sizeof **j.av)) == NULL)
			goto oom;
	}
	ntr = 0;
	for (size_t i = 0; i < ts->n; i++) {
		w[i] = 0;
		if (ts->val[i] != 0)
			continue;
		idx[ntr++] = i;
		w[i] = to->balance ? (float)(1.0 / (double)ts->count[2 * ts->y[i]]) : 1;
		wtot += w[i];
	}
	for (size_t i = 0; i < ts->n; i++)
		w[i] = (float)(w[i] / wtot);
	j.steps = (long)o->epochs * (long)((ntr + (size_t)j.b - 1) / (size_t)j.b);
	tl_rng_seed(&rng, to->seed ^ 0x66696e65 /* "fine" */);
	if (o->lrfind) { /* the sweep instead of the epochs */
		rc = sweep(&j, ts, idx, ntr, &rng, o->lrfind, err);
		goto out;
	}
	/* epoch 0 is the untouched tail with the frozen head: the kept state
	 * is the epoch with the best val log loss, so tuning never ends worse
	 * on val than not tuning */
	if (snapshot(&j, &best) < 0 || joint_val(&j, ts, vm, err) < 0)
		goto out;
	best_ll = vm->logloss, *best_epoch = 0;
	if (o->epoch)
		o->epoch(o->epoch_ctx, 0, o->epochs);
	for (int ep = 0; ep < o->epochs; ep++) {
		double sum = 0;
		for (size_t i = ntr - 1; i > 0; i--) { /* Fisher-Yates */
			size_t r = (size_t)(tl_rng_u64(&rng) % (i + 1)), tmp = idx[i];
			idx[i] = idx[r], idx[r] = tmp;
		}
		for (size_t b0 = 0; b0 < ntr; b0 += (size_t)j.b) {
			int b = (int)(ntr - b0 < (size_t)j.b ? ntr - b0 : (size_t)j.b);
			double l = step(&j, ts->x, ts->y, idx + b0, b, err);
			if (l < 0)
				goto out;
			sum += l;
		}
		if (joint_val(&j, ts, vm, err) < 0)
			goto out;
		snprintf(line, sizeof line, "fine-tune epoch %d: loss %.4f, val accuracy %.4f log loss %.4f",
		    ep + 1, sum, vm->acc, vm->logloss);
		if (to->log)
			to->log(to->log_ctx, line);
		if (o->epoch)
			o->epoch(o->epoch_ctx, ep + 1, o->epochs);
		if (vm->logloss < best_ll) {
			best_ll = vm->logloss, *best_epoch = ep + 1;
			if (snapshot(&j, &best) < 0)
				goto oom;
		}
	}
	restore(&j, best);
	if (joint_val(&j, ts, vm, err) < 0)
		goto out;
	rc = features(t, ts, feat, err);
	goto out;
oom:
	tl_err_set(err, "out of memory");
out:
	for (int i = 0; j.am && j.av && i < np; i++)
		free(j.am[i]), free(j.av[i]);
	free(j.am), free(j.av), free(j.x), free(j.f), free(j.z), free(j.gw), free(j.wts);
	free(j.hm), free(j.work), free(idx), free(best), free(w), free(j.tf), free(j.wi);
	return rc;
}

/* ---- OOD in the backbone's own features ------------------------------- */

/* The untouched tail from the cut to the backbone's feature layer (its
 * sidecar's "features"), when that layer lies inside the tail: tuning makes
 * the end's features tell the classes apart, not tell what is neither (on
 * hymenoptera the tuned out_relu rejected 21 of 53 foreign images, the
 * backbone's block_13_expand_relu 53).  NULL when there is none. */
static struct tl_tail *
open_ood_tail(const char *name, const char *sha, const char *from, const char *end, char *layer,
              size_t n)
{
	struct tl_model mo;
	struct tl_tail *t;

	if (tl_model_open(name, &mo, NULL) < 0 || mo.layer[0] == '\0' || strcmp(mo.layer, end) == 0 ||
	    strcmp(mo.layer, from) == 0)
		return NULL;
	if ((t = tl_ft_open(name, sha, from, mo.layer, NULL, 0, NULL)) != NULL)
		snprintf(layer, n, "%s", mo.layer);
	return t;
}

/* The OOD statistics of m in the space of ot's features: fitted on the
 * train maps, the threshold keeping `keep` of val.  With frozen parts (o
 * nparts > 1) the space is ot's features, then the records' emb_frozen,
 * and the OOD is per part (tlm.h ood_nparts), the parts o's with ot's
 * width first. */
static int
ood_space(struct tl_tlm *m, struct tl_tail *ot, const struct tl_trainset *ts,
          const struct tl_train_opts *o, const char *layer, struct tl_train_report *rep,
          struct tl_err *err)
{
	size_t ct = (size_t)tl_tail_out_dim(ot), fd = (size_t)ts->fdim, od = ct + fd;
	size_t ntr = 0, nva = 0, r = 0, v = 0;
	float *f = malloc(ts->n * od * sizeof *f + 1), *x = malloc(ts->n * od * sizeof *x + 1);
	float *work = NULL, *sc = malloc((ts->n + 1) * sizeof *sc);
	int *y = malloc((ts->n + 1) * sizeof *y), rc = -1;

	if (f == NULL || x == NULL || sc == NULL || y == NULL ||
	    tl_tlm_alloc_ood_space(m, layer, (int)od, err) < 0 ||
	    (work = malloc(tl_head_work_size(m, ts->n) * sizeof *work)) == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	if (fd > 0 && o->nparts > 1) {
		m->ood_nparts = o->nparts;
		m->ood_part_dim[0] = (int)ct;
		m->ood_part_scale[0] = 1;
		for (int p = 1; p < o->nparts; p++)
			m->ood_part_dim[p] = o->part_dim[p], m->ood_part_scale[p] = 1;
	}
	if (tl_ft_features(ot, ts->x, ts->n, fd ? x : f, err) < 0)
		goto out;
	for (size_t i = 0; fd && i < ts->n; i++) { /* ot's features, then the frozen parts' */
		memcpy(f + i * od, x + i * ct, ct * sizeof *f);
		memcpy(f + i * od + ct, ts->xf + i * fd, fd * sizeof *f);
	}
	/* train rows first, then val rows; the mean and scale from train */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ts->n; i++)
			if (ts->val[i] == pass) {
				memcpy(x + r * od, f + i * od, od * sizeof *x);
				y[r++] = ts->y[i];
				ntr += pass == 0, nva += pass == 1;
			}
	tl_head_ood_input(m, r, x, x); /* normalised only: mean 0, scale 1 */
	if (tl_train_stats(ntr, od, x, m->ood_mean, m->ood_scale) < 0) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r * od; i++)
		x[i] = (x[i] - m->ood_mean[i % od]) * m->ood_scale[i % od];
	if (tl_ood_fit(m, ntr, x, y, o->shrinkage, err) < 0)
		goto out;
	if (m->ood_nparts > 1 && tl_ood_part_scales(m, nva >= 2 ? nva : ntr,
	    nva >= 2 ? x + ntr * od : x, o->keep, work, err) < 0)
		goto out;
	tl_head_ood(m, nva, x + ntr * od, sc, work);
	m->ood_keep = (float)o->keep;
	m->ood_threshold = nva ? (float)tl_ood_threshold(nva, sc, o->keep) : INFINITY;
	rep->ood_threshold = m->ood_threshold;
	rep->ood_kept = 0;
	for (v = 0; v < nva; v++)
		rep->ood_kept += sc[v] <= m->ood_threshold;
	rep->ood_kept = nva ? rep->ood_kept / (double)nva : 1;
	rc = 0;
out:
	free(f), free(x), free(work), free(sc), free(y);
	return rc;
}

/* ---- the whole ---------------------------------------------------------- */

static const char *
header_str(const struct tl_rec *h, const char *map, const char *key, char *buf, size_t n)
{
	const msgpack_object *o = tl_rec_get(h, map);

	if (key != NULL)
		o = tl_obj_get(o, key);
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	snprintf(buf, n, "%.*s", (int)o->via.str.size, o->via.str.ptr);
	return buf;
}

/* The frozen parts of a stream of several backbones' maps (tl-embed -m
 * a+b --cut): the parts after the first, pooled, in "emb_frozen". */
struct frozen {
	int n;                    /* 0: one backbone */
	int dim[TL_TLM_MAX_PARTS], total;
	char name[TL_TLM_MAX_PARTS][128], layer[TL_TLM_MAX_PARTS][512];
};

static int
obj_str(const msgpack_object *o, char *buf, size_t n)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return -1;
	snprintf(buf, n, "%.*s", (int)o->via.str.size, o->via.str.ptr);
	return 0;
}

/* name, sha and from of the tuned (first) backbone and the frozen parts
 * from the header's "backbones" and "dims_frozen"; 0 when there are none
 * (fz->n = 0), -1 with err when they do not describe maps of the first
 * backbone and pooled features of the others. */
static int
header_parts(const struct tl_rec *h, char *name, char *sha, char *from, struct frozen *fz,
             struct tl_err *err)
{
	const msgpack_object *bb = tl_rec_get(h, "backbones"), *df = tl_rec_get(h, "dims_frozen");
	uint32_t n;

	memset(fz, 0, sizeof *fz);
	if (bb == NULL && df == NULL)
		return 0;
	if (bb == NULL || bb->type != MSGPACK_OBJECT_ARRAY || (n = bb->via.array.size) < 2 ||
	    n > TL_TLM_MAX_PARTS || df == NULL || df->type != MSGPACK_OBJECT_ARRAY ||
	    df->via.array.size != 1 || df->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return tl_err_set(err, "stream header: several backbones, but not the maps of the "
		    "first with the others' pooled features (\"backbones\", \"dims_frozen\"): "
		    "fine-tuning reads tl-embed -m A+B --cut output");
	if (obj_str(tl_obj_get(&bb->via.array.ptr[0], "name"), name, 128) < 0 ||
	    obj_str(tl_obj_get(&bb->via.array.ptr[0], "sha256"), sha, 128) < 0 ||
	    obj_str(tl_obj_get(&bb->via.array.ptr[0], "layer"), from, 128) < 0)
		return tl_err_set(err, "stream header: backbones[0] has no name, sha256 or layer");
	for (uint32_t i = 1; i < n; i++) {
		const msgpack_object *p = &bb->via.array.ptr[i], *d = tl_obj_get(p, "dims");
		if (obj_str(tl_obj_get(p, "name"), fz->name[fz->n], sizeof fz->name[0]) < 0 ||
		    obj_str(tl_obj_get(p, "layer"), fz->layer[fz->n], sizeof fz->layer[0]) < 0 ||
		    d == NULL || d->type != MSGPACK_OBJECT_ARRAY || d->via.array.size != 1 ||
		    d->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    d->via.array.ptr[0].via.u64 < 1 || d->via.array.ptr[0].via.u64 > TL_TLM_MAX_DIM)
			return tl_err_set(err, "stream header: backbones[%u] is not a pooled part "
			    "(name, layer, dims [D])", i);
		fz->dim[fz->n] = (int)d->via.array.ptr[0].via.u64;
		fz->total += fz->dim[fz->n++];
	}
	if ((uint64_t)fz->total != df->via.array.ptr[0].via.u64)
		return tl_err_set(err, "stream header: \"dims_frozen\" [%llu], the frozen parts' "
		    "dims add up to %d", (unsigned long long)df->via.array.ptr[0].via.u64, fz->total);
	return 0;
}

/* The tail a run on a stream with this header would train, its backbone
 * and cut read from the header (name, sha and from, each 128 bytes; with
 * several backbones the first's, the others frozen into fz), its end
 * from --finetune-to, the --init model's tail, or the sidecar (into end). */
static struct tl_tail *
open_run_tail(const struct tl_rec *header, const struct tl_train_opts *to,
              const struct tl_ft_opts *fo, char *name, char *sha, char *from, char *end,
              int *net, struct frozen *fz, struct tl_err *err)
{
	const msgpack_object *d = tl_rec_get(header, "dims");
	struct tl_tail *t;
	int64_t hwc[3], n = 1;

	if (header_parts(header, name, sha, from, fz, err) < 0)
		return NULL;
	if (fz->n == 0 && (header_str(header, "model", "name", name, 128) == NULL ||
	    header_str(header, "model", "sha256", sha, 128) == NULL ||
	    header_str(header, "layer", NULL, from, 128) == NULL))
		return tl_err_set(err, "stream header: no backbone \"model\" and \"layer\" "
		    "(fine-tuning reads tl-embed --cut output)"), NULL;
	if (to->head != TL_TLM_LINEAR || to->norm == TL_TLM_NORM_SQRT)
		return tl_err_set(err, "fine-tuning trains a linear head with --norm l2 or none"), NULL;
	if ((t = open_tail(name, sha, from, to->init != NULL && to->init->tail.n > 0 &&
	    fo->to == NULL ? to->init->tail.to : fo->to, end, 128, net, err)) == NULL)
		return NULL;
	tl_tail_in_shape(t, hwc);
	for (uint32_t i = 0; d != NULL && d->type == MSGPACK_OBJECT_ARRAY && i < d->via.array.size; i++)
		n *= d->via.array.ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (int64_t)d->via.array.ptr[i].via.u64 : 0;
	if (d != NULL && n != hwc[0] * hwc[1] * hwc[2]) {
		tl_err_set(err, "the embeddings have %lld values, the maps at %s %lld: want "
		    "tl-embed --cut (or -l %s -p none) output", (long long)n, from,
		    (long long)(hwc[0] * hwc[1] * hwc[2]), from);
		tl_tail_free(t);
		return NULL;
	}
	return t;
}

/* Multiply-adds of one image through backbone `name` from its input to
 * `layer` (its Convs, as tl_tail_macs counts them); -1 when that part of
 * the network is not one a tail can hold. */
static long long
part_macs(const char *name, const char *layer)
{
	struct tl_model mo;
	struct tl_nn *nn;
	struct tl_tail *t = NULL;
	const char *in;
	long long macs = -1;

	if (tl_model_open(name, &mo, NULL) < 0 || (nn = tl_model_load(&mo, layer, NULL, NULL)) == NULL)
		return -1;
	if ((in = tl_nn_list_tensors(nn, 0, NULL)) != NULL &&
	    (t = tl_tail_new(nn, *mo.input_node ? mo.input_node : in, layer, NULL)) != NULL)
		macs = tl_tail_macs(t);
	tl_tail_free(t);
	tl_nn_free(nn);
	return macs;
}

int
tl_ft_check(const struct tl_rec *header, const struct tl_train_opts *to,
            const struct tl_ft_opts *fo, struct tl_ft_plan *plan, struct tl_err *err)
{
	char name[128], sha[128], from[128], end[128];
	int net = 0;
	struct frozen fz;
	struct tl_tail *t = open_run_tail(header, to, fo, name, sha, from, end, &net, &fz, err);

	if (t == NULL)
		return -1;
	if (plan != NULL) {
		memset(plan, 0, sizeof *plan);
		snprintf(plan->from, sizeof plan->from, "%s", from);
		snprintf(plan->to, sizeof plan->to, "%s", end);
		plan->convs = tl_tail_depth(t);
		plan->net_convs = net;
		for (int i = 0; i < tl_tail_nparams(t); i++)
			plan->params += tl_tail_param(t, i)->n;
		plan->macs = tl_tail_macs(t);
		plan->nfrozen = fz.n;
		plan->frozen_dim = fz.total;
		for (int i = 0; i < fz.n; i++) {
			long long pm = part_macs(fz.name[i], fz.layer[i]);
			size_t l = strlen(plan->frozen);
			snprintf(plan->frozen + l, sizeof plan->frozen - l, "%s%s", i ? "+" : "",
			    fz.name[i]);
			plan->frozen_macs = pm < 0 || plan->frozen_macs < 0 ? -1 : plan->frozen_macs + pm;
		}
	}
	tl_tail_free(t);
	return 0;
}

struct tl_tlm *
tl_ft_train(const struct tl_train_opts *to, const struct tl_ft_opts *fo,
            const struct tl_trainset *ts, const struct tl_rec *header,
            struct tl_train_report *rep, struct tl_ft_report *frep, struct tl_err *err)
{
	char name[128], sha[128], from[128], layer[128];
	const char *end;
	char endbuf[128];
	struct tl_tail *ot = NULL;
	int ood_in_tail;
	struct tl_tail *t;
	struct tl_trainset fs = *ts; /* the same records, x = the tail's features */
	struct tl_train_opts o1 = *to;
	struct tl_ft_opts fr = *fo; /* with the epochs resolved */
	struct tl_tlm *m = NULL, *head = NULL;
	float *feat = NULL;
	size_t ntrain = 0;
	int64_t hwc[3];
	struct frozen fz;

	memset(frep, 0, sizeof *frep);
	if ((t = open_run_tail(header, to, fo, name, sha, from, endbuf, NULL, &fz, err)) == NULL)
		return NULL;
	end = endbuf;
	if (fz.total != ts->fdim) {
		tl_err_set(err, "the records' emb_frozen have %d values, the header's frozen parts %d",
		    ts->fdim, fz.total);
		goto out;
	}
	/* OOD in the backbone's own feature layer; with several backbones per
	 * part, that layer's features then the frozen parts' */
	ot = fo->scratch ? NULL : open_ood_tail(name, sha, from, end, layer, sizeof layer);
	ood_in_tail = ot != NULL;
	tl_tail_in_shape(t, hwc);
	if ((int64_t)ts->dim != hwc[0] * hwc[1] * hwc[2]) {
		tl_err_set(err, "the embeddings have %d values, the maps at %s %lld: want "
		    "tl-embed --cut (or -l %s -p none) output", ts->dim, from,
		    (long long)(hwc[0] * hwc[1] * hwc[2]), from);
		goto out;
	}
	if (to->init != NULL && to->init->tail.n > 0) {
		if (strcmp(to->init->tail.from, from) != 0 || strcmp(to->init->tail.to, end) != 0) {
			tl_err_set(err, "--init model's tail runs from %s to %s, this one from %s to %s",
			    to->init->tail.from, to->init->tail.to, from, end);
			goto out;
		}
		if (tl_ft_restore(t, to->init, err) < 0)
			goto out;
	} else if (to->init != NULL) {
		tl_err_set(err, "--init model has no tail (it was not fine-tuned)");
		goto out;
	}
	if (fo->scratch)
		tl_ft_reinit(t, to->seed);
	snprintf(frep->from, sizeof frep->from, "%s", from);
	snprintf(frep->to, sizeof frep->to, "%s", end);
	frep->convs = tl_tail_depth(t);
	for (int i = 0; i < tl_tail_nparams(t); i++)
		frep->params += tl_tail_param(t, i)->n;
	fs.dim = (int)tl_tail_out_dim(t) + fz.total;
	if (fz.n > 0) { /* the parts: the tail's output, then the frozen ones */
		o1.nparts = fz.n + 1;
		o1.part_dim[0] = (int)tl_tail_out_dim(t);
		for (int i = 0; i < fz.n; i++)
			o1.part_dim[i + 1] = fz.dim[i];
	}
	if ((feat = malloc(ts->n * (size_t)fs.dim * sizeof *feat + 1)) == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	fs.x = feat;
	if (features(t, ts, feat, err) < 0)
		goto out;
	for (size_t i = 0; i < ts->n; i++)
		ntrain += ts->val[i] == 0;
	frep->epochs = fr.epochs = tl_ft_epochs(fo, ntrain);
	if (fr.epochs > 0) {
		o1.ood = 0;
		if ((head = tl_train(&o1, &fs, &frep->frozen, err)) == NULL ||
		    joint_train(t, head, ts, to, &fr, feat, &frep->joint_val, &frep->best_epoch, err) < 0)
			goto out;
	}
	/* the head trained with the tail, calibrated on the tuned features;
	 * without joint epochs a head fitted on them */
	{
		struct tl_train_opts parts = o1;
		o1 = *to;
		o1.nparts = parts.nparts;
		memcpy(o1.part_dim, parts.part_dim, sizeof o1.part_dim);
	}
	if (head != NULL) {
		o1.init = head;
		o1.keep_head = 1;
		o1.l2 = frep->frozen.l2;
	}
	o1.ood = o1.ood && !ood_in_tail;
	if ((m = tl_train(&o1, &fs, rep, err)) == NULL || store(m, t, from, end, err) < 0 ||
	    (to->ood && ood_in_tail && ood_space(m, ot, ts, &o1, layer, rep, err) < 0)) {
		tl_tlm_free(m);
		m = NULL;
	}
out:
	tl_tlm_free(head);
	tl_tail_free(t);
	tl_tail_free(ot);
	free(feat);
	return m;
}

int
tl_ft_lrfind(const struct tl_train_opts *to, const struct tl_ft_opts *fo,
             const struct tl_trainset *ts, const struct tl_rec *header,
             struct tl_train_lrfind *lf, struct tl_err *err)
{
	char name[128], sha[128], from[128], end[128];
	struct tl_trainset fs = *ts;
	struct tl_train_opts o1 = *to;
	struct tl_ft_opts fr = *fo;
	struct tl_train_report rep;
	struct tl_tlm *head = NULL;
	struct tl_tail *t;
	struct tl_probq vm;
	struct frozen fz;
	float *feat = NULL;
	int *work = NULL, best, rc = -1;
	int64_t hwc[3];

	lf->lr = NULL, lf->n = 0, lf->stopped = 0, lf->valley = 0, lf->suggest = 0;
	if (!(lf->start > 0) || !(lf->end > lf->start) || lf->steps < 2 ||
	    lf->steps > TL_TRAIN_LRFIND_MAX)
		return tl_err_set(err, "learning-rate sweep: want 0 < start < end and 2 to %d steps",
		    TL_TRAIN_LRFIND_MAX);
	if ((t = open_run_tail(header, to, fo, name, sha, from, end, NULL, &fz, err)) == NULL)
		return -1;
	tl_tail_in_shape(t, hwc);
	if (fz.total != ts->fdim || (int64_t)ts->dim != hwc[0] * hwc[1] * hwc[2]) {
		tl_err_set(err, "the embeddings have %d values (and %d frozen), the maps at %s %lld "
		    "(and %d): want tl-embed --cut output", ts->dim, ts->fdim, from,
		    (long long)(hwc[0] * hwc[1] * hwc[2]), fz.total);
		goto out;
	}
	if (to->init != NULL && (to->init->tail.n == 0 || strcmp(to->init->tail.from, from) != 0 ||
	    strcmp(to->init->tail.to, end) != 0 || tl_ft_restore(t, to->init, err) < 0)) {
		if (to->init->tail.n == 0 || strcmp(to->init->tail.from, from) != 0 ||
		    strcmp(to->init->tail.to, end) != 0)
			tl_err_set(err, "--init model's tail is not this one (%s to %s)", from, end);
		goto out;
	}
	fs.dim = (int)tl_tail_out_dim(t) + fz.total;
	if (fz.n > 0) {
		o1.nparts = fz.n + 1;
		o1.part_dim[0] = (int)tl_tail_out_dim(t);
		for (int i = 0; i < fz.n; i++)
			o1.part_dim[i + 1] = fz.dim[i];
	}
	lf->lr = malloc(3 * (size_t)lf->steps * sizeof *lf->lr);
	feat = malloc(ts->n * (size_t)fs.dim * sizeof *feat + 1);
	work = malloc((size_t)lf->steps * sizeof *work);
	if (lf->lr == NULL || feat == NULL || work == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	lf->loss = lf->lr + lf->steps, lf->smooth = lf->loss + lf->steps;
	fs.x = feat;
	o1.ood = 0;
	fr.lrfind = lf;
	if (features(t, ts, feat, err) < 0 || (head = tl_train(&o1, &fs, &rep, err)) == NULL ||
	    joint_train(t, head, ts, to, &fr, feat, &vm, &best, err) < 0)
		goto out;
	if (lf->n < 1) {
		tl_err_set(err, "learning-rate sweep: no step ran");
		goto out;
	}
	lf->valley = tl_train_valley(lf->n, lf->smooth, work);
	lf->suggest = lf->lr[lf->valley];
	rc = 0;
out:
	if (rc < 0)
		tl_train_lrfind_free(lf);
	tl_tlm_free(head);
	tl_tail_free(t);
	free(feat);
	free(work);
	return rc;
}

int
tl_ft_meta(const struct tl_ft_opts *o, const struct tl_ft_report *r, struct tl_rec *meta)
{
	struct tl_rec *f = tl_rec_new(), *tmp = tl_rec_new();
	int rc = -1;

	if (f == NULL || tmp == NULL || tl_rec_set_str(f, "from", r->from) < 0 || tl_rec_set_str(f, "to", r->to) < 0 ||
	    tl_rec_set_u64(f, "convs", (uint64_t)r->convs) < 0 ||
	    tl_rec_set_u64(f, "params", (uint64_t)r->params) < 0 ||
	    tl_rec_set_u64(f, "epochs", (uint64_t)r->epochs) < 0 ||
	    tl_rec_set_u64(f, "best_epoch", (uint64_t)r->best_epoch) < 0 ||
	    tl_rec_set_u64(f, "batch", (uint64_t)o->batch) < 0 ||
	    tl_rec_set_f64(f, "lr", o->lr) < 0 || tl_rec_set_f64(f, "head_lr", o->head_lr) < 0 ||
	    tl_rec_set_f64(f, "decay", o->decay) < 0 || tl_rec_set_f64(f, "wd", o->wd) < 0 ||
	    tl_rec_set_f64(f, "label_smoothing", o->label_smoothing) < 0 ||
	    (o->scratch && tl_rec_set_bool(f, "from_scratch", 1) < 0))
		goto out;
	if (r->epochs > 0 &&
	    (tl_train_meta_metrics(f, tmp, "frozen_val", &r->frozen.val_raw) < 0 ||
	    tl_train_meta_metrics(f, tmp, "joint_val", &r->joint_val) < 0))
		goto out;
	rc = tl_train_meta_map(meta, "finetune", f);
out:
	tl_rec_free(f);
	tl_rec_free(tmp);
	return rc;
}
