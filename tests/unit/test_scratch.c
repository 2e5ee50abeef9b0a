/*
 * test_scratch.c - the small CNN of tl-embed -m scratch (backbone/scratch.c)
 * and training from scratch's weights (learn/finetune.c tl_ft_reinit):
 *   1. the builder: the same seed gives the same weights (the same output,
 *      bit for bit), another seed other ones; the output map's shape; the
 *      first Conv's W has the He-normal spread (std sqrt(2 / 27) within 10%)
 *      and B zero;
 *   2. tl_model_open's "scratch[:N]": name, sha256 (of the name), layer,
 *      cut, preparation; bad sizes refused with their messages; loading at
 *      the input refused;
 *   3. the whole network as a trainable tail from the graph input: its
 *      shape, 5 Convs, and its forward against the engine's pooled output
 *      (1e-5 relative);
 *   4. tl_ft_reinit: the same seed the same weights, another seed others,
 *      both unlike the builder's; biases zero; W's spread He-normal.
 */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backbone/model.h"
#include "backbone/scratch.h"
#include "learn/finetune.h"
#include "nn/nn.h"
#include "nn/tail.h"
#include "t.h"

#define S 32 /* input side: a 2x2 map at relu5 */

static float *
image(int n)
{
	float *x = malloc((size_t)n * S * S * 3 * sizeof *x);
	uint64_t s = 12345;

	for (int i = 0; i < n * S * S * 3; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		x[i] = (float)((s >> 40) / 16777216.0 * 4 - 2);
	}
	return x;
}

/* the builder's network finished, run on 2 images into out [2, 2*2*256] */
static int
run(uint64_t seed, float *out)
{
	struct tl_err err;
	struct tl_nn *nn = tl_scratch_build(S, seed, &err);
	float *x = image(2);
	int rc = nn && tl_nn_finish(nn, NULL, &err) == 0 && tl_nn_run(nn, x, 2, out, &err) == 0;

	if (!rc)
		fprintf(stderr, "run: %s\n", err.msg);
	tl_nn_free(nn);
	free(x);
	return rc;
}

static void
builder(void)
{
	size_t n = 2 * 2 * 2 * TL_SCRATCH_DIM;
	float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
	struct tl_err err;
	struct tl_nn *nn;
	int64_t d[TL_NN_MAXRANK];
	int rank;

	T_OK("builder: runs", run(TL_SCRATCH_SEED, a) && run(TL_SCRATCH_SEED, b) && run(7, c));
	T_OK("builder: the same seed, the same output bits", memcmp(a, b, n * sizeof *a) == 0);
	T_OK("builder: another seed, another output", memcmp(a, c, n * sizeof *a) != 0);
	nn = tl_scratch_build(S, TL_SCRATCH_SEED, &err);
	T_OK("builder: finishes", nn && tl_nn_finish(nn, NULL, &err) == 0);
	rank = tl_nn_output_shape(nn, d, &err);
	T_OK("builder: output [1,256,2,2]", rank == 4 && d[1] == 256 && d[2] == 2 && d[3] == 2);
	tl_nn_free(nn);
	nn = tl_scratch_build(4, 0, &err);
	T_OK("builder: size 4 refused", nn == NULL);
	T_EQ_STR("builder: its message", err.msg, "scratch: input size 4, want 8 or more");
	free(a), free(b), free(c);
}

static void
model(void)
{
	struct tl_model m;
	struct tl_err err;
	gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "scratch:64", -1);

	T_OK("model: scratch opens", tl_model_open("scratch", &m, &err) == 0);
	T_EQ_STR("model: its name", m.name, "scratch:64");
	T_EQ_STR("model: sha256 of the name", m.sha256, hex);
	T_EQ_STR("model: feature layer", m.layer, "relu5");
	T_EQ_STR("model: the cut is the input", m.ft_from, "input");
	T_EQ_STR("model: the tail's end", m.ft_to, "relu5");
	T_EQ_INT("model: 64 x 64", m.prep.width * 1000 + m.prep.height, 64064);
	T_OK("model: the input is the input", tl_model_layer_is_input(&m, "input") &&
	    !tl_model_layer_is_input(&m, "relu5"));
	T_OK("model: no network at the input", tl_model_load(&m, "input", NULL, &err) == NULL);
	T_EQ_STR("model: its message", err.msg, "scratch:64: layer 'input' is the input, no network to run");
	T_OK("model: scratch:16", tl_model_open("scratch:16", &m, &err) == 0 && m.prep.width == 16);
	T_OK("model: scratch:15 refused", tl_model_open("scratch:15", &m, &err) < 0);
	T_EQ_STR("model: its message", err.msg, "'scratch:15': want scratch:N, N from 16 to 256");
	T_OK("model: scratch:x refused", tl_model_open("scratch:x", &m, &err) < 0);
	T_EQ_STR("model: its message", err.msg, "'scratch:x': want scratch:N, N from 16 to 256");
	g_free(hex);
}

