/*
 * tail.c - the trainable end of a backbone (tail.h).  tl_tail_new walks the
 * finished graph back from `to`, copies the nodes that depend on `from`
 * into a short list of ops over NHWC maps (Conv weights as parameters,
 * BatchNormalization already folded in, Relu/Clip as the Conv's fused
 * activation), folds a zero Pad into the Convs that read it, and lays out
 * memory; forward runs the ops in order, backward runs them in reverse,
 * each op differentiated by hand.
 *
 * Memory.  Maps are [n,H,W,C] floats.  A forward with keep writes every map
 * of all n images into one kept block (the input copied too, so the caller
 * may reuse its buffer), which backward reads, and where tl_tail_map finds
 * `to` for class activation maps.  Everything else works on
 * chunks of images in an arena whose maps share storage when they are not
 * live at the same time (the engine's plan does the same): a forward
 * without keep needs a layer pair and the residuals held across it, a
 * backward the gradients live at one op.  im2col works in blocks of rows,
 * so its scratch does not grow with n either.
 *
 * Maths.  Dense convolutions are the engine's gemm (gemm.c: 1x1 stride 1
 * directly on the maps, others on im2col blocks in (ky,kx,ci) order), its
 * B operand packed at each call, since the caller changes the weights
 * between calls; depthwise ones are direct loops vectorised over
 * channels.  An activation's gradient passes where lo < y < hi for its
 * output y (the same set as lo < x < hi for the input: PyTorch's relu6 and
 * relu agree); at the boundaries it is 0.  HardSwish's and HardSigmoid's
 * likewise where their clamp holds; HardSwish is computed as the engine
 * does (x * clamp(x/6 + 1/2, 0, 1)) and differentiated from its input.
 * Squeeze-excite's [1,1,C] maps are per-image vectors: GlobalAveragePool
 * sums pixels in order, as the engine's kernel, its gradient spreads over
 * them; a gate's gradient sums dY times the map over pixels in order.
 * Every sum runs in a fixed
 * order: a product's over k in order with FMA (the weights' gradient sums
 * over images and pixels so), others split by channels or rows, and the
 * threads split only output rows.  So neither the thread count nor the
 * load changes a result, and OpenBLAS (its kernel, OPENBLAS_CORETYPE) has
 * no part in training: the same maps give the same tail, bit for bit, on
 * every CPU with AVX2 and FMA.
 *
 * The input maps' gradient (tl_tail_backward_in) is map 0's g, pointed
 * at the caller's buffer and cleared per chunk; every op adds into an
 * input's gradient only where that g is not NULL.
 *
 * What it does not: BatchNormalization in training mode (the folded
 * statistics stay frozen), grouped
 * convolutions other than depthwise, broadcasting other than a [1,1,C]
 * gate, constants other than scalars, division by a map, optimisers.
 */
#pragma GCC optimize("O3", "fp-contract=fast")
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_int.h"
#include "tail.h"

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HOT
#endif

/* Floats of arena a chunk of images may use (16 MB): 1x1 convolutions on
 * 7x7 maps still see hundreds of GEMM rows, and the working set of a
 * forward without keep stays small. */
#define CHUNK_FLOATS ((int64_t)1 << 22)
/* Floats of one im2col block (4 MB). */
#define COL_FLOATS ((int64_t)1 << 20)
/* Channels per unit when work is split by channels: one cache line. */
#define CU 16

enum tt_kind {
	TT_CONV, TT_DW, TT_ADD, TT_PAD, TT_ACT,
	TT_HSWISH,	/* x * clamp(x/6 + 1/2, 0, 1) */
	TT_HSIG,	/* clamp(k0 x + k1, 0, 1) */
	TT_SCALAR,	/* x op k0: sop */
	TT_MUL,		/* in[0] * in[1], the same shape or in[1] [1,1,C] */
	TT_GAP		/* [H,W,C] -> [1,1,C]: the mean over pixels */
};

/* TT_SCALAR: out = x + k, k - x, x * k, x / k (x - k is x + -k, the
 * same bits) */
enum tt_sop { SOP_ADD, SOP_RSUB, SOP_MUL, SOP_DIV };

/* One map of the tail, per image [H,W,C]; map 0 is the input (`from`). */
struct tt_map {
	int64_t h, w, c, size;
	int prod;		/* op writing it, -1 for the input */
	int used;		/* read by an op or the output */
	int64_t kbase;		/* kept block: starts at n * kbase */
	int64_t foff, goff;	/* arena offsets per image: forward, gradient */
};

struct tt_op {
	enum tt_kind kind;
	char *name;		/* the graph node's */
	int in[2], out;
	int64_t kh, kw, sh, sw, dh, dw;
	int64_t pt, pl, pb, pr;	/* Conv and Pad */
	int act;		/* Conv and TT_ACT: clamp to [lo, hi] */
	float lo, hi;
	float k0, k1;		/* TT_HSIG: alpha, beta; TT_SCALAR: k */
	int sop;		/* TT_SCALAR: enum tt_sop */
	int sub;		/* TT_ADD: in[0] - in[1] */
	int bcast;		/* TT_MUL: in[1] is a [1,1,C] gate */
	int pw, pbias;		/* parameter indices, -1 none */
	const float *src_w, *src_b;	/* graph weights, until copied */
	int dead;		/* a Pad folded into the Convs after it */
};

struct tl_tail {
	struct tt_map *m;
	int nm, to;
	struct tt_op *op;
	int nop, nconv;
	struct tl_tail_param *p;
	int np;
	float *params;		/* every w, then every g: one block */
	int threads;
	struct nn_pool *pool;
	int64_t kper;		/* kept floats per image */
	int64_t aper;		/* arena floats per image */
	int chunk;		/* images per chunk */
	float *keep;		/* kept maps of `kept` images */
	int64_t keep_cap;
	int kept;
	float *arena;
	int64_t arena_cap;
	float *scratch;		/* [scratch_n], sized at creation */
	int64_t scratch_n;
	float *pack;		/* gemm's packed B operands, grown */
	int64_t pack_cap;
	int isa;		/* nn_gemm kernel */
	float **x, **g;		/* [nm]: a chunk's maps and gradients */
	double *acc;		/* [C of `to`]: pooling sums */
};

/* ---- building ---- */

static int
unsupported(const struct nn_node *nd, const char *why, struct tl_err *err)
{
	return tl_err_set(err, "node '%s' (%s): not supported in a trainable "
	    "tail%s%s%s", nd->name, nd->op_type, why ? " (" : "",
	    why ? why : "", why ? ")" : "");
}

/* A tensor that can end the cut: exists, computed or an input, not fused
 * away. */
static int
cut_tensor(const struct tl_nn *nn, const char *name, struct tl_err *err)
{
	int i = nn_find(nn, name);

	if (i < 0)
		return tl_err_set(err, "no tensor '%s'", name);
	if (nn->t[i].producer == -2)
		return tl_err_set(err, "tensor '%s' was fused at load; its "
		    "activated output is '%s'", name, nn->t[i].fused_into);
	if (nn->t[i].kind == K_CONST)
		return tl_err_set(err, "tensor '%s' is a constant", name);
	return i;
}

static int
new_map(struct tl_tail *t, const struct nn_ptensor *pt, int prod,
    const char *name, struct tl_err *err)
{
	struct tt_map *m = &t->m[t->nm];

	if (pt->rank != 4)
		return tl_err_set(err, "tensor '%s': rank %d, a trainable tail "
		    "works on 4-D maps", name, pt->rank);
	memset(m, 0, sizeof *m);
	m->c = pt->dims[1], m->h = pt->dims[2], m->w = pt->dims[3];
	m->size = m->h * m->w * m->c;
	m->prod = prod;
	return t->nm++;
}

/* A float constant of n elements, or a value the plan computed from
 * constants (an exporter's arithmetic on weights). */
static int
known_f32(const struct nn_plan *pl, int ti, int64_t n)
{
	return ti >= 0 && pl->t[ti].known && pl->t[ti].dtype == DT_F32 &&
	    (n < 0 || pl->t[ti].n == n);
}

static int add_binary(struct tl_tail *, const struct tl_nn *,
    const struct nn_plan *, int, int *, struct tl_err *);
static int finish_op(struct tl_tail *, const struct tl_nn *,
    const struct nn_plan *, int, int *, struct tl_err *);

