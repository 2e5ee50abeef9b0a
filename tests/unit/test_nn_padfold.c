/*
 * test_nn_padfold.c - tl_nn_finish folds a zero Pad of H and W into the
 * Conv that alone reads it (lib/nn/graph.c, fold_pads).  Graphs made with
 * the builder API: MobileNetV2's stride-2 block (expand 1x1, Pad (0,1,0,1),
 * depthwise 3x3 stride 2, projection), a dense 3x3 whose own pads add to
 * the Pad's (pads and a zero constant_value as inputs, opset 13), a VALID
 * dilated 3x3 after an opset-10 Pad (pads and value attributes).  Folded:
 * the Pad's tensor is refused by tl_nn_set_output naming the Conv's
 * activated output, and so is a trainable tail cut there (tl_tail_new);
 * tl_nn_list_tensors leaves it out.  Not folded
 * (set_output on the Pad works): a non-zero value, reflect mode, a Pad read
 * by two Convs, pads as wide as the kernel, a SAME_UPPER Conv, pads of the
 * channels.  Every graph's output against the same graph with the Pad also
 * marked as an output (so never folded), 1e-6 relative.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "nn/tail.h"
#include "t.h"

struct gb {
	struct tl_nn *nn;
	struct tl_err err;
	int ok;
	uint64_t rng;
};

static float
urand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((*s >> 40) / (double)(1 << 24)) * 2 - 1;
}

/* Conv in -> out, random weights and bias; auto_pad NULL: explicit pads */
static void
g_conv(struct gb *b, const char *name, const char *in, const char *out,
    int cin, int cout, int k, int group, int stride, int dil,
    const int64_t pads[4], const char *auto_pad)
{
	char wn[64], bn[64];
	int64_t wd[4] = { cout, cin / group, k, k }, bd[1] = { cout };
	int64_t ks[2] = { k, k }, st[2] = { stride, stride }, di[2] = { dil, dil };
	int64_t nw = wd[0] * wd[1] * k * k;
	float w[4096], bv[64];
	const char *ins[3] = { in, wn, bn }, *outs[1] = { out };
	struct tl_nn_attr a[5] = {
		{ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ks, .n = 2 },
		{ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = st, .n = 2 },
		{ .name = "dilations", .type = TL_NN_ATTR_INTS, .ints = di, .n = 2 },
		{ .name = "group", .type = TL_NN_ATTR_INT, .i = group },
		{ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pads, .n = 4 },
	};

	if (auto_pad)
		a[4] = (struct tl_nn_attr){ .name = "auto_pad",
		    .type = TL_NN_ATTR_STRING, .s = auto_pad };
	snprintf(wn, sizeof wn, "%s/W", name);
	snprintf(bn, sizeof bn, "%s/B", name);
	if (!b->ok || nw > 4096 || cout > 64) {
		b->ok = 0;
		return;
	}
	for (int64_t i = 0; i < nw; i++)
		w[i] = urand(&b->rng) / k;
	for (int i = 0; i < cout; i++)
		bv[i] = 0.5f * urand(&b->rng);
	b->ok = tl_nn_add_weights(b->nn, wn, 4, wd, w, &b->err) == 0 &&
	    tl_nn_add_weights(b->nn, bn, 1, bd, bv, &b->err) == 0 &&
	    tl_nn_add_node(b->nn, name, "Conv", ins, 3, outs, 1, a,
	    pads || auto_pad ? 5 : 4, &b->err) == 0;
}

/* Pad in -> out: pads [N,C,H,W] begins then ends; opset >= 11 as inputs
 * (value as one when vin), else as attributes */
