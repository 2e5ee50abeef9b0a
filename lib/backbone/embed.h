/*
 * embed.h - records in, records with "emb" out: a backbone run over batches.
 *
 * Records are queued (copied) a batch ahead of the network: each is
 * decoded (img) or taken as is (pix) and prepared for the model (prep.h) on
 * decoding threads (feed.h) while the network runs the batch before, and
 * when its batch runs gets "emb": the feature layer's map [H,W,C] <f4, or a
 * vector [C] (or [2C] for avgmax) when pooled.  Memory: two batches of
 * records and inputs, and the network's activations for one batch.
 *
 * Several backbones ("a+b", tl-embed(1)): each record is decoded once,
 * prepared for each backbone with its own preprocessing, and "emb" is
 * their pooled features concatenated in the order given; with pool none
 * (or a cut) the first backbone's map is "emb" and the others' pooled
 * features are "emb_frozen".  Every part uses its sidecar's feature layer.
 *
 * The raw-pixel baseline (model.h TL_PIXELS) runs no network: its prepared
 * input, [N,N,3] in [0,1], is copied into "emb" as a vector; it is the only
 * backbone (never one of several), with no layer but "pixels" and pool none.
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

#define TL_EMBED_MAX_PARTS 8    /* backbones in one "a+b+..." (feed.h's too) */
#define TL_EMBED_DECODERS 1     /* decoding threads unless told: one keeps a
                                 * 2-core machine's network fed (bench/pipeline) */

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
	int decoders;           /* decoding threads; 0: decode in tl_embedder_add;
	                         * -1: TL_EMBED_DECODERS */
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

/* Queues a copy of rec (one item, core/err.h): TL_OK, or TL_NOMEM with
 * err.  A record that cannot be embedded (no image, undecodable, bad pix
 * tensor) is found out later: tl_embedder_error.  Add only while
 * !tl_embedder_full. */
int tl_embedder_add(struct tl_embedder *e, const struct tl_rec *rec, struct tl_err *err);
/* 1 when the look-ahead is full: run, take the results and reset. */
int tl_embedder_full(const struct tl_embedder *e);
int tl_embedder_queued(const struct tl_embedder *e); /* records not yet reset */

/* Runs the oldest queued batch (at most batch records; none when nothing
 * is queued); afterwards, for i < tl_embedder_pending, tl_embedder_result(e,
 * i) is its i-th record (owned by e, valid until reset) with emb set,
 * unless tl_embedder_error(e, i) says why not (then it is the record as
 * added).  -1 when the network fails. */
int tl_embedder_run(struct tl_embedder *e, struct tl_err *err);
int tl_embedder_pending(const struct tl_embedder *e); /* records run */
const struct tl_rec *tl_embedder_result(const struct tl_embedder *e, int i);
const char *tl_embedder_error(const struct tl_embedder *e, int i);
/* Drops the batch run; the next run takes the next one. */
void tl_embedder_reset(struct tl_embedder *e);

#endif
