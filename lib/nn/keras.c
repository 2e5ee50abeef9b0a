/*
 * keras.c - Keras models in the TF.js layers format (model.json + shards)
 * translated into the engine's ONNX vocabulary through the nn.h builder.
 *
 * How: model.json is parsed with jansson; the weight shards of each manifest
 * group are read into one block and every weight spec is given its slice
 * (sizes checked against the files before use; tfjs_weights.c).  The
 * layers are emitted in dependency order; each layer's output tensor
 * carries the layer's name and its Keras shape (without the batch) is
 * tracked here, [H,W,C] or [D], so that "same" padding can be written as
 * explicit pads exactly as TF computes them (odd pixel at the bottom/right)
 * and every kernel shape is checked against the input it meets.  Weights
 * are dequantised per tensor as tfjs does: float32(q*scale + min), the
 * product and sum in double.
 *
 * What it deliberately does not do: optimise (folding BatchNormalization and
 * activations into convolutions is the engine's job), guess at layers or
 * options it does not know (each is an error naming the layer), shared
 * layers, channels_first, more than one input per model run.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "nn/keras.h"
#include "nn/tfjs_weights.h"

#define KMAX_IN		64			/* inputs of one layer */
#define KNAME		512			/* longest tensor name */

struct klayer {
	const char *name, *cls;		/* in the parsed JSON */
	json_t *cfg;
	const char *in[KMAX_IN];
	int nin;
	int done;
	int rank;			/* 3: [H,W,C]; 1: [D] (batch left out) */
	int64_t shape[3];
};

struct k {
	struct tl_nn *nn;
	struct tl_err *err;
	json_t *root;
	struct tl_tfjs_weights ws;
	struct klayer *l;
	int nl;
};

#define LE(l, fmt, ...) tl_err_set(k->err, "layer '%s' (%s): " fmt, (l)->name, \
	(l)->cls, __VA_ARGS__)

/* --- weights ----------------------------------------------------------- */

/* The manifest's weights (float32 only, names in full in messages). */
static const struct tl_tfjs_opt kopt = { .ints = 0, .namemax = INT_MAX,
    .maxw = INT_MAX };

static const struct tl_tfjs_weight *
find_weight(const struct k *k, const char *layer, const char *param)
{
	size_t ll = strlen(layer), pl = strlen(param);

	for (int i = 0; i < k->ws.nw; i++) {
		const char *n = k->ws.w[i].name;
		size_t nl = strlen(n);
		/* "layer/param", or "<scope>/layer/param" */
		if (nl >= ll + pl + 1 && strcmp(n + nl - pl, param) == 0 &&
		    n[nl - pl - 1] == '/' &&
		    strncmp(n + nl - pl - 1 - ll, layer, ll) == 0 &&
		    (nl == ll + pl + 1 || n[nl - pl - 2 - ll] == '/'))
			return &k->ws.w[i];
	}
	return NULL;
}

/* The weight layer/param with Keras shape dims[rank], dequantised; the
 * caller frees.  NULL with err if it is missing or has another shape. */
static float *
get_weight(struct k *k, const struct klayer *l, const char *param, int rank,
    const int64_t *dims)
{
	const struct tl_tfjs_weight *w = find_weight(k, l->name, param);
	float *f;
	int ok;

	if (w == NULL) {
		LE(l, "no weight %s/%s in the manifest", l->name, param);
		return NULL;
	}
	ok = w->rank == rank;
	for (int i = 0; ok && i < rank; i++)
		ok = w->dims[i] == dims[i];
	if (!ok) {
		char got[128] = "", want[128] = "";
		for (int i = 0; i < w->rank; i++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld",
			    i ? "," : "", (long long)w->dims[i]);
		for (int i = 0; i < rank; i++)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld",
			    i ? "," : "", (long long)dims[i]);
		LE(l, "weight %s has shape [%s], want [%s]", w->name, got, want);
		return NULL;
	}
	if ((f = malloc((w->n ? w->n : 1) * sizeof *f)) == NULL) {
		tl_err_set(k->err, "out of memory");
		return NULL;
	}
	tl_tfjs_dequantise(&k->ws, w, f);
	return f;
}

/* Adds layer/param as engine weights named "layer/param", of engine shape
 * odims[orank] (the same element count as the Keras shape). */
static int
add_weight(struct k *k, const struct klayer *l, const char *param, int rank,
    const int64_t *dims, int orank, const int64_t *odims)
{
	char name[KNAME];
	float *f = get_weight(k, l, param, rank, dims);
	int r;

	if (f == NULL)
		return -1;
	snprintf(name, sizeof name, "%s/%s", l->name, param);
	r = tl_nn_add_weights(k->nn, name, orank, odims, f, k->err);
	free(f);
	return r;
}

/* --- config helpers ----------------------------------------------------- */

