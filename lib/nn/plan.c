/*
 * plan.c - from a finished graph, a batch size and the wanted outputs to a
 * list of steps: shapes inferred node by node, shape arithmetic evaluated
 * (Shape, Gather, Unsqueeze, Concat ... on values known at plan time), 4-D
 * activations given NHWC memory order wherever the consumer allows it, a
 * layout conversion step inserted where it does not, only the nodes the
 * outputs depend on kept, and every activation placed in one arena so a
 * buffer is reused once its last reader has run.  Also runs a plan.
 * Kernels are in ops.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "nn_int.h"

#define PE(fmt, ...) tl_err_set(err, "node '%s' (%s): " fmt, nd->name, \
	nd->op_type, __VA_ARGS__)

void
nn_plan_free(struct nn_plan *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->t);
	free(p->s);
	free(p->outs);
	free(p);
}

static void *
own(struct nn_plan *p, size_t size)
{
	void *m, **o;

	if (p->nowned == p->capowned) {
		int cap = p->capowned ? 2 * p->capowned : 32;
		if ((o = realloc(p->owned, cap * sizeof *o)) == NULL)
			return NULL;
		p->owned = o;
		p->capowned = cap;
	}
	if ((m = calloc(1, size ? size : 1)) == NULL)
		return NULL;
	p->owned[p->nowned++] = m;
	return m;
}

static int
new_ptensor(struct nn_plan *p)
{
	/* capacity is fixed up front so pointers into p->t stay valid */
	if (p->nt == p->capt)
		return -1;
	memset(&p->t[p->nt], 0, sizeof p->t[0]);
	p->t[p->nt].root = p->nt;
	p->t[p->nt].conv[0] = p->t[p->nt].conv[1] = -1;
	return p->nt++;
}

static struct nn_step *
new_step(struct nn_plan *p, int node, enum nn_op op)
{
	struct nn_step *s;

	if (p->ns == p->caps) {
		int cap = p->caps ? 2 * p->caps : 64;
		if ((s = realloc(p->s, cap * sizeof *s)) == NULL)
			return NULL;
		p->s = s;
		p->caps = cap;
	}
	s = &p->s[p->ns++];
	memset(s, 0, sizeof *s);
	s->node = node;
	s->op = op;
	return s;
}

/* Is a rank-4 NCHW <-> NHWC change a no-op in memory (only unit dims
 * move)? */
static int
layout_trivial(const int64_t *d)
{
	/* NCHW order C,H,W against NHWC order H,W,C (N is outermost in both) */
	return d[1] == 1 || d[2] * d[3] == 1;
}

/* The plan tensor holding t in the wanted layout (nhwc 0/1), adding a
 * conversion step if needed; -1 on allocation failure. */
static int
in_layout(struct nn_plan *p, int t, int nhwc)
{
	struct nn_ptensor *src = &p->t[t];
	struct nn_step *s;
	int c;

	if (src->rank != 4 || src->nhwc == nhwc || src->known)
		return t;	/* constants are plain and read as such */
	if (src->conv[nhwc] >= 0)
		return src->conv[nhwc];
	if ((c = new_ptensor(p)) < 0)
		return -1;
	src = &p->t[t];
	p->t[c] = *src;
	p->t[c].nhwc = nhwc;
	p->t[c].root = c;
	p->t[c].conv[0] = p->t[c].conv[1] = -1;
	src->conv[nhwc] = c;
	if ((s = new_step(p, -1, OP_CONVERT)) == NULL)
		return -1;
	s->in[0] = t;
	s->nin = 1;
	s->out[0] = c;
	s->nout = 1;
	s->alias = layout_trivial(src->dims);
	return c;
}

static int
norm_axis(int64_t a, int rank, int64_t *out)
{
	if (a < -rank || a >= rank)
		return -1;
	*out = a < 0 ? a + rank : a;
	return 0;
}

/* Output size of one spatial axis, and its begin pad, for Conv and pools. */
static int
spatial_out(const struct nn_attrs *A, int ax, int64_t in, int64_t ek,
    int ceil_mode, int64_t *out, int64_t *pb, int64_t *pe)
{
	int64_t s = A->stride[ax], o, total;

	switch (A->auto_pad) {
	case AP_SAME_UPPER:
	case AP_SAME_LOWER:
		o = (in + s - 1) / s;
		total = (o - 1) * s + ek - in;
		if (total < 0)
			total = 0;
		*pb = A->auto_pad == AP_SAME_UPPER ? total / 2 : total - total / 2;
		*pe = total - *pb;
		break;
	case AP_VALID:
		*pb = *pe = 0;
		o = in >= ek ? (in - ek) / s + 1 : 0;
		if (ceil_mode && in >= ek && (in - ek) % s)
			o++;
		break;
	default:
		*pb = A->pads[ax], *pe = A->pads[ax + 2];
		if (in + *pb + *pe < ek)
			return -1;
		o = (in + *pb + *pe - ek) / s + 1;
		if (ceil_mode && (in + *pb + *pe - ek) % s) {
			o++;
			/* the last window must start inside input or left pad */
			if ((o - 1) * s >= in + *pb)
				o--;
		}
	}
	if (o < 1)
		return -1;
	*out = o;
	return 0;
}

/* numpy broadcasting of two logical shapes */
static int
broadcast(const struct nn_ptensor *a, const struct nn_ptensor *b,
    struct nn_ptensor *o)
{
	int r = a->rank > b->rank ? a->rank : b->rank;

	o->rank = r;
	for (int i = 0; i < r; i++) {
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->dims[ia] : 1;
		int64_t db = ib >= 0 ? b->dims[ib] : 1;
		if (da != db && da != 1 && db != 1)
			return -1;
		o->dims[i] = da == 1 ? db : da;
	}
	return 0;
}

/* Values known at plan time: evaluated here, in int64 or float. */
static double
kget(const struct nn_ptensor *t, int64_t i)
{
	return t->dtype == DT_I64 ? (double)t->ci[i] : t->cf[i];
}

static int
known_binary(struct nn_plan *p, struct nn_node *nd, struct nn_ptensor *a,
    struct nn_ptensor *b, struct nn_ptensor *o, struct tl_err *err)
{
	int64_t idx[TL_NN_MAXRANK] = { 0 };
	void *m;

