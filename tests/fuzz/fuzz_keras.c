/*
 * fuzz_keras.c - libFuzzer target: a TF.js layers model (model.json and one
 * weight shard) through the Keras loader, as tl-embed loads a backbone.
 * The input is model.json, a NUL byte, then the shard's bytes (no NUL: an
 * empty shard); they are written as model.json and group1-shard1of1.bin in a
 * directory made once per process ($TMPDIR, removed at exit).  A model that
 * loads is finished, and run on one image of ones when its input is small.
 * Loading must fail with a message or give a graph that runs; never crash,
 * leak or allocate more than the files describe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/keras.h"

#define SHARD "group1-shard1of1.bin"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char dir[4096];

static void
cleanup(void)
{
	char p[4200];

	snprintf(p, sizeof p, "%s/model.json", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/" SHARD, dir);
	unlink(p);
	rmdir(dir);
}

static void
put(const char *name, const unsigned char *data, size_t size)
{
	char p[4200];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if ((f = fopen(p, "wb")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(p);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const unsigned char *nul = memchr(data, '\0', size);
	size_t nj = nul ? (size_t)(nul - data) : size;
	struct tl_nn_opts o = { .threads = 1 };
	int64_t d[TL_NN_MAXRANK], nin = 1, nout = 1;
	struct tl_err err;
	struct tl_nn *nn;
	int rin, rout;

	if (dir[0] == '\0') {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/fuzz_keras.XXXXXX", t && *t ? t : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror(dir);
			abort();
		}
		atexit(cleanup);
	}
	put("model.json", data, nj);
	put(SHARD, nul ? nul + 1 : data + size, nul ? size - nj - 1 : 0);
	if ((nn = tl_nn_load_keras(dir, &o, &err)) == NULL) {
		if (getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_keras: %s\n", err.msg);
		return 0;
	}
	rin = tl_nn_input_shape(nn, d, &err);
	for (int i = 0; i < rin; i++)
		nin *= d[i] > 0 ? d[i] : 1;
	rout = tl_nn_output_shape(nn, d, &err);
	for (int i = 0; i < rout; i++)
		nout *= d[i] > 0 ? d[i] : 1;
	if (rin > 0 && rout > 0 && nin <= 4096 && nout <= 65536) {
		float *in = malloc((size_t)nin * sizeof *in), *out = malloc((size_t)nout * sizeof *out);
		if (in == NULL || out == NULL)
			abort();
		for (int64_t i = 0; i < nin; i++)
			in[i] = 1;
		if (tl_nn_run(nn, in, 1, out, &err) != 0 && getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_keras: run: %s\n", err.msg);
		else if (getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_keras: ran, %lld in, %lld out\n", (long long)nin,
			        (long long)nout);
		free(in);
		free(out);
	}
	tl_nn_free(nn);
	return 0;
}
