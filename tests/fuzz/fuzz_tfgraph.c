/*
 * fuzz_tfgraph.c - libFuzzer target: a TF.js graph model (model.json and
 * one weight shard) through the graph-model loader, as tl-embed loads a
 * backbone.  The input is the name of the node to cut at, a newline,
 * model.json, a NUL byte, then the shard's bytes (no NUL: an empty shard);
 * the files are written as model.json and w.bin in a directory made once
 * per process ($TMPDIR, removed at exit).  The input node is the graph's
 * only Placeholder, at 8x8.  A model that loads is finished and run on one
 * image of ones when it is small.  Loading must fail with a message or give
 * a graph that runs; never crash, leak or allocate more than the files
 * describe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/tfgraph.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char dir[4096];

static void
cleanup(void)
{
	char p[4200];

	snprintf(p, sizeof p, "%s/model.json", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/w.bin", dir);
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
	const unsigned char *nl = memchr(data, '\n', size), *nul;
	struct tl_nn_opts o = { .threads = 1 };
	int64_t d[TL_NN_MAXRANK], nin = 1, nout = 1;
	struct tl_err err;
	struct tl_nn *nn;
	char layer[1100];
	const char *out = layer;
	size_t nj;
	int rin, rout;

	if (nl == NULL || (size_t)(nl - data) >= sizeof layer)
		return 0;
	memcpy(layer, data, nl - data);
	layer[nl - data] = '\0';
	size -= nl - data + 1;
	data = nl + 1;
	nul = memchr(data, '\0', size);
	nj = nul ? (size_t)(nul - data) : size;
	if (dir[0] == '\0') {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/fuzz_tfgraph.XXXXXX", t && *t ? t : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror(dir);
			abort();
		}
		atexit(cleanup);
	}
	put("model.json", data, nj);
	put("w.bin", nul ? nul + 1 : data + size, nul ? size - nj - 1 : 0);
	nn = tl_nn_read_tfgraph(dir, NULL, 8, 8, &out, 1, &err);
	if (nn != NULL && tl_nn_finish(nn, &o, &err) != 0) {
		tl_nn_free(nn);
		nn = NULL;
	}
	if (nn == NULL) {
		if (getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_tfgraph: %s\n", err.msg);
		return 0;
	}
	rin = tl_nn_input_shape(nn, d, &err);
	for (int i = 0; i < rin; i++)
		nin *= d[i] > 0 ? d[i] : 1;
	rout = tl_nn_output_shape(nn, d, &err);
	for (int i = 0; i < rout; i++)
		nout *= d[i] > 0 ? d[i] : 1;
	if (rin > 0 && rout > 0 && nin <= 4096 && nout <= 65536) {
		float *in = malloc((size_t)nin * sizeof *in), *o2 = malloc((size_t)nout * sizeof *o2);
		if (in == NULL || o2 == NULL)
			abort();
		for (int64_t i = 0; i < nin; i++)
			in[i] = 1;
		if (tl_nn_run(nn, in, 1, o2, &err) != 0 && getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_tfgraph: run: %s\n", err.msg);
		free(in);
		free(o2);
	}
	tl_nn_free(nn);
	return 0;
}