	if (a->dtype != b->dtype)
		return PE("%s", "mixed int64 and float operands");
	o->dtype = a->dtype;
	m = own(p, o->n * (o->dtype == DT_I64 ? 8 : 4));
	if (m == NULL)
		return tl_err_set(err, "out of memory");
	for (int64_t e = 0; e < o->n; e++) {
		int64_t ea = 0, eb = 0, sa = 1, sb = 1;
		double x, y, z;
		for (int d = o->rank - 1; d >= 0; d--) {
			int ia = d - (o->rank - a->rank), ib = d - (o->rank - b->rank);
			if (ia >= 0) {
				if (a->dims[ia] > 1)
					ea += idx[d] * sa;
				sa *= a->dims[ia];
			}
			if (ib >= 0) {
				if (b->dims[ib] > 1)
					eb += idx[d] * sb;
				sb *= b->dims[ib];
			}
		}
		x = kget(a, ea), y = kget(b, eb);
		switch (nd->op) {
		case OP_ADD: z = x + y; break;
		case OP_SUB: z = x - y; break;
		case OP_MUL: z = x * y; break;
		default:
			if (o->dtype == DT_I64 && y == 0)
				return PE("%s", "integer division by zero");
			z = o->dtype == DT_I64 ? (double)((int64_t)x / (int64_t)y) :
			    x / y;
		}
		if (o->dtype == DT_I64)
			((int64_t *)m)[e] = (int64_t)z;
		else
			((float *)m)[e] = (float)z;
		for (int d = o->rank - 1; d >= 0; d--) {
			if (++idx[d] < o->dims[d])
				break;
			idx[d] = 0;
		}
	}
	o->known = 1;
	if (o->dtype == DT_I64)
		o->ci = m;
	else
		o->cf = m;
	return 0;
}

/* A known int64 vector input (Reshape shape, Pad pads, axes ...). */
static int
known_ints(struct nn_plan *p, struct nn_node *nd, int t, int64_t *dst,
    int max, struct tl_err *err)
{
	struct nn_ptensor *k = &p->t[t];

	if (!k->known || k->dtype != DT_I64)
		return PE("input '%d' must be a constant int64 tensor", t);
	if (k->rank > 1 || k->n > max)
		return PE("constant input of %lld values (at most %d)",
		    (long long)k->n, max);
	memcpy(dst, k->ci, k->n * sizeof *dst);
	return (int)k->n;
}

static int
known_scalar(struct nn_plan *p, struct nn_node *nd, int t, float *v,
    struct tl_err *err)
{
	struct nn_ptensor *k = &p->t[t];

	if (!k->known || k->n != 1)
		return PE("%s", "scalar input must be a constant");
	*v = (float)kget(k, 0);
	return 0;
}

static int
alias_of(struct nn_plan *p, struct nn_ptensor *o, int in)
{
	struct nn_ptensor *i = &p->t[in];

	if (o->n != i->n)
		return -1;
	o->known = i->known;
	o->cf = i->cf;
	o->ci = i->ci;
	o->dtype = i->dtype;
	return 0;
}

/* Gemm with constant B, alpha 1, no transposed A, and C absent or a
 * constant row added once (beta 1): runs as nn_gemm on packed B. */
static int
gemm_packable(const struct tl_nn *nn, const struct nn_plan *p,
    const struct nn_node *nd, const int *in)
{
	const struct nn_attrs *A = &nd->a;
	const struct nn_ptensor *b = &p->t[in[1]], *c;
	int64_t n = A->trans_b ? b->dims[0] : b->dims[1];

	if (nn->t[nd->in[1]].kind != K_CONST || b->dtype != DT_F32 ||
	    A->trans_a || A->alpha != 1)
		return 0;
	if (nd->nin < 3 || in[2] < 0 || A->beta == 0)
		return 1;
	c = &p->t[in[2]];
	return A->beta == 1 && c->known && c->dtype == DT_F32 && c->n == n &&
	    c->dims[c->rank - 1] == n;
}

