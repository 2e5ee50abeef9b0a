/*
 * classify.h - records in, records with a trained head's verdict out: "prob",
 * "pred", "conf", "ood", and on request "top" and "cam" (tl-classify(1)).
 *
 * The input is either embeddings (the stream header says which backbone made
 * "emb": it must be the one the model was trained on, checked by sha256,
 * layer, pool and dims) or images (no "model" in the header: the model's own
 * backbone is run over img/pix with tl_embedder, with the model's layer,
 * pool and preprocessing).  A spatial map [h,w,C] of the model's layer is
 * accepted too and pooled here the way the model wants; it is what --cam
 * needs.  Records are processed in batches; memory is one batch of records,
 * their embeddings (or maps), and one output record.
 *
 * Decision: conf is the temperature-scaled probability of the best class;
 * pred is that class, or "unknown" when rejection is on and conf < min_conf
 * or ood > the OOD threshold ("reject" then says which: "conf" or "ood").
 *
 * Ownership: tl_classifier_new returns a classifier the caller frees with
 * tl_classifier_free; the records, model and strings it hands out are its
 * own, valid as each function says.
 *
 * Not here: reading and writing streams, options (cmd/tl-classify.c); the
 * model file (tlm.h) and the head's arithmetic (head.h); CAM arithmetic (cam.h).
 */
#ifndef TL_CLASSIFY_H
#define TL_CLASSIFY_H

#include "core/err.h"
#include "core/rec.h"
#include "learn/tlm.h"

struct tl_classify_opts {
	const char *model;         /* the .tlm file */
	const char *backbone;      /* NULL: the model's backbone by name (model.h
	                            * lookup); else a name or path for it */
	double min_conf;           /* reject below (0: never) */
	double ood_threshold;      /* NAN: the model's */
	int reject;                /* 0: pred is always the best class */
	int top;                   /* add "top" with this many classes (0: no) */
	int cam;                   /* add "cam" */
	const char *cam_dir;       /* also write DIR/NAME.png heat maps (implies cam) */
	int explain;               /* enum tl_explain_method (explain.h): 0 none,
	                            * CAM as cam; Grad-CAM and saliency make "cam"
	                            * their way; activations only DIR/NAME.png
	                            * grids (cam_dir needed); each adds
	                            * "cam_method" */
	const char *layer;         /* Grad-CAM's and activations' layer (NULL:
	                            * explain.h's default) */
	int batch, threads;
	int decoders;              /* images: decoding threads (embed.h; -1: its default) */
	unsigned long long max_pixels;
};

struct tl_classifier;

/* Loads the model and checks the options against it (--cam needs a linear
 * head on average-pooled features; --ood-threshold needs OOD statistics).
 * NULL with err: a usage-class failure (exit 2). */
struct tl_classifier *tl_classifier_new(const struct tl_classify_opts *o, struct tl_err *err);
void tl_classifier_free(struct tl_classifier *c); /* accepts NULL */

/* The model c loaded: owned by c, valid until tl_classifier_free. */
const struct tl_tlm *tl_classifier_model(const struct tl_classifier *c);

/* Looks at the input's header, decides how records are read, and makes the
 * output header in out: in's keys, then "classes" (the model's) and
 * "classifier" ({"name", "sha256" of the .tlm file, "version", "backbone":
 * the name of the model's backbone}).  Returns 0; -1 when the input's
 * embeddings are not the model's (a data fault: exit 1); TL_STOP
 * (core/err.h) when the run cannot be set up (backbone missing or
 * different, --cam on pooled embeddings: exit 2).  err says why. */
int tl_classifier_start(struct tl_classifier *c, const struct tl_rec *in, struct tl_rec *out,
                        struct tl_err *err);

/* After tl_classifier_start: "" or a sentence for the user when the
 * input header's "classes" hold a class the model does not know, naming
 * both lists (the output's classes are the model's: a warning, not an
 * error, since such records are still classified).  Owned by c. */
const char *tl_classifier_warning(const struct tl_classifier *c);

/* Queues rec (copied; one item, core/err.h): TL_OK; TL_SKIP when it cannot
 * be classified (no emb and no image, wrong emb size); TL_NOMEM when out of
 * memory.  err says why; nothing is queued but on TL_OK.  An image that
 * cannot be decoded is queued and found out by tl_classifier_result. */
int tl_classifier_add(struct tl_classifier *c, const struct tl_rec *rec, struct tl_err *err);
int tl_classifier_full(const struct tl_classifier *c);   /* run now */
int tl_classifier_queued(const struct tl_classifier *c); /* not yet reset */

/* Classifies the oldest queued batch (images are decoded a batch ahead,
 * embed.h); tl_classifier_pending is its size.  -1 when the network
 * fails (err). */
int tl_classifier_run(struct tl_classifier *c, struct tl_err *err);

int tl_classifier_pending(const struct tl_classifier *c);

/* Makes the i-th record of the batch with its verdict in *out (owned by c,
 * valid until the next call; one item, core/err.h): TL_OK; TL_SKIP when
 * the record is bad (its image could not be decoded, or the backbone gave
 * it a NaN or infinite emb: *out is the input record, for its id, not to
 * be written); TL_NOMEM when out of memory.  err says why. */
int tl_classifier_result(struct tl_classifier *c, int i, const struct tl_rec **out,
                         struct tl_err *err);

/* With cam_dir, writes the heat map of r, the verdict tl_classifier_result
 * made of record i, to cam_dir/ID.png (one item, core/err.h): TL_OK (also
 * without cam_dir: nothing to write); TL_SKIP when this record's heat map
 * cannot be made (no image, undecodable: its verdict is still good);
 * TL_STOP when writing failed (disk full, permissions); TL_NOMEM when out
 * of memory.  err says why. */
int tl_classifier_heatmap(struct tl_classifier *c, int i, const struct tl_rec *r,
                          struct tl_err *err);
void tl_classifier_reset(struct tl_classifier *c); /* drops the batch run */

/* Counts of the run so far: records classified, rejected as unknown. */
void tl_classifier_counts(const struct tl_classifier *c, long long *done, long long *unknown);

#endif
