/*
 * tfjs_weights.h - the weights of a TF.js model (model.json's
 * weightsManifest and the shard files it names), shared by the layers
 * loader (keras.c) and the graph loader (tfgraph.c): the weight specs
 * parsed (name, shape, dtype, quantization), every group's shards read
 * into one block with each weight's byte range checked against the files'
 * sizes, and float weights dequantised as tfjs does (float32(q*scale +
 * min), the product and sum in double; float16).
 *
 * Also: model.json found and parsed (tl_tfjs_open_json).
 *
 * What it does not hold: reading model.json's topology, finding a weight by
 * name, anything about layers or nodes; int32 and bool weights are kept
 * raw in the block (the caller reads them), never dequantised.
 */
#ifndef TL_NN_TFJS_WEIGHTS_H
#define TL_NN_TFJS_WEIGHTS_H

#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "nn/nn.h"

#define TL_TFJS_MAX_BLOB	((int64_t)2 << 30)	/* bytes of all shards */

enum tl_tfjs_q {
	TL_TFJS_F32, TL_TFJS_F16, TL_TFJS_U8, TL_TFJS_U16, TL_TFJS_I32, TL_TFJS_BOOL
};

struct tl_tfjs_weight {
	const char *name;		/* in the parsed JSON */
	int rank;
	int64_t dims[TL_NN_MAXRANK];
	int64_t n;			/* elements */
	enum tl_tfjs_q q;
	double min, scale;		/* TL_TFJS_U8, TL_TFJS_U16 */
	int64_t off;			/* byte offset in the blob */
};

struct tl_tfjs_weights {
	struct tl_tfjs_weight *w;	/* in manifest order */
	int nw;
	unsigned char *blob;		/* the shards, one after the other */
	int64_t nblob;
};

struct tl_tfjs_opt {
	int ints;			/* int32 and bool weights allowed */
	int namemax;			/* bytes of a weight's name in messages */
	int maxw;			/* weights in all */
};

/* Reads root's weightsManifest, shards from dir, into ws (zeroed by the
 * caller; filled as far as it got on error, free it either way).  -1 with
 * err on a bad manifest, shard or size. */
int tl_tfjs_read_weights(struct tl_tfjs_weights *ws, json_t *root,
    const char *dir, const struct tl_tfjs_opt *opt, struct tl_err *err);
/* w's values as float32 into dst[w->n]; w is a float weight (not
 * TL_TFJS_I32 or TL_TFJS_BOOL). */
void tl_tfjs_dequantise(const struct tl_tfjs_weights *ws,
    const struct tl_tfjs_weight *w, float *dst);
void tl_tfjs_weights_free(struct tl_tfjs_weights *ws);

/* model.json of path (a directory holding one, or the file itself),
 * parsed: a regular file of at most TL_TFJS_MAX_JSON bytes, duplicate keys
 * refused.  file receives its path and dir its directory (where the shards
 * are), each TL_TFJS_PATH bytes.  NULL with err naming the file. */
#define TL_TFJS_MAX_JSON	((int64_t)64 << 20)
#define TL_TFJS_PATH		4096
json_t *tl_tfjs_open_json(const char *path, char *file, char *dir, struct tl_err *err);

#endif
