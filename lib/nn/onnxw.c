/*
 * onnxw.c - the ONNX writer (onnxw.h): protobuf-c messages made here,
 * owned through one list of allocations, packed into a file at the end.
 * A finished graph's nodes are written back from what the engine keeps of
 * them (struct nn_node: the parsed attributes, the fused activation), not
 * from the file they came from, so every loader's graphs come out alike.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/afile.h"
#include "nn_int.h"
#include "onnx.pb-c.h"
#include "onnxw.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "raw_data is little-endian; this writer copies floats as they are"
#endif

struct tl_nn_onnxw {
	void **owned;                   /* every allocation, freed together */
	size_t nowned, capowned;
	Onnx__NodeProto **node;
	size_t nnode, capnode;
	Onnx__TensorProto **init;
	size_t ninit, capinit;
	Onnx__ValueInfoProto *io[2][16]; /* inputs, outputs */
	size_t nio[2];
	Onnx__StringStringEntryProto *meta[16];
	size_t nmeta;
	char *doc;
};

/* An allocation w owns (zeroed); NULL when out of memory. */
static void *
own(struct tl_nn_onnxw *w, size_t size)
{
	void *p;

	if (w->nowned == w->capowned) {
		size_t cap = w->capowned ? 2 * w->capowned : 256;
		void **o = realloc(w->owned, cap * sizeof *o);
		if (o == NULL)
			return NULL;
		w->owned = o;
		w->capowned = cap;
	}
	if ((p = calloc(1, size ? size : 1)) != NULL)
		w->owned[w->nowned++] = p;
	return p;
}

static char *
own_str(struct tl_nn_onnxw *w, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = own(w, n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

static char *
own_fmt(struct tl_nn_onnxw *w, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return own_str(w, buf);
}

/* Appends p to the array *a of *n (capacity *cap). */
static int
push(void ***a, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		void **b = realloc(*a, c * sizeof *b);
		if (b == NULL)
			return -1;
		*a = b;
		*cap = c;
	}
	(*a)[(*n)++] = p;
	return 0;
}

struct tl_nn_onnxw *
tl_nn_onnxw_new(struct tl_err *err)
{
	struct tl_nn_onnxw *w = calloc(1, sizeof *w);

	if (w == NULL)
		tl_err_set(err, "out of memory");
	return w;
}

void
tl_nn_onnxw_free(struct tl_nn_onnxw *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->nowned; i++)
		free(w->owned[i]);
	free(w->owned);
	free(w->node);
	free(w->init);
	free(w);
}

static int
value_info(struct tl_nn_onnxw *w, int out, const char *name, int rank, const int64_t *dims,
           struct tl_err *err)
{
	Onnx__ValueInfoProto *vi = own(w, sizeof *vi);
	Onnx__TypeProto *tp = own(w, sizeof *tp);
	Onnx__TypeProto__Tensor *tt = own(w, sizeof *tt);
	Onnx__TensorShapeProto *sh = own(w, sizeof *sh);
	Onnx__TensorShapeProto__Dimension **d = own(w, (size_t)(rank + 1) * sizeof *d);

	if (rank < 0 || rank > TL_NN_MAXRANK || w->nio[out] == 16)
		return tl_err_set(err, "%s '%s': rank %d, or too many", out ? "output" : "input", name,
		    rank);
	if (!vi || !tp || !tt || !sh || !d)
		return tl_err_set(err, "out of memory");
	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	for (int i = 0; i < rank; i++) {
		if ((d[i] = own(w, sizeof *d[i])) == NULL)
			return tl_err_set(err, "out of memory");
		onnx__tensor_shape_proto__dimension__init(d[i]);
		if (dims[i] < 0) {
			d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d[i]->dim_param = own_str(w, "N");
		} else {
			d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d[i]->dim_value = dims[i];
		}
	}
	sh->n_dim = (size_t)rank;
	sh->dim = d;
	tt->has_elem_type = 1;
	tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	tt->shape = sh;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	vi->type = tp;
	if ((vi->name = own_str(w, name)) == NULL)
		return tl_err_set(err, "out of memory");
	w->io[out][w->nio[out]++] = vi;
	return 0;
}

int
tl_nn_onnxw_input(struct tl_nn_onnxw *w, const char *name, int rank, const int64_t *dims,
    struct tl_err *err)
{
	return value_info(w, 0, name, rank, dims, err);
}