static int
cfg_pair(struct k *k, const struct klayer *l, const char *key, int64_t def,
    int64_t v[2])
{
	json_t *j = json_object_get(l->cfg, key);

	if (j == NULL || json_is_null(j)) {
		v[0] = v[1] = def;
		if (def > 0)
			return 0;
		return LE(l, "no %s", key);
	}
	if (json_is_integer(j))
		v[0] = v[1] = json_integer_value(j);
	else if (json_is_array(j) && json_array_size(j) == 2 &&
	    json_is_integer(json_array_get(j, 0)) && json_is_integer(json_array_get(j, 1))) {
		v[0] = json_integer_value(json_array_get(j, 0));
		v[1] = json_integer_value(json_array_get(j, 1));
	} else
		return LE(l, "%s: want an integer or two", key);
	if (v[0] < 1 || v[1] < 1 || v[0] > 1024 || v[1] > 1024)
		return LE(l, "%s: %lld,%lld out of range", key, (long long)v[0],
		    (long long)v[1]);
	return 0;
}

static const char *
cfg_str(const struct klayer *l, const char *key, const char *def)
{
	json_t *j = json_object_get(l->cfg, key);

	return json_is_string(j) ? json_string_value(j) : def;
}

static int
cfg_bool(const struct klayer *l, const char *key, int def)
{
	json_t *j = json_object_get(l->cfg, key);

	return json_is_boolean(j) ? json_is_true(j) : def;
}

/* data_format must be channels_last (the default) */
static int
check_format(struct k *k, const struct klayer *l)
{
	const char *f = cfg_str(l, "data_format", "channels_last");

	if (strcmp(f, "channels_last") != 0)
		return LE(l, "unsupported data_format %.32s", f);
	return 0;
}

/* Keras/TF padding along one axis of size in, kernel k, stride s, dilation
 * d.  "valid": out = floor((in - ke)/s) + 1, no pads.  "same": out =
 * ceil(in/s), total pad max((out-1)*s + ke - in, 0), the odd one after
 * (bottom/right); ke = (k-1)*d + 1. */
static int
axis_pad(int64_t in, int64_t kk, int64_t s, int64_t d, int same, int64_t *out,
    int64_t *before, int64_t *after)
{
	int64_t ke = (kk - 1) * d + 1, tot;

	if (same) {
		*out = (in + s - 1) / s;
		tot = (*out - 1) * s + ke - in;
		if (tot < 0)
			tot = 0;
		*before = tot / 2;
		*after = tot - tot / 2;
	} else {
		if (in < ke)
			return -1;
		*out = (in - ke) / s + 1;
		*before = *after = 0;
	}
	return 0;
}

/* The spatial arithmetic of a conv or pool layer: output H,W into oh/ow,
 * ONNX pads [t,l,b,r]. */
static int
spatial(struct k *k, const struct klayer *l, const struct klayer *in,
    const int64_t ks[2], const int64_t st[2], const int64_t dil[2],
    int64_t *oh, int64_t *ow, int64_t pads[4])
{
	const char *p = cfg_str(l, "padding", "valid");
	int same;

	if (strcmp(p, "same") == 0)
		same = 1;
	else if (strcmp(p, "valid") == 0)
		same = 0;
	else
		return LE(l, "unsupported padding %.32s", p);
	if (in->rank != 3)
		return LE(l, "input %s is not [H,W,C]", in->name);
	if (axis_pad(in->shape[0], ks[0], st[0], dil[0], same, oh, &pads[0], &pads[2]) ||
	    axis_pad(in->shape[1], ks[1], st[1], dil[1], same, ow, &pads[1], &pads[3]))
		return LE(l, "input %lldx%lld smaller than the window", (long long)in->shape[0],
		    (long long)in->shape[1]);
	return 0;
}

/* --- emitting ----------------------------------------------------------- */

static int
node(struct k *k, const char *name, const char *op, const char *const *in,
    int nin, const char *out, const struct tl_nn_attr *a, int na)
{
	const char *outs[1] = { out };

	return tl_nn_add_node(k->nn, name, op, in, nin, outs, 1, a, na, k->err);
}

static int
node1(struct k *k, const char *name, const char *op, const char *in,
    const char *out, const struct tl_nn_attr *a, int na)
{
	return node(k, name, op, &in, 1, out, a, na);
}

/* Rank-0 constant "layer/what" = v */
static int
scalar(struct k *k, const struct klayer *l, const char *what, float v, char *name)
{
	int64_t none[1] = { 1 };	/* rank 0: no dims read, but not NULL */

	snprintf(name, KNAME, "%s/%s", l->name, what);
	return tl_nn_add_weights(k->nn, name, 0, none, &v, k->err);
}

/* Keras activation act from tensor src to tensor l->name. */
static int
activation(struct k *k, const struct klayer *l, const char *act, const char *src)
{
	char nm[KNAME], lo[KNAME], hi[KNAME];
	struct tl_nn_attr a[2];

	snprintf(nm, sizeof nm, "%s/%s", l->name, act);
	if (strcmp(act, "linear") == 0)
		return node1(k, nm, "Identity", src, l->name, NULL, 0);
	if (strcmp(act, "relu") == 0)
		return node1(k, nm, "Relu", src, l->name, NULL, 0);
	if (strcmp(act, "sigmoid") == 0)
		return node1(k, nm, "Sigmoid", src, l->name, NULL, 0);
	if (strcmp(act, "hard_sigmoid") == 0) {
		a[0] = (struct tl_nn_attr){ .name = "alpha", .type = TL_NN_ATTR_FLOAT, .f = 0.2f };
		a[1] = (struct tl_nn_attr){ .name = "beta", .type = TL_NN_ATTR_FLOAT, .f = 0.5f };
		return node1(k, nm, "HardSigmoid", src, l->name, a, 2);
	}
	if (strcmp(act, "relu6") == 0) {
		const char *in[3] = { src, lo, hi };
		if (scalar(k, l, "relu6_min", 0, lo) || scalar(k, l, "relu6_max", 6, hi))
			return -1;
		return node(k, nm, "Clip", in, 3, l->name, NULL, 0);
	}
	if (strcmp(act, "softmax") == 0) {
		/* over the last Keras axis: channels, logical axis 1 */
		a[0] = (struct tl_nn_attr){ .name = "axis", .type = TL_NN_ATTR_INT, .i = 1 };
		return node1(k, nm, "Softmax", src, l->name, a, 1);
	}
	return LE(l, "unsupported activation %.32s", act);
}

