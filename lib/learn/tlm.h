/*
 * tlm.h - the trained-model file (tl-model(5)): what tl-train writes and
 * tl-classify reads.  A head (multinomial logistic regression, or an MLP
 * with one ReLU hidden layer) over a frozen backbone's embeddings, with the
 * input normalisation it was trained with, a softmax temperature
 * (calibration), out-of-distribution statistics, and the identity of the
 * backbone whose embeddings it expects.  What the numbers compute, the
 * forward pass, is written out in head.h.
 *
 * Ownership: a struct tl_tlm owns everything it points to (the parameters
 * in one allocation, strings and msgpack objects in its own arena); pointers
 * into it stay valid until tl_tlm_free.  tl_tlm_new and tl_tlm_load return
 * a model the caller frees with tl_tlm_free; the name functions return
 * static strings.  Nothing here prints or exits.
 *
 * Not here: the forward pass (head.h), training (train.h), reading streams
 * (stream.h).
 */
#ifndef TL_TLM_H
#define TL_TLM_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/err.h"
#include "core/rec.h"

#define TL_TLM_VERSION 1            /* the "tlm" key of the file */
#define TL_TLM_MAX_BYTES ((size_t)1 << 31) /* largest model file read */
#define TL_TLM_MAX_CLASSES 100000
#define TL_TLM_MAX_DIM (1 << 20)     /* D and H */
#define TL_TLM_MAX_PARTS 8           /* backbones of one model */

enum tl_tlm_head { TL_TLM_LINEAR, TL_TLM_MLP };
enum tl_tlm_norm { TL_TLM_NORM_NONE, TL_TLM_NORM_L2, TL_TLM_NORM_SQRT };

/* Which embeddings the head expects: copied from the header tl-embed wrote
 * on the training stream. */
struct tl_tlm_backbone {
	const char *name;                /* header "model"."name", e.g. "mobilenetv2" */
	const char *sha256;              /* header "model"."sha256", 64 hex digits */
	const char *layer;               /* header "layer" ("" when absent) */
	const char *pool;                /* header "pool" ("" when absent) */
	int ndims;                       /* header "dims": 1 (pooled) or 3 ([H,W,C]) */
	uint64_t dims[3];
	const msgpack_object *preprocess; /* header "preprocess" map as tl-embed
	                                   * wrote it (width, height, resize,
	                                   * scale, mul, add); NULL when absent */
	/* Several backbones (tl-embed -m a+b): the header's "backbones", one
	 * entry per part in the order of emb, each with name, sha256, layer,
	 * pool, dims, preprocess (parts have no parts).  0/NULL: one backbone,
	 * described by the fields above. */
	int nparts;
	struct tl_tlm_backbone *parts;
};

/* A fine-tuned end of the backbone (tl-train fine-tuning on maps): the Conv weights
 * (BatchNormalization folded in) of the backbone's nodes that compute tensor
 * `to` from tensor `from`, replacing the backbone's own.  A model with a
 * tail reads the backbone's maps at `from` (backbone.layer = from, pool
 * "none", dims [H,W,C]), and e above is `to` averaged over H and W, as the
 * tuned tail computes it (nn/tail.h); dim is then C of `to`. */
struct tl_tlm_tparam {
	const char *node;           /* the Conv node's name in the backbone */
	const char *what;           /* "W" or "B" */
	int ndim;
	uint64_t shape[4];
	float *data;                /* into the model's tail block */
};

struct tl_tlm_tail {
	const char *from, *to;      /* "" when the model has no tail */
	int n;                      /* parameters; 0: no tail */
	struct tl_tlm_tparam *p;
};

#define TL_TLM_MAX_TAIL 4096        /* tail parameters read from a file */

struct tl_tlm {
	int version;                /* TL_TLM_VERSION once loaded */
	int nclass;                 /* K >= 2 */
	const char **classes;       /* [K] labels, order of prob/logits */
	int dim;                    /* D, the embedding size */
	enum tl_tlm_head head;
	int hidden;                 /* H (TL_TLM_MLP), else 0 */
	enum tl_tlm_norm norm;
	struct tl_tlm_backbone backbone;

