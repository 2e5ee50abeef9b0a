/*
 * clock.c - $SOURCE_DATE_EPOCH or the current time (clock.h).  The value
 * must be all decimal digits (strtoll's leading blanks and sign are
 * refused), at most year 9999 so that gmtime_r can always break it down.
 *
 * Not here: dates inside the data (report/usage.c reads the log's "time").
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"

int
tl_clock_now(time_t *out, struct tl_err *err)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (e == NULL || *e == '\0') {
		*out = time(NULL);
		return 0;
	}
	errno = 0;
	v = strtoll(e, &end, 10);
	if (!isdigit((unsigned char)*e) || *end != '\0' || errno != 0 || v > TL_CLOCK_MAX)
		return tl_err_set(err, "SOURCE_DATE_EPOCH: '%.64s' is not a number of seconds from 0 to %lld",
		                  e, TL_CLOCK_MAX);
	*out = (time_t)v;
	return 0;
}
