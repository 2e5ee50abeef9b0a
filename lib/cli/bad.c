/*
 * bad.c - the bad-record budget (bad.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void
tl_bad_init(struct tl_bad *b)
{
	memset(b, 0, sizeof *b);
	b->max_bad = -1;
	b->max_bad_frac = -1;
}

int
tl_bad_parse(struct tl_bad *b, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno || v < 0 || !isfinite(v))
		return -1;
	if (strcmp(end, "%") == 0) {
		if (v > 100)
			return -1;
		b->max_bad_frac = v / 100;
		return 0;
	}
	if (*end != '\0' || v != floor(v) || v > 1e15)
		return -1;
	b->max_bad = (long long)v;
	return 0;
}

void
tl_bad_opt(struct tl_bad *b, const char *usage, const char *arg)
{
	if (tl_bad_parse(b, arg) < 0)
		tl_cli_usage_error(usage, "--max-bad: '%s' is not N or N%%", arg);
}

void
tl_bad_record(struct tl_bad *b, const char *subject, const char *reason)
{
	b->bad++;
	tl_warn("%s: %s", subject, reason);
	if (b->strict)
		tl_die(TL_EXIT_DATA, "stopping at the first bad record (--strict)");
}

void
tl_bad_rec(struct tl_bad *b, struct tl_rec *rec, const char *reason)
{
	const char *id = tl_rec_str(rec, "id");
	char where[64];

	if (id == NULL) {
		snprintf(where, sizeof where, "record %lld", b->seen);
		id = where;
	}
	tl_bad_record(b, id, reason);
}

int
tl_bad_status(const struct tl_bad *b)
{
	if (b->bad == 0)
		return TL_EXIT_OK;
	if (b->max_bad >= 0 && b->bad <= b->max_bad)
		return TL_EXIT_OK;
	if (b->max_bad_frac >= 0 && b->seen > 0 &&
	    (double)b->bad <= b->max_bad_frac * (double)b->seen)
		return TL_EXIT_OK;
	return TL_EXIT_DATA;
}
