/*
 * test_keras.c - the Keras TF.js-layers loader (lib/nn/keras.c) run by the
 * engine and compared with tfjs itself:
 *   1. tests/model/tiny/: a tiny model made by tests/model/tiny.js with its
 *      tfjs outputs (asymmetric "same" padding, Flatten order, pools, a
 *      depth multiplier, uint8/uint16/float32 weights); 1e-5.
 *   2. small model.json files written here: a Sequential with a hand-computed
 *      output, then hostile variants, each refused with its message.
 *   3. models/mobilenetv2 and models/inceptionv3 (make model) on the PNGs of
 *      tests/model/img/ against the tfjs outputs committed beside them
 *      (tests/model/reference.sh): the global average of the feature layer
 *      and the package's 5 probabilities, to 1e-4 relative (absolute floor
 *      1e-5 for features, 1e-6 for probabilities, for values near 0).
 * Run from the top of the tree (tests/run does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <vips/vips.h>

#include "nn/keras.h"
#include "scratch.h"
#include "t.h"

/* max over i of |got-want| - (atol + rtol|want|): <= 0 is a pass */
static double
excess(const float *got, json_t *want, double atol, double rtol, double *maxabs)
{
	double worst = -1e30;
	size_t i;
	json_t *v;

	*maxabs = 0;
	json_array_foreach(want, i, v) {
		double w = json_number_value(v), d = fabs(got[i] - w);
		if (d > *maxabs)
			*maxabs = d;
		if (d - (atol + rtol * fabs(w)) > worst)
			worst = d - (atol + rtol * fabs(w));
	}
	return worst;
}

static void
check_vec(const char *what, const float *got, size_t n, json_t *want, double atol, double rtol)
{
	char name[256];
	double maxabs, ex;

	if (!json_is_array(want) || json_array_size(want) != n) {
		snprintf(name, sizeof name, "%s: reference has %zu values, got %zu", what,
		    json_array_size(want), n);
		T_OK(name, 0);
		return;
	}
	ex = excess(got, want, atol, rtol, &maxabs);
	snprintf(name, sizeof name, "%s (max abs err %.3g)", what, maxabs);
	T_OK(name, ex <= 0);
}

static json_t *
load_json(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	if (j == NULL)
		printf("  %s:%d: %s\n", path, je.line, je.text);
	return j;
}

/* 1 ------------------------------------------------------------------- */

static void
test_tiny(void)
{
	static const char *const outs[] = { "dense", "flat_a", "cat" };
	struct tl_err err = { "" };
	json_t *ex = load_json("tests/model/tiny/expected.json");
	struct tl_nn *nn = tl_nn_read_keras("tests/model/tiny", &err);
	float *in = NULL, *o[3] = { NULL };
	struct tl_nn_io io_in, io_out[3];
	json_t *iv;
	size_t i;
	int ok;

	T_OK("keras tiny: expected.json", ex != NULL);
	if (nn == NULL)
		printf("  %s\n", err.msg);
	T_OK("keras tiny: read", nn != NULL);
	if (ex == NULL || nn == NULL)
		goto done;
	ok = tl_nn_add_output(nn, "flat_a", &err) == 0 &&
	    tl_nn_add_output(nn, "cat", &err) == 0 && tl_nn_finish(nn, NULL, &err) == 0;
	if (!ok)
		printf("  %s\n", err.msg);
	T_OK("keras tiny: outputs and finish", ok);
	if (!ok)
		goto done;
	iv = json_object_get(json_object_get(ex, "input"), "values");
	in = malloc(json_array_size(iv) * sizeof *in);
	for (i = 0; i < json_array_size(iv); i++)
		in[i] = json_number_value(json_array_get(iv, i));
	io_in = (struct tl_nn_io){ "input_1", in, TL_NN_NHWC };
	for (int k = 0; k < 3; k++) {
		json_t *w = json_object_get(json_object_get(json_object_get(ex, "outputs"), outs[k]), "values");
		o[k] = calloc(json_array_size(w) + 1, sizeof *o[k]);
		io_out[k] = (struct tl_nn_io){ outs[k], o[k], TL_NN_NHWC };
	}
	ok = tl_nn_run_io(nn, 2, &io_in, 1, io_out, 3, &err) == 0;
	if (!ok)
		printf("  %s\n", err.msg);
	T_OK("keras tiny: run", ok);
	if (ok)
		for (int k = 0; k < 3; k++) {
			char what[64];
			json_t *w = json_object_get(json_object_get(json_object_get(ex, "outputs"), outs[k]), "values");
			snprintf(what, sizeof what, "keras tiny: %s vs tfjs", outs[k]);
			check_vec(what, o[k], json_array_size(w), w, 1e-5, 1e-5);
		}
done:
	free(in);
	for (int k = 0; k < 3; k++)
		free(o[k]);
	tl_nn_free(nn);
	json_decref(ex);
}

