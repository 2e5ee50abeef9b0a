/*
 * test_nn_torch.c - lib/nn against PyTorch and against hostile input.
 * tests/nn/tiny.onnx and tiny_bn.onnx are a small torchvision-style network
 * exported by tests/nn/make_torch_ref.py, which also wrote PyTorch's
 * outputs beside them; they must match to 1e-4 relative.  Also: NHWC and
 * NCHW entry points agree, 1 and 2 threads give identical bits, a batch of
 * one equals its row of a batch of two, an intermediate output is reachable,
 * the builder API computes what a naive loop computes, and truncated,
 * corrupted or empty model files fail cleanly with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "ref.h"
#include "scratch.h"
#include "t.h"

#define DIR "tests/nn/"


/* max |got - want| / (max |want|), and elementwise within rtol*(|w|+scale) */
static int
close_rel(const float *got, const float *want, size_t n, double rtol,
    double *worst)
{
	double scale = 0;
	int ok = 1;

	*worst = 0;
	for (size_t i = 0; i < n; i++)
		scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		if (!(d <= rtol * (fabs(want[i]) + scale)))
			ok = 0;
		if (d / (scale ? scale : 1) > *worst || d != d)
			*worst = d != d ? INFINITY : d / (scale ? scale : 1);
	}
	return ok;
}


static void
torch_model(const char *file, const char *label)
{
	struct tl_nn_opts o;
	struct tl_err err = { "" };
	struct tl_nn *nn, *nn2;
	float *in = load_f32(DIR "tiny.in.f32", 2 * 3 * 32 * 32);
	float *prob = load_f32(DIR "tiny.out.f32", 2 * 10);
	float *feat = load_f32(DIR "tiny.feat.f32", 2 * 32 * 9 * 9);
	float *nhwc = malloc(2 * 3 * 32 * 32 * sizeof *nhwc);
	float gp[20], gf[2 * 32 * 9 * 9], gp2[20], g1[10], gfh[2 * 32 * 9 * 9];
	float fnhwc[2 * 32 * 9 * 9];
	struct tl_nn_io i = { "image", in, TL_NN_NCHW };
	struct tl_nn_io out[2] = { { "prob", gp, TL_NN_NCHW },
	    { "feat", gf, TL_NN_NCHW } };
	int64_t dims[TL_NN_MAXRANK];
	char name[200];
	double worst;
	int r;

	T_OK("torch reference files", in && prob && feat && nhwc);
	if (!in || !prob || !feat || !nhwc)
		goto out;
	to_nhwc(in, nhwc, 2, 3, 32, 32);
	to_nhwc(feat, fnhwc, 2, 32, 9, 9);
	tl_nn_opts_init(&o);
	o.threads = 1;
	nn = tl_nn_load_onnx(file, &o, &err);
	snprintf(name, sizeof name, "%s load", label);
	T_OK(name, nn != NULL);
	if (nn == NULL) {
		printf("  %s\n", err.msg);
		goto out;
	}
	r = tl_nn_run_io(nn, 2, &i, 1, out, 2, &err);
	snprintf(name, sizeof name, "%s run_io", label);
	T_EQ_INT(name, r, 0);
	snprintf(name, sizeof name, "%s prob matches torch to 1e-4 rel", label);
	T_OK(name, close_rel(gp, prob, 20, 1e-4, &worst));
	printf("  %s prob: max error %.3g of max |value|\n", label, worst);
	snprintf(name, sizeof name, "%s feat matches torch to 1e-4 rel", label);
	T_OK(name, close_rel(gf, feat, 2 * 32 * 81, 1e-4, &worst));
	printf("  %s feat: max error %.3g of max |value|\n", label, worst);

	/* the simple entry point: NHWC in, first output */
	r = tl_nn_run(nn, nhwc, 2, gp2, &err);
	snprintf(name, sizeof name, "%s tl_nn_run NHWC equals NCHW run", label);
	T_OK(name, r == 0 && memcmp(gp, gp2, sizeof gp) == 0);
	r = tl_nn_output_shape(nn, dims, &err);
	snprintf(name, sizeof name, "%s output shape [2,10]", label);
	T_OK(name, r == 2 && dims[0] == 2 && dims[1] == 10);

	/* batch of one */
	r = tl_nn_run(nn, nhwc + 3 * 32 * 32, 1, g1, &err);
	snprintf(name, sizeof name, "%s batch 1 equals row 1 of batch 2", label);
	T_OK(name, r == 0 && close_rel(g1, gp + 10, 10, 1e-6, &worst));

	/* intermediate layer, NHWC */
	r = tl_nn_set_output(nn, "feat", &err);
	snprintf(name, sizeof name, "%s set_output feat", label);
	T_EQ_INT(name, r, 0);
	r = tl_nn_run(nn, nhwc, 2, gfh, &err);
	snprintf(name, sizeof name, "%s feat NHWC matches torch", label);
	T_OK(name, r == 0 && close_rel(gfh, fnhwc, 2 * 32 * 81, 1e-4, &worst));
	r = tl_nn_output_shape(nn, dims, &err);
	snprintf(name, sizeof name, "%s feat shape [2,32,9,9]", label);
	T_OK(name, r == 4 && dims[0] == 2 && dims[1] == 32 && dims[2] == 9 &&
	    dims[3] == 9);
	r = 0;
	for (int k = 0; tl_nn_list_tensors(nn, k, NULL); k++)
		r += strcmp(tl_nn_list_tensors(nn, k, NULL), "feat") == 0;
	snprintf(name, sizeof name, "%s list_tensors names feat", label);
	T_EQ_INT(name, r, 1);

	/* threads: identical bits */
	o.threads = 2;
	nn2 = tl_nn_load_onnx(file, &o, &err);
	r = nn2 ? tl_nn_run(nn2, nhwc, 2, gp2, &err) : -1;
	snprintf(name, sizeof name, "%s 2 threads equal 1 thread bit for bit",
	    label);
	T_OK(name, r == 0 && memcmp(gp, gp2, sizeof gp) == 0);
	tl_nn_free(nn2);
	tl_nn_free(nn);
out:
	free(in);
	free(prob);
	free(feat);
	free(nhwc);
}

