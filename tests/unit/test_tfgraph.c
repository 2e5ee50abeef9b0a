/*
 * test_tfgraph.c - the TF.js graph-model loader (lib/nn/tfgraph.c) run by
 * the engine:
 *   1. a small graph written here (a fused 1x1 convolution with Relu6,
 *      hard-swish written out, a Mean over H,W; its placeholder says 512x512
 *      and is loaded at 4x4) against the same arithmetic in double, then
 *      hostile variants, each refused with its message.
 *   2. models/centernet and models/rvm (make model; or $TL_GRAPH_MODELS
 *      holding centernet/ and rvm/) on tests/model/img/shapes.png and
 *      synthetic.png against the tfjs outputs committed as
 *      tests/model/centernet.json and rvm.json (graph-reference.sh), at four
 *      layers each: every channel's mean over H,W and 256 sampled values, to
 *      TOL_REL relative with an absolute floor of TOL_ABS times the layer's
 *      largest reference magnitude (values near 0 cancel).  SKIP when the
 *      models are not there.
 * Run from the top of the tree (tests/run does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <vips/vips.h>

#include "backbone/model.h"
#include "nn/tfgraph.h"
#include "scratch.h"
#include "t.h"

#define TOL_REL	2e-4
#define TOL_ABS	2e-5

/* 1 ------------------------------------------------------------------- */

static const char graph_json[] =
	"{\"format\": \"graph-model\", \"modelTopology\": {\"node\": ["
	"{\"name\": \"x\", \"op\": \"Placeholder\", \"attr\": {\"shape\": {\"shape\": {\"dim\": "
	"[{\"size\": \"1\"}, {\"size\": \"512\"}, {\"size\": \"512\"}, {\"size\": \"1\"}]}}}},"
	"{\"name\": \"w\", \"op\": \"Const\"}, {\"name\": \"b\", \"op\": \"Const\"},"
	"{\"name\": \"three\", \"op\": \"Const\"}, {\"name\": \"sixth\", \"op\": \"Const\"},"
	"{\"name\": \"axes\", \"op\": \"Const\"},"
	"{\"name\": \"conv\", \"op\": \"_FusedConv2D\", \"input\": [\"x\", \"w\", \"b\", \"^x\"], \"attr\": {"
	"\"strides\": {\"list\": {\"i\": [\"1\", \"1\", \"1\", \"1\"]}}, \"padding\": {\"s\": \"VkFMSUQ=\"},"
	"\"fused_ops\": {\"list\": {\"s\": [\"Qmlhc0FkZA==\", \"UmVsdTY=\"]}}, \"num_args\": {\"i\": \"1\"},"
	"\"data_format\": {\"s\": \"TkhXQw==\"}}},"
	"{\"name\": \"hs/mul\", \"op\": \"Mul\", \"input\": [\"sixth\", \"conv\"]},"
	"{\"name\": \"hs/add\", \"op\": \"AddV2\", \"input\": [\"conv\", \"three\"]},"
	"{\"name\": \"hs/relu6\", \"op\": \"Relu6\", \"input\": [\"hs/add\"]},"
	"{\"name\": \"hs/out\", \"op\": \"Mul\", \"input\": [\"hs/mul\", \"hs/relu6\"]},"
	"{\"name\": \"m\", \"op\": \"%s\", \"input\": [\"hs/out\", \"axes\"], \"attr\": {\"keep_dims\": {\"b\": true}}}"
	"%s]},"
	"\"weightsManifest\": [{\"paths\": [\"w.bin\"], \"weights\": ["
	"{\"name\": \"w\", \"shape\": [1, 1, 1, 2], \"dtype\": \"float32\"},"
	"{\"name\": \"b\", \"shape\": [2], \"dtype\": \"float32\"},"
	"{\"name\": \"three\", \"shape\": [], \"dtype\": \"float32\"},"
	"{\"name\": \"sixth\", \"shape\": [], \"dtype\": \"%s\"},"
	"{\"name\": \"axes\", \"shape\": [2], \"dtype\": \"int32\"}]}]}";

struct hostile {
	const char *name, *mop, *extra, *dtype;
	int shard;		/* bytes of w.bin */
	const char *in, *out;
	const char *want;	/* error substring; NULL: loads */
};

/* scratch_dir/rel holding len bytes of buf; a failure ends the test. */
static void
write_file(const char *rel, const void *buf, size_t len)
{
	if (spit_bytes(rel, buf, len) != 0) {
		printf("FAIL tfgraph: cannot write %s\n", at(rel));
		exit(1);
	}
}

static double
relu6(double v)
{
	return v < 0 ? 0 : v > 6 ? 6 : v;
}