/* Conv2D and DepthwiseConv2D: NHWC [H,W,C] -> [OH,OW,F] */
static int
emit_conv(struct k *k, struct klayer *l, const struct klayer *in, int depthwise)
{
	int64_t ks[2], st[2], dil[2], pads[4], oh, ow, C = in->shape[2], F, mult = 1;
	int64_t kd[4], od[4], bd[1];
	const char *act = cfg_str(l, "activation", "linear");
	int bias = cfg_bool(l, "use_bias", 1), r;
	char pre[KNAME], wn[KNAME], bn[KNAME];
	const char *ins[3] = { in->name, wn, bn };
	float *kw, *ow_;
	struct tl_nn_attr a[5];

	if (check_format(k, l) || cfg_pair(k, l, "kernel_size", 0, ks) ||
	    cfg_pair(k, l, "strides", 1, st) || cfg_pair(k, l, "dilation_rate", 1, dil))
		return -1;
	if ((st[0] > 1 || st[1] > 1) && (dil[0] > 1 || dil[1] > 1))
		return LE(l, "%s", "strides and dilation_rate both above 1");
	if (depthwise) {
		json_t *m = json_object_get(l->cfg, "depth_multiplier");
		if (m != NULL && (!json_is_integer(m) || json_integer_value(m) < 1 ||
		    json_integer_value(m) > 1024))
			return LE(l, "%s", "bad depth_multiplier");
		mult = m ? json_integer_value(m) : 1;
		F = C * mult;
	} else {
		json_t *f = json_object_get(l->cfg, "filters"), *g = json_object_get(l->cfg, "groups");
		if (!json_is_integer(f) || json_integer_value(f) < 1 ||
		    json_integer_value(f) > 1 << 20)
			return LE(l, "%s", "bad filters");
		if (g != NULL && !(json_is_integer(g) && json_integer_value(g) == 1))
			return LE(l, "%s", "unsupported groups");
		F = json_integer_value(f);
	}
	if (spatial(k, l, in, ks, st, dil, &oh, &ow, pads))
		return -1;

	/* Keras kernel [KH,KW,C,F] (depthwise [KH,KW,C,mult]) -> ONNX
	 * [F,C,KH,KW] (depthwise [C*mult,1,KH,KW], group C) */
	kd[0] = ks[0], kd[1] = ks[1], kd[2] = C, kd[3] = depthwise ? mult : F;
	od[0] = F, od[1] = depthwise ? 1 : C, od[2] = ks[0], od[3] = ks[1];
	if ((kw = get_weight(k, l, depthwise ? "depthwise_kernel" : "kernel", 4, kd)) == NULL)
		return -1;
	if ((ow_ = malloc(F * od[1] * ks[0] * ks[1] * sizeof *ow_)) == NULL) {
		free(kw);
		return tl_err_set(k->err, "out of memory");
	}
	for (int64_t y = 0; y < ks[0]; y++)
		for (int64_t x = 0; x < ks[1]; x++)
			for (int64_t c = 0; c < C; c++)
				for (int64_t f = 0; f < kd[3]; f++) {
					float v = kw[((y * ks[1] + x) * C + c) * kd[3] + f];
					if (depthwise)
						ow_[((c * mult + f) * ks[0] + y) * ks[1] + x] = v;
					else
						ow_[((f * C + c) * ks[0] + y) * ks[1] + x] = v;
				}
	snprintf(wn, sizeof wn, "%s/%s", l->name, depthwise ? "depthwise_kernel" : "kernel");
	r = tl_nn_add_weights(k->nn, wn, 4, od, ow_, k->err);
	free(kw);
	free(ow_);
	if (r)
		return -1;
	bd[0] = F;
	snprintf(bn, sizeof bn, "%s/bias", l->name);
	if (bias && add_weight(k, l, "bias", 1, bd, 1, bd))
		return -1;

	a[0] = (struct tl_nn_attr){ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ks, .n = 2 };
	a[1] = (struct tl_nn_attr){ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = st, .n = 2 };
	a[2] = (struct tl_nn_attr){ .name = "dilations", .type = TL_NN_ATTR_INTS, .ints = dil, .n = 2 };
	a[3] = (struct tl_nn_attr){ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pads, .n = 4 };
	a[4] = (struct tl_nn_attr){ .name = "group", .type = TL_NN_ATTR_INT, .i = depthwise ? C : 1 };
	l->rank = 3, l->shape[0] = oh, l->shape[1] = ow, l->shape[2] = F;
	if (strcmp(act, "linear") == 0)
		return node(k, l->name, "Conv", ins, bias ? 3 : 2, l->name, a, 5);
	snprintf(pre, sizeof pre, "%s/conv", l->name);
	if (node(k, l->name, "Conv", ins, bias ? 3 : 2, pre, a, 5))
		return -1;
	return activation(k, l, act, pre);
}

