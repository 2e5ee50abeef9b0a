/*
 * tfgraph.c - TF.js graph models (a GraphDef node list in model.json plus
 * weight shards) translated into the engine's ONNX vocabulary through the
 * nn.h builder, the cone of the requested nodes only.
 *
 * How: model.json is parsed with jansson; the manifest's weights (the Const
 * nodes' values, by name) are given their byte ranges in the shards, read
 * into one block and checked against the files' sizes before use.  Nodes
 * are indexed by name.  From each requested node a depth-first walk over
 * what each node's translation needs (not its GraphDef inputs: a hard-swish
 * needs its x only, a folded dilated convolution the SpaceToBatchND's input
 * only, a Const nothing) stops at the input node, finds cycles, and emits
 * the nodes in post-order.  Activations are 4-D NHWC in TF; in the engine
 * they are logical [N,C,H,W], so a constant operand of an element-wise op
 * is padded to rank 4 on the left and permuted to [N,C,H,W] (its data
 * too).  TF SAME padding is the engine's auto_pad SAME_UPPER (the odd pixel
 * at the bottom/right).  Weights are dequantised per tensor as tfjs does:
 * float32(q*scale + min), the product and sum in double.
 *
 * What it deliberately does not do: evaluate shape arithmetic (Shape,
 * StridedSlice, Pack, ... are only pattern-matched, as the paddings of a
 * dilated convolution), control flow, more than one input, NCHW graphs,
 * activations of another rank than 4, a node's output other than its first.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <jansson.h>

#include "nn/tfgraph.h"
#include "nn/tfjs_weights.h"

#define GMAX_NODES	(1 << 20)
#define GNAME		1100			/* longest tensor name + suffix */
#define GMAX_NAME	1024			/* longest node name */

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tfgraph.c reads little-endian weight shards directly"
#endif

/* how a node is translated, found when the walk reaches it */
enum gpat { P_PLAIN, P_HSWISH, P_HSIG, P_DILATED };

/* what a Const became in the engine (its weights are added once) */
enum gform { F_NONE, F_ELEM, F_CONV, F_DW, F_BIAS };

struct gnode {
	const char *name, *op;		/* in the parsed JSON */
	json_t *attr;
	const char **in;		/* data inputs ("^control" left out) */
	int nin;
	int state;			/* 0 unseen, 1 on the walk, 2 emitted */
	int w;				/* Const: manifest weight, -1 none */
	enum gform form;
	enum gpat pat;
	struct gnode *px, *pconv;	/* pattern: x (or y), the convolution */
	float pc;			/* pattern: the multiplier c */
	int64_t block[2];		/* P_DILATED: the dilation */
};

struct g {
	struct tl_nn *nn;
	struct tl_err *err;
	json_t *root;
	struct tl_tfjs_weights ws;
	int *wsorted;			/* weight indices by name */
	struct gnode *n;
	int nn_;
	int *sorted;			/* node indices by name */
	struct gnode *input;
	int height, width;
	int have_clip;			/* the shared Relu6 bounds exist */
};

#define NE(nd, fmt, ...) tl_err_set(g->err, "node '%s' (%s): " fmt, (nd)->name, \
	(nd)->op, __VA_ARGS__)

/* --- weights (read by tfjs_weights.c, plus int32 and bool) ------------- */

/* The manifest's weights (int32 and bool too, names cut in messages). */
static const struct tl_tfjs_opt gopt = { .ints = 1, .namemax = 200,
    .maxw = GMAX_NODES };

static int
cmp_weight(const void *a, const void *b, void *ctx)
{
	const struct g *g = ctx;

	return strcmp(g->ws.w[*(const int *)a].name, g->ws.w[*(const int *)b].name);
}

/* Reads the manifest's weights into g->ws and indexes them by name. */
static int
load_weights(struct g *g, const char *dir)
{
	if (tl_tfjs_read_weights(&g->ws, g->root, dir, &gopt, g->err))
		return -1;
	if ((g->wsorted = malloc((g->ws.nw + 1) * sizeof *g->wsorted)) == NULL)
		return tl_err_set(g->err, "out of memory");
	for (int k = 0; k < g->ws.nw; k++)
		g->wsorted[k] = k;
	g_qsort_with_data(g->wsorted, g->ws.nw, sizeof *g->wsorted, cmp_weight, g);
	for (int k = 1; k < g->ws.nw; k++)
		if (strcmp(g->ws.w[g->wsorted[k]].name, g->ws.w[g->wsorted[k - 1]].name) == 0)
			return tl_err_set(g->err, "weightsManifest: two weights named '%.200s'",
			    g->ws.w[g->wsorted[k]].name);
	return 0;
}

static int
find_weight(const struct g *g, const char *name)
{
	int lo = 0, hi = g->ws.nw - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(g->ws.w[g->wsorted[mid]].name, name);
		if (c == 0)
			return g->wsorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* A Const node's manifest weight, or NULL (err set when `need`; nd NULL,
 * a missing input, is no constant). */
static const struct tl_tfjs_weight *
cweight(struct g *g, const struct gnode *nd, int need)
{
	if (nd == NULL)
		return NULL;
	if (strcmp(nd->op, "Const") != 0 || nd->w < 0) {
		if (need) {
			if (strcmp(nd->op, "Const") == 0)
				NE(nd, "%s", "no weight of this name in the manifest");
			else
				NE(nd, "%s", "not a constant");
		}
		return NULL;
	}
	return &g->ws.w[nd->w];
}

/* A float Const's values, dequantised, into a new array of w->n (the
 * caller frees); NULL with err. */
