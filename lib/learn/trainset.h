/*
 * trainset.h - the labelled embeddings tl-train learns from, gathered from
 * a stream record by record: each record's use (train, val, or counted and
 * ignored), its embedding, label, id and holdout group; then the sorted
 * class list and, when the stream has no val split, a stratified holdout.
 *
 * The holdout is a function of (seed, group): the same stream and seed
 * give the same split.  Memory: the whole training set, as floats.
 *
 * Ownership: a struct tl_trainset owns everything it points to (the
 * strings and arrays marked owned below); tl_trainset_new returns one the
 * caller frees with tl_trainset_free.  Nothing here prints or exits.
 *
 * Not here: reading the stream (cmd/tl-train.c), the fitting (train.h).
 */
#ifndef TL_TRAINSET_H
#define TL_TRAINSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rec.h"

enum tl_use { TL_USE_TRAIN, TL_USE_VAL, TL_USE_TEST, TL_USE_UNLABELLED, TL_USE_OTHER };

struct tl_trainset {
	size_t n, cap;       /* records kept (train and val) */
	int dim;             /* D, fixed by the first embedding */
	float *x;            /* [n,D] embeddings as read */
	int fdim;            /* F: floats of "emb_frozen" each record must
	                      * have (maps of several backbones, set before
	                      * the first add); 0: none read */
	float *xf;           /* [n,F] the frozen parts' pooled features */
	int *y;              /* [n] class index into classes (after finish) */
	char **label;        /* [n] labels, owned */
	char **id;           /* [n] ids, owned */
	char **group;        /* [n] holdout group: "of" (augmented copies) or id */
	unsigned char *val;  /* [n] 0 train, 1 val, 2 unused (an augmented
	                      * copy of an original held out for val) */
	long long ignored[TL_USE_OTHER + 1]; /* counts of test, unlabelled, other */
	int nclass;          /* after finish */
	char **classes;      /* [nclass] sorted (strcmp), owned */
	int held_out;        /* 1 when finish made val from train */
	long long *count;    /* [nclass * 2]: train, val per class (after finish) */
};

struct tl_trainset *tl_trainset_new(void); /* NULL when out of memory; free below */
void tl_trainset_free(struct tl_trainset *ts); /* accepts NULL */

/* Looks at one record of many (err.h): keeps it (returns its use, TRAIN or
 * VAL) when it has a label, a split of "train" or "val" (no split counts as
 * train) and an "emb"; counts and ignores it (returns TEST, UNLABELLED or
 * OTHER) when its split is test (or anything else) or it has no label.
 * TL_SKIP with err for a bad record: no id, no emb, emb not a tensor or
 * holding a NaN or an infinity (tl_rec_tensor), emb size differing from the
 * first one's; with fdim, no emb_frozen of fdim finite values.  TL_STOP
 * with err (which says to run tl-embed first) for an image record (img or
 * pix, no emb) before any record was kept: the stream is tl-ingest's, not
 * tl-embed's.  TL_NOMEM with err when out of memory. */
int tl_trainset_add(struct tl_trainset *ts, const struct tl_rec *rec, struct tl_err *err);

/* After the last add: sorts the class list, indexes labels, and when no
 * record is val, moves a stratified share `holdout` of each class's train
 * groups to val (groups whose (seed, group) hash is smallest; a class keeps
 * at least one train group), setting held_out.  -1 with err when fewer than
 * two classes or no train record remain, or when a class has val records
 * but no train record (err names every such class). */
int tl_trainset_finish(struct tl_trainset *ts, double holdout, uint64_t seed, struct tl_err *err);

/* sha256 (64 hex digits + NUL into hex) of the sorted ids of the train
 * records, one per line. */
void tl_trainset_ids_sha256(const struct tl_trainset *ts, char hex[65]);

#endif
