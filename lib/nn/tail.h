/*
 * tail.h - the trainable end of a backbone, for fine-tuning: the nodes of a
 * finished graph that compute tensor `to` from tensor `from` (a cut), copied
 * out with their weights (BatchNormalization already folded into the Conv,
 * so a Conv's W and B are the folded ones), run on feature maps taken at the
 * cut, with the output averaged over H and W, and differentiated by
 * backpropagation.  The rest of the network stays frozen: its maps at the
 * cut are computed once (tl-embed -l FROM -p none) and the tail is trained
 * on them, which is what makes fine-tuning the last blocks cheap.
 *
 * Supported in the tail: Conv (2-D, group 1 or depthwise group = C, any
 * kernel, stride, dilation, pads or auto_pad) with its fused Relu/Clip,
 * Add of two activations of the same shape, Pad with constant zeros on H
 * and W, Relu, Clip, Identity (and Dropout, as in inference); for
 * MobileNetV3: HardSwish, HardSigmoid (any alpha, beta),
 * GlobalAveragePool (to a [C,1,1] map), Mul of two activations of the
 * same shape or of an activation and a [C,1,1] one (squeeze-excite's
 * gate, broadcast over H and W), Sub of two activations of the same
 * shape, and Add, Sub, Mul of an activation and a scalar constant either
 * way round, Div of one by a scalar constant (hard-swish and hard-sigmoid
 * written out: x * Clip(x + 3, 0, 6) / 6).  Anything else between the cut
 * and `to` is an error naming the node (a constant that is not a scalar,
 * division by an activation, other broadcasting, pooling other than
 * global average).  An activation's gradient passes where min < y < max;
 * at the boundaries it is 0: Relu and Clip 1 inside (lo, hi); HardSigmoid
 * alpha where 0 < alpha x + beta < 1; HardSwish x/3 + 1/2 where
 * -3 < x < 3, 1 from 3 on, 0 up to -3 (PyTorch's, but for x = -3 and 3
 * exactly).
 *
 * Layout: maps NHWC ([n,H,W,C], as tl-embed writes them), parameters in
 * ONNX layout (Conv W [Cout, Cin/group, KH, KW], B [Cout]).  Dense maths
 * by the engine's gemm (im2col for kernels > 1x1), every sum in a fixed
 * order: results do not depend on the thread count, the load or OpenBLAS
 * (which has no part in it), bit for bit.
 *
 * Threads: the graph's (tl_nn_opts threads; by default $TL_THREADS,
 * $OPENBLAS_NUM_THREADS or the online cores).
 *
 * Ownership: a struct tl_tail owns copies of everything; the graph it came
 * from may be freed.  Not safe for concurrent calls.  Nothing prints.
 */
#ifndef TL_NN_TAIL_H
#define TL_NN_TAIL_H

#include <stdint.h>

#include "core/err.h"
#include "nn.h"

struct tl_tail;

/* One parameter tensor: a Conv's W or B, in execution order of the nodes,
 * W then B.  B only where the Conv has a bias (every Conv that had a
 * BatchNormalization folded into it does).  A weight tensor two Convs
 * share becomes two parameters.  w and g (the gradient, same size) belong
 * to the tail; w starts as the graph's (folded) values, and the caller may
 * change it between calls. */
struct tl_tail_param {
	const char *node;	/* the Conv node's name in the graph */
	const char *what;	/* "W" or "B" */
	int rank;
	int64_t dims[4];
	int64_t n;		/* elements */
	int depth;		/* 0 for the last Conv of the tail, 1 for the
				 * one before, ...: for discriminative
				 * learning rates */
	float *w, *g;
};

/* Copies the part of nn (finished) between `from` and `to`.  Every node
 * needed for `to` that depends on `from` is taken; each of their other
 * inputs must be a constant (or computed from constants only).  NULL with
 * err: a name not in the graph or fused away at load (the message names
 * the tensor to use), `to` not depending on `from`, an input from outside
 * the cut, a node of an unsupported kind ("node 'x' (Gemm): not supported
 * in a trainable tail"; an unsupported variant adds why in parentheses),
 * a map that is not 4-D, out of memory.  Shapes come from the graph's
 * input size; making the tail writes only nn's caches (packed weights,
 * Conv pads resolved from auto_pad), as a run would. */