/* One graph node as an op: its kind, inputs and attributes. */
static int
add_op(struct tl_tail *t, const struct tl_nn *nn, const struct nn_plan *pl,
    int k, int *gmap, struct tl_err *err)
{
	const struct nn_node *nd = &nn->node[k];
	const struct nn_attrs *A = &nd->a;
	struct tt_op *o = &t->op[t->nop];
	const struct tt_map *x;

	if (nd->nout != 1)
		return unsupported(nd, "more than one output", err);
	if (nd->op == OP_IDENTITY) {
		gmap[nd->out[0]] = gmap[nd->in[0]];
		return 0;
	}
	memset(o, 0, sizeof *o);
	o->in[0] = gmap[nd->in[0]];
	o->in[1] = -1;
	o->pw = o->pbias = -1;
	o->lo = -INFINITY, o->hi = INFINITY;
	o->sh = o->sw = o->dh = o->dw = o->kh = o->kw = 1;
	if (nd->op == OP_ADD || nd->op == OP_SUB || nd->op == OP_MUL ||
	    nd->op == OP_DIV)
		return add_binary(t, nn, pl, k, gmap, err);
	if (o->in[0] < 0)
		return unsupported(nd, "its first input is a constant", err);
	x = &t->m[o->in[0]];
	switch (nd->op) {
	case OP_CONV: {
		const struct nn_ptensor *w = &pl->t[nd->in[1]];
		int64_t cout = w->dims[0];
		int bi = nd->nin > 2 ? nd->in[2] : -1;
		if (!known_f32(pl, nd->in[1], -1) || w->rank != 4)
			return unsupported(nd, "weights are not a constant", err);
		if (bi >= 0 && !known_f32(pl, bi, cout))
			return unsupported(nd, "bias is not a constant", err);
		if (A->group == 1 && w->dims[1] == x->c)
			o->kind = TT_CONV;
		else if (A->group == x->c && w->dims[1] == 1 && cout == x->c)
			o->kind = TT_DW;
		else
			return unsupported(nd, "grouped convolution other than "
			    "depthwise", err);
		o->kh = w->dims[2], o->kw = w->dims[3];
		o->sh = A->stride[0], o->sw = A->stride[1];
		o->dh = A->dil[0], o->dw = A->dil[1];
		/* resolved from auto_pad by the plan */
		o->pt = A->pads[0], o->pl = A->pads[1];
		o->pb = A->pads[2], o->pr = A->pads[3];
		if (nd->act != ACT_NONE)
			o->act = 1, o->lo = nd->act_min, o->hi = nd->act_max;
		o->src_w = w->cf;
		o->src_b = bi >= 0 ? pl->t[bi].cf : NULL;
		t->nconv++;
		break;
	}
	case OP_PAD: {
		const int64_t *v = A->padv;	/* N,C,H,W begins, then ends */
		float value = A->pad_value;
		if (A->opset >= 11 && nd->nin > 2 && nd->in[2] >= 0) {
			if (!known_f32(pl, nd->in[2], 1))
				return unsupported(nd, "non-constant value", err);
			value = pl->t[nd->in[2]].cf[0];
		}
		if (A->pad_mode != PM_CONSTANT || value != 0)
			return unsupported(nd, "only zero padding", err);
		if (A->npadv != 8 || v[0] || v[1] || v[4] || v[5])
			return unsupported(nd, "pads outside H and W", err);
		o->kind = TT_PAD;
		o->pt = v[2], o->pl = v[3], o->pb = v[6], o->pr = v[7];
		break;
	}
	case OP_RELU:
		o->kind = TT_ACT;
		o->act = 1, o->lo = 0;
		break;
	case OP_CLIP:
		o->kind = TT_ACT;
		o->act = 1, o->lo = A->minv, o->hi = A->maxv;
		if (nd->nin > 1 && nd->in[1] >= 0) {
			if (!known_f32(pl, nd->in[1], 1))
				return unsupported(nd, "min is not a constant", err);
			o->lo = pl->t[nd->in[1]].cf[0];
		}
		if (nd->nin > 2 && nd->in[2] >= 0) {
			if (!known_f32(pl, nd->in[2], 1))
				return unsupported(nd, "max is not a constant", err);
			o->hi = pl->t[nd->in[2]].cf[0];
		}
		break;
	case OP_HARDSWISH:
		o->kind = TT_HSWISH;
		break;
	case OP_HARDSIGMOID:
		o->kind = TT_HSIG;
		o->k0 = A->alpha, o->k1 = A->beta;
		break;
	case OP_GLOBALAVGPOOL:
		o->kind = TT_GAP;
		break;
	default:
		return unsupported(nd, NULL, err);
	}
	return finish_op(t, nn, pl, k, gmap, err);
}

/* Add, Sub, Mul, Div: of two maps (Add, Sub and Mul of the same shape;
 * Mul also of a map and a [1,1,C] gate), or of a map and a scalar
 * constant (Div only by it). */
static int
add_binary(struct tl_tail *t, const struct tl_nn *nn, const struct nn_plan *pl,
    int k, int *gmap, struct tl_err *err)
{
	const struct nn_node *nd = &nn->node[k];
	struct tt_op *o = &t->op[t->nop];
	int a = gmap[nd->in[0]], b = gmap[nd->in[1]];

	if (a < 0 || b < 0) {
		int ci = nd->in[a < 0 ? 0 : 1];
		float v;
		if (!known_f32(pl, ci, 1))
			return unsupported(nd, "a constant operand that is not a "
			    "scalar", err);
		v = pl->t[ci].cf[0];
		o->kind = TT_SCALAR;
		o->in[0] = a < 0 ? b : a;
		switch (nd->op) {
		case OP_ADD:
			o->sop = SOP_ADD, o->k0 = v;
			break;
		case OP_SUB:
			o->sop = a < 0 ? SOP_RSUB : SOP_ADD;
			o->k0 = a < 0 ? v : -v;
			break;
		case OP_MUL:
			o->sop = SOP_MUL, o->k0 = v;
			break;
		default:
			if (a < 0)
				return unsupported(nd, "divides by a map", err);
			o->sop = SOP_DIV, o->k0 = v;
			break;
		}
		return finish_op(t, nn, pl, k, gmap, err);
	}
	if (nd->op == OP_DIV)
		return unsupported(nd, "divides by a map", err);
	o->in[0] = a, o->in[1] = b;
	o->kind = nd->op == OP_MUL ? TT_MUL : TT_ADD;
	o->sub = nd->op == OP_SUB;
	if (t->m[a].h == t->m[b].h && t->m[a].w == t->m[b].w &&
	    t->m[a].c == t->m[b].c)
		return finish_op(t, nn, pl, k, gmap, err);
	if (nd->op == OP_MUL && t->m[a].c == t->m[b].c &&
	    (t->m[a].h * t->m[a].w == 1 || t->m[b].h * t->m[b].w == 1)) {
		o->bcast = 1;
		if (t->m[a].h * t->m[a].w == 1)	/* the gate second */
			o->in[0] = b, o->in[1] = a;
		return finish_op(t, nn, pl, k, gmap, err);
	}
	return unsupported(nd, "operands of different shapes", err);
}

/* The op t->op[t->nop] of node k, filled in: its output map made from
 * the plan's shape, which must be what the op computes. */
static int
finish_op(struct tl_tail *t, const struct tl_nn *nn, const struct nn_plan *pl,
    int k, int *gmap, struct tl_err *err)
{
	const struct nn_node *nd = &nn->node[k];
	struct tt_op *o = &t->op[t->nop];
	const struct tt_map *x = &t->m[o->in[0]];
	int y;

	if ((y = new_map(t, &pl->t[nd->out[0]], t->nop, nn->t[nd->out[0]].name,
	    err)) < 0)
		return -1;
	/* the plan's shape must be what this op computes */
	{
		const struct tt_map *Y = &t->m[y];
		int64_t oh = x->h, ow = x->w, oc = x->c;
		if (o->kind == TT_CONV || o->kind == TT_DW) {
			oh = (x->h + o->pt + o->pb - (o->kh - 1) * o->dh - 1) / o->sh + 1;
			ow = (x->w + o->pl + o->pr - (o->kw - 1) * o->dw - 1) / o->sw + 1;
			oc = pl->t[nd->in[1]].dims[0];
		} else if (o->kind == TT_PAD) {
			oh = x->h + o->pt + o->pb;
			ow = x->w + o->pl + o->pr;
		} else if (o->kind == TT_GAP)
			oh = ow = 1;
		if (Y->h != oh || Y->w != ow || Y->c != oc)
			return unsupported(nd, "unexpected output shape", err);
	}
	o->out = y;
	gmap[nd->out[0]] = y;
	if ((o->name = strdup(nd->name)) == NULL)
		return tl_err_set(err, "out of memory");
	t->nop++;
	return 0;
}

/* A zero Pad read only by Convs becomes their padding: no map to keep. */
static void
fold_pads(struct tl_tail *t)
{
	for (int k = 0; k < t->nop; k++) {
		struct tt_op *p = &t->op[k];
		int convs = 0, others = 0;
		if (p->kind != TT_PAD || p->out == t->to)
			continue;
		for (int j = k + 1; j < t->nop; j++) {
			const struct tt_op *c = &t->op[j];
			if (c->dead)
				continue;
			if ((c->kind == TT_CONV || c->kind == TT_DW) &&
			    c->in[0] == p->out)
				convs++;
			else if (c->in[0] == p->out || c->in[1] == p->out)
				others++;
		}
		if (convs == 0 || others)
			continue;
		for (int j = k + 1; j < t->nop; j++) {
			struct tt_op *c = &t->op[j];
			if (c->dead || c->in[0] != p->out)
				continue;
			c->in[0] = p->in[0];
			c->pt += p->pt, c->pl += p->pl;
			c->pb += p->pb, c->pr += p->pr;
		}
		p->dead = 1;
	}
}

/* Offsets for maps live over steps [s, e] so that maps live at the same
 * time never share floats: first fit, in order of start.  Sizes are per
 * image; scaled by a chunk's image count the maps stay apart.  Returns the
 * floats needed. */
