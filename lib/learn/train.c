/*
 * train.c - fitting a head (train.h).  The linear head minimises the mean
 * weighted cross-entropy (label-smoothed targets) plus (l2/2)|W|^2 with
 * full-batch L-BFGS, the loss and gradient as two matrix products each;
 * the L2 path runs from the strongest penalty down, each fit warm-started
 * from the previous one.  The MLP (ReLU hidden layer, inverted dropout)
 * uses minibatch AdamW (decoupled weight decay = l2) under a one-cycle
 * schedule (cosine warm-up over 30% of the steps to lr, cosine down to
 * lr/1e5), and keeps the epoch with the best val log loss.  The products
 * are tl_nn_gemm's, whose sums run in one order: the same data give the
 * same head whatever the threads or OpenBLAS's kernel.
 *
 * Not here: the training set (trainset.c), L-BFGS (lbfgs.c), AdamW and the
 * schedule (optim.c), metrics and temperature (calib.c), OOD (ood.c).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "learn/head.h"
#include "learn/lbfgs.h"
#include "learn/ood.h"
#include "learn/optim.h"
#include "learn/train.h"
#include "nn/nn.h"

void
tl_train_defaults(struct tl_train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->head = TL_TLM_LINEAR;
	o->hidden = 256;
	o->dropout = 0.5;
	o->norm = TL_TLM_NORM_L2;
	o->standardize = 1;
	o->part_weight = 1;
	o->l2 = -1;
	o->max_iter = 500;
	o->epochs = 100;
	o->batch = 32;
	o->lr = 1e-3;
	o->ood = 1;
	o->keep = 0.95;
	o->shrinkage = -1;
	o->log_every = 50;
}

/* One side of the data: head inputs x [n,D], labels, sample weights. */
struct set {
	size_t n;
	float *x;
	int *y;
	float *w; /* [n], summing to 1 over the set */
};

struct fit {
	const struct tl_train_opts *o;
	struct set tr, va;
	int d, k;
	double l2;
	float *wf, *z, *gf; /* [K,D], [n,K], [K,D] scratch */
	float *gw;          /* tl_nn_gemm's work */
	char line[256];
};

