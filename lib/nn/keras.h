/*
 * keras.h - the loader of Keras models saved in the TF.js layers format
 * (model.json + binary weight shards, as tfjs-converter or make model writes
 * them).  It translates the Keras layers into the engine's ONNX vocabulary
 * through the nn.h builder; the result is an ordinary struct tl_nn.
 *
 * Supported layers: InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D,
 * BatchNormalization, ReLU, Activation, Add, Concatenate, MaxPooling2D,
 * AveragePooling2D, GlobalAveragePooling2D, Dense, Dropout, Flatten; in a
 * functional Model or a Sequential.  Anything else (another layer, a shared
 * layer, channels_first, an unknown activation) is an error naming the layer.
 * Keras semantics are kept exactly: "same" padding puts the odd pixel at the
 * bottom/right as TF does, average pools do not count padding, Flatten sees
 * H,W,C order, uint8/uint16-quantised weights become float32(q*scale + min)
 * per tensor as tfjs computes them.
 *
 * Tensor names: every layer's output is a tensor named as the layer, so
 * tl_nn_set_output(nn, "out_relu") works.  The graph input is 4-D: logical
 * [N,C,H,W] with N dynamic, fed NHWC by tl_nn_run as images come.
 *
 * Not here: preprocessing (scaling, resize) and tl-model.json, which belong
 * to the caller.
 *
 * Ownership as in nn.h: the caller frees the result with tl_nn_free.
 */
#ifndef TL_NN_KERAS_H
#define TL_NN_KERAS_H

#include "core/err.h"
#include "nn/nn.h"

/* path: a model.json, or a directory holding one; the shards are read from
 * the same directory.  tl_nn_read_keras returns the graph still in the
 * building state (outputs may be added, then tl_nn_finish); its first output
 * is the model's first output layer.  tl_nn_load_keras also finishes it (opts
 * may be NULL).  NULL with err filled on failure. */
struct tl_nn *tl_nn_read_keras(const char *path, struct tl_err *err);
struct tl_nn *tl_nn_load_keras(const char *path, const struct tl_nn_opts *opts,
    struct tl_err *err);

#endif