/* Shape inference for one node; fills p->t[out] and adds its step. */
static int
infer(struct tl_nn *nn, struct nn_plan *p, int k, struct tl_err *err)
{
	struct nn_node *nd = &nn->node[k];
	struct nn_attrs *A = &nd->a;
	int o = nd->out[0], in[64], alias = 0, runtime = 1;
	const void *aux = NULL;
	struct nn_ptensor *x, *y;
	struct nn_step *s;
	int64_t v[2 * TL_NN_MAXRANK], ax;
	int nv;

	for (int j = 0; j < nd->nin; j++)
		in[j] = nd->in[j];
	x = &p->t[in[0]];
	y = &p->t[o];
	y->dtype = DT_F32;
	if (x->dtype != DT_F32 && !x->known)
		return PE("%s", "int64 data at run time is not supported");
	switch (nd->op) {
	case OP_CONV: {
		struct nn_ptensor *w = &p->t[in[1]];
		int64_t ek, pb, pe, cin_g, g = A->group;
		if (x->rank != 4)
			return PE("input of rank %d (2-D convolution only: want 4)",
			    x->rank);
		if (w->rank != 4)
			return PE("weight of rank %d (2-D convolution only: want 4)",
			    w->rank);
		cin_g = w->dims[1];
		if (x->dims[1] != cin_g * g || w->dims[0] % g)
			return PE("channels %lld do not match weights %lldx%lld "
			    "with group %lld", (long long)x->dims[1],
			    (long long)w->dims[0], (long long)w->dims[1],
			    (long long)g);
		if (A->has_kernel && (A->kernel[0] != w->dims[2] ||
		    A->kernel[1] != w->dims[3]))
			return PE("%s", "kernel_shape does not match the weights");
		if (nd->nin > 2 && (p->t[in[2]].rank != 1 ||
		    p->t[in[2]].dims[0] != w->dims[0]))
			return PE("%s", "bias shape does not match the weights");
		y->rank = 4;
		y->dims[0] = x->dims[0];
		y->dims[1] = w->dims[0];
		for (int a = 0; a < 2; a++) {
			ek = (w->dims[2 + a] - 1) * A->dil[a] + 1;
			if (spatial_out(A, a, x->dims[2 + a], ek, 0,
			    &y->dims[2 + a], &pb, &pe))
				return PE("%s", "input smaller than the kernel");
			A->pads[a] = pb, A->pads[a + 2] = pe;
		}
		A->auto_pad = AP_NOTSET;
		y->nhwc = 1;
		if ((in[0] = in_layout(p, in[0], 1)) < 0)
			goto oom;
		break;
	}
	case OP_MAXPOOL:
	case OP_AVGPOOL:
	case OP_GLOBALAVGPOOL:
	case OP_GLOBALMAXPOOL:
		if (x->rank != 4)
			return PE("unsupported rank %d (2-D pooling only)", x->rank);
		y->rank = 4;
		y->dims[0] = x->dims[0];
		y->dims[1] = x->dims[1];
		y->dims[2] = y->dims[3] = 1;
		if (nd->op == OP_MAXPOOL || nd->op == OP_AVGPOOL) {
			int64_t pb, pe, ek;
			if (!A->has_kernel)
				return PE("%s", "missing kernel_shape");
			for (int a = 0; a < 2; a++) {
				ek = (A->kernel[a] - 1) * A->dil[a] + 1;
				if (spatial_out(A, a, x->dims[2 + a], ek,
				    A->ceil_mode, &y->dims[2 + a], &pb, &pe))
					return PE("%s", "input smaller than the kernel");
				if (pb >= ek || pe >= ek)
					return PE("%s", "pads larger than the kernel");
				A->pads[a] = pb, A->pads[a + 2] = pe;
			}
			A->auto_pad = AP_NOTSET;
		}
		y->nhwc = 1;
		if ((in[0] = in_layout(p, in[0], 1)) < 0)
			goto oom;
		break;
	case OP_BATCHNORM:
		if (x->rank < 2)
			return PE("%s", "input of rank < 2");
		for (int j = 1; j < 5; j++)
			if (p->t[in[j]].n != x->dims[1])
				return PE("%s", "parameter size is not the channels");
		y->rank = x->rank;
		memcpy(y->dims, x->dims, sizeof y->dims);
		y->nhwc = x->nhwc;
		break;
	case OP_RELU: case OP_SIGMOID: case OP_HARDSIGMOID: case OP_HARDSWISH:
	case OP_CLIP:
		for (int j = 1; j < nd->nin; j++)
			if (in[j] >= 0 && p->t[in[j]].n != 1)
				return PE("%s", "min/max must be scalars");
		y->rank = x->rank;
		memcpy(y->dims, x->dims, sizeof y->dims);
		y->nhwc = x->nhwc;
		break;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: {
		struct nn_ptensor *b = &p->t[in[1]];
		if (broadcast(x, b, y))
			return PE("%s", "shapes do not broadcast");
		y->n = nn_numel(y->rank, y->dims);
		if (x->known && b->known) {
			if (known_binary(p, nd, x, b, y, err))
				return -1;
			runtime = 0;
			break;
		}
		if (b->dtype != DT_F32)
			return PE("%s", "int64 data at run time is not supported");
		y->nhwc = y->rank == 4 && ((x->rank == 4 && x->nhwc && !x->known) ||
		    (b->rank == 4 && b->nhwc && !b->known));
		break;
	}
	case OP_CONCAT: {
		int nhwc = 1, allknown = 1;
		y->rank = x->rank;
		memcpy(y->dims, x->dims, sizeof y->dims);
		if (norm_axis(A->axis, x->rank, &ax))
			return PE("bad axis %lld", (long long)A->axis);
		y->dims[ax] = 0;
		for (int j = 0; j < nd->nin; j++) {
			struct nn_ptensor *t = &p->t[in[j]];
			if (t->rank != x->rank || t->dtype != x->dtype)
				return PE("%s", "inputs differ in rank or type");
			for (int d = 0; d < t->rank; d++)
				if (d != ax && t->dims[d] != x->dims[d])
					return PE("%s", "input shapes differ");
			y->dims[ax] += t->dims[ax];
			nhwc &= t->rank == 4 && (t->nhwc || t->known);
			allknown &= t->known;
		}
		y->n = nn_numel(y->rank, y->dims);
		if (allknown) {
			int64_t outer = nn_numel(ax, y->dims), off = 0;
			size_t es = x->dtype == DT_I64 ? 8 : 4;
			char *m = own(p, y->n * es);
			if (m == NULL)
				goto oom;
			for (int j = 0; j < nd->nin; j++) {
				struct nn_ptensor *t = &p->t[in[j]];
				int64_t c = t->n / (outer ? outer : 1);
				const char *src = t->dtype == DT_I64 ?
				    (const char *)t->ci : (const char *)t->cf;
				int64_t rowo = y->n / (outer ? outer : 1);
				for (int64_t r = 0; r < outer; r++)
					memcpy(m + (r * rowo + off) * es,
					    src + r * c * es, c * es);
				off += c;
			}
			y->known = 1;
			y->dtype = x->dtype;
			if (y->dtype == DT_I64)
				y->ci = (int64_t *)m;
			else
				y->cf = (float *)m;
			runtime = 0;
			break;
		}
		if (x->dtype != DT_F32)
			return PE("%s", "int64 data at run time is not supported");
		y->nhwc = nhwc && y->rank == 4;
		for (int j = 0; j < nd->nin; j++)
			if ((in[j] = in_layout(p, in[j], y->nhwc)) < 0)
				goto oom;
		break;
	}
	case OP_FLATTEN:
		if (A->axis < -x->rank || A->axis > x->rank)
			return PE("bad axis %lld", (long long)A->axis);
		ax = A->axis < 0 ? A->axis + x->rank : A->axis;
		y->rank = 2;
		y->dims[0] = nn_numel(ax, x->dims);
		y->dims[1] = nn_numel(x->rank - ax, x->dims + ax);
		alias = 1;
		break;
	case OP_RESHAPE: {
		int neg = -1;
		int64_t known = 1;
		if ((nv = known_ints(p, nd, in[1], v, TL_NN_MAXRANK, err)) < 0)
			return -1;
		y->rank = nv;
		for (int d = 0; d < nv; d++) {
			if (v[d] == 0 && !A->allowzero) {
				if (d >= x->rank)
					return PE("%s", "shape 0 beyond the input rank");
				v[d] = x->dims[d];
			}
			if (v[d] == -1) {
				if (neg >= 0)
					return PE("%s", "two -1 in shape");
				neg = d;
				continue;
			}
			if (v[d] < 0)
				return PE("bad shape value %lld", (long long)v[d]);
			y->dims[d] = v[d];
			known *= v[d];
		}
		if (neg >= 0) {
			if (known == 0 || x->n % known)
				return PE("%s", "cannot infer -1 in shape");
			y->dims[neg] = x->n / known;
		}
		alias = 1;
		break;
	}
	case OP_SQUEEZE:
	case OP_UNSQUEEZE: {
		int r, keep = 0, isaxis[TL_NN_MAXRANK] = { 0 };
		nv = A->naxes;
		memcpy(v, A->axes, nv * sizeof *v);
		if (nd->nin > 1 && (nv = known_ints(p, nd, in[1], v,
		    TL_NN_MAXRANK, err)) < 0)
			return -1;
		r = nd->op == OP_SQUEEZE ? x->rank : x->rank + nv;
		if (r > TL_NN_MAXRANK)
			return PE("%s", "rank too large");
		for (int j = 0; j < nv; j++) {
			if (norm_axis(v[j], r, &ax) || isaxis[ax])
				return PE("bad axes value %lld", (long long)v[j]);
			isaxis[ax] = 1;
		}
		if (nd->op == OP_SQUEEZE) {
			y->rank = 0;
			for (int d = 0; d < x->rank; d++) {
				if (nv == 0 ? x->dims[d] == 1 : isaxis[d]) {
					if (x->dims[d] != 1)
						return PE("%s", "squeezing a dimension "
						    "not 1");
					continue;
				}
				y->dims[y->rank++] = x->dims[d];
			}
		} else {
			if (nv == 0)
				return PE("%s", "missing axes");
			y->rank = r;
			for (int d = 0; d < r; d++)
				y->dims[d] = isaxis[d] ? 1 : x->dims[keep++];
		}
		alias = 1;
		break;
	}
	case OP_IDENTITY:
		if (strcmp(nd->op_type, "Dropout") == 0 && nd->nin > 2 &&
		    in[2] >= 0) {
			float tm = 0;
			if (known_scalar(p, nd, in[2], &tm, err))
				return -1;
			if (tm != 0)
				return PE("%s", "unsupported training_mode=true");
		}
		y->rank = x->rank;
		memcpy(y->dims, x->dims, sizeof y->dims);
		y->nhwc = x->nhwc;
		y->n = x->n;
		if (alias_of(p, y, in[0]))
			goto oom;
		if (y->known)
			runtime = 0;
		else
			alias = 2;	/* any layout */
		break;
	case OP_TRANSPOSE: {
		int64_t perm[TL_NN_MAXRANK];
		int seen[TL_NN_MAXRANK] = { 0 };
		if (A->nperm != 0 && A->nperm != x->rank)
			return PE("perm of %d values for rank %d", A->nperm, x->rank);
		for (int d = 0; d < x->rank; d++) {
			perm[d] = A->nperm ? A->perm[d] : x->rank - 1 - d;
			if (perm[d] < 0 || perm[d] >= x->rank || seen[perm[d]]++)
				return PE("%s", "bad perm");
		}
		memcpy(A->perm, perm, sizeof perm);
		A->nperm = x->rank;
		y->rank = x->rank;
		for (int d = 0; d < x->rank; d++)
			y->dims[d] = x->dims[perm[d]];
		break;
	}
	case OP_SHAPE: {
		int64_t st = A->start, en = A->has_end ? A->end : x->rank, *m;
		if (st < 0)
			st += x->rank;
		if (en < 0)
			en += x->rank;
		st = st < 0 ? 0 : st > x->rank ? x->rank : st;
		en = en < 0 ? 0 : en > x->rank ? x->rank : en;
		if (en < st)
			en = st;
		y->rank = 1;
		y->dims[0] = en - st;
		y->dtype = DT_I64;
		if ((m = own(p, (en - st) * 8)) == NULL)
			goto oom;
		memcpy(m, x->dims + st, (en - st) * 8);
		y->ci = m;
		y->known = 1;
		runtime = 0;
		break;
	}
	case OP_GATHER: {
		struct nn_ptensor *ix = &p->t[in[1]];
		int64_t outer, inner, *idx;
		if (!ix->known || ix->dtype != DT_I64)
			return PE("%s", "indices must be a constant int64 tensor");
		if (norm_axis(A->axis, x->rank, &ax))
			return PE("bad axis %lld", (long long)A->axis);
		if (x->rank - 1 + ix->rank > TL_NN_MAXRANK)
			return PE("%s", "rank too large");
		y->rank = 0;
		for (int d = 0; d < ax; d++)
			y->dims[y->rank++] = x->dims[d];
		for (int d = 0; d < ix->rank; d++)
			y->dims[y->rank++] = ix->dims[d];
		for (int d = ax + 1; d < x->rank; d++)
			y->dims[y->rank++] = x->dims[d];
		if ((idx = own(p, (ix->n + 1) * 8)) == NULL)
			goto oom;
		for (int64_t j = 0; j < ix->n; j++) {
			idx[j] = ix->ci[j] < 0 ? ix->ci[j] + x->dims[ax] : ix->ci[j];
			if (idx[j] < 0 || idx[j] >= x->dims[ax])
				return PE("index %lld out of range",
				    (long long)ix->ci[j]);
		}
		y->n = nn_numel(y->rank, y->dims);
		A->axis = ax;
		if (x->known) {
			size_t es = x->dtype == DT_I64 ? 8 : 4;
			char *m = own(p, y->n * es);
			const char *src = x->dtype == DT_I64 ? (const char *)x->ci :
			    (const char *)x->cf;
			if (m == NULL)
				goto oom;
			outer = nn_numel(ax, x->dims);
			inner = nn_numel(x->rank - ax - 1, x->dims + ax + 1);
			for (int64_t r = 0; r < outer; r++)
				for (int64_t j = 0; j < ix->n; j++)
					memcpy(m + ((r * ix->n + j) * inner) * es,
					    src + ((r * x->dims[ax] + idx[j]) * inner) *
					    es, inner * es);
			y->known = 1;
			y->dtype = x->dtype;
			if (y->dtype == DT_I64)
				y->ci = (int64_t *)m;
			else
				y->cf = (float *)m;
			runtime = 0;
		} else {
			aux = idx;	/* normalised, for the kernel */
			if ((in[0] = in_layout(p, in[0], 0)) < 0)
				goto oom;
		}
		break;
	}
	case OP_GEMM: {
		struct nn_ptensor *b = &p->t[in[1]], cc;
		int64_t m, kk, n, kb;
		if (x->rank != 2 || b->rank != 2)
			return PE("%s", "A and B must be matrices");
		m = A->trans_a ? x->dims[1] : x->dims[0];
		kk = A->trans_a ? x->dims[0] : x->dims[1];
		kb = A->trans_b ? b->dims[1] : b->dims[0];
		n = A->trans_b ? b->dims[0] : b->dims[1];
		if (kk != kb)
			return PE("inner dimensions %lld and %lld differ",
			    (long long)kk, (long long)kb);
		y->rank = 2;
		y->dims[0] = m, y->dims[1] = n;
		if (nd->nin > 2 && in[2] >= 0 && (broadcast(&p->t[in[2]], y, &cc) ||
		    cc.rank != 2 || cc.dims[0] != m || cc.dims[1] != n))
			return PE("%s", "C does not broadcast to the output");
		for (int j = 0; j < nd->nin; j++)
			if (in[j] >= 0 && (in[j] = in_layout(p, in[j], 0)) < 0)
				goto oom;
		break;
	}
	case OP_MATMUL: {
		struct nn_ptensor a2 = *x, b2 = p->t[in[1]], bo;
		if (x->rank < 1 || b2.rank < 1)
			return PE("%s", "scalar operand");
		if (a2.rank == 1) {
			a2.rank = 2, a2.dims[1] = a2.dims[0], a2.dims[0] = 1;
		}
		if (b2.rank == 1)
			b2.rank = 2, b2.dims[1] = 1;
		if (a2.dims[a2.rank - 1] != b2.dims[b2.rank - 2])
			return PE("%s", "inner dimensions differ");
		a2.rank -= 2, b2.rank -= 2;
		if (broadcast(&a2, &b2, &bo))
			return PE("%s", "batch dimensions do not broadcast");
		y->rank = bo.rank;
		memcpy(y->dims, bo.dims, sizeof y->dims);
		if (x->rank > 1)
			y->dims[y->rank++] = x->dims[x->rank - 2];
		if (p->t[in[1]].rank > 1)
			y->dims[y->rank++] = b2.dims[b2.rank + 1];
		for (int j = 0; j < 2; j++)
			if ((in[j] = in_layout(p, in[j], 0)) < 0)
				goto oom;
		break;
	}
	case OP_SOFTMAX:
		if (x->rank == 0 || norm_axis(A->axis, x->rank, &ax))
			return PE("bad axis %lld", (long long)A->axis);
		y->rank = x->rank;
		memcpy(y->dims, x->dims, sizeof y->dims);
		if ((in[0] = in_layout(p, in[0], 0)) < 0)
			goto oom;
		break;
	case OP_PAD: {
		int64_t *pads = A->padv;
		nv = A->npadv;
		if (A->opset >= 11) {
			if (nd->nin < 2 || in[1] < 0)
				return PE("%s", "missing pads input");
			if ((nv = known_ints(p, nd, in[1], v, 2 * TL_NN_MAXRANK,
			    err)) < 0)
				return -1;
			memcpy(pads, v, nv * sizeof *v);
			A->npadv = nv;
			if (nd->nin > 2 && in[2] >= 0 && p->t[in[2]].n != 1)
				return PE("%s", "constant_value must be a scalar");
		}
		if (nv != 2 * x->rank)
			return PE("%d pads for rank %d", nv, x->rank);
		y->rank = x->rank;
		for (int d = 0; d < x->rank; d++) {
			if (pads[d] < 0 || pads[d + x->rank] < 0 ||
			    pads[d] > 1 << 20 || pads[d + x->rank] > 1 << 20)
				return PE("unsupported pads value %lld",
				    (long long)(pads[d] < 0 ? pads[d] :
				    pads[d + x->rank]));
			if (A->pad_mode == PM_REFLECT && (pads[d] >= x->dims[d] ||
			    pads[d + x->rank] >= x->dims[d]))
				return PE("%s", "reflect pads not smaller than the "
				    "input");
			if (A->pad_mode == PM_EDGE && x->dims[d] == 0)
				return PE("%s", "edge pad of an empty axis");
			y->dims[d] = x->dims[d] + pads[d] + pads[d + x->rank];
		}
		y->nhwc = x->nhwc;
		break;
	}
	default:
		return PE("%s", "no shape rule");
	}
	y->n = nn_numel(y->rank, y->dims);
	if (y->n > ((int64_t)1 << 31))
		return PE("%s", "output too large");
	if (alias == 1) {
		if (!x->known && (in[0] = in_layout(p, in[0], 0)) < 0)
			goto oom;
		y->nhwc = 0;
		if (alias_of(p, y, in[0]))
			return PE("%s", "size mismatch");
		if (y->known)
			runtime = 0;
	}
	if (!runtime)
		return 0;
	/* A node with every data input known is evaluated by running it. */
	if ((s = new_step(p, k, nd->op)) == NULL)
		goto oom;
	memcpy(s->in, in, nd->nin * sizeof *in);
	s->nin = nd->nin;
	s->out[0] = o;
	s->nout = 1;
	s->alias = alias != 0;
	s->aux = aux;
	if (nd->op == OP_CONV && p->t[in[1]].known) {
		/* packed once per graph for constant weights, per plan for
		 * weights the plan computed */
		struct nn_ptensor *w = &p->t[in[1]];
		int kind = nn_conv_kind(nd, &p->t[in[0]], w);
		int64_t size = nn_conv_packed_size(kind, w, A->group);
		int cache = nn->t[nd->in[1]].kind == K_CONST;
		float *r = cache ? nn->wpack[k] : NULL;
		if (r == NULL) {
			r = cache ? aligned_alloc(64, ((size + 15) & ~(int64_t)15) *
			    sizeof *r) : own(p, size * sizeof *r);
			if (r == NULL)
				goto oom;
			nn_conv_pack(kind, w, A->group, w->cf, r);
			if (cache)
				nn->wpack[k] = r;
		}
		s->aux = r;
	}
	if (nd->op == OP_GEMM && gemm_packable(nn, p, nd, in)) {
		/* B constant: packed once for nn_gemm, C (if any) its bias */
		struct nn_ptensor *b = &p->t[in[1]];
		int64_t kk = A->trans_b ? b->dims[1] : b->dims[0],
		    n = A->trans_b ? b->dims[0] : b->dims[1];
		float *r = nn->wpack[k], *bt = NULL;
		if (r == NULL) {
			r = aligned_alloc(64, ((nn_gemm_packed_size(kk, n) + 15) &
			    ~(int64_t)15) * sizeof *r);
			if (!A->trans_b && (bt = malloc(b->n * sizeof *bt)) != NULL)
				for (int64_t i = 0; i < kk; i++)
					for (int64_t j = 0; j < n; j++)
						bt[j * kk + i] = b->cf[i * n + j];
			if (r == NULL || (!A->trans_b && bt == NULL)) {
				free(r);
				free(bt);
				goto oom;
			}
			nn_gemm_pack(A->trans_b ? b->cf : bt, n, kk, 1, r);
			free(bt);
			nn->wpack[k] = r;
		}
		s->aux = r;
	}
	return 0;
oom:
	return tl_err_set(err, "out of memory");
}

