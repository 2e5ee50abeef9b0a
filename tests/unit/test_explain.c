/*
 * test_explain.c - lib/classify/explain.c, what a network looks at, on a
 * graph built here whose evidence is known: x [16,16,3] -> c1 (3x3, pad 1)
 * + Relu -> a [16,16,4] -> c2 (3x3, stride 2, pad 1) + Relu -> f [8,8,4].
 * Channel 0 of a is "redness" (R - (G + B) / 2 - 0.3, the centre tap
 * only: dim noise never passes its Relu) and
 * channel 0 of f its 3x3 mean; the other channels have small random
 * weights.  The head's gradient (a linear head's row) weighs channel 0 of
 * f by 1 and the others by 0.05.  The image: dim noise with a red 4x4
 * square in one corner.
 *   1. CAM (cam.h on f) and Grad-CAM on a peak in that corner, and move
 *      with the square to the opposite corner; so does saliency;
 *   2. Grad-CAM on the features themselves is ReLU(sum_c w_c f_c / hw)
 *      (1e-6 relative), the map the head's weights alone make;
 *   3. activations: the channels by mean, best first;
 *   3b. a fine-tuned model's chain (graph to the cut, then a lent tail)
 *      gives the frozen chain's Grad-CAM and saliency;
 *   4. errors: a layer not in the graph, one after the features, a node a
 *      tail does not support (MaxPool) named.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/cam.h"
#include "classify/explain.h"
#include "nn/nn.h"
#include "nn/tail.h"
#include "t.h"

static uint64_t rng = 88172645463325252ull;

static float
urand(void) /* [0, 1) */
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (float)((rng >> 40) / 16777216.0);
}

static int
conv(struct tl_nn *nn, const char *name, const char *in, const char *out, int cin, int cout,
     int stride, const float *w, const float *b, struct tl_err *err)
{
	char wn[64], bn[64];
	int64_t wd[4] = { cout, cin, 3, 3 }, bd[1] = { cout }, ks[2] = { 3, 3 },
	    st[2] = { stride, stride }, pa[4] = { 1, 1, 1, 1 };
	const char *ins[3] = { in, wn, bn }, *outs[1] = { out };
	struct tl_nn_attr a[3] = {
		{ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ks, .n = 2 },
		{ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = st, .n = 2 },
		{ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pa, .n = 4 },
	};

	snprintf(wn, sizeof wn, "%s/W", name);
	snprintf(bn, sizeof bn, "%s/B", name);
	return tl_nn_add_weights(nn, wn, 4, wd, w, err) || tl_nn_add_weights(nn, bn, 1, bd, b, err) ||
	    tl_nn_add_node(nn, name, "Conv", ins, 3, outs, 1, a, 3, err);
}

static int
relu(struct tl_nn *nn, const char *name, const char *in, const char *out, struct tl_err *err)
{
	const char *ins[1] = { in }, *outs[1] = { out };

	return tl_nn_add_node(nn, name, "Relu", ins, 1, outs, 1, NULL, 0, err);
}

/* The graph; with maxpool, a MaxPool 1x1 between a and c2. */
static struct tl_nn *
graph(int maxpool, struct tl_err *err)
{
	int64_t d[4] = { -1, 3, 16, 16 };
	float w1[4 * 3 * 9] = { 0 }, b1[4] = { 0 }, w2[4 * 4 * 9] = { 0 }, b2[4] = { 0 };
	struct tl_nn *nn = tl_nn_new(err);
	struct tl_nn_opts o;
	int64_t ks[2] = { 1, 1 };
	struct tl_nn_attr pa = { .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ks, .n = 2 };
	const char *pin[1] = { "a" }, *pout[1] = { "ap" };

	/* c1: channel 0 = R - (G + B) / 2 - 0.3 at the centre tap: the noise
	 * (below 0.3) never passes its Relu, red does */
	w1[0 * 27 + 0 * 9 + 4] = 1, w1[0 * 27 + 1 * 9 + 4] = -0.5f, w1[0 * 27 + 2 * 9 + 4] = -0.5f;
	b1[0] = -0.3f;
	for (int i = 27; i < 4 * 27; i++)
		w1[i] = 0.2f * (urand() - 0.5f);
	for (int k = 0; k < 9; k++) /* c2: channel 0 = the 3x3 mean of a's channel 0 */
		w2[0 * 36 + 0 * 9 + k] = 1.0f / 9;
	for (int i = 36; i < 4 * 36; i++)
		w2[i] = 0.2f * (urand() - 0.5f);
	tl_nn_opts_init(&o);
	o.threads = 1;
	if (nn == NULL || tl_nn_add_input(nn, "x", 4, d, err) ||
	    conv(nn, "c1", "x", "c1_out", 3, 4, 1, w1, b1, err) || relu(nn, "r1", "c1_out", "a", err) ||
	    (maxpool && tl_nn_add_node(nn, "pool", "MaxPool", pin, 1, pout, 1, &pa, 1, err)) ||
	    conv(nn, "c2", maxpool ? "ap" : "a", "c2_out", 4, 4, 2, w2, b2, err) ||
	    relu(nn, "r2", "c2_out", "f", err) || tl_nn_add_output(nn, "f", err) ||
	    tl_nn_finish(nn, &o, err)) {
		printf("  building: %s\n", err->msg);
		tl_nn_free(nn);
		return NULL;
	}
	return nn;
}