int
tl_nn_onnxw_output(struct tl_nn_onnxw *w, const char *name, int rank, const int64_t *dims,
    struct tl_err *err)
{
	return value_info(w, 1, name, rank, dims, err);
}

static int
weights(struct tl_nn_onnxw *w, const char *name, int rank, const int64_t *dims,
        const void *data, int is64, struct tl_err *err)
{
	Onnx__TensorProto *t = own(w, sizeof *t);
	int64_t *d = own(w, (size_t)(rank + 1) * sizeof *d);
	int64_t n = nn_numel(rank, dims);
	size_t bytes = (size_t)n * (is64 ? 8 : 4);
	void *raw = own(w, bytes);

	if (!t || !d || !raw)
		return tl_err_set(err, "out of memory");
	onnx__tensor_proto__init(t);
	t->name = own_str(w, name);
	memcpy(d, dims, (size_t)rank * sizeof *d);
	t->n_dims = (size_t)rank;
	t->dims = d;
	t->has_data_type = 1;
	t->data_type = is64 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64 :
	    ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	memcpy(raw, data, bytes);
	t->has_raw_data = 1;
	t->raw_data.len = bytes;
	t->raw_data.data = raw;
	if (t->name == NULL || push((void ***)&w->init, &w->ninit, &w->capinit, t) < 0)
		return tl_err_set(err, "out of memory");
	return 0;
}

int
tl_nn_onnxw_weights(struct tl_nn_onnxw *w, const char *name, int rank, const int64_t *dims,
    const float *data, struct tl_err *err)
{
	return weights(w, name, rank, dims, data, 0, err);
}

int
tl_nn_onnxw_weights_i64(struct tl_nn_onnxw *w, const char *name, int rank,
    const int64_t *dims, const int64_t *data, struct tl_err *err)
{
	return weights(w, name, rank, dims, data, 1, err);
}

int
tl_nn_onnxw_node(struct tl_nn_onnxw *w, const char *op_type, const char *const *inputs,
    int nin, const char *const *outputs, int nout, const struct tl_nn_attr *attrs, int nattr,
    struct tl_err *err)
{
	Onnx__NodeProto *nd = own(w, sizeof *nd);
	char **in = own(w, (size_t)(nin + 1) * sizeof *in);
	char **out = own(w, (size_t)(nout + 1) * sizeof *out);
	Onnx__AttributeProto **at = own(w, (size_t)(nattr + 1) * sizeof *at);

	if (!nd || !in || !out || !at)
		return tl_err_set(err, "out of memory");
	onnx__node_proto__init(nd);
	for (int i = 0; i < nin; i++)
		if ((in[i] = own_str(w, inputs[i])) == NULL)
			return tl_err_set(err, "out of memory");
	for (int i = 0; i < nout; i++)
		if ((out[i] = own_str(w, outputs[i])) == NULL)
			return tl_err_set(err, "out of memory");
	for (int i = 0; i < nattr; i++) {
		const struct tl_nn_attr *a = &attrs[i];
		Onnx__AttributeProto *p = own(w, sizeof *p);
		if (p == NULL)
			return tl_err_set(err, "out of memory");
		onnx__attribute_proto__init(p);
		p->name = own_str(w, a->name);
		p->has_type = 1;
		switch (a->type) {
		case TL_NN_ATTR_INT:
			p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
			p->has_i = 1, p->i = a->i;
			break;
		case TL_NN_ATTR_FLOAT:
			p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
			p->has_f = 1, p->f = a->f;
			break;
		case TL_NN_ATTR_STRING:
			p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
			p->has_s = 1;
			p->s.data = (uint8_t *)own_str(w, a->s);
			p->s.len = strlen(a->s);
			break;
		case TL_NN_ATTR_INTS:
			p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
			p->ints = own(w, (size_t)a->n * sizeof *p->ints);
			if (p->ints)
				memcpy(p->ints, a->ints, (size_t)a->n * sizeof *p->ints);
			p->n_ints = (size_t)a->n;
			break;
		case TL_NN_ATTR_FLOATS:
			p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
			p->floats = own(w, (size_t)a->n * sizeof *p->floats);
			if (p->floats)
				memcpy(p->floats, a->floats, (size_t)a->n * sizeof *p->floats);
			p->n_floats = (size_t)a->n;
			break;
		}
		if (p->name == NULL)
			return tl_err_set(err, "out of memory");
		at[i] = p;
	}
	nd->n_input = (size_t)nin, nd->input = in;
	nd->n_output = (size_t)nout, nd->output = out;
	nd->n_attribute = (size_t)nattr, nd->attribute = at;
	nd->op_type = own_str(w, op_type);
	nd->name = own_str(w, nout > 0 ? outputs[0] : op_type);
	if (!nd->op_type || !nd->name ||
	    push((void ***)&w->node, &w->nnode, &w->capnode, nd) < 0)
		return tl_err_set(err, "out of memory");
	return 0;
}

