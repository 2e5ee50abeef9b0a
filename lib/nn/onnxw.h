/*
 * onnxw.h - the ONNX writer: a ModelProto put together node by node and
 * written to a file, the way tl exports a trained classifier (tl-classify
 * --export-onnx).  The nodes come from a finished engine graph (struct
 * tl_nn, whatever loaded it: ONNX, TF.js Keras or graph model) and from the
 * caller, who adds what the engine does not hold (scaling of the pixels,
 * pooling, the head, softmax) with any ONNX operator.
 *
 * What a finished graph becomes: the nodes that compute the asked tensor,
 * in their order, as the engine runs them: BatchNormalization already
 * folded into the Conv before it (its W and B are the folded ones), a zero
 * Pad already folded into the Conv's pads, a fused Relu or Clip written out
 * again after its Conv, Dropout as Identity, attributes of older opsets
 * (Clip's min and max, Squeeze's axes, Pad's pads) as the inputs opset 15
 * wants.  The file declares IR version 8 and opset 15 of the default
 * domain.  Names: every tensor of a graph gets the caller's prefix, and the
 * graph's input is bound to a tensor the caller made.
 *
 * Ownership: a struct tl_nn_onnxw owns copies of every name, shape and
 * weight handed to it; tl_nn_onnxw_free frees them.  Functions returning
 * int return 0 or -1 with err filled.  Nothing here prints.
 */
#ifndef TL_NN_ONNXW_H
#define TL_NN_ONNXW_H

#include <stdint.h>

#include "core/err.h"
#include "nn.h"

#define TL_NN_ONNXW_OPSET 15

struct tl_nn_onnxw;

/* An empty model; NULL only when out of memory. */
struct tl_nn_onnxw *tl_nn_onnxw_new(struct tl_err *err);
void tl_nn_onnxw_free(struct tl_nn_onnxw *w); /* accepts NULL */

/* A float32 graph input or output; a dimension < 0 is the batch, written
 * as the symbolic "N". */
int tl_nn_onnxw_input(struct tl_nn_onnxw *w, const char *name, int rank,
    const int64_t *dims, struct tl_err *err);
int tl_nn_onnxw_output(struct tl_nn_onnxw *w, const char *name, int rank,
    const int64_t *dims, struct tl_err *err);

/* An initializer (copied): float32 or int64. */
int tl_nn_onnxw_weights(struct tl_nn_onnxw *w, const char *name, int rank,
    const int64_t *dims, const float *data, struct tl_err *err);
int tl_nn_onnxw_weights_i64(struct tl_nn_onnxw *w, const char *name, int rank,
    const int64_t *dims, const int64_t *data, struct tl_err *err);

/* A node of the default domain, named after its first output; attributes
 * as the engine's builder takes them (nn.h). */
int tl_nn_onnxw_node(struct tl_nn_onnxw *w, const char *op_type,
    const char *const *inputs, int nin, const char *const *outputs, int nout,
    const struct tl_nn_attr *attrs, int nattr, struct tl_err *err);

/* Weights that replace a Conv's in the graph (a fine-tuned tail): node is
 * the Conv node's name, what "W" or "B", n the element count (checked
 * against the graph's). */
struct tl_nn_onnxw_param {
	const char *node, *what;
	const float *data;
	int64_t n;
};

/* Appends the nodes of nn (finished) that compute tensor `out` (NULL: the
 * graph's output), every tensor named prefix + its name, the graph's input
 * read from tensor `input` (logical shape, [N,C,H,W] for images), with np
 * Conv weights replaced by p.  The output tensor is then named prefix +
 * out (tl_nn_onnxw_name).  -1 with err: a tensor not in the graph or fused
 * away (the message names the one to use), a replaced weight of another
 * size or of a node the graph does not run, an operator variant with no
 * opset-15 equivalent ("node 'x' (Softmax): ..."). */
int tl_nn_onnxw_graph(struct tl_nn_onnxw *w, const struct tl_nn *nn,
    const char *out, const char *prefix, const char *input,
    const struct tl_nn_onnxw_param *p, int np, struct tl_err *err);

/* The name tensor `out` of nn (NULL: its output) got from the last
 * tl_nn_onnxw_graph with that prefix, into buf[0..n).  0 or -1. */
int tl_nn_onnxw_name(const struct tl_nn *nn, const char *out,
    const char *prefix, char *buf, size_t n, struct tl_err *err);

/* A metadata_props entry (key and value copied), and the model's
 * doc_string. */
int tl_nn_onnxw_meta(struct tl_nn_onnxw *w, const char *key, const char *value,
    struct tl_err *err);
int tl_nn_onnxw_doc(struct tl_nn_onnxw *w, const char *doc, struct tl_err *err);

/* Writes the model to path atomically (core/afile.h), producer_name and
 * producer_version as given.  0 or -1 with err "path: reason". */
int tl_nn_onnxw_save(struct tl_nn_onnxw *w, const char *path,
    const char *producer, const char *version, struct tl_err *err);

#endif