/* 2 ------------------------------------------------------------------- */

/* A Sequential: [2,2,1] -> Flatten -> Dense(1); kernel and bias float32 */
static const char seq_json[] =
	"{\"modelTopology\": {\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
	"{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flat\", \"batch_input_shape\": [null, 2, 2, 1]}},"
	"{\"class_name\": \"%s\", \"config\": {\"name\": \"dense\", \"units\": 1, \"activation\": \"linear\"}}]}},"
	"\"weightsManifest\": [{\"paths\": [\"%s\"], \"weights\": ["
	"{\"name\": \"dense/kernel\", \"shape\": [%d, 1], \"dtype\": \"float32\"},"
	"{\"name\": \"dense/bias\", \"shape\": [1], \"dtype\": \"float32\"%s}]}]}";

struct hostile {
	const char *name, *cls, *path;
	int k;
	const char *quant;
	int shard_floats;
	const char *want;	/* error substring; NULL: loads */
};

/* scratch_dir/rel holding len bytes of buf; a failure ends the test. */
static void
write_file(const char *rel, const void *buf, size_t len)
{
	if (spit_bytes(rel, buf, len) != 0) {
		printf("FAIL keras: cannot write %s\n", at(rel));
		exit(1);
	}
}

static void
test_small(void)
{
	static const struct hostile cases[] = {
		{ "sequential loads", "Dense", "w.bin", 4, "", 5, NULL },
		{ "unknown layer", "LSTM", "w.bin", 4, "", 5, "layer 'dense' (LSTM): unsupported layer class" },
		{ "wrong kernel shape", "Dense", "w.bin", 3, "", 4, "weight dense/kernel has shape [3,1], want [4,1]" },
		{ "short shard", "Dense", "w.bin", 4, "", 4, "shards hold 16 bytes, the weights need more" },
		{ "long shard", "Dense", "w.bin", 4, "", 6, "shards hold 24 bytes, the weights 20" },
		{ "shard path ..", "Dense", "../w.bin", 4, "", 5, "bad shard path" },
		{ "shard missing", "Dense", "none.bin", 4, "", 5, "none.bin: No such file" },
		{ "bad quantization", "Dense", "w.bin", 4,
		  ", \"quantization\": {\"dtype\": \"int4\", \"min\": 0, \"scale\": 1}", 5,
		  "unsupported quantization dtype int4" },
	};
	const float w[6] = { 0.5f, 0.25f, -1.0f, 2.0f, 0.125f, 0 };
	char json[4096], name[128];

	if (scratch_new("test_keras") == NULL) {
		T_OK("keras: mkdtemp", 0);
		return;
	}
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct hostile *h = &cases[c];
		struct tl_err err = { "" };
		struct tl_nn *nn;

		snprintf(json, sizeof json, seq_json, h->cls, h->path, h->k, h->quant);
		write_file("model.json", json, strlen(json));
		write_file("w.bin", w, h->shard_floats * sizeof(float));
		nn = tl_nn_read_keras(scratch_dir, &err);
		snprintf(name, sizeof name, "keras: %s", h->name);
		if (h->want == NULL) {
			float in[4] = { 1, 2, 3, 4 }, out[1] = { 0 };
			int ok = nn != NULL && tl_nn_finish(nn, NULL, &err) == 0 &&
			    tl_nn_run(nn, in, 1, out, &err) == 0;
			if (!ok)
				printf("  %s\n", err.msg);
			/* 0.5 + 0.5 - 3 + 8 + 0.125 */
			T_OK(name, ok && out[0] == 6.125f);
		} else {
			if (nn != NULL || strstr(err.msg, h->want) == NULL)
				printf("  got \"%s\", want \"...%s...\"\n", nn ? "(loaded)" : err.msg, h->want);
			T_OK(name, nn == NULL && strstr(err.msg, h->want) != NULL);
		}
		tl_nn_free(nn);
	}
	{
		struct tl_err err = { "" };
		write_file("model.json", "{\"modelTopology\": [1,", 21);
		T_OK("keras: truncated json refused",
		    tl_nn_read_keras(scratch_dir, &err) == NULL && strstr(err.msg, "model.json:1:") != NULL);
		remove(at("model.json"));
		T_OK("keras: missing model.json refused",
		    tl_nn_read_keras(scratch_dir, &err) == NULL && strstr(err.msg, "No such file") != NULL);
	}
	scratch_close(1);
}

/* 3 ------------------------------------------------------------------- */