static int64_t
place(int nm, const int *s, const int *e, const int64_t *size, int64_t *off)
{
	int64_t total = 0;
	char *done = calloc(nm, 1);
	int *order = malloc(nm * sizeof *order), no = 0;

	if (done == NULL || order == NULL) {
		free(done);
		free(order);
		return -1;
	}
	for (int i = 0; i < nm; i++)
		if (s[i] >= 0 && size[i] > 0)
			order[no++] = i;
	for (int a = 1; a < no; a++)	/* insertion sort by start */
		for (int b = a; b > 0 && s[order[b]] < s[order[b - 1]]; b--) {
			int tmp = order[b];
			order[b] = order[b - 1];
			order[b - 1] = tmp;
		}
	for (int a = 0; a < no; a++) {
		int i = order[a];
		int64_t best = -1;
		/* candidates: 0 and the end of every placed overlapping map */
		for (int c = -1; c < nm; c++) {
			int64_t o;
			int ok = 1;
			if (c >= 0 && (!done[c] || s[c] > e[i] || s[i] > e[c]))
				continue;
			o = c < 0 ? 0 : off[c] + size[c];
			for (int d = 0; d < nm && ok; d++)
				if (done[d] && s[d] <= e[i] && s[i] <= e[d] &&
				    o < off[d] + size[d] && off[d] < o + size[i])
					ok = 0;
			if (ok && (best < 0 || o < best))
				best = o;
		}
		off[i] = best;
		done[i] = 1;
		if (best + size[i] > total)
			total = best + size[i];
	}
	free(done);
	free(order);
	return total;
}

/* Rows of one im2col block for op o. */
static int64_t
col_rows(const struct tl_tail *t, const struct tt_op *o)
{
	int64_t k = o->kh * o->kw * t->m[o->in[0]].c;

	return COL_FLOATS / k > 0 ? COL_FLOATS / k : 1;
}

static int
direct(const struct tt_op *o)
{
	return o->kh == 1 && o->kw == 1 && o->sh == 1 && o->sw == 1 &&
	    o->pt == 0 && o->pl == 0 && o->pb == 0 && o->pr == 0;
}

/* Liveness, arena and kept sizes, scratch; parameters copied from the
 * graph or the plan (so before the plan is freed). */
static int
layout(struct tl_tail *t, struct tl_err *err)
{
	int nm = t->nm, nop = t->nop;
	int *fs = malloc(nm * sizeof *fs), *fe = malloc(nm * sizeof *fe);
	int *gs = malloc(nm * sizeof *gs), *ge = malloc(nm * sizeof *ge);
	int64_t *size = malloc(nm * sizeof *size), *off = malloc(nm * sizeof *off);
	int64_t fper, gper, np = 0, per;
	int rc = -1;

	if (!fs || !fe || !gs || !ge || !size || !off)
		goto oom;
	for (int i = 0; i < nm; i++) {
		fs[i] = fe[i] = gs[i] = ge[i] = -1;
		size[i] = t->m[i].size;
	}
	t->m[t->to].used = 1;
	for (int k = 0; k < nop; k++) {
		const struct tt_op *o = &t->op[k];
		if (o->dead)
			continue;
		fs[o->out] = k;
		for (int j = 0; j < 2; j++) {
			int i = o->in[j];
			if (i < 0)
				continue;
			t->m[i].used = 1;
			if (fe[i] < k)
				fe[i] = k;
			/* backward step nop-k: the gradient of i is written
			 * first by its last reader */
			if (gs[i] < 0 || nop - k < gs[i])
				gs[i] = nop - k;
		}
	}
	fe[t->to] = nop;
	gs[t->to] = 0;
	for (int i = 1; i < nm; i++)
		if (t->m[i].used && t->m[i].prod >= 0)
			ge[i] = nop - t->m[i].prod;
	/* the input is read in place (forward) and needs no gradient */
	fs[0] = gs[0] = -1;
	for (int i = 0; i < nm; i++)
		if (!t->m[i].used)
			fs[i] = gs[i] = -1;
	if ((fper = place(nm, fs, fe, size, off)) < 0)
		goto oom;
	for (int i = 0; i < nm; i++)
		t->m[i].foff = off[i];
	if ((gper = place(nm, gs, ge, size, off)) < 0)
		goto oom;
	for (int i = 0; i < nm; i++)
		t->m[i].goff = off[i];
	t->aper = fper > gper ? fper : gper;
	t->kper = 0;
	for (int i = 0; i < nm; i++)
		if (t->m[i].used) {
			t->m[i].kbase = t->kper;
			t->kper += t->m[i].size;
		}
	per = CHUNK_FLOATS / (t->aper > 0 ? t->aper : 1);
	t->chunk = per < 1 ? 1 : per > 65536 ? 65536 : (int)per;

	/* scratch: repacked weights and their gradient, im2col blocks */
	t->scratch_n = 1;
	for (int k = 0; k < nop; k++) {
		const struct tt_op *o = &t->op[k];
		int64_t cin = t->m[o->in[0]].c, cout = t->m[o->out].c, need = 0;
		int64_t kk = o->kh * o->kw;
		if (o->dead)
			continue;
		if (o->kind == TT_CONV && !direct(o))
			need = 2 * cout * kk * cin + 2 * col_rows(t, o) * kk * cin;
		else if (o->kind == TT_DW)
			need = 2 * kk * cout + cout;
		if (need > t->scratch_n)
			t->scratch_n = need;
		if (o->kind == TT_CONV || o->kind == TT_DW)
			np += kk * cin * cout / (o->kind == TT_DW ? cin : 1) +
			    (o->src_b ? cout : 0);
	}
	t->scratch = malloc(t->scratch_n * sizeof *t->scratch);
	t->x = calloc(nm, sizeof *t->x);
	t->g = calloc(nm, sizeof *t->g);
	t->acc = malloc(t->m[t->to].c * sizeof *t->acc);
	t->p = calloc(2 * t->nconv + 1, sizeof *t->p);
	t->params = calloc(2 * np + 1, sizeof *t->params);
	if (!t->scratch || !t->x || !t->g || !t->acc || !t->p || !t->params)
		goto oom;

	/* parameters in execution order, W then B; w then g in one block */
	{
		float *w = t->params, *g = t->params + np;
		int ci = 0;
		for (int k = 0; k < nop; k++) {
			struct tt_op *o = &t->op[k];
			int64_t cin = t->m[o->in[0]].c, cout = t->m[o->out].c;
			struct tl_tail_param *p;
			if (o->kind != TT_CONV && o->kind != TT_DW)
				continue;
			o->pw = t->np;
			p = &t->p[t->np++];
			p->node = o->name, p->what = "W", p->rank = 4;
			p->dims[0] = cout;
			p->dims[1] = o->kind == TT_DW ? 1 : cin;
			p->dims[2] = o->kh, p->dims[3] = o->kw;
			p->n = p->dims[0] * p->dims[1] * p->dims[2] * p->dims[3];
			p->depth = t->nconv - 1 - ci++;
			p->w = w, p->g = g;
			memcpy(w, o->src_w, p->n * sizeof *w);
			w += p->n, g += p->n;
			if (o->src_b == NULL)
				continue;
			o->pbias = t->np;
			p = &t->p[t->np++];
			p->node = o->name, p->what = "B", p->rank = 1;
			p->dims[0] = p->n = cout;
			p->depth = t->p[o->pw].depth;
			p->w = w, p->g = g;
			memcpy(w, o->src_b, p->n * sizeof *w);
			w += p->n, g += p->n;
		}
		for (int k = 0; k < nop; k++)
			t->op[k].src_w = t->op[k].src_b = NULL;
	}
	rc = 0;
	goto out;
oom:
	tl_err_set(err, "out of memory");
out:
	free(fs), free(fe), free(gs), free(ge), free(size), free(off);
	return rc;
}

struct tl_tail *
tl_tail_new(const struct tl_nn *nn, const char *from, const char *to,
    struct tl_err *err)
{
	struct tl_tail *t = NULL;
	struct nn_plan *pl = NULL;
	char *dep = NULL, *need = NULL, *in_tail = NULL;
	int *gmap = NULL;
	int fi, ti, nin = 0;

