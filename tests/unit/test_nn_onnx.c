/*
 * test_nn_onnx.c - the ONNX backend conformance tests (libonnx-testdata,
 * /usr/share/libonnx-testdata/data/node/test_X/) run through lib/nn: every
 * test whose operators are all supported and whose data is float (integer
 * inputs are bound as constants, as shape and index inputs must be) is
 * loaded, run and compared with its expected outputs to a per-operator
 * tolerance.  The rest are skipped: those using an unsupported operator
 * are counted in one summary line (and listed one per line when a name
 * filter is given: test_nn_onnx abs), the others are listed with the
 * reason; a test known to use an unsupported variant of a supported
 * operator must fail at load with a message, never crash.  A missing directory is a failure: make deps
 * installs it.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "onnx.pb-c.h"
#include "scratch.h"
#include "t.h"

#define DIR_NODE "/usr/share/libonnx-testdata/data/node"

/* op, tolerance: |got - want| <= tol * (1 + |want|) */
static const struct {
	const char *op;
	double tol;
} ops[] = {
	{ "Conv", 1e-4 }, { "BatchNormalization", 1e-5 }, { "Relu", 0 },
	{ "Clip", 0 }, { "Sigmoid", 1e-6 }, { "HardSigmoid", 1e-6 },
	{ "HardSwish", 1e-6 }, { "Add", 1e-6 }, { "Sub", 1e-6 },
	{ "Mul", 1e-6 }, { "Div", 1e-6 }, { "Concat", 0 }, { "MaxPool", 0 },
	{ "AveragePool", 1e-6 }, { "GlobalAveragePool", 1e-6 },
	{ "GlobalMaxPool", 0 }, { "Flatten", 0 }, { "Reshape", 0 },
	{ "Gemm", 1e-5 }, { "MatMul", 1e-5 }, { "Softmax", 1e-6 },
	{ "Pad", 0 }, { "Dropout", 0 }, { "Identity", 0 }, { "Transpose", 0 },
	{ "Squeeze", 0 }, { "Unsqueeze", 0 }, { "Shape", 0 }, { "Gather", 0 },
	{ "Constant", 0 },
};

/* Supported operators used in ways the engine refuses, on purpose: each
 * must fail at load (cleanly) with a message. */
static const struct {
	const char *test, *why;
} refused[] = {
	{ "test_averagepool_1d_default", "1-D pooling" },
	{ "test_averagepool_3d_default", "3-D pooling" },
	{ "test_maxpool_1d_default", "1-D pooling" },
	{ "test_maxpool_3d_default", "3-D pooling" },
	{ "test_maxpool_with_argmax_2d_precomputed_pads", "MaxPool Indices output" },
	{ "test_maxpool_with_argmax_2d_precomputed_strides", "MaxPool Indices output" },
	{ "test_batchnorm_epsilon_training_mode", "training_mode=1" },
	{ "test_batchnorm_example_training_mode", "training_mode=1" },
};

static int
op_index(const char *op)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].op, op) == 0)
			return (int)i;
	return -1;
}

static Onnx__TensorProto *
read_tensor(const char *dir, const char *kind, int i)
{
	char path[1024];
	size_t len;
	void *b;
	Onnx__TensorProto *t;

	snprintf(path, sizeof path, "%s/test_data_set_0/%s_%d.pb", dir, kind, i);
	if ((b = slurp(path, &len)) == NULL)
		return NULL;
	t = onnx__tensor_proto__unpack(NULL, len, b);
	g_free(b);
	return t;
}

static float *
tensor_floats(const Onnx__TensorProto *t, int64_t *n)
{
	float *v;

	*n = 1;
	for (size_t i = 0; i < t->n_dims; i++)
		*n *= t->dims[i];
	if ((v = malloc((*n + 1) * sizeof *v)) == NULL)
		return NULL;
	if (t->data_type == 7) {	/* int64: Shape's outputs */
		for (int64_t i = 0; i < *n; i++) {
			int64_t w;
			if (t->has_raw_data && t->raw_data.len == (size_t)*n * 8)
				memcpy(&w, t->raw_data.data + 8 * i, 8);
			else if (t->n_int64_data == (size_t)*n)
				w = t->int64_data[i];
			else {
				free(v);
				return NULL;
			}
			v[i] = (float)w;
		}
	} else if (*n == 0) {
		;
	} else if (t->has_raw_data && t->raw_data.len == (size_t)*n * 4)
		memcpy(v, t->raw_data.data, *n * 4);
	else if (t->n_float_data == (size_t)*n)
		memcpy(v, t->float_data, *n * 4);
	else {
		free(v);
		return NULL;
	}
	return v;
}

