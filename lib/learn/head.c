/*
 * head.c - the head's forward pass (head.h): normalisation, the linear or
 * MLP head, softmax and the OOD distance, in batches, with tl_nn_gemm for
 * the products (the same logits whatever the thread count or OpenBLAS's
 * kernel).
 *
 * Not here: the model file (tlm.c), how the numbers are fitted (train.c,
 * lbfgs.c, calib.c, ood.c).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "learn/head.h"
#include "nn/nn.h"

static void normalise(const struct tl_tlm *m, size_t d, const float *mean, const float *scale,
                      size_t n, const float *emb, float *x);

/* work: x [n,D], h [n,H], the OOD space's z [n,max(OD,D)], then the
 * matrix products' own (tl_nn_gemm), for OOD spaces up to D wide too (the
 * OOD statistics may be fitted after the work is sized) */
static size_t
maps_size(const struct tl_tlm *m, size_t n)
{
	size_t d = (size_t)m->dim, od = (size_t)m->ood_dim;

	return n * (d + (size_t)m->hidden + (od > d ? od : d));
}

size_t
tl_head_work_size(const struct tl_tlm *m, size_t n)
{
	int64_t d = m->dim, od = m->ood_dim > d ? m->ood_dim : d, h = m->hidden;
	size_t g[4] = { tl_nn_gemm_work((int64_t)n, m->nclass, d),
	                tl_nn_gemm_work((int64_t)n, h, d),
	                tl_nn_gemm_work((int64_t)n, m->nclass, h),
	                tl_nn_gemm_work((int64_t)n, od, od) }, most = 0;

	for (int i = 0; i < 4; i++)
		most = g[i] > most ? g[i] : most;
	return maps_size(m, n) + most + 1;
}

void
tl_head_input(const struct tl_tlm *m, size_t n, const float *emb, float *x)
{
	normalise(m, (size_t)m->dim, m->mean, m->scale, n, emb, x);
}

void
tl_head_ood_input(const struct tl_tlm *m, size_t n, const float *f, float *x)
{
	normalise(m, (size_t)m->ood_dim, m->ood_mean, m->ood_scale, n, f, x);
}

static void
normalise(const struct tl_tlm *m, size_t d, const float *mean, const float *scale, size_t n,
          const float *emb, float *x)
{

	for (size_t i = 0; i < n; i++) {
		const float *e = emb + i * d;
		float *o = x + i * d;
		double ss = 0, inv = 1;
		for (size_t j = 0; j < d; j++) {
			float v = e[j];
			if (m->norm == TL_TLM_NORM_SQRT)
				v = v < 0 ? -sqrtf(-v) : sqrtf(v);
			o[j] = v;
			ss += (double)v * v;
		}
		if (m->norm != TL_TLM_NORM_NONE)
			inv = 1 / fmax(sqrt(ss), 1e-12);
		for (size_t j = 0; j < d; j++)
			o[j] = ((float)(o[j] * inv) - mean[j]) * scale[j];
	}
}

/* logits [n,K] from x [n,D] (already the head's input); h: [n,H] scratch,
 * gw tl_nn_gemm's work. */
static void
head_forward(const struct tl_tlm *m, size_t n, const float *x, float *logits, float *h,
             float *gw)
{
	int d = m->dim, k = m->nclass, hd = m->hidden;

	if (m->head == TL_TLM_LINEAR) {
		/* logits [n,K] = x [n,D] . W1^T [D,K] */
		tl_nn_gemm(0, 1, (int64_t)n, k, d, x, d, m->w1, d, logits, k, gw);
		for (size_t i = 0; i < n; i++)
			for (int c = 0; c < k; c++)
				logits[i * k + c] += m->b1[c];
		return;
	}
	/* h [n,H] = relu(x [n,D] . W1^T [D,H] + b1); logits = h . W2^T [H,K] + b2 */
	tl_nn_gemm(0, 1, (int64_t)n, hd, d, x, d, m->w1, d, h, hd, gw);
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < hd; j++) {
			float v = h[i * hd + j] + m->b1[j];
			h[i * hd + j] = v > 0 ? v : 0;
		}
	tl_nn_gemm(0, 1, (int64_t)n, k, hd, h, hd, m->w2, hd, logits, k, gw);
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < k; c++)
			logits[i * k + c] += m->b2[c];
}

