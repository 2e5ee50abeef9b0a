/*
 * nn-driver - our engine (lib/nn) through its C API, for bench/embed/run:
 * the same measurement as ort.js and torch_peer.py, without image decoding.
 *
 * usage: nn-driver MODEL INPUT.f32 BATCH THREADS REPS IMAGES
 * MODEL is an .onnx file (tl_nn_load_onnx) or a model spec as tl-embed -m
 * takes (tl_model_open + tl_model_load: the backbone cut at its sidecar's
 * feature layer, e.g. "mobilenetv2" through the Keras loader).
 * Loads MODEL with opts.threads = THREADS, takes BATCH images of the shared
 * input (NCHW float32 3x224x224, transposed once to NHWC, the layout
 * tl_nn_run takes), then one warm-up repetition and REPS timed ones of
 * IMAGES images each (IMAGES/BATCH calls of tl_nn_run,
 * at least one).  Prints
 * "IPS <images/s>" per timed repetition on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string.h>

#include "backbone/model.h"
#include "nn/nn.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	struct tl_err err = { 0 };
	struct tl_nn_opts opts;
	int64_t dims[TL_NN_MAXRANK];
	enum { C = 3, H = 224, W = 224 };
	size_t per = (size_t)C * H * W, outper = 1;
	int batch, threads, reps, images, runs, rank;

	if (argc != 7) {
		fprintf(stderr, "usage: nn-driver MODEL INPUT BATCH THREADS REPS IMAGES\n");
		return 2;
	}
	batch = atoi(argv[3]), threads = atoi(argv[4]);
	reps = atoi(argv[5]), images = atoi(argv[6]);
	if (batch < 1 || threads < 1 || reps < 1 || images < 1) {
		fprintf(stderr, "nn-driver: bad BATCH, THREADS, REPS or IMAGES\n");
		return 2;
	}
	runs = (images + batch / 2) / batch;
	if (runs < 1)
		runs = 1;

	float *nchw = malloc(batch * per * sizeof *nchw);
	float *in = malloc(batch * per * sizeof *in);
	FILE *f = fopen(argv[2], "rb");
	if (!nchw || !in || !f || fread(nchw, sizeof *nchw, batch * per, f) != batch * per) {
		fprintf(stderr, "nn-driver: %s: cannot read %d images\n", argv[2], batch);
		return 1;
	}
	fclose(f);
	for (int n = 0; n < batch; n++)
		for (int c = 0; c < C; c++)
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++)
					in[(((size_t)n * H + y) * W + x) * C + c] =
					    nchw[(((size_t)n * C + c) * H + y) * W + x];
	free(nchw);

	tl_nn_opts_init(&opts);
	opts.threads = threads;
	size_t len = strlen(argv[1]);
	struct tl_nn *nn = NULL;
	if (len > 5 && strcmp(argv[1] + len - 5, ".onnx") == 0) {
		nn = tl_nn_load_onnx(argv[1], &opts, &err);
	} else {
		static struct tl_model m;

		if (tl_model_open(argv[1], &m, &err) == 0)
			nn = tl_model_load(&m, NULL, &opts, &err);
	}
	if (!nn || (rank = tl_nn_input_shape(nn, dims, &err)) < 0) {
		fprintf(stderr, "nn-driver: %s: %s\n", argv[1], err.msg);
		return 1;
	}
	/* logical order: NCHW for ONNX, NHWC for Keras; a fixed size must be ours */
	if (rank != 4 || (dims[1] > 0 && dims[2] > 0 && dims[3] > 0 &&
	    (size_t)(dims[1] * dims[2] * dims[3]) != per)) {
		fprintf(stderr, "nn-driver: %s: input is not %dx%dx%d\n", argv[1], H, W, C);
		return 1;
	}
	if ((rank = tl_nn_output_shape(nn, dims, &err)) < 0) {
		fprintf(stderr, "nn-driver: %s: %s\n", argv[1], err.msg);
		return 1;
	}
	for (int i = 1; i < rank; i++)
		outper *= (size_t)dims[i];
	float *out = malloc(batch * outper * sizeof *out);
	if (!out) {
		fprintf(stderr, "nn-driver: out of memory\n");
		return 1;
	}
	for (int rep = -1; rep < reps; rep++) {
		double t0 = now();

		for (int i = 0; i < runs; i++)
			if (tl_nn_run(nn, in, batch, out, &err) < 0) {
				fprintf(stderr, "nn-driver: run: %s\n", err.msg);
				return 1;
			}
		if (rep >= 0)
			printf("IPS %.3f\n", runs * batch / (now() - t0));
		fflush(stdout);
	}
	tl_nn_free(nn);
	free(in);
	free(out);
	return 0;
}