static void
logf_(const struct fit *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(const struct fit *f, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (f->o->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	f->o->log(f->o->log_ctx, line);
}

/* Adds sum_i w_i (logsumexp(z_i) - sum_c t_ic z_ic) with smoothed targets
 * t, turning z [n,K] into dL/dz in place; returns the loss. */
double
tl_train_xent(size_t n, int k, float *z, const int *y, const float *w, double eps)
{
	double loss = 0;

	for (size_t i = 0; i < n; i++) {
		float *zi = z + i * (size_t)k;
		double mx = zi[0], s = 0, lse, tz = 0;
		for (int c = 1; c < k; c++)
			mx = zi[c] > mx ? zi[c] : mx;
		for (int c = 0; c < k; c++)
			s += exp(zi[c] - mx);
		lse = mx + log(s);
		for (int c = 0; c < k; c++) {
			double t = (c == y[i] ? 1 - eps : 0) + eps / k;
			tz += t * zi[c];
			zi[c] = (float)(w[i] * (exp(zi[c] - lse) - t));
		}
		loss += w[i] * (lse - tz);
	}
	return loss;
}

/* The linear head's loss at theta = [W (K*D), b (K)] and its gradient. */
static double
linear_loss(void *ctx, const double *th, double *g)
{
	struct fit *f = ctx;
	size_t kd = (size_t)f->k * (size_t)f->d, n = f->tr.n;
	double loss, reg = 0;

	for (size_t i = 0; i < kd; i++)
		f->wf[i] = (float)th[i];
	/* z [n,K] = x [n,D] . W^T */
	tl_nn_gemm(0, 1, (int64_t)n, f->k, f->d, f->tr.x, f->d, f->wf, f->d, f->z, f->k, f->gw);
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < f->k; c++)
			f->z[i * (size_t)f->k + c] += (float)th[kd + (size_t)c];
	loss = tl_train_xent(n, f->k, f->z, f->tr.y, f->tr.w, f->o->label_smoothing);
	/* dW [K,D] = dz^T [K,n] . x [n,D] */
	tl_nn_gemm(1, 0, f->k, f->d, (int64_t)n, f->z, f->k, f->tr.x, f->d, f->gf, f->d, f->gw);
	for (size_t i = 0; i < kd; i++) {
		g[i] = f->gf[i] + f->l2 * th[i];
		reg += th[i] * th[i];
	}
	for (int c = 0; c < f->k; c++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += f->z[i * (size_t)f->k + c];
		g[kd + (size_t)c] = s;
	}
	return loss + 0.5 * f->l2 * reg;
}

static void
lbfgs_log(void *ctx, int iter, double fx, double gnorm)
{
	struct fit *f = ctx;

	logf_(f, "l2 %.3g: iteration %d loss %.6f |g| %.2g", f->l2, iter, fx, gnorm);
}

/* Metrics of model m on set s at temperature t; logits into z [n,K]. */
static void
eval(const struct tl_tlm *m, const struct set *s, float *z, float *work, double t,
     struct tl_probq *out)
{
	float *p = malloc(s->n * (size_t)m->nclass * sizeof *p + 1);
	struct tl_tlm mm = *m;

	/* the head on inputs that are already standardised: identity input */
	mm.norm = TL_TLM_NORM_NONE;
	mm.mean = work + tl_head_work_size(m, s->n);
	mm.scale = mm.mean + m->dim;
	for (int j = 0; j < m->dim; j++)
		mm.mean[j] = 0, mm.scale[j] = 1;
	tl_head_logits(&mm, s->n, s->x, z, work);
	if (p == NULL) {
		memset(out, 0, sizeof *out);
		return;
	}
	tl_head_softmax(s->n, m->nclass, z, (float)t, p);
	tl_probq_eval(&tl_probq_train, s->n, m->nclass, p, s->y, out);
	free(p);
}

/* Floats of work for eval on n rows. */
static size_t
eval_work(const struct tl_tlm *m, size_t n)
{
	return tl_head_work_size(m, n) + 2 * (size_t)m->dim;
}

/* Copies init's weights for the classes both models have (same head type
 * and sizes only); returns how many classes were inherited. */
static int
inherit(struct tl_tlm *m, const struct tl_tlm *init)
{
	int n = 0;
	size_t d = (size_t)m->dim, h = (size_t)m->hidden;

	if (init == NULL || init->head != m->head || init->hidden != m->hidden || init->dim != m->dim)
		return 0;
	if (m->head == TL_TLM_MLP) {
		memcpy(m->w1, init->w1, h * d * sizeof *m->w1);
		memcpy(m->b1, init->b1, h * sizeof *m->b1);
	}
	for (int c = 0; c < m->nclass; c++)
		for (int j = 0; j < init->nclass; j++) {
			if (strcmp(m->classes[c], init->classes[j]) != 0)
				continue;
			if (m->head == TL_TLM_LINEAR) {
				memcpy(m->w1 + c * d, init->w1 + j * d, d * sizeof *m->w1);
				m->b1[c] = init->b1[j];
			} else {
				memcpy(m->w2 + c * h, init->w2 + j * h, h * sizeof *m->w2);
				m->b2[c] = init->b2[j];
			}
			n++;
		}
	return n;
}

static int
fit_linear(struct fit *f, struct tl_tlm *m, struct tl_train_report *rep, struct tl_err *err)
{
	static const double grid[] = TL_TRAIN_L2_GRID;
	int ng = (int)(sizeof grid / sizeof grid[0]);
	size_t kd = (size_t)f->k * (size_t)f->d, np = kd + (size_t)f->k;
	double *th = malloc(np * sizeof *th), *best = malloc(np * sizeof *best), best_ll = INFINITY;
	float *z = malloc(f->va.n * (size_t)f->k * sizeof *z + 1);
	float *work = malloc(eval_work(m, f->va.n) * sizeof *work);
	struct tl_lbfgs_opts lo = { .max_iter = f->o->max_iter, .gtol = 1e-5, .ftol = 1e-9,
	                            .every = f->o->log_every, .log = lbfgs_log };
	struct tl_lbfgs_result res;
	int rc = -1;

	if (th == NULL || best == NULL || z == NULL || work == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < kd; i++)
		th[i] = m->w1[i];
	for (int c = 0; c < f->k; c++)
		th[kd + (size_t)c] = m->b1[c];
	if (f->o->l2 >= 0 || f->va.n == 0)
		ng = 1;
	for (int gi = ng - 1; gi >= 0; gi--) {
		struct tl_probq vm = { 0 };
		f->l2 = f->o->l2 >= 0 ? f->o->l2 : f->va.n == 0 ? 1e-3 : grid[gi];
		if (tl_lbfgs(np, th, linear_loss, f, &lo, &res, err) < 0)
			goto out;
		for (size_t i = 0; i < kd; i++)
			m->w1[i] = (float)th[i];
		for (int c = 0; c < f->k; c++)
			m->b1[c] = (float)th[kd + (size_t)c];
		if (f->va.n > 0)
			eval(m, &f->va, z, work, 1, &vm);
		logf_(f, "l2 %.3g: %d iterations, loss %.6f, val accuracy %.4f log loss %.4f",
		    f->l2, res.iter, res.f, vm.acc, vm.logloss);
		/* ties go to the stronger penalty, met first */
		if (ng == 1 || vm.logloss < best_ll - 1e-9) {
			best_ll = vm.logloss;
			rep->l2 = f->l2;
			rep->iters = res.iter;
			memcpy(best, th, np * sizeof *th);
		}
	}
	for (size_t i = 0; i < kd; i++)
		m->w1[i] = (float)best[i];
	for (int c = 0; c < f->k; c++)
		m->b1[c] = (float)best[kd + (size_t)c];
	rc = 0;
out:
	free(th), free(best), free(z), free(work);
	return rc;
}

/* ---- the MLP ----------------------------------------------------------- */

static int
fit_mlp(struct fit *f, struct tl_tlm *m, struct tl_train_report *rep, struct tl_err *err)
{
	const struct tl_train_opts *o = f->o;
	struct tl_train_lrfind *lf = o->lrfind;
	double avg = 0, best_smooth = INFINITY;
	int stop = 0;
	int d = f->d, k = f->k, h = m->hidden, bs = o->batch;
	size_t n = f->tr.n, np = (size_t)h * (size_t)d + (size_t)h + (size_t)k * (size_t)h + (size_t)k;
	/* one block: adam m, v, best params, batch x, pre-activations, hidden, dz, dh */
	size_t nb = 3 * np + (size_t)bs * ((size_t)d + 3 * (size_t)h + (size_t)k) + n + (size_t)bs;
	float *blk = calloc(nb, sizeof *blk), *am, *av, *bestp, *xb, *pre, *hid, *dz, *dh;
	float *gw = NULL, *z = malloc(f->va.n * (size_t)k * sizeof *z + 1), *mw;
	float *work = malloc(eval_work(m, f->va.n) * sizeof *work);
	float *p = m->w1; /* W1, b1, W2, b2 are contiguous in the block */
	size_t *perm = malloc(n * sizeof *perm);
	int *yb = malloc((size_t)bs * sizeof *yb);
	float *wb, drop = (float)o->dropout;
	struct tl_rng rng;
	struct tl_optim_adamw adamw = TL_OPTIM_ADAMW;
	/* where W1, b1, W2, b2 start in the parameters (and gw, am, av) */
	size_t seg[5] = { 0, (size_t)h * d, (size_t)h * d + h, (size_t)h * d + h + (size_t)k * h, np };
	double best_ll = INFINITY, wd = o->l2 >= 0 ? o->l2 : 1e-2;
	long steps = (long)o->epochs * (long)((n + (size_t)bs - 1) / (size_t)bs), t = 0;
	/* work for the largest of the five products below */
	size_t pw[5] = { tl_nn_gemm_work(bs, h, d), tl_nn_gemm_work(bs, k, h),
	                 tl_nn_gemm_work(k, h, bs), tl_nn_gemm_work(bs, h, k),
	                 tl_nn_gemm_work(h, d, bs) }, nmw = 0;
	int rc = -1;

	for (int i = 0; i < 5; i++)
		nmw = pw[i] > nmw ? pw[i] : nmw;
	mw = malloc(nmw * sizeof *mw + 1);
	if (blk == NULL || z == NULL || work == NULL || perm == NULL || yb == NULL || mw == NULL ||
	    (gw = calloc(np, sizeof *gw)) == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	am = blk, av = am + np, bestp = av + np, xb = bestp + np;
	pre = xb + (size_t)bs * d, hid = pre + (size_t)bs * h, dh = hid + (size_t)bs * h;
	dz = dh + (size_t)bs * h, wb = dz + (size_t)bs * k;
	rep->l2 = wd;
	tl_rng_seed(&rng, o->seed ^ 0x6d6c70 /* "mlp" */);
	if (!rep->inherited) { /* He-uniform W1, Glorot-uniform W2, zero biases */
		double a1 = sqrt(6.0 / d), a2 = sqrt(6.0 / (h + k));
		for (size_t i = 0; i < (size_t)h * d; i++)
			m->w1[i] = (float)tl_rng_range(&rng, -a1, a1);
		for (size_t i = 0; i < (size_t)k * h; i++)
			m->w2[i] = (float)tl_rng_range(&rng, -a2, a2);
	}
	memcpy(bestp, p, np * sizeof *p);
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (int ep = 0; lf ? !stop && t < lf->steps : ep < o->epochs; ep++) {
		double eloss = 0;
		for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
			size_t j = (size_t)(tl_rng_u64(&rng) % (i + 1)), tmp = perm[i];
			perm[i] = perm[j], perm[j] = tmp;
		}
		for (size_t b0 = 0; b0 < n && !stop; b0 += (size_t)bs, t++) {
			int B = (int)(n - b0 < (size_t)bs ? n - b0 : (size_t)bs);
			double wsum = 0, lr, bl;
			float *gW1 = gw, *gb1 = gW1 + (size_t)h * d, *gW2 = gb1 + h, *gb2 = gW2 + (size_t)k * h;
			if (lf && t >= lf->steps)
				break;
			lr = lf ? lf->start * pow(lf->end / lf->start, (double)t / (lf->steps - 1))
			        : tl_optim_one_cycle(o->lr, t, steps);
			for (int i = 0; i < B; i++) {
				size_t r = perm[b0 + (size_t)i];
				memcpy(xb + (size_t)i * d, f->tr.x + r * (size_t)d, (size_t)d * sizeof *xb);
				yb[i] = f->tr.y[r];
				wsum += f->tr.w[r];
			}
			for (int i = 0; i < B; i++)
				wb[i] = (float)(f->tr.w[perm[b0 + (size_t)i]] / wsum);
			/* pre [B,H] = xb . W1^T + b1; hid = relu(pre) * dropout mask */
			tl_nn_gemm(0, 1, B, h, d, xb, d, m->w1, d, pre, h, mw);
			for (int i = 0; i < B; i++)
				for (int j = 0; j < h; j++) {
					float v = pre[i * h + j] + m->b1[j];
					int keep = drop <= 0 || tl_rng_unit(&rng) >= drop;
					pre[i * h + j] = v;
					hid[i * h + j] = v > 0 && keep ? v / (1 - drop) : 0;
				}
			/* dz [B,K] = hid . W2^T + b2, then the loss gradient */
			tl_nn_gemm(0, 1, B, k, h, hid, h, m->w2, h, dz, k, mw);
			for (int i = 0; i < B; i++)
				for (int c = 0; c < k; c++)
					dz[i * k + c] += m->b2[c];
			bl = tl_train_xent((size_t)B, k, dz, yb, wb, o->label_smoothing);
			eloss += wsum * bl;
			if (lf) { /* the batch's loss before this rate's step, smoothed */
				avg = 0.98 * avg + 0.02 * bl;
				lf->lr[t] = lr, lf->loss[t] = bl;
				lf->smooth[t] = avg / (1 - pow(0.98, (double)(t + 1)));
				lf->n = (int)t + 1;
				best_smooth = lf->smooth[t] < best_smooth ? lf->smooth[t] : best_smooth;
				if (!isfinite(lf->smooth[t]) || lf->smooth[t] > 4 * best_smooth) {
					lf->stopped = stop = 1;
					break;
				}
			}
			/* gW2 [K,H] = dz^T . hid; dh [B,H] = dz . W2, masked like hid */
			tl_nn_gemm(1, 0, k, h, B, dz, k, hid, h, gW2, h, mw);
			tl_nn_gemm(0, 0, B, h, k, dz, k, m->w2, h, dh, h, mw);
			for (int i = 0; i < B * h; i++)
				dh[i] = hid[i] > 0 ? dh[i] / (1 - drop) : 0;
			tl_nn_gemm(1, 0, h, d, B, dh, h, xb, d, gW1, d, mw);
			memset(gb1, 0, (size_t)h * sizeof *gb1);
			memset(gb2, 0, (size_t)k * sizeof *gb2);
			for (int i = 0; i < B; i++) {
				for (int j = 0; j < h; j++)
					gb1[j] += dh[i * h + j];
				for (int c = 0; c < k; c++)
					gb2[c] += dz[i * k + c];
			}
			/* AdamW; decay on the weights, not the biases */
			for (int s = 0; s < 4; s++)
				tl_optim_adamw(&adamw, t + 1, lr, s % 2 == 0 ? wd : 0, seg[s + 1] - seg[s],
				    p + seg[s], gw + seg[s], am + seg[s], av + seg[s]);
		}
		if (lf == NULL) {
			struct tl_probq vm = { 0 };
			if (f->va.n > 0)
				eval(m, &f->va, z, work, 1, &vm);
			if (f->va.n == 0 || vm.logloss < best_ll) {
				best_ll = vm.logloss;
				rep->iters = ep + 1;
				memcpy(bestp, p, np * sizeof *p);
			}
			if (o->log_every > 0 && ((ep + 1) % o->log_every == 0 || ep == 0))
				logf_(f, "epoch %d: loss %.4f, val accuracy %.4f log loss %.4f", ep + 1,
				    eloss, vm.acc, vm.logloss);
		}
	}
	if (lf == NULL) {
		memcpy(p, bestp, np * sizeof *p);
		logf_(f, "best epoch %d (val log loss %.4f)", rep->iters, best_ll);
	}
	rc = 0;
out:
	free(blk), free(gw), free(z), free(work), free(perm), free(yb), free(mw);
	return rc;
}

/* ---- the whole fit ----------------------------------------------------- */

/* Head inputs and weights for the rows of ts with val[i] == which. */
static int
make_set(const struct tl_trainset *ts, const struct tl_tlm *m, int which, int balance,
         struct set *s)
{
	size_t d = (size_t)ts->dim, j = 0;
	double sum = 0;

	s->n = 0;
	for (size_t i = 0; i < ts->n; i++)
		s->n += ts->val[i] == which;
	s->x = malloc(s->n * d * sizeof *s->x + 1);
	s->y = malloc(s->n * sizeof *s->y + 1);
	s->w = malloc(s->n * sizeof *s->w + 1);
	if (s->x == NULL || s->y == NULL || s->w == NULL)
		return -1;
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->val[i] != which)
			continue;
		memcpy(s->x + j * d, ts->x + i * d, d * sizeof *s->x);
		s->y[j] = ts->y[i];
		s->w[j] = balance ? (float)(1.0 / (double)ts->count[2 * ts->y[i] + which]) : 1;
		sum += s->w[j];
		j++;
	}
	for (size_t i = 0; i < s->n; i++)
		s->w[i] = (float)(s->w[i] / sum);
	if (m != NULL)
		tl_head_input(m, s->n, s->x, s->x);
	return 0;
}