static void
g_pad(struct gb *b, const char *in, const char *out, const int64_t p[8],
    const char *mode, float value, int vin)
{
	int64_t pd[1] = { 8 }, none[1] = { 1 };
	const char *ins[3] = { in, "pad/pads", "pad/value" }, *outs[1] = { out };
	struct tl_nn_attr a[3] = {
		{ .name = "mode", .type = TL_NN_ATTR_STRING, .s = mode },
		{ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = p, .n = 8 },
		{ .name = "value", .type = TL_NN_ATTR_FLOAT, .f = value },
	};

	if (!b->ok)
		return;
	if (vin < 0) {		/* opset 10 */
		b->ok = tl_nn_add_node(b->nn, "pad", "Pad", ins, 1, outs, 1, a, 3,
		    &b->err) == 0;
		return;
	}
	b->ok = tl_nn_add_weights_i64(b->nn, "pad/pads", 1, pd, p, &b->err) == 0 &&
	    (!vin || tl_nn_add_weights(b->nn, "pad/value", 0, none, &value,
	    &b->err) == 0) &&
	    tl_nn_add_node(b->nn, "pad", "Pad", ins, vin ? 3 : 2, outs, 1, a, 1,
	    &b->err) == 0;
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
g_clip6(struct gb *b, const char *name, const char *in, const char *out)
{
	char ln[64], hn[64];
	const char *ins[3] = { in, ln, hn }, *outs[1] = { out };
	int64_t none[1] = { 1 };
	float lo = 0, hi = 6;

	snprintf(ln, sizeof ln, "%s/min", name);
	snprintf(hn, sizeof hn, "%s/max", name);
	if (b->ok)
		b->ok = tl_nn_add_weights(b->nn, ln, 0, none, &lo, &b->err) == 0 &&
		    tl_nn_add_weights(b->nn, hn, 0, none, &hi, &b->err) == 0 &&
		    tl_nn_add_node(b->nn, name, "Clip", ins, 3, outs, 1, NULL, 0,
		    &b->err) == 0;
}

static const int64_t P0[4] = { 0, 0, 0, 0 };

/* MobileNetV2's stride-2 block on 16 channels */
static void
b_mnv2(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 0, 0, 0, 0, 1, 1 };

	g_conv(b, "e", "x", "e_out", 8, 16, 1, 1, 1, 1, P0, NULL);
	g_clip6(b, "e_clip", "e_out", "e6");
	g_pad(b, "e6", "xp", p, "constant", 0, 0);
	g_conv(b, "dw", "xp", "dw_out", 16, 16, 3, 16, 2, 1, P0, NULL);
	g_clip6(b, "dw_clip", "dw_out", "d6");
	g_conv(b, "proj", "d6", "y", 16, 8, 1, 1, 1, 1, P0, NULL);
}

/* dense 3x3 with pads of its own, a zero constant_value input */
static void
b_dense(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 1, 2, 0, 0, 0, 1 },
	    cp[4] = { 0, 0, 1, 0 };

	g_pad(b, "x", "xp", p, "constant", 0, 1);
	g_conv(b, "c", "xp", "c_out", 8, 6, 3, 1, 1, 1, cp, NULL);
	g_op(b, "relu", "Relu", "c_out", NULL, "y");
}

/* opset 10: Pad's attributes, a VALID 3x3 dilation 2 stride 2 */
static void
b_valid(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 2, 1, 0, 0, 3, 4 };

	if (b->ok)
		b->ok = tl_nn_set_opset(b->nn, 10, &b->err) == 0;
	g_pad(b, "x", "xp", p, "constant", 0, -1);
	g_conv(b, "c", "xp", "y", 8, 5, 3, 1, 2, 2, NULL, "VALID");
}

static void
b_value(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 1, 1, 0, 0, 1, 1 };

	g_pad(b, "x", "xp", p, "constant", 0.5f, 1);
	g_conv(b, "c", "xp", "y", 8, 4, 3, 1, 2, 1, P0, NULL);
}

static void
b_reflect(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 1, 1, 0, 0, 1, 1 };

	g_pad(b, "x", "xp", p, "reflect", 0, 0);
	g_conv(b, "c", "xp", "y", 8, 4, 3, 1, 1, 1, P0, NULL);
}