/* Attribute helpers: an array filled in order. */
struct attrs {
	struct tl_nn_attr a[12];
	int n;
};

static void
a_int(struct attrs *A, const char *name, int64_t v)
{
	A->a[A->n++] = (struct tl_nn_attr){ .name = name, .type = TL_NN_ATTR_INT, .i = v };
}

static void
a_float(struct attrs *A, const char *name, float v)
{
	A->a[A->n++] = (struct tl_nn_attr){ .name = name, .type = TL_NN_ATTR_FLOAT, .f = v };
}

static void
a_ints(struct attrs *A, const char *name, const int64_t *v, int n)
{
	A->a[A->n++] = (struct tl_nn_attr){ .name = name, .type = TL_NN_ATTR_INTS, .ints = v,
	    .n = n };
}

static void
a_str(struct attrs *A, const char *name, const char *s)
{
	A->a[A->n++] = (struct tl_nn_attr){ .name = name, .type = TL_NN_ATTR_STRING, .s = s };
}

/* Conv, MaxPool, AveragePool: kernel, strides, dilations, pads or auto_pad. */
static void
a_spatial(struct attrs *A, const struct nn_attrs *a, const int64_t *kernel, int dil)
{
	static const char *const ap[] = { "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID" };

	a_ints(A, "kernel_shape", kernel, 2);
	a_ints(A, "strides", a->stride, 2);
	if (dil)
		a_ints(A, "dilations", a->dil, 2);
	if (a->auto_pad == AP_NOTSET)
		a_ints(A, "pads", a->pads, 4);
	else
		a_str(A, "auto_pad", ap[a->auto_pad]);
}

/* The state of one tl_nn_onnxw_graph call. */
struct g {
	struct tl_nn_onnxw *w;
	const struct tl_nn *nn;
	const char *prefix, *input;
	const struct tl_nn_onnxw_param *p;
	int np;
	char *done;                     /* [nt] constant written */
	int *used;                      /* [np] replacement used */
	struct tl_err *err;
};

/* The name tensor t has in the written model. */
static const char *
tname(struct g *g, int t)
{
	if (t < 0)
		return "";
	if (g->nn->t[t].kind == K_INPUT)
		return g->input;
	return own_fmt(g->w, "%s%s", g->prefix, g->nn->t[t].name);
}

/* Writes constant t (once). */
static int
constant(struct g *g, int t)
{
	const struct nn_tensor *c = &g->nn->t[t];

	if (t < 0 || c->kind != K_CONST || g->done[t])
		return 0;
	g->done[t] = 1;
	return c->dtype == DT_I64 ?
	    tl_nn_onnxw_weights_i64(g->w, tname(g, t), c->rank, c->dims, c->i, g->err) :
	    tl_nn_onnxw_weights(g->w, tname(g, t), c->rank, c->dims, c->f, g->err);
}

/* A scalar (rank 0) constant of the writer's own, named after the node. */
static const char *
scalar(struct g *g, const char *node, const char *what, float v)
{
	const char *name = own_fmt(g->w, "%s%s/tl_%s", g->prefix, node, what);
	int64_t one = 1;

	if (name == NULL || tl_nn_onnxw_weights(g->w, name, 0, &one, &v, g->err) < 0)
		return NULL;
	return name;
}

static const char *
ints_const(struct g *g, const char *node, const char *what, const int64_t *v, int n)
{
	const char *name = own_fmt(g->w, "%s%s/tl_%s", g->prefix, node, what);
	int64_t d = n;

	if (name == NULL || tl_nn_onnxw_weights_i64(g->w, name, 1, &d, v, g->err) < 0)
		return NULL;
	return name;
}

