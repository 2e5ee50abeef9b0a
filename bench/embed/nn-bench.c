/*
 * nn-bench.c - images per second of lib/nn on an ONNX model: random NHWC
 * input at the model's input size, one warm-up run, then timed runs.
 *   nn-bench model.onnx [batch [threads [runs]]]
 * Prints "model batch threads img/s cpu-ms/img" on one line: wall-clock
 * images per second and the process's CPU time (user+sys) per image over the
 * timed runs, the steadier number on a loaded machine.  Not part of make
 * check.  Build after `make`:
 *   cc -O2 -Ilib -o nn-bench bench/embed/nn-bench.c build/libtl.a \
 *     $(pkg-config --libs vips msgpack openblas libarchive libprotobuf-c \
 *     jansson) -lm -pthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sys/resource.h>

#include "nn/nn.h"

int
main(int argc, char **argv)
{
	struct tl_nn_opts o;
	struct tl_err err = { "" };
	struct tl_nn *nn;
	int64_t d[TL_NN_MAXRANK], per = 1, outper = 1;
	int batch = argc > 2 ? atoi(argv[2]) : 32, runs = argc > 4 ? atoi(argv[4]) : 3, r;
	struct timespec t0, t1;
	struct rusage u0, u1;
	float *in, *out;
	double s, cpu;

	if (argc < 2 || batch < 1 || runs < 1) {
		fprintf(stderr, "usage: nn-bench model.onnx [batch [threads [runs]]]\n");
		return 2;
	}
	tl_nn_opts_init(&o);
	o.threads = argc > 3 ? atoi(argv[3]) : 0;
	if ((nn = tl_nn_load_onnx(argv[1], &o, &err)) == NULL) {
		fprintf(stderr, "nn-bench: %s\n", err.msg);
		return 1;
	}
	r = tl_nn_input_shape(nn, d, &err);
	for (int k = 1; k < r; k++)
		per *= d[k];
	in = malloc(batch * per * sizeof *in);
	for (int64_t i = 0; i < batch * per; i++)
		in[i] = (float)((i * 2654435761u) % 1000) / 500 - 1;
	r = tl_nn_output_shape(nn, d, &err);
	for (int k = 1; k < r; k++)
		outper *= d[k];
	out = malloc(batch * outper * sizeof *out);
	if (tl_nn_run(nn, in, batch, out, &err)) {
		fprintf(stderr, "nn-bench: %s\n", err.msg);
		return 1;
	}
	getrusage(RUSAGE_SELF, &u0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < runs; i++)
		if (tl_nn_run(nn, in, batch, out, &err)) {
			fprintf(stderr, "nn-bench: %s\n", err.msg);
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &u1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (u1.ru_utime.tv_sec - u0.ru_utime.tv_sec + u1.ru_stime.tv_sec -
	    u0.ru_stime.tv_sec) + (u1.ru_utime.tv_usec - u0.ru_utime.tv_usec +
	    u1.ru_stime.tv_usec - u0.ru_stime.tv_usec) / 1e6;
	printf("%s %d %d %.1f %.2f\n", argv[1], batch, o.threads, runs * batch / s,
	    1e3 * cpu / (runs * batch));
	free(in);
	free(out);
	tl_nn_free(nn);
	return 0;
}