static int
emit_bn(struct k *k, struct klayer *l, const struct klayer *in)
{
	static const char *const par[4] = { "gamma", "beta", "moving_mean", "moving_variance" };
	json_t *ax = json_object_get(l->cfg, "axis"), *ep = json_object_get(l->cfg, "epsilon");
	int64_t C = in->shape[in->rank - 1], axis, d[1] = { C };
	char names[4][KNAME];
	const char *ins[5] = { in->name, names[0], names[1], names[2], names[3] };
	struct tl_nn_attr a[1];

	axis = json_is_integer(ax) ? json_integer_value(ax) : -1;
	if (json_is_array(ax) && json_array_size(ax) == 1 && json_is_integer(json_array_get(ax, 0)))
		axis = json_integer_value(json_array_get(ax, 0));
	if (axis != -1 && axis != in->rank)
		return LE(l, "unsupported axis %lld (only the channels)", (long long)axis);
	if (ep != NULL && !json_is_number(ep))
		return LE(l, "%s", "bad epsilon");
	for (int i = 0; i < 4; i++) {
		int have = i == 0 ? cfg_bool(l, "scale", 1) : i == 1 ? cfg_bool(l, "center", 1) : 1;
		snprintf(names[i], KNAME, "%s/%s", l->name, par[i]);
		if (have) {
			if (add_weight(k, l, par[i], 1, d, 1, d))
				return -1;
		} else {
			/* scale=false: gamma 1; center=false: beta 0 */
			float *f = malloc(C * sizeof *f);
			int r;
			if (f == NULL)
				return tl_err_set(k->err, "out of memory");
			for (int64_t c = 0; c < C; c++)
				f[c] = i == 0 ? 1.0f : 0.0f;
			r = tl_nn_add_weights(k->nn, names[i], 1, d, f, k->err);
			free(f);
			if (r)
				return -1;
		}
	}
	a[0] = (struct tl_nn_attr){ .name = "epsilon", .type = TL_NN_ATTR_FLOAT,
	    .f = ep ? (float)json_number_value(ep) : 1e-3f };
	memcpy(l->shape, in->shape, sizeof l->shape);
	l->rank = in->rank;
	return node(k, l->name, "BatchNormalization", ins, 5, l->name, a, 1);
}

static int
emit_relu(struct k *k, struct klayer *l, const struct klayer *in)
{
	json_t *mv = json_object_get(l->cfg, "max_value");
	json_t *ns = json_object_get(l->cfg, "negative_slope"), *th = json_object_get(l->cfg, "threshold");
	char lo[KNAME], hi[KNAME];
	const char *ins[3] = { in->name, lo, hi };

	if ((ns && !json_is_null(ns) && (!json_is_number(ns) || json_number_value(ns) != 0)) ||
	    (th && !json_is_null(th) && (!json_is_number(th) || json_number_value(th) != 0)))
		return LE(l, "%s", "unsupported negative_slope or threshold");
	memcpy(l->shape, in->shape, sizeof l->shape);
	l->rank = in->rank;
	if (mv == NULL || json_is_null(mv))
		return node1(k, l->name, "Relu", in->name, l->name, NULL, 0);
	if (!json_is_number(mv) || json_number_value(mv) < 0)
		return LE(l, "%s", "bad max_value");
	if (scalar(k, l, "min", 0, lo) || scalar(k, l, "max", (float)json_number_value(mv), hi))
		return -1;
	return node(k, l->name, "Clip", ins, 3, l->name, NULL, 0);
}

static int
emit_pool(struct k *k, struct klayer *l, const struct klayer *in, int avg)
{
	int64_t ps[2], st[2], dil[2] = { 1, 1 }, pads[4], oh, ow;
	struct tl_nn_attr a[4];
	json_t *s = json_object_get(l->cfg, "strides");

	if (check_format(k, l) || cfg_pair(k, l, "pool_size", 2, ps))
		return -1;
	if (s == NULL || json_is_null(s))
		st[0] = ps[0], st[1] = ps[1];	/* Keras: strides default to pool_size */
	else if (cfg_pair(k, l, "strides", 1, st))
		return -1;
	if (spatial(k, l, in, ps, st, dil, &oh, &ow, pads))
		return -1;
	a[0] = (struct tl_nn_attr){ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ps, .n = 2 };
	a[1] = (struct tl_nn_attr){ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = st, .n = 2 };
	a[2] = (struct tl_nn_attr){ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pads, .n = 4 };
	/* TF averages over the window's valid pixels only */
	a[3] = (struct tl_nn_attr){ .name = "count_include_pad", .type = TL_NN_ATTR_INT, .i = 0 };
	l->rank = 3, l->shape[0] = oh, l->shape[1] = ow, l->shape[2] = in->shape[2];
	return node1(k, l->name, avg ? "AveragePool" : "MaxPool", in->name, l->name, a, avg ? 4 : 3);
}

