/*
 * explain.h - what a network looks at, beyond CAM (cam.h): Grad-CAM on any
 * layer, gradient saliency at the input, and a layer's strongest channels,
 * for one prepared image at a time (tl-classify --explain, tl-classify(1)).
 *
 * The backbone from its input to the head's features runs here as a chain
 * of trainable tails (nn/tail.h), so that it can be differentiated: the
 * input to the layer L, L to the feature layer (a frozen model) or L to
 * the fine-tuning cut and then the model's own tuned tail (a fine-tuned
 * model, whose tail the caller lends).  The caller gives the gradient of
 * the class score with respect to the pooled features (the head's part,
 * classify.c); backpropagation brings it down to L, or to the input.
 *
 *   Grad-CAM: alpha[c] = mean over L's positions of dscore/dA[c], map =
 *   ReLU(sum_c alpha[c] A[c]) on L's grid.
 *   Saliency: max over R, G, B of |dscore/dpixel| at the network's input
 *   size, through the preprocessing's scaling (x = pixel * mul + add).
 *   Activations: the channels of L with the highest mean, each map min-max
 *   scaled on its own.
 *
 * Ownership: tl_explain_new returns an object the caller frees with
 * tl_explain_free; a lent tail stays the caller's.  Buffers returned are
 * the object's, valid until the next call.  Nothing prints.
 */
#ifndef TL_EXPLAIN_H
#define TL_EXPLAIN_H

#include "core/err.h"
#include "nn/tail.h"

enum tl_explain_method { TL_EXPLAIN_NONE, TL_EXPLAIN_CAM, TL_EXPLAIN_GRADCAM,
                         TL_EXPLAIN_SALIENCY, TL_EXPLAIN_ACTIVATIONS };

/* "cam", "gradcam", "saliency", "activations" into *out: 0, or -1 for
 * another word. */
int tl_explain_parse(const char *s, enum tl_explain_method *out);
const char *tl_explain_name(enum tl_explain_method m);

struct tl_explain;

/* For backbone `spec` (a name or path, model.h) whose head reads the average
 * of tensor `feat`; for a fine-tuned model, `tuned` (lent; its input is
 * tensor `cut`, its output averaged is what the head reads) and feat NULL.
 * layer: the map to explain (NULL: the sidecar's fine-tuning cut, or feat
 * when there is none; ignored for saliency, which is the input's).  NULL
 * with err: the backbone cannot be loaded, the layer is not in the graph,
 * not between the input and feat (or cut), or a node between the input and
 * feat (cut) is not one a tail supports (the message names it).  threads:
 * the tails' (0: the engine's default). */
struct tl_explain *tl_explain_new(const char *spec, const char *feat, const char *cut,
                                  struct tl_tail *tuned, const char *layer,
                                  enum tl_explain_method method, int threads,
                                  struct tl_err *err);
/* The same on a finished graph nn (not kept: it may be freed) whose head
 * reads the average of tensor `end` (or, with tuned, whose tuned tail
 * starts there); layer NULL: `end`. */
struct tl_explain *tl_explain_new_nn(const struct tl_nn *nn, const char *end,
                                     struct tl_tail *tuned, const char *layer,
                                     enum tl_explain_method method, struct tl_err *err);
void tl_explain_free(struct tl_explain *e); /* accepts NULL */

/* The layer explained (the graph input's name for saliency), the feature
 * size the head gradient has (C of feat or of the tuned tail), the map's
 * grid [h,w], the channels of the layer. */
const char *tl_explain_layer(const struct tl_explain *e);
int tl_explain_feat_dim(const struct tl_explain *e);
void tl_explain_grid(const struct tl_explain *e, int *h, int *w, int *c);

/* One prepared image x [H,W,3] (prep.h's output) through the chain, kept
 * for tl_explain_map; pooled [feat dim] receives the features the chain
 * computed.  0, or -1 with err. */
int tl_explain_forward(struct tl_explain *e, const float *x, float *pooled, struct tl_err *err);

/* After tl_explain_forward: gpool [feat dim] is dscore/dpooled; out [h*w]
 * (tl_explain_grid) receives the Grad-CAM or saliency map (mul [3]: the
 * preprocessing's per-channel factor, saliency only).  0, or -1 with err. */
int tl_explain_map(struct tl_explain *e, const float *gpool, const float mul[3], float *out,
                   struct tl_err *err);

/* After tl_explain_forward: the layer's map [h*w, c] and its k channels of
 * highest mean activation (best first) into ch[0..k); returns how many
 * (k or c, whichever is smaller). */
const float *tl_explain_acts(const struct tl_explain *e, int k, int *ch);

#endif