static float *
cfloats(struct g *g, const struct gnode *nd, const struct tl_tfjs_weight **wp)
{
	const struct tl_tfjs_weight *w = cweight(g, nd, 1);
	float *dst;

	if (w == NULL)
		return NULL;
	if (w->q == TL_TFJS_I32 || w->q == TL_TFJS_BOOL) {
		NE(nd, "%s", "an integer constant where floats are needed");
		return NULL;
	}
	if ((dst = malloc((w->n ? w->n : 1) * sizeof *dst)) == NULL) {
		tl_err_set(g->err, "out of memory");
		return NULL;
	}
	tl_tfjs_dequantise(&g->ws, w, dst);
	*wp = w;
	return dst;
}

/* An int32 Const's values into v[max]; its count, or -1 with err. */
static int64_t
cints(struct g *g, const struct gnode *nd, int64_t *v, int max)
{
	const struct tl_tfjs_weight *w = cweight(g, nd, 1);

	if (w == NULL)
		return -1;
	if (w->q != TL_TFJS_I32)
		return NE(nd, "%s", "not an int32 constant");
	if (w->n > max)
		return NE(nd, "%lld values, want at most %d", (long long)w->n, max);
	for (int64_t i = 0; i < w->n; i++) {
		int32_t x;
		memcpy(&x, g->ws.blob + w->off + 4 * i, 4);
		v[i] = x;
	}
	return w->n;
}

/* 1 and *v when nd is a float Const of one element (any shape). */
static int
cscalar(struct g *g, const struct gnode *nd, float *v)
{
	const struct tl_tfjs_weight *w = cweight(g, nd, 0);
	float *f;

	if (w == NULL || w->n != 1 || w->q == TL_TFJS_I32 || w->q == TL_TFJS_BOOL)
		return 0;
	if ((f = cfloats(g, nd, &w)) == NULL)
		return 0;
	*v = f[0];
	free(f);
	return 1;
}

/* 1 when nd is an int32 Const holding exactly the one value v. */
static int
cint_is(struct g *g, const struct gnode *nd, int64_t v)
{
	const struct tl_tfjs_weight *w = cweight(g, nd, 0);
	int32_t x;

	if (w == NULL || w->q != TL_TFJS_I32 || w->n != 1)
		return 0;
	memcpy(&x, g->ws.blob + w->off, 4);
	return x == v;
}

/* --- nodes and attributes ------------------------------------------------ */

static int
cmp_node(const void *a, const void *b, void *ctx)
{
	const struct g *g = ctx;

	return strcmp(g->n[*(const int *)a].name, g->n[*(const int *)b].name);
}