/* Does a step before `before` write t (or is t a graph input)? */
static int
ready_before(const struct tl_nn *nn, const struct nn_plan *p, int t,
    int before)
{
	if (t < nn->nt && nn->t[t].kind == K_INPUT)
		return 1;
	for (int s = 0; s < before; s++)
		for (int j = 0; j < p->s[s].nout; j++)
			if (p->s[s].out[j] == t)
				return 1;
	return 0;
}

/* Conv -> Add: a GEMM Conv whose output only an Add reads, the Add's other
 * operand an activation of the same shape in NHWC already computed, adds
 * it in the Conv's epilogue (in[3]) and the Add step goes. */
static void
fuse_residual(struct tl_nn *nn, struct nn_plan *p)
{
	for (int s = 0; s < p->ns; s++) {
		struct nn_step *c = &p->s[s];
		int t = c->out[0], uses = 0, a = -1, other;
		struct nn_ptensor *ct = &p->t[t], *ot;
		if (c->op != OP_CONV || c->nin > 3 || c->alias ||
		    nn_conv_kind(&nn->node[c->node], &p->t[c->in[0]],
		    &p->t[c->in[1]]) == 1)
			continue;
		for (int k = 0; k < p->nouts; k++)
			uses += p->outs[k] == t ? 2 : 0;
		for (int q = s + 1; q < p->ns; q++)
			for (int j = 0; j < p->s[q].nin; j++)
				if (p->s[q].in[j] == t) {
					uses++;
					a = q;
				}
		if (uses != 1 || p->s[a].op != OP_ADD || p->s[a].alias)
			continue;
		other = p->s[a].in[0] == t ? p->s[a].in[1] : p->s[a].in[0];
		ot = &p->t[other];
		if (ot->known || ot->rank != 4 || !ot->nhwc || !ct->nhwc ||
		    memcmp(ot->dims, ct->dims, 4 * sizeof *ot->dims) ||
		    !p->t[p->s[a].out[0]].nhwc ||
		    memcmp(p->t[p->s[a].out[0]].dims, ct->dims,
		    4 * sizeof *ct->dims) || !ready_before(nn, p, other, s))
			continue;
		if (c->nin < 3)
			c->in[2] = -1;
		c->in[3] = other;
		c->nin = 4;
		c->out[0] = p->s[a].out[0];
		memmove(&p->s[a], &p->s[a + 1], (p->ns - a - 1) * sizeof *p->s);
		p->ns--;
	}
}