/* dim noise, a red 4x4 square with its corner at (y0, x0) */
static void
image(float *x, int y0, int x0)
{
	for (int i = 0; i < 16 * 16 * 3; i++)
		x[i] = 0.3f * urand();
	for (int y = y0; y < y0 + 4; y++)
		for (int xx = x0; xx < x0 + 4; xx++) {
			x[(y * 16 + xx) * 3 + 0] = 1;
			x[(y * 16 + xx) * 3 + 1] = x[(y * 16 + xx) * 3 + 2] = 0;
		}
}

/* the quadrant (0 top left .. 3 bottom right) of map [n,n]'s maximum, and
 * its mean against the largest mean of the other quadrants */
static int
peak(const float *m, int n, double *ratio)
{
	int best = 0, h = n / 2;
	double q[4] = { 0 }, other = 0;

	for (int i = 1; i < n * n; i++)
		if (m[i] > m[best])
			best = i;
	for (int i = 0; i < n * n; i++)
		q[(i / n >= h) * 2 + (i % n >= h)] += m[i];
	for (int k = 0; k < 4; k++)
		if (k != (best / n >= h) * 2 + (best % n >= h) && q[k] > other)
			other = q[k];
	*ratio = q[(best / n >= h) * 2 + (best % n >= h)] / (other > 0 ? other : 1e-30);
	return (best / n >= h) * 2 + (best % n >= h);
}

static void
corners(struct tl_nn *nn)
{
	static const int at[2][3] = { { 1, 2, 0 }, { 11, 11, 3 } }; /* y0, x0, quadrant */
	float w[4] = { 1, 0.05f, 0.05f, 0.05f }, mul[3] = { 1, 1, 1 };
	float x[16 * 16 * 3], pooled[4], cam[64], gc[256], sal[256];
	struct tl_err err = { "" };
	struct tl_explain *g = tl_explain_new_nn(nn, "f", NULL, "a", TL_EXPLAIN_GRADCAM, &err);
	struct tl_explain *s = tl_explain_new_nn(nn, "f", NULL, NULL, TL_EXPLAIN_SALIENCY, &err);
	struct tl_tail *t = tl_tail_new(nn, "x", "f", &err);
	int gh, gw, gcn;
	char name[200];

	T_OK("explain: Grad-CAM on a, saliency, and the tail to f made", g && s && t);
	if (!g || !s || !t) {
		printf("  %s\n", err.msg);
		goto out;
	}
	tl_explain_grid(g, &gh, &gw, &gcn);
	T_OK("explain: Grad-CAM's grid is a's [16,16] of 4", gh == 16 && gw == 16 && gcn == 4);
	tl_explain_grid(s, &gh, &gw, &gcn);
	T_OK("explain: saliency's grid is the input's [16,16] of 3", gh == 16 && gw == 16 && gcn == 3);
	T_EQ_STR("explain: saliency's layer is the input", tl_explain_layer(s), "x");
	T_EQ_INT("explain: the features have 4 channels", tl_explain_feat_dim(g), 4);
	for (int k = 0; k < 2; k++) {
		int64_t hwc[3];
		const float *f;
		double r;
		int q;
		image(x, at[k][0], at[k][1]);
		/* CAM: the head's weights over f */
		if (tl_tail_forward(t, x, 1, pooled, 1, &err) < 0 || (f = tl_tail_map(t, hwc)) == NULL)
			break;
		tl_cam_compute(f, 64, 4, w, NULL, NULL, NULL, cam);
		q = peak(cam, 8, &r);
		printf("  CAM: %.1f times the next quadrant\n", r);
		snprintf(name, sizeof name, "explain: CAM peaks in quadrant %d, where the red square is, "
		    "over twice the next", at[k][2]);
		T_OK(name, q == at[k][2] && r > 2);
		if (tl_explain_forward(g, x, pooled, &err) < 0 || tl_explain_map(g, w, mul, gc, &err) < 0)
			break;
		q = peak(gc, 16, &r);
		printf("  Grad-CAM: %.1f times the next quadrant\n", r);
		snprintf(name, sizeof name, "explain: Grad-CAM on a peaks in quadrant %d, over twice "
		    "the next", at[k][2]);
		T_OK(name, q == at[k][2] && r > 2);
		if (tl_explain_forward(s, x, NULL, &err) < 0 || tl_explain_map(s, w, mul, sal, &err) < 0)
			break;
		q = peak(sal, 16, &r);
		printf("  saliency: %.1f times the next quadrant\n", r);
		snprintf(name, sizeof name, "explain: saliency peaks in quadrant %d, over twice the next",
		    at[k][2]);
		T_OK(name, q == at[k][2] && r > 2);
	}
	if (*err.msg)
		printf("  %s\n", err.msg);
out:
	tl_explain_free(g);
	tl_explain_free(s);
	tl_tail_free(t);
}