	/* Parameters: all floats live in one block (params[0..nparams)), the
	 * pointers below point into it. */
	float *params;
	size_t nparams;
	float *mean, *scale;        /* [D], [D] */
	float *w1, *b1;             /* [K,D],[K] or [H,D],[H] */
	float *w2, *b2;             /* [K,H],[K] (MLP), else NULL */
	float *ood_w;               /* [D,D] whitening, lower triangular; NULL: no OOD */
	float *ood_mu;              /* [K,D] class means in x space */

	float temperature;          /* > 0; 1 = uncalibrated */
	int has_ood;                /* ood_w, ood_mu, ood_threshold are set */
	float ood_threshold;        /* accept when ood <= this */
	float ood_keep;             /* share of val kept at the threshold (0..1] */
	float ood_shrinkage;        /* covariance shrinkage used (0..1) */
	/* OOD in its own space (a fine-tuned model: the tuned features tell
	 * the classes apart, but the backbone's own features tell what is
	 * neither): ood_layer is the backbone layer, computed with the
	 * backbone's weights from the tail's input and averaged, normalised
	 * like e, then (f - ood_mean) * ood_scale; ood_dim its size.  "" and
	 * ood_dim = dim when the OOD space is x itself. */
	const char *ood_layer;
	int ood_dim;
	/* OOD per backbone (a model of several, tl-model(5) "ood"."parts"):
	 * ood_w is block diagonal, one whitening per part of x, and the score
	 * is max over parts p of ood_part_scale[p] * min_k |Wo_p (x_p -
	 * mu_kp)|, each part's distance to its own nearest class mean scaled
	 * by 1 / its quantile at ood_keep on val.  0: one space (above). */
	int ood_nparts;
	int ood_part_dim[TL_TLM_MAX_PARTS];
	float ood_part_scale[TL_TLM_MAX_PARTS];
	float *ood_mean, *ood_scale;  /* [ood_dim] each, in ood_block */
	float *ood_block;

	const char *version_tag;    /* "20261122T190501-3fa2c1d0"; "" if absent */
	const char *created;        /* "2026-11-22T19:05:01Z" (UTC); "" if absent */
	const char *producer;       /* "tl-train 0.1.0"; "" if absent */
	/* Free-form training metadata (the file's "train" map: seed,
	 * hyper-parameters, counts, metrics, ids_sha256); NULL if absent. */
	const msgpack_object *train;

	struct tl_tlm_tail tail;     /* n = 0: the head reads the embeddings directly */
	float *tail_block;          /* owns the tail's parameter data */

	struct tl_rec *arena;       /* owns strings and msgpack objects above */
};

/* A new model with every parameter zero (scale 1, temperature 1, no OOD),
 * classes[0..K) copied, the backbone empty.  hidden is ignored for
 * TL_TLM_LINEAR.  NULL with err set on a bad size or out of memory.
 * Free with tl_tlm_free. */
struct tl_tlm *tl_tlm_new(int nclass, const char *const *classes, int dim,
                          enum tl_tlm_head head, int hidden, struct tl_err *err);

/* Allocates ood_w and ood_mu (zero) inside the parameter block if they are
 * not there yet; sets has_ood.  0 or -1 (out of memory). */
int tl_tlm_alloc_ood(struct tl_tlm *m, struct tl_err *err);

/* Gives m an OOD space of its own (see ood_layer): ood_mean, ood_scale,
 * ood_w [od,od], ood_mu [K,od] in ood_block (mean 0, scale 1, the rest
 * zero); sets has_ood.  Only before any OOD allocation.  0 or -1. */
int tl_tlm_alloc_ood_space(struct tl_tlm *m, const char *layer, int od, struct tl_err *err);