static void
hostile(void)
{
	size_t len = 0;
	unsigned char *buf = (unsigned char *)slurp(DIR "tiny.onnx", &len), *mut = malloc(len + 1);
	struct tl_err err = { "" };
	struct tl_nn *nn;
	int clean = 1, loaded = 0;
	uint32_t rng = 12345;

	T_OK("hostile: model read", len > 1000);
	if (buf == NULL || mut == NULL || len == 0) {
		g_free(buf);
		free(mut);
		return;
	}
	nn = tl_nn_load_onnx("/nonexistent/model.onnx", NULL, &err);
	T_OK("hostile: missing file fails with a message",
	    nn == NULL && strstr(err.msg, "No such file") != NULL);
	nn = tl_nn_read_onnx_mem(buf, 0, &err);
	/* an empty buffer is a valid empty ModelProto: no graph */
	T_OK("hostile: empty file fails", nn == NULL && err.msg[0]);
	nn = tl_nn_read_onnx_mem("\x12\xff\xff\xff\xff\x0fgarbage", 16, &err);
	T_OK("hostile: garbage fails", nn == NULL && err.msg[0]);
	/* every truncation fails or loads; none crashes */
	for (size_t cut = 1; cut < len; cut += len / 97 + 1) {
		err.msg[0] = '\0';
		nn = tl_nn_read_onnx_mem(buf, cut, &err);
		if (nn == NULL && err.msg[0] == '\0')
			clean = 0;
		if (nn && tl_nn_finish(nn, NULL, &err) == 0)
			loaded++;
		tl_nn_free(nn);
	}
	T_OK("hostile: truncated models fail with a message", clean);
	/* random byte corruption: load and finish never crash */
	for (int k = 0; k < 300; k++) {
		memcpy(mut, buf, len);
		for (int j = 0; j < 4; j++) {
			rng = rng * 1664525u + 1013904223u;
			mut[(rng >> 8) % len] = (unsigned char)(rng >> 24);
		}
		err.msg[0] = '\0';
		nn = tl_nn_read_onnx_mem(mut, len, &err);
		if (nn && tl_nn_finish(nn, NULL, &err) != 0)
			clean &= err.msg[0] != '\0';
		tl_nn_free(nn);
	}
	T_OK("hostile: corrupted models load or fail with a message", clean);
	printf("  truncated prefixes that still loaded: %d\n", loaded);
	g_free(buf);
	free(mut);
}

/* Builder: x [N,2,4,4] -> Conv 3x3 pad 1 (3 out) -> Relu -> GAP -> Flatten
 * -> Gemm (transB) [N,2]; checked against plain loops. */
