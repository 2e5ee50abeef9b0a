/*
 * test_tail.c - lib/nn/tail.c, the trainable end of a backbone:
 *   1. small graphs made with the builder API (1x1 Convs with Clip(0,6) and
 *      Relu, a zero Pad before a stride-2 depthwise 3x3, a Pad that cannot
 *      fold with a standalone Relu, 3x3 and odd-shaped dense Convs with
 *      pads, stride and dilation, residual Adds with a standalone Relu and
 *      an Identity, MobileNetV3's HardSwish, a SAME_UPPER depthwise 5x5
 *      stride 2, hard-swish written out, squeeze-excite with HardSigmoid
 *      and a [C,1,1] gate, binary ops with scalars either side and of two
 *      maps): every parameter entry's gradient against central finite
 *      differences of loss = sum(out * r), and the forward against the
 *      engine's `to` averaged over H,W (1e-5 relative);
 *      the input maps' gradient (tl_tail_backward_in, through the
 *      average and through a gradient of the map) likewise, every entry;
 *   2. the checker itself catches a gradient off by a few per cent;
 *   3. tests/nn/tail.onnx from tests/nn/make_tail_ref.py (MobileNetV2 and
 *      ResNet blocks), tail3.onnx and tail3w.onnx from make_tail3_ref.py
 *      (MobileNetV3 blocks, with HardSwish/HardSigmoid and written out):
 *      output and every parameter gradient against PyTorch autograd (1e-4
 *      and 1e-5 relative to the largest value), the same bits on 1 and 2
 *      threads;
 *   4. models/mobilenetv2 (make model), block_12_add -> out_relu: 13 Convs,
 *      the forward on the engine's own block_12_add maps of 2 random images
 *      against the engine's pooled out_relu (1e-5 relative), and finite
 *      differences for entries of the first and last Conv's W gradient;
 *      the output and every gradient the same, bit for bit, on 1, 2 and 3
 *      threads (each sum runs in one order whatever the split);
 *   5. errors: unsupported nodes named, cuts that do not cut, backward
 *      without a kept forward.
 * Run from the top of the tree (tests/run does).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backbone/model.h"
#include "nn/nn.h"
#include "nn/tail.h"
#include "ref.h"
#include "t.h"

#define DIR "tests/nn/"

/* xorshift64*, state passed explicitly; uniform in [-1, 1) */
static float
urand(uint64_t *s)
{
	*s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
	return (float)((*s * 2685821657736338717ull >> 40) / 8388608.0 - 1.0);
}

static void
fill(float *v, int64_t n, float scale, uint64_t *s)
{
	for (int64_t i = 0; i < n; i++)
		v[i] = scale * urand(s);
}

/* |got - want| <= rtol * (|want| + max |want|) everywhere */
static int
close_rel(const float *got, const float *want, int64_t n, double rtol,
    double *worst)
{
	double scale = 0;
	int ok = 1;

	*worst = 0;
	for (int64_t i = 0; i < n; i++)
		scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
	for (int64_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		if (!(d <= rtol * (fabs(want[i]) + scale)))
			ok = 0;
		if (!(d / (scale ? scale : 1) <= *worst))
			*worst = d == d ? d / (scale ? scale : 1) : INFINITY;
	}
	return ok;
}

/* ---- graphs with the builder ---- */

struct gb {
	struct tl_nn *nn;
	struct tl_err err;
	int ok;
	uint64_t rng;
};

static void
g_begin(struct gb *b, int c, int h, int w, uint64_t seed)
{
	int64_t d[4] = { -1, c, h, w };

	b->err.msg[0] = '\0';
	b->rng = seed;
	b->nn = tl_nn_new(&b->err);
	b->ok = b->nn && tl_nn_add_input(b->nn, "x", 4, d, &b->err) == 0;
}

/* Conv `name` in -> out with random weights (scale / sqrt(fan in)) */
static void
g_conv(struct gb *b, const char *name, const char *in, const char *out,
    int cin, int cout, int kh, int kw, int group, int sh, int sw, int dh,
    int dw, int pt, int pl, int pb, int pr, int bias, float scale)
{
	char wn[64], bn[64];
	int64_t wd[4] = { cout, cin / group, kh, kw }, bd[1] = { cout };
	int64_t ks[2] = { kh, kw }, st[2] = { sh, sw }, di[2] = { dh, dw },
	    pa[4] = { pt, pl, pb, pr };
	int64_t nw = wd[0] * wd[1] * kh * kw;
	float *w = malloc(nw * sizeof *w), bv[256];
	const char *ins[3] = { in, wn, bn }, *outs[1] = { out };
	struct tl_nn_attr a[5] = {
		{ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ks, .n = 2 },
		{ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = st, .n = 2 },
		{ .name = "dilations", .type = TL_NN_ATTR_INTS, .ints = di, .n = 2 },
		{ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pa, .n = 4 },
		{ .name = "group", .type = TL_NN_ATTR_INT, .i = group },
	};

	snprintf(wn, sizeof wn, "%s/W", name);
	snprintf(bn, sizeof bn, "%s/B", name);
	if (!b->ok || w == NULL || cout > 256) {
		b->ok = 0;
		free(w);
		return;
	}
	fill(w, nw, scale / sqrtf((float)(wd[1] * kh * kw)), &b->rng);
	fill(bv, cout, 0.5f, &b->rng);
	b->ok = tl_nn_add_weights(b->nn, wn, 4, wd, w, &b->err) == 0 &&
	    (!bias || tl_nn_add_weights(b->nn, bn, 1, bd, bv, &b->err) == 0) &&
	    tl_nn_add_node(b->nn, name, "Conv", ins, bias ? 3 : 2, outs, 1, a, 5,
	    &b->err) == 0;
	free(w);
}

static void
g_op(struct gb *b, const char *name, const char *op, const char *in0,
    const char *in1, const char *out)
{
	const char *ins[2] = { in0, in1 }, *outs[1] = { out };

	if (b->ok)
		b->ok = tl_nn_add_node(b->nn, name, op, ins, in1 ? 2 : 1, outs, 1,
		    NULL, 0, &b->err) == 0;
}

static void
g_clip(struct gb *b, const char *name, const char *in, const char *out,
    float lo, float hi)
{
	char ln[64], hn[64];
	const char *ins[3] = { in, ln, hn }, *outs[1] = { out };
	int64_t none[1] = { 1 };	/* rank 0: not read, but not NULL */

	snprintf(ln, sizeof ln, "%s/min", name);
	snprintf(hn, sizeof hn, "%s/max", name);
	if (b->ok)
		b->ok = tl_nn_add_weights(b->nn, ln, 0, none, &lo, &b->err) == 0 &&
		    tl_nn_add_weights(b->nn, hn, 0, none, &hi, &b->err) == 0 &&
		    tl_nn_add_node(b->nn, name, "Clip", ins, 3, outs, 1, NULL, 0,
		    &b->err) == 0;
}

/* zero Pad of H (t, b) and W (l, r), pads as an int64 input (opset 13) */
static void
g_pad(struct gb *b, const char *name, const char *in, const char *out,
    int t, int l, int bo, int r)
{
	char pn[64];
	int64_t pads[8] = { 0, 0, t, l, 0, 0, bo, r }, pd[1] = { 8 };
	const char *ins[2] = { in, pn }, *outs[1] = { out };
	struct tl_nn_attr a = { .name = "mode", .type = TL_NN_ATTR_STRING,
	    .s = "constant" };

	snprintf(pn, sizeof pn, "%s/pads", name);
	if (b->ok)
		b->ok = tl_nn_add_weights_i64(b->nn, pn, 1, pd, pads, &b->err) == 0 &&
		    tl_nn_add_node(b->nn, name, "Pad", ins, 2, outs, 1, &a, 1,
		    &b->err) == 0;
}