/* PNG -> [H,W,3] float32 x/255 appended at dst; 0 or -1 */
static int
read_png(const char *path, int size, float *dst)
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
		dst[i] = (float)px[i] / 255.0f;	/* tfjs: toFloat().div(255) */
	g_free(px);
	return 0;
}

static void
test_backbone(const char *model, int size, const char *feat, int dim)
{
	char dir[256], ref[256], name[1024], path[512];
	struct tl_err err = { "" };
	json_t *rj = NULL, *ims, *im;
	struct tl_nn *nn = NULL;
	float *in = NULL, *fm = NULL, *pr = NULL;
	int n, fh = 0, fw = 0, ok;
	int64_t dims[TL_NN_MAXRANK];
	size_t i;

	snprintf(dir, sizeof dir, "models/%s", model);
	snprintf(ref, sizeof ref, "tests/model/%s.json", model);
	snprintf(path, sizeof path, "%s/model.json", dir);
	if (access(path, R_OK) != 0) {
		printf("FAIL keras %s: %s missing: run make model\n", model, path);
		t_failed = 1;
		return;
	}
	if ((rj = load_json(ref)) == NULL) {
		T_OK(ref, 0);
		return;
	}
	ims = json_object_get(rj, "images");
	n = json_array_size(ims);
	nn = tl_nn_read_keras(dir, &err);
	ok = nn != NULL && tl_nn_add_output(nn, feat, &err) == 0 &&
	    tl_nn_finish(nn, NULL, &err) == 0;
	if (!ok)
		printf("  %s\n", err.msg);
	snprintf(name, sizeof name, "keras %s: load", model);
	T_OK(name, ok);
	if (!ok || n == 0)
		goto done;
	in = malloc((size_t)n * size * size * 3 * sizeof *in);
	json_array_foreach(ims, i, im) {
		const char *f = json_string_value(json_object_get(im, "file"));
		snprintf(path, sizeof path, "tests/model/img/%s", f ? f : "?");
		if (read_png(path, size, in + i * size * size * 3) != 0) {
			snprintf(name, sizeof name, "keras %s: read %s", model, path);
			T_OK(name, 0);
			goto done;
		}
	}
	/* one run of the whole batch: feature map [n,fh,fw,dim] and probs */
	if (tl_nn_tensor_shape(nn, feat, dims, &err) == 4 && dims[1] == dim) {
		fh = dims[2], fw = dims[3];
	}
	snprintf(name, sizeof name, "keras %s: %s is [N,%d,H,W]", model, feat, dim);
	T_OK(name, fh > 0 && fw > 0);
	if (fh <= 0)
		goto done;
	fm = malloc((size_t)n * fh * fw * dim * sizeof *fm);
	pr = malloc((size_t)n * 5 * sizeof *pr);
	{
		struct tl_nn_io io_in = { "input_1", in, TL_NN_NHWC };
		struct tl_nn_io io_out[2] = { { feat, fm, TL_NN_NHWC }, { "dense_3", pr, TL_NN_NHWC } };
		ok = tl_nn_run_io(nn, n, &io_in, 1, io_out, 2, &err) == 0;
	}
	if (!ok)
		printf("  %s\n", err.msg);
	snprintf(name, sizeof name, "keras %s: run %d images", model, n);
	T_OK(name, ok);
	if (!ok)
		goto done;
	json_array_foreach(ims, i, im) {
		const char *f = json_string_value(json_object_get(im, "file"));
		float *avg = calloc(dim, sizeof *avg);
		for (int c = 0; c < dim; c++) {
			double s = 0;
			for (int p = 0; p < fh * fw; p++)
				s += fm[((size_t)i * fh * fw + p) * dim + c];
			avg[c] = s / (fh * fw);
		}
		snprintf(name, sizeof name, "keras %s %s: features", model, f);
		check_vec(name, avg, dim, json_object_get(im, "features"), 1e-5, 1e-4);
		snprintf(name, sizeof name, "keras %s %s: probabilities", model, f);
		check_vec(name, pr + i * 5, 5, json_object_get(im, "probs"), 1e-6, 1e-4);
		free(avg);
	}
done:
	free(in);
	free(fm);
	free(pr);
	tl_nn_free(nn);
	json_decref(rj);
}

int
main(int argc, char **argv)
{
	if (VIPS_INIT(argv[0]) != 0) {
		printf("FAIL keras: vips_init\n");
		return 1;
	}
	test_tiny();
	test_small();
	test_backbone("mobilenetv2", 224, "out_relu", 1280);
	test_backbone("inceptionv3", 299, "mixed10", 2048);
	vips_shutdown();
	T_DONE();
}
