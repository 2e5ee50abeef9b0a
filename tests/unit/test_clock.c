/*
 * test_clock.c - core/clock: $SOURCE_DATE_EPOCH read once for every tool,
 * as a table of (value, status, time): unset and empty give the current
 * time; decimal digits give themselves; anything else (a sign, a blank,
 * an exponent, trailing text, past year 9999, past long long) is refused
 * with a message naming the variable and leaves *out alone.
 */
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "t.h"

static void
test_table(void)
{
	static const struct {
		const char *name, *value;
		int rc;
		long long want; /* -1: the current time */
	} cases[] = {
		{ "unset", NULL, 0, -1 },
		{ "empty", "", 0, -1 },
		{ "zero", "0", 0, 0 },
		{ "plain", "1700000000", 0, 1700000000 },
		{ "leading-zero", "0042", 0, 42 },
		{ "year-9999", "253402300799", 0, 253402300799LL },
		{ "past-9999", "253402300800", -1, 0 },
		{ "negative", "-5", -1, 0 },
		{ "plus", "+5", -1, 0 },
		{ "blank", " 5", -1, 0 },
		{ "trailing", "12x", -1, 0 },
		{ "exponent", "1e9", -1, 0 },
		{ "word", "abc", -1, 0 },
		{ "overflow", "99999999999999999999", -1, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tl_err err = { "" };
		time_t t = (time_t)-7, before = time(NULL);
		int rc;
		char name[64];
		if (cases[i].value)
			setenv("SOURCE_DATE_EPOCH", cases[i].value, 1);
		else
			unsetenv("SOURCE_DATE_EPOCH");
		rc = tl_clock_now(&t, &err);
		snprintf(name, sizeof name, "%s-rc", cases[i].name);
		T_EQ_INT(name, rc, cases[i].rc);
		snprintf(name, sizeof name, "%s-time", cases[i].name);
		if (cases[i].rc < 0)
			T_OK(name, t == (time_t)-7 && strstr(err.msg, "SOURCE_DATE_EPOCH: '") == err.msg);
		else if (cases[i].want < 0)
			T_OK(name, t >= before && t <= time(NULL));
		else
			T_EQ_INT(name, (long long)t, cases[i].want);
	}
	setenv("SOURCE_DATE_EPOCH", "12x", 1);
	{
		struct tl_err err;
		time_t t;
		tl_clock_now(&t, &err);
		T_EQ_STR("message", err.msg,
		         "SOURCE_DATE_EPOCH: '12x' is not a number of seconds from 0 to 253402300799");
	}
	unsetenv("SOURCE_DATE_EPOCH");
}

int
main(void)
{
	test_table();
	T_DONE();
}