int
tl_train_stats(size_t n, size_t d, const float *x, float *mean, float *scale)
{
	double *mu, *var;

	if (n < 2)
		return 0;
	if ((mu = calloc(2 * d, sizeof *mu)) == NULL)
		return -1;
	var = mu + d;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			mu[j] += x[i * d + j];
	for (size_t j = 0; j < d; j++)
		mu[j] /= (double)n;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++) {
			double t = x[i * d + j] - mu[j];
			var[j] += t * t;
		}
	for (size_t j = 0; j < d; j++) {
		double sd = sqrt(var[j] / (double)n);
		mean[j] = (float)mu[j];
		scale[j] = sd > 1e-6 ? (float)(1 / sd) : 1;
	}
	free(mu);
	return 0;
}

/* Scales each backbone's standardized features so that every part has
 * the same expected squared norm (D / nparts), whatever its width: a
 * 2048-wide part would otherwise outweigh a 576-wide one 3.6 to 1 in the
 * head's L2 penalty and the OOD distance.  Parts whose sizes do not add up
 * to D are left alone. */
static void
part_weights(const struct tl_train_opts *o, struct tl_tlm *m)
{
	int sum = 0, j = 0;

	for (int p = 0; p < o->nparts; p++)
		sum += o->part_dim[p];
	if (sum != m->dim)
		return;
	for (int p = 0; p < o->nparts; p++) {
		float w = (float)sqrt((double)m->dim / ((double)o->nparts * o->part_dim[p]));
		for (int k = 0; k < o->part_dim[p]; k++, j++)
			m->scale[j] *= w;
	}
}