static int
is_refused(const char *name, const char **why)
{
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (strcmp(refused[i].test, name) == 0) {
			*why = refused[i].why;
			return 1;
		}
	return 0;
}

static int npass[64], nskip_op, nskip_type, nrefused, verbose;

static void
run_test(const char *name)
{
	char dir[1024], path[1100], label[300], why[600] = "";
	Onnx__ModelProto *m = NULL;
	Onnx__TensorProto *ins[16] = { 0 }, *outs[16] = { 0 };
	struct tl_nn_io in[16], out[16];
	float *want[16] = { 0 }, *got[16] = { 0 };
	int64_t wantn[16];
	const char *refusal;
	struct tl_err err = { "" };
	struct tl_nn *nn = NULL;
	int nin = 0, nout = 0, used[64] = { 0 }, ok = 1;
	double tol = 0;
	size_t len;
	void *b;

	snprintf(dir, sizeof dir, "%s/%s", DIR_NODE, name);
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	snprintf(label, sizeof label, "onnx %s", name);
	if ((b = slurp(path, &len)) == NULL ||
	    (m = onnx__model_proto__unpack(NULL, len, b)) == NULL ||
	    m->graph == NULL) {
		g_free(b);
		T_OK(label, !"model.onnx readable");
		return;
	}
	g_free(b);
	for (size_t i = 0; i < m->graph->n_node; i++) {
		int k = op_index(m->graph->node[i]->op_type);
		if (k < 0) {
			if (verbose)
				printf("skip %s: unsupported op %s\n", name,
				    m->graph->node[i]->op_type);
			nskip_op++;
			goto done;
		}
		if (!used[k]) {
			used[k] = 1;
			tol = ops[k].tol > tol ? ops[k].tol : tol;
		}
	}
	for (size_t i = 0; i < m->graph->n_output; i++) {
		const Onnx__TypeProto *tp = m->graph->output[i]->type;
		if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
		    (tp->tensor_type->elem_type != 1 &&
		    tp->tensor_type->elem_type != 7)) {
			printf("skip %s: output neither float nor int64\n", name);
			nskip_type++;
			goto done;
		}
	}
	for (size_t i = 0; i < m->graph->n_input && nin < 16; i++) {
		const Onnx__TypeProto *tp = m->graph->input[i]->type;
		int et = tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ?
		    tp->tensor_type->elem_type : -1;
		if (et != 1 && et != 7) {
			printf("skip %s: input of data type %d\n", name, et);
			nskip_type++;
			goto done;
		}
	}
	if (is_refused(name, &refusal)) {
		nn = tl_nn_read_onnx(path, &err);
		if (nn)
			for (size_t i = 0; i < m->graph->n_input; i++) {
				ins[i] = read_tensor(dir, "input", (int)i);
				if (ins[i] && ins[i]->data_type == 7)
					tl_nn_add_weights_i64(nn,
					    m->graph->input[i]->name,
					    (int)ins[i]->n_dims, ins[i]->dims,
					    ins[i]->int64_data, NULL);
			}
		if (nn && tl_nn_finish(nn, NULL, &err) == 0)
			printf("notice %s: expected a refusal (%s), loaded\n",
			    name, refusal);
		printf("skip %s: refused at load (%s): %s\n", name, refusal,
		    err.msg);
		nrefused++;
		goto done;
	}
	if ((nn = tl_nn_read_onnx(path, &err)) == NULL) {
		snprintf(why, sizeof why, "load: %s", err.msg);
		goto fail;
	}
	for (size_t i = 0; i < m->graph->n_input; i++, nin++) {
		const char *iname = m->graph->input[i]->name;
		if ((ins[i] = read_tensor(dir, "input", (int)i)) == NULL) {
			snprintf(why, sizeof why, "input_%zu.pb unreadable", i);
			goto fail;
		}
		if (ins[i]->data_type == 7) {
			int64_t *v = ins[i]->int64_data, n = 1;
			for (size_t d = 0; d < ins[i]->n_dims; d++)
				n *= ins[i]->dims[d];
			if (ins[i]->has_raw_data)
				v = (int64_t *)ins[i]->raw_data.data;
			(void)n;
			if (tl_nn_add_weights_i64(nn, iname, (int)ins[i]->n_dims,
			    ins[i]->dims, v, &err)) {
				snprintf(why, sizeof why, "bind: %s", err.msg);
				goto fail;
			}
			in[i].data = NULL;
		} else if ((in[i].data = tensor_floats(ins[i], &wantn[0])) == NULL) {
			snprintf(why, sizeof why, "input_%zu.pb: bad data", i);
			goto fail;
		}
		in[i].name = iname;
		in[i].layout = TL_NN_NCHW;
	}
	for (size_t i = 0; i < m->graph->n_output; i++, nout++) {
		if ((outs[i] = read_tensor(dir, "output", (int)i)) == NULL ||
		    (want[i] = tensor_floats(outs[i], &wantn[i])) == NULL) {
			snprintf(why, sizeof why, "output_%zu.pb unreadable", i);
			goto fail;
		}
		if ((got[i] = calloc(wantn[i] + 1, sizeof(float))) == NULL)
			goto fail;
		out[i].name = m->graph->output[i]->name;
		out[i].data = got[i];
		out[i].layout = TL_NN_NCHW;
		if (tl_nn_add_output(nn, out[i].name, &err)) {
			snprintf(why, sizeof why, "output: %s", err.msg);
			goto fail;
		}
	}
	if (tl_nn_finish(nn, NULL, &err)) {
		snprintf(why, sizeof why, "finish: %s", err.msg);
		goto fail;
	}
	{	/* only the float inputs are fed */
		struct tl_nn_io fin[16];
		int nf = 0;
		for (int i = 0; i < nin; i++)
			if (in[i].data)
				fin[nf++] = in[i];
		for (int i = 0; i < nout; i++) {
			int64_t dims[TL_NN_MAXRANK], n = 1;
			int r = tl_nn_tensor_shape(nn, out[i].name, dims, &err);
			for (int d = 0; d < r; d++)
				n *= dims[d];
			if (r < 0 || n != wantn[i]) {
				snprintf(why, sizeof why, "output %d: %lld elements, "
				    "want %lld (%s)", i, (long long)n,
				    (long long)wantn[i], r < 0 ? err.msg : "");
				goto fail;
			}
		}
		if (tl_nn_run_io(nn, 0, fin, nf, out, nout, &err)) {
			snprintf(why, sizeof why, "run: %s", err.msg);
			goto fail;
		}
	}
	for (int i = 0; i < nout && ok; i++)
		for (int64_t e = 0; e < wantn[i]; e++) {
			double g = got[i][e], w = want[i][e];
			if (!(fabs(g - w) <= tol * (1 + fabs(w))) &&
			    !(isnan(g) && isnan(w)) && !(isinf(w) && g == w)) {
				snprintf(why, sizeof why, "output %d[%lld] = %.9g, "
				    "want %.9g (tol %g)", i, (long long)e, g, w, tol);
				ok = 0;
				break;
			}
		}
	if (!ok)
		goto fail;
	T_OK(label, 1);
	for (int k = 0; k < 64; k++)
		npass[k] += used[k];
	goto done;
