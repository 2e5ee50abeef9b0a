/*
 * dups.h - which images are the same picture: groups of records that share a
 * sha256, a "group" name given upstream, or a phash within a few bits
 * (near-duplicates: re-encoded, resized, slightly cropped copies).
 *
 * Grouping is transitive (union-find): a~b and b~c put a, b and c together
 * even when a and c are far apart.  The phash comparison is a plain scan of
 * every pair, O(n^2) popcounts (about 0.5 s for 20,000 records), so no index
 * has to be kept; exact duplicates and upstream names are found by sorting.
 *
 * Ownership: nothing here allocates for the caller: items and rep are the
 * caller's, and nothing is kept after a call.
 *
 * Not here: what a group means for the split (split.h), reading records.
 */
#ifndef TL_DUPS_H
#define TL_DUPS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* One record as grouping sees it; the pointers are the caller's. */
struct tl_dup_item {
	uint64_t phash;
	int has_phash;
	const unsigned char *sha256; /* 32 bytes, or NULL */
	const char *group;           /* a "group" name from upstream, or NULL */
};

/* Groups items[0..n): on return rep[i] is the smallest index of i's group
 * (rep[i] == i for the first member and for a record alone).  maxdist < 0
 * leaves phash out (sha256 and group names still join).  -1 when out of
 * memory.  rep is the caller's array of n. */
int tl_dups_group(const struct tl_dup_item *items, size_t n, int maxdist, size_t *rep,
                  struct tl_err *err);

/* Calls fn(ctx, i, j, distance) for every pair i < j of items that are
 * duplicates by content: the same sha256 (distance: their phash distance, 0
 * without phash), or both phashes within maxdist bits.  Pairs come in order
 * of i, then j; nothing is stored, so a million pairs cost no memory.  fn
 * returns TL_OK, or TL_STOP or TL_NOMEM (err.h) to end the walk, which then
 * returns that value; else the number of pairs. */
long long tl_dups_pairs(const struct tl_dup_item *items, size_t n, int maxdist,
                        int (*fn)(void *ctx, size_t i, size_t j, int distance), void *ctx);

#endif