/* Several backbones: OOD statistics per part (tlm.h ood_nparts), when the
 * parts add up to the embedding. */
static void
ood_parts(const struct tl_train_opts *o, struct tl_tlm *m)
{
	int sum = 0;

	for (int p = 0; p < o->nparts; p++)
		sum += o->part_dim[p];
	if (o->nparts < 2 || o->nparts > TL_TLM_MAX_PARTS || sum != m->ood_dim || *m->ood_layer)
		return;
	m->ood_nparts = o->nparts;
	for (int p = 0; p < o->nparts; p++) {
		m->ood_part_dim[p] = o->part_dim[p];
		m->ood_part_scale[p] = 1;
	}
}

struct tl_tlm *
tl_train(const struct tl_train_opts *o, const struct tl_trainset *ts,
         struct tl_train_report *rep, struct tl_err *err)
{
	struct fit f = { .o = o, .d = ts->dim, .k = ts->nclass };
	struct tl_tlm *m;
	float *z = NULL, *work = NULL, *sc = NULL;
	int rc = -1;

	memset(rep, 0, sizeof *rep);
	if (o->init != NULL && o->init->dim != ts->dim)
		return tl_err_set(err, "--init model reads %d-value embeddings, the stream has %d",
		    o->init->dim, ts->dim), NULL;
	m = tl_tlm_new(ts->nclass, (const char *const *)ts->classes, ts->dim, o->head, o->hidden, err);
	if (m == NULL)
		return NULL;
	if (o->init != NULL) { /* the old input transform, so inherited weights mean the same */
		m->norm = o->init->norm;
		memcpy(m->mean, o->init->mean, (size_t)ts->dim * sizeof *m->mean);
		memcpy(m->scale, o->init->scale, (size_t)ts->dim * sizeof *m->scale);
	} else {
		m->norm = o->norm;
		/* normalised only (mean 0, scale 1), then the statistics */
		if (make_set(ts, m, 0, o->balance, &f.tr) < 0)
			goto oom;
		if (o->standardize && tl_train_stats(f.tr.n, (size_t)ts->dim, f.tr.x, m->mean,
		    m->scale) < 0)
			goto oom;
		if (o->standardize && o->part_weight && o->nparts > 1)
			part_weights(o, m);
		free(f.tr.x), free(f.tr.y), free(f.tr.w);
		f.tr.x = NULL, f.tr.y = NULL, f.tr.w = NULL;
	}
	if (make_set(ts, m, 0, o->balance, &f.tr) < 0 || make_set(ts, m, 1, 0, &f.va) < 0)
		goto oom;
	rep->inherited = inherit(m, o->init);
	f.wf = malloc((size_t)f.k * (size_t)f.d * sizeof *f.wf);
	f.gf = malloc((size_t)f.k * (size_t)f.d * sizeof *f.gf);
	f.z = malloc(f.tr.n * (size_t)f.k * sizeof *f.z);
	f.gw = malloc((tl_nn_gemm_work((int64_t)f.tr.n, f.k, f.d) +
	    tl_nn_gemm_work(f.k, f.d, (int64_t)f.tr.n)) * sizeof *f.gw + 1);
	z = malloc((f.tr.n + f.va.n) * (size_t)f.k * sizeof *z);
	sc = malloc((f.va.n + 1) * sizeof *sc);
	work = malloc(eval_work(m, f.tr.n + f.va.n) * sizeof *work);
	if (f.wf == NULL || f.gf == NULL || f.z == NULL || f.gw == NULL || z == NULL || work == NULL ||
	    sc == NULL)
		goto oom;
	if (o->keep_head && rep->inherited == ts->nclass)
		rep->l2 = o->l2;
	else if ((o->head == TL_TLM_LINEAR ? fit_linear(&f, m, rep, err) : fit_mlp(&f, m, rep, err)) < 0)
		goto out;
	if (o->lrfind) { /* the sweep is all: no calibration nor OOD */
		rc = 0;
		goto out;
	}
	/* calibration on val: the logits at T = 1, then T */
	eval(m, &f.tr, z, work, 1, &rep->train);
	eval(m, &f.va, z, work, 1, &rep->val_raw);
	rep->temperature = tl_calib_temperature(f.va.n, f.k, z, f.va.y);
	m->temperature = (float)rep->temperature;
	rep->temp_bound = f.va.n ? tl_calib_at_bound(rep->temperature) : 0;
	eval(m, &f.va, z, work, rep->temperature, &rep->val_cal);
	if (o->ood) {
		ood_parts(o, m);
		if (tl_ood_fit(m, f.tr.n, f.tr.x, f.tr.y, o->shrinkage, err) < 0)
			goto out;
		if (m->ood_nparts > 1 && tl_ood_part_scales(m, f.va.n >= 2 ? f.va.n : f.tr.n,
		    f.va.n >= 2 ? f.va.x : f.tr.x, o->keep, work, err) < 0)
			goto out;
		tl_head_ood(m, f.va.n, f.va.x, sc, work);
		m->ood_keep = (float)o->keep;
		m->ood_threshold = f.va.n ? (float)tl_ood_threshold(f.va.n, sc, o->keep) : INFINITY;
		rep->ood_threshold = m->ood_threshold;
		for (size_t i = 0; i < f.va.n; i++)
			rep->ood_kept += sc[i] <= m->ood_threshold;
		rep->ood_kept = f.va.n ? rep->ood_kept / (double)f.va.n : 1;
	}
	rc = 0;
	goto out;
oom:
	tl_err_set(err, "out of memory");
out:
	free(f.tr.x), free(f.tr.y), free(f.tr.w), free(f.va.x), free(f.va.y), free(f.va.w);
	free(f.wf), free(f.gf), free(f.z), free(f.gw), free(z), free(work), free(sc);
	if (rc < 0) {
		tl_tlm_free(m);
		return NULL;
	}
	return m;
}