	if (!nn->finished) {
		tl_err_set(err, "graph not finished");
		return NULL;
	}
	if ((fi = cut_tensor(nn, from, err)) < 0 ||
	    (ti = cut_tensor(nn, to, err)) < 0)
		return NULL;
	dep = calloc(nn->nt, 1);
	need = calloc(nn->nt, 1);
	in_tail = calloc(nn->nnode + 1, 1);
	gmap = malloc(nn->nt * sizeof *gmap);
	if (!dep || !need || !in_tail || !gmap)
		goto oom;
	/* what depends on `from` (nodes are in topological order) */
	dep[fi] = 1;
	for (int k = 0; k < nn->nnode; k++) {
		const struct nn_node *nd = &nn->node[k];
		int d = 0;
		if (nd->dead)
			continue;
		for (int j = 0; j < nd->nin; j++)
			d |= nd->in[j] >= 0 && dep[nd->in[j]];
		for (int j = 0; j < nd->nout && d; j++)
			if (nd->out[j] != fi)
				dep[nd->out[j]] = 1;
	}
	if (ti == fi || !dep[ti]) {
		tl_err_set(err, "tensor '%s' does not depend on '%s'", to, from);
		goto fail;
	}
	/* shapes, values computed from constants and Conv pads resolved
	 * from auto_pad, from a plan of `to`; making one writes only the
	 * graph's caches (packed weights, resolved pads), as a run would */
	if (nn_plan_make((struct tl_nn *)nn, 1, &ti, 1, &pl, err))
		goto fail;
	/* what `to` needs of it; every other input must be a constant */
	need[ti] = 1;
	for (int k = nn->nnode - 1; k >= 0; k--) {
		const struct nn_node *nd = &nn->node[k];
		int wanted = 0;
		if (nd->dead)
			continue;
		for (int j = 0; j < nd->nout; j++)
			wanted |= need[nd->out[j]] && dep[nd->out[j]] &&
			    nd->out[j] != fi;
		if (!wanted)
			continue;
		in_tail[k] = 1;
		nin++;
		for (int j = 0; j < nd->nin; j++) {
			int i = nd->in[j];
			if (i < 0)
				continue;
			if (dep[i])
				need[i] = 1;
			else if (!pl->t[i].known) {
				tl_err_set(err, "node '%s' (%s): input '%s' is "
				    "neither computed from '%s' nor a constant",
				    nd->name, nd->op_type, nn->t[i].name, from);
				goto fail;
			}
		}
	}
	if ((t = calloc(1, sizeof *t)) == NULL)
		goto oom;
	t->m = calloc(nin + 1, sizeof *t->m);
	t->op = calloc(nin + 1, sizeof *t->op);
	if (!t->m || !t->op)
		goto oom;
	for (int i = 0; i < nn->nt; i++)
		gmap[i] = -1;
	if ((gmap[fi] = new_map(t, &pl->t[fi], -1, from, err)) < 0)
		goto fail;
	for (int k = 0; k < nn->nnode; k++)
		if (in_tail[k] && add_op(t, nn, pl, k, gmap, err))
			goto fail;
	t->to = gmap[ti];
	fold_pads(t);
	if (layout(t, err))
		goto fail;
	t->threads = nn->threads > 0 ? nn->threads : 1;
	t->isa = nn->gemm_isa;
	if ((t->pool = nn_pool_new(t->threads)) == NULL) {
		tl_err_set(err, "cannot start %d threads", t->threads);
		goto fail;
	}
	nn_plan_free(pl);
	free(dep), free(need), free(in_tail), free(gmap);
	return t;
oom:
	tl_err_set(err, "out of memory");
fail:
	nn_plan_free(pl);
	free(dep), free(need), free(in_tail), free(gmap);
	tl_tail_free(t);
	return NULL;
}

const char *
tl_tail_graph_input(const struct tl_nn *nn)
{
	for (int i = 0; i < nn->nt; i++)
		if (nn->t[i].kind == K_INPUT)
			return nn->t[i].name;
	return NULL;
}

void
tl_tail_free(struct tl_tail *t)
{
	if (t == NULL)
		return;
	for (int k = 0; t->op && k < t->nop; k++)
		free(t->op[k].name);
	nn_pool_free(t->pool);
	free(t->m);
	free(t->op);
	free(t->p);
	free(t->params);
	free(t->keep);
	free(t->arena);
	free(t->scratch);
	free(t->pack);
	free(t->x);
	free(t->g);
	free(t->acc);
	free(t);
}

void
tl_tail_in_shape(const struct tl_tail *t, int64_t hwc[3])
{
	hwc[0] = t->m[0].h, hwc[1] = t->m[0].w, hwc[2] = t->m[0].c;
}

int64_t
tl_tail_out_dim(const struct tl_tail *t)
{
	return t->m[t->to].c;
}

void
tl_tail_out_shape(const struct tl_tail *t, int64_t hwc[3])
{
	hwc[0] = t->m[t->to].h, hwc[1] = t->m[t->to].w, hwc[2] = t->m[t->to].c;
}

/* `to` of the images the last forward with keep ran, [n,H,W,C]: one
 * contiguous map in the kept block (class activation maps read it). */
const float *
tl_tail_map(const struct tl_tail *t, int64_t hwc[3])
{
	tl_tail_out_shape(t, hwc);
	return t->kept > 0 ? t->keep + t->kept * t->m[t->to].kbase : NULL;
}

int
tl_tail_nparams(const struct tl_tail *t)
{
	return t->np;
}

struct tl_tail_param *
tl_tail_param(struct tl_tail *t, int i)
{
	return i >= 0 && i < t->np ? &t->p[i] : NULL;
}

int
tl_tail_depth(const struct tl_tail *t)
{
	return t->nconv;
}

int64_t
tl_tail_macs(const struct tl_tail *t)
{
	int64_t n = 0;

	for (int k = 0; k < t->nop; k++) {
		const struct tt_op *o = &t->op[k];
		if ((o->kind == TT_CONV || o->kind == TT_DW) && o->pw >= 0)
			n += t->p[o->pw].n * t->m[o->out].h * t->m[o->out].w;
	}
	return n;
}

int64_t
tl_tail_keep_bytes(const struct tl_tail *t, int n)
{
	return (int64_t)n * t->kper * (int64_t)sizeof(float);
}

void
tl_tail_zero_grad(struct tl_tail *t)
{
	for (int i = 0; i < t->np; i++)
		memset(t->p[i].g, 0, t->p[i].n * sizeof *t->p[i].g);
}

/* ---- kernels: each takes a chunk of m images, maps in t->x, t->g ---- */

static int64_t grain(int64_t work_per_item);

struct job {
	const struct tl_tail *t;
	const struct tt_op *o;
	int64_t m;			/* images */
	const float *x, *w, *b, *y;
	float *out, *gx, *dw, *db;
	int64_t r0;			/* im2col block's first row */
	float *col;
	int op;				/* elementwise: which */
};

/* The output pixel of row r (n, oy, ox) as its input origin. */
static inline void
pixel(const struct tt_op *o, const struct tt_map *Y, int64_t r, int64_t *n,
    int64_t *iy0, int64_t *ix0)
{
	int64_t hw = Y->h * Y->w;

	*n = r / hw;
	*iy0 = r % hw / Y->w * o->sh - o->pt;
	*ix0 = r % Y->w * o->sw - o->pl;
}

/* col [rows][KH][KW][Cin] for output rows [r0+lo, r0+hi). */
HOT static void
im2col_rows(void *ctx, int64_t lo, int64_t hi)
{
	const struct job *j = ctx;
	const struct tt_op *o = j->o;
	const struct tt_map *X = &j->t->m[o->in[0]], *Y = &j->t->m[o->out];
	int64_t C = X->c, K = o->kh * o->kw * C;

	for (int64_t r = lo; r < hi; r++) {
		float *dst = j->col + r * K;
		int64_t n, iy0, ix0;
		pixel(o, Y, j->r0 + r, &n, &iy0, &ix0);
		for (int64_t ky = 0; ky < o->kh; ky++) {
			int64_t iy = iy0 + ky * o->dh;
			for (int64_t kx = 0; kx < o->kw; kx++, dst += C) {
				int64_t ix = ix0 + kx * o->dw;
				if (iy < 0 || iy >= X->h || ix < 0 || ix >= X->w)
					memset(dst, 0, C * sizeof *dst);
				else
					memcpy(dst, j->x + ((n * X->h + iy) * X->w +
					    ix) * C, C * sizeof *dst);
			}
		}
	}
}

/* gx += col2im(col) for block rows, channel units [lo, hi): each input
 * element sums its taps in row order whatever the split. */
HOT static void
col2im_units(void *ctx, int64_t lo, int64_t hi)
{
	const struct job *j = ctx;
	const struct tt_op *o = j->o;
	const struct tt_map *X = &j->t->m[o->in[0]], *Y = &j->t->m[o->out];
	int64_t C = X->c, K = o->kh * o->kw * C, rows = j->m;
	int64_t c0 = lo * CU, c1 = hi * CU < C ? hi * CU : C;

	for (int64_t r = 0; r < rows; r++) {
		const float *src = j->col + r * K;
		int64_t n, iy0, ix0;
		pixel(o, Y, j->r0 + r, &n, &iy0, &ix0);
		for (int64_t ky = 0; ky < o->kh; ky++) {
			int64_t iy = iy0 + ky * o->dh;
			for (int64_t kx = 0; kx < o->kw; kx++, src += C) {
				int64_t ix = ix0 + kx * o->dw;
				float *restrict d;
				const float *restrict s = src;
				if (iy < 0 || iy >= X->h || ix < 0 || ix >= X->w)
					continue;
				d = j->gx + ((n * X->h + iy) * X->w + ix) * C;
				for (int64_t c = c0; c < c1; c++)
					d[c] += s[c];
			}
		}
	}
}

