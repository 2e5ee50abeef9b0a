/*
 * hash.h - FNV-1a 64 (Fowler, Noll, Vo): a fast, non-cryptographic hash of
 * bytes.  Its values are part of tl's output, so they must never change:
 * tl-cat -x names extracted files with it and tl_rng_seed_id derives
 * per-record seeds from it.  tl-cat's tally table hashes with it too.
 *
 * Not here: content hashes (SHA-256, in data/), keyed hashes (SipHash, in
 * data/split.c).  Nothing is allocated.
 */
#ifndef TL_HASH_H
#define TL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of p[0..n): "" -> 0xcbf29ce484222325, "a" -> 0xaf63dc4c8601ec8c. */
uint64_t tl_hash_fnv1a64(const void *p, size_t n);

#endif