static void
check_small(struct tl_nn *nn, const char *name)
{
	float in[16], out[2] = { 0 };
	double want[2] = { 0 };
	struct tl_err err = { "" };
	int ok;

	for (int i = 0; i < 16; i++) {
		double c[2];
		in[i] = (i - 6) * 0.5f;
		c[0] = relu6(2.0 * in[i] + 0.5), c[1] = relu6(-1.0 * in[i]);
		for (int k = 0; k < 2; k++)
			want[k] += c[k] * relu6(c[k] + 3) / 6 / 16;
	}
	ok = tl_nn_finish(nn, NULL, &err) == 0 && tl_nn_run(nn, in, 1, out, &err) == 0;
	if (!ok)
		printf("  %s\n", err.msg);
	T_OK(name, ok && fabs(out[0] - want[0]) < 1e-5 && fabs(out[1] - want[1]) < 1e-5);
}

static void
test_small(void)
{
	static const struct hostile cases[] = {
		{ "loads at 4x4 (placeholder 512x512)", "Mean", "", "float32", 32, NULL, "m", NULL },
		{ "upstream of the input never translated", "Mean",
		  ", {\"name\": \"up\", \"op\": \"TopKV2\", \"input\": [\"x\"]},"
		  "{\"name\": \"mid\", \"op\": \"Merge\", \"input\": [\"up\", \"up:1\"]},"
		  "{\"name\": \"r\", \"op\": \"Relu\", \"input\": [\"mid\"]}",
		  "float32", 32, "mid", "r", "" },
		{ "unsupported op", "TopKV2", "", "float32", 32, NULL, "m",
		  "node 'm' (TopKV2): unsupported op" },
		{ "cycle", "Mean",
		  ", {\"name\": \"c1\", \"op\": \"Relu\", \"input\": [\"c2\"]},"
		  "{\"name\": \"c2\", \"op\": \"Relu\", \"input\": [\"c1\"]}",
		  "float32", 32, NULL, "c1", "node 'c1' (Relu): part of a cycle" },
		{ "input names a missing node", "Mean",
		  ", {\"name\": \"r\", \"op\": \"Relu\", \"input\": [\"nope\"]}",
		  "float32", 32, NULL, "r", "node 'r' (Relu): input 'nope': no such node" },
		{ "second output", "Mean",
		  ", {\"name\": \"r\", \"op\": \"Relu\", \"input\": [\"conv:1\"]}",
		  "float32", 32, NULL, "r", "input 'conv:1': only a node's first output" },
		{ "input node missing", "Mean", "", "float32", 32, "ghost", "m",
		  "input node 'ghost': no such node" },
		{ "layer missing", "Mean", "", "float32", 32, NULL, "zz", "layer 'zz': no such node" },
		{ "constant as layer", "Mean", "", "float32", 32, NULL, "w",
		  "node 'w' (Const): a constant, not a layer" },
		{ "short weights", "Mean", "", "float32", 28, NULL, "m",
		  "shards hold 28 bytes, the weights need more" },
		{ "long weights", "Mean", "", "float32", 36, NULL, "m",
		  "shards hold 36 bytes, the weights 32" },
		{ "unknown dtype", "Mean", "", "complex64", 32, NULL, "m",
		  "weight 'sixth': unsupported dtype complex64" },
		{ "not a dilated convolution", "Mean",
		  ", {\"name\": \"bs\", \"op\": \"BatchToSpaceND\", \"input\": [\"conv\", \"axes\", \"axes\"]}",
		  "float32", 32, NULL, "bs", "node 'bs' (BatchToSpaceND): not a dilated convolution" },
		{ "two placeholders", "Mean", ", {\"name\": \"y\", \"op\": \"Placeholder\"}",
		  "float32", 32, NULL, "m", "more than one Placeholder" },
	};
	const float wv[6] = { 2.0f, -1.0f, 0.5f, 0.0f, 3.0f, 1.0f / 6.0f };
	const int32_t axes[3] = { 1, 2, 0 };
	unsigned char blob[40];
	char json[8192], name[256];

	memcpy(blob, wv, 24);
	memcpy(blob + 24, axes, 12);
	if (scratch_new("test_tfgraph") == NULL) {
		T_OK("tfgraph: mkdtemp", 0);
		return;
	}
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct hostile *h = &cases[c];
		struct tl_err err = { "" };
		struct tl_nn *nn;

		snprintf(json, sizeof json, graph_json, h->mop, h->extra, h->dtype);
		write_file("model.json", json, strlen(json));
		write_file("w.bin", blob, h->shard);
		nn = tl_nn_read_tfgraph(scratch_dir, h->in, 4, 4, &h->out, 1, &err);
		snprintf(name, sizeof name, "tfgraph: %s", h->name);
		if (h->want == NULL)
			check_small(nn, name);
		else if (h->want[0] == '\0') {
			if (nn == NULL)
				printf("  %s\n", err.msg);
			T_OK(name, nn != NULL && tl_nn_finish(nn, NULL, &err) == 0);
		} else {
			if (nn != NULL || strstr(err.msg, h->want) == NULL)
				printf("  got \"%s\", want \"...%s...\"\n", nn ? "(loaded)" : err.msg, h->want);
			T_OK(name, nn == NULL && strstr(err.msg, h->want) != NULL);
		}
		tl_nn_free(nn);
	}
	{
		struct tl_err err = { "" };
		const char *out = "m";
		write_file("model.json", "{\"format\": \"layers-model\", \"modelTopology\": {}}", 47);
		T_OK("tfgraph: a layers model refused",
		    tl_nn_read_tfgraph(scratch_dir, NULL, 4, 4, &out, 1, &err) == NULL &&
		    strstr(err.msg, "not a TF.js graph model") != NULL);
		remove(at("model.json"));
	}
	scratch_close(1);
}

