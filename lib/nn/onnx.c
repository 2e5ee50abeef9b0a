/*
 * onnx.c - the ONNX loader: a ModelProto (protobuf-c, generated from
 * onnx.proto) turned into builder calls.  Everything from the file is
 * checked before it is used: dims and element counts against their limits,
 * raw_data lengths against the declared shape, attribute types against what
 * the operator wants.  Constant nodes become weights.  It does not read
 * external data files, sparse initializers or functions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn_int.h"
#include "onnx.pb-c.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "raw_data is little-endian; this loader copies it as is"
#endif

#define MAX_FILE ((size_t)2 << 30)
#define MAX_ELEMS ((int64_t)1 << 31)

static int
tensor_dims(const Onnx__TensorProto *tp, const char *what, int64_t *dims,
    int64_t *n, struct tl_err *err)
{
	*n = 1;
	if (tp->n_dims > TL_NN_MAXRANK)
		return tl_err_set(err, "%s: rank %zu (at most %d)", what,
		    tp->n_dims, TL_NN_MAXRANK);
	for (size_t i = 0; i < tp->n_dims; i++) {
		if (tp->dims[i] < 0 || tp->dims[i] > MAX_ELEMS)
			return tl_err_set(err, "%s: bad dimension %lld", what,
			    (long long)tp->dims[i]);
		dims[i] = tp->dims[i];
		*n *= dims[i];
		if (*n > MAX_ELEMS)
			return tl_err_set(err, "%s: too many elements", what);
	}
	return (int)tp->n_dims;
}

/* Adds an initializer or Constant value as weights named `name`. */
static int
add_tensor(struct tl_nn *nn, const char *name, const Onnx__TensorProto *tp,
    struct tl_err *err)
{
	int64_t dims[TL_NN_MAXRANK], n;
	int rank, rc;
	void *buf;

	if ((rank = tensor_dims(tp, name, dims, &n, err)) < 0)
		return -1;
	if (tp->has_data_location &&
	    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return tl_err_set(err, "tensor '%s': external data is not "
		    "supported", name);
	switch (tp->data_type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
		if (tp->has_raw_data && tp->raw_data.len > 0) {
			if (tp->raw_data.len != (size_t)n * 4)
				return tl_err_set(err, "tensor '%s': %zu bytes of "
				    "raw_data for %lld floats", name,
				    tp->raw_data.len, (long long)n);
			if ((buf = malloc(n * 4 + 1)) == NULL)
				return tl_err_set(err, "out of memory");
			memcpy(buf, tp->raw_data.data, n * 4);
			rc = tl_nn_add_weights(nn, name, rank, dims, buf, err);
			free(buf);
			return rc;
		}
		if (tp->n_float_data != (size_t)n)
			return tl_err_set(err, "tensor '%s': %zu float_data for "
			    "%lld elements", name, tp->n_float_data, (long long)n);
		return tl_nn_add_weights(nn, name, rank, dims, tp->float_data, err);
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
		int is64 = tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
		size_t es = is64 ? 8 : 4;
		int64_t *v = malloc(n * 8 + 1);
		if (v == NULL)
			return tl_err_set(err, "out of memory");
		if (tp->has_raw_data && tp->raw_data.len > 0) {
			if (tp->raw_data.len != (size_t)n * es) {
				free(v);
				return tl_err_set(err, "tensor '%s': %zu bytes of "
				    "raw_data for %lld integers", name,
				    tp->raw_data.len, (long long)n);
			}
			for (int64_t i = 0; i < n; i++) {
				int32_t w;
				if (is64)
					memcpy(&v[i], tp->raw_data.data + i * 8, 8);
				else {
					memcpy(&w, tp->raw_data.data + i * 4, 4);
					v[i] = w;
				}
			}
		} else if (is64 && tp->n_int64_data == (size_t)n) {
			if (n > 0)
				memcpy(v, tp->int64_data, n * 8);
		} else if (!is64 && tp->n_int32_data == (size_t)n) {
			for (int64_t i = 0; i < n; i++)
				v[i] = tp->int32_data[i];
		} else {
			free(v);
			return tl_err_set(err, "tensor '%s': data count does not "
			    "match %lld elements", name, (long long)n);
		}
		rc = tl_nn_add_weights_i64(nn, name, rank, dims, v, err);
		free(v);
		return rc;
	}
	default:
		return tl_err_set(err, "tensor '%s': unsupported data type %d",
		    name, tp->data_type);
	}
}

