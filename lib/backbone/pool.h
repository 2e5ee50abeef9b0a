/*
 * pool.h - how a backbone's spatial map becomes a vector: the pooling
 * names of tl-embed --pool and the header's "pool", and the pooling
 * itself, shared by tl-embed (embed.c) and tl-classify's heat maps
 * (classify.c), which must pool exactly as the model's embeddings were.
 *
 * Ownership: nothing here allocates; the names are static strings.
 *
 * Not here: running the backbone (embed.h).
 */
#ifndef TL_POOL_H
#define TL_POOL_H

#include <stddef.h>

enum tl_pool { TL_POOL_NONE, TL_POOL_AVG, TL_POOL_MAX, TL_POOL_AVGMAX };

/* "avg", "max", "avgmax", "none" -> pool; -1 if unknown. */
int tl_pool_parse(const char *s, enum tl_pool *p);

/* The name tl_pool_parse reads (a static string). */
const char *tl_pool_name(enum tl_pool p);

/* in: map [hw,C] (NHWC, one image); out: v [C], each channel's mean over
 * the hw positions (summed in double; TL_POOL_AVG, and TL_POOL_NONE) or
 * its max (TL_POOL_MAX), or v [2C] for TL_POOL_AVGMAX: the means, then
 * the maxes.  hw >= 1. */
void tl_pool_map(enum tl_pool pool, const float *map, size_t hw, int nc, float *v);

#endif