/* A Conv's W or B: the graph's, or its replacement. */
static const char *
conv_param(struct g *g, const struct nn_node *nd, int t, const char *what)
{
	for (int i = 0; i < g->np; i++) {
		const struct tl_nn_onnxw_param *p = &g->p[i];
		const char *name;
		if (strcmp(p->node, nd->name) != 0 || strcmp(p->what, what) != 0)
			continue;
		if (t < 0 || p->n != g->nn->t[t].n)
			return tl_err_set(g->err, "node '%s' (Conv): %s has %lld values, the "
			    "replacement %lld", nd->name, what, t < 0 ? 0LL :
			    (long long)g->nn->t[t].n, (long long)p->n), NULL;
		g->used[i] = 1;
		name = own_fmt(g->w, "%s%s/tl_%s", g->prefix, nd->name, what);
		if (name == NULL || tl_nn_onnxw_weights(g->w, name, g->nn->t[t].rank,
		    g->nn->t[t].dims, p->data, g->err) < 0)
			return NULL;
		return name;
	}
	if (constant(g, t) < 0)
		return NULL;
	return tname(g, t);
}

#define GE(fmt, ...) tl_err_set(g->err, "node '%s' (%s): " fmt, nd->name, nd->op_type, \
    __VA_ARGS__)