static int
add_constant(struct tl_nn *nn, const Onnx__NodeProto *np, const char *nname,
    struct tl_err *err)
{
	const Onnx__AttributeProto *a;
	const char *out;
	int64_t one = 1;

	if (np->n_output != 1 || np->n_attribute != 1)
		return tl_err_set(err, "node '%s' (Constant): want one output "
		    "and one attribute", nname);
	out = np->output[0];
	a = np->attribute[0];
	if (strcmp(a->name, "value") == 0 && a->t)
		return add_tensor(nn, out, a->t, err) ?
		    tl_err_prefix(err, "node '%s' (Constant)", nname) : 0;
	if (strcmp(a->name, "value_float") == 0)
		return tl_nn_add_weights(nn, out, 0, &one, &a->f, err);
	if (strcmp(a->name, "value_int") == 0)
		return tl_nn_add_weights_i64(nn, out, 0, &one, &a->i, err);
	if (strcmp(a->name, "value_floats") == 0) {
		int64_t n = (int64_t)a->n_floats;
		return tl_nn_add_weights(nn, out, 1, &n, a->floats, err);
	}
	if (strcmp(a->name, "value_ints") == 0) {
		int64_t n = (int64_t)a->n_ints;
		return tl_nn_add_weights_i64(nn, out, 1, &n, a->ints, err);
	}
	return tl_err_set(err, "node '%s' (Constant): unsupported attribute %s",
	    nname, a->name);
}

static int
add_node(struct tl_nn *nn, const Onnx__NodeProto *np, struct tl_err *err)
{
	const char *nname = np->name && np->name[0] ? np->name :
	    np->n_output > 0 ? np->output[0] : "";
	struct tl_nn_attr *at;
	char **strs;
	int rc = -1;

	if (np->op_type == NULL)
		return tl_err_set(err, "node '%s': no op_type", nname);
	if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0)
		return tl_err_set(err, "node '%s' (%s): unsupported domain '%s'",
		    nname, np->op_type, np->domain);
	if (strcmp(np->op_type, "Constant") == 0)
		return add_constant(nn, np, nname, err);
	if (np->n_input > 64 || np->n_output > 64 || np->n_attribute > 64)
		return tl_err_set(err, "node '%s' (%s): too many inputs, outputs "
		    "or attributes", nname, np->op_type);
	at = calloc(np->n_attribute + 1, sizeof *at);
	strs = calloc(np->n_attribute + 1, sizeof *strs);
	if (at == NULL || strs == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < np->n_attribute; i++) {
		const Onnx__AttributeProto *a = np->attribute[i];
		at[i].name = a->name ? a->name : "";
		switch (a->type) {
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
			at[i].type = TL_NN_ATTR_INT;
			at[i].i = a->i;
			break;
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
			at[i].type = TL_NN_ATTR_FLOAT;
			at[i].f = a->f;
			break;
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
			at[i].type = TL_NN_ATTR_STRING;
			if ((strs[i] = malloc(a->s.len + 1)) == NULL) {
				tl_err_set(err, "out of memory");
				goto out;
			}
			memcpy(strs[i], a->s.data, a->s.len);
			strs[i][a->s.len] = '\0';
			at[i].s = strs[i];
			break;
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
			at[i].type = TL_NN_ATTR_INTS;
			at[i].ints = a->ints;
			at[i].n = a->n_ints > 1024 ? 1024 : (int)a->n_ints;
			break;
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
			at[i].type = TL_NN_ATTR_FLOATS;
			at[i].floats = a->floats;
			at[i].n = a->n_floats > 1024 ? 1024 : (int)a->n_floats;
			break;
		default:
			tl_err_set(err, "node '%s' (%s): unsupported attribute %s "
			    "of type %d", nname, np->op_type, at[i].name, a->type);
			goto out;
		}
	}
	rc = tl_nn_add_node(nn, nname, np->op_type,
	    (const char *const *)np->input, (int)np->n_input,
	    (const char *const *)np->output, (int)np->n_output, at,
	    (int)np->n_attribute, err);
out:
	for (size_t i = 0; strs && i < np->n_attribute; i++)
		free(strs[i]);
	free(strs);
	free(at);
	return rc;
}

