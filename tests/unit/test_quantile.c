/*
 * test_quantile.c - core/quantile: sorting and the type-7 quantile, as a
 * table of (sample, q, expected) with values worked out by hand (NumPy's
 * np.quantile gives the same), including the ends, one element, ties and an
 * unsorted sample put through tl_quantile_sort.
 */
#include <math.h>

#include "core/quantile.h"
#include "t.h"

static void
test_table(void)
{
	static const struct {
		const char *name;
		double x[6];
		size_t n;
		double q, want;
	} cases[] = {
		{ "median-even", { 1, 2, 3, 4 }, 4, 0.5, 2.5 },
		{ "median-odd", { 1, 2, 7 }, 3, 0.5, 2 },
		{ "low-tail", { 1, 2, 3, 4 }, 4, 0.025, 1.075 },
		{ "high-tail", { 1, 2, 3, 4 }, 4, 0.975, 3.925 },
		{ "q0-min", { -3, 0, 5 }, 3, 0, -3 },
		{ "q1-max", { 1, 2, 3, 4 }, 4, 1, 4 },
		{ "one-element", { 0.7 }, 1, 0.9, 0.7 },
		{ "ties", { 2, 2, 2, 5 }, 4, 0.5, 2 },
		{ "p10-of-6", { 0, 1, 2, 3, 4, 5 }, 6, 0.1, 0.5 },
		{ "p90-of-6", { 0, 1, 2, 3, 4, 5 }, 6, 0.9, 4.5 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		T_NEAR(cases[i].name, tl_quantile(cases[i].x, cases[i].n, cases[i].q), cases[i].want,
		       1e-12, 0);
	T_OK("empty-nan", isnan(tl_quantile(NULL, 0, 0.5)));
}

static void
test_sort(void)
{
	double x[7] = { 0.9, -1, 0.5, 3, 0.5, -7, 2 };
	static const double want[7] = { -7, -1, 0.5, 0.5, 0.9, 2, 3 };
	int ok = 1;

	tl_quantile_sort(x, 7);
	for (int i = 0; i < 7; i++)
		ok &= x[i] == want[i];
	T_OK("sort-ascending", ok);
	T_NEAR("sorted-median", tl_quantile(x, 7, 0.5), 0.5, 0, 0);
	T_NEAR("sorted-p75", tl_quantile(x, 7, 0.75), 1.45, 1e-12, 0);
	tl_quantile_sort(x, 0); /* no element: nothing to do, no crash */
	T_OK("sort-empty", x[0] == -7);
}

int
main(void)
{
	test_table();
	test_sort();
	T_DONE();
}