/* The node named by the first len bytes of name, or NULL. */
static struct gnode *
lookup(const struct g *g, const char *name, size_t len)
{
	int lo = 0, hi = g->nn_ - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const char *s = g->n[g->sorted[mid]].name;
		int c = strncmp(s, name, len);
		if (c == 0 && s[len] != '\0')
			c = 1;
		if (c == 0)
			return &g->n[g->sorted[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Data input i of nd: the node whose output 0 it is, or NULL (no such
 * node, or another output: "x:1"). */
static struct gnode *
in_node(const struct g *g, const struct gnode *nd, int i)
{
	const char *s, *colon;
	size_t len;

	if (i >= nd->nin)
		return NULL;
	s = nd->in[i];
	len = strlen(s);
	if ((colon = strrchr(s, ':')) != NULL) {
		if (strcmp(colon, ":0") != 0)
			return NULL;
		len = colon - s;
	}
	return lookup(g, s, len);
}

/* Same, with the error said. */
static struct gnode *
input(struct g *g, const struct gnode *nd, int i)
{
	struct gnode *x;

	if (i >= nd->nin) {
		NE(nd, "%d inputs, want at least %d", nd->nin, i + 1);
		return NULL;
	}
	if ((x = in_node(g, nd, i)) == NULL) {
		const char *colon = strrchr(nd->in[i], ':');
		if (colon != NULL && strcmp(colon, ":0") != 0)
			NE(nd, "input '%.300s': only a node's first output is supported", nd->in[i]);
		else
			NE(nd, "input '%.300s': no such node", nd->in[i]);
	}
	return x;
}

static json_t *
attr(const struct gnode *nd, const char *key)
{
	return json_object_get(nd->attr, key);
}

/* An attribute's string ({"s": base64}) into buf; "" when absent. */
static void
attr_s(const struct gnode *nd, const char *key, char *buf, size_t size)
{
	const char *b64 = json_string_value(json_object_get(attr(nd, key), "s"));
	guchar *d;
	gsize len;

	buf[0] = '\0';
	if (b64 == NULL)
		return;
	d = g_base64_decode(b64, &len);
	if (len >= size)
		len = size - 1;
	memcpy(buf, d, len);
	buf[len] = '\0';
	if (strlen(buf) != len)		/* a NUL inside: nothing we know */
		snprintf(buf, size, "?");
	g_free(d);
}

/* An integer in the JSON form of a GraphDef (a string or a number). */
static int
json_int(json_t *j, int64_t *v)
{
	char *end;

	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return -1;
	errno = 0;
	*v = strtoll(json_string_value(j), &end, 10);
	return errno || end == json_string_value(j) || *end ? -1 : 0;
}

static int64_t
attr_i(const struct gnode *nd, const char *key, int64_t def)
{
	int64_t v;

	return json_int(json_object_get(attr(nd, key), "i"), &v) ? def : v;
}

static int
attr_b(const struct gnode *nd, const char *key, int def)
{
	json_t *b = json_object_get(attr(nd, key), "b");

	return json_is_boolean(b) ? json_is_true(b) : def;
}

/* A list of ints ({"list": {"i": [...]}}): its length (0 when absent), or
 * -1 when malformed or longer than max. */
static int
attr_ints(const struct gnode *nd, const char *key, int64_t *v, int max)
{
	json_t *l = json_object_get(json_object_get(attr(nd, key), "list"), "i"), *e;
	size_t i;

	if (l == NULL)
		return 0;
	if (!json_is_array(l) || json_array_size(l) > (size_t)max)
		return -1;
	json_array_foreach(l, i, e)
		if (json_int(e, &v[i]))
			return -1;
	return json_array_size(l);
}

static int
is_op(const struct gnode *nd, const char *op)
{
	return nd != NULL && strcmp(nd->op, op) == 0;
}

static int
is_const(const struct gnode *nd)
{
	return is_op(nd, "Const");
}

static int
is_conv(const struct gnode *nd)
{
	return is_op(nd, "Conv2D") || is_op(nd, "_FusedConv2D") ||
	    is_op(nd, "DepthwiseConv2dNative") || is_op(nd, "FusedDepthwiseConv2dNative");
}

static int
is_binary(const struct gnode *nd)
{
	return is_op(nd, "Add") || is_op(nd, "AddV2") || is_op(nd, "Sub") ||
	    is_op(nd, "Mul") || is_op(nd, "RealDiv");
}

/* --- patterns ----------------------------------------------------------- */

/* Relu6(Add(y, 3)) or Relu6(Add(3, y)): y, or NULL. */
static struct gnode *
relu6_plus3(struct g *g, const struct gnode *r)
{
	struct gnode *a;
	float v;

	if (!is_op(r, "Relu6") || r->nin != 1)
		return NULL;
	a = in_node(g, r, 0);
	if (!(is_op(a, "Add") || is_op(a, "AddV2")) || a->nin != 2)
		return NULL;
	for (int j = 0; j < 2; j++) {
		struct gnode *y = in_node(g, a, j), *c = in_node(g, a, 1 - j);
		if (y != NULL && !is_const(y) && cscalar(g, c, &v) && v == 3.0f)
			return y;
	}
	return NULL;
}

/* Mul(Mul(x, c), Relu6(x + 3)), any operand order: hard-swish.
 * Mul(c, Relu6(y + 3)), any order: hard-sigmoid (times 6c). */
static void
match_mul(struct g *g, struct gnode *m)
{
	float c;

	if (m->nin != 2)
		return;
	for (int o = 0; o < 2; o++) {
		struct gnode *p = in_node(g, m, o), *r = in_node(g, m, 1 - o);
		struct gnode *x = relu6_plus3(g, r);

		if (x == NULL || p == NULL)
			continue;
		if (cscalar(g, p, &c) && c > 0 && isfinite(c)) {
			m->pat = P_HSIG, m->px = x, m->pc = c;
			return;
		}
		if (!is_op(p, "Mul") || p->nin != 2)
			continue;
		for (int k = 0; k < 2; k++)
			if (in_node(g, p, k) == x && cscalar(g, in_node(g, p, 1 - k), &c) &&
			    c > 0 && isfinite(c)) {
				m->pat = P_HSWISH, m->px = x, m->pc = c;
				return;
			}
	}
}

/* Two int32 Consts with the same values. */
static int
same_ints(struct g *g, const struct gnode *a, const struct gnode *b)
{
	const struct tl_tfjs_weight *wa = cweight(g, a, 0), *wb = cweight(g, b, 0);

	return wa != NULL && wb != NULL && wa->q == TL_TFJS_I32 && wb->q == TL_TFJS_I32 &&
	    wa->n == wb->n && memcmp(g->ws.blob + wa->off, g->ws.blob + wb->off, 4 * wa->n) == 0;
}

/* a and b compute the same value without evaluating it: the same node, or
 * StridedSlices of the same node with equal constant bounds and masks. */
static int
same_value(struct g *g, const struct gnode *a, const struct gnode *b)
{
	static const char *const masks[] = { "begin_mask", "end_mask", "ellipsis_mask",
	    "new_axis_mask", "shrink_axis_mask" };

	if (a == NULL || b == NULL)
		return 0;
	if (a == b)
		return 1;
	if (!is_op(a, "StridedSlice") || !is_op(b, "StridedSlice") || a->nin != 4 ||
	    b->nin != 4 || in_node(g, a, 0) == NULL || in_node(g, a, 0) != in_node(g, b, 0))
		return 0;
	for (int j = 1; j < 4; j++)
		if (!same_ints(g, in_node(g, a, j), in_node(g, b, j)))
			return 0;
	for (size_t k = 0; k < sizeof masks / sizeof masks[0]; k++)
		if (attr_i(a, masks[k], 0) != attr_i(b, masks[k], 0))
			return 0;
	return 1;
}

/* paddings of SpaceToBatchND and crops of BatchToSpaceND: [[0, e_h], [0,
 * e_w]] both, with the same e (TF's required_space_to_batch_paddings with
 * zero base paddings): as Packs of Packs or as int32 Consts. */
static int
same_end_pads(struct g *g, const struct gnode *p, const struct gnode *c)
{
	int64_t pv[4], cv[4];

	if (p == NULL || c == NULL)
		return 0;
	if (is_const(p) && is_const(c)) {
		const struct tl_tfjs_weight *wp = cweight(g, p, 0), *wc = cweight(g, c, 0);
		if (wp == NULL || wc == NULL || wp->q != TL_TFJS_I32 || wc->q != TL_TFJS_I32 ||
		    wp->n != 4 || wc->n != 4 || cints(g, p, pv, 4) != 4 || cints(g, c, cv, 4) != 4)
			return 0;
		return pv[0] == 0 && pv[2] == 0 && cv[0] == 0 && cv[2] == 0 &&
		    pv[1] == cv[1] && pv[3] == cv[3];
	}
	if (!is_op(p, "Pack") || !is_op(c, "Pack") || p->nin != 2 || c->nin != 2 ||
	    attr_i(p, "axis", 0) != 0 || attr_i(c, "axis", 0) != 0)
		return 0;
	for (int i = 0; i < 2; i++) {
		struct gnode *pp = in_node(g, p, i), *cc = in_node(g, c, i);
		if (!is_op(pp, "Pack") || !is_op(cc, "Pack") || pp->nin != 2 || cc->nin != 2 ||
		    attr_i(pp, "axis", 0) != 0 || attr_i(cc, "axis", 0) != 0 ||
		    !cint_is(g, in_node(g, pp, 0), 0) || !cint_is(g, in_node(g, cc, 0), 0) ||
		    !same_value(g, in_node(g, pp, 1), in_node(g, cc, 1)))
			return 0;
	}
	return 1;
}

/* BatchToSpaceND(conv(SpaceToBatchND(x, b, pads)), b, crops): a dilated
 * convolution of x, dilation b, when the convolution is VALID with stride
 * and dilation 1 and pads and crops start at 0 and end alike.  Then the
 * output at y reads x at y, y+b, ..., y+(k-1)b only, all inside x, and the
 * crop leaves exactly the dilated VALID convolution's size. */
static int
match_dilated(struct g *g, struct gnode *b)
{
	struct gnode *conv = in_node(g, b, 0), *s, *x;
	int64_t b1[2], b2[2], st[4], dil[4];
	char pad[16];
	int ns, nd;

	if (b->nin != 3 || !is_conv(conv) || conv->nin < 2 ||
	    !is_op(s = in_node(g, conv, 0), "SpaceToBatchND") || s->nin != 3 ||
	    (x = in_node(g, s, 0)) == NULL || is_const(x))
		goto bad;
	if (cweight(g, in_node(g, s, 1), 0) == NULL || cweight(g, in_node(g, b, 1), 0) == NULL ||
	    cints(g, in_node(g, s, 1), b1, 2) != 2 || cints(g, in_node(g, b, 1), b2, 2) != 2 ||
	    b1[0] != b2[0] || b1[1] != b2[1] || b1[0] < 1 || b1[1] < 1 || b1[0] > 64 || b1[1] > 64)
		goto bad;
	attr_s(conv, "padding", pad, sizeof pad);
	ns = attr_ints(conv, "strides", st, 4);
	nd = attr_ints(conv, "dilations", dil, 4);
	if (strcmp(pad, "VALID") != 0 || ns != 4 || st[1] != 1 || st[2] != 1 ||
	    (nd != 0 && (nd != 4 || dil[1] != 1 || dil[2] != 1)))
		goto bad;
	if (!same_end_pads(g, in_node(g, s, 2), in_node(g, b, 2)))
		goto bad;
	b->pat = P_DILATED, b->px = x, b->pconv = conv;
	b->block[0] = b1[0], b->block[1] = b1[1];
	return 0;
bad:
	return NE(b, "%s", "not a dilated convolution (SpaceToBatchND, a VALID "
	    "convolution, BatchToSpaceND with paddings and crops alike)");
}

/* --- the walk ------------------------------------------------------------ */

/* An activation input: a node that is not a Const. */
static struct gnode *
act_input(struct g *g, const struct gnode *nd, int i)
{
	struct gnode *x = input(g, nd, i);

	if (x != NULL && is_const(x)) {
		NE(nd, "input '%.300s' is a constant: unsupported", x->name);
		return NULL;
	}
	return x;
}

/* What nd's translation needs emitted first, into dep[2]; their count or
 * -1 with err.  Finds nd's pattern. */
static int
deps(struct g *g, struct gnode *nd, struct gnode **dep)
{
	if (nd == g->input)
		return 0;
	if (is_const(nd))
		return 0;
	if (is_op(nd, "Mul"))
		match_mul(g, nd);
	if (nd->pat == P_HSWISH || nd->pat == P_HSIG) {
		dep[0] = nd->px;
		return 1;
	}
	if (is_binary(nd)) {
		int n = 0;
		struct gnode *a, *b;
		if (nd->nin != 2)
			return NE(nd, "%d inputs, want 2", nd->nin);
		if ((a = input(g, nd, 0)) == NULL || (b = input(g, nd, 1)) == NULL)
			return -1;
		if (is_const(a) && is_const(b))
			return NE(nd, "%s", "two constant operands: unsupported");
		if (!is_const(a))
			dep[n++] = a;
		if (!is_const(b) && b != a)
			dep[n++] = b;
		return n;
	}
	if (is_op(nd, "BatchToSpaceND")) {
		if (match_dilated(g, nd))
			return -1;
		dep[0] = nd->px;
		return 1;
	}
	if (is_conv(nd) || is_op(nd, "Relu") || is_op(nd, "Relu6") ||
	    is_op(nd, "Sigmoid") || is_op(nd, "Identity") || is_op(nd, "Mean") ||
	    is_op(nd, "Pad"))
		return (dep[0] = act_input(g, nd, 0)) == NULL ? -1 : 1;
	if (is_op(nd, "Placeholder"))
		return NE(nd, "%s", "a placeholder that is not the input node");
	return NE(nd, "%s", "unsupported op");
}

/* --- emitting ----------------------------------------------------------- */

static int
node(struct g *g, const char *name, const char *op, const char *const *in,
    int nin, const char *out, const struct tl_nn_attr *a, int na)
{
	const char *outs[1] = { out };

	return tl_nn_add_node(g->nn, name, op, in, nin, outs, 1, a, na, g->err);
}

static int
node1(struct g *g, const char *name, const char *op, const char *in,
    const char *out, const struct tl_nn_attr *a, int na)
{
	return node(g, name, op, &in, 1, out, a, na);
}

/* Makes sure a Const exists in the engine in form f (added the first
 * time, with data[n] of logical shape dims[rank]). */
static int
add_const(struct g *g, struct gnode *c, enum gform f, int rank,
    const int64_t *dims, const float *data)
{
	if (c->form == f)
		return 0;
	if (c->form != F_NONE)
		return NE(c, "%s", "used in two different ways");
	c->form = f;
	return tl_nn_add_weights(g->nn, c->name, rank, dims, data, g->err);
}

/* A Const operand of an element-wise op with 4-D activations: TF's shape
 * padded to [a,b,c,d] (NHWC) becomes logical [a,d,b,c]; one element stays
 * a scalar. */
static int
elem_const(struct g *g, struct gnode *c)
{
	const struct tl_tfjs_weight *w;
	float *f, *t;
	int64_t d[4] = { 1, 1, 1, 1 }, ld[4], one[1] = { 1 };
	int r;

	if (c->form == F_ELEM)
		return 0;
	if ((f = cfloats(g, c, &w)) == NULL)
		return -1;
	if (w->n == 1) {
		r = add_const(g, c, F_ELEM, 0, one, f);
		free(f);
		return r;
	}
	if (w->rank > 4) {
		free(f);
		return NE(c, "rank %d: an operand of 4-D activations must have rank 4 or less",
		    w->rank);
	}
	for (int i = 0; i < w->rank; i++)
		d[4 - w->rank + i] = w->dims[i];
	ld[0] = d[0], ld[1] = d[3], ld[2] = d[1], ld[3] = d[2];
	if ((t = malloc(w->n * sizeof *t)) == NULL) {
		free(f);
		return tl_err_set(g->err, "out of memory");
	}
	for (int64_t n = 0; n < d[0]; n++)
		for (int64_t h = 0; h < d[1]; h++)
			for (int64_t x = 0; x < d[2]; x++)
				for (int64_t ch = 0; ch < d[3]; ch++)
					t[((n * d[3] + ch) * d[1] + h) * d[2] + x] =
					    f[((n * d[1] + h) * d[2] + x) * d[3] + ch];
	r = add_const(g, c, F_ELEM, 4, ld, t);
	free(f);
	free(t);
	return r;
}

static int
scalar(struct g *g, const char *name, float v)
{
	int64_t one[1] = { 1 };

	return tl_nn_add_weights(g->nn, name, 0, one, &v, g->err);
}

/* Relu6 of src into out: Clip between shared constants 0 and 6. */
static int
relu6(struct g *g, const char *name, const char *src, const char *out)
{
	const char *in[3] = { src, "tfgraph:zero", "tfgraph:six" };

	if (!g->have_clip) {
		if (scalar(g, in[1], 0) || scalar(g, in[2], 6))
			return -1;
		g->have_clip = 1;
	}
	return node(g, name, "Clip", in, 3, out, NULL, 0);
}

static int
check_nhwc(struct g *g, const struct gnode *nd)
{
	char f[32];

	attr_s(nd, "data_format", f, sizeof f);
	if (f[0] != '\0' && strcmp(f, "NHWC") != 0)
		return NE(nd, "unsupported data_format %s", f);
	return 0;
}

/* A convolution nd on tensor x into tensor out; dilated (P_DILATED): a
 * VALID convolution with dilation block instead of nd's own. */
static int
emit_conv(struct g *g, struct gnode *nd, const char *x, const char *out,
    const int64_t *block)
{
	int dw = strstr(nd->op, "Depthwise") != NULL;
	int fused = strncmp(nd->op, "_Fused", 6) == 0 || strncmp(nd->op, "Fused", 5) == 0;
	struct gnode *fc = input(g, nd, 1), *bc = NULL;
	const struct tl_tfjs_weight *w;
	int64_t st[4], dil[4] = { 1, 1, 1, 1 }, ep[8], ks[2], s2[2], d2[2], pads[4] = { 0 };
	int64_t od[4], C, F, M = 1, bd[1];
	char pad[32], act[32] = "", pre[GNAME], nm[GNAME];
	const char *ins[3];
	float *kw, *ow;
	struct tl_nn_attr a[6];
	int na = 0, r, nfo = 0;
	json_t *fo;

	if (fc == NULL || check_nhwc(g, nd))
		return -1;
	if (attr_ints(nd, "strides", st, 4) != 4 || st[0] != 1 || st[3] != 1 ||
	    st[1] < 1 || st[2] < 1 || st[1] > 64 || st[2] > 64)
		return NE(nd, "%s", "strides: want [1,s,s,1]");
	r = attr_ints(nd, "dilations", dil, 4);
	if ((r != 0 && r != 4) || dil[0] != 1 || dil[3] != 1 || dil[1] < 1 ||
	    dil[2] < 1 || dil[1] > 64 || dil[2] > 64)
		return NE(nd, "%s", "dilations: want [1,d,d,1]");
	attr_s(nd, "padding", pad, sizeof pad);
	if (strcmp(pad, "EXPLICIT") == 0) {
		if (attr_ints(nd, "explicit_paddings", ep, 8) != 8 || ep[0] || ep[1] ||
		    ep[6] || ep[7])
			return NE(nd, "%s", "explicit_paddings: want 8, none on N and C");
		for (int i = 2; i < 6; i++)
			if (ep[i] < 0 || ep[i] > 4096)
				return NE(nd, "%s", "explicit_paddings out of range");
		pads[0] = ep[2], pads[2] = ep[3], pads[1] = ep[4], pads[3] = ep[5];
	} else if (strcmp(pad, "SAME") != 0 && strcmp(pad, "VALID") != 0)
		return NE(nd, "unsupported padding '%s'", pad);
	if ((w = cweight(g, fc, 1)) == NULL)
		return -1;
	if (w->rank != 4 || w->n == 0)
		return NE(nd, "filter %.300s is not [KH,KW,C,F]", fc->name);
	ks[0] = w->dims[0], ks[1] = w->dims[1], C = w->dims[2];
	if (dw) {
		M = w->dims[3];
		F = C * M;
	} else
		F = w->dims[3];
	/* fused ops: BiasAdd, then perhaps Relu or Relu6 */
	if (fused) {
		fo = json_object_get(json_object_get(attr(nd, "fused_ops"), "list"), "s");
		nfo = json_is_array(fo) ? (int)json_array_size(fo) : 0;
		for (int i = 0; i < nfo && i < 2; i++) {
			guchar *d;
			gsize len;
			const char *s = json_string_value(json_array_get(fo, i));
			char op[32] = "";
			if (s == NULL)
				return NE(nd, "%s", "bad fused_ops");
			d = g_base64_decode(s, &len);
			if (len < sizeof op && memchr(d, 0, len) == NULL)
				memcpy(op, d, len), op[len] = '\0';
			g_free(d);
			if (i == 0 && strcmp(op, "BiasAdd") != 0)
				return NE(nd, "unsupported fused_ops %.32s", op);
			if (i == 1) {
				if (strcmp(op, "Relu") != 0 && strcmp(op, "Relu6") != 0)
					return NE(nd, "unsupported fused_ops BiasAdd,%.32s", op);
				snprintf(act, sizeof act, "%s", op);
			}
		}
		if (nfo < 1 || nfo > 2 || attr_i(nd, "num_args", 1) != 1 || nd->nin != 3)
			return NE(nd, "%s", "unsupported fused_ops (want BiasAdd, then perhaps Relu or Relu6, one argument)");
		if ((bc = input(g, nd, 2)) == NULL)
			return -1;
	}
	/* TF filter [KH,KW,C,F] (depthwise [KH,KW,C,M]) -> ONNX [F,C,KH,KW]
	 * (depthwise [C*M,1,KH,KW], group C) */
	if (fc->form != (dw ? F_DW : F_CONV)) {
		if ((kw = cfloats(g, fc, &w)) == NULL)
			return -1;
		if ((ow = malloc(w->n * sizeof *ow)) == NULL) {
			free(kw);
			return tl_err_set(g->err, "out of memory");
		}
		for (int64_t y = 0; y < ks[0]; y++)
			for (int64_t xx = 0; xx < ks[1]; xx++)
				for (int64_t c = 0; c < C; c++)
					for (int64_t f = 0; f < w->dims[3]; f++) {
						float v = kw[((y * ks[1] + xx) * C + c) * w->dims[3] + f];
						if (dw)
							ow[((c * M + f) * ks[0] + y) * ks[1] + xx] = v;
						else
							ow[((f * C + c) * ks[0] + y) * ks[1] + xx] = v;
					}
		od[0] = F, od[1] = dw ? 1 : C, od[2] = ks[0], od[3] = ks[1];
		r = add_const(g, fc, dw ? F_DW : F_CONV, 4, od, ow);
		free(kw);
		free(ow);
		if (r)
			return -1;
	}
	if (bc != NULL && bc->form != F_BIAS) {
		float *b = cfloats(g, bc, &w);
		if (b == NULL)
			return -1;
		bd[0] = w->n;
		if (w->n != F) {
			free(b);
			return NE(nd, "bias %.300s has %lld values, want %lld", bc->name,
			    (long long)w->n, (long long)F);
		}
		r = add_const(g, bc, F_BIAS, 1, bd, b);
		free(b);
		if (r)
			return -1;
	}
	s2[0] = st[1], s2[1] = st[2];
	d2[0] = dil[1], d2[1] = dil[2];
	if (block != NULL) {
		d2[0] = block[0], d2[1] = block[1];
		snprintf(pad, sizeof pad, "VALID");
	}
	if ((s2[0] > 1 || s2[1] > 1) && (d2[0] > 1 || d2[1] > 1))
		return NE(nd, "%s", "strides and dilations both above 1");
	a[na++] = (struct tl_nn_attr){ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = ks, .n = 2 };
	a[na++] = (struct tl_nn_attr){ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = s2, .n = 2 };
	a[na++] = (struct tl_nn_attr){ .name = "dilations", .type = TL_NN_ATTR_INTS, .ints = d2, .n = 2 };
	a[na++] = (struct tl_nn_attr){ .name = "group", .type = TL_NN_ATTR_INT, .i = dw ? C : 1 };
	if (strcmp(pad, "SAME") == 0)
		a[na++] = (struct tl_nn_attr){ .name = "auto_pad", .type = TL_NN_ATTR_STRING, .s = "SAME_UPPER" };
	else
		a[na++] = (struct tl_nn_attr){ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pads, .n = 4 };
	ins[0] = x, ins[1] = fc->name, ins[2] = bc ? bc->name : NULL;
	if (act[0] == '\0')
		return node(g, out, "Conv", ins, bc ? 3 : 2, out, a, na);
	snprintf(pre, sizeof pre, "%s:conv", out);
	snprintf(nm, sizeof nm, "%s:%s", out, act);
	if (node(g, out, "Conv", ins, 3, pre, a, na))
		return -1;
	if (strcmp(act, "Relu") == 0)
		return node1(g, nm, "Relu", pre, out, NULL, 0);
	return relu6(g, nm, pre, out);
}

/* HardSwish(x) or HardSigmoid(x) [* 6c]: c*x*relu6(x+3) and c*relu6(x+3)
 * are x*hardsigmoid(x)*6c and hardsigmoid(x)*6c exactly. */
static int
emit_hard(struct g *g, struct gnode *nd)
{
	int sw = nd->pat == P_HSWISH, exact = nd->pc == 1.0f / 6.0f;
	char mid[GNAME], sc[GNAME];
	const char *ins[2] = { mid, sc };
	struct tl_nn_attr a[2];

	snprintf(mid, sizeof mid, exact ? "%s" : "%s:hard", nd->name);
	a[0] = (struct tl_nn_attr){ .name = "alpha", .type = TL_NN_ATTR_FLOAT, .f = 1.0f / 6.0f };
	a[1] = (struct tl_nn_attr){ .name = "beta", .type = TL_NN_ATTR_FLOAT, .f = 0.5f };
	if (node1(g, exact ? nd->name : mid, sw ? "HardSwish" : "HardSigmoid",
	    nd->px->name, mid, a, sw ? 0 : 2))
		return -1;
	if (exact)
		return 0;
	snprintf(sc, sizeof sc, "%s:scale", nd->name);
	if (scalar(g, sc, (float)(6.0 * nd->pc)))
		return -1;
	return node(g, nd->name, "Mul", ins, 2, nd->name, NULL, 0);
}

static int
emit_input(struct g *g, struct gnode *nd)
{
	int64_t d[4] = { -1, 3, g->height, g->width }, v;
	json_t *dims = json_object_get(json_object_get(attr(nd, "shape"), "shape"), "dim");
	if (json_is_array(dims) && json_array_size(dims) == 4) {
		if (json_int(json_object_get(json_array_get(dims, 3), "size"), &v) == 0 &&
		    v > 0 && v <= 4096)
			d[1] = v;
		for (int i = 1; i < 3; i++)
			if (d[i + 1] <= 0 && json_int(json_object_get(json_array_get(dims, i),
			    "size"), &v) == 0 && v > 0 && v <= 4096)
				d[i + 1] = v;
	}
	if (d[2] <= 0 || d[3] <= 0)
		return NE(nd, "%s", "input height and width unknown (the sidecar's input height and width)");
	return tl_nn_add_input(g->nn, nd->name, 4, d, g->err);
}

static const char *
engine_op(const char *tf)
{
	static const char *const map[][2] = {
		{ "Add", "Add" }, { "AddV2", "Add" }, { "Sub", "Sub" }, { "Mul", "Mul" },
		{ "RealDiv", "Div" }, { "Relu", "Relu" }, { "Sigmoid", "Sigmoid" },
		{ "Identity", "Identity" },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], tf) == 0)
			return map[i][1];
	return NULL;
}

static int
emit(struct g *g, struct gnode *nd)
{
	struct gnode *x;

	if (nd == g->input)
		return emit_input(g, nd);
	if (is_const(nd))
		return 0;
	if (nd->pat == P_HSWISH || nd->pat == P_HSIG)
		return emit_hard(g, nd);
	if (nd->pat == P_DILATED)
		return emit_conv(g, nd->pconv, nd->px->name, nd->name, nd->block);
	if (is_binary(nd)) {
		struct gnode *a = input(g, nd, 0), *b = input(g, nd, 1);
		const char *ins[2] = { a->name, b->name };
		if ((is_const(a) && elem_const(g, a)) || (is_const(b) && elem_const(g, b)))
			return -1;
		return node(g, nd->name, engine_op(nd->op), ins, 2, nd->name, NULL, 0);
	}
	x = input(g, nd, 0);
	if (is_conv(nd))
		return emit_conv(g, nd, x->name, nd->name, NULL);
	if (is_op(nd, "Relu6"))
		return relu6(g, nd->name, x->name, nd->name);
	if (is_op(nd, "Mean")) {
		struct gnode *ax = input(g, nd, 1);
		int64_t v[4];
		if (ax == NULL || cints(g, ax, v, 4) != 2 || !((v[0] == 1 && v[1] == 2) ||
		    (v[0] == 2 && v[1] == 1)) || !attr_b(nd, "keep_dims", 0))
			return NE(nd, "%s", "only the mean over H and W with keep_dims is supported");
		return node1(g, nd->name, "GlobalAveragePool", x->name, nd->name, NULL, 0);
	}
	if (is_op(nd, "Pad")) {
		struct gnode *pc = input(g, nd, 1);
		int64_t v[8], pads[8], pd[1] = { 8 };
		char pn[GNAME];
		const char *ins[2] = { x->name, pn };
		struct tl_nn_attr a[1];
		if (pc == NULL || nd->nin != 2 || cints(g, pc, v, 8) != 8 || v[0] || v[1] ||
		    v[6] || v[7])
			return NE(nd, "%s", "paddings: want a constant [[0,0],[t,b],[l,r],[0,0]]");
		for (int i = 2; i < 6; i++)
			if (v[i] < 0 || v[i] > 4096)
				return NE(nd, "%s", "paddings out of range");
		/* ONNX Pad on [N,C,H,W]: begins then ends */
		pads[0] = 0, pads[1] = 0, pads[2] = v[2], pads[3] = v[4];
		pads[4] = 0, pads[5] = 0, pads[6] = v[3], pads[7] = v[5];
		snprintf(pn, sizeof pn, "%s:pads", nd->name);
		if (tl_nn_add_weights_i64(g->nn, pn, 1, pd, pads, g->err))
			return -1;
		a[0] = (struct tl_nn_attr){ .name = "mode", .type = TL_NN_ATTR_STRING, .s = "constant" };
		return node(g, nd->name, "Pad", ins, 2, nd->name, a, 1);
	}
	return node1(g, nd->name, engine_op(nd->op), x->name, nd->name, NULL, 0);
}

/* Emits out and everything it needs, depth first, without recursion. */
struct frame {
	struct gnode *nd, *dep[2];
	int ndep, next;
};

static int
walk(struct g *g, struct gnode *out, struct frame *stack)
{
	int sp = 0;

	if (out->state == 2)
		return 0;
	stack[sp].nd = out, stack[sp].next = 0;
	if ((stack[sp].ndep = deps(g, out, stack[sp].dep)) < 0)
		return -1;
	out->state = 1;
	sp++;
	while (sp > 0) {
		struct frame *f = &stack[sp - 1];
		if (f->next < f->ndep) {
			struct gnode *d = f->dep[f->next++];
			if (d->state == 1)
				return NE(d, "%s", "part of a cycle");
			if (d->state == 2)
				continue;
			stack[sp].nd = d, stack[sp].next = 0;
			if ((stack[sp].ndep = deps(g, d, stack[sp].dep)) < 0)
				return -1;
			d->state = 1;
			sp++;
			continue;
		}
		if (emit(g, f->nd))
			return -1;
		f->nd->state = 2;
		sp--;
	}
	return 0;
}

/* --- topology ----------------------------------------------------------- */

static int
parse_nodes(struct g *g)
{
	json_t *nodes = json_object_get(json_object_get(g->root, "modelTopology"), "node"), *jn;
	size_t i;

	if (!json_is_array(nodes) || json_array_size(nodes) == 0)
		return tl_err_set(g->err, "modelTopology: no node list");
	if (json_array_size(nodes) > GMAX_NODES)
		return tl_err_set(g->err, "modelTopology: too many nodes");
	if ((g->n = calloc(json_array_size(nodes), sizeof *g->n)) == NULL ||
	    (g->sorted = malloc(json_array_size(nodes) * sizeof *g->sorted)) == NULL)
		return tl_err_set(g->err, "out of memory");
	json_array_foreach(nodes, i, jn) {
		struct gnode *nd = &g->n[g->nn_++];
		json_t *in = json_object_get(jn, "input"), *e;
		size_t j;

		nd->name = json_string_value(json_object_get(jn, "name"));
		nd->op = json_string_value(json_object_get(jn, "op"));
		nd->attr = json_object_get(jn, "attr");
		if (nd->name == NULL || nd->op == NULL || nd->name[0] == '\0' ||
		    strlen(nd->name) > GMAX_NAME || strlen(nd->op) > 64 ||
		    (in != NULL && !json_is_array(in)))
			return tl_err_set(g->err, "modelTopology: node %zu has no name or op, or bad inputs", i);
		if ((nd->in = calloc(json_array_size(in) + 1, sizeof *nd->in)) == NULL)
			return tl_err_set(g->err, "out of memory");
		json_array_foreach(in, j, e) {
			const char *s = json_string_value(e);
			if (s == NULL || strlen(s) > GMAX_NAME + 16)
				return tl_err_set(g->err, "modelTopology: node '%.300s': bad input", nd->name);
			if (s[0] != '^')
				nd->in[nd->nin++] = s;
		}
		nd->w = is_const(nd) ? find_weight(g, nd->name) : -1;
		g->sorted[i] = i;
	}
	g_qsort_with_data(g->sorted, g->nn_, sizeof *g->sorted, cmp_node, g);
	for (int k = 1; k < g->nn_; k++)
		if (strcmp(g->n[g->sorted[k]].name, g->n[g->sorted[k - 1]].name) == 0)
			return tl_err_set(g->err, "modelTopology: two nodes named '%.300s'",
			    g->n[g->sorted[k]].name);
	return 0;
}

static int
find_input(struct g *g, const char *name)
{
	if (name != NULL && *name) {
		if ((g->input = lookup(g, name, strlen(name))) == NULL)
			return tl_err_set(g->err, "input node '%.300s': no such node", name);
		if (is_const(g->input))
			return tl_err_set(g->err, "input node '%.300s' is a constant", name);
		return 0;
	}
	for (int i = 0; i < g->nn_; i++)
		if (is_op(&g->n[i], "Placeholder")) {
			if (g->input != NULL)
				return tl_err_set(g->err, "more than one Placeholder: name the input node");
			g->input = &g->n[i];
		}
	if (g->input == NULL)
		return tl_err_set(g->err, "no Placeholder: name the input node");
	return 0;
}

static void
cleanup(struct g *g)
{
	for (int i = 0; i < g->nn_; i++)
		free(g->n[i].in);
	free(g->n);
	free(g->sorted);
	json_decref(g->root);
	tl_tfjs_weights_free(&g->ws);
	free(g->wsorted);
}

struct tl_nn *
tl_nn_read_tfgraph(const char *path, const char *inname, int height, int width,
    const char *const *outputs, int nout, struct tl_err *err)
{
	struct g g = { .err = err, .height = height, .width = width };
	struct frame *stack = NULL;
	char file[TL_TFJS_PATH], dir[TL_TFJS_PATH];
	const char *fmt;

	if ((g.root = tl_tfjs_open_json(path, file, dir, err)) == NULL)
		return NULL;
	fmt = json_string_value(json_object_get(g.root, "format"));
	if (fmt == NULL || strcmp(fmt, "graph-model") != 0) {
		tl_err_set(err, "not a TF.js graph model (format is not \"graph-model\")");
		goto fail;
	}
	if (nout < 1) {
		tl_err_set(err, "no layer to cut at: a graph model is translated up to named nodes only");
		goto fail;
	}
	if (load_weights(&g, dir) || parse_nodes(&g) || find_input(&g, inname))
		goto fail;
	if ((stack = malloc(g.nn_ * sizeof *stack)) == NULL) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	if ((g.nn = tl_nn_new(err)) == NULL)
		goto fail;
	for (int i = 0; i < nout; i++) {
		struct gnode *o = lookup(&g, outputs[i], strlen(outputs[i]));
		if (o == NULL) {
			tl_err_set(err, "layer '%.300s': no such node", outputs[i]);
			goto fail;
		}
		if (is_const(o)) {
			tl_err_set(err, "node '%.300s' (Const): a constant, not a layer", o->name);
			goto fail;
		}
		if (walk(&g, o, stack) || tl_nn_add_output(g.nn, o->name, err))
			goto fail;
	}
	free(stack);
	cleanup(&g);
	return g.nn;
fail:
	tl_err_prefix(err, "%s", file);
	free(stack);
	tl_nn_free(g.nn);
	cleanup(&g);
	return NULL;
}
