/*
 * split.h - train/val/test assignment for a whole dataset, stratified by
 * label, with duplicate groups kept in one split (tl-split(1)).
 *
 * Each group of records (a record alone, or a duplicate group from dups.h)
 * has a key: the smallest upstream "group" name among its members, or, when
 * none has one, its smallest id.  u = SipHash-2-4(seed, key) / 2^64 is a
 * uniform number in [0,1), and the group goes to the bin whose share of
 * [0,1) holds u (bins: train, val, test; or K folds and test).  That is a
 * pure function of (key, seed): adding or removing other records never moves
 * a record, and per-class counts are binomial around the ratio.  In exact
 * mode the bins are cut per class at the ranks of u instead, which meets the
 * ratio within one record per class and moves only records near the cuts.
 *
 * A record that comes with a split (a "split" of "train", "val" or "test",
 * e.g. from tl-ingest's split folders) keeps it unless resplit is set; so
 * does its duplicate group, whose other members take the split of its first
 * member that came with one.  A group whose members came with different
 * splits "straddles": each keeps its own, and the caller is told.
 *
 * The set holds every record it is given (memory: the whole dataset) and
 * gives them back in input order with "split" (and "group") set.
 *
 * Ownership: the set owns the records added to it and frees them; strings
 * given in the options stay the caller's and must outlive the set.
 *
 * Not here: reading and writing streams, printing (the caller gets counts and
 * groups and reports them; tl_split_write_* format them on a FILE).
 */
#ifndef TL_SPLIT_H
#define TL_SPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/rec.h"

/* Where a record ends up. */
enum tl_split_bin {
	TL_SPLIT_TRAIN,
	TL_SPLIT_VAL,
	TL_SPLIT_TEST,
	TL_SPLIT_HOLDOUT, /* a class under min_count, with holdout_small */
	TL_SPLIT_NONE,    /* passed through untouched: unlabelled or ignored */
	TL_SPLIT_DROPPED, /* a class under min_count: not written */
};
#define TL_SPLIT_NBINS 6

struct tl_split_opts {
	double frac[3];         /* train, val, test shares, summing to 1 */
	int folds, fold;        /* k-fold when folds is 2..64: fold `fold` is val, the
	                           other folds train, frac[2] a fixed test share */
	uint64_t seed;
	int dup_distance;       /* phash bits; -1: sha256 and group names only */
	long long min_count;    /* classes with fewer records are dropped */
	int holdout_small;      /* ... or put in TL_SPLIT_HOLDOUT */
	int exact;              /* cut at ranks: counts within 1 of the ratio */
	char *const *ignore;    /* labels passed through without a split */
	int nignore;
	int resplit;            /* assign records that came with a split too */
};

/* Per-class counts, indexed by enum tl_split_bin. */
struct tl_split_class {
	const char *label;       /* owned by the set */
	long long total;
	long long n[TL_SPLIT_NBINS];
};

struct tl_split;

/* "train", "val", "test", "holdout"; NULL for the others. */
const char *tl_split_name(enum tl_split_bin b);

/* Parses a ratio "70:15:15" or "80:20" (train:val[:test], any non-negative
 * numbers, scaled to sum 1) into frac.  -1 with err set when malformed. */
int tl_split_parse_ratio(const char *s, double frac[3], struct tl_err *err);

/* SipHash-2-4 of p[0..len) under the 128-bit key (k0, k1), k0 holding the
 * key's first 8 bytes read little-endian. */
uint64_t tl_split_siphash(uint64_t k0, uint64_t k1, const void *p, size_t len);

/* The uniform number in [0,1) of key under seed: the top 53 bits of
 * SipHash-2-4 keyed with (seed, "tl-split" read little-endian). */
double tl_split_u(uint64_t seed, const char *key, size_t len);

/* A new empty set; NULL when out of memory.  Free with tl_split_free. */
struct tl_split *tl_split_new(const struct tl_split_opts *o);
void tl_split_free(struct tl_split *s); /* accepts NULL */

/* Adds rec; handles one record of many (err.h).  TL_OK: the set owns rec
 * now.  TL_SKIP: a bad record (no string id, an id seen before, a label,
 * group, phash or sha256 of the wrong type; err says which); TL_NOMEM: out
 * of memory; after either the caller keeps rec. */
int tl_split_add(struct tl_split *s, struct tl_rec *rec, struct tl_err *err);

/* Assigns every record: classes under min_count, duplicate groups, bins;
 * sets "split" on assigned records and "group" (the group's key) on members
 * of groups of two or more.  Call once, after the last add.  -1 when out of
 * memory. */
int tl_split_run(struct tl_split *s, struct tl_err *err);

/* The records in input order: record i and its bin.  Owned by the set. */
size_t tl_split_count(const struct tl_split *s);
struct tl_rec *tl_split_rec(const struct tl_split *s, size_t i, enum tl_split_bin *bin);

/* Classes in label (byte) order, ignored labels excluded. */
size_t tl_split_nclasses(const struct tl_split *s);
const struct tl_split_class *tl_split_class(const struct tl_split *s, size_t i);

/* Records passed through: without a label, with an ignored label. */
void tl_split_passed(const struct tl_split *s, long long *unlabelled, long long *ignored);

/* Records assigned that kept the split they came with, and duplicate groups
 * whose members came with different splits. */
void tl_split_kept(const struct tl_split *s, long long *kept, long long *straddling);

/* Writes up to max lines, one per straddling group in input order:
 * "group KEY: came with different splits, each keeps its own: id (train)
 * id (val) ...", then "... and N more groups".  -1 on a write error. */
int tl_split_write_straddling(const struct tl_split *s, FILE *f, const char *prefix, int max);

/* Groups of two or more records: how many, and how many records in them. */
void tl_split_ngroups(const struct tl_split *s, long long *groups, long long *members);

/* Calls fn for every pair of assigned records that are duplicates by content
 * (tl_dups_pairs) with their ids; returns the number of pairs, or fn's
 * TL_STOP or TL_NOMEM, which end the walk. */
long long tl_split_pairs(const struct tl_split *s,
                         int (*fn)(void *ctx, const char *id, const char *other,
                                   int distance), void *ctx);

/* Writes the per-class table, one line per class and an "(all)" line, each
 * line starting with prefix (e.g. "tl-split: ").  -1 on a write error. */
int tl_split_write_table(const struct tl_split *s, FILE *f, const char *prefix);

/* Writes up to max lines, one per group in input order of its first member:
 * "group KEY: N records (split): id id ...", then "... and N more groups".
 * -1 on a write error. */
int tl_split_write_groups(const struct tl_split *s, FILE *f, const char *prefix, int max);

/* Sets the header key "split" describing o: {"train":f,"val":f,"test":f} or
 * {"folds":K,"fold":I,"test":f}, with "seed", "exact", "dup_distance",
 * "min_count".  -1 when out of memory. */
int tl_split_header(const struct tl_split_opts *o, struct tl_rec *h);

#endif