/* Grad-CAM on f itself: the gradient is w / hw at every position */
static void
on_features(struct tl_nn *nn)
{
	float w[4] = { 1, -0.3f, 0.2f, 0.05f }, mul[3] = { 1, 1, 1 };
	float x[16 * 16 * 3], gc[64], want[64];
	struct tl_err err = { "" };
	struct tl_explain *g = tl_explain_new_nn(nn, "f", NULL, "f", TL_EXPLAIN_GRADCAM, &err);
	struct tl_explain *a = tl_explain_new_nn(nn, "f", NULL, "f", TL_EXPLAIN_ACTIVATIONS, &err);
	const float *f;
	double worst = 0, top = 0;
	double mean[4] = { 0 };
	int ch[4], n, ok = 1;

	T_OK("explain: Grad-CAM on the features made", g && a);
	if (!g || !a) {
		printf("  %s\n", err.msg);
		tl_explain_free(g), tl_explain_free(a);
		return;
	}
	image(x, 6, 6);
	if (tl_explain_forward(g, x, NULL, &err) < 0 || tl_explain_map(g, w, mul, gc, &err) < 0 ||
	    tl_explain_forward(a, x, NULL, &err) < 0) {
		printf("  %s\n", err.msg);
		T_OK("explain: forward and map on the features", 0);
		tl_explain_free(g), tl_explain_free(a);
		return;
	}
	f = tl_explain_acts(a, 4, ch);
	for (int p = 0; p < 64; p++) {
		double s = 0;
		for (int c = 0; c < 4; c++) {
			s += w[c] / 64.0 * f[p * 4 + c];
			mean[c] += f[p * 4 + c];
		}
		want[p] = s > 0 ? (float)s : 0;
		top = want[p] > top ? want[p] : top;
	}
	for (int p = 0; p < 64; p++)
		worst = fmax(worst, fabs(gc[p] - want[p]));
	T_OK("explain: Grad-CAM on the features is ReLU(sum_c w_c f_c / hw) to 1e-6",
	    top > 0 && worst <= 1e-6 * top);
	n = 4;
	for (int k = 1; k < n; k++)
		ok &= mean[ch[k - 1]] >= mean[ch[k]];
	T_OK("explain: activations' channels best first", ok);
	tl_explain_free(g);
	tl_explain_free(a);
}

/* A fine-tuned model's chain: the input to the cut a from the graph, then
 * a lent tail from a to f (its tuned tail): the same maps as the frozen
 * chain's (1e-6), and the lent tail is not freed by the explainer */
