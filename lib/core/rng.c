/*
 * rng.c - xoshiro256** (Blackman and Vigna, 2018) seeded with splitmix64;
 * see rng.h.  Deliberately tiny: no normal deviates, no jump functions.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/hash.h"
#include "core/rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
tl_rng_seed(struct tl_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

void
tl_rng_seed_id(struct tl_rng *r, uint64_t seed, const char *id, uint64_t k)
{
	uint64_t h = tl_hash_fnv1a64(id ? id : "", id ? strlen(id) : 0), x;

	x = seed;
	x = splitmix64(&x) ^ h;
	x = splitmix64(&x) ^ k;
	tl_rng_seed(r, splitmix64(&x));
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
tl_rng_u64(struct tl_rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double
tl_rng_unit(struct tl_rng *r)
{
	return (double)(tl_rng_u64(r) >> 11) * 0x1.0p-53;
}

double
tl_rng_range(struct tl_rng *r, double lo, double hi)
{
	double u = tl_rng_unit(r);

	return lo >= hi ? lo : lo + (hi - lo) * u;
}

double
tl_rng_normal(struct tl_rng *r)
{
	/* Box-Muller, one of the pair: 1 - u is in (0, 1], so log is finite */
	double u = 1 - tl_rng_unit(r), v = tl_rng_unit(r);

	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}
