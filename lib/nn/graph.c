/*
 * graph.c - the graph builder and tl_nn_finish: tensors and nodes with ONNX
 * semantics, each node's attributes checked and parsed when it is added (so
 * every unsupported operator or attribute fails at load, naming the node),
 * then the load-time rewrites: a zero Pad folded into the Conv after it,
 * BatchNormalization folded into the Conv before it, Relu/Clip fused into
 * a Conv, all weights packed into one block.
 * Shapes, layouts and buffers are the plan's business (plan.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "nn_int.h"

static const struct opdef {
	const char *name;
	enum nn_op op;
	int min_in, max_in, min_out, max_out;
} opdefs[] = {
	{ "Conv", OP_CONV, 2, 3, 1, 1 },
	{ "BatchNormalization", OP_BATCHNORM, 5, 5, 1, 1 },
	{ "Relu", OP_RELU, 1, 1, 1, 1 },
	{ "Clip", OP_CLIP, 1, 3, 1, 1 },
	{ "Sigmoid", OP_SIGMOID, 1, 1, 1, 1 },
	{ "HardSigmoid", OP_HARDSIGMOID, 1, 1, 1, 1 },
	{ "HardSwish", OP_HARDSWISH, 1, 1, 1, 1 },
	{ "Add", OP_ADD, 2, 2, 1, 1 },
	{ "Sub", OP_SUB, 2, 2, 1, 1 },
	{ "Mul", OP_MUL, 2, 2, 1, 1 },
	{ "Div", OP_DIV, 2, 2, 1, 1 },
	{ "Concat", OP_CONCAT, 1, 64, 1, 1 },
	{ "MaxPool", OP_MAXPOOL, 1, 1, 1, 1 },
	{ "AveragePool", OP_AVGPOOL, 1, 1, 1, 1 },
	{ "GlobalAveragePool", OP_GLOBALAVGPOOL, 1, 1, 1, 1 },
	{ "GlobalMaxPool", OP_GLOBALMAXPOOL, 1, 1, 1, 1 },
	{ "Flatten", OP_FLATTEN, 1, 1, 1, 1 },
	{ "Reshape", OP_RESHAPE, 2, 2, 1, 1 },
	{ "Gemm", OP_GEMM, 2, 3, 1, 1 },
	{ "MatMul", OP_MATMUL, 2, 2, 1, 1 },
	{ "Softmax", OP_SOFTMAX, 1, 1, 1, 1 },
	{ "Pad", OP_PAD, 1, 3, 1, 1 },
	{ "Dropout", OP_IDENTITY, 1, 3, 1, 1 },
	{ "Identity", OP_IDENTITY, 1, 1, 1, 1 },
	{ "Transpose", OP_TRANSPOSE, 1, 1, 1, 1 },
	{ "Squeeze", OP_SQUEEZE, 1, 2, 1, 1 },
	{ "Unsqueeze", OP_UNSQUEEZE, 1, 2, 1, 1 },
	{ "Shape", OP_SHAPE, 1, 1, 1, 1 },
	{ "Gather", OP_GATHER, 2, 2, 1, 1 },
};

int
nn_find(const struct tl_nn *nn, const char *name)
{
	for (int i = nn->nt - 1; i >= 0; i--)
		if (strcmp(nn->t[i].name, name) == 0)
			return i;
	return -1;
}

void
tl_nn_opts_init(struct tl_nn_opts *o)
{
	memset(o, 0, sizeof *o);
}

struct tl_nn *
tl_nn_new(struct tl_err *err)
{
	struct tl_nn *nn = calloc(1, sizeof *nn);

	if (nn == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	nn->opset = 13;
	return nn;
}

int
tl_nn_set_opset(struct tl_nn *nn, int opset, struct tl_err *err)
{
	if (opset < 1 || opset > TL_NN_MAX_OPSET)
		return tl_err_set(err, "unsupported opset %d (1..%d)", opset,
		    TL_NN_MAX_OPSET);
	nn->opset = opset;
	return 0;
}

static int
check_building(struct tl_nn *nn, struct tl_err *err)
{
	if (nn->finished)
		return tl_err_set(err, "graph already finished");
	return 0;
}

static int
check_shape(const char *name, int rank, const int64_t *dims, int batch_ok,
    struct tl_err *err)
{
	int64_t n = 1;

	if (rank < 0 || rank > TL_NN_MAXRANK)
		return tl_err_set(err, "tensor '%s': rank %d not in 0..%d",
		    name, rank, TL_NN_MAXRANK);
	for (int i = 0; i < rank; i++) {
		if (dims[i] <= 0 && batch_ok && i == 0)
			continue;
		if (dims[i] < 0 || dims[i] > ((int64_t)1 << 31))
			return tl_err_set(err, "tensor '%s': bad dimension %lld",
			    name, (long long)dims[i]);
		n *= dims[i];
		if (n > ((int64_t)1 << 31))
			return tl_err_set(err, "tensor '%s': too large", name);
	}
	return 0;
}

/* A new tensor slot (name copied); -1 on error. */
static int
new_tensor(struct tl_nn *nn, const char *name, struct tl_err *err)
{
	struct nn_tensor *t;

	if (nn->nt == nn->capt) {
		int cap = nn->capt ? 2 * nn->capt : 64;
		t = realloc(nn->t, cap * sizeof *t);
		if (t == NULL)
			return tl_err_set(err, "out of memory");
		nn->t = t;
		nn->capt = cap;
	}
	t = &nn->t[nn->nt];
	memset(t, 0, sizeof *t);
	t->producer = -1;
	if ((t->name = strdup(name)) == NULL)
		return tl_err_set(err, "out of memory");
	return nn->nt++;
}

int
tl_nn_add_input(struct tl_nn *nn, const char *name, int rank,
    const int64_t *dims, struct tl_err *err)
{
	int i;

	if (check_building(nn, err) || check_shape(name, rank, dims, 1, err))
		return -1;
	if (name[0] == '\0' || nn_find(nn, name) >= 0)
		return tl_err_set(err, "input '%s': empty or duplicate name", name);
	if ((i = new_tensor(nn, name, err)) < 0)
		return -1;
	nn->t[i].kind = K_INPUT;
	nn->t[i].rank = rank;
	memcpy(nn->t[i].dims, dims, rank * sizeof *dims);
	return 0;
}