void
tl_head_logits(const struct tl_tlm *m, size_t n, const float *emb, float *logits, float *work)
{
	float *x = work, *h = work + n * (size_t)m->dim;

	tl_head_input(m, n, emb, x);
	head_forward(m, n, x, logits, h, work + maps_size(m, n));
}

void
tl_head_logit_grad(const struct tl_tlm *m, int k, const float *x, float *hid, float *gx)
{
	int d = m->dim, H = m->hidden;

	if (m->head == TL_TLM_LINEAR) {
		memcpy(gx, m->w1 + (size_t)k * d, (size_t)d * sizeof *gx);
		return;
	}
	for (int h = 0; h < H; h++) { /* the ReLU's gate: W1 x + b1 > 0 */
		double a = m->b1[h];
		for (int j = 0; j < d; j++)
			a += (double)m->w1[(size_t)h * d + j] * x[j];
		hid[h] = a > 0 ? m->w2[(size_t)k * H + h] : 0;
	}
	for (int j = 0; j < d; j++) {
		double g = 0;
		for (int h = 0; h < H; h++)
			g += (double)hid[h] * m->w1[(size_t)h * d + j];
		gx[j] = (float)g;
	}
}

void
tl_head_softmax(size_t n, int nclass, const float *logits, float t, float *prob)
{
	for (size_t i = 0; i < n; i++) {
		const float *z = logits + i * (size_t)nclass;
		float *p = prob + i * (size_t)nclass;
		double mx = z[0], s = 0;
		for (int c = 1; c < nclass; c++)
			if (z[c] > mx)
				mx = z[c];
		for (int c = 0; c < nclass; c++)
			s += exp(((double)z[c] - mx) / t);
		for (int c = 0; c < nclass; c++)
			p[c] = (float)(exp(((double)z[c] - mx) / t) / s);
	}
}

void
tl_head_ood(const struct tl_tlm *m, size_t n, const float *x, float *ood, float *work)
{
	size_t d = (size_t)m->ood_dim;
	float *z = work + n * ((size_t)m->dim + (size_t)m->hidden);

	if (!m->has_ood) {
		memset(ood, 0, n * sizeof *ood);
		return;
	}
	/* z [n,D] = x [n,D] . Wo^T [D,D] */
	tl_nn_gemm(0, 1, (int64_t)n, (int64_t)d, (int64_t)d, x, (int64_t)d, m->ood_w, (int64_t)d,
	    z, (int64_t)d, work + maps_size(m, n));
	if (m->ood_nparts > 1) { /* block diagonal: z's part p is Wo_p x_p */
		for (size_t i = 0; i < n; i++) {
			size_t off = 0;
			double worst = 0;
			for (int p = 0; p < m->ood_nparts; p++) {
				size_t dp = (size_t)m->ood_part_dim[p];
				double best = INFINITY;
				for (int c = 0; c < m->nclass; c++) {
					const float *mu = m->ood_mu + (size_t)c * d + off;
					double s = 0;
					for (size_t j = 0; j < dp; j++) {
						double t = (double)z[i * d + off + j] - mu[j];
						s += t * t;
					}
					if (s < best)
						best = s;
				}
				best = sqrt(best) * m->ood_part_scale[p];
				worst = best > worst ? best : worst;
				off += dp;
			}
			ood[i] = (float)worst;
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		double best = INFINITY;
		for (int c = 0; c < m->nclass; c++) {
			const float *mu = m->ood_mu + (size_t)c * d;
			double s = 0;
			for (size_t j = 0; j < d; j++) {
				double t = (double)z[i * d + j] - mu[j];
				s += t * t;
			}
			if (s < best)
				best = s;
		}
		ood[i] = (float)sqrt(best);
	}
}

void
tl_head_predict(const struct tl_tlm *m, size_t n, const float *emb, float *prob, float *ood,
                float *work)
{
	float *x = work, *h = work + n * (size_t)m->dim;

	tl_head_input(m, n, emb, x);
	head_forward(m, n, x, prob, h, work + maps_size(m, n));
	tl_head_softmax(n, m->nclass, prob, m->temperature, prob);
	if (ood != NULL && !*m->ood_layer)
		tl_head_ood(m, n, x, ood, work);
}