static void
b_two(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 0, 0, 0, 0, 1, 1 };

	g_pad(b, "x", "xp", p, "constant", 0, 0);
	g_conv(b, "c1", "xp", "c1_out", 8, 4, 3, 1, 2, 1, P0, NULL);
	g_conv(b, "c2", "xp", "c2_out", 8, 4, 3, 1, 2, 1, P0, NULL);
	g_op(b, "add", "Add", "c1_out", "c2_out", "y");
}

/* a 1x1 kernel: pads as wide as it would leave windows on zeros only */
static void
b_wide(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 1, 1, 0, 0, 1, 1 };

	g_pad(b, "x", "xp", p, "constant", 0, 0);
	g_conv(b, "c", "xp", "y", 8, 4, 1, 1, 1, 1, P0, NULL);
}

static void
b_same(struct gb *b)
{
	static const int64_t p[8] = { 0, 0, 0, 0, 0, 0, 1, 1 };

	g_pad(b, "x", "xp", p, "constant", 0, 0);
	g_conv(b, "c", "xp", "y", 8, 4, 3, 1, 2, 1, NULL, "SAME_UPPER");
}

/* zero pads of C (one channel in front) */
static void
b_chan(struct gb *b)
{
	static const int64_t p[8] = { 0, 1, 1, 1, 0, 0, 1, 1 };

	g_pad(b, "x", "xp", p, "constant", 0, 0);
	g_conv(b, "c", "xp", "y", 9, 4, 3, 1, 1, 1, P0, NULL);
}

static struct tl_nn *
build(void (*fn)(struct gb *), int keep_pad, struct tl_err *err)
{
	struct gb b = { .ok = 1, .rng = 12345 };
	int64_t d[4] = { -1, 8, 15, 13 };
	struct tl_nn_opts o;

	tl_nn_opts_init(&o);
	o.threads = 2;
	b.err.msg[0] = '\0';
	b.nn = tl_nn_new(&b.err);
	b.ok = b.nn && tl_nn_add_input(b.nn, "x", 4, d, &b.err) == 0;
	fn(&b);
	if (b.ok)
		b.ok = tl_nn_add_output(b.nn, "y", &b.err) == 0 &&
		    (!keep_pad || tl_nn_add_output(b.nn, "xp", &b.err) == 0) &&
		    tl_nn_finish(b.nn, &o, &b.err) == 0;
	if (!b.ok) {
		*err = b.err;
		tl_nn_free(b.nn);
		return NULL;
	}
	return b.nn;
}

static int
listed(const struct tl_nn *nn, const char *name)
{
	const char *t;

	for (int k = 0; (t = tl_nn_list_tensors(nn, k, NULL)) != NULL; k++)
		if (strcmp(t, name) == 0)
			return 1;
	return 0;
}

/* folded: the message tl_nn_set_output gives for the Pad's tensor, NULL
 * when the Pad must stay */
