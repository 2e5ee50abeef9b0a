/*
 * cli.c - diagnostics, exit statuses, the bad-record budget, option numbers
 * and the progress line shared by every tool's main().
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static const char *prog = "tl"; /* set once by tl_cli_init */

void
tl_cli_init(const char *argv0)
{
	const char *s = strrchr(argv0, '/');

	prog = s ? s + 1 : argv0;
	signal(SIGPIPE, SIG_IGN);
}

const char *
tl_cli_prog(void)
{
	return prog;
}

static void
vwarn(const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof line, fmt, ap);
	/* one line per diagnostic, whatever the message held */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	/* on a terminal, wipe a progress line first so the message stands alone */
	fprintf(stderr, "%s%s: %s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", prog, line);
}

void
tl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
tl_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void
tl_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vwarn(fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "usage: %s\nTry '%s --help' for more information.\n", usage, prog);
	exit(TL_EXIT_USAGE);
}

void
tl_cli_help(const char *usage, const char *help)
{
	printf("usage: %s\n\n%s", usage, help);
	tl_cli_close_stdout();
	exit(TL_EXIT_OK);
}

void
tl_cli_version(void)
{
	printf("%s %s\n", prog, TL_VERSION);
	tl_cli_close_stdout();
	exit(TL_EXIT_OK);
}

void
tl_cli_opt(int c, const char *usage, const char *help)
{
	if (c == 'h')
		tl_cli_help(usage, help);
	if (c == 'V')
		tl_cli_version();
	tl_usage_error(usage, NULL);
}

void
tl_cli_write_failed(const struct tl_err *err)
{
	if (errno == EPIPE)
		exit(TL_EXIT_OK);
	tl_die(TL_EXIT_DATA, "%s", err ? err->msg : "write error");
}

void
tl_cli_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			exit(TL_EXIT_OK);
		tl_die(TL_EXIT_DATA, "stdout: %s", strerror(errno));
	}
	if (fclose(stdout) != 0 && errno != EPIPE)
		tl_die(TL_EXIT_DATA, "stdout: %s", strerror(errno));
}

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
		tl_usage_error(usage, "--max-bad: '%s' is not N or N%%", arg);
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

long long
tl_opt_int(const char *usage, const char *opt, const char *arg, long long min,
           long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE)
		tl_usage_error(usage, "%s: '%s' is not a whole number", opt, arg);
	if (v < min || v > max)
		tl_usage_error(usage, "%s: %lld is out of range [%lld, %lld]", opt, v, min, max);
	return v;
}

double
tl_opt_double(const char *usage, const char *opt, const char *arg, double min,
              double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v))
		tl_usage_error(usage, "%s: '%s' is not a number", opt, arg);
	if (v < min || v > max)
		tl_usage_error(usage, "%s: %g is out of range [%g, %g]", opt, v, min, max);
	return v;
}

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
		fprintf(stderr, "\r%s: %lld/%lld (%3.0f%%) %.1f images/s ", prog, p->done,
		    p->total, 100.0 * p->done / p->total, rate);
	else
		fprintf(stderr, "\r%s: %lld %.1f images/s ", prog, p->done, rate);
}

void
tl_progress_end(struct tl_progress *p)
{
	if (p->on && p->done > 0)
		fprintf(stderr, "\r\033[K");
}