/* depthwise KxK, stride 2, auto_pad SAME_UPPER, bias */
static void
g_dw_same(struct gb *b, const char *name, const char *in, const char *out,
    int c, int k, float scale)
{
	char wn[64], bn[64];
	int64_t wd[4] = { c, 1, k, k }, bd[1] = { c }, ks[2] = { k, k },
	    st[2] = { 2, 2 };
	float w[16 * 25], bv[16];
	const char *ins[3] = { in, wn, bn }, *outs[1] = { out };
	struct tl_nn_attr a[4] = {
		{ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ks, .n = 2 },
		{ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = st, .n = 2 },
		{ .name = "auto_pad", .type = TL_NN_ATTR_STRING, .s = "SAME_UPPER" },
		{ .name = "group", .type = TL_NN_ATTR_INT, .i = c },
	};

	snprintf(wn, sizeof wn, "%s/W", name);
	snprintf(bn, sizeof bn, "%s/B", name);
	if (!b->ok || c > 16 || k > 5) {
		b->ok = 0;
		return;
	}
	fill(w, c * k * k, scale / k, &b->rng);
	fill(bv, c, 0.5f, &b->rng);
	b->ok = tl_nn_add_weights(b->nn, wn, 4, wd, w, &b->err) == 0 &&
	    tl_nn_add_weights(b->nn, bn, 1, bd, bv, &b->err) == 0 &&
	    tl_nn_add_node(b->nn, name, "Conv", ins, 3, outs, 1, a, 4,
	    &b->err) == 0;
}

/* a scalar constant (rank 0) named name */
static void
g_scalar(struct gb *b, const char *name, float v)
{
	int64_t none[1] = { 1 };

	if (b->ok)
		b->ok = tl_nn_add_weights(b->nn, name, 0, none, &v, &b->err) == 0;
}

static void
g_hsig(struct gb *b, const char *name, const char *in, const char *out,
    float alpha, float beta)
{
	const char *ins[1] = { in }, *outs[1] = { out };
	struct tl_nn_attr a[2] = {
		{ .name = "alpha", .type = TL_NN_ATTR_FLOAT, .f = alpha },
		{ .name = "beta", .type = TL_NN_ATTR_FLOAT, .f = beta },
	};

	if (b->ok)
		b->ok = tl_nn_add_node(b->nn, name, "HardSigmoid", ins, 1, outs, 1,
		    a, 2, &b->err) == 0;
}

static struct tl_nn *
g_end(struct gb *b, const char *to)
{
	struct tl_nn_opts o;

	tl_nn_opts_init(&o);
	o.threads = 2;
	if (b->ok)
		b->ok = tl_nn_add_output(b->nn, to, &b->err) == 0 &&
		    tl_nn_finish(b->nn, &o, &b->err) == 0;
	if (!b->ok) {
		printf("  building: %s\n", b->err.msg);
		tl_nn_free(b->nn);
		return NULL;
	}
	return b->nn;
}

/* The graphs: each returns a finished graph, sets its input size, cut and
 * output. */
struct gdef {
	const char *label, *from, *to;
	int c, h, w;
	float xscale;
	void (*build)(struct gb *);
};