/* the whole network as a tail from its input */
static void
tail(void)
{
	struct tl_model m;
	struct tl_err err;
	struct tl_nn *nn = NULL;
	struct tl_tail *t = NULL;
	int64_t hwc[3];
	float *x = image(2), full[2 * 2 * 2 * 256], pooled[2 * 256], got[2 * 256];
	double maxv = 0, maxd = 0;

	T_OK("tail: model", tl_model_open("scratch:32", &m, &err) == 0);
	T_OK("tail: loads", (nn = tl_model_load(&m, NULL, NULL, &err)) != NULL);
	T_OK("tail: from the input", nn && (t = tl_tail_new(nn, "input", "relu5", &err)) != NULL);
	if (t == NULL) {
		fprintf(stderr, "tail: %s\n", err.msg);
		tl_nn_free(nn), free(x);
		return;
	}
	tl_tail_in_shape(t, hwc);
	T_OK("tail: takes the image [32,32,3]", hwc[0] == 32 && hwc[1] == 32 && hwc[2] == 3);
	T_EQ_INT("tail: 256 out", tl_tail_out_dim(t), 256);
	T_EQ_INT("tail: 5 Convs", tl_tail_depth(t), 5);
	T_EQ_INT("tail: W and B of each", tl_tail_nparams(t), 10);
	T_OK("tail: forward", tl_tail_forward(t, x, 2, got, 0, &err) == 0);
	T_OK("tail: engine", tl_nn_run(nn, x, 2, full, &err) == 0);
	for (int i = 0; i < 2; i++)
		for (int c = 0; c < 256; c++) {
			double s = 0;
			for (int p = 0; p < 4; p++)
				s += full[(i * 4 + p) * 256 + c];
			pooled[i * 256 + c] = (float)(s / 4);
		}
	for (int i = 0; i < 512; i++) {
		maxv = fmax(maxv, fabs(pooled[i]));
		maxd = fmax(maxd, fabs(pooled[i] - got[i]));
	}
	T_OK("tail: forward = the engine's output pooled", maxv > 0 && maxd <= 1e-5 * maxv);
	tl_tail_free(t);
	tl_nn_free(nn);
	free(x);
}

/* std of n values */
static double
sd(const float *w, int64_t n)
{
	double s = 0, s2 = 0;

	for (int64_t i = 0; i < n; i++)
		s += w[i], s2 += (double)w[i] * w[i];
	return sqrt(s2 / n - (s / n) * (s / n));
}

static void
reinit(void)
{
	struct tl_model m;
	struct tl_err err;
	struct tl_nn *nn;
	struct tl_tail *a, *b;
	struct tl_tail_param *p;
	float *built, *w1;
	int64_t n;
	int zero = 1, same = 1;

	if (tl_model_open("scratch:32", &m, &err) < 0 || (nn = tl_model_load(&m, NULL, NULL, &err)) == NULL) {
		T_OK("reinit: model", 0);
		return;
	}
	a = tl_tail_new(nn, "input", "relu5", &err);
	b = tl_tail_new(nn, "input", "relu5", &err);
	tl_nn_free(nn);
	p = tl_tail_param(a, 0);
	n = p->n;
	built = malloc((size_t)n * sizeof *built);
	w1 = malloc((size_t)n * sizeof *w1);
	memcpy(built, p->w, (size_t)n * sizeof *built);
	T_EQ_STR("reinit: param 0 is conv1's W", p->node, "conv1");
	T_NEAR("builder: conv1 W He-normal", sd(built, n), sqrt(2.0 / 27), 0, 0.1);
	T_EQ_STR("builder: param 1 is conv1's B", tl_tail_param(a, 1)->what, "B");
	tl_ft_reinit(a, 0);
	memcpy(w1, p->w, (size_t)n * sizeof *w1);
	T_OK("reinit: unlike the builder's", memcmp(w1, built, (size_t)n * sizeof *w1) != 0);
	tl_ft_reinit(a, 0);
	T_OK("reinit: the same seed, the same weights", memcmp(w1, p->w, (size_t)n * sizeof *w1) == 0);
	tl_ft_reinit(b, 1);
	T_OK("reinit: another seed, others",
	    memcmp(w1, tl_tail_param(b, 0)->w, (size_t)n * sizeof *w1) != 0);
	for (int i = 0; i < tl_tail_nparams(a); i++) {
		struct tl_tail_param *q = tl_tail_param(a, i);
		if (strcmp(q->what, "B") == 0)
			for (int64_t j = 0; j < q->n; j++)
				zero &= q->w[j] == 0;
		else if (i > 0) {
			double want = sqrt(2.0 / (double)(q->n / q->dims[0]));
			same &= fabs(sd(q->w, q->n) - want) <= 0.1 * want;
		}
	}
	T_OK("reinit: biases zero", zero);
	T_OK("reinit: every W He-normal (std within 10%)", same);
	free(built), free(w1);
	tl_tail_free(a), tl_tail_free(b);
}

int
main(void)
{
	builder();
	model();
	tail();
	reinit();
	T_DONE();
}