/* y[r][c] = act(y[r][c] + b[c]) over rows [lo, hi) of width C. */
HOT static void
bias_act_rows(void *ctx, int64_t lo, int64_t hi)
{
	const struct job *j = ctx;
	const struct tt_op *o = j->o;
	int64_t C = j->t->m[o->out].c;
	float lo_ = o->lo, hi_ = o->hi;

	for (int64_t r = lo; r < hi; r++) {
		float *restrict y = j->out + r * C;
		const float *restrict b = j->b;
		if (b)
			for (int64_t c = 0; c < C; c++)
				y[c] += b[c];
		if (o->act)
			for (int64_t c = 0; c < C; c++) {
				float v = y[c] < lo_ ? lo_ : y[c];
				y[c] = v > hi_ ? hi_ : v;
			}
	}
}

enum {
	EW_ADD, EW_CLAMP, EW_MASK, EW_ACC, EW_ACC_MASKED,
	EW_SUB, EW_NACC, EW_MUL, EW_MUL_ACC, EW_SCALAR, EW_SCALAR_ACC,
	EW_HSWISH, EW_HSWISH_ACC, EW_HSIG, EW_HSIG_ACC
};

/* Elementwise over [lo, hi): out = x + y; out = clamp(x); out *= (y in
 * (lo,hi)) (a gradient through an activation, in place); gx += x;
 * gx += x where y in (lo,hi); out = x - y; gx -= x; out = x * y;
 * gx += x * y; out = x sop k; gx += x d(x sop k)/dx; out = hardswish(x),
 * gx += x hardswish'(y) (y its input); out = hardsigmoid(x), gx += x
 * hardsigmoid'(y) (y its output).  The activations as the engine's
 * kernels (ops.c) compute them; their derivatives 0 where the clamp
 * holds, including its ends. */
HOT static void
ew_range(void *ctx, int64_t lo, int64_t hi)
{
	const struct job *j = ctx;
	const float *restrict x = j->x, *restrict y = j->y;
	float *restrict out = j->out, *restrict gx = j->gx;
	float l = j->o->lo, h = j->o->hi, k0 = j->o->k0, k1 = j->o->k1;

	switch (j->op) {
	case EW_ADD:
		for (int64_t i = lo; i < hi; i++)
			out[i] = x[i] + y[i];
		break;
	case EW_SUB:
		for (int64_t i = lo; i < hi; i++)
			out[i] = x[i] - y[i];
		break;
	case EW_NACC:
		for (int64_t i = lo; i < hi; i++)
			gx[i] -= x[i];
		break;
	case EW_MUL:
		for (int64_t i = lo; i < hi; i++)
			out[i] = x[i] * y[i];
		break;
	case EW_MUL_ACC:
		for (int64_t i = lo; i < hi; i++)
			gx[i] += x[i] * y[i];
		break;
	case EW_SCALAR:
		switch (j->o->sop) {
		case SOP_ADD:
			for (int64_t i = lo; i < hi; i++)
				out[i] = x[i] + k0;
			break;
		case SOP_RSUB:
			for (int64_t i = lo; i < hi; i++)
				out[i] = k0 - x[i];
			break;
		case SOP_MUL:
			for (int64_t i = lo; i < hi; i++)
				out[i] = x[i] * k0;
			break;
		case SOP_DIV:
			for (int64_t i = lo; i < hi; i++)
				out[i] = x[i] / k0;
			break;
		}
		break;
	case EW_SCALAR_ACC:
		switch (j->o->sop) {
		case SOP_ADD:
			for (int64_t i = lo; i < hi; i++)
				gx[i] += x[i];
			break;
		case SOP_RSUB:
			for (int64_t i = lo; i < hi; i++)
				gx[i] -= x[i];
			break;
		case SOP_MUL:
			for (int64_t i = lo; i < hi; i++)
				gx[i] += x[i] * k0;
			break;
		case SOP_DIV:
			for (int64_t i = lo; i < hi; i++)
				gx[i] += x[i] / k0;
			break;
		}
		break;
	case EW_HSWISH:
		for (int64_t i = lo; i < hi; i++) {
			float v = x[i] / 6 + 0.5f;
			out[i] = x[i] * (v < 0 ? 0 : v > 1 ? 1 : v);
		}
		break;
	case EW_HSWISH_ACC:
		/* d/dx x v(x) = v + x/6 where 0 < v < 1; 1 above, 0 below */
		for (int64_t i = lo; i < hi; i++) {
			float v = y[i] / 6 + 0.5f;
			gx[i] += v <= 0 ? 0 : v >= 1 ? x[i] :
			    x[i] * (v + y[i] / 6);
		}
		break;
	case EW_HSIG:
		for (int64_t i = lo; i < hi; i++) {
			float v = k0 * x[i] + k1;
			out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
		}
		break;
	case EW_HSIG_ACC:
		for (int64_t i = lo; i < hi; i++)
			gx[i] += y[i] > 0 && y[i] < 1 ? x[i] * k0 : 0;
		break;
	case EW_CLAMP:
		for (int64_t i = lo; i < hi; i++) {
			float v = x[i] < l ? l : x[i];
			out[i] = v > h ? h : v;
		}
		break;
	case EW_MASK:
		for (int64_t i = lo; i < hi; i++)
			out[i] = y[i] > l && y[i] < h ? out[i] : 0;
		break;
	case EW_ACC:
		for (int64_t i = lo; i < hi; i++)
			gx[i] += x[i];
		break;
	case EW_ACC_MASKED:
		for (int64_t i = lo; i < hi; i++)
			gx[i] += y[i] > l && y[i] < h ? x[i] : 0;
		break;
	}
}

static void
ew(struct tl_tail *t, const struct tt_op *o, int op, int64_t n,
    const float *x, const float *y, float *out, float *gx)
{
	struct job j = { .t = t, .o = o, .x = x, .y = y, .out = out, .gx = gx,
	    .op = op };

	nn_pool_for(t->pool, n, 1 << 15, ew_range, &j);
}

/* Maps [m][hw][C] against per-image vectors [m][C] (a [1,1,C] map):
 * BC_GATE out = x * s (x's pixel times its image's s), BC_GATE_ACC
 * gx += x * s, BC_SPREAD gx += s / hw (GlobalAveragePool's gradient),
 * over rows (image, pixel) [lo, hi). */
enum { BC_GATE, BC_GATE_ACC, BC_SPREAD };

struct bc_job {
	int op;
	int64_t hw, C;
	const float *x, *s;
	float *out;
};

HOT static void
bc_rows(void *ctx, int64_t lo, int64_t hi)
{
	const struct bc_job *j = ctx;
	int64_t C = j->C;
	float fhw = (float)j->hw;

	for (int64_t r = lo; r < hi; r++) {
		const float *restrict x = j->x + r * C;
		const float *restrict s = j->s + r / j->hw * C;
		float *restrict o = j->out + r * C;
		switch (j->op) {
		case BC_GATE:
			for (int64_t c = 0; c < C; c++)
				o[c] = x[c] * s[c];
			break;
		case BC_GATE_ACC:
			for (int64_t c = 0; c < C; c++)
				o[c] += x[c] * s[c];
			break;
		case BC_SPREAD:
			for (int64_t c = 0; c < C; c++)
				o[c] += s[c] / fhw;
			break;
		}
	}
}

static void
bc(struct tl_tail *t, int op, int64_t m, int64_t hw, int64_t C,
    const float *x, const float *s, float *out)
{
	struct bc_job j = { op, hw, C, x, s, out };

	nn_pool_for(t->pool, m * hw, grain(C), bc_rows, &j);
}

/* Sums over the pixels of maps [m][hw][C], per image and channel, in
 * pixel order, for items (image, unit of CU channels) [lo, hi): RD_MEAN
 * out = mean of x (as the engine's GlobalAveragePool: the sum, then
 * divided by hw), RD_DOT out += sum of x * y (a gate's gradient). */
enum { RD_MEAN, RD_DOT };

struct rd_job {
	int op;
	int64_t hw, C, units;
	const float *x, *y;
	float *out;
};

HOT static void
rd_units(void *ctx, int64_t lo, int64_t hi)
{
	const struct rd_job *j = ctx;
	int64_t C = j->C, hw = j->hw;

	for (int64_t it = lo; it < hi; it++) {
		int64_t n = it / j->units, c0 = it % j->units * CU;
		int64_t nc = C - c0 < CU ? C - c0 : CU;
		float acc[CU] = { 0 };
		const float *restrict x = j->x + n * hw * C + c0;
		const float *restrict y = j->y ? j->y + n * hw * C + c0 : NULL;
		float *restrict o = j->out + n * C + c0;
		for (int64_t p = 0; p < hw; p++)
			if (j->op == RD_MEAN)
				for (int64_t c = 0; c < nc; c++)
					acc[c] += x[p * C + c];
			else
				for (int64_t c = 0; c < nc; c++)
					acc[c] += x[p * C + c] * y[p * C + c];
		if (j->op == RD_MEAN)
			for (int64_t c = 0; c < nc; c++)
				o[c] = acc[c] / (float)hw;
		else
			for (int64_t c = 0; c < nc; c++)
				o[c] += acc[c];
	}
}

static void
rd(struct tl_tail *t, int op, int64_t m, int64_t hw, int64_t C,
    const float *x, const float *y, float *out)
{
	int64_t units = (C + CU - 1) / CU;
	struct rd_job j = { op, hw, C, units, x, y, out };

	nn_pool_for(t->pool, m * units, grain(hw * CU), rd_units, &j);
}