static int
add_const(struct tl_nn *nn, const char *name, int rank, const int64_t *dims,
    const void *data, enum nn_dtype dt, struct tl_err *err)
{
	size_t esz = dt == DT_F32 ? sizeof(float) : sizeof(int64_t);
	struct nn_tensor *t;
	int64_t n;
	void *copy;
	int i;

	if (check_building(nn, err) || check_shape(name, rank, dims, 0, err))
		return -1;
	if (name[0] == '\0')
		return tl_err_set(err, "weights with an empty name");
	n = nn_numel(rank, dims);
	if ((copy = malloc(n ? n * esz : 1)) == NULL)
		return tl_err_set(err, "out of memory");
	if (n > 0)
		memcpy(copy, data, n * esz);
	i = nn_find(nn, name);
	if (i >= 0 && nn->t[i].kind != K_INPUT) {
		free(copy);
		return tl_err_set(err, "weights '%s': name already used", name);
	}
	if (i < 0 && (i = new_tensor(nn, name, err)) < 0) {
		free(copy);
		return -1;
	}
	t = &nn->t[i];
	t->kind = K_CONST;
	t->dtype = dt;
	t->rank = rank;
	if (rank > 0) /* a scalar may come with dims NULL */
		memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
	t->n = n;
	if (dt == DT_F32)
		t->f = copy;
	else
		t->i = copy;
	return 0;
}

int
tl_nn_add_weights(struct tl_nn *nn, const char *name, int rank,
    const int64_t *dims, const float *data, struct tl_err *err)
{
	return add_const(nn, name, rank, dims, data, DT_F32, err);
}

int
tl_nn_add_weights_i64(struct tl_nn *nn, const char *name, int rank,
    const int64_t *dims, const int64_t *data, struct tl_err *err)
{
	return add_const(nn, name, rank, dims, data, DT_I64, err);
}

int
tl_nn_add_output(struct tl_nn *nn, const char *name, struct tl_err *err)
{
	int i = nn_find(nn, name), *o;

	if (check_building(nn, err))
		return -1;
	if (i < 0)
		return tl_err_set(err, "output '%s': no such tensor", name);
	for (int k = 0; k < nn->noutputs; k++)
		if (nn->outputs[k] == i)
			return 0;
	if ((o = realloc(nn->outputs, (nn->noutputs + 1) * sizeof *o)) == NULL)
		return tl_err_set(err, "out of memory");
	nn->outputs = o;
	o[nn->noutputs++] = i;
	nn->t[i].output = 1;
	return 0;
}

/* Attribute parsing: one function, every op, so "unsupported" is said in
 * one place.  ne() prints the node's identity in front of every message. */
#define NE(fmt, ...) tl_err_set(err, "node '%s' (%s): " fmt, nd->name, \
	nd->op_type, __VA_ARGS__)

static int
attr_ints(const struct nn_node *nd, const struct tl_nn_attr *a, int64_t *dst,
    int min, int max, struct tl_err *err)
{
	if (a->type != TL_NN_ATTR_INTS)
		return NE("attribute %s: want a list of ints", a->name);
	if (a->n < min || a->n > max)
		return NE("unsupported attribute %s with %d values", a->name, a->n);
	memcpy(dst, a->ints, a->n * sizeof *dst);
	return a->n;
}

static int
attr_int(const struct nn_node *nd, const struct tl_nn_attr *a, int64_t *dst,
    struct tl_err *err)
{
	if (a->type != TL_NN_ATTR_INT)
		return NE("attribute %s: want an int", a->name);
	*dst = a->i;
	return 0;
}

static int
attr_float(const struct nn_node *nd, const struct tl_nn_attr *a, float *dst,
    struct tl_err *err)
{
	if (a->type != TL_NN_ATTR_FLOAT)
		return NE("attribute %s: want a float", a->name);
	*dst = a->f;
	return 0;
}

static int
attr_bool(const struct nn_node *nd, const struct tl_nn_attr *a, int *dst,
    struct tl_err *err)
{
	int64_t v = 0;

	if (attr_int(nd, a, &v, err))
		return -1;
	if (v != 0 && v != 1)
		return NE("unsupported attribute %s=%lld", a->name, (long long)v);
	*dst = (int)v;
	return 0;
}

static int
is(const struct tl_nn_attr *a, const char *name)
{
	return strcmp(a->name, name) == 0;
}

/* Spatial attributes shared by Conv, MaxPool and AveragePool (2-D only). */
static int
spatial_attr(struct nn_node *nd, const struct tl_nn_attr *a, int *done,
    struct tl_err *err)
{
	struct nn_attrs *A = &nd->a;
	int64_t v[4] = { 0 };
	int k;

	*done = 1;
	if (is(a, "kernel_shape")) {
		if ((k = attr_ints(nd, a, v, 1, 4, err)) < 0)
			return -1;
		if (k != 2)
			return NE("unsupported kernel_shape with %d dims (2-D only)", k);
		if (v[0] < 1 || v[1] < 1 || v[0] > 1024 || v[1] > 1024)
			return NE("bad kernel_shape %lldx%lld", (long long)v[0],
			    (long long)v[1]);
		A->kernel[0] = v[0], A->kernel[1] = v[1], A->has_kernel = 1;
	} else if (is(a, "strides") || is(a, "dilations")) {
		int64_t *d = is(a, "strides") ? A->stride : A->dil;
		if ((k = attr_ints(nd, a, v, 1, 4, err)) < 0)
			return -1;
		if (k != 2)
			return NE("unsupported %s with %d values (2-D only)", a->name, k);
		if (v[0] < 1 || v[1] < 1 || v[0] > 1024 || v[1] > 1024)
			return NE("bad %s %lld,%lld", a->name, (long long)v[0],
			    (long long)v[1]);
		d[0] = v[0], d[1] = v[1];
	} else if (is(a, "pads")) {
		if ((k = attr_ints(nd, a, v, 1, 4, err)) < 0)
			return -1;
		if (k != 4)
			return NE("unsupported pads with %d values (2-D only)", k);
		for (int i = 0; i < 4; i++) {
			if (v[i] < 0 || v[i] > 1024)
				return NE("bad pads value %lld", (long long)v[i]);
			A->pads[i] = v[i];
		}
		/* ONNX order is begin_h, begin_w, end_h, end_w; so is ours. */
	} else if (is(a, "auto_pad")) {
		if (a->type != TL_NN_ATTR_STRING)
			return NE("attribute %s: want a string", a->name);
		if (strcmp(a->s, "NOTSET") == 0)
			A->auto_pad = AP_NOTSET;
		else if (strcmp(a->s, "SAME_UPPER") == 0)
			A->auto_pad = AP_SAME_UPPER;
		else if (strcmp(a->s, "SAME_LOWER") == 0)
			A->auto_pad = AP_SAME_LOWER;
		else if (strcmp(a->s, "VALID") == 0)
			A->auto_pad = AP_VALID;
		else
			return NE("unsupported attribute auto_pad=%.64s", a->s);
	} else
		*done = 0;
	return 0;
}

