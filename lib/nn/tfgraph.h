/*
 * tfgraph.h - the loader of TF.js graph models (model.json with "format":
 * "graph-model": a GraphDef node list plus binary weight shards, as
 * tfjs-converter writes a frozen TensorFlow graph).  Only the cone of the
 * requested nodes is translated, backwards from them to the node named as
 * the input, into the engine's ONNX vocabulary through the nn.h builder;
 * nothing upstream of the input node and nothing outside the cone is looked
 * at beyond parsing, so a detector head's TopKV2 or a Switch/Merge feeding
 * the input never matters.
 *
 * Ops translated: Placeholder (or any node named as the input: its output
 * is the graph input), Const (float32, float16- and uint8/uint16-quantised
 * float32 dequantised as tfjs does, int32), Identity, Conv2D, _FusedConv2D
 * (fused BiasAdd, optionally Relu or Relu6), DepthwiseConv2dNative,
 * FusedDepthwiseConv2dNative (padding SAME, VALID or EXPLICIT; strides,
 * dilations; NHWC only), Add, AddV2, Sub, Mul, RealDiv (with scalar,
 * per-channel or full constants), Relu, Relu6, Sigmoid, Mean over H,W with
 * keep_dims, Pad (constant paddings), and SpaceToBatchND -> depthwise or
 * plain convolution (VALID) -> BatchToSpaceND as TF writes a dilated
 * convolution, folded into one dilated Conv without evaluating the shape
 * arithmetic behind its paddings and crops.  Hard-swish written out,
 * Mul(Mul(x, c), Relu6(x + 3)), becomes HardSwish(x), and hard-sigmoid,
 * Mul(c, Relu6(y + 3)), HardSigmoid(y), each followed by a Mul by 6c when
 * c is not exactly 1/6 (the same function; only the rounding differs).
 * Anything else in the cone is an error: "node 'x' (TopKV2): unsupported op".
 *
 * Tensor names: every translated node's output carries the node's name, so
 * tl_nn_set_output(nn, "tower_0/.../mul_1") works.  The graph input is
 * logical [N,C,H,W] with N dynamic, fed NHWC as images come; H,W are the
 * caller's (the graph's own placeholder size is not kept).
 *
 * Ownership as in nn.h: the caller frees the result with tl_nn_free.
 */
#ifndef TL_NN_TFGRAPH_H
#define TL_NN_TFGRAPH_H

#include "core/err.h"
#include "nn/nn.h"

/* path: a model.json, or a directory holding one; the shards are read from
 * the same directory.  input: the name of the node whose output is the
 * network input (NULL: the graph's only Placeholder).  height, width: the
 * input size (0: the placeholder's own, when it has one).  outputs[nout]:
 * node names (at least one), the first the graph's output; only what they
 * depend on is translated.  Returns the graph still in the building state
 * (tl_nn_finish next); NULL with err filled on failure. */
struct tl_nn *tl_nn_read_tfgraph(const char *path, const char *input,
    int height, int width, const char *const *outputs, int nout,
    struct tl_err *err);

#endif