/* 1x1 convolutions with Clip(0,6) and Relu fused; cut at the input */
static void
build_pointwise(struct gb *b)
{
	g_conv(b, "a", "x", "a_out", 6, 8, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 4);
	g_clip(b, "a_clip", "a_out", "a6", 0, 6);
	g_conv(b, "b", "a6", "b_out", 8, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_op(b, "b_relu", "Relu", "b_out", NULL, "y");
}

/* a frozen stem, then MobileNetV2's stride-2 block: zero Pad (0,1,0,1),
 * depthwise 3x3 stride 2 with Clip(0,6), a 1x1 projection without bias */
static void
build_depthwise(struct gb *b)
{
	g_conv(b, "stem", "x", "stem_out", 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
	g_op(b, "stem_relu", "Relu", "stem_out", NULL, "s");
	g_pad(b, "pad", "s", "sp", 0, 0, 1, 1);
	g_conv(b, "dw", "sp", "dw_out", 4, 4, 3, 3, 4, 2, 2, 1, 1, 0, 0, 0, 0, 1, 3);
	g_clip(b, "dw_clip", "dw_out", "d6", 0, 6);
	g_conv(b, "proj", "d6", "y", 4, 5, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1);
}

/* a Pad read by a standalone Relu (nothing to fold into), then a dense
 * 3x3 stride 2 and a depthwise 3x3 with dilation 2 and 'same' pads */
static void
build_padrelu(struct gb *b)
{
	g_pad(b, "pad", "x", "xp", 1, 2, 0, 1);
	g_op(b, "relu", "Relu", "xp", NULL, "xr");
	g_conv(b, "c", "xr", "c_out", 3, 6, 3, 3, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1);
	g_clip(b, "c_clip", "c_out", "c6", -1, 1.5f);
	g_conv(b, "dw", "c6", "y", 6, 6, 3, 3, 6, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1);
}

/* dense 3x3 with pads and Relu, then a 3x2 kernel with stride 2,
 * dilation (2,1) and uneven pads, Clip(-1,2) */
static void
build_dense(struct gb *b)
{
	g_conv(b, "c1", "x", "c1_out", 3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.5f);
	g_op(b, "c1_relu", "Relu", "c1_out", NULL, "r1");
	g_conv(b, "c2", "r1", "c2_out", 5, 4, 3, 2, 1, 2, 2, 2, 1, 1, 0, 2, 1, 1, 1.5f);
	g_clip(b, "c2_clip", "c2_out", "y", -1, 2);
}

/* ResNet-style: a frozen stem s, a = relu(conv s), b = conv a, relu(a + b),
 * an Identity, c = conv, y = relu(c + s) with s the tail's own input */
static void
build_residual(struct gb *b)
{
	g_conv(b, "stem", "x", "stem_out", 4, 6, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_op(b, "stem_relu", "Relu", "stem_out", NULL, "s");
	g_conv(b, "ca", "s", "ca_out", 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
	g_op(b, "ca_relu", "Relu", "ca_out", NULL, "a");
	g_conv(b, "cb", "a", "b", 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
	g_op(b, "add1", "Add", "a", "b", "ab");
	g_op(b, "relu1", "Relu", "ab", NULL, "r1");
	g_op(b, "id", "Identity", "r1", NULL, "r1i");
	g_conv(b, "cc", "r1i", "c", 6, 6, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_op(b, "add2", "Add", "c", "s", "cs");
	g_op(b, "relu2", "Relu", "cs", NULL, "y");
}

/* MobileNetV3's kinds: expand 1x1 + HardSwish, depthwise 5x5 stride 2
 * SAME_UPPER + hard-swish written out (Add 3, Clip 0..6, Mul 1/6, Mul of
 * two maps), squeeze-excite (GlobalAveragePool, 1x1 + Relu, 1x1,
 * HardSigmoid(0.25, 0.4), Mul of the gate with the map, gate first), then
 * every other binary form: Div, Sub and Mul by scalars either side, Sub
 * and Mul of two maps */
static void
build_mnv3(struct gb *b)
{
	g_conv(b, "e", "x", "e_out", 5, 8, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 4);
	g_op(b, "e_hs", "HardSwish", "e_out", NULL, "e6");
	g_dw_same(b, "dw", "e6", "d", 8, 5, 4);
	g_scalar(b, "three", 3);
	g_scalar(b, "sixth", 1.0f / 6);
	g_op(b, "d_add", "Add", "d", "three", "d3");
	g_clip(b, "d_clip", "d3", "d6", 0, 6);
	g_op(b, "d_mul", "Mul", "d6", "sixth", "dr");
	g_op(b, "d_hs", "Mul", "d", "dr", "h");
	g_op(b, "gap", "GlobalAveragePool", "h", NULL, "g");
	g_conv(b, "f1", "g", "f1_out", 8, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 4);
	g_op(b, "f1_relu", "Relu", "f1_out", NULL, "f1r");
	g_conv(b, "f2", "f1r", "f2_out", 4, 8, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 4);
	g_hsig(b, "gate", "f2_out", "s", 0.25f, 0.4f);
	g_op(b, "se", "Mul", "s", "h", "y0");
	g_scalar(b, "k1", 2.5f);
	g_scalar(b, "k2", 0.5f);
	g_scalar(b, "k3", 0.25f);
	g_scalar(b, "k4", 1.5f);
	g_op(b, "div", "Div", "y0", "k1", "z1");
	g_op(b, "rsub", "Sub", "k2", "z1", "z2");
	g_op(b, "mul2", "Mul", "z2", "h", "z3");
	g_op(b, "sub2", "Sub", "z3", "y0", "z4");
	g_op(b, "sub", "Sub", "z4", "k3", "z5");
	g_op(b, "kmul", "Mul", "k4", "z5", "z6");
	g_op(b, "kadd", "Add", "k3", "z6", "y");
}

static const struct gdef graphs[] = {
	{ "pointwise", "x", "y", 6, 5, 5, 2, build_pointwise },
	{ "pad+depthwise", "s", "y", 3, 9, 9, 1, build_depthwise },
	{ "pad+relu", "x", "y", 3, 8, 7, 1, build_padrelu },
	{ "dense", "x", "y", 3, 7, 7, 1, build_dense },
	{ "residual", "s", "y", 4, 6, 6, 1, build_residual },
	{ "mobilenetv3", "x", "y", 5, 8, 7, 1.5f, build_mnv3 },
};

/* sum(out * r) for the tail's current parameters, in double */
static double
loss(struct tl_tail *t, const float *in, int n, const float *r, float *out)
{
	int64_t c = tl_tail_out_dim(t);
	struct tl_err err;
	double l = 0;

	if (tl_tail_forward(t, in, n, out, 0, &err))
		return NAN;
	for (int64_t i = 0; i < n * c; i++)
		l += (double)out[i] * r[i];
	return l;
}

/*
 * Central differences, step h, for param entries idx[0..k) (all when idx
 * is NULL) against the analytic gradient ana: a bad entry is one off by
 * more than atol + rtol*|ana|.  Returns the bad entries; worst is the
 * largest error over (atol + rtol*|ana|).
 */
static int
fd_param(struct tl_tail *t, struct tl_tail_param *p, const float *ana,
    const int64_t *idx, int64_t k, const float *in, int n, const float *r,
    float *out, double h, double atol, double rtol, double *worst)
{
	int bad = 0;

	if (idx == NULL)
		k = p->n;
	for (int64_t e = 0; e < k; e++) {
		int64_t i = idx ? idx[e] : e;
		float w0 = p->w[i];
		double lp, lm, num, d;
		p->w[i] = w0 + (float)h;
		lp = loss(t, in, n, r, out);
		p->w[i] = w0 - (float)h;
		lm = loss(t, in, n, r, out);
		p->w[i] = w0;
		/* the step as float really made it */
		num = (lp - lm) / ((double)(w0 + (float)h) - (w0 - (float)h));
		d = fabs(num - ana[i]) / (atol + rtol * fabs(ana[i]));
		if (idx)
			printf("  %s/%s[%lld]: difference %.7g, gradient %.7g\n",
			    p->node, p->what, (long long)i, num, ana[i]);
		if (!(d <= 1))
			bad++;
		if (!(d <= *worst))
			*worst = d == d ? d : INFINITY;
	}
	return bad;
}

/* Every parameter of t: forward(keep), backward(r), then differences with
 * step 2e-4 (weights and maps are O(1)): at 1e-3 a difference across a
 * Relu kink of the residual graph already uses half the tolerance, at
 * 1e-4 float rounding in the loss a fifth; at 2e-4 both stay under a
 * tenth.  corrupt: scale one gradient entry first (the checker must
 * notice). */
static int
gradcheck(const char *label, struct tl_tail *t, const float *in, int n,
    uint64_t *rng, int corrupt)
{
	int64_t c = tl_tail_out_dim(t), total = 0;
	float *r = malloc(n * c * sizeof *r), *out = malloc(n * c * sizeof *out);
	struct tl_err err = { "" };
	int bad = 0, rc;
	char name[256];

	fill(r, n * c, 1, rng);
	tl_tail_zero_grad(t);
	rc = tl_tail_forward(t, in, n, out, 1, &err) ||
	    tl_tail_backward(t, r, &err);
	if (!corrupt) {
		snprintf(name, sizeof name, "tail %s: forward(keep) + backward",
		    label);
		T_EQ_INT(name, rc, 0);
	}
	for (int pi = 0; pi < tl_tail_nparams(t) && rc == 0; pi++) {
		struct tl_tail_param *p = tl_tail_param(t, pi);
		float *ana = malloc(p->n * sizeof *ana);
		double worst = 0;
		int b;
		memcpy(ana, p->g, p->n * sizeof *ana);
		if (corrupt && pi == 0)
			ana[p->n / 2] = ana[p->n / 2] * 1.05f + 0.01f;
		b = fd_param(t, p, ana, NULL, 0, in, n, r, out, 2e-4, 2e-3, 1e-2,
		    &worst);
		if (!corrupt)
			printf("  %s %s/%s [%lld]: worst %.3g of tolerance, %d bad\n",
			    label, p->node, p->what, (long long)p->n, worst, b);
		bad += b;
		total += p->n;
		free(ana);
	}
	if (!corrupt) {
		snprintf(name, sizeof name, "tail %s: %lld parameter gradients "
		    "match central differences", label, (long long)total);
		T_OK(name, rc == 0 && bad == 0 && total > 0);
	}
	free(r);
	free(out);
	return rc ? -1 : bad;
}

/* The engine's `from` maps (NHWC, caller frees *fm) and its `to`
 * averaged over H,W, through tl_nn_set_output and tl_nn_run; with tmap,
 * `to` itself too (caller frees *tmap). */
static int
engine_maps(struct tl_nn *nn, const char *from, const char *to,
    const float *x, int n, float **fm, float *pooled, int64_t fsize,
    float **tmap, struct tl_err *err)
{
	int64_t d[TL_NN_MAXRANK], hw, c;
	float *tm = NULL;
	int r;

	*fm = malloc(n * fsize * sizeof **fm);
	r = tl_nn_set_output(nn, from, err) || tl_nn_run(nn, x, n, *fm, err) ||
	    tl_nn_set_output(nn, to, err) ||
	    tl_nn_tensor_shape(nn, to, d, err) != 4;
	if (r)
		return -1;
	c = d[1], hw = d[2] * d[3];
	if ((tm = malloc(n * c * hw * sizeof *tm)) == NULL ||
	    tl_nn_run(nn, x, n, tm, err)) {
		free(tm);
		return -1;
	}
	for (int k = 0; k < n; k++)
		for (int64_t q = 0; q < c; q++) {
			double s = 0;
			for (int64_t p = 0; p < hw; p++)
				s += tm[(k * hw + p) * c + q];
			pooled[k * c + q] = (float)(s / hw);
		}
	if (tmap)
		*tmap = tm;
	else
		free(tm);
	return 0;
}

/* sum(map of `to` * R) for input in, through a forward with keep */
static double
loss_map(struct tl_tail *t, const float *in, int n, const float *R, float *out)
{
	struct tl_err err;
	int64_t hwc[3];
	const float *map;
	double l = 0;

	if (tl_tail_forward(t, in, n, out, 1, &err) ||
	    (map = tl_tail_map(t, hwc)) == NULL)
		return NAN;
	for (int64_t i = 0; i < n * hwc[0] * hwc[1] * hwc[2]; i++)
		l += (double)map[i] * R[i];
	return l;
}

/*
 * The input maps' gradient (tl_tail_backward_in) against central
 * differences of each input entry, tolerance as gradcheck's (2e-3 + 1e-2
 * |gradient|) at step 2e-4 or 1e-3: an input moves every pixel's
 * squeeze-excite gate, so a step often crosses the kink of a Relu or
 * HardSwish on a value all of one image's inputs share, and the two
 * steps' windows see it differently (a wrong gradient fails both): for loss = sum(out * r) through dout, and for
 * loss = sum(to * R) through dmap (a gradient of `to` itself).  The
 * parameters' gradients of backward_in equal backward's (1e-6).
 */
static void
input_gradcheck(const char *label, struct tl_tail *t, const float *in0, int n,
    uint64_t *rng)
{
	int64_t hwc[3], ohwc[3], c = tl_tail_out_dim(t), fsize, osize;
	struct tl_err err = { "" };
	float *in, *r, *R, *out, *din, *g0;
	int rc, bad[2] = { 0, 0 }, same = 1;
	double worst[2] = { 0, 0 };
	char name[256];

	tl_tail_in_shape(t, hwc);
	tl_tail_out_shape(t, ohwc);
	fsize = hwc[0] * hwc[1] * hwc[2], osize = ohwc[0] * ohwc[1] * ohwc[2];
	in = malloc(n * fsize * sizeof *in);
	din = malloc(n * fsize * sizeof *din);
	r = malloc(n * c * sizeof *r);
	R = malloc(n * osize * sizeof *R);
	out = malloc(n * c * sizeof *out);
	memcpy(in, in0, n * fsize * sizeof *in);
	fill(r, n * c, 1, rng);
	/* as large as r spread over the pixels */
	fill(R, n * osize, 1.0f / (float)(ohwc[0] * ohwc[1]), rng);
	/* the parameters' gradients: backward_in adds what backward adds */
	tl_tail_zero_grad(t);
	rc = tl_tail_forward(t, in, n, out, 1, &err) ||
	    tl_tail_backward(t, r, &err);
	{
		int64_t tot = 0;
		for (int pi = 0; pi < tl_tail_nparams(t); pi++)
			tot += tl_tail_param(t, pi)->n;
		g0 = malloc((tot + 1) * sizeof *g0);
		tot = 0;
		for (int pi = 0; pi < tl_tail_nparams(t); pi++) {
			struct tl_tail_param *p = tl_tail_param(t, pi);
			memcpy(g0 + tot, p->g, p->n * sizeof *g0);
			tot += p->n;
		}
		tl_tail_zero_grad(t);
		rc = rc || tl_tail_forward(t, in, n, out, 1, &err) ||
		    tl_tail_backward_in(t, r, NULL, din, &err);
		tot = 0;
		for (int pi = 0; pi < tl_tail_nparams(t) && rc == 0; pi++) {
			struct tl_tail_param *p = tl_tail_param(t, pi);
			double w;
			same &= close_rel(p->g, g0 + tot, p->n, 1e-6, &w);
			tot += p->n;
		}
	}
	snprintf(name, sizeof name, "tail %s: backward_in adds the parameters' "
	    "gradients backward does", label);
	T_OK(name, rc == 0 && same);
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if (pass == 1)
			rc = tl_tail_forward(t, in, n, out, 1, &err) ||
			    tl_tail_backward_in(t, NULL, R, din, &err);
		for (int64_t i = 0; i < n * fsize && rc == 0; i++) {
			float x0 = in[i], h[2] = { 2e-4f, 1e-3f };
			double d = INFINITY;
			for (int k = 0; k < 2; k++) {
				double lp, lm, num;
				in[i] = x0 + h[k];
				lp = pass ? loss_map(t, in, n, R, out) :
				    loss(t, in, n, r, out);
				in[i] = x0 - h[k];
				lm = pass ? loss_map(t, in, n, R, out) :
				    loss(t, in, n, r, out);
				in[i] = x0;
				num = (lp - lm) / ((double)(x0 + h[k]) - (x0 - h[k]));
				num = fabs(num - din[i]) / (2e-3 + 1e-2 * fabs(din[i]));
				d = num < d ? num : d;
			}
			if (!(d <= 1))
				bad[pass]++;
			if (!(d <= worst[pass]))
				worst[pass] = d == d ? d : INFINITY;
		}
		printf("  %s input gradient (%s) [%lld]: worst %.3g of tolerance, "
		    "%d bad\n", label, pass ? "dmap" : "dout",
		    (long long)(n * fsize), worst[pass], bad[pass]);
		snprintf(name, sizeof name, "tail %s: %lld input gradients (%s) "
		    "match central differences", label, (long long)(n * fsize),
		    pass ? "of the map" : "of the average");
		T_OK(name, rc == 0 && bad[pass] == 0);
	}
	if (rc)
		printf("  %s\n", err.msg);
	free(in), free(din), free(r), free(R), free(out), free(g0);
}

static void
small_graph(const struct gdef *g, uint64_t seed)
{
	struct gb b;
	struct tl_nn *nn;
	struct tl_tail *t;
	struct tl_err err = { "" };
	int n = 3, r;
	int64_t hwc[3], c, fsize;
	float *x, *fm = NULL, *tm = NULL, *want, *got, *got2;
	const float *map;
	int64_t mhwc[3];
	double worst = 0;
	char name[256];

	g_begin(&b, g->c, g->h, g->w, seed);
	g->build(&b);
	nn = g_end(&b, g->to);
	snprintf(name, sizeof name, "tail %s: graph built", g->label);
	T_OK(name, nn != NULL);
	if (nn == NULL)
		return;
	t = tl_tail_new(nn, g->from, g->to, &err);
	snprintf(name, sizeof name, "tail %s: tl_tail_new", g->label);
	T_OK(name, t != NULL);
	if (t == NULL) {
		printf("  %s\n", err.msg);
		tl_nn_free(nn);
		return;
	}
	tl_tail_in_shape(t, hwc);
	c = tl_tail_out_dim(t);
	fsize = hwc[0] * hwc[1] * hwc[2];
	x = malloc(n * g->c * g->h * g->w * sizeof *x);
	want = malloc(n * c * sizeof *want);
	got = malloc(n * c * sizeof *got);
	got2 = malloc(n * c * sizeof *got2);
	fill(x, n * g->c * g->h * g->w, g->xscale, &b.rng);
	r = engine_maps(nn, g->from, g->to, x, n, &fm, want, fsize, &tm, &err);
	snprintf(name, sizeof name, "tail %s: engine run", g->label);
	T_EQ_INT(name, r, 0);
	if (r)
		printf("  %s\n", err.msg);
	/* the graph may be freed: the tail owns copies */
	tl_nn_free(nn);
	r = r || tl_tail_forward(t, fm, n, got, 0, &err);
	snprintf(name, sizeof name, "tail %s: forward equals the engine's "
	    "pooled output to 1e-5", g->label);
	T_OK(name, r == 0 && close_rel(got, want, n * c, 1e-5, &worst));
	printf("  %s: forward max error %.3g of max |value|\n", g->label, worst);
	r = r || tl_tail_forward(t, fm, n, got2, 1, &err);
	snprintf(name, sizeof name, "tail %s: forward with keep equals "
	    "without", g->label);
	T_OK(name, r == 0 && close_rel(got2, got, n * c, 1e-6, &worst));
	map = r == 0 ? tl_tail_map(t, mhwc) : NULL;
	snprintf(name, sizeof name, "tail %s: kept map of `to` equals the "
	    "engine's to 1e-5", g->label);
	T_OK(name, map && mhwc[2] == c && close_rel(map, tm, n * mhwc[0] *
	    mhwc[1] * c, 1e-5, &worst));
	if (r == 0)
		gradcheck(g->label, t, fm, n, &b.rng, 0);
	if (r == 0)
		input_gradcheck(g->label, t, fm, n, &b.rng);
	tl_tail_free(t);
	free(x);
	free(fm);
	free(tm);
	free(want);
	free(got);
	free(got2);
}

/* Names, shapes and depths of the pointwise graph's parameters; the
 * checker's own failure on a wrong gradient. */
static void
params_and_checker(void)
{
	struct gb b;
	struct tl_nn *nn;
	struct tl_tail *t;
	struct tl_err err = { "" };
	struct tl_tail_param *p;
	float x[2 * 6 * 5 * 5];
	int bad;

	g_begin(&b, 6, 5, 5, 77);
	build_pointwise(&b);
	if ((nn = g_end(&b, "y")) == NULL)
		return;
	t = tl_tail_new(nn, "x", "y", &err);
	tl_nn_free(nn);
	T_OK("tail params: made", t != NULL);
	if (t == NULL)
		return;
	T_EQ_INT("tail params: 4 parameters", tl_tail_nparams(t), 4);
	T_EQ_INT("tail params: 2 Convs", tl_tail_depth(t), 2);
	p = tl_tail_param(t, 0);
	T_OK("tail params: a/W [8,6,1,1] depth 1", p && strcmp(p->node, "a") == 0 &&
	    strcmp(p->what, "W") == 0 && p->rank == 4 && p->dims[0] == 8 &&
	    p->dims[1] == 6 && p->dims[2] == 1 && p->n == 48 && p->depth == 1);
	p = tl_tail_param(t, 3);
	T_OK("tail params: b/B [4] depth 0", p && strcmp(p->node, "b") == 0 &&
	    strcmp(p->what, "B") == 0 && p->rank == 1 && p->n == 4 &&
	    p->depth == 0);
	T_OK("tail params: index out of range is NULL",
	    tl_tail_param(t, 4) == NULL && tl_tail_param(t, -1) == NULL);
	T_OK("tail params: kept bytes linear in n",
	    tl_tail_keep_bytes(t, 8) == 8 * tl_tail_keep_bytes(t, 1) &&
	    tl_tail_keep_bytes(t, 1) >= (6 + 8 + 4) * 25 * 4);
	fill(x, 2 * 6 * 5 * 5, 2, &b.rng);
	bad = gradcheck("corrupted", t, x, 2, &b.rng, 1);
	T_OK("tail checker: a gradient 5% off fails the check", bad >= 1);
	tl_tail_free(t);
}

/* ---- PyTorch ---- */

/* A reference from tests/nn/make_tail*_ref.py: files <ref>.in.f32 [N,3,S,S],
 * <ref>.cut.f32 [N,CC,CH,CH], <ref>.dout.f32 and <ref>.out.f32 [N,OUT],
 * <ref>.grad.f32 (ng floats) and <ref>.grad.txt; the graph <onnx>. */
struct peer {
	const char *label, *onnx, *ref;
	int s, cc, ch, out, ng, convs, nparams;
	int64_t macs;		/* tl_tail_macs, 0: not checked */
	double rtol;
};

static const struct peer peers[] = {
	{ "torch", "tail.onnx", "tail", 20, 8, 10, 32, 3612, 9, 18, 0, 1e-4 },
	/* expand 16*48*144, depthwise 25*48*36, SE 2*48*12, project
	 * 48*24*36, expand 24*72*36, depthwise 9*72*36, SE 2*72*24,
	 * project 72*24*36, last 24*40*36 */
	{ "torch mobilenetv3", "tail3.onnx", "tail3", 24, 16, 12, 40, 13276, 11,
	    22, 382176, 1e-5 },
	{ "torch mobilenetv3 written out", "tail3w.onnx", "tail3", 24, 16, 12,
	    40, 13276, 11, 22, 382176, 1e-5 },
};

/* The pooled output and every gradient (one block) of the tail cut ->
 * feat of p's graph on `threads` threads for the cut maps cm and dout;
 * NULL on failure.  The caller frees both. */
static float *
peer_grads(const struct peer *pe, int threads, const float *cm,
    const float *dout, float **outp)
{
	struct tl_nn_opts o;
	struct tl_err err;
	struct tl_nn *nn;
	struct tl_tail *t;
	char path[256];
	float *g = malloc(pe->ng * sizeof *g), *out = malloc(2 * pe->out *
	    sizeof *out);
	int64_t off = 0;

	tl_nn_opts_init(&o);
	o.threads = threads;
	snprintf(path, sizeof path, DIR "%s", pe->onnx);
	nn = tl_nn_load_onnx(path, &o, &err);
	t = nn ? tl_tail_new(nn, "cut", "feat", &err) : NULL;
	if (t && g && out && tl_tail_forward(t, cm, 2, out, 1, &err) == 0 &&
	    (tl_tail_zero_grad(t), tl_tail_backward(t, dout, &err)) == 0)
		for (int i = 0; i < tl_tail_nparams(t); i++) {
			struct tl_tail_param *p = tl_tail_param(t, i);
			if (off + p->n > pe->ng)
				break;
			memcpy(g + off, p->g, p->n * sizeof *g);
			off += p->n;
		}
	if (off != pe->ng) {
		free(g), free(out);
		g = out = NULL;
	}
	tl_tail_free(t);
	tl_nn_free(nn);
	*outp = out;
	return g;
}

/* *hw = H*W of tensor name in nn */
static int
tensor_hw(struct tl_nn *nn, const char *name, int64_t *hw)
{
	struct tl_err err;
	int64_t d[TL_NN_MAXRANK];

	if (tl_nn_tensor_shape(nn, name, d, &err) != 4)
		return -1;
	*hw = d[2] * d[3];
	return 0;
}

static float *
ref_f32(const struct peer *pe, const char *what, size_t n)
{
	char path[256];

	snprintf(path, sizeof path, DIR "%s.%s.f32", pe->ref, what);
	return load_f32(path, n);
}

static void
torch_peer(const struct peer *pe)
{
	enum { N = 2 };
	int S = pe->s, CC = pe->cc, CH = pe->ch, OUT = pe->out, NG = pe->ng;
	struct tl_nn_opts o;
	struct tl_err err = { "" };
	struct tl_nn *nn = NULL;
	struct tl_tail *t = NULL;
	float *in = ref_f32(pe, "in", N * 3 * S * S);
	float *cut = ref_f32(pe, "cut", N * CC * CH * CH);
	float *dout = ref_f32(pe, "dout", N * OUT);
	float *tout = ref_f32(pe, "out", N * OUT);
	float *grad = ref_f32(pe, "grad", NG);
	float *cnhwc = malloc(N * CC * CH * CH * sizeof *cnhwc);
	float *ecut = malloc(N * CC * CH * CH * sizeof *ecut);
	float *inhwc = malloc(N * 3 * S * S * sizeof *inhwc);
	float *out = malloc(N * OUT * sizeof *out);
	struct tl_nn_io io = { "image", inhwc, TL_NN_NHWC };
	float *efeat = malloc(N * OUT * CH * CH * sizeof *efeat);
	float epool[N * 64];
	struct tl_nn_io oo[2] = { { "cut", ecut, TL_NN_NHWC },
	    { "feat", efeat, TL_NN_NHWC } };
	FILE *f;
	int64_t off = 0, hwc[3];
	int ok = 1, np = 0, idx, r;
	long cnt;
	char what[8], name[256], path[256];
	double worst = 0, gworst = 0;
	int64_t fh = 0;

	snprintf(path, sizeof path, DIR "%s.grad.txt", pe->ref);
	f = fopen(path, "r");
	snprintf(name, sizeof name, "tail %s: reference files", pe->label);
	T_OK(name, in && cut && dout && tout && grad && f);
	if (!in || !cut || !dout || !tout || !grad || !f)
		goto out;
	to_nhwc(cut, cnhwc, N, CC, CH, CH);
	to_nhwc(in, inhwc, N, 3, S, S);
	tl_nn_opts_init(&o);
	o.threads = 2;
	snprintf(path, sizeof path, DIR "%s", pe->onnx);
	nn = tl_nn_load_onnx(path, &o, &err);
	t = nn ? tl_tail_new(nn, "cut", "feat", &err) : NULL;
	snprintf(name, sizeof name, "tail %s: %s loaded, tail cut -> feat",
	    pe->label, pe->onnx);
	T_OK(name, t != NULL);
	if (t == NULL) {
		printf("  %s\n", err.msg);
		goto out;
	}
	/* the engine's cut and pooled feat (its inference of every op in
	 * the tail) agree with torch's: same input for both */
	r = tensor_hw(nn, "feat", &fh) || OUT > 64 ||
	    tl_nn_run_io(nn, N, &io, 1, oo, 2, &err);
	snprintf(name, sizeof name, "tail %s: engine's cut matches torch's to "
	    "%g", pe->label, pe->rtol);
	T_OK(name, r == 0 && close_rel(ecut, cnhwc, N * CC * CH * CH, pe->rtol,
	    &worst));
	for (int k = 0; r == 0 && k < N; k++)
		for (int c = 0; c < OUT; c++) {
			double sum = 0;
			for (int64_t q = 0; q < fh; q++)
				sum += efeat[(k * fh + q) * OUT + c];
			epool[k * OUT + c] = (float)(sum / fh);
		}
	snprintf(name, sizeof name, "tail %s: engine's pooled feat matches "
	    "torch's to %g", pe->label, pe->rtol);
	T_OK(name, r == 0 && close_rel(epool, tout, N * OUT, pe->rtol, &worst));
	printf("  %s engine: max error %.3g of max |value|\n", pe->label, worst);
	snprintf(name, sizeof name, "tail %s: %d Convs", pe->label, pe->convs);
	T_EQ_INT(name, tl_tail_depth(t), pe->convs);
	tl_tail_in_shape(t, hwc);
	snprintf(name, sizeof name, "tail %s: input [%d,%d,%d], output %d",
	    pe->label, CH, CH, CC, OUT);
	T_OK(name, hwc[0] == CH && hwc[1] == CH && hwc[2] == CC &&
	    tl_tail_out_dim(t) == OUT);
	if (pe->macs) {
		snprintf(name, sizeof name, "tail %s: %lld multiply-adds, the SE "
		    "convolutions' included", pe->label, (long long)pe->macs);
		T_EQ_INT(name, tl_tail_macs(t), pe->macs);
	}
	tl_tail_zero_grad(t);
	r = tl_tail_forward(t, cnhwc, N, out, 1, &err);
	snprintf(name, sizeof name, "tail %s: pooled output matches torch to %g",
	    pe->label, pe->rtol);
	T_OK(name, r == 0 && close_rel(out, tout, N * OUT, pe->rtol, &worst));
	printf("  %s output: max error %.3g of max |value|\n", pe->label, worst);
	r = r || tl_tail_backward(t, dout, &err);
	snprintf(name, sizeof name, "tail %s: backward", pe->label);
	T_EQ_INT(name, r, 0);
	while (r == 0 && fscanf(f, "%d %7s %ld", &idx, what, &cnt) == 3) {
		struct tl_tail_param *p = tl_tail_param(t, np);
		if (p == NULL || idx != np || strcmp(p->what, what) != 0 ||
		    p->n != cnt || off + cnt > NG) {
			ok = 0;
			break;
		}
		snprintf(name, sizeof name, "tail %s: d/d %s/%s [%ld] matches "
		    "autograd to %g", pe->label, p->node, p->what, cnt, pe->rtol);
		T_OK(name, close_rel(p->g, grad + off, cnt, pe->rtol, &worst));
		printf("  max error %.3g of max |value|\n", worst);
		gworst = worst > gworst ? worst : gworst;
		off += cnt, np++;
	}
	printf("  %s gradients: max error %.3g of max |value|\n", pe->label,
	    gworst);
	snprintf(name, sizeof name, "tail %s: parameter list as torch's (%d, W "
	    "and B, sizes)", pe->label, pe->nparams);
	T_OK(name, ok && np == pe->nparams && tl_tail_nparams(t) == pe->nparams &&
	    off == NG);
	if (r == 0) {
		float *o1 = NULL, *o2 = NULL;
		float *g1 = peer_grads(pe, 1, cnhwc, dout, &o1);
		float *g2 = peer_grads(pe, 2, cnhwc, dout, &o2);
		snprintf(name, sizeof name, "tail %s: output and every gradient "
		    "the same bits on 1 and 2 threads", pe->label);
		T_OK(name, g1 && g2 && memcmp(g1, g2, NG * sizeof *g1) == 0 &&
		    memcmp(o1, o2, N * OUT * sizeof *o1) == 0);
		free(g1), free(g2), free(o1), free(o2);
	}
out:
	if (f)
		fclose(f);
	tl_tail_free(t);
	tl_nn_free(nn);
	free(in), free(cut), free(dout), free(tout), free(grad);
	free(cnhwc), free(ecut), free(efeat), free(inhwc), free(out);
}

/* ---- MobileNetV2 ---- */

/* Differences for the 4 entries of the largest |gradient| of the first
 * and of the last Conv's W (large, so float rounding in the loss matters
 * least); the step is 1% of the weights' RMS: smaller ones drown in that
 * rounding, larger ones cross ReLU6 kinks (at 3% the differences of
 * block_13_expand are already 1% below the gradient, at 1% within 0.3%). */
static void
fd_mobilenet(struct tl_tail *t, const float *fm, int n, const float *r,
    float *out)
{
	int which[2] = { 0, tl_tail_nparams(t) - 2 };

	for (int k = 0; k < 2; k++) {
		struct tl_tail_param *p = tl_tail_param(t, which[k]);
		float *ana = malloc(p->n * sizeof *ana);
		int64_t idx[4] = { -1, -1, -1, -1 };
		double rms = 0, worst = 0, h;
		char name[256];
		int bad;
		memcpy(ana, p->g, p->n * sizeof *ana);
		for (int64_t i = 0; i < p->n; i++)
			rms += (double)p->w[i] * p->w[i];
		h = 0.01 * sqrt(rms / p->n);
		for (int64_t i = 0; i < p->n; i++)
			for (int j = 0; j < 4; j++)
				if (idx[j] < 0 || fabsf(ana[i]) > fabsf(ana[idx[j]])) {
					for (int q = 3; q > j; q--)
						idx[q] = idx[q - 1];
					idx[j] = i;
					break;
				}
		bad = fd_param(t, p, ana, idx, 4, fm, n, r, out, h, 1e-4, 1e-2,
		    &worst);
		snprintf(name, sizeof name, "tail mobilenetv2: %s/W gradient "
		    "matches central differences (4 entries, step %.2g)", p->node, h);
		T_OK(name, bad == 0);
		printf("  worst %.3g of tolerance\n", worst);
		free(ana);
	}
}

/* The pooled output [n,OC] and every parameter's gradient (in order, one
 * block) of the tail block_12_add -> out_relu on `threads` threads; NULL
 * on failure.  The caller frees both. */
static float *
grads_at(const struct tl_model *m, int threads, const float *fm, int n,
    const float *r, float **outp)
{
	struct tl_nn_opts o;
	struct tl_err err;
	struct tl_nn *nn;
	struct tl_tail *t;
	float *g = NULL, *out = NULL;
	int64_t total = 0, off = 0;

	tl_nn_opts_init(&o);
	o.threads = threads;
	nn = tl_model_load(m, "out_relu", &o, &err);
	t = nn ? tl_tail_new(nn, "block_12_add", "out_relu", &err) : NULL;
	for (int i = 0; t && i < tl_tail_nparams(t); i++)
		total += tl_tail_param(t, i)->n;
	if (t && (g = malloc(total * sizeof *g)) != NULL &&
	    (out = malloc(n * tl_tail_out_dim(t) * sizeof *out)) != NULL) {
		tl_tail_zero_grad(t);
		if (tl_tail_forward(t, fm, n, out, 1, &err) == 0 &&
		    tl_tail_backward(t, r, &err) == 0)
			for (int i = 0; i < tl_tail_nparams(t); i++) {
				struct tl_tail_param *p = tl_tail_param(t, i);
				memcpy(g + off, p->g, p->n * sizeof *g);
				off += p->n;
			}
	}
	if (off != total || total == 0) {
		free(g), free(out);
		g = out = NULL;
	}
	tl_tail_free(t);
	tl_nn_free(nn);
	*outp = out;
	return g;
}

static void
mobilenet(void)
{
	enum { N = 2, S = 224, FH = 14, FC = 96, OC = 1280 };
	struct tl_model m;
	struct tl_nn_opts o;
	struct tl_err err = { "" };
	struct tl_nn *nn = NULL;
	struct tl_tail *t = NULL;
	uint64_t rng = 4242;
	float *x = malloc(N * S * S * 3 * sizeof *x), *fm = NULL;
	float want[N * OC], got[N * OC], r[N * OC], out[N * OC];
	int64_t hwc[3];
	double worst = 0;
	int rc, convs = 0;

	if (access("models/mobilenetv2/model.json", R_OK) != 0) {
		printf("FAIL tail mobilenetv2: models/mobilenetv2 missing: run "
		    "make model\n");
		t_failed = 1;
		free(x);
		return;
	}
	tl_nn_opts_init(&o);
	o.threads = 2;
	rc = tl_model_open("models/mobilenetv2/model.json", &m, &err);
	nn = rc == 0 ? tl_model_load(&m, "out_relu", &o, &err) : NULL;
	t = nn ? tl_tail_new(nn, "block_12_add", "out_relu", &err) : NULL;
	T_OK("tail mobilenetv2: block_12_add -> out_relu", t != NULL);
	if (t == NULL) {
		printf("  %s\n", err.msg);
		goto out;
	}
	/* blocks 13-16: expand, depthwise, project each; Conv_1 */
	for (int i = 0; i < tl_tail_nparams(t); i++)
		convs += strcmp(tl_tail_param(t, i)->what, "W") == 0;
	T_EQ_INT("tail mobilenetv2: 13 Convs", tl_tail_depth(t), 13);
	T_EQ_INT("tail mobilenetv2: 13 W (and 13 folded B)", convs, 13);
	T_EQ_INT("tail mobilenetv2: 26 parameters", tl_tail_nparams(t), 26);
	tl_tail_in_shape(t, hwc);
	T_OK("tail mobilenetv2: input [14,14,96], output 1280",
	    hwc[0] == FH && hwc[1] == FH && hwc[2] == FC &&
	    tl_tail_out_dim(t) == OC);
	T_OK("tail mobilenetv2: first is block_13_expand at depth 12, last "
	    "Conv_1 at 0", strcmp(tl_tail_param(t, 0)->node, "block_13_expand") == 0 &&
	    tl_tail_param(t, 0)->depth == 12 &&
	    strcmp(tl_tail_param(t, 24)->node, "Conv_1") == 0 &&
	    tl_tail_param(t, 24)->depth == 0);
	printf("  first %s, last %s; kept %lld bytes per image\n",
	    tl_tail_param(t, 0)->node, tl_tail_param(t, 24)->node,
	    (long long)tl_tail_keep_bytes(t, 1));
	/* the model's input is [-1,1]: random images */
	fill(x, N * S * S * 3, 1, &rng);
	rc = engine_maps(nn, "block_12_add", "out_relu", x, N, &fm, want,
	    FH * FH * FC, NULL, &err);
	T_EQ_INT("tail mobilenetv2: engine run", rc, 0);
	if (rc) {
		printf("  %s\n", err.msg);
		goto out;
	}
	rc = tl_tail_forward(t, fm, N, got, 0, &err);
	T_OK("tail mobilenetv2: forward on the engine's block_12_add equals its "
	    "pooled out_relu to 1e-5",
	    rc == 0 && close_rel(got, want, N * OC, 1e-5, &worst));
	printf("  mobilenetv2 forward: max error %.3g of max |value|\n", worst);
	fill(r, N * OC, 1, &rng);
	tl_tail_zero_grad(t);
	rc = tl_tail_forward(t, fm, N, out, 1, &err) ||
	    tl_tail_backward(t, r, &err);
	T_OK("tail mobilenetv2: forward with keep equals without, backward",
	    rc == 0 && close_rel(out, got, N * OC, 1e-6, &worst));
	if (rc == 0) {
		float *o1 = NULL, *o2 = NULL, *o3 = NULL;
		float *g1 = grads_at(&m, 1, fm, N, r, &o1);
		float *g2 = grads_at(&m, 2, fm, N, r, &o2);
		float *g3 = grads_at(&m, 3, fm, N, r, &o3);
		int64_t total = 0;
		for (int i = 0; i < tl_tail_nparams(t); i++)
			total += tl_tail_param(t, i)->n;
		T_OK("tail mobilenetv2: output and every gradient the same bits "
		    "on 1, 2 and 3 threads", g1 && g2 && g3 &&
		    memcmp(g1, g2, total * sizeof *g1) == 0 &&
		    memcmp(g1, g3, total * sizeof *g1) == 0 &&
		    memcmp(o1, o2, N * OC * sizeof *o1) == 0 &&
		    memcmp(o1, o3, N * OC * sizeof *o1) == 0);
		free(g1), free(g2), free(g3), free(o1), free(o2), free(o3);
		fd_mobilenet(t, fm, N, r, out);
	}
out:
	tl_tail_free(t);
	tl_nn_free(nn);
	free(x);
	free(fm);
}

/* ---- errors ---- */

/* tl_tail_new's message for from -> to, "" when it succeeds */
static const char *
new_err(struct tl_nn *nn, const char *from, const char *to,
    struct tl_err *err)
{
	struct tl_tail *t;

	err->msg[0] = '\0';
	if (nn == NULL)
		return "(no graph)";
	t = tl_tail_new(nn, from, to, err);
	tl_tail_free(t);
	return t ? "" : err->msg;
}

static void
errors(void)
{
	struct gb b;
	struct tl_nn *nn;
	struct tl_tail *t;
	struct tl_err err = { "" };
	int64_t zd[4] = { -1, 4, 6, 6 }, kd[4] = { 1, 4, 1, 1 }, hwc[3];
	float k[4] = { 1, 2, 3, 4 }, x[4 * 36], out[4];

	/* x -> a (1x1, Relu fused) -> Sigmoid -> b -> y */
	g_begin(&b, 4, 6, 6, 5);
	g_conv(&b, "a", "x", "a_out", 4, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_op(&b, "a_relu", "Relu", "a_out", NULL, "ar");
	g_op(&b, "sg", "Sigmoid", "ar", NULL, "s");
	g_conv(&b, "b", "s", "y", 4, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	nn = g_end(&b, "y");
	T_EQ_STR("tail errors: unsupported node named", new_err(nn, "x", "y", &err),
	    "node 'sg' (Sigmoid): not supported in a trainable tail");
	T_EQ_STR("tail errors: a cut after it is fine", new_err(nn, "s", "y", &err),
	    "");
	T_EQ_STR("tail errors: to before from", new_err(nn, "y", "x", &err),
	    "tensor 'x' does not depend on 'y'");
	T_EQ_STR("tail errors: from == to", new_err(nn, "s", "s", &err),
	    "tensor 's' does not depend on 's'");
	T_EQ_STR("tail errors: unknown name", new_err(nn, "nope", "y", &err),
	    "no tensor 'nope'");
	T_EQ_STR("tail errors: fused-away tensor", new_err(nn, "x", "a_out", &err),
	    "tensor 'a_out' was fused at load; its activated output is 'ar'");
	T_EQ_STR("tail errors: a constant", new_err(nn, "x", "a/W", &err),
	    "tensor 'a/W' is a constant");
	t = nn ? tl_tail_new(nn, "s", "y", &err) : NULL;
	T_OK("tail errors: no kept map before a forward with keep",
	    t && tl_tail_map(t, hwc) == NULL);
	T_OK("tail errors: backward before any forward fails",
	    t && tl_tail_backward(t, out, &err) == -1 &&
	    strstr(err.msg, "kept") != NULL);
	fill(x, 4 * 36, 1, &b.rng);
	T_OK("tail errors: backward after a forward without keep fails",
	    t && tl_tail_forward(t, x, 1, out, 0, &err) == 0 &&
	    tl_tail_backward(t, out, &err) == -1);
	T_OK("tail errors: a batch of 0 fails",
	    t && tl_tail_forward(t, x, 0, out, 1, &err) == -1);
	T_OK("tail errors: a forward without keep ends what was kept",
	    t && tl_tail_forward(t, x, 1, out, 1, &err) == 0 &&
	    tl_tail_map(t, hwc) != NULL &&
	    tl_tail_forward(t, x, 1, out, 0, &err) == 0 &&
	    tl_tail_map(t, hwc) == NULL && tl_tail_backward(t, out, &err) == -1);
	tl_tail_free(t);
	tl_tail_free(NULL);
	tl_nn_free(nn);

	/* a grouped convolution that is not depthwise */
	g_begin(&b, 4, 6, 6, 6);
	g_conv(&b, "g", "x", "y", 4, 4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
	nn = g_end(&b, "y");
	T_EQ_STR("tail errors: grouped Conv", new_err(nn, "x", "y", &err),
	    "node 'g' (Conv): not supported in a trainable tail (grouped "
	    "convolution other than depthwise)");
	tl_nn_free(nn);

	/* Add of [4,6,6] and [4,1,1]: broadcasting; Mul of them is a gate,
	 * of [4,6,6] and [4,6,1] not */
	g_begin(&b, 4, 6, 6, 7);
	g_conv(&b, "p", "x", "p_out", 4, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_conv(&b, "q", "x", "q_out", 4, 4, 6, 6, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_conv(&b, "r", "x", "r_out", 4, 4, 1, 6, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_op(&b, "add", "Add", "p_out", "q_out", "y");
	g_op(&b, "mul", "Mul", "p_out", "q_out", "ym");
	g_op(&b, "mulr", "Mul", "p_out", "r_out", "yr");
	b.ok = b.ok && tl_nn_add_output(b.nn, "ym", &b.err) == 0 &&
	    tl_nn_add_output(b.nn, "yr", &b.err) == 0;
	nn = g_end(&b, "y");
	T_EQ_STR("tail errors: Add with broadcasting", new_err(nn, "x", "y", &err),
	    "node 'add' (Add): not supported in a trainable tail (operands of "
	    "different shapes)");
	T_EQ_STR("tail errors: Mul by a [C,1,1] gate is fine",
	    new_err(nn, "x", "ym", &err), "");
	T_EQ_STR("tail errors: Mul by a [C,6,1] map",
	    new_err(nn, "x", "yr", &err), "node 'mulr' (Mul): not supported in "
	    "a trainable tail (operands of different shapes)");
	tl_nn_free(nn);

	/* Add of a second graph input; Add of a constant */
	g_begin(&b, 4, 6, 6, 8);
	b.ok = b.ok && tl_nn_add_input(b.nn, "z", 4, zd, &b.err) == 0 &&
	    tl_nn_add_weights(b.nn, "k", 4, kd, k, &b.err) == 0;
	g_conv(&b, "c", "x", "c_out", 4, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
	g_op(&b, "add", "Add", "c_out", "z", "y");
	g_op(&b, "addk", "Add", "c_out", "k", "yk");
	g_op(&b, "divm", "Div", "c_out", "c_out", "yd");
	b.ok = b.ok && tl_nn_add_output(b.nn, "yk", &b.err) == 0 &&
	    tl_nn_add_output(b.nn, "yd", &b.err) == 0;
	nn = g_end(&b, "y");
	T_EQ_STR("tail errors: an input from outside the cut",
	    new_err(nn, "x", "y", &err), "node 'add' (Add): input 'z' is "
	    "neither computed from 'x' nor a constant");
	T_EQ_STR("tail errors: Add of a constant that is not a scalar",
	    new_err(nn, "x", "yk", &err), "node 'addk' (Add): not supported "
	    "in a trainable tail (a constant operand that is not a scalar)");
	T_EQ_STR("tail errors: Div by a map", new_err(nn, "c_out", "yd", &err),
	    "node 'divm' (Div): not supported in a trainable tail (divides by "
	    "a map)");
	tl_nn_free(nn);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof graphs / sizeof graphs[0]; i++)
		small_graph(&graphs[i], 1000 + i);
	params_and_checker();
	for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++)
		torch_peer(&peers[i]);
	errors();
	mobilenet();
	T_DONE();
}
