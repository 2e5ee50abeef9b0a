/*
 * progress.c - the progress lines (progress.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static double
now(void)
{
	static double fake = -1, reads;
	struct timespec ts;
	const char *s;

	if (fake < 0)
		fake = (s = getenv("TL_PROGRESS_CLOCK")) && *s ? atof(s) : 0;
	if (fake > 0)
		return fake * reads++;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* "m:ss", or "h:mm:ss" from an hour on */
static void
duration(char *buf, size_t size, double sec)
{
	long long s = (long long)(sec + 0.5);

	if (s >= 3600)
		snprintf(buf, size, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%lld:%02lld", s / 60, s % 60);
}

int
tl_progress_format(char *buf, size_t size, const char *unit, long long done, long long total, double elapsed)
{
	char count[64], rate[64] = "", when[64] = "", d[32];
	double r = elapsed > 0 ? done / elapsed : 0;

	if (total > 0)
		snprintf(count, sizeof count, "%lld/%lld (%.0f%%)", done, total,
		    done >= total ? 100.0 : (double)(100 * done / total));
	else
		snprintf(count, sizeof count, "%lld %s%s", done, unit, done == 1 ? "" : "s");
	if (done > 0 && elapsed > 0) {
		if (r >= 1)
			snprintf(rate, sizeof rate, "%s%.1f %ss/s", total > 0 ? " " : ", ", r, unit);
		else
			snprintf(rate, sizeof rate, "%s%.1f s/%s", total > 0 ? " " : ", ", 1 / r, unit);
		if (total > 0 && done >= total) {
			duration(d, sizeof d, elapsed);
			snprintf(when, sizeof when, ", done in %s", d);
		} else if (total > 0) {
			duration(d, sizeof d, (total - done) / r);
			snprintf(when, sizeof when, ", %s left", d);
		}
	}
	return snprintf(buf, size, "%s%s%s", count, rate, when);
}

void
tl_progress_init_unit(struct tl_progress *p, long long total, const char *unit)
{
	const char *s = getenv("TL_PROGRESS");

	memset(p, 0, sizeof *p);
	p->on = s && *s ? strcmp(s, "0") != 0 : isatty(STDERR_FILENO);
	p->unit = unit;
	p->total = total;
	if (p->on)
		p->t0 = p->last = now();
}

void
tl_progress_init(struct tl_progress *p, long long total)
{
	tl_progress_init_unit(p, total, "image");
}

void
tl_progress_init_expect(struct tl_progress *p, long long expect)
{
	tl_progress_init(p, expect > 0 ? expect : 0);
	p->estimate = expect > 0;
}

/* One line, one write(2): lines of two tools never mix.  An estimated total
 * reached before the end is no total: the stream may hold more. */
static void
put(struct tl_progress *p, double t, int end)
{
	long long total = p->total;
	char line[256];
	int n;

	if (p->estimate && !end && p->done >= total)
		total = 0;
	n = snprintf(line, sizeof line, "%s: %s%s", tl_cli_prog(), p->what ? p->what : "",
	    p->what ? " " : "");
	tl_progress_format(line + n, sizeof line - 1 - (size_t)n, p->unit, p->done, total,
	    t - p->t0);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return; /* progress is a courtesy: a closed stderr stops nothing */
	p->printed = 1;
	p->shown = p->done;
	p->closed = total > 0 && p->done >= total;
}

void
tl_progress_step(struct tl_progress *p, long long n)
{
	double t;

	p->done += n;
	if (!p->on || (t = now()) - p->last < TL_PROGRESS_EVERY)
		return;
	p->last = t;
	put(p, t, 0);
}

void
tl_progress_end(struct tl_progress *p)
{
	/* after an estimate, a line that did not say "done in" is closed by
	   one that does, so the count there was is on screen */
	if (!p->on || !p->printed ||
	    (p->estimate ? p->closed || p->done == 0 : p->shown == p->done))
		return;
	if (p->done > 0) /* the end: all there was, whatever the total said */
		p->total = p->done;
	put(p, now(), 1);
}
