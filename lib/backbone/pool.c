/*
 * pool.c - pooling names and a map pooled into a vector (pool.h).  One
 * loop for tl-embed and tl-classify: the heat maps' pooled vector must be
 * the embedding's bit for bit, so the sum runs in double in one order.
 */
#include <float.h>
#include <string.h>

#include "backbone/pool.h"

static const char *const pool_names[] = { "none", "avg", "max", "avgmax" };

int
tl_pool_parse(const char *s, enum tl_pool *p)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, pool_names[i]) == 0) {
			*p = (enum tl_pool)i;
			return 0;
		}
	return -1;
}

const char *
tl_pool_name(enum tl_pool p)
{
	return pool_names[p];
}

void
tl_pool_map(enum tl_pool pool, const float *map, size_t hw, int nc, float *v)
{
	for (int c = 0; c < nc; c++) {
		double s = 0;
		float mx = -FLT_MAX;
		for (size_t i = 0; i < hw; i++) {
			float x = map[i * (size_t)nc + (size_t)c];
			s += x;
			if (x > mx)
				mx = x;
		}
		if (pool == TL_POOL_MAX)
			v[c] = mx;
		else
			v[c] = (float)(s / (double)hw);
		if (pool == TL_POOL_AVGMAX)
			v[nc + c] = mx;
	}
}
