/*
 * test_headgrad.c - tl_head_logit_grad (learn/head.c), the head's part of
 * tl-classify --explain: d logit[k] / dx against central differences of
 * tl_head_logits (step 1e-3, |difference - gradient| <= 1e-3 + 1e-3
 * |gradient|) for a linear head and an MLP, every class and input entry,
 * on a model whose input is the head's own (norm none, mean 0, scale 1);
 * MLP units within 0.01 of their ReLU's kink are moved away first, so a
 * step never crosses one.
 */
#include <stdlib.h>
#include <string.h>

#include "learn/head.h"
#include "learn/tlm.h"
#include "t.h"

static unsigned long long rng = 0x9E3779B97F4A7C15ull;

static float
urand(void) /* [-1, 1) */
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (float)((rng >> 40) / 8388608.0 - 1.0);
}

static void
check(enum tl_tlm_head head)
{
	static const char *const cl[3] = { "a", "b", "c" };
	struct tl_err err = { "" };
	int D = 7, H = 6, K = 3, bad = 0, n = 0;
	struct tl_tlm *m = tl_tlm_new(K, cl, D, head, H, &err);
	float x[7], gx[7], hid[6], lp[3], lm[3], *work;
	char name[100];

	T_OK("headgrad: model made", m != NULL);
	if (m == NULL)
		return;
	work = malloc(tl_head_work_size(m, 1) * sizeof *work);
	m->norm = TL_TLM_NORM_NONE;
	for (int i = 0; i < (head == TL_TLM_MLP ? H : K) * D; i++)
		m->w1[i] = urand();
	for (int i = 0; i < (head == TL_TLM_MLP ? H : K); i++)
		m->b1[i] = 0.3f * urand();
	if (head == TL_TLM_MLP)
		for (int i = 0; i < K * H; i++)
			m->w2[i] = urand();
	for (int j = 0; j < D; j++)
		x[j] = urand();
	if (head == TL_TLM_MLP) /* no unit within 0.01 of its kink */
		for (int h = 0; h < H; h++) {
			double a = m->b1[h];
			for (int j = 0; j < D; j++)
				a += (double)m->w1[h * D + j] * x[j];
			if (a > -0.01 && a < 0.01)
				m->b1[h] += 0.05f;
		}
	for (int k = 0; k < K; k++) {
		tl_head_logit_grad(m, k, x, hid, gx);
		for (int j = 0; j < D; j++) {
			float x0 = x[j];
			double num;
			x[j] = x0 + 1e-3f;
			tl_head_logits(m, 1, x, lp, work);
			x[j] = x0 - 1e-3f;
			tl_head_logits(m, 1, x, lm, work);
			x[j] = x0;
			num = ((double)lp[k] - lm[k]) / ((double)(x0 + 1e-3f) - (x0 - 1e-3f));
			bad += !(fabs(num - gx[j]) <= 1e-3 + 1e-3 * fabs(gx[j]));
			n++;
		}
	}
	snprintf(name, sizeof name, "headgrad: %s head: %d gradients match central differences",
	    head == TL_TLM_MLP ? "MLP" : "linear", n);
	T_OK(name, bad == 0);
	free(work);
	tl_tlm_free(m);
}

int
main(void)
{
	check(TL_TLM_LINEAR);
	check(TL_TLM_MLP);
	T_DONE();
}