struct tl_tail *tl_tail_new(const struct tl_nn *nn, const char *from,
    const char *to, struct tl_err *err);
void tl_tail_free(struct tl_tail *t); /* accepts NULL */

/* The name of nn's (first) input, a cut from which the tail is the whole
 * network up to `to` (saliency needs it); NULL when nn has none.  Owned
 * by nn. */
const char *tl_tail_graph_input(const struct tl_nn *nn);

/* One input map's shape [H,W,C] and the output size (C of `to`). */
void tl_tail_in_shape(const struct tl_tail *t, int64_t hwc[3]);
int64_t tl_tail_out_dim(const struct tl_tail *t);
/* The shape [H,W,C] of `to` before the averaging. */
void tl_tail_out_shape(const struct tl_tail *t, int64_t hwc[3]);

/* After tl_tail_forward(keep != 0) of n maps: `to` of those n images,
 * [n,H,W,C] (hwc receives H,W,C), valid until the next forward; NULL when
 * the last forward kept nothing.  Class activation maps read it. */
const float *tl_tail_map(const struct tl_tail *t, int64_t hwc[3]);

/* The parameters: index 0 .. tl_tail_nparams()-1. */
int tl_tail_nparams(const struct tl_tail *t);
struct tl_tail_param *tl_tail_param(struct tl_tail *t, int i);
int tl_tail_depth(const struct tl_tail *t); /* number of Conv nodes */
/* Multiply-adds of one image's forward pass through the Convs, the 1x1
 * ones of squeeze-excite on [C,1,1] maps too (a backward costs about
 * twice that): what fine-tuning this tail costs.  Elementwise ops and
 * pooling are not counted. */
int64_t tl_tail_macs(const struct tl_tail *t);

/* Runs n maps in (n*H*W*C floats, NHWC) and writes out [n, out_dim]: `to`
 * averaged over H and W.  With keep != 0 every activation of the n maps
 * (the input copied too: in may change afterwards) stays for
 * tl_tail_backward and tl_tail_map until the next forward; that block
 * grows with n (tl_tail_keep_bytes) and is kept for reuse.  Without keep, and in
 * backward, the working memory is bounded: chunks of images whose maps
 * share an arena when not live at the same time (about 16 MB).  -1 with
 * err when n < 1 or out of memory. */
int tl_tail_forward(struct tl_tail *t, const float *in, int n, float *out,
    int keep, struct tl_err *err);
int64_t tl_tail_keep_bytes(const struct tl_tail *t, int n);

/* After tl_tail_forward(keep != 0) of n maps: dout [n, out_dim] is dL/dout;
 * adds dL/dparam into every param's g (tl_tail_zero_grad clears them),
 * using the parameters' current w (leave them alone between the forward
 * and the backward).  No gradient for the input maps (that is
 * tl_tail_backward_in).  -1 with err when
 * out of memory or when no kept forward precedes it. */
int tl_tail_backward(struct tl_tail *t, const float *dout, struct tl_err *err);

/* The same, and also dL/d(input maps) for what a network looks at
 * (Grad-CAM, saliency): din [n,H,W,C] (tl_tail_in_shape; overwritten)
 * unless NULL.  dmap, unless NULL, is dL/d`to` itself [n,H,W,C]
 * (tl_tail_out_shape; another pooling, or the input gradient of the tail
 * after this one) and dout is then not read (may be NULL).  dL/dparam is
 * added into the g's as by tl_tail_backward.  Errors as its. */
int tl_tail_backward_in(struct tl_tail *t, const float *dout,
    const float *dmap, float *din, struct tl_err *err);
void tl_tail_zero_grad(struct tl_tail *t);

#endif
