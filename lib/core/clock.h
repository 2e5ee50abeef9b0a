/*
 * clock.h - the time a tool stamps on what it writes (a model's creation
 * date, an evaluation's date): $SOURCE_DATE_EPOCH when it is set, so that
 * two runs write the same bytes (reproducible-builds.org's convention),
 * else the current time.  One reading of the variable for every tool: a
 * malformed value is an error, never silently replaced by the clock.
 *
 * Ownership: nothing is allocated.  Not here: formatting dates (the tools
 * strftime the UTC time they get).
 */
#ifndef TL_CLOCK_H
#define TL_CLOCK_H

#include <time.h>

#include "core/err.h"

#define TL_CLOCK_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

/* *out = $SOURCE_DATE_EPOCH when set and not empty (decimal seconds since
 * 1970, 0 to TL_CLOCK_MAX), else time(NULL).  -1 with err ("SOURCE_DATE_EPOCH:
 * ...") when it is set to anything else; *out is then untouched. */
int tl_clock_now(time_t *out, struct tl_err *err);

#endif