/* Pointwise Conv -> depthwise Conv (MobileNet's expansion): when only the
 * depthwise step reads the expanded tensor and both have packed weights,
 * the depthwise step computes the rows it needs band by band into scratch
 * the size of L2, so the tensor (six times the block's channels) is never
 * written out whole.  Same kernels, same sums. */
static void
fuse_expand(struct tl_nn *nn, struct nn_plan *p)
{
	for (int s = 0; s < p->ns; s++) {
		struct nn_step *d = &p->s[s], *e = NULL;
		int t = d->in[0], uses = 0, q;
		if (d->op != OP_CONV || d->alias || d->skip || d->pre ||
		    d->nin > 3 || d->aux == NULL ||
		    nn_conv_kind(&nn->node[d->node], &p->t[t], &p->t[d->in[1]]) != 1)
			continue;
		for (q = s - 1; q >= 0 && e == NULL; q--)
			if (p->s[q].nout == 1 && p->s[q].out[0] == t)
				e = &p->s[q];
		if (e == NULL || e->op != OP_CONV || e->alias || e->skip ||
		    e->pre || e->nin > 3 || e->aux == NULL ||
		    nn_conv_kind(&nn->node[e->node], &p->t[e->in[0]],
		    &p->t[e->in[1]]) != 2 || p->t[t].root != t)
			continue;
		for (int k = 0; k < p->nouts; k++)
			uses += p->outs[k] == t ? 2 : 0;
		for (int r = 0; r < p->ns; r++)
			for (int j = 0; j < p->s[r].nin; j++)
				uses += p->s[r].in[j] == t;
		if (uses != 1)
			continue;
		d->pre = (int)(e - p->s) + 1;
		d->mid = t;
		d->in[0] = e->in[0];
		if (d->nin < 3)
			d->in[2] = -1;
		d->in[3] = -1;
		d->in[4] = e->nin > 2 ? e->in[2] : -1;
		d->nin = 5;
		e->skip = 1;
	}
}

