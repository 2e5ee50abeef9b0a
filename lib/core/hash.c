/*
 * hash.c - FNV-1a 64 (hash.h): offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3, one byte at a time (xor, then multiply).
 */
#include "core/hash.h"

uint64_t
tl_hash_fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}
