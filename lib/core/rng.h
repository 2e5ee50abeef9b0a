/*
 * rng.h - a small explicit-state pseudo-random generator (xoshiro256**,
 * seeded through splitmix64), so that tools draw reproducible numbers with
 * no hidden state: the caller owns a struct tl_rng and passes it along.
 *
 * tl_rng_seed_id derives a stream from (seed, id, k): the same triple gives
 * the same numbers on every machine, in any record order and any number of
 * processes; that is how per-record randomness stays a pure function of the
 * record (style.md).  Not cryptographic; not for sharing between threads.
 * Nothing here allocates: the struct tl_rng is the caller's.
 */
#ifndef TL_RNG_H
#define TL_RNG_H

#include <stdint.h>

struct tl_rng {
	uint64_t s[4];
};

/* Seeds r from one 64-bit value. */
void tl_rng_seed(struct tl_rng *r, uint64_t seed);

/* Seeds r from (seed, id, k): id is hashed (FNV-1a 64) and mixed with seed
 * and k through splitmix64.  id may be NULL (treated as ""). */
void tl_rng_seed_id(struct tl_rng *r, uint64_t seed, const char *id, uint64_t k);

uint64_t tl_rng_u64(struct tl_rng *r);
/* Uniform in [0, 1), 53 bits. */
double tl_rng_unit(struct tl_rng *r);
/* Uniform in [lo, hi]; lo when lo >= hi. */
double tl_rng_range(struct tl_rng *r, double lo, double hi);
/* Standard normal (mean 0, variance 1), from two draws (Box-Muller). */
double tl_rng_normal(struct tl_rng *r);

#endif
