/*
 * scratch.c - the small CNN of tl-embed -m scratch (scratch.h), built with
 * the engine's builder.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backbone/scratch.h"
#include "core/rng.h"

static const int64_t chans[TL_SCRATCH_CONVS] = { 32, 64, 128, 256, 256 };
static const int64_t strides[TL_SCRATCH_CONVS] = { 2, 2, 2, 2, 1 };

void
tl_scratch_he(struct tl_rng *r, int64_t cout, int64_t fan_in, float *w)
{
	double sd = sqrt(2.0 / (double)fan_in);

	for (int64_t i = 0; i < cout * fan_in; i++)
		w[i] = (float)(sd * tl_rng_normal(r));
}

struct tl_nn *
tl_scratch_build(int size, uint64_t seed, struct tl_err *err)
{
	static const int64_t k3[2] = { 3, 3 }, pads[4] = { 1, 1, 1, 1 };
	struct tl_nn *nn = tl_nn_new(err);
	int64_t in[4] = { -1, 3, size, size }, cin = 3;
	struct tl_rng r;
	float *w = NULL, *b = NULL;
	char prev[32] = TL_SCRATCH_INPUT;

	if (nn == NULL)
		return NULL;
	if (size < 8) {
		tl_err_set(err, "scratch: input size %d, want 8 or more", size);
		goto fail;
	}
	tl_rng_seed(&r, seed);
	if (tl_nn_add_input(nn, TL_SCRATCH_INPUT, 4, in, err) < 0)
		goto fail;
	for (int l = 0; l < TL_SCRATCH_CONVS; l++) {
		int64_t cout = chans[l], wd[4] = { cout, cin, 3, 3 }, st[2] = { strides[l], strides[l] };
		char conv[32], wn[32], bn[32], relu[32];
		const char *ins[3] = { prev, wn, bn }, *cout_name[1] = { conv }, *rin[1] = { conv },
		    *rout[1] = { relu };
		struct tl_nn_attr at[3] = {
			{ .name = "kernel_shape", .type = TL_NN_ATTR_INTS, .ints = k3, .n = 2 },
			{ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = st, .n = 2 },
			{ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pads, .n = 4 },
		};
		snprintf(conv, sizeof conv, "conv%d", l + 1);
		snprintf(wn, sizeof wn, "conv%d.W", l + 1);
		snprintf(bn, sizeof bn, "conv%d.B", l + 1);
		snprintf(relu, sizeof relu, "relu%d", l + 1);
		w = malloc((size_t)(cout * cin * 9) * sizeof *w);
		b = calloc((size_t)cout, sizeof *b);
		if (w == NULL || b == NULL) {
			tl_err_set(err, "out of memory");
			goto fail;
		}
		tl_scratch_he(&r, cout, cin * 9, w);
		if (tl_nn_add_weights(nn, wn, 4, wd, w, err) < 0 ||
		    tl_nn_add_weights(nn, bn, 1, &cout, b, err) < 0 ||
		    tl_nn_add_node(nn, conv, "Conv", ins, 3, cout_name, 1, at, 3, err) < 0 ||
		    tl_nn_add_node(nn, relu, "Relu", rin, 1, rout, 1, NULL, 0, err) < 0)
			goto fail;
		free(w), free(b);
		w = b = NULL;
		snprintf(prev, sizeof prev, "%s", relu);
		cin = cout;
	}
	if (tl_nn_add_output(nn, TL_SCRATCH_LAYER, err) < 0)
		goto fail;
	return nn;
fail:
	free(w), free(b);
	tl_nn_free(nn);
	return NULL;
}
