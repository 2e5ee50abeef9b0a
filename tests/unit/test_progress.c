/*
 * test_progress.c - cli/progress: tl_progress_format's exact lines for a
 * known total, an unknown one, nothing done yet, a rate below one a second,
 * time left over an hour and a finished count; no terminal, no clock.
 */
#include "cli/cli.h"
#include "t.h"

static void
test_format(void)
{
	static const struct {
		const char *name, *unit;
		long long done, total;
		double elapsed;
		const char *want;
	} cases[] = {
		{ "known", "image", 120, 398, 2.66, "120/398 (30%) 45.1 images/s, 0:06 left" },
		{ "unknown", "image", 120, 0, 2.66, "120 images, 45.1 images/s" },
		{ "zero-known", "image", 0, 398, 0, "0/398 (0%)" },
		{ "one-unknown", "image", 1, 0, 0.5, "1 image, 2.0 images/s" },
		{ "zero-unknown", "image", 0, 0, 3, "0 images" },
		{ "over-an-hour", "image", 10, 10000, 10, "10/10000 (0%) 1.0 images/s, 2:46:30 left" },
		{ "slow", "epoch", 3, 10, 37.5, "3/10 (30%) 12.5 s/epoch, 1:28 left" },
		{ "almost", "image", 397, 398, 10, "397/398 (99%) 39.7 images/s, 0:00 left" },
		{ "done", "image", 398, 398, 8.6, "398/398 (100%) 46.3 images/s, done in 0:09" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char buf[256];
		tl_progress_format(buf, sizeof buf, cases[i].unit, cases[i].done,
		    cases[i].total, cases[i].elapsed);
		T_EQ_STR(cases[i].name, buf, cases[i].want);
	}
}

int
main(void)
{
	test_format();
	T_DONE();
}