static int
emit_zeropad(struct k *k, struct klayer *l, const struct klayer *in)
{
	json_t *p = json_object_get(l->cfg, "padding");
	int64_t t, b, le, r, pads[8], pd[1] = { 8 };
	char pn[KNAME];
	const char *ins[2] = { in->name, pn };
	struct tl_nn_attr a[1];

	if (check_format(k, l))
		return -1;
#define PI(j) (json_is_integer(j) ? json_integer_value(j) : -1)
	if (json_is_integer(p))
		t = b = le = r = json_integer_value(p);
	else if (json_is_array(p) && json_array_size(p) == 2 &&
	    json_is_integer(json_array_get(p, 0))) {
		t = b = PI(json_array_get(p, 0));
		le = r = PI(json_array_get(p, 1));
	} else if (json_is_array(p) && json_array_size(p) == 2 &&
	    json_array_size(json_array_get(p, 0)) == 2 && json_array_size(json_array_get(p, 1)) == 2) {
		t = PI(json_array_get(json_array_get(p, 0), 0));
		b = PI(json_array_get(json_array_get(p, 0), 1));
		le = PI(json_array_get(json_array_get(p, 1), 0));
		r = PI(json_array_get(json_array_get(p, 1), 1));
	} else
		return LE(l, "%s", "bad padding");
#undef PI
	if (t < 0 || b < 0 || le < 0 || r < 0 || t > 1024 || b > 1024 || le > 1024 || r > 1024)
		return LE(l, "%s", "bad padding");
	if (in->rank != 3)
		return LE(l, "input %s is not [H,W,C]", in->name);
	/* ONNX Pad on [N,C,H,W]: begins then ends */
	pads[0] = 0, pads[1] = 0, pads[2] = t, pads[3] = le;
	pads[4] = 0, pads[5] = 0, pads[6] = b, pads[7] = r;
	snprintf(pn, sizeof pn, "%s/pads", l->name);
	if (tl_nn_add_weights_i64(k->nn, pn, 1, pd, pads, k->err))
		return -1;
	a[0] = (struct tl_nn_attr){ .name = "mode", .type = TL_NN_ATTR_STRING, .s = "constant" };
	l->rank = 3;
	l->shape[0] = in->shape[0] + t + b;
	l->shape[1] = in->shape[1] + le + r;
	l->shape[2] = in->shape[2];
	return node(k, l->name, "Pad", ins, 2, l->name, a, 1);
}

static int
emit_dense(struct k *k, struct klayer *l, const struct klayer *in)
{
	json_t *u = json_object_get(l->cfg, "units");
	int64_t D = in->shape[0], U, kd[2], bd[1];
	char wn[KNAME], bn[KNAME], pre[KNAME];
	const char *ins[3] = { in->name, wn, bn };
	const char *act = cfg_str(l, "activation", "linear");
	int bias = cfg_bool(l, "use_bias", 1);

	if (in->rank != 1)
		return LE(l, "input %s is not a vector (Flatten first)", in->name);
	if (!json_is_integer(u) || json_integer_value(u) < 1 || json_integer_value(u) > 1 << 24)
		return LE(l, "%s", "bad units");
	U = json_integer_value(u);
	/* Keras kernel [D,U] is ONNX Gemm's B [K,M] as it is */
	kd[0] = D, kd[1] = U, bd[0] = U;
	if (add_weight(k, l, "kernel", 2, kd, 2, kd))
		return -1;
	if (bias && add_weight(k, l, "bias", 1, bd, 1, bd))
		return -1;
	snprintf(wn, sizeof wn, "%s/kernel", l->name);
	snprintf(bn, sizeof bn, "%s/bias", l->name);
	l->rank = 1, l->shape[0] = U;
	if (strcmp(act, "linear") == 0)
		return node(k, l->name, "Gemm", ins, bias ? 3 : 2, l->name, NULL, 0);
	snprintf(pre, sizeof pre, "%s/gemm", l->name);
	if (node(k, l->name, "Gemm", ins, bias ? 3 : 2, pre, NULL, 0))
		return -1;
	return activation(k, l, act, pre);
}

/* Flatten (Keras order H,W,C) and GlobalAveragePooling2D: both give [D] */
static int
emit_flatten(struct k *k, struct klayer *l, const struct klayer *in, const char *pool)
{
	char mid[KNAME], nm[KNAME];
	int64_t perm[4] = { 0, 2, 3, 1 };
	struct tl_nn_attr a[1];

	if (in->rank == 1 && pool == NULL) {
		l->rank = 1, l->shape[0] = in->shape[0];
		return node1(k, l->name, "Identity", in->name, l->name, NULL, 0);
	}
	if (in->rank != 3)
		return LE(l, "input %s is not [H,W,C]", in->name);
	if (check_format(k, l))
		return -1;
	snprintf(mid, sizeof mid, "%s/%s", l->name, pool ? "pool" : "nhwc");
	snprintf(nm, sizeof nm, "%s/%s", l->name, pool ? pool : "Transpose");
	if (pool) {
		if (node1(k, nm, pool, in->name, mid, NULL, 0))
			return -1;
		l->shape[0] = in->shape[2];
	} else {
		a[0] = (struct tl_nn_attr){ .name = "perm", .type = TL_NN_ATTR_INTS, .ints = perm, .n = 4 };
		if (node1(k, nm, "Transpose", in->name, mid, a, 1))
			return -1;
		l->shape[0] = in->shape[0] * in->shape[1] * in->shape[2];
	}
	l->rank = 1;
	a[0] = (struct tl_nn_attr){ .name = "axis", .type = TL_NN_ATTR_INT, .i = 1 };
	return node1(k, l->name, "Flatten", mid, l->name, a, 1);
}