static int
parse_attr(struct nn_node *nd, const struct tl_nn_attr *a, struct tl_err *err)
{
	struct nn_attrs *A = &nd->a;
	int done, k;
	int64_t v = 0;

	switch (nd->op) {
	case OP_CONV:
	case OP_MAXPOOL:
	case OP_AVGPOOL:
		if (spatial_attr(nd, a, &done, err))
			return -1;
		if (done) {
			if (nd->op == OP_AVGPOOL && is(a, "dilations") &&
			    (A->dil[0] != 1 || A->dil[1] != 1))
				return NE("unsupported attribute dilations=%lld,%lld",
				    (long long)A->dil[0], (long long)A->dil[1]);
			return 0;
		}
		if (nd->op == OP_CONV && is(a, "group")) {
			if (attr_int(nd, a, &A->group, err))
				return -1;
			if (A->group < 1 || A->group > 1 << 20)
				return NE("bad group %lld", (long long)A->group);
			return 0;
		}
		if (nd->op != OP_CONV && is(a, "ceil_mode"))
			return attr_bool(nd, a, &A->ceil_mode, err);
		if (nd->op == OP_AVGPOOL && is(a, "count_include_pad"))
			return attr_bool(nd, a, &A->count_include_pad, err);
		if (nd->op == OP_MAXPOOL && is(a, "storage_order")) {
			if (attr_int(nd, a, &v, err))
				return -1;
			if (v != 0)
				return NE("unsupported attribute storage_order=%lld",
				    (long long)v);
			return 0;
		}
		break;
	case OP_BATCHNORM:
		if (is(a, "epsilon"))
			return attr_float(nd, a, &A->eps, err);
		if (is(a, "momentum"))
			return 0;	/* training only */
		if (is(a, "spatial") || is(a, "is_test")) {
			if (attr_int(nd, a, &v, err))
				return -1;
			if (v != 1)
				return NE("unsupported attribute %s=%lld", a->name,
				    (long long)v);
			return 0;
		}
		if (is(a, "training_mode")) {
			if (attr_int(nd, a, &v, err))
				return -1;
			if (v != 0)
				return NE("unsupported attribute training_mode=%lld",
				    (long long)v);
			return 0;
		}
		break;
	case OP_CLIP:
		if (A->opset < 11 && is(a, "min"))
			return attr_float(nd, a, &A->minv, err);
		if (A->opset < 11 && is(a, "max"))
			return attr_float(nd, a, &A->maxv, err);
		break;
	case OP_HARDSIGMOID:
		if (is(a, "alpha"))
			return attr_float(nd, a, &A->alpha, err);
		if (is(a, "beta"))
			return attr_float(nd, a, &A->beta, err);
		break;
	case OP_GEMM:
		if (is(a, "alpha"))
			return attr_float(nd, a, &A->alpha, err);
		if (is(a, "beta"))
			return attr_float(nd, a, &A->beta, err);
		if (is(a, "transA"))
			return attr_bool(nd, a, &A->trans_a, err);
		if (is(a, "transB"))
			return attr_bool(nd, a, &A->trans_b, err);
		if (is(a, "broadcast"))
			return 0;	/* opset < 7: unidirectional broadcast */
		break;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
		if (A->opset < 7 && (is(a, "broadcast") || is(a, "axis")))
			return NE("unsupported attribute %s (opset < 7 broadcast)",
			    a->name);
		break;
	case OP_CONCAT: case OP_FLATTEN: case OP_SOFTMAX: case OP_GATHER:
		if (is(a, "axis"))
			return attr_int(nd, a, &A->axis, err);
		break;
	case OP_TRANSPOSE:
		if (is(a, "perm")) {
			if ((k = attr_ints(nd, a, A->perm, 0, TL_NN_MAXRANK, err)) < 0)
				return -1;
			A->nperm = k;
			return 0;
		}
		break;
	case OP_SQUEEZE: case OP_UNSQUEEZE:
		if (A->opset < 13 && is(a, "axes")) {
			if ((k = attr_ints(nd, a, A->axes, 0, TL_NN_MAXRANK, err)) < 0)
				return -1;
			A->naxes = k;
			return 0;
		}
		break;
	case OP_PAD:
		if (is(a, "mode")) {
			if (a->type != TL_NN_ATTR_STRING)
				return NE("attribute %s: want a string", a->name);
			if (strcmp(a->s, "constant") == 0)
				A->pad_mode = PM_CONSTANT;
			else if (strcmp(a->s, "reflect") == 0)
				A->pad_mode = PM_REFLECT;
			else if (strcmp(a->s, "edge") == 0)
				A->pad_mode = PM_EDGE;
			else
				return NE("unsupported attribute mode=%.64s", a->s);
			return 0;
		}
		if (A->opset < 11 && (is(a, "pads") || is(a, "paddings"))) {
			if ((k = attr_ints(nd, a, A->padv, 0, 2 * TL_NN_MAXRANK,
			    err)) < 0)
				return -1;
			A->npadv = k;
			return 0;
		}
		if (A->opset < 11 && is(a, "value"))
			return attr_float(nd, a, &A->pad_value, err);
		break;
	case OP_IDENTITY:
		if (strcmp(nd->op_type, "Dropout") == 0) {
			if (is(a, "ratio") || is(a, "is_test") || is(a, "seed"))
				return 0;	/* inference: identity */
		}
		break;
	case OP_RESHAPE:
		if (is(a, "allowzero"))
			return attr_bool(nd, a, &A->allowzero, err);
		break;
	case OP_SHAPE:
		if (is(a, "start"))
			return attr_int(nd, a, &A->start, err);
		if (is(a, "end")) {
			A->has_end = 1;
			return attr_int(nd, a, &A->end, err);
		}
		break;
	default:
		break;
	}
	return NE("unsupported attribute %s", a->name);
}