/* db[c] += sum over rows of g[r][c], channel units [lo, hi). */
HOT static void
colsum_units(void *ctx, int64_t lo, int64_t hi)
{
	const struct job *j = ctx;
	int64_t C = j->t->m[j->o->out].c, rows = j->m;
	int64_t c0 = lo * CU, c1 = hi * CU < C ? hi * CU : C;
	float *restrict db = j->db;

	for (int64_t r = 0; r < rows; r++) {
		const float *restrict g = j->y + r * C;
		for (int64_t c = c0; c < c1; c++)
			db[c] += g[c];
	}
}

/* Depthwise forward, rows (n, oy) [lo, hi); w [KH*KW][C]. */
HOT static void
dw_fwd_rows(void *ctx, int64_t lo, int64_t hi)
{
	const struct job *j = ctx;
	const struct tt_op *o = j->o;
	const struct tt_map *X = &j->t->m[o->in[0]], *Y = &j->t->m[o->out];
	int64_t C = X->c;
	float l = o->lo, h = o->hi;

	for (int64_t row = lo; row < hi; row++) {
		int64_t n = row / Y->h, oy = row % Y->h;
		for (int64_t ox = 0; ox < Y->w; ox++) {
			float *restrict y = j->out + ((n * Y->h + oy) * Y->w + ox) * C;
			for (int64_t c = 0; c < C; c++)
				y[c] = j->b ? j->b[c] : 0;
			for (int64_t ky = 0; ky < o->kh; ky++) {
				int64_t iy = oy * o->sh - o->pt + ky * o->dh;
				if (iy < 0 || iy >= X->h)
					continue;
				for (int64_t kx = 0; kx < o->kw; kx++) {
					int64_t ix = ox * o->sw - o->pl + kx * o->dw;
					const float *restrict x, *restrict w;
					if (ix < 0 || ix >= X->w)
						continue;
					x = j->x + ((n * X->h + iy) * X->w + ix) * C;
					w = j->w + (ky * o->kw + kx) * C;
					for (int64_t c = 0; c < C; c++)
						y[c] += x[c] * w[c];
				}
			}
			if (o->act)
				for (int64_t c = 0; c < C; c++) {
					float v = y[c] < l ? l : y[c];
					y[c] = v > h ? h : v;
				}
		}
	}
}

/* Depthwise backward for channel units [lo, hi): dw [KH*KW][C], db [C]
 * and gx (when wanted) from the masked output gradient j->y; each channel
 * sums over images and pixels in order, whoever computes it. */
HOT static void
dw_bwd_units(void *ctx, int64_t lo, int64_t hi)
{
	const struct job *j = ctx;
	const struct tt_op *o = j->o;
	const struct tt_map *X = &j->t->m[o->in[0]], *Y = &j->t->m[o->out];
	int64_t C = X->c, c0 = lo * CU, c1 = hi * CU < C ? hi * CU : C;

	for (int64_t n = 0; n < j->m; n++)
		for (int64_t oy = 0; oy < Y->h; oy++)
			for (int64_t ox = 0; ox < Y->w; ox++) {
				const float *restrict g = j->y +
				    ((n * Y->h + oy) * Y->w + ox) * C;
				for (int64_t c = c0; c < c1; c++)
					j->db[c] += g[c];
				for (int64_t ky = 0; ky < o->kh; ky++) {
					int64_t iy = oy * o->sh - o->pt + ky * o->dh;
					if (iy < 0 || iy >= X->h)
						continue;
					for (int64_t kx = 0; kx < o->kw; kx++) {
						int64_t ix = ox * o->sw - o->pl + kx * o->dw;
						int64_t at = ((n * X->h + iy) * X->w + ix) * C;
						const float *restrict x, *restrict w;
						float *restrict dw;
						if (ix < 0 || ix >= X->w)
							continue;
						x = j->x + at;
						w = j->w + (ky * o->kw + kx) * C;
						dw = j->dw + (ky * o->kw + kx) * C;
						for (int64_t c = c0; c < c1; c++)
							dw[c] += g[c] * x[c];
						if (j->gx) {
							float *restrict gx = j->gx + at;
							for (int64_t c = c0; c < c1; c++)
								gx[c] += g[c] * w[c];
						}
					}
				}
			}
}

/* Grains: about 64k multiply-adds per part, so small maps stay on one
 * thread. */
static int64_t
grain(int64_t work_per_item)
{
	int64_t g = ((int64_t)1 << 16) / (work_per_item > 0 ? work_per_item : 1);

	return g > 0 ? g : 1;
}

/* C [m,n] = A [m,k] B, or C += A B (onto: the sums go on from C's
 * values); A row-major with row stride lda, or stored transposed (ta:
 * [k,m], a weight gradient's sum over pixels), B packed (nn_gemm_pack*;
 * with ta, by pack_kb).  The threads split C's rows, and each element's
 * sum runs over k in order whoever computes it and however it is blocked:
 * rows in blocks whose A stays in L2; with ta, k in blocks of KB whose
 * panels of B do, each block's sums going on from the last's. */
#define KB 256

struct gemm_job {
	int isa, ta, onto;
	int64_t n, k, lda, ldc;
	const float *a, *bp;
	float *c;
};

/* b [k,n] at b[k * rs + n * cs] packed block by block of KB k's */
static void
pack_kb(const float *b, int64_t k, int64_t n, int64_t rs, int64_t cs, float *bp)
{
	for (int64_t k0 = 0; k0 < k; k0 += KB) {
		int64_t kl = k - k0 < KB ? k - k0 : KB;
		nn_gemm_pack_strided(b + k0 * rs, kl, n, rs, cs, bp);
		bp += nn_gemm_packed_size(kl, n);
	}
}

static void
gemm_rows(void *ctx, int64_t lo, int64_t hi)
{
	const struct gemm_job *g = ctx;
	struct nn_gemm_epi e = { .onto = g->onto };
	int64_t rb = ((int64_t)1 << 14) / (g->k > 0 ? g->k : 1) / 8 * 8;

	if (g->ta) {
		const float *bp = g->bp;
		for (int64_t k0 = 0; k0 < g->k; k0 += KB) {
			int64_t kl = g->k - k0 < KB ? g->k - k0 : KB;
			e.onto = g->onto || k0 > 0;
			nn_gemm_ta(g->isa, hi - lo, g->n, kl, g->a + k0 * g->lda + lo,
			    g->lda, bp, g->c + lo * g->ldc, g->ldc, &e);
			bp += nn_gemm_packed_size(kl, g->n);
		}
		return;
	}
	rb = rb < 8 ? 8 : rb;
	for (int64_t r = lo; r < hi; r += rb)
		nn_gemm(g->isa, hi - r < rb ? hi - r : rb, g->n, g->k,
		    g->a + r * g->lda, g->lda, g->bp, g->c + r * g->ldc, g->ldc, &e);
}

static void
gemm(struct tl_tail *t, int ta, int64_t m, int64_t n, int64_t k,
    const float *a, int64_t lda, const float *bp, float *c, int64_t ldc,
    int onto)
{
	struct gemm_job g = { t->isa, ta, onto, n, k, lda, ldc, a, bp, c };

	nn_pool_for(t->pool, m, grain(n * k), gemm_rows, &g);
}

/* Floats of t->pack a forward (or backward) of chunks of m images needs. */
static int64_t
pack_floats(const struct tl_tail *t, int64_t m, int backward)
{
	int64_t most = 0;

	for (int k = 0; k < t->nop; k++) {
		const struct tt_op *o = &t->op[k];
		int64_t cin = t->m[o->in[0]].c, cout = t->m[o->out].c;
		int64_t K = o->kh * o->kw * cin, need;
		int64_t rows = m * t->m[o->out].h * t->m[o->out].w;
		if (o->dead || o->kind != TT_CONV)
			continue;
		if (!backward)
			need = nn_gemm_packed_size(K, cout);
		else
			need = nn_gemm_packed_size(cout, K) + nn_gemm_packed_size(
			    direct(o) ? rows : col_rows(t, o), K);
		most = need > most ? need : most;
	}
	return most;
}

/* w [Cout][Cin][KK] -> wr [Cout][KK][Cin] */
static void
repack(const float *w, float *wr, int64_t cout, int64_t cin, int64_t kk)
{
	for (int64_t o = 0; o < cout; o++)
		for (int64_t c = 0; c < cin; c++)
			for (int64_t k = 0; k < kk; k++)
				wr[(o * kk + k) * cin + c] = w[(o * cin + c) * kk + k];
}