static int
same_shape(const struct klayer *a, const struct klayer *b)
{
	return a->rank == b->rank && memcmp(a->shape, b->shape, a->rank * sizeof a->shape[0]) == 0;
}

static int
emit_add(struct k *k, struct klayer *l, struct klayer **in)
{
	char prev[KNAME], cur[KNAME], nm[KNAME];

	if (l->nin < 2)
		return LE(l, "%s", "needs two inputs or more");
	for (int i = 1; i < l->nin; i++)
		if (!same_shape(in[0], in[i]))
			return LE(l, "inputs %s and %s differ in shape", in[0]->name, in[i]->name);
	snprintf(prev, sizeof prev, "%s", in[0]->name);
	for (int i = 1; i < l->nin; i++) {
		const char *ins[2] = { prev, in[i]->name };
		if (i == l->nin - 1)
			snprintf(cur, sizeof cur, "%s", l->name);
		else
			snprintf(cur, sizeof cur, "%s/sum%d", l->name, i);
		snprintf(nm, sizeof nm, i == l->nin - 1 ? "%s" : "%s/add%d", l->name, i);
		if (node(k, nm, "Add", ins, 2, cur, NULL, 0))
			return -1;
		memcpy(prev, cur, sizeof prev);
	}
	l->rank = in[0]->rank;
	memcpy(l->shape, in[0]->shape, sizeof l->shape);
	return 0;
}

static int
emit_concat(struct k *k, struct klayer *l, struct klayer **in)
{
	json_t *ax = json_object_get(l->cfg, "axis");
	int rank = in[0]->rank, kax;	/* Keras axis, batch counted */
	int64_t axis, sum = 0;
	const char *ins[KMAX_IN];
	struct tl_nn_attr a[1];

	kax = json_is_integer(ax) ? (int)json_integer_value(ax) : -1;
	if (kax < 0)
		kax += rank + 1;
	if (kax < 1 || kax > rank)
		return LE(l, "bad axis %d", kax);
	/* Keras [N,H,W,C] axes 1,2,3 are logical [N,C,H,W] axes 2,3,1 */
	axis = rank == 3 ? (kax == 3 ? 1 : kax + 1) : 1;
	for (int i = 0; i < l->nin; i++) {
		if (in[i]->rank != rank)
			return LE(l, "inputs %s and %s differ in rank", in[0]->name, in[i]->name);
		for (int d = 0; d < rank; d++)
			if (d != kax - 1 && in[i]->shape[d] != in[0]->shape[d])
				return LE(l, "inputs %s and %s differ in shape", in[0]->name, in[i]->name);
		sum += in[i]->shape[kax - 1];
		ins[i] = in[i]->name;
	}
	l->rank = rank;
	memcpy(l->shape, in[0]->shape, sizeof l->shape);
	l->shape[kax - 1] = sum;
	a[0] = (struct tl_nn_attr){ .name = "axis", .type = TL_NN_ATTR_INT, .i = axis };
	return node(k, l->name, "Concat", ins, l->nin, l->name, a, 1);
}

static int
emit_input(struct k *k, struct klayer *l)
{
	json_t *s = json_object_get(l->cfg, "batch_input_shape"), *d;
	const char *dt = cfg_str(l, "dtype", "float32");
	int64_t dims[4];
	size_t i, n;

	if (!json_is_array(s))
		return LE(l, "%s", "no batch_input_shape");
	if (strcmp(dt, "float32") != 0)
		return LE(l, "unsupported dtype %.32s", dt);
	n = json_array_size(s);
	if (n != 4 && n != 2)
		return LE(l, "%s", "batch_input_shape is neither [N,H,W,C] nor [N,D]");
	json_array_foreach(s, i, d) {
		if (i == 0)
			continue;
		if (!json_is_integer(d) || json_integer_value(d) < 1 ||
		    json_integer_value(d) > 1 << 20)
			return LE(l, "%s", "batch_input_shape: H, W, C must be known");
		l->shape[i - 1] = json_integer_value(d);
	}
	l->rank = n - 1;
	dims[0] = -1;
	if (n == 4)
		dims[1] = l->shape[2], dims[2] = l->shape[0], dims[3] = l->shape[1];
	else
		dims[1] = l->shape[0];
	return tl_nn_add_input(k->nn, l->name, n, dims, k->err);
}