static int
add_node(struct tl_nn *nn, const char *name, const char *op_type,
    const char *const *inputs, int nin, const char *const *outputs, int nout,
    const struct tl_nn_attr *attrs, int nattr, struct tl_err *err)
{
	const struct opdef *def = NULL;
	struct nn_node *nd;
	int i;

	if (check_building(nn, err))
		return -1;
	for (size_t k = 0; k < sizeof opdefs / sizeof opdefs[0]; k++)
		if (strcmp(opdefs[k].name, op_type) == 0)
			def = &opdefs[k];
	if (def == NULL)
		return tl_err_set(err, "node '%s' (%s): unsupported operator",
		    name, op_type);
	if (nn->nnode == nn->capnode) {
		int cap = nn->capnode ? 2 * nn->capnode : 64;
		nd = realloc(nn->node, cap * sizeof *nd);
		if (nd == NULL)
			return tl_err_set(err, "out of memory");
		nn->node = nd;
		nn->capnode = cap;
	}
	nd = &nn->node[nn->nnode];
	memset(nd, 0, sizeof *nd);
	nd->name = strdup(name);
	nd->op_type = strdup(op_type);
	nd->in = malloc((nin + 1) * sizeof *nd->in);
	nd->out = malloc((nout + 1) * sizeof *nd->out);
	nn->nnode++;		/* owned by nn from here on: freed with it */
	if (!nd->name || !nd->op_type || !nd->in || !nd->out)
		return tl_err_set(err, "out of memory");
	nd->op = def->op;
	nd->a = (struct nn_attrs){ .stride = { 1, 1 }, .dil = { 1, 1 },
	    .group = 1, .alpha = 1, .beta = 1, .eps = 1e-5f, .minv = -INFINITY,
	    .maxv = INFINITY, .opset = nn->opset };
	if (def->op == OP_HARDSIGMOID)
		nd->a.alpha = 0.2f, nd->a.beta = 0.5f;
	if (def->op == OP_SOFTMAX)
		nd->a.axis = nn->opset < 13 ? 1 : -1;
	if (def->op == OP_FLATTEN)
		nd->a.axis = 1;
	/* Trailing omitted inputs and outputs do not count. */
	while (nin > 0 && inputs[nin - 1][0] == '\0')
		nin--;
	while (nout > 0 && outputs[nout - 1][0] == '\0')
		nout--;
	if (nin < def->min_in || nin > def->max_in)
		return NE("unsupported number of inputs %d", nin);
	if (nout < def->min_out || nout > def->max_out)
		return NE("unsupported number of outputs %d", nout);
	if (def->op == OP_CLIP && nn->opset < 11 && nin > 1)
		return NE("%s", "min/max inputs need opset >= 11");
	for (i = 0; i < nin; i++) {
		if (inputs[i][0] == '\0') {
			nd->in[i] = -1;
			continue;
		}
		if ((nd->in[i] = nn_find(nn, inputs[i])) < 0)
			return NE("input '%s' is not defined before the node",
			    inputs[i]);
	}
	nd->nin = nin;
	for (i = 0; i < nattr; i++)
		if (parse_attr(nd, &attrs[i], err))
			return -1;
	if (def->op == OP_PAD && nn->opset < 11 && nd->a.npadv == 0)
		return NE("%s", "missing attribute pads");
	for (i = 0; i < nout; i++) {
		int t;
		if (outputs[i][0] == '\0')
			return NE("%s", "omitted output before a used one");
		if (nn_find(nn, outputs[i]) >= 0)
			return NE("output '%s' already defined", outputs[i]);
		if ((t = new_tensor(nn, outputs[i], err)) < 0)
			return -1;
		nn->t[t].kind = K_ACT;
		nn->t[t].producer = nn->nnode - 1;
		nd->out[i] = t;
	}
	nd->nout = nout;
	return 0;
}

/* A node that fails to add leaves the graph as it was. */
int
tl_nn_add_node(struct tl_nn *nn, const char *name, const char *op_type,
    const char *const *inputs, int nin, const char *const *outputs, int nout,
    const struct tl_nn_attr *attrs, int nattr, struct tl_err *err)
{
	int nnode = nn->nnode, nt = nn->nt;

	if (add_node(nn, name, op_type, inputs, nin, outputs, nout, attrs, nattr,
	    err) == 0)
		return 0;
	while (nn->nnode > nnode) {
		struct nn_node *nd = &nn->node[--nn->nnode];
		free(nd->name);
		free(nd->op_type);
		free(nd->in);
		free(nd->out);
	}
	while (nn->nt > nt)
		free(nn->t[--nn->nt].name);
	return -1;
}

/* Load-time rewrites. */

static int
consumers(const struct tl_nn *nn, int t, int *only)
{
	int c = 0;

	for (int k = 0; k < nn->nnode; k++) {
		if (nn->node[k].dead)
			continue;
		for (int j = 0; j < nn->node[k].nin; j++)
			if (nn->node[k].in[j] == t) {
				c++;
				*only = k;
			}
	}
	return c;
}

static int
is_const(const struct tl_nn *nn, int t, enum nn_dtype dt)
{
	return t >= 0 && nn->t[t].kind == K_CONST && nn->t[t].dtype == dt;
}

/* Rewires the graph so that consumers of `from` read `to`; `from` remembers
 * what replaced it for tl_nn_set_output's message. */
static int
replace_output(struct tl_nn *nn, struct nn_node *conv, struct nn_node *by,
    struct tl_err *err)
{
	int old = conv->out[0], nw = by->out[0];

	by->dead = 1;
	conv->out[0] = nw;
	nn->t[nw].producer = conv - nn->node;
	free(nn->t[old].fused_into);
	if ((nn->t[old].fused_into = strdup(nn->t[nw].name)) == NULL)
		return tl_err_set(err, "out of memory");
	nn->t[old].producer = -2;	/* no longer computed */
	for (int i = 0; i < nn->nt; i++)
		if (nn->t[i].fused_into && strcmp(nn->t[i].fused_into,
		    nn->t[old].name) == 0) {
			free(nn->t[i].fused_into);
			if ((nn->t[i].fused_into = strdup(nn->t[nw].name)) == NULL)
				return tl_err_set(err, "out of memory");
		}
	return 0;
}