static void
conv_fwd(struct tl_tail *t, const struct tt_op *o, int64_t m)
{
	const struct tt_map *X = &t->m[o->in[0]], *Y = &t->m[o->out];
	const float *x = t->x[o->in[0]], *w = t->p[o->pw].w;
	float *y = t->x[o->out];
	int64_t M = m * Y->h * Y->w, cin = X->c, cout = Y->c, kk = o->kh * o->kw;
	int64_t K = kk * cin;
	struct job j = { .t = t, .o = o, .m = m, .x = x,
	    .b = o->pbias >= 0 ? t->p[o->pbias].w : NULL, .out = y };

	/* B [K,Cout] = W^T, k in im2col's (ky,kx,ci) order */
	nn_gemm_pack(w, cout, K, kk, t->pack);
	if (direct(o))
		gemm(t, 0, M, cout, cin, x, cin, t->pack, y, cout, 0);
	else {
		float *col = t->scratch + 2 * cout * K;
		int64_t rb = col_rows(t, o);
		j.col = col;
		for (int64_t r0 = 0; r0 < M; r0 += rb) {
			int64_t rows = M - r0 < rb ? M - r0 : rb;
			j.r0 = r0;
			nn_pool_for(t->pool, rows, grain(K), im2col_rows, &j);
			gemm(t, 0, rows, cout, K, col, K, t->pack, y + r0 * cout,
			    cout, 0);
		}
	}
	if (j.b || o->act)
		nn_pool_for(t->pool, M, grain(cout), bias_act_rows, &j);
}

static void
dw_fwd(struct tl_tail *t, const struct tt_op *o, int64_t m)
{
	const struct tt_map *Y = &t->m[o->out];
	int64_t C = Y->c, kk = o->kh * o->kw;
	const float *w = t->p[o->pw].w;
	float *wr = t->scratch;
	struct job j = { .t = t, .o = o, .m = m, .x = t->x[o->in[0]], .w = wr,
	    .b = o->pbias >= 0 ? t->p[o->pbias].w : NULL, .out = t->x[o->out] };

	for (int64_t c = 0; c < C; c++)
		for (int64_t k = 0; k < kk; k++)
			wr[k * C + c] = w[c * kk + k];
	nn_pool_for(t->pool, m * Y->h, grain(Y->w * kk * C), dw_fwd_rows, &j);
}

static void
pad_fwd(struct tl_tail *t, const struct tt_op *o, int64_t m)
{
	const struct tt_map *X = &t->m[o->in[0]], *Y = &t->m[o->out];
	const float *x = t->x[o->in[0]];
	float *y = t->x[o->out];

	memset(y, 0, m * Y->size * sizeof *y);
	for (int64_t n = 0; n < m; n++)
		for (int64_t iy = 0; iy < X->h; iy++)
			memcpy(y + ((n * Y->h + iy + o->pt) * Y->w + o->pl) * Y->c,
			    x + (n * X->h + iy) * X->w * X->c,
			    X->w * X->c * sizeof *y);
}

static void
run_forward(struct tl_tail *t, int64_t m)
{
	for (int k = 0; k < t->nop; k++) {
		const struct tt_op *o = &t->op[k];
		int64_t n = m * t->m[o->out].size;
		if (o->dead)
			continue;
		switch (o->kind) {
		case TT_CONV:
			conv_fwd(t, o, m);
			break;
		case TT_DW:
			dw_fwd(t, o, m);
			break;
		case TT_ADD:
			ew(t, o, o->sub ? EW_SUB : EW_ADD, n, t->x[o->in[0]],
			    t->x[o->in[1]], t->x[o->out], NULL);
			break;
		case TT_PAD:
			pad_fwd(t, o, m);
			break;
		case TT_ACT:
			ew(t, o, EW_CLAMP, n, t->x[o->in[0]], NULL, t->x[o->out],
			    NULL);
			break;
		case TT_HSWISH:
		case TT_HSIG:
		case TT_SCALAR:
			ew(t, o, o->kind == TT_HSWISH ? EW_HSWISH : o->kind ==
			    TT_HSIG ? EW_HSIG : EW_SCALAR, n, t->x[o->in[0]], NULL,
			    t->x[o->out], NULL);
			break;
		case TT_MUL:
			if (o->bcast)
				bc(t, BC_GATE, m, t->m[o->out].h * t->m[o->out].w,
				    t->m[o->out].c, t->x[o->in[0]], t->x[o->in[1]],
				    t->x[o->out]);
			else
				ew(t, o, EW_MUL, n, t->x[o->in[0]], t->x[o->in[1]],
				    t->x[o->out], NULL);
			break;
		case TT_GAP:
			rd(t, RD_MEAN, m, t->m[o->in[0]].h * t->m[o->in[0]].w,
			    t->m[o->out].c, t->x[o->in[0]], NULL, t->x[o->out]);
			break;
		}
	}
}

/* out [m][C]: `to` averaged over H and W. */
static void
pool_out(struct tl_tail *t, int64_t m, float *out)
{
	const struct tt_map *T = &t->m[t->to];
	int64_t hw = T->h * T->w, C = T->c;

	for (int64_t n = 0; n < m; n++) {
		const float *x = t->x[t->to] + n * T->size;
		for (int64_t c = 0; c < C; c++)
			t->acc[c] = 0;
		for (int64_t p = 0; p < hw; p++)
			for (int64_t c = 0; c < C; c++)
				t->acc[c] += x[p * C + c];
		for (int64_t c = 0; c < C; c++)
			out[n * C + c] = (float)(t->acc[c] / hw);
	}
}

/* Images per chunk for a batch of n: chunks as even as the cap allows. */
static int
chunk_of(const struct tl_tail *t, int n)
{
	int k = (n + t->chunk - 1) / t->chunk;

	return (n + k - 1) / k;
}

static int
grow(float **p, int64_t *cap, int64_t n, struct tl_err *err)
{
	float *q;

	if (n <= *cap)
		return 0;
	free(*p);
	*cap = 0;
	if ((*p = q = aligned_alloc(64, ((n + 15) & ~(int64_t)15) *
	    sizeof *q)) == NULL)
		return tl_err_set(err, "out of memory");
	*cap = n;
	return 0;
}

int
tl_tail_forward(struct tl_tail *t, const float *in, int n, float *out,
    int keep, struct tl_err *err)
{
	int64_t C = t->m[t->to].c;
	int chunk;

	if (n < 1)
		return tl_err_set(err, "batch of %d maps", n);
	if (grow(&t->pack, &t->pack_cap, pack_floats(t, n, 0), err))
		return -1;
	/* what was kept belongs to the last forward only */
	t->kept = 0;
	if (keep) {
		/* every map of all n images at once: the largest GEMMs */
		if (grow(&t->keep, &t->keep_cap, n * t->kper, err))
			return -1;
		for (int i = 0; i < t->nm; i++)
			t->x[i] = t->m[i].used ? t->keep + n * t->m[i].kbase : NULL;
		memcpy(t->x[0], in, n * t->m[0].size * sizeof *in);
		run_forward(t, n);
		pool_out(t, n, out);
		t->kept = n;
		return 0;
	}
	chunk = chunk_of(t, n);
	if (grow(&t->arena, &t->arena_cap, (int64_t)chunk * t->aper, err))
		return -1;
	for (int s = 0; s < n; s += chunk) {
		int m = n - s < chunk ? n - s : chunk;
		for (int i = 1; i < t->nm; i++)
			t->x[i] = t->m[i].used ? t->arena + m * t->m[i].foff : NULL;
		t->x[0] = (float *)(in + s * t->m[0].size);	/* only read */
		run_forward(t, m);
		pool_out(t, m, out + s * C);
	}
	return 0;
}

/* ---- backward ---- */

static void
conv_bwd(struct tl_tail *t, const struct tt_op *o, int64_t m)
{
	const struct tt_map *X = &t->m[o->in[0]], *Y = &t->m[o->out];
	const float *x = t->x[o->in[0]], *w = t->p[o->pw].w;
	float *gy = t->g[o->out], *gw = t->p[o->pw].g;
	float *gx = t->g[o->in[0]];	/* NULL: the input, no gradient wanted */
	int64_t M = m * Y->h * Y->w, cin = X->c, cout = Y->c, kk = o->kh * o->kw;
	int64_t K = kk * cin;
	struct job j = { .t = t, .o = o, .m = M, .y = gy };

	if (o->act)
		ew(t, o, EW_MASK, M * cout, NULL, t->x[o->out], gy, NULL);
	if (o->pbias >= 0) {
		j.db = t->p[o->pbias].g;
		nn_pool_for(t->pool, (cout + CU - 1) / CU, grain(M * CU),
		    colsum_units, &j);
	}
	/* pack: W as B [Cout,K] of dX = dY W, then X (or an im2col block)
	 * as B [rows,K] of dW += dY^T X: that sum runs over images and
	 * pixels in order */
	float *wp = t->pack, *xp = wp + nn_gemm_packed_size(cout, K);

	if (direct(o)) {
		pack_kb(x, M, cin, cin, 1, xp);
		gemm(t, 1, cout, cin, M, gy, cout, xp, gw, cin, 1);
		if (gx) {
			nn_gemm_pack_strided(w, cout, cin, cin, 1, wp);
			gemm(t, 0, M, cin, cout, gy, cout, wp, gx, cin, 1);
		}
	} else {
		float *wr = t->scratch, *dwr = wr + cout * K;
		float *col = dwr + cout * K, *dcol;
		int64_t rb = col_rows(t, o);
		dcol = col + rb * K;
		repack(w, wr, cout, cin, kk);
		nn_gemm_pack_strided(wr, cout, K, K, 1, wp);
		memset(dwr, 0, cout * K * sizeof *dwr);
		j.x = x, j.col = col, j.gx = gx;
		for (int64_t r0 = 0; r0 < M; r0 += rb) {
			int64_t rows = M - r0 < rb ? M - r0 : rb;
			j.r0 = r0;
			j.col = col;
			nn_pool_for(t->pool, rows, grain(K), im2col_rows, &j);
			pack_kb(col, rows, K, K, 1, xp);
			gemm(t, 1, cout, K, rows, gy + r0 * cout, cout, xp, dwr, K,
			    1);
			if (!gx)
				continue;
			gemm(t, 0, rows, K, cout, gy + r0 * cout, cout, wp, dcol, K,
			    0);
			j.col = dcol;
			j.m = rows;
			nn_pool_for(t->pool, (cin + CU - 1) / CU, grain(rows * kk *
			    CU), col2im_units, &j);
		}
		for (int64_t oc = 0; oc < cout; oc++)
			for (int64_t c = 0; c < cin; c++)
				for (int64_t k = 0; k < kk; k++)
					gw[(oc * cin + c) * kk + k] +=
					    dwr[(oc * kk + k) * cin + c];
	}
}