void tl_tlm_free(struct tl_tlm *m); /* accepts NULL */

/* Gives m a tail of n parameters from tensor `from` to `to` (copied), each
 * set next with tl_tlm_set_tparam; sizes[i] is parameter i's element count.
 * 0 or -1 (out of memory, or a tail already set). */
int tl_tlm_alloc_tail(struct tl_tlm *m, const char *from, const char *to, int n,
                      const uint64_t *sizes, struct tl_err *err);
/* Sets tail parameter i: names copied, data (shape's product floats) copied. */
int tl_tlm_set_tparam(struct tl_tlm *m, int i, const char *node, const char *what, int ndim,
                      const uint64_t *shape, const float *data, struct tl_err *err);

/* Copies the backbone description from a stream header (tl-embed's "model",
 * "layer", "pool", "dims", "preprocess") into m.backbone.  -1 when the
 * header has no "model" with name and sha256, or when its dims do not
 * multiply to m->dim (a model with a tail reads maps: any dims). */
int tl_tlm_set_backbone(struct tl_tlm *m, const struct tl_rec *header, struct tl_err *err);

/* Checks that a stream header describes embeddings this model can read:
 * same backbone sha256, layer, pool and dims.  0, or -1 with err saying
 * what differs, e.g. "backbone differs (layer): the model wants embeddings
 * of mobilenetv2 sha256 3fa2c1d0e4b5, layer block_16_project_BN, pool avg,
 * dims [320]; the stream has ... layer out_relu ...": the hashes with 12
 * digits, or as many as it takes to tell them apart. */
int tl_tlm_check_header(const struct tl_tlm *m, const struct tl_rec *header,
                        struct tl_err *err);

/* Sets the free-form "train" metadata map (deep-copied) and the
 * version/created/producer strings (copied; NULL leaves one as it is). */
int tl_tlm_set_meta(struct tl_tlm *m, const msgpack_object *train, const char *version_tag,
                    const char *created, const char *producer, struct tl_err *err);

/* Reads a model file, its checksum first (tl-model(5): the last key,
 * "sha256", of every byte before it).  NULL with err set to "PATH: reason",
 * reasons being exactly: "cannot open: <strerror>", "empty file",
 * "corrupted (checksum mismatch)", "no checksum (corrupted, or written by
 * an older tl-train: train it again)", "truncated model file",
 * "not a tl model file" (no "tlm" key, or not a msgpack map),
 * "model format version N, this tl reads 1", "missing key 'K'",
 * "bad key 'K': <why>" (wrong type, shape or size), "trailing bytes after
 * the model", "malformed msgpack" / over the limits.  The caller (a tool)
 * treats any failure as a usage error (exit 2). */
struct tl_tlm *tl_tlm_load(const char *path, struct tl_err *err);

/* Writes m to path atomically (afile.h): the old file stays on failure.
 * 0 or -1 with err set. */
int tl_tlm_save(const struct tl_tlm *m, const char *path, struct tl_err *err);

/* The model as one msgpack map into buf (msgpack_sbuffer_init'ed by the
 * caller, who frees it with msgpack_sbuffer_destroy), ending with its
 * checksum.  Keys in a fixed order, so equal models give equal bytes.
 * 0 or -1. */
int tl_tlm_pack(const struct tl_tlm *m, msgpack_sbuffer *buf, struct tl_err *err);

/* sha256 (64 hex digits) of tl_tlm_pack's bytes with the version tag and
 * creation date left empty: the content, for the default version tag. */
int tl_tlm_sha256(const struct tl_tlm *m, char hex[65], struct tl_err *err);

/* "linear"/"mlp", "none"/"l2"/"sqrt": names in the file; parse returns -1
 * when unknown. */
const char *tl_tlm_head_name(enum tl_tlm_head h);
const char *tl_tlm_norm_name(enum tl_tlm_norm n);
int tl_tlm_norm_parse(const char *s, enum tl_tlm_norm *out);

#endif