/* Conv -> BatchNormalization with constant parameters and a Conv output
 * read by nothing else: scale the Conv's weights, make its bias. */
static int
fold_bn(struct tl_nn *nn, struct nn_node *conv, struct nn_node *bn,
    struct tl_err *err)
{
	struct nn_tensor *w = &nn->t[conv->in[1]];
	const float *g, *b, *m, *v;
	int64_t cout = w->dims[0], per;
	float *nw, *nb;
	char *bname;
	int bi;

	for (int k = 1; k < 5; k++)
		if (!is_const(nn, bn->in[k], DT_F32) ||
		    nn->t[bn->in[k]].n != cout)
			return 0;
	if (conv->nin > 2 && !is_const(nn, conv->in[2], DT_F32))
		return 0;
	g = nn->t[bn->in[1]].f, b = nn->t[bn->in[2]].f;
	m = nn->t[bn->in[3]].f, v = nn->t[bn->in[4]].f;
	per = w->n / cout;
	nw = malloc(w->n * sizeof *nw);
	nb = malloc(cout * sizeof *nb);
	bname = malloc(strlen(nn->t[conv->out[0]].name) + 16);
	if (!nw || !nb || !bname) {
		free(nw), free(nb), free(bname);
		return tl_err_set(err, "out of memory");
	}
	for (int64_t o = 0; o < cout; o++) {
		float s = g[o] / sqrtf(v[o] + bn->a.eps);
		float b0 = conv->nin > 2 ? nn->t[conv->in[2]].f[o] : 0;
		for (int64_t j = 0; j < per; j++)
			nw[o * per + j] = w->f[o * per + j] * s;
		nb[o] = (b0 - m[o]) * s + b[o];
	}
	/* New tensors, so shared weights elsewhere stay untouched. */
	sprintf(bname, "%s/bn_w", nn->t[conv->out[0]].name);
	if (add_const(nn, bname, w->rank, w->dims, nw, DT_F32, err))
		goto fail;
	conv->in[1] = nn->nt - 1;
	sprintf(bname, "%s/bn_b", nn->t[conv->out[0]].name);
	if (add_const(nn, bname, 1, &cout, nb, DT_F32, err))
		goto fail;
	bi = nn->nt - 1;
	conv->in[2] = bi;
	conv->nin = 3;
	free(nw), free(nb), free(bname);
	return replace_output(nn, conv, bn, err);
fail:
	free(nw), free(nb), free(bname);
	return -1;
}

/* The H,W pads (t, l, b, r) of a zero Pad known at load, padding nothing
 * else: 1, else 0. */
static int
zero_pad_hw(const struct tl_nn *nn, const struct nn_node *p, int64_t hw[4])
{
	const int64_t *v = p->a.padv;
	int64_t nv = p->a.npadv;
	float value = p->a.pad_value;

	if (p->a.pad_mode != PM_CONSTANT)
		return 0;
	if (p->a.opset >= 11) {
		if (p->nin < 2 || !is_const(nn, p->in[1], DT_I64))
			return 0;
		v = nn->t[p->in[1]].i, nv = nn->t[p->in[1]].n;
		value = 0;
		if (p->nin > 2 && p->in[2] >= 0) {
			if (!is_const(nn, p->in[2], DT_F32) ||
			    nn->t[p->in[2]].n != 1)
				return 0;
			value = nn->t[p->in[2]].f[0];
		}
	}
	/* [N,C,H,W] begins, then ends */
	if (nv != 8 || value != 0 || v[0] || v[1] || v[4] || v[5])
		return 0;
	hw[0] = v[2], hw[1] = v[3], hw[2] = v[6], hw[3] = v[7];
	for (int i = 0; i < 4; i++)
		if (hw[i] < 0)
			return 0;
	return 1;
}

/* A zero Pad of H and W read only by a Conv with explicit pads (or
 * VALID) becomes more of the Conv's pads: the Conv skips the taps on the
 * zeros instead of multiplying them, and the padded copy is never made.
 * Each side's total stays below the kernel's extent (a window always
 * touches the input); a wider Pad stays.  The Pad's output is no longer
 * computed: it names the Conv's output. */
static int
fold_pads(struct tl_nn *nn, struct tl_err *err)
{
	for (int k = 0; k < nn->nnode; k++) {
		struct nn_node *p = &nn->node[k], *c;
		int64_t hw[4], sum[4], ek;
		int next, t, ok = 1;

		if (p->dead || p->op != OP_PAD || !zero_pad_hw(nn, p, hw))
			continue;
		t = p->out[0];
		if (nn->t[t].output || consumers(nn, t, &next) != 1)
			continue;
		c = &nn->node[next];
		if (c->op != OP_CONV || c->in[0] != t ||
		    !is_const(nn, c->in[1], DT_F32) || nn->t[c->in[1]].rank != 4 ||
		    (c->a.auto_pad != AP_NOTSET && c->a.auto_pad != AP_VALID))
			continue;
		for (int i = 0; i < 4; i++) {
			sum[i] = hw[i] + (c->a.auto_pad == AP_VALID ? 0 :
			    c->a.pads[i]);
			ek = (nn->t[c->in[1]].dims[2 + i % 2] - 1) *
			    c->a.dil[i % 2] + 1;
			ok &= sum[i] < ek && sum[i] <= 1024;
		}
		if (!ok)
			continue;
		memcpy(c->a.pads, sum, sizeof sum);
		c->a.auto_pad = AP_NOTSET;
		c->in[0] = p->in[0];
		p->dead = 1;
		nn->t[t].producer = -2;		/* no longer computed */
		free(nn->t[t].fused_into);
		if ((nn->t[t].fused_into = strdup(nn->t[c->out[0]].name)) == NULL)
			return tl_err_set(err, "out of memory");
	}
	return 0;
}