/* ---- the learning-rate finder ------------------------------------------ */

int
tl_train_valley(int n, const double *loss, int *lds)
{
	int skip = n / 10, m = n - skip, e = 0, s;
	const double *l = loss + skip;

	if (m < 1)
		return 0;
	for (int i = 0; i < m; i++) {
		lds[i] = 1;
		for (int j = 0; j < i; j++)
			if (l[i] < l[j] && lds[i] < lds[j] + 1)
				lds[i] = lds[j] + 1;
		if (lds[i] > lds[e])
			e = i;
	}
	s = e - lds[e]; /* fastai's: one before a contiguous descent's start */
	s += (e - s) / 3 + (e - s) / 6;
	return skip + (s > 0 ? s : 0);
}

int
tl_train_lrfind(const struct tl_train_opts *o, const struct tl_trainset *ts,
                struct tl_train_lrfind *lf, struct tl_err *err)
{
	struct tl_train_opts oo = *o;
	struct tl_train_report rep;
	struct tl_tlm *m;
	int *work;

	lf->lr = NULL, lf->n = 0, lf->stopped = 0, lf->valley = 0, lf->suggest = 0;
	if (o->head != TL_TLM_MLP)
		return tl_err_set(err, "the learning-rate finder needs the MLP head"), -1;
	if (!(lf->start > 0) || !(lf->end > lf->start) || lf->steps < 2 ||
	    lf->steps > TL_TRAIN_LRFIND_MAX)
		return tl_err_set(err, "learning-rate sweep: want 0 < start < end and 2 to %d steps",
		    TL_TRAIN_LRFIND_MAX), -1;
	if ((lf->lr = malloc(3 * (size_t)lf->steps * sizeof *lf->lr)) == NULL)
		return tl_err_set(err, "out of memory"), -1;
	lf->loss = lf->lr + lf->steps, lf->smooth = lf->loss + lf->steps;
	oo.lrfind = lf, oo.keep_head = 0, oo.ood = 0;
	if ((m = tl_train(&oo, ts, &rep, err)) == NULL) {
		tl_train_lrfind_free(lf);
		return -1;
	}
	tl_tlm_free(m);
	if ((work = malloc((size_t)lf->n * sizeof *work + 1)) == NULL) {
		tl_train_lrfind_free(lf);
		return tl_err_set(err, "out of memory"), -1;
	}
	lf->valley = tl_train_valley(lf->n, lf->smooth, work);
	lf->suggest = lf->lr[lf->valley];
	free(work);
	return 0;
}