static void
builder(void)
{
	struct tl_err err = { "" };
	struct tl_nn *nn = tl_nn_new(&err);
	int64_t xd[4] = { -1, 2, 4, 4 }, wd[4] = { 3, 2, 3, 3 }, bd[1] = { 3 },
	    gd[2] = { 2, 3 }, gbd[1] = { 2 }, pads[4] = { 1, 1, 1, 1 };
	float w[54], b[3], g[6], gb[2], x[2 * 32], xh[2 * 32], got[4], want[4];
	struct tl_nn_attr ca[2] = {
		{ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pads, .n = 4 },
		{ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = wd + 2,
		  .n = 2 },
	};
	struct tl_nn_attr ga = { .name = "transB", .type = TL_NN_ATTR_INT,
	    .i = 1 };
	struct tl_nn_attr bad = { .name = "auto_pad", .type = TL_NN_ATTR_STRING,
	    .s = "SIDEWAYS" };
	const char *ci[] = { "x", "w", "b" }, *co[] = { "c" }, *ri[] = { "c" },
	    *ro[] = { "r" }, *pi[] = { "r" }, *po[] = { "p" }, *fi[] = { "p" },
	    *fo[] = { "f" }, *gi[] = { "f", "g", "gb" }, *go[] = { "y" },
	    *zi[] = { "x" }, *zo[] = { "z" };
	int ok = 1, r;

	for (int i = 0; i < 54; i++)
		w[i] = (float)((i * 7 % 11) - 5) / 8;
	for (int i = 0; i < 3; i++)
		b[i] = (float)i / 4 - 0.25f;
	for (int i = 0; i < 6; i++)
		g[i] = (float)(i - 2) / 3;
	gb[0] = 0.5f, gb[1] = -1;
	for (int i = 0; i < 64; i++)
		x[i] = (float)((i * 13 % 17) - 8) / 5;	/* NCHW [2,2,4,4] */
	to_nhwc(x, xh, 2, 2, 4, 4);
	for (int n = 0; n < 2; n++) {
		float pool[3];
		for (int o = 0; o < 3; o++) {
			double s = 0;
			for (int y = 0; y < 4; y++)
				for (int xx = 0; xx < 4; xx++) {
					double a = b[o];
					for (int c = 0; c < 2; c++)
						for (int ky = 0; ky < 3; ky++)
							for (int kx = 0; kx < 3; kx++) {
								int iy = y + ky - 1, ix = xx + kx - 1;
								if (iy < 0 || iy > 3 || ix < 0 || ix > 3)
									continue;
								a += w[((o * 2 + c) * 3 + ky) * 3 + kx] *
								    x[((n * 2 + c) * 4 + iy) * 4 + ix];
							}
					s += a > 0 ? a : 0;
				}
			pool[o] = (float)(s / 16);
		}
		for (int k = 0; k < 2; k++)
			want[n * 2 + k] = gb[k] + g[k * 3] * pool[0] +
			    g[k * 3 + 1] * pool[1] + g[k * 3 + 2] * pool[2];
	}
	ok &= nn != NULL;
	ok &= tl_nn_add_input(nn, "x", 4, xd, &err) == 0;
	ok &= tl_nn_add_weights(nn, "w", 4, wd, w, &err) == 0;
	ok &= tl_nn_add_weights(nn, "b", 1, bd, b, &err) == 0;
	ok &= tl_nn_add_weights(nn, "g", 2, gd, g, &err) == 0;
	ok &= tl_nn_add_weights(nn, "gb", 1, gbd, gb, &err) == 0;
	ok &= tl_nn_add_node(nn, "conv", "Conv", ci, 3, co, 1, ca, 2, &err) == 0;
	ok &= tl_nn_add_node(nn, "relu", "Relu", ri, 1, ro, 1, NULL, 0, &err) == 0;
	ok &= tl_nn_add_node(nn, "gap", "GlobalAveragePool", pi, 1, po, 1, NULL,
	    0, &err) == 0;
	ok &= tl_nn_add_node(nn, "flat", "Flatten", fi, 1, fo, 1, NULL, 0,
	    &err) == 0;
	ok &= tl_nn_add_node(nn, "fc", "Gemm", gi, 3, go, 1, &ga, 1, &err) == 0;
	T_OK("builder: graph built", ok);
	r = tl_nn_add_node(nn, "odd", "Conv", ci, 2, zo, 1, &bad, 1, &err);
	T_EQ_STR("builder: bad attribute named at load", r ? err.msg : "",
	    "node 'odd' (Conv): unsupported attribute auto_pad=SIDEWAYS");
	r = tl_nn_add_node(nn, "lstm", "LSTM", zi, 1, zo, 1, NULL, 0, &err);
	T_EQ_STR("builder: unsupported op named", r ? err.msg : "",
	    "node 'lstm' (LSTM): unsupported operator");
	ok &= tl_nn_add_output(nn, "y", &err) == 0;
	ok &= tl_nn_finish(nn, NULL, &err) == 0;
	T_OK("builder: finished", ok);
	if (!ok) {
		printf("  %s\n", err.msg);
		tl_nn_free(nn);
		return;
	}
	r = tl_nn_run(nn, xh, 2, got, &err);
	T_EQ_INT("builder: run", r, 0);
	for (int i = 0; i < 4; i++)
		T_NEAR("builder: output equals naive loops", got[i], want[i], 1e-5,
		    1e-5);
	r = tl_nn_set_output(nn, "c", &err);
	T_OK("builder: fused-away tensor refused with the replacement named",
	    r == -1 && strstr(err.msg, "'r'") != NULL);
	tl_nn_free(nn);
	tl_nn_free(NULL);
}

int
main(void)
{
	torch_model(DIR "tiny.onnx", "torch tiny");
	torch_model(DIR "tiny_bn.onnx", "torch tiny_bn");
	hostile();
	builder();
	T_DONE();
}