static int
fuse(struct tl_nn *nn, struct tl_err *err)
{
	for (int k = 0; k < nn->nnode; k++) {
		struct nn_node *c = &nn->node[k], *n;
		int next, t;

		if (c->dead || c->op != OP_CONV || !is_const(nn, c->in[1], DT_F32))
			continue;
		for (;;) {
			t = c->out[0];
			if (nn->t[t].output || consumers(nn, t, &next) != 1)
				break;
			n = &nn->node[next];
			if (n->op == OP_BATCHNORM && c->act == ACT_NONE &&
			    n->in[0] == t && nn->t[c->in[1]].rank == 4) {
				int before = c->out[0];
				if (fold_bn(nn, c, n, err))
					return -1;
				c = &nn->node[k];	/* add_const may move nothing */
				if (c->out[0] == before)
					break;
			} else if (n->op == OP_RELU && c->act == ACT_NONE) {
				c->act = ACT_RELU;
				c->act_min = 0, c->act_max = INFINITY;
				if (replace_output(nn, c, n, err))
					return -1;
			} else if (n->op == OP_CLIP && c->act != ACT_CLIP &&
			    (n->nin < 2 || n->in[1] < 0 ||
			    is_const(nn, n->in[1], DT_F32)) &&
			    (n->nin < 3 || n->in[2] < 0 ||
			    is_const(nn, n->in[2], DT_F32))) {
				float lo = n->a.minv, hi = n->a.maxv;
				if (n->nin > 1 && n->in[1] >= 0) {
					if (nn->t[n->in[1]].n != 1)
						break;
					lo = nn->t[n->in[1]].f[0];
				}
				if (n->nin > 2 && n->in[2] >= 0) {
					if (nn->t[n->in[2]].n != 1)
						break;
					hi = nn->t[n->in[2]].f[0];
				}
				if (c->act == ACT_RELU)
					lo = lo > 0 ? lo : 0;
				c->act = ACT_CLIP;
				c->act_min = lo, c->act_max = hi;
				if (replace_output(nn, c, n, err))
					return -1;
			} else
				break;
		}
	}
	return 0;
}

/* Moves every constant into one F32 block and one I64 block. */
static int
pack_weights(struct tl_nn *nn, struct tl_err *err)
{
	int64_t nf = 0, ni = 0, of = 0, oi = 0;

	for (int i = 0; i < nn->nt; i++) {
		struct nn_tensor *t = &nn->t[i];
		if (t->kind != K_CONST)
			continue;
		/* 16-float alignment for the kernels' vector loads */
		if (t->dtype == DT_F32)
			nf += (t->n + 15) & ~(int64_t)15;
		else
			ni += t->n;
	}
	nn->weights = aligned_alloc(64, (nf + 16) * sizeof(float));
	nn->weights_i64 = malloc((ni + 1) * sizeof(int64_t));
	if (!nn->weights || !nn->weights_i64)
		return tl_err_set(err, "out of memory");
	for (int i = 0; i < nn->nt; i++) {
		struct nn_tensor *t = &nn->t[i];
		if (t->kind != K_CONST)
			continue;
		if (t->dtype == DT_F32) {
			memcpy(nn->weights + of, t->f, t->n * sizeof(float));
			free(t->f);
			t->f = nn->weights + of;
			of += (t->n + 15) & ~(int64_t)15;
		} else {
			memcpy(nn->weights_i64 + oi, t->i, t->n * sizeof(int64_t));
			free(t->i);
			t->i = nn->weights_i64 + oi;
			oi += t->n;
		}
	}
	return 0;
}

static int
default_threads(void)
{
	static const char *const var[] = { "TL_THREADS", "OPENBLAS_NUM_THREADS" };
	char *end;
	long v;

	for (int i = 0; i < 2; i++) {
		const char *s = getenv(var[i]);
		if (s == NULL || *s == '\0')
			continue;
		v = strtol(s, &end, 10);
		if (*end == '\0' && v >= 1 && v <= 256)
			return (int)v;
	}
	v = sysconf(_SC_NPROCESSORS_ONLN);
	return v >= 1 && v <= 256 ? (int)v : 1;
}

int
tl_nn_finish(struct tl_nn *nn, const struct tl_nn_opts *opts,
    struct tl_err *err)
{
	int first_out = -1;

	if (check_building(nn, err))
		return -1;
	if (nn->noutputs == 0)
		return tl_err_set(err, "graph has no output");
	first_out = nn->outputs[0];
	for (int i = 0; i < nn->nt; i++)
		if (nn->t[i].kind == K_INPUT && nn->t[i].dtype != DT_F32)
			return tl_err_set(err, "input '%s': only float32 inputs "
			    "(bind integer ones to constants)", nn->t[i].name);
	nn->threads = opts && opts->threads > 0 ? opts->threads :
	    default_threads();
	if (nn->threads > 256)
		nn->threads = 256;
	if (fold_pads(nn, err) || fuse(nn, err) || pack_weights(nn, err))
		return -1;
	nn->finished = 1;
	nn->gemm_isa = nn_gemm_isa_best();
	if ((nn->wpack = calloc(nn->nnode + 1, sizeof *nn->wpack)) == NULL)
		return tl_err_set(err, "out of memory");
	if ((nn->buf = calloc(nn->threads, sizeof *nn->buf)) == NULL)
		return tl_err_set(err, "out of memory");
	if ((nn->pool = nn_pool_new(nn->threads)) == NULL ||
	    (nn->serial = nn_pool_new(1)) == NULL)
		return tl_err_set(err, "cannot start %d threads", nn->threads);
	nn->noutputs = 1;
	nn->outputs[0] = first_out;
	return nn_plan_make(nn, 0, nn->outputs, nn->noutputs, &nn->plan, err);
}

void
tl_nn_free(struct tl_nn *nn)
{
	if (nn == NULL)
		return;
	for (int i = 0; i < nn->nt; i++) {
		free(nn->t[i].name);
		free(nn->t[i].fused_into);
		if (!nn->finished) {
			free(nn->t[i].f);
			free(nn->t[i].i);
		}
	}
	for (int k = 0; k < nn->nnode; k++) {
		if (nn->wpack)
			free(nn->wpack[k]);
		free(nn->node[k].name);
		free(nn->node[k].op_type);
		free(nn->node[k].in);
		free(nn->node[k].out);
	}
	free(nn->t);
	free(nn->node);
	free(nn->outputs);
	free(nn->weights);
	free(nn->weights_i64);
	free(nn->wpack);
	nn_plan_free(nn->plan);
	nn_pool_free(nn->pool);
	nn_pool_free(nn->serial);
	for (int i = 0; nn->buf && i < nn->threads; i++) {
		free(nn->buf[i].arena);
		free(nn->buf[i].scratch);
	}
	free(nn->buf);
	free(nn);
}