fail:
	printf("FAIL %s: %s\n", label, why);
	t_failed = 1;
done:
	for (int i = 0; i < 16; i++) {
		if (ins[i])
			onnx__tensor_proto__free_unpacked(ins[i], NULL);
		if (outs[i])
			onnx__tensor_proto__free_unpacked(outs[i], NULL);
		if (i < nin)
			free(in[i].data);
		free(want[i]);
		free(got[i]);
	}
	tl_nn_free(nn);
	onnx__model_proto__free_unpacked(m, NULL);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	DIR *d = opendir(DIR_NODE);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	T_OK("onnx testdata directory " DIR_NODE, d != NULL);
	if (d == NULL)
		T_DONE();
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "test_", 5) != 0)
			continue;
		if (argc > 1 && strstr(e->d_name, argv[1]) == NULL)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			names = realloc(names, cap * sizeof *names);
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	verbose = argc > 1;
	qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) {
		run_test(names[i]);
		free(names[i]);
	}
	free(names);
	printf("per operator (tests passed that use it):");
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
		printf(" %s=%d", ops[k].op, npass[k]);
	printf("\nskipped: %d unsupported op (listed when a name filter is "
	    "given), %d non-float data, %d refused variants\n", nskip_op,
	    nskip_type, nrefused);
	T_DONE();
}
