/*
 * embed.h - records in, records with "emb" out: a backbone run over batches.
 *
 * Records are queued (copied) until a batch is full; each is decoded
 * (img) or taken as is (pix), prepared for the model (prep.h) into the batch
 * input, and when the batch runs, gets "emb": the feature layer's map
 * [H,W,C] <f4, or a vector [C] (or [2C] for avgmax) when pooled.  Memory:
 * one batch of records and the network's activations for one batch.
 *
 * Several backbones ("a+b", tl-embed(1)): each record is decoded once,
 * prepared for each backbone with its own preprocessing, and "emb" is
 * their pooled features concatenated in the order given; with pool none
 * (or a cut) the first backbone's map is "emb" and the others' pooled
 * features are "emb_frozen".  Every part uses its sidecar's feature layer.
 *
 * Ownership: tl_embedder_new returns an embedder the caller frees with
 * tl_embedder_free; the models and records it hands out are its own, valid
 * as each function says.
 *
 * Not here: reading/writing streams, option parsing (cmd/tl-embed.c).
 */
#ifndef TL_EMBED_H
#define TL_EMBED_H

#include "backbone/model.h"
#include "backbone/pool.h"
#include "core/err.h"
#include "core/rec.h"

#define TL_EMBED_MAX_PARTS 8    /* backbones in one "a+b+..." */

/* Per-backbone settings (tl-classify reproducing a model's parts). */
struct tl_embed_part {
	const char *layer;      /* NULL: the backbone's feature layer */
	int mode;               /* -1: the backbone's; else enum tl_resize */
	const char *scale;      /* NULL: the backbone's */
};

struct tl_embed_opts {
	const char *model;      /* name or path (model.h), or names joined by '+' */
	const char *layer;      /* NULL: the model's feature layer (one
	                         * backbone only) */
	int cut;                /* layer = the (first) model's fine-tuning cut
	                         * (model.h ft_from); an error when it names none */
	enum tl_pool pool;      /* how a spatial map becomes a vector (several
	                         * backbones, none: the first's map, the others
	                         * averaged) */
	int batch;              /* records per run */
	int threads;            /* 0: engine default */
	int keep_image;         /* keep img/pix in the output records */
	int mode;               /* -1: the model's; else enum tl_resize */
	const char *scale;      /* NULL: the model's */
	unsigned long long max_pixels;
	int nparts;             /* parts[0..nparts) override layer, mode, scale */
	struct tl_embed_part parts[TL_EMBED_MAX_PARTS];
};

/* Splits a model spec at '+' into parts[] (each < 256 bytes): the count,
 * or -1 with err ("an empty backbone name", too many).  A spec naming an
 * existing file or directory is one part even when it holds a '+'. */
int tl_embed_split(const char *spec, char parts[][256], struct tl_err *err);

struct tl_embedder;

/* Opens and loads the model.  NULL with err (a usage-class failure: the model
 * is missing or unreadable, the layer unknown). */
struct tl_embedder *tl_embedder_new(const struct tl_embed_opts *o, struct tl_err *err);
void tl_embedder_free(struct tl_embedder *e); /* accepts NULL */

/* The (first) model as opened (name, sha256, preprocessing); the parts'.
 * Owned by e, valid until tl_embedder_free. */
const struct tl_model *tl_embedder_model(const struct tl_embedder *e);
int tl_embedder_nparts(const struct tl_embedder *e);
const struct tl_model *tl_embedder_part(const struct tl_embedder *e, int i);

/* Adds "model", "dims", "preprocess", "layer", "pool" to header h; with
 * several backbones "model" is {"a+b", sha256 of the parts' sha256s joined
 * by '+'}, "layer" the parts' layers joined by '+', no "preprocess", and
 * "backbones" and (maps) "dims_frozen" are added (tl-stream(5)). 0 or -1. */
int tl_embedder_header(const struct tl_embedder *e, struct tl_rec *h);

/* Queues a copy of rec (one item, core/err.h): TL_OK; TL_SKIP when the
 * record cannot be embedded (no image, undecodable, bad pix tensor);
 * TL_NOMEM when out of memory.  err says why; nothing is queued but on
 * TL_OK. */
int tl_embedder_add(struct tl_embedder *e, const struct tl_rec *rec, struct tl_err *err);
int tl_embedder_pending(const struct tl_embedder *e); /* queued records */
int tl_embedder_full(const struct tl_embedder *e);

/* Runs the queued batch; afterwards tl_embedder_result(e, i) for i <
 * pending are the records with emb set (owned by e, valid until the next
 * add).  -1 when the network fails. */
int tl_embedder_run(struct tl_embedder *e, struct tl_err *err);
const struct tl_rec *tl_embedder_result(const struct tl_embedder *e, int i);
void tl_embedder_reset(struct tl_embedder *e); /* empties the queue */

#endif