/* Queries. */

int
tl_nn_tensor_shape(const struct tl_nn *nn, const char *name,
    int64_t dims[TL_NN_MAXRANK], struct tl_err *err)
{
	int i = nn->finished ? nn_find(nn, name) : -1;
	const struct nn_ptensor *p;

	if (i < 0)
		return tl_err_set(err, "no tensor '%s' in a finished graph", name);
	p = &nn->plan->t[i];
	if (nn->t[i].producer == -2)
		return tl_err_set(err, "tensor '%s' was fused into '%s' at load",
		    name, nn->t[i].fused_into);
	if (!p->needed && nn->t[i].kind == K_ACT)
		return tl_err_set(err, "tensor '%s' is not computed for the "
		    "current output", name);
	memcpy(dims, p->dims, p->rank * sizeof *dims);
	if (p->rank > 0 && !p->known && nn->slices > 1)
		dims[0] *= nn->slices;	/* the run was sliced */
	return p->rank;
}

int
tl_nn_input_shape(const struct tl_nn *nn, int64_t dims[TL_NN_MAXRANK],
    struct tl_err *err)
{
	for (int i = 0; nn->finished && i < nn->nt; i++)
		if (nn->t[i].kind == K_INPUT)
			return tl_nn_tensor_shape(nn, nn->t[i].name, dims, err);
	return tl_err_set(err, "graph has no input");
}

int
tl_nn_output_shape(const struct tl_nn *nn, int64_t dims[TL_NN_MAXRANK],
    struct tl_err *err)
{
	if (!nn->finished)
		return tl_err_set(err, "graph not finished");
	return tl_nn_tensor_shape(nn, nn->t[nn->outputs[0]].name, dims, err);
}

const char *
tl_nn_list_tensors(const struct tl_nn *nn, int index, const char **op)
{
	for (int k = 0; k < nn->nnode; k++) {
		const struct nn_node *nd = &nn->node[k];
		if (nd->dead)
			continue;
		for (int j = 0; j < nd->nout; j++) {
			if (index-- > 0)
				continue;
			if (op)
				*op = nd->op_type;
			return nn->t[nd->out[j]].name;
		}
	}
	return NULL;
}

int
tl_nn_set_output(struct tl_nn *nn, const char *name, struct tl_err *err)
{
	struct nn_plan *p;
	int i = nn_find(nn, name);

	if (!nn->finished)
		return tl_err_set(err, "graph not finished");
	if (i < 0)
		return tl_err_set(err, "no tensor '%s'", name);
	if (nn->t[i].producer == -2)
		return tl_err_set(err, "tensor '%s' was fused at load; its "
		    "activated output is '%s'", name, nn->t[i].fused_into);
	if (nn_plan_make(nn, nn->plan->n, &i, 1, &p, err))
		return -1;
	nn->sep_nouts = 0;
	nn_plan_free(nn->plan);
	nn->plan = p;
	nn->outputs[0] = i;
	return 0;
}

int
tl_nn_run(struct tl_nn *nn, const float *in, int n, float *out,
    struct tl_err *err)
{
	struct tl_nn_io i = { NULL, (float *)in, TL_NN_NHWC };
	struct tl_nn_io o = { NULL, out, TL_NN_NHWC };

	if (!nn->finished)
		return tl_err_set(err, "graph not finished");
	if (n < 1)
		return tl_err_set(err, "batch of %d images", n);
	for (int k = 0; k < nn->nt && i.name == NULL; k++)
		if (nn->t[k].kind == K_INPUT)
			i.name = nn->t[k].name;
	if (i.name == NULL)
		return tl_err_set(err, "graph has no input");
	o.name = nn->t[nn->outputs[0]].name;
	return tl_nn_run_io(nn, n, &i, 1, &o, 1, err);
}

/* Makes nn->plan the plan for batch n and these outputs. */
static int
use_plan(struct tl_nn *nn, int n, const int *outs, int nout,
    struct tl_err *err)
{
	struct nn_plan *p;
	int same = nn->plan->n == n && nn->plan->nouts == nout;

	for (int k = 0; same && k < nout; k++)
		same = nn->plan->outs[k] == outs[k];
	if (same)
		return 0;
	if (nn_plan_make(nn, n, outs, nout, &p, err))
		return -1;
	nn_plan_free(nn->plan);
	nn->plan = p;
	return 0;
}

/*
 * Can a batch run as independent slices of images?  Yes when every tensor
 * computed from the inputs has the batch as its dim 0 (it scales from n=1
 * to n=3 and nothing else changes) or does not depend on it, and no
 * Concat or Softmax works along dim 0.  A model declared with a fixed
 * batch of 1 runs image by image.  The answer is kept (outputs do not
 * change it: the check plans every graph output... the wanted ones).
 */
static int
separable(struct tl_nn *nn, const int *outs, int nout, int64_t *largest)
{
	struct nn_plan *a = NULL, *b = NULL;
	struct tl_err e;
	int ok = 1, fixed1 = 0;

	for (int i = 0; i < nn->nt; i++)
		if (nn->t[i].kind == K_INPUT && nn->t[i].rank > 0 &&
		    nn->t[i].dims[0] == 1)
			fixed1 = 1;
	if (nn_plan_make(nn, 1, outs, nout, &a, &e))
		return 0;
	*largest = 0;
	for (int i = 0; i < a->nt; i++)
		if (a->t[i].needed && !a->t[i].known && a->t[i].n > *largest)
			*largest = a->t[i].n;
	if (nn_plan_make(nn, 3, outs, nout, &b, &e)) {
		nn_plan_free(a);
		return fixed1;
	}
	for (int i = 0; i < nn->nt && ok; i++) {
		const struct nn_ptensor *x = &a->t[i], *y = &b->t[i];
		if (!x->needed || x->known)
			continue;
		if (x->rank != y->rank)
			ok = 0;
		for (int d = 1; d < x->rank && ok; d++)
			ok = x->dims[d] == y->dims[d];
		if (ok && x->rank > 0)
			ok = y->dims[0] == x->dims[0] || y->dims[0] == 3 * x->dims[0];
	}
	for (int k = 0; k < nn->nnode && ok; k++) {
		const struct nn_node *nd = &nn->node[k];
		int64_t ax = nd->a.axis;
		if (nd->dead || !a->t[nd->out[0]].needed)
			continue;
		if (nd->op != OP_CONCAT && nd->op != OP_SOFTMAX)
			continue;
		if (b->t[nd->out[0]].known)
			continue;
		ax = ax < 0 ? ax + a->t[nd->out[0]].rank : ax;
		if (ax == 0)
			ok = 0;
	}
	nn_plan_free(a);
	nn_plan_free(b);
	return ok;
}