static void
dw_bwd(struct tl_tail *t, const struct tt_op *o, int64_t m)
{
	const struct tt_map *Y = &t->m[o->out];
	int64_t C = Y->c, kk = o->kh * o->kw;
	const float *w = t->p[o->pw].w;
	float *wr = t->scratch, *dwr = wr + kk * C, *db = dwr + kk * C;
	float *gw = t->p[o->pw].g, *gy = t->g[o->out];
	struct job j = { .t = t, .o = o, .m = m, .x = t->x[o->in[0]], .w = wr,
	    .y = gy, .dw = dwr, .db = db,
	    .gx = t->g[o->in[0]] };

	if (o->act)
		ew(t, o, EW_MASK, m * Y->size, NULL, t->x[o->out], gy, NULL);
	for (int64_t c = 0; c < C; c++)
		for (int64_t k = 0; k < kk; k++)
			wr[k * C + c] = w[c * kk + k];
	memset(dwr, 0, (kk + 1) * C * sizeof *dwr);
	nn_pool_for(t->pool, (C + CU - 1) / CU, grain(m * Y->h * Y->w * kk * CU),
	    dw_bwd_units, &j);
	for (int64_t c = 0; c < C; c++)
		for (int64_t k = 0; k < kk; k++)
			gw[c * kk + k] += dwr[k * C + c];
	if (o->pbias >= 0)
		for (int64_t c = 0; c < C; c++)
			t->p[o->pbias].g[c] += db[c];
}

static void
pad_bwd(struct tl_tail *t, const struct tt_op *o, int64_t m)
{
	const struct tt_map *X = &t->m[o->in[0]], *Y = &t->m[o->out];
	const float *gy = t->g[o->out];
	float *gx = t->g[o->in[0]];
	int64_t row = X->w * X->c;

	for (int64_t n = 0; n < m; n++)
		for (int64_t iy = 0; iy < X->h; iy++) {
			const float *s = gy + ((n * Y->h + iy + o->pt) * Y->w +
			    o->pl) * Y->c;
			float *d = gx + (n * X->h + iy) * row;
			for (int64_t i = 0; i < row; i++)
				d[i] += s[i];
		}
}

/* Mul: each operand's gradient is dY times the other; a gate's sums dY
 * times the map over its pixels. */
static void
mul_bwd(struct tl_tail *t, const struct tt_op *o, int64_t m)
{
	const struct tt_map *Y = &t->m[o->out];
	const float *gy = t->g[o->out];
	int a = o->in[0], b = o->in[1];

	if (!o->bcast) {
		if (t->g[a])
			ew(t, o, EW_MUL_ACC, m * Y->size, gy, t->x[b], NULL, t->g[a]);
		if (t->g[b])
			ew(t, o, EW_MUL_ACC, m * Y->size, gy, t->x[a], NULL, t->g[b]);
		return;
	}
	if (t->g[a])
		bc(t, BC_GATE_ACC, m, Y->h * Y->w, Y->c, gy, t->x[b], t->g[a]);
	if (t->g[b])
		rd(t, RD_DOT, m, Y->h * Y->w, Y->c, gy, t->x[a], t->g[b]);
}

/* dL/d`to` of m images: dout [m][C] spread over the pixels, or dmap
 * [m][hw][C] as it is. */
static void
seed_grad(const struct tl_tail *t, int64_t m, const float *dout,
    const float *dmap, float *gt)
{
	const struct tt_map *T = &t->m[t->to];
	int64_t hw = T->h * T->w, C = T->c;

	if (dmap) {
		memcpy(gt, dmap, m * T->size * sizeof *gt);
		return;
	}
	for (int64_t n = 0; n < m; n++)
		for (int64_t p = 0; p < hw; p++)
			for (int64_t c = 0; c < C; c++)
				gt[(n * hw + p) * C + c] = dout[n * C + c] / hw;
}

/* One chunk of m images whose maps are in t->x; the input's gradient
 * t->g[0] (when wanted) cleared here, the others where first written. */
static void
run_backward(struct tl_tail *t, int64_t m, const float *dout,
    const float *dmap)
{
	seed_grad(t, m, dout, dmap, t->g[t->to]);
	if (t->g[0])
		memset(t->g[0], 0, m * t->m[0].size * sizeof(float));
	for (int k = t->nop - 1; k >= 0; k--) {
		const struct tt_op *o = &t->op[k];
		int64_t n = m * t->m[o->out].size;
		if (o->dead)
			continue;
		/* gradients first written here start at zero */
		for (int j = 0; j < 2; j++) {
			int i = o->in[j], first = 1;
			if (i <= 0 || (j == 1 && i == o->in[0]))
				continue;
			for (int l = k + 1; l < t->nop && first; l++)
				first = t->op[l].dead || (t->op[l].in[0] != i &&
				    t->op[l].in[1] != i);
			if (first)
				memset(t->g[i], 0, m * t->m[i].size * sizeof(float));
		}
		switch (o->kind) {
		case TT_CONV:
			conv_bwd(t, o, m);
			break;
		case TT_DW:
			dw_bwd(t, o, m);
			break;
		case TT_ADD:
			for (int j = 0; j < 2; j++)
				if (t->g[o->in[j]])
					ew(t, o, j && o->sub ? EW_NACC : EW_ACC, n,
					    t->g[o->out], NULL, NULL, t->g[o->in[j]]);
			break;
		case TT_PAD:
			if (t->g[o->in[0]])
				pad_bwd(t, o, m);
			break;
		case TT_ACT:
			if (t->g[o->in[0]])
				ew(t, o, EW_ACC_MASKED, n, t->g[o->out],
				    t->x[o->out], NULL, t->g[o->in[0]]);
			break;
		case TT_HSWISH:
			if (t->g[o->in[0]])
				ew(t, o, EW_HSWISH_ACC, n, t->g[o->out],
				    t->x[o->in[0]], NULL, t->g[o->in[0]]);
			break;
		case TT_HSIG:
			if (t->g[o->in[0]])
				ew(t, o, EW_HSIG_ACC, n, t->g[o->out],
				    t->x[o->out], NULL, t->g[o->in[0]]);
			break;
		case TT_SCALAR:
			if (t->g[o->in[0]])
				ew(t, o, EW_SCALAR_ACC, n, t->g[o->out], NULL, NULL,
				    t->g[o->in[0]]);
			break;
		case TT_MUL:
			mul_bwd(t, o, m);
			break;
		case TT_GAP:
			if (t->g[o->in[0]])
				bc(t, BC_SPREAD, m, t->m[o->in[0]].h *
				    t->m[o->in[0]].w, t->m[o->out].c, NULL,
				    t->g[o->out], t->g[o->in[0]]);
			break;
		}
	}
}

int
tl_tail_backward(struct tl_tail *t, const float *dout, struct tl_err *err)
{
	return tl_tail_backward_in(t, dout, NULL, NULL, err);
}

int
tl_tail_backward_in(struct tl_tail *t, const float *dout, const float *dmap,
    float *din, struct tl_err *err)
{
	int n = t->kept, chunk;
	int64_t C = t->m[t->to].c, tsize = t->m[t->to].size;

	if (n < 1)
		return tl_err_set(err, "backward without a forward that kept "
		    "its activations");
	if (t->to == 0) {	/* nothing between the cut and `to` */
		if (din)
			seed_grad(t, n, dout, dmap, din);
		return 0;
	}
	chunk = chunk_of(t, n);
	if (grow(&t->arena, &t->arena_cap, (int64_t)chunk * t->aper, err) ||
	    grow(&t->pack, &t->pack_cap, pack_floats(t, chunk, 1), err))
		return -1;
	for (int s = 0; s < n; s += chunk) {
		int m = n - s < chunk ? n - s : chunk;
		for (int i = 0; i < t->nm; i++) {
			t->x[i] = t->m[i].used ? t->keep + n * t->m[i].kbase +
			    s * t->m[i].size : NULL;
			t->g[i] = t->m[i].used && i > 0 ? t->arena +
			    m * t->m[i].goff : NULL;
		}
		t->g[0] = din ? din + s * t->m[0].size : NULL;
		run_backward(t, m, dmap ? NULL : dout + s * C,
		    dmap ? dmap + s * tsize : NULL);
	}
	return 0;
}