static void
check(const char *label, void (*fn)(struct gb *), const char *folded)
{
	struct tl_err err = { "" };
	struct tl_nn *nn = build(fn, 0, &err), *ref = NULL;
	enum { N = 3, IN = N * 15 * 13 * 8, OUT = 4096 };
	static float x[IN], y[OUT], yr[OUT];
	int64_t d[TL_NN_MAXRANK];
	char name[200];
	double scale = 0, worst = 0;
	uint64_t s = 99;
	int r, n = 0, ok = 1;

	snprintf(name, sizeof name, "%s: builds", label);
	T_OK(name, nn != NULL);
	if (nn == NULL) {
		printf("  %s\n", err.msg);
		return;
	}
	ref = build(fn, 1, &err);
	snprintf(name, sizeof name, "%s: builds with the Pad an output", label);
	T_OK(name, ref != NULL);
	if (ref == NULL) {
		printf("  %s\n", err.msg);
		goto out;
	}
	/* the reference keeps its Pad */
	snprintf(name, sizeof name, "%s: the reference computes xp", label);
	T_OK(name, tl_nn_set_output(ref, "xp", &err) == 0 &&
	    tl_nn_set_output(ref, "y", &err) == 0 && listed(ref, "xp"));
	r = tl_nn_set_output(nn, "xp", &err);
	if (folded) {
		snprintf(name, sizeof name, "%s: Pad folded, set_output refused",
		    label);
		T_EQ_INT(name, r, -1);
		snprintf(name, sizeof name, "%s: message", label);
		T_EQ_STR(name, err.msg, folded);
		snprintf(name, sizeof name, "%s: xp not listed", label);
		T_OK(name, !listed(nn, "xp"));
		snprintf(name, sizeof name, "%s: no shape for xp", label);
		T_EQ_INT(name, tl_nn_tensor_shape(nn, "xp", d, &err), -1);
		if (r == 0)	/* not folded after all: compare anyway */
			tl_nn_set_output(nn, "y", &err);
		/* a trainable tail cannot start at it; from the Pad's input
		 * its Conv has the pads */
		{
			struct tl_tail *t = tl_tail_new(nn, "xp", "y", &err);
			snprintf(name, sizeof name, "%s: tail from xp refused",
			    label);
			T_OK(name, t == NULL);
			snprintf(name, sizeof name, "%s: tail message", label);
			T_EQ_STR(name, err.msg, folded);
			tl_tail_free(t);
		}
	} else {
		snprintf(name, sizeof name, "%s: Pad kept, set_output works",
		    label);
		T_EQ_INT(name, r, 0);
		r = tl_nn_set_output(nn, "y", &err);
		snprintf(name, sizeof name, "%s: xp listed", label);
		T_OK(name, r == 0 && listed(nn, "xp"));
	}
	for (int i = 0; i < IN; i++)
		x[i] = 2 * urand(&s);
	if ((r = tl_nn_output_shape(nn, d, &err)) == 4)
		n = N * (int)(d[1] * d[2] * d[3]);
	snprintf(name, sizeof name, "%s: output size", label);
	T_OK(name, r == 4 && n > 0 && n <= OUT);
	if (r != 4 || n <= 0 || n > OUT)
		goto out;
	r = tl_nn_run(nn, x, N, y, &err);
	r |= tl_nn_run(ref, x, N, yr, &err);
	snprintf(name, sizeof name, "%s: runs", label);
	T_EQ_INT(name, r, 0);
	for (int i = 0; i < n; i++)
		scale = fabsf(yr[i]) > scale ? fabsf(yr[i]) : scale;
	for (int i = 0; i < n; i++) {
		double e = fabs((double)y[i] - yr[i]);
		ok &= e <= 1e-6 * (fabs(yr[i]) + scale);
		worst = e / scale > worst ? e / scale : worst;
	}
	snprintf(name, sizeof name, "%s: equals the unfolded graph (1e-6 rel)",
	    label);
	T_OK(name, ok && scale > 0);
	printf("  %s: %d values, max error %.3g of max |value| %.3g\n", label, n,
	    worst, scale);
out:
	tl_nn_free(nn);
	tl_nn_free(ref);
}

int
main(void)
{
	check("mobilenetv2 block", b_mnv2,
	    "tensor 'xp' was fused at load; its activated output is 'd6'");
	check("dense 3x3 with pads", b_dense,
	    "tensor 'xp' was fused at load; its activated output is 'y'");
	check("opset 10, VALID dilated", b_valid,
	    "tensor 'xp' was fused at load; its activated output is 'y'");
	check("value 0.5", b_value, NULL);
	check("reflect", b_reflect, NULL);
	check("read by two Convs", b_two, NULL);
	check("as wide as a 1x1 kernel", b_wide, NULL);
	check("SAME_UPPER Conv", b_same, NULL);
	check("pads of C", b_chan, NULL);
	T_DONE();
}