void
tl_train_lrfind_free(struct tl_train_lrfind *lf)
{
	free(lf->lr);
	lf->lr = lf->loss = lf->smooth = NULL;
}

/* ---- metadata ---------------------------------------------------------- */

int
tl_train_meta_map(struct tl_rec *parent, const char *key, const struct tl_rec *sub)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_MAP };

	o.via.map.size = (uint32_t)sub->n;
	o.via.map.ptr = sub->kv;
	return tl_rec_set_obj(parent, key, &o);
}

int
tl_train_meta_metrics(struct tl_rec *parent, struct tl_rec *tmp, const char *key,
                      const struct tl_probq *m)
{
	tl_rec_clear(tmp);
	if (tl_rec_set_f64(tmp, "accuracy", m->acc) < 0 ||
	    tl_rec_set_f64(tmp, "log_loss", m->logloss) < 0 || tl_rec_set_f64(tmp, "ece", m->ece) < 0)
		return -1;
	return tl_train_meta_map(parent, key, tmp);
}

int
tl_train_meta(const struct tl_train_opts *o, const struct tl_trainset *ts,
              const struct tl_train_report *rep, double holdout, struct tl_rec *meta)
{
	struct tl_rec *a = tl_rec_new(), *b = tl_rec_new();
	char hex[65];
	int rc = -1;

	if (a == NULL || b == NULL)
		goto out;
	tl_rec_clear(meta);
	if (tl_rec_set_u64(meta, "seed", o->seed) < 0 ||
	    tl_rec_set_str(meta, "head", tl_tlm_head_name(o->head)) < 0 ||
	    (o->head == TL_TLM_MLP && (tl_rec_set_u64(meta, "hidden", (uint64_t)o->hidden) < 0 ||
	    tl_rec_set_f64(meta, "dropout", o->dropout) < 0 ||
	    tl_rec_set_u64(meta, "epochs", (uint64_t)o->epochs) < 0 ||
	    tl_rec_set_u64(meta, "batch", (uint64_t)o->batch) < 0 ||
	    tl_rec_set_f64(meta, "lr", o->lr) < 0)) ||
	    (o->head == TL_TLM_LINEAR && tl_rec_set_u64(meta, "max_iter", (uint64_t)o->max_iter) < 0) ||
	    tl_rec_set_str(meta, "norm", tl_tlm_norm_name(o->init ? o->init->norm : o->norm)) < 0 ||
	    tl_rec_set_bool(meta, "standardize", o->standardize) < 0 ||
	    tl_rec_set_f64(meta, "l2", rep->l2) < 0 ||
	    tl_rec_set_bool(meta, "l2_chosen", o->l2 < 0) < 0 ||
	    tl_rec_set_f64(meta, "label_smoothing", o->label_smoothing) < 0 ||
	    tl_rec_set_bool(meta, "balance", o->balance) < 0 ||
	    tl_rec_set_f64(meta, "keep", o->keep) < 0 ||
	    tl_rec_set_f64(meta, "shrinkage", o->shrinkage) < 0 ||
	    (ts->held_out && tl_rec_set_f64(meta, "holdout", holdout) < 0) ||
	    (o->nparts > 1 && tl_rec_set_str(meta, "part_weight", o->part_weight ? "sqrt" : "none") < 0))
		goto out;
	tl_rec_clear(a);
	for (int c = 0; c < ts->nclass; c++) {
		tl_rec_clear(b);
		if (tl_rec_set_u64(b, "train", (uint64_t)ts->count[2 * c]) < 0 ||
		    tl_rec_set_u64(b, "val", (uint64_t)ts->count[2 * c + 1]) < 0 ||
		    tl_train_meta_map(a, ts->classes[c], b) < 0)
			goto out;
	}
	if (tl_train_meta_map(meta, "counts", a) < 0)
		goto out;
	tl_rec_clear(a);
	if (tl_rec_set_u64(a, "test", (uint64_t)ts->ignored[TL_USE_TEST]) < 0 ||
	    tl_rec_set_u64(a, "unlabelled", (uint64_t)ts->ignored[TL_USE_UNLABELLED]) < 0 ||
	    tl_rec_set_u64(a, "other", (uint64_t)ts->ignored[TL_USE_OTHER]) < 0 ||
	    tl_train_meta_map(meta, "ignored", a) < 0 ||
	    tl_rec_set_u64(meta, "iterations", (uint64_t)rep->iters) < 0 ||
	    tl_rec_set_f64(meta, "temperature", rep->temperature) < 0)
		goto out;
	tl_rec_clear(a);
	if (tl_train_meta_metrics(a, b, "train", &rep->train) < 0 ||
	    tl_train_meta_metrics(a, b, "val", &rep->val_raw) < 0 ||
	    tl_train_meta_metrics(a, b, "val_calibrated", &rep->val_cal) < 0 ||
	    tl_train_meta_map(meta, "metrics", a) < 0)
		goto out;
	if (o->ood) {
		tl_rec_clear(a);
		if (tl_rec_set_f64(a, "threshold", rep->ood_threshold) < 0 ||
		    tl_rec_set_f64(a, "kept", rep->ood_kept) < 0 || tl_train_meta_map(meta, "ood", a) < 0)
			goto out;
	}
	tl_trainset_ids_sha256(ts, hex);
	if (tl_rec_set_str(meta, "ids_sha256", hex) < 0 ||
	    (o->init && tl_rec_set_str(meta, "init", o->init->version_tag) < 0))
		goto out;
	rc = 0;
out:
	tl_rec_free(a);
	tl_rec_free(b);
	return rc;
}