static int
node(struct g *g, const struct nn_node *nd)
{
	static const char *const padmode[] = { "constant", "reflect", "edge" };
	const struct nn_attrs *a = &nd->a;
	const char *in[8] = { 0 }, *out = tname(g, nd->out[0]), *op = nd->op_type;
	struct attrs A = { .n = 0 };
	int nin = nd->nin;

	if (out == NULL)
		return tl_err_set(g->err, "out of memory");
	for (int i = 0; i < nin && i < 8; i++) {
		/* a Conv's W and B: conv_param's (they may be replaced) */
		if ((nd->op != OP_CONV || i == 0) && constant(g, nd->in[i]) < 0)
			return -1;
		if ((in[i] = tname(g, nd->in[i])) == NULL)
			return tl_err_set(g->err, "out of memory");
	}
	switch (nd->op) {
	case OP_CONV: {
		const struct nn_tensor *wt = &g->nn->t[nd->in[1]];
		const char *pre = nd->act == ACT_NONE ? out : own_fmt(g->w, "%s/tl_preact", out);
		if (wt->rank != 4)
			return GE("%s", "weights of rank other than 4");
		if ((in[1] = conv_param(g, nd, nd->in[1], "W")) == NULL ||
		    (nin > 2 && nd->in[2] >= 0 && (in[2] = conv_param(g, nd, nd->in[2], "B")) == NULL))
			return -1;
		a_spatial(&A, a, wt->dims + 2, 1);
		a_int(&A, "group", a->group);
		if (tl_nn_onnxw_node(g->w, "Conv", in, nin, &pre, 1, A.a, A.n, g->err) < 0)
			return -1;
		if (nd->act == ACT_RELU)
			return tl_nn_onnxw_node(g->w, "Relu", &pre, 1, &out, 1, NULL, 0, g->err);
		if (nd->act == ACT_CLIP) {
			const char *c[3] = { pre, "", "" };
			if (isfinite(nd->act_min) &&
			    (c[1] = scalar(g, nd->name, "min", nd->act_min)) == NULL)
				return -1;
			if (isfinite(nd->act_max) &&
			    (c[2] = scalar(g, nd->name, "max", nd->act_max)) == NULL)
				return -1;
			return tl_nn_onnxw_node(g->w, "Clip", c, 3, &out, 1, NULL, 0, g->err);
		}
		return 0;
	}
	case OP_MAXPOOL:
	case OP_AVGPOOL:
		a_spatial(&A, a, a->kernel, nd->op == OP_MAXPOOL);
		a_int(&A, "ceil_mode", a->ceil_mode);
		if (nd->op == OP_AVGPOOL)
			a_int(&A, "count_include_pad", a->count_include_pad);
		break;
	case OP_BATCHNORM:
		a_float(&A, "epsilon", a->eps);
		break;
	case OP_CLIP:
		if (a->opset < 11) {
			in[1] = in[2] = "";
			if (isfinite(a->minv) && (in[1] = scalar(g, nd->name, "min", a->minv)) == NULL)
				return -1;
			if (isfinite(a->maxv) && (in[2] = scalar(g, nd->name, "max", a->maxv)) == NULL)
				return -1;
			nin = 3;
		}
		break;
	case OP_HARDSIGMOID:
		a_float(&A, "alpha", a->alpha);
		a_float(&A, "beta", a->beta);
		break;
	case OP_GEMM:
		a_float(&A, "alpha", a->alpha);
		a_float(&A, "beta", a->beta);
		a_int(&A, "transA", a->trans_a);
		a_int(&A, "transB", a->trans_b);
		break;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
		if (a->opset < 7 && a->axis != 0)
			return GE("%s", "opset-6 broadcasting along an axis has no opset-15 equivalent "
			    "here");
		break;
	case OP_SOFTMAX: {
		int64_t d[TL_NN_MAXRANK];
		int r = tl_nn_tensor_shape(g->nn, g->nn->t[nd->in[0]].name, d, NULL);
		if (a->opset < 13 && r > 2 && a->axis != r - 1 && a->axis != -1)
			return GE("opset-%d Softmax on axis %lld of a rank-%d tensor has no opset-15 "
			    "equivalent here", a->opset, (long long)a->axis, r);
	}
		/* fall through */
	case OP_CONCAT: case OP_FLATTEN: case OP_GATHER:
		a_int(&A, "axis", a->axis);
		break;
	case OP_TRANSPOSE:
		if (a->nperm > 0)
			a_ints(&A, "perm", a->perm, a->nperm);
		break;
	case OP_SQUEEZE: case OP_UNSQUEEZE:
		if (a->opset < 13 && a->naxes > 0) {
			if ((in[1] = ints_const(g, nd->name, "axes", a->axes, a->naxes)) == NULL)
				return -1;
			nin = 2;
		}
		break;
	case OP_PAD:
		a_str(&A, "mode", padmode[a->pad_mode]);
		if (a->opset < 11) {
			if ((in[1] = ints_const(g, nd->name, "pads", a->padv, a->npadv)) == NULL ||
			    (in[2] = scalar(g, nd->name, "value", a->pad_value)) == NULL)
				return -1;
			nin = 3;
		}
		break;
	case OP_IDENTITY:
		op = "Identity";	/* Dropout too, as in inference */
		nin = 1;
		break;
	case OP_RESHAPE:
		if (a->allowzero)
			a_int(&A, "allowzero", 1);
		break;
	case OP_SHAPE:
		if (a->start != 0)
			a_int(&A, "start", a->start);
		if (a->has_end)
			a_int(&A, "end", a->end);
		break;
	case OP_RELU: case OP_SIGMOID: case OP_HARDSWISH: case OP_GLOBALAVGPOOL:
	case OP_GLOBALMAXPOOL: case OP_MATMUL:
		break;
	default:
		return GE("%s", "no ONNX equivalent");
	}
	return tl_nn_onnxw_node(g->w, op, in, nin, &out, 1, A.a, A.n, g->err);
}

/* Tensor `out` of nn (NULL: its output): its index, or -1 with err. */
static int
find_out(const struct tl_nn *nn, const char *out, struct tl_err *err)
{
	int t;

	if (out == NULL)
		return nn->noutputs > 0 ? nn->outputs[0] : tl_err_set(err, "the graph has no output");
	if ((t = nn_find(nn, out)) < 0)
		return tl_err_set(err, "no tensor '%s' in the graph", out);
	if (nn->t[t].producer == -2)
		return tl_err_set(err, "tensor '%s' is fused away at load: use '%s'", out,
		    nn->t[t].fused_into ? nn->t[t].fused_into : "?");
	return t;
}

int
tl_nn_onnxw_name(const struct tl_nn *nn, const char *out, const char *prefix, char *buf,
    size_t n, struct tl_err *err)
{
	int t = find_out(nn, out, err);

	if (t < 0)
		return -1;
	snprintf(buf, n, "%s%s", prefix, nn->t[t].name);
	return 0;
}

int
tl_nn_onnxw_graph(struct tl_nn_onnxw *w, const struct tl_nn *nn, const char *out,
    const char *prefix, const char *input, const struct tl_nn_onnxw_param *p, int np,
    struct tl_err *err)
{
	struct g g = { .w = w, .nn = nn, .prefix = prefix, .input = input, .p = p, .np = np,
	    .err = err };
	char *need = NULL;
	int t, rc = -1;