static int
add_input(struct tl_nn *nn, const Onnx__ValueInfoProto *vi, struct tl_err *err)
{
	const Onnx__TypeProto__Tensor *tt;
	int64_t dims[TL_NN_MAXRANK];
	const char *name = vi->name ? vi->name : "";

	if (vi->type == NULL ||
	    vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    (tt = vi->type->tensor_type) == NULL || tt->shape == NULL)
		return tl_err_set(err, "input '%s': not a tensor of known rank",
		    name);
	if (tt->shape->n_dim > TL_NN_MAXRANK)
		return tl_err_set(err, "input '%s': rank %zu", name,
		    tt->shape->n_dim);
	for (size_t i = 0; i < tt->shape->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
		if (d->value_case ==
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    d->dim_value >= 0)
			dims[i] = d->dim_value;
		else if (i == 0)
			dims[i] = -1;	/* the batch */
		else
			return tl_err_set(err, "input '%s': dimension %zu is not "
			    "a fixed size", name, i);
	}
	if (tl_nn_add_input(nn, name, (int)tt->shape->n_dim, dims, err))
		return -1;
	if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
		int i = nn_find(nn, name);
		if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
		    tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
			return tl_err_set(err, "input '%s': unsupported data type "
			    "%d", name, tt->elem_type);
		/* must be bound to a constant before tl_nn_finish */
		nn->t[i].dtype = DT_I64;
	}
	return 0;
}

static struct tl_nn *
build(const Onnx__ModelProto *m, struct tl_err *err)
{
	const Onnx__GraphProto *g = m->graph;
	struct tl_nn *nn;
	int opset = -1;

	if (g == NULL) {
		tl_err_set(err, "no graph in the model");
		return NULL;
	}
	for (size_t i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];
		if (o->domain == NULL || o->domain[0] == '\0' ||
		    strcmp(o->domain, "ai.onnx") == 0)
			opset = (int)(o->version > 0 && o->version < 1000 ?
			    o->version : -1);
	}
	if ((nn = tl_nn_new(err)) == NULL)
		return NULL;
	if (opset < 0) {
		tl_err_set(err, "no opset for the default domain");
		goto fail;
	}
	if (tl_nn_set_opset(nn, opset, err))
		goto fail;
	for (size_t i = 0; i < g->n_initializer; i++) {
		const char *name = g->initializer[i]->name;
		if (name == NULL || name[0] == '\0') {
			tl_err_set(err, "initializer without a name");
			goto fail;
		}
		if (add_tensor(nn, name, g->initializer[i], err))
			goto fail;
	}
	for (size_t i = 0; i < g->n_input; i++) {
		/* old models list initializers among the inputs */
		if (g->input[i]->name && nn_find(nn, g->input[i]->name) >= 0)
			continue;
		if (add_input(nn, g->input[i], err))
			goto fail;
	}
	for (size_t i = 0; i < g->n_node; i++)
		if (add_node(nn, g->node[i], err))
			goto fail;
	for (size_t i = 0; i < g->n_output; i++)
		if (tl_nn_add_output(nn, g->output[i]->name ? g->output[i]->name :
		    "", err))
			goto fail;
	return nn;
fail:
	tl_nn_free(nn);
	return NULL;
}

struct tl_nn *
tl_nn_read_onnx_mem(const void *buf, size_t len, struct tl_err *err)
{
	Onnx__ModelProto *m;
	struct tl_nn *nn;

	m = onnx__model_proto__unpack(NULL, len, buf);
	if (m == NULL) {
		tl_err_set(err, "not an ONNX model (protobuf parse failed)");
		return NULL;
	}
	nn = build(m, err);
	onnx__model_proto__free_unpacked(m, NULL);
	return nn;
}

struct tl_nn *
tl_nn_read_onnx(const char *path, struct tl_err *err)
{
	struct tl_nn *nn = NULL;
	struct stat st;
	FILE *f;
	char *buf;

	if ((f = fopen(path, "rb")) == NULL) {
		tl_err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > MAX_FILE) {
		tl_err_set(err, "%s: not a regular file of at most 2 GB", path);
		fclose(f);
		return NULL;
	}
	if ((buf = malloc(st.st_size + 1)) == NULL) {
		tl_err_set(err, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, st.st_size, f) != (size_t)st.st_size)
		tl_err_set(err, "%s: read error", path);
	else if ((nn = tl_nn_read_onnx_mem(buf, st.st_size, err)) == NULL)
		tl_err_prefix(err, "%s", path);
	free(buf);
	fclose(f);
	return nn;
}

struct tl_nn *
tl_nn_load_onnx(const char *path, const struct tl_nn_opts *opts,
    struct tl_err *err)
{
	struct tl_nn *nn = tl_nn_read_onnx(path, err);

	if (nn && tl_nn_finish(nn, opts, err)) {
		tl_err_prefix(err, "%s", path);
		tl_nn_free(nn);
		return NULL;
	}
	return nn;
}