/* 2 ------------------------------------------------------------------- */

/* PNG -> [H,W,3] float32 pixel values * mul appended at dst; 0 or -1 */
static int
read_png(const char *path, int size, float div, float *dst)
{
	VipsImage *im = vips_image_new_from_file(path, NULL);
	unsigned char *px;
	size_t len;

	if (im == NULL)
		return -1;
	if (im->Xsize != size || im->Ysize != size || im->Bands != 3 ||
	    im->BandFmt != VIPS_FORMAT_UCHAR) {
		g_object_unref(im);
		return -1;
	}
	px = vips_image_write_to_memory(im, &len);
	g_object_unref(im);
	if (px == NULL || len != (size_t)size * size * 3) {
		g_free(px);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		dst[i] = div == 1 ? (float)px[i] : (float)px[i] / div;	/* tfjs: div(255) */
	g_free(px);
	return 0;
}

/* got[n] against the reference array: worst |got-want| / (floor + |want|)
 * ratio to TOL_REL, and the largest absolute error */
static void
compare(const char *what, const float *got, size_t n, json_t *want, double floor_)
{
	char name[1024];
	double maxabs = 0, worst = 0;
	size_t i;
	json_t *v;
	int ok = json_is_array(want) && json_array_size(want) == n;

	if (ok)
		json_array_foreach(want, i, v) {
			double w = json_number_value(v), d = fabs(got[i] - w);
			double r = d / (floor_ + fabs(w));
			if (d > maxabs)
				maxabs = d;
			if (r > worst)
				worst = r;
		}
	snprintf(name, sizeof name, "%s (max abs err %.3g, worst rel %.3g)", what, maxabs, worst);
	T_OK(name, ok && worst <= TOL_REL);
}

static void
test_graph(const char *model, const char *const *layers, int nl)
{
	const char *env = getenv("TL_GRAPH_MODELS");
	char dir[512], ref[256], path[1024], name[1024];
	struct tl_err err = { "" };
	struct tl_model m;
	struct tl_nn *nn = NULL;
	json_t *rj = NULL, *ims, *im;
	float *in = NULL, *outs[8] = { NULL };
	struct tl_nn_io io_in, io_out[8];
	int64_t d[TL_NN_MAXRANK];
	int n, ok, size = 224;
	size_t i;

	snprintf(dir, sizeof dir, "%s/%s", env && *env ? env : "models", model);
	snprintf(path, sizeof path, "%s/model.json", dir);
	if (access(path, R_OK) != 0) {
		printf("SKIP tfgraph %s: %s missing (make model)\n", model, path);
		return;
	}
	snprintf(ref, sizeof ref, "tests/model/%s.json", model);
	rj = json_load_file(ref, 0, NULL);
	T_OK(ref, rj != NULL);
	ok = tl_model_open(dir, &m, &err) == 0;
	if (!ok)
		printf("  %s\n", err.msg);
	snprintf(name, sizeof name, "tfgraph %s: open (a graph model)", model);
	T_OK(name, ok && m.format == TL_MODEL_TFJS_GRAPH);
	if (rj == NULL || !ok)
		goto done;
	ims = json_object_get(rj, "images");
	n = json_array_size(ims);
	nn = tl_nn_read_tfgraph(dir, m.input_node, size, size, layers, nl, &err);
	ok = nn != NULL && tl_nn_finish(nn, NULL, &err) == 0;
	if (!ok)
		printf("  %s\n", err.msg);
	snprintf(name, sizeof name, "tfgraph %s: load", model);
	T_OK(name, ok);
	if (!ok || n == 0)
		goto done;
	in = malloc((size_t)n * size * size * 3 * sizeof *in);
	json_array_foreach(ims, i, im) {
		const char *f = json_string_value(json_object_get(im, "file"));
		snprintf(path, sizeof path, "tests/model/img/%s", f ? f : "?");
		if (read_png(path, size, strcmp(m.prep.scale, "[0,255]") == 0 ? 1 : 255,
		    in + i * size * size * 3) != 0) {
			snprintf(name, sizeof name, "tfgraph %s: read %s", model, path);
			T_OK(name, 0);
			goto done;
		}
	}
	io_in = (struct tl_nn_io){ m.input_node, in, TL_NN_NHWC };
	for (int k = 0; k < nl; k++) {
		int64_t per = 1;
		int r = tl_nn_set_output(nn, layers[k], &err) < 0 ? -1 :
		    tl_nn_tensor_shape(nn, layers[k], d, &err);
		if (r != 4) {
			printf("  %s\n", err.msg);
			T_OK("tfgraph: layer shape", 0);
			goto done;
		}
		for (int j = 1; j < r; j++)
			per *= d[j];
		outs[k] = malloc((size_t)n * per * sizeof *outs[k]);
		io_out[k] = (struct tl_nn_io){ layers[k], outs[k], TL_NN_NHWC };
	}
	ok = tl_nn_run_io(nn, n, &io_in, 1, io_out, nl, &err) == 0;
	if (!ok)
		printf("  %s\n", err.msg);
	snprintf(name, sizeof name, "tfgraph %s: run %d images", model, n);
	T_OK(name, ok);
	if (!ok)
		goto done;
	json_array_foreach(ims, i, im) {
		const char *f = json_string_value(json_object_get(im, "file"));
		for (int k = 0; k < nl; k++) {
			json_t *L = json_object_get(json_object_get(im, "layers"), layers[k]), *v;
			json_t *sh = json_object_get(L, "shape");
			int64_t H, W, C, per;
			float *o, *mean, sample[256];
			double big = 0;
			size_t j;

			if (tl_nn_tensor_shape(nn, layers[k], d, &err) != 4)
				d[1] = d[2] = d[3] = 0;
			C = d[1], H = d[2], W = d[3], per = H * W * C;
			snprintf(name, sizeof name, "tfgraph %s %s %s: shape %lldx%lldx%lld", model, f,
			    layers[k], (long long)H, (long long)W, (long long)C);
			T_OK(name, json_integer_value(json_array_get(sh, 0)) == H &&
			    json_integer_value(json_array_get(sh, 1)) == W &&
			    json_integer_value(json_array_get(sh, 2)) == C);
			o = outs[k] + i * per;
			mean = calloc(C, sizeof *mean);
			for (int c = 0; c < C; c++) {
				double s = 0;
				for (int64_t p = 0; p < H * W; p++)
					s += o[p * C + c];
				mean[c] = s / (H * W);
			}
			for (int s = 0; s < 256; s++)
				sample[s] = o[((int64_t)s * per / 256 + s) % per];
			json_array_foreach(json_object_get(L, "sample"), j, v)
				if (fabs(json_number_value(v)) > big)
					big = fabs(json_number_value(v));
			snprintf(name, sizeof name, "tfgraph %s %s %s: channel means", model, f, layers[k]);
			compare(name, mean, C, json_object_get(L, "mean"), TOL_ABS / TOL_REL * big);
			snprintf(name, sizeof name, "tfgraph %s %s %s: 256 values", model, f, layers[k]);
			compare(name, sample, 256, json_object_get(L, "sample"), TOL_ABS / TOL_REL * big);
			free(mean);
		}
	}
done:
	free(in);
	for (int k = 0; k < nl; k++)
		free(outs[k]);
	tl_nn_free(nn);
	json_decref(rj);
}

#define C_ "tower_0/MobilenetV3/"
#define R_ "StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/mobile_net_v3_encoder/"

int
main(int argc, char **argv)
{
	/* the layers of tests/model/graph-reference.sh */
	static const char *const centernet[] = { C_ "Conv/hard_swish/mul_1",
	    C_ "expanded_conv_5/add", C_ "expanded_conv_12/expand/hard_swish/mul_1",
	    C_ "expanded_conv_14/add" };
	static const char *const rvm[] = { R_ "conv_bn_activation/hardswish/mul",
	    R_ "inverted_residual_5/add",
	    R_ "inverted_residual_12/sequential_12/conv_bn_activation_36/hardswish_13/mul",
	    R_ "inverted_residual_14/add" };

	if (VIPS_INIT(argv[0]) != 0) {
		printf("FAIL tfgraph: vips_init\n");
		return 1;
	}
	(void)argc;
	test_small();
	test_graph("centernet", centernet, 4);
	test_graph("rvm", rvm, 4);
	vips_shutdown();
	T_DONE();
}