	if (!nn->finished)
		return tl_err_set(err, "the graph is not finished");
	if ((t = find_out(nn, out, err)) < 0)
		return -1;
	need = calloc((size_t)nn->nt + 1, 1);
	g.done = calloc((size_t)nn->nt + 1, 1);
	g.used = calloc((size_t)np + 1, sizeof *g.used);
	if (!need || !g.done || !g.used) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	/* the nodes t depends on: backwards through the topological order */
	need[t] = 1;
	for (int k = nn->nnode - 1; k >= 0; k--) {
		const struct nn_node *nd = &nn->node[k];
		int want = 0;
		if (nd->dead)
			continue;
		for (int j = 0; j < nd->nout; j++)
			want |= nd->out[j] >= 0 && need[nd->out[j]];
		for (int j = 0; want && j < nd->nin; j++)
			if (nd->in[j] >= 0)
				need[nd->in[j]] = 1;
	}
	for (int k = 0; k < nn->nnode; k++) {
		const struct nn_node *nd = &nn->node[k];
		int want = 0;
		if (nd->dead)
			continue;
		for (int j = 0; j < nd->nout; j++)
			want |= nd->out[j] >= 0 && need[nd->out[j]];
		if (want && node(&g, nd) < 0)
			goto out;
	}
	for (int i = 0; i < np; i++)
		if (!g.used[i]) {
			tl_err_set(err, "no Conv node '%s' (for its %s) up to '%s'", p[i].node,
			    p[i].what, nn->t[t].name);
			goto out;
		}
	rc = 0;
out:
	free(need);
	free(g.done);
	free(g.used);
	return rc;
}

int
tl_nn_onnxw_meta(struct tl_nn_onnxw *w, const char *key, const char *value, struct tl_err *err)
{
	Onnx__StringStringEntryProto *e = own(w, sizeof *e);

	if (w->nmeta == 16)
		return tl_err_set(err, "too many metadata entries");
	if (e == NULL)
		return tl_err_set(err, "out of memory");
	onnx__string_string_entry_proto__init(e);
	e->key = own_str(w, key);
	e->value = own_str(w, value);
	if (!e->key || !e->value)
		return tl_err_set(err, "out of memory");
	w->meta[w->nmeta++] = e;
	return 0;
}

int
tl_nn_onnxw_doc(struct tl_nn_onnxw *w, const char *doc, struct tl_err *err)
{
	if ((w->doc = own_str(w, doc)) == NULL)
		return tl_err_set(err, "out of memory");
	return 0;
}

int
tl_nn_onnxw_save(struct tl_nn_onnxw *w, const char *path, const char *producer,
    const char *version, struct tl_err *err)
{
	Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
	Onnx__GraphProto gp = ONNX__GRAPH_PROTO__INIT;
	Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT, *osp = &os;
	struct tl_afile *af;
	uint8_t *buf;
	size_t len;
	int rc;

	os.domain = "";
	os.has_version = 1;
	os.version = TL_NN_ONNXW_OPSET;
	gp.name = "tl";
	gp.n_node = w->nnode, gp.node = w->node;
	gp.n_initializer = w->ninit, gp.initializer = w->init;
	gp.n_input = w->nio[0], gp.input = w->io[0];
	gp.n_output = w->nio[1], gp.output = w->io[1];
	m.has_ir_version = 1;
	m.ir_version = 8;
	m.n_opset_import = 1, m.opset_import = &osp;
	m.producer_name = (char *)producer;
	m.producer_version = (char *)version;
	m.doc_string = w->doc;
	m.graph = &gp;
	m.n_metadata_props = w->nmeta, m.metadata_props = w->meta;
	len = onnx__model_proto__get_packed_size(&m);
	if ((buf = malloc(len + 1)) == NULL)
		return tl_err_set(err, "out of memory");
	onnx__model_proto__pack(&m, buf);
	if ((af = tl_afile_open(path, err)) == NULL) {
		free(buf);
		return -1;
	}
	fwrite(buf, 1, len, tl_afile_fp(af));
	free(buf);
	rc = tl_afile_commit(af, err);
	return rc;
}