/* The inputs and outputs of slice `slice` (chunk images each). */
static int
slice_io(struct tl_nn *nn, const struct tl_nn_io *in, int nin,
    const struct tl_nn_io *out, int nout, const int *outs, int slice,
    int chunk, struct tl_nn_io *ci, struct tl_nn_io *co, struct tl_err *err)
{
	int64_t s = (int64_t)slice * chunk;

	memcpy(ci, in, nin * sizeof *in);
	memcpy(co, out, nout * sizeof *out);
	for (int k = 0; k < nin; k++) {
		int t = nn_find(nn, in[k].name);
		int64_t per = t >= 0 && nn->plan->t[t].rank > 0 ?
		    nn->plan->t[t].n : 0;
		ci[k].data = in[k].data + per * s / chunk;
	}
	for (int k = 0; k < nout; k++) {
		int64_t per = nn->plan->t[outs[k]].n;
		if (nn->plan->t[outs[k]].known || nn->plan->t[outs[k]].rank == 0)
			return tl_err_set(err, "output '%s' does not depend on "
			    "the batch", out[k].name);
		co[k].data = out[k].data + per * s / chunk;
	}
	return 0;
}

struct slice_job {
	struct tl_nn *nn;
	const struct tl_nn_io *in;
	int nin;
	const struct tl_nn_io *out;
	int nout;
	const int *outs;
	int chunk, slot, failed;
	struct tl_err err;
};

/* One thread's slices [lo, hi), serially, in its own buffers. */
static void
run_slices(void *ctx, int64_t lo, int64_t hi)
{
	struct slice_job *j = ctx;
	struct tl_nn *nn = j->nn;
	struct tl_nn_io ci[16], co[16];
	struct tl_err e = { "" };
	int slot = __atomic_fetch_add(&j->slot, 1, __ATOMIC_RELAXED);

	for (int64_t s = lo; s < hi; s++)
		if (slice_io(nn, j->in, j->nin, j->out, j->nout, j->outs, (int)s,
		    j->chunk, ci, co, &e) || nn_plan_run(nn, nn->serial,
		    &nn->buf[slot], ci, j->nin, co, j->nout, &e)) {
			if (__atomic_exchange_n(&j->failed, 1, __ATOMIC_ACQ_REL) == 0)
				j->err = e;
			return;
		}
}

int
tl_nn_run_io(struct tl_nn *nn, int n, const struct tl_nn_io *in, int nin,
    const struct tl_nn_io *out, int nout, struct tl_err *err)
{
	struct tl_nn_io ci[16], co[16];
	int outs[16], chunk = n, mb;
	int64_t largest = 0;

	if (!nn->finished)
		return tl_err_set(err, "graph not finished");
	if (n < 0 || nout < 1 || nout > 16 || nin > 16)
		return tl_err_set(err, "bad batch %d, %d inputs or %d outputs", n,
		    nin, nout);
	for (int k = 0; k < nout; k++) {
		if ((outs[k] = nn_find(nn, out[k].name)) < 0)
			return tl_err_set(err, "no tensor '%s'", out[k].name);
		if (nn->t[outs[k]].producer == -2)
			return tl_err_set(err, "tensor '%s' was fused at load into "
			    "'%s'", out[k].name, nn->t[outs[k]].fused_into);
	}
	/* Slices of images small enough for the cache: the largest
	 * activation of a slice about 8 MB.  Same slices at any thread
	 * count, so threads never change a result. */
	if (n > 1 && (nn->sep_nouts != nout ||
	    memcmp(nn->sep_outs, outs, nout * sizeof *outs) != 0)) {
		nn->sep_ok = separable(nn, outs, nout, &nn->sep_largest);
		memcpy(nn->sep_outs, outs, nout * sizeof *outs);
		nn->sep_nouts = nout;
	}
	largest = nn->sep_largest;
	if (n > 1 && nn->sep_ok) {
		mb = largest > 0 ? (int)(((int64_t)2 << 20) / largest) : n;
		mb = mb < 1 ? 1 : mb > n ? n : mb;
		while (n % mb)
			mb--;
		chunk = mb;
	}
	nn->slices = 1;
	if (use_plan(nn, n > 0 ? chunk : 0, outs, nout, err))
		return -1;
	nn->slices = n > 0 ? n / chunk : 1;
	if (chunk == n || n == 0)
		return nn_plan_run(nn, nn->pool, &nn->buf[0], in, nin, out, nout,
		    err);
	if (slice_io(nn, in, nin, out, nout, outs, 0, chunk, ci, co, err))
		return -1;
	if (nn->threads > 1 && nn->slices >= nn->threads) {
		/* whole slices per thread: no barrier per layer, and each image
		 * computed as in a serial run, so the bits do not change */
		struct slice_job j = { nn, in, nin, out, nout, outs, chunk, 0, 0,
		    { "" } };
		if (openblas_get_num_threads() != 1)
			openblas_set_num_threads(1);
		nn_pool_for(nn->pool, nn->slices, 1, run_slices, &j);
		if (j.failed) {
			if (err)
				*err = j.err;
			return -1;
		}
		return 0;
	}
	for (int s = 0; s < n; s += chunk) {
		if (slice_io(nn, in, nin, out, nout, outs, s / chunk, chunk, ci, co,
		    err) || nn_plan_run(nn, nn->pool, &nn->buf[0], ci, nin, co,
		    nout, err))
			return -1;
	}
	return 0;
}
