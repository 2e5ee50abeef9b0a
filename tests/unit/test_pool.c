/*
 * test_pool.c - lib/backbone/pool: small maps with known means and maxes
 * (negative maps, where a max starting at 0 would be wrong; a sum that
 * float would lose and double keeps), each pooling, and the names.
 */
#include <string.h>

#include "backbone/pool.h"
#include "t.h"

static const struct {
	const char *name;
	enum tl_pool pool;
	size_t hw;
	int nc;
	float map[6];               /* [hw, nc] */
	float want[4];              /* [nc], or [2 nc] for avgmax */
} cases[] = {
	{ "pool: avg 2x2", TL_POOL_AVG, 2, 2, { 1, 2, 3, -4 }, { 2, -1 } },
	{ "pool: max 2x2", TL_POOL_MAX, 2, 2, { 1, 2, 3, -4 }, { 3, 2 } },
	{ "pool: avgmax 2x2, means then maxes", TL_POOL_AVGMAX, 2, 2, { 1, 2, 3, -4 },
	  { 2, -1, 3, 2 } },
	{ "pool: none pools as avg", TL_POOL_NONE, 2, 2, { 1, 2, 3, -4 }, { 2, -1 } },
	{ "pool: max of negatives", TL_POOL_MAX, 3, 1, { -1, -2, -3 }, { -1 } },
	{ "pool: avgmax of negatives", TL_POOL_AVGMAX, 3, 1, { -3, -2, -1 }, { -2, -1 } },
	{ "pool: one position is the map", TL_POOL_AVGMAX, 1, 2, { 5, -6 }, { 5, -6, 5, -6 } },
	/* in float 1e8 + 1 - 1e8 is 0; summed in double it is 1 */
	{ "pool: summed in double", TL_POOL_AVG, 3, 1, { 1e8f, 1, -1e8f }, { 1.0f / 3 } },
	{ "pool: 3 positions, 2 channels", TL_POOL_AVG, 3, 2, { 0.5f, 1, 1.5f, 2, 2.5f, 6 },
	  { 1.5f, 3 } },
};

static void
test_map(void)
{
	char name[128];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		float v[4] = { 99, 99, 99, 99 };
		int nv = cases[i].pool == TL_POOL_AVGMAX ? 2 * cases[i].nc : cases[i].nc;
		tl_pool_map(cases[i].pool, cases[i].map, cases[i].hw, cases[i].nc, v);
		T_OK(cases[i].name, memcmp(v, cases[i].want, (size_t)nv * sizeof *v) == 0);
		snprintf(name, sizeof name, "%s: nothing written past v[%d]", cases[i].name, nv);
		T_OK(name, nv == 4 || v[nv] == 99);
	}
}

static void
test_names(void)
{
	const char *names[] = { "none", "avg", "max", "avgmax" };
	enum tl_pool p;
	char name[64];

	for (int i = 0; i < 4; i++) {
		p = (enum tl_pool)-1;
		snprintf(name, sizeof name, "pool: parse %s", names[i]);
		T_EQ_INT(name, tl_pool_parse(names[i], &p), 0);
		T_EQ_INT(name, p, i);
		snprintf(name, sizeof name, "pool: name %s", names[i]);
		T_EQ_STR(name, tl_pool_name((enum tl_pool)i), names[i]);
	}
	T_EQ_INT("pool: unknown name", tl_pool_parse("mean", &p), -1);
	T_EQ_INT("pool: empty name", tl_pool_parse("", &p), -1);
}

int
main(void)
{
	test_map();
	test_names();
	T_DONE();
}