/* Depthwise Conv -> pointwise Conv (MobileNet's projection): when only
 * the pointwise step reads the depthwise output, the depthwise step feeds
 * it band by band (with its bias, activation and residual) and the
 * depthwise output is never stored whole. */
static void
fuse_project(struct tl_nn *nn, struct nn_plan *p)
{
	for (int s = 0; s < p->ns; s++) {
		struct nn_step *d = &p->s[s], *c = NULL;
		int t = d->out[0], uses = 0, res;
		if (d->op != OP_CONV || d->alias || d->skip || d->post ||
		    d->aux == NULL || (!d->pre && d->nin > 3) ||
		    nn_conv_kind(&nn->node[d->node], &p->t[d->pre ? d->mid :
		    d->in[0]], &p->t[d->in[1]]) != 1 || p->t[t].root != t)
			continue;
		for (int k = 0; k < p->nouts; k++)
			uses += p->outs[k] == t ? 2 : 0;
		for (int q = 0; q < p->ns; q++)
			for (int j = 0; j < p->s[q].nin; j++)
				if (p->s[q].in[j] == t) {
					uses++;
					c = &p->s[q];
				}
		if (uses != 1 || c->in[0] != t || c->op != OP_CONV || c->alias ||
		    c->skip || c->pre || c->aux == NULL ||
		    nn_conv_kind(&nn->node[c->node], &p->t[t], &p->t[c->in[1]]) != 2)
			continue;
		res = c->nin > 3 ? c->in[3] : -1;
		if (res >= 0 && !ready_before(nn, p, res, s))
			continue;
		d->post = (int)(c - p->s) + 1;
		d->mid2 = t;
		if (!d->pre) {
			if (d->nin < 3)
				d->in[2] = -1;
			d->in[3] = d->in[4] = -1;
		}
		d->in[5] = c->nin > 2 ? c->in[2] : -1;
		d->in[6] = res;
		d->nin = 7;
		d->out[0] = c->out[0];
		c->skip = 1;
	}
}

