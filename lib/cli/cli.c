/*
 * cli.c - diagnostics, exit statuses, usage errors, --help and --version
 * shared by every tool's main().
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
	fprintf(stderr, "%s: %s\n", prog, line);
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
tl_cli_usage_error(const char *usage, const char *fmt, ...)
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
	tl_cli_usage_error(usage, NULL);
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