static int
emit(struct k *k, struct klayer *l)
{
	struct klayer *in[KMAX_IN];
	const char *c = l->cls;

	for (int i = 0; i < l->nin; i++)
		for (int j = 0; j < k->nl; j++)
			if (strcmp(k->l[j].name, l->in[i]) == 0)
				in[i] = &k->l[j];
	if (strcmp(c, "InputLayer") == 0)
		return l->nin ? LE(l, "%s", "has inputs") : emit_input(k, l);
	if (l->nin == 0)
		return LE(l, "%s", "has no input");
	if (strcmp(c, "Add") == 0)
		return emit_add(k, l, in);
	if (strcmp(c, "Concatenate") == 0)
		return emit_concat(k, l, in);
	if (l->nin != 1)
		return LE(l, "%d inputs, want 1", l->nin);
	if (strcmp(c, "Conv2D") == 0)
		return in[0]->rank == 3 ? emit_conv(k, l, in[0], 0) : LE(l, "input %s is not [H,W,C]", in[0]->name);
	if (strcmp(c, "DepthwiseConv2D") == 0)
		return in[0]->rank == 3 ? emit_conv(k, l, in[0], 1) : LE(l, "input %s is not [H,W,C]", in[0]->name);
	if (strcmp(c, "BatchNormalization") == 0)
		return emit_bn(k, l, in[0]);
	if (strcmp(c, "ReLU") == 0)
		return emit_relu(k, l, in[0]);
	if (strcmp(c, "Activation") == 0) {
		l->rank = in[0]->rank;
		memcpy(l->shape, in[0]->shape, sizeof l->shape);
		return activation(k, l, cfg_str(l, "activation", "?"), in[0]->name);
	}
	if (strcmp(c, "MaxPooling2D") == 0 || strcmp(c, "AveragePooling2D") == 0)
		return emit_pool(k, l, in[0], c[0] == 'A');
	if (strcmp(c, "ZeroPadding2D") == 0)
		return emit_zeropad(k, l, in[0]);
	if (strcmp(c, "GlobalAveragePooling2D") == 0)
		return emit_flatten(k, l, in[0], "GlobalAveragePool");
	if (strcmp(c, "GlobalMaxPooling2D") == 0)
		return emit_flatten(k, l, in[0], "GlobalMaxPool");
	if (strcmp(c, "Flatten") == 0)
		return emit_flatten(k, l, in[0], NULL);
	if (strcmp(c, "Dense") == 0)
		return emit_dense(k, l, in[0]);
	if (strcmp(c, "Dropout") == 0) {
		l->rank = in[0]->rank;
		memcpy(l->shape, in[0]->shape, sizeof l->shape);
		return node1(k, l->name, "Identity", in[0]->name, l->name, NULL, 0);
	}
	return LE(l, "%s", "unsupported layer class");
}

/* --- topology ----------------------------------------------------------- */

/* A functional model's inbound_nodes, Keras 2 form: [[[name, 0, 0, {}], ...]] */
static int
parse_inbound(struct k *k, struct klayer *l, json_t *jl)
{
	json_t *nodes = json_object_get(jl, "inbound_nodes"), *first, *e;
	size_t i;

	if (!json_is_array(nodes))
		return LE(l, "%s", "no inbound_nodes");
	if (json_array_size(nodes) == 0)
		return 0;
	if (json_array_size(nodes) > 1)
		return LE(l, "%s", "shared layers (called more than once) are not supported");
	first = json_array_get(nodes, 0);
	if (!json_is_array(first))
		return LE(l, "%s", "unsupported inbound_nodes format (Keras 3?)");
	json_array_foreach(first, i, e) {
		const char *src = json_string_value(json_array_get(e, 0));
		json_t *ni = json_array_get(e, 1), *ti = json_array_get(e, 2);

		if (src == NULL || !json_is_integer(ni) || !json_is_integer(ti))
			return LE(l, "%s", "bad inbound_nodes entry");
		if (json_integer_value(ni) != 0 || json_integer_value(ti) != 0)
			return LE(l, "input %s: only node 0, tensor 0 is supported", src);
		if (l->nin == KMAX_IN)
			return LE(l, "more than %d inputs", KMAX_IN);
		l->in[l->nin++] = src;
	}
	return 0;
}