/* Memory: each root gets [first, last] steps; place the biggest first at
 * the lowest offset that no overlapping live buffer occupies. */
static int
assign(struct nn_plan *p, struct tl_err *err)
{
	int *order = malloc((p->nt + 1) * sizeof *order), n = 0;

	if (order == NULL)
		return tl_err_set(err, "out of memory");
	for (int i = 0; i < p->nt; i++) {
		struct nn_ptensor *t = &p->t[i];
		if (t->root == i && t->first >= 0 && !t->known)
			order[n++] = i;
	}
	/* insertion sort by size, descending */
	for (int i = 1; i < n; i++) {
		int v = order[i], j = i;
		while (j > 0 && p->t[order[j - 1]].n < p->t[v].n) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	p->arena_size = 0;
	for (int i = 0; i < n; i++) {
		struct nn_ptensor *t = &p->t[order[i]];
		int64_t size = (t->n + 15) & ~(int64_t)15, off = 0;
		int moved = 1;
		while (moved) {
			moved = 0;
			for (int j = 0; j < i; j++) {
				struct nn_ptensor *u = &p->t[order[j]];
				int64_t us = (u->n + 15) & ~(int64_t)15;
				if (u->last < t->first || t->last < u->first)
					continue;
				if (off < u->off + us && u->off < off + size) {
					off = u->off + us;
					moved = 1;
				}
			}
		}
		t->off = off;
		if (off + size > p->arena_size)
			p->arena_size = off + size;
	}
	free(order);
	return 0;
}

static int
elementwise_inplace(enum nn_op op)
{
	return op == OP_RELU || op == OP_CLIP || op == OP_SIGMOID ||
	    op == OP_HARDSIGMOID || op == OP_HARDSWISH || op == OP_ADD ||
	    op == OP_SUB || op == OP_MUL || op == OP_DIV || op == OP_BATCHNORM;
}

static int
lifetimes(struct tl_nn *nn, struct nn_plan *p)
{
	int ns = p->ns;

	for (int i = 0; i < p->nt; i++)
		p->t[i].first = p->t[i].last = -1;
	/* graph inputs are written before step 0 */
	for (int i = 0; i < nn->nt; i++)
		if (nn->t[i].kind == K_INPUT)
			p->t[i].first = p->t[i].last = 0;
	for (int s = 0; s < ns; s++) {
		struct nn_step *st = &p->s[s];
		if (st->skip)
			continue;
		for (int j = 0; j < st->nin; j++) {
			int r;
			if (st->in[j] < 0)
				continue;
			r = p->t[st->in[j]].root;
			if (p->t[r].last < s)
				p->t[r].last = s;
		}
		for (int j = 0; j < st->nout; j++) {
			int o = st->out[j];
			if (st->alias) {
				p->t[o].root = p->t[st->in[0]].root;
				o = p->t[o].root;
				if (p->t[o].last < s)
					p->t[o].last = s;
				continue;
			}
			if (p->t[o].first < 0)
				p->t[o].first = s;
			if (p->t[o].last < s)
				p->t[o].last = s;
		}
	}
	for (int k = 0; k < p->nouts; k++) {
		int r = p->t[p->outs[k]].root;
		p->t[r].last = ns;
	}
	return 0;
}

int
nn_plan_make(struct tl_nn *nn, int n, const int *outs, int nouts,
    struct nn_plan **out, struct tl_err *err)
{
	struct nn_plan *p = calloc(1, sizeof *p);
	int64_t scratch = 0;

	*out = NULL;
	if (p == NULL)
		return tl_err_set(err, "out of memory");
	p->n = n;
	p->capt = 3 * nn->nt + 16;	/* each tensor converts at most twice */
	p->t = calloc(p->capt, sizeof *p->t);
	p->outs = malloc(nouts * sizeof *p->outs);
	if (!p->t || !p->outs)
		goto oom;
	memcpy(p->outs, outs, nouts * sizeof *outs);
	p->nouts = nouts;
	p->nt = nn->nt;
	for (int i = 0; i < nn->nt; i++) {
		struct nn_tensor *t = &nn->t[i];
		struct nn_ptensor *q = &p->t[i];
		q->root = i;
		q->conv[0] = q->conv[1] = -1;
		q->rank = t->rank;
		memcpy(q->dims, t->dims, sizeof q->dims);
		if (t->kind == K_INPUT) {
			if (t->rank > 0 && (n > 0 || t->dims[0] < 0))
				q->dims[0] = n > 0 ? n : 1;
			q->nhwc = t->rank == 4;
		} else if (t->kind == K_CONST) {
			q->known = 1;
			q->dtype = t->dtype;
			q->cf = t->f;
			q->ci = t->i;
		}
		q->n = nn_numel(q->rank, q->dims);
	}
	for (int k = 0; k < nouts; k++)
		p->t[outs[k]].needed = 1;
	for (int k = nn->nnode - 1; k >= 0; k--) {
		struct nn_node *nd = &nn->node[k];
		int need = 0;
		if (nd->dead)
			continue;
		for (int j = 0; j < nd->nout; j++)
			need |= p->t[nd->out[j]].needed;
		for (int j = 0; need && j < nd->nin; j++)
			if (nd->in[j] >= 0)
				p->t[nd->in[j]].needed = 1;
	}
	for (int k = 0; k < nn->nnode; k++) {
		struct nn_node *nd = &nn->node[k];
		if (nd->dead || !p->t[nd->out[0]].needed)
			continue;
		if (infer(nn, p, k, err))
			goto fail;
	}
	for (int k = 0; k < nouts; k++)
		if (nn->t[outs[k]].producer == -2) {
			tl_err_set(err, "tensor '%s' was fused at load",
			    nn->t[outs[k]].name);
			goto fail;
		}
	fuse_residual(nn, p);
	fuse_expand(nn, p);
	fuse_project(nn, p);
	lifetimes(nn, p);
	/* in place: an elementwise step whose input dies at it */
	for (int s = 0; s < p->ns; s++) {
		struct nn_step *st = &p->s[s];
		struct nn_ptensor *o;
		if (!elementwise_inplace(st->op) || st->alias)
			continue;
		o = &p->t[st->out[0]];
		for (int j = 0; j < (st->op >= OP_ADD && st->op <= OP_DIV ? 2 : 1);
		    j++) {
			struct nn_ptensor *i = &p->t[st->in[j]];
			int r = i->root;
			if (i->known || i->n != o->n || i->nhwc != o->nhwc ||
			    p->t[r].last != s || o->root != st->out[0] ||
			    (r < nn->nt && nn->t[r].kind == K_INPUT))
				continue;
			o->root = r;
			p->t[r].last = o->last;
			o->first = -1;
			break;
		}
	}
	for (int i = 0; i < p->nt; i++) {
		int r = i;
		while (p->t[r].root != r)
			r = p->t[r].root;
		p->t[i].root = r;
	}
	if (assign(p, err))
		goto fail;
	for (int s = 0; s < p->ns; s++) {
		int64_t need = nn_step_scratch(nn, p, &p->s[s], nn->threads);
		if (need < 0) {
			tl_err_set(err, "step too large");
			goto fail;
		}
		if (need > scratch)
			scratch = need;
	}
	p->scratch_size = scratch;
	*out = p;
	return 0;
oom:
	tl_err_set(err, "out of memory");
fail:
	nn_plan_free(p);
	return -1;
}

static int
ensure(float **buf, int64_t *cap, int64_t need, struct tl_err *err)
{
	if (need < 16)
		need = 16;	/* never NULL, even for empty tensors */
	if (need <= *cap)
		return 0;
	free(*buf);
	*buf = aligned_alloc(64, ((need + 15) & ~(int64_t)15) * sizeof(float));
	*cap = *buf ? need : 0;
	if (*buf == NULL)
		return tl_err_set(err, "out of memory (%lld MB)",
		    (long long)(need * 4 >> 20));
	return 0;
}

int
nn_plan_run(struct tl_nn *nn, struct nn_pool *pool, struct nn_buf *b,
    const struct tl_nn_io *in, int nin, const struct tl_nn_io *out, int nout,
    struct tl_err *err)
{
	struct nn_plan *p = nn->plan;
	struct nn_exec x;

	if (ensure(&b->arena, &b->arena_cap, p->arena_size, err) ||
	    ensure(&b->scratch, &b->scratch_cap, p->scratch_size, err))
		return -1;
	/* the pool splits every GEMM; OpenBLAS must not split them again */
	if (openblas_get_num_threads() != 1)
		openblas_set_num_threads(1);
	x.nn = nn, x.pool = pool, x.p = p, x.arena = b->arena;
	x.scratch = b->scratch;
	x.ndirect = 0;
	for (int i = 0; i < nn->nt; i++) {
		struct nn_ptensor *q = &p->t[i];
		const struct tl_nn_io *io = NULL;
		if (nn->t[i].kind != K_INPUT || !q->needed)
			continue;
		for (int k = 0; k < nin; k++)
			if (strcmp(in[k].name, nn->t[i].name) == 0)
				io = &in[k];
		if (io == NULL)
			return tl_err_set(err, "input '%s' not given",
			    nn->t[i].name);
		if (q->rank == 4 && io->layout == TL_NN_NCHW &&
		    !layout_trivial(q->dims))
			nn_convert(pool, io->data, nn_data(&x, i), q->dims, 1);
		else if (x.ndirect < 16 && q->root == i) {
			x.direct_t[x.ndirect] = i;
			x.direct[x.ndirect++] = io->data;
		} else
			memcpy(nn_data(&x, i), io->data, q->n * sizeof(float));
	}
	for (int s = 0; s < p->ns; s++)
		if (nn_step_exec(&x, &p->s[s], err))
			return -1;
	for (int k = 0; k < nout; k++) {
		int t = p->outs[k];
		struct nn_ptensor *q = &p->t[t];
		if (q->known && q->dtype == DT_I64) {
			for (int64_t e = 0; e < q->n; e++)
				out[k].data[e] = (float)q->ci[e];
		} else if (q->rank == 4 && q->nhwc && !q->known &&
		    out[k].layout == TL_NN_NCHW && !layout_trivial(q->dims))
			nn_convert(pool, nn_data(&x, t), out[k].data, q->dims, 0);
		else if (q->rank == 4 && !q->nhwc && out[k].layout ==
		    TL_NN_NHWC && !layout_trivial(q->dims))
			nn_convert(pool, nn_data(&x, t), out[k].data, q->dims, 1);
		else
			memcpy(out[k].data, nn_data(&x, t), q->n * sizeof(float));
	}
	return 0;
}