static void
tuned(struct tl_nn *nn)
{
	float w[4] = { 1, 0.05f, 0.05f, 0.05f }, mul[3] = { 1, 1, 1 };
	float x[16 * 16 * 3], m1[256], m2[256], s1[256], s2[256];
	struct tl_err err = { "" };
	struct tl_tail *tt = tl_tail_new(nn, "a", "f", &err);
	struct tl_explain *fr = tl_explain_new_nn(nn, "f", NULL, "a", TL_EXPLAIN_GRADCAM, &err);
	struct tl_explain *tu = tl_explain_new_nn(nn, "a", tt, NULL, TL_EXPLAIN_GRADCAM, &err);
	struct tl_explain *fs = tl_explain_new_nn(nn, "f", NULL, NULL, TL_EXPLAIN_SALIENCY, &err);
	struct tl_explain *ts = tl_explain_new_nn(nn, "a", tt, NULL, TL_EXPLAIN_SALIENCY, &err);
	double w1 = 0, w2 = 0, top1 = 0, top2 = 0;
	int ok;

	T_OK("explain: chains through a lent tuned tail made", tt && fr && tu && fs && ts);
	ok = tt && fr && tu && fs && ts;
	image(x, 2, 9);
	ok = ok && tl_explain_forward(fr, x, NULL, &err) == 0 &&
	    tl_explain_map(fr, w, mul, m1, &err) == 0 && tl_explain_forward(tu, x, NULL, &err) == 0 &&
	    tl_explain_map(tu, w, mul, m2, &err) == 0 && tl_explain_forward(fs, x, NULL, &err) == 0 &&
	    tl_explain_map(fs, w, mul, s1, &err) == 0 && tl_explain_forward(ts, x, NULL, &err) == 0 &&
	    tl_explain_map(ts, w, mul, s2, &err) == 0;
	for (int p = 0; ok && p < 256; p++) {
		w1 = fmax(w1, fabs(m1[p] - m2[p])), top1 = fmax(top1, m1[p]);
		w2 = fmax(w2, fabs(s1[p] - s2[p])), top2 = fmax(top2, s1[p]);
	}
	T_EQ_STR("explain: the tuned chain's default layer is the cut", tu ? tl_explain_layer(tu) : "",
	    "a");
	T_OK("explain: Grad-CAM through the tuned tail equals the frozen chain's (1e-6)",
	    ok && top1 > 0 && w1 <= 1e-6 * top1);
	T_OK("explain: saliency through the tuned tail equals the frozen chain's (1e-6)",
	    ok && top2 > 0 && w2 <= 1e-6 * top2);
	if (!ok)
		printf("  %s\n", err.msg);
	tl_explain_free(fr), tl_explain_free(tu), tl_explain_free(fs), tl_explain_free(ts);
	tl_tail_free(tt);
}

static void
errors(struct tl_nn *nn)
{
	struct tl_err err = { "" };
	struct tl_nn *mp;
	struct tl_explain *e;

	e = tl_explain_new_nn(nn, "f", NULL, "nosuch", TL_EXPLAIN_GRADCAM, &err);
	T_OK("explain: an unknown layer is refused", e == NULL);
	T_EQ_STR("explain: unknown layer message", err.msg,
	    "--layer nosuch: no such layer up to f (tl-embed --list-layers lists them)");
	tl_explain_free(e);
	e = tl_explain_new_nn(nn, "a", NULL, "f", TL_EXPLAIN_GRADCAM, &err);
	T_OK("explain: a layer after the features is refused", e == NULL);
	T_EQ_STR("explain: after the features message", err.msg,
	    "--layer f: not between the input and a, the head's features");
	tl_explain_free(e);
	if ((mp = graph(1, &err)) == NULL)
		return;
	e = tl_explain_new_nn(mp, "f", NULL, "a", TL_EXPLAIN_GRADCAM, &err);
	T_OK("explain: a MaxPool after the layer is refused", e == NULL);
	T_EQ_STR("explain: MaxPool message names the node", err.msg,
	    "a -> f: node 'pool' (MaxPool): not supported in a trainable tail");
	tl_explain_free(e);
	e = tl_explain_new_nn(mp, "f", NULL, NULL, TL_EXPLAIN_SALIENCY, &err);
	T_OK("explain: saliency through a MaxPool is refused", e == NULL);
	T_EQ_STR("explain: saliency MaxPool message", err.msg,
	    "x -> f: node 'pool' (MaxPool): not supported in a trainable tail");
	tl_explain_free(e);
	tl_nn_free(mp);
}

int
main(void)
{
	struct tl_err err = { "" };
	struct tl_nn *nn = graph(0, &err);
	enum tl_explain_method m;

	T_OK("explain: graph built", nn != NULL);
	if (nn == NULL)
		T_DONE();
	T_OK("explain: methods by name", tl_explain_parse("gradcam", &m) == 0 && m == TL_EXPLAIN_GRADCAM &&
	    tl_explain_parse("saliency", &m) == 0 && m == TL_EXPLAIN_SALIENCY &&
	    tl_explain_parse("none", &m) < 0 && tl_explain_parse("Grad-CAM", &m) < 0);
	corners(nn);
	on_features(nn);
	tuned(nn);
	errors(nn);
	tl_nn_free(nn);
	T_DONE();
}
