/*
 * progress.c - the progress line (progress.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
tl_progress_init(struct tl_progress *p, long long total)
{
	memset(p, 0, sizeof *p);
	p->on = isatty(STDERR_FILENO);
	p->total = total;
	p->t0 = p->last = now();
}

void
tl_progress_step(struct tl_progress *p, long long n)
{
	double t, rate;

	p->done += n;
	if (!p->on || (t = now()) - p->last < 0.2)
		return;
	p->last = t;
	rate = p->done / (t - p->t0 > 1e-9 ? t - p->t0 : 1e-9);
	if (p->total > 0)
		fprintf(stderr, "\r%s: %lld/%lld (%3.0f%%) %.1f images/s ", tl_cli_prog(), p->done,
		    p->total, 100.0 * p->done / p->total, rate);
	else
		fprintf(stderr, "\r%s: %lld %.1f images/s ", tl_cli_prog(), p->done, rate);
}

void
tl_progress_end(struct tl_progress *p)
{
	if (p->on && p->done > 0)
		fprintf(stderr, "\r\033[K");
}