static int
parse_layers(struct k *k, json_t *topo, int *sequential, json_t **config)
{
	json_t *mc = json_object_get(topo, "model_config"), *cfg, *layers, *jl;
	const char *cls;
	size_t i;

	if (mc == NULL)
		mc = topo;	/* modelTopology may be the model config itself */
	cls = json_string_value(json_object_get(mc, "class_name"));
	cfg = json_object_get(mc, "config");
	if (cls == NULL || cfg == NULL)
		return tl_err_set(k->err, "modelTopology: no model_config class_name/config");
	if (strcmp(cls, "Model") == 0 || strcmp(cls, "Functional") == 0)
		*sequential = 0;
	else if (strcmp(cls, "Sequential") == 0)
		*sequential = 1;
	else
		return tl_err_set(k->err, "modelTopology: unsupported model class %.32s", cls);
	layers = json_is_array(cfg) ? cfg : json_object_get(cfg, "layers");
	if (!json_is_array(layers) || json_array_size(layers) == 0)
		return tl_err_set(k->err, "modelTopology: no layers");
	if (json_array_size(layers) > 100000)
		return tl_err_set(k->err, "modelTopology: too many layers");
	*config = cfg;
	if ((k->l = calloc(json_array_size(layers) + 1, sizeof *k->l)) == NULL)
		return tl_err_set(k->err, "out of memory");
	json_array_foreach(layers, i, jl) {
		struct klayer *l = &k->l[k->nl++];
		json_t *c = json_object_get(jl, "config");

		l->cls = json_string_value(json_object_get(jl, "class_name"));
		l->name = json_string_value(json_object_get(jl, "name"));
		if (l->name == NULL)
			l->name = json_string_value(json_object_get(c, "name"));
		l->cfg = c;
		if (l->cls == NULL || l->name == NULL || !json_is_object(c))
			return tl_err_set(k->err, "modelTopology: layer %zu has no class_name, name or config", i);
		if (strlen(l->name) > KNAME - 64 || l->name[0] == '\0')
			return tl_err_set(k->err, "modelTopology: layer %zu: bad name", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(k->l[j].name, l->name) == 0)
				return tl_err_set(k->err, "modelTopology: two layers named %s", l->name);
		if (!*sequential && parse_inbound(k, l, jl))
			return -1;
	}
	if (*sequential && strcmp(k->l[0].cls, "InputLayer") != 0) {
		/* a Sequential's input: the first layer's batch_input_shape */
		memmove(k->l + 1, k->l, k->nl * sizeof *k->l);
		memset(&k->l[0], 0, sizeof k->l[0]);
		k->l[0].name = "input";
		k->l[0].cls = "InputLayer";
		k->l[0].cfg = k->l[1].cfg;
		k->nl++;
	}
	if (*sequential)
		for (int j = 1; j < k->nl; j++)
			k->l[j].in[0] = k->l[j - 1].name, k->l[j].nin = 1;
	return 0;
}

static struct klayer *
layer(struct k *k, const char *name)
{
	for (int i = 0; i < k->nl; i++)
		if (strcmp(k->l[i].name, name) == 0)
			return &k->l[i];
	return NULL;
}

/* Emits the layers in dependency order (the file's order when it is one). */
static int
emit_all(struct k *k)
{
	int left = k->nl;

	for (int i = 0; i < k->nl; i++)
		for (int j = 0; j < k->l[i].nin; j++)
			if (layer(k, k->l[i].in[j]) == NULL)
				return LE(&k->l[i], "input %s: no such layer", k->l[i].in[j]);
	while (left > 0) {
		int progress = 0;
		for (int i = 0; i < k->nl; i++) {
			struct klayer *l = &k->l[i];
			int ready = !l->done;
			for (int j = 0; ready && j < l->nin; j++)
				ready = layer(k, l->in[j])->done;
			if (!ready)
				continue;
			if (emit(k, l))
				return -1;
			l->done = 1;
			left--;
			progress = 1;
		}
		if (!progress)
			return tl_err_set(k->err, "modelTopology: the layers form a cycle");
	}
	return 0;
}

static int
add_outputs(struct k *k, int sequential, json_t *cfg)
{
	json_t *outs, *o;
	size_t i;

	if (sequential)
		return tl_nn_add_output(k->nn, k->l[k->nl - 1].name, k->err);
	outs = json_object_get(cfg, "output_layers");
	if (!json_is_array(outs) || json_array_size(outs) == 0)
		return tl_err_set(k->err, "modelTopology: no output_layers");
	json_array_foreach(outs, i, o) {
		const char *n = json_string_value(json_array_get(o, 0));
		if (n == NULL || layer(k, n) == NULL)
			return tl_err_set(k->err, "modelTopology: bad output_layers entry");
		if (tl_nn_add_output(k->nn, n, k->err))
			return -1;
	}
	return 0;
}

struct tl_nn *
tl_nn_read_keras(const char *path, struct tl_err *err)
{
	struct k k = { .err = err };
	char file[TL_TFJS_PATH], dir[TL_TFJS_PATH];
	json_t *cfg = NULL, *topo;
	int sequential = 0;

	if ((k.root = tl_tfjs_open_json(path, file, dir, err)) == NULL)
		return NULL;
	if (!json_is_object(k.root) || (topo = json_object_get(k.root, "modelTopology")) == NULL) {
		tl_err_set(err, "no modelTopology: not a TF.js layers model");
		goto fail;
	}
	if (tl_tfjs_read_weights(&k.ws, k.root, dir, &kopt, k.err) ||
	    parse_layers(&k, topo, &sequential, &cfg))
		goto fail;
	if ((k.nn = tl_nn_new(err)) == NULL)
		goto fail;
	if (emit_all(&k) || add_outputs(&k, sequential, cfg))
		goto fail;
	json_decref(k.root);
	tl_tfjs_weights_free(&k.ws);
	free(k.l);
	return k.nn;
fail:
	tl_err_prefix(err, "%s", file);
	tl_nn_free(k.nn);
	json_decref(k.root);
	tl_tfjs_weights_free(&k.ws);
	free(k.l);
	return NULL;
}

struct tl_nn *
tl_nn_load_keras(const char *path, const struct tl_nn_opts *opts,
    struct tl_err *err)
{
	struct tl_nn *nn = tl_nn_read_keras(path, err);

	if (nn != NULL && tl_nn_finish(nn, opts, err)) {
		tl_err_prefix(err, "%s", path);
		tl_nn_free(nn);
		return NULL;
	}
	return nn;
}
