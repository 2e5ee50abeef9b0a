/*
 * scratch.h - the small CNN tl-train --from-scratch trains from random
 * weights (tl-embed -m scratch[:N]): five 3x3 Convs with Relu, 32, 64, 128,
 * 256 channels at stride 2 then 256 at stride 1, on an N x N x 3 image, so
 * a 64 x 64 input ends as a 4 x 4 x 256 map (the feature layer
 * TL_SCRATCH_LAYER, average-pooled to 256 values).  No BatchNormalization
 * (the trainable tail keeps none) and no fully connected layer: the head
 * tl-train fits is the classifier.
 *
 * The weights are He-normal (std sqrt(2 / fan_in), fan_in = Cin * 3 * 3)
 * from the fixed seed TL_SCRATCH_SEED, biases zero: the same graph, bit for
 * bit, on every machine, so that its maps and the sha256 of its spec
 * identify it.  tl-train --from-scratch draws them again from its --seed.
 *
 * Ownership: tl_scratch_build returns a graph in the building state (nn.h)
 * that the caller finishes (or frees) with the nn functions.
 */
#ifndef TL_BACKBONE_SCRATCH_H
#define TL_BACKBONE_SCRATCH_H

#include <stdint.h>

#include "core/err.h"
#include "nn/nn.h"

#define TL_SCRATCH_INPUT "input"   /* the graph input, [N,3,size,size]: the cut */
#define TL_SCRATCH_LAYER "relu5"   /* the last Conv's activated output */
#define TL_SCRATCH_CONVS 5
#define TL_SCRATCH_DIM 256         /* channels of TL_SCRATCH_LAYER */
#define TL_SCRATCH_SEED 0x736372617463ull /* "scratc" */

/* The network for size x size images (size >= 8), its weights drawn from
 * seed.  NULL with err (out of memory). */
struct tl_nn *tl_scratch_build(int size, uint64_t seed, struct tl_err *err);

/* He-normal weights into w [cout, fan_in] (std sqrt(2 / fan_in)) from r. */
struct tl_rng;
void tl_scratch_he(struct tl_rng *r, int64_t cout, int64_t fan_in, float *w);

#endif
