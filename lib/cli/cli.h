/*
 * cli.h - what every tool's main() shares: the diagnostic format, exit
 * statuses (stream.md), usage errors, --help and --version; it includes the
 * rest of cli/ (bad.h: the bad-record budget, --max-bad and --strict;
 * opt.h: option numbers; progress.h: the progress line), so a tool includes
 * this one header.
 *
 * The tool's name is set once by tl_cli_init and never changes; it is the only
 * process-wide state, as with err(3)'s progname.  Everything here may print and
 * exit: it is for cmd/, never for the rest of lib/.  Nothing here returns
 * memory to free: tl_cli_prog's name points into argv[0], and the structs
 * (tl_bad, tl_progress) are the caller's.
 */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <stdio.h>

#include "core/err.h"
#include "core/rec.h"
#include "core/version.h"
#include "cli/bad.h"
#include "cli/opt.h"
#include "cli/progress.h"

enum {
	TL_EXIT_OK = 0,
	TL_EXIT_DATA = 1,  /* bad records or a broken stream */
	TL_EXIT_USAGE = 2, /* bad flags, missing model file */
	TL_EXIT_CHECK = 3, /* a check the user asked for failed */
};

/* Sets the name used in messages (basename of argv0); ignores SIGPIPE so a
 * closed reader shows up as EPIPE, which tl_cli_write_failed turns into a
 * quiet exit. */
void tl_cli_init(const char *argv0);
const char *tl_cli_prog(void);

/* "prog: message\n" on stderr. */
void tl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, then exit(status). */
void tl_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Usage error: prints msg (if any), the usage line and "Try 'prog --help'"
 * on stderr, exits 2. */
void tl_cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* --help: "usage: USAGE\n\nHELP" on stdout; --version: "prog VERSION".
 * Both close stdout (checked) and exit 0. */
void tl_cli_help(const char *usage, const char *help) __attribute__((noreturn));
void tl_cli_version(void) __attribute__((noreturn));

/* -h/--help and -V/--version, the same in every tool: its getopt string ends
 * in "hV", its long options hold { "help", no_argument, NULL, 'h' } and
 * { "version", no_argument, NULL, 'V' }, and its option switch ends in
 *	default: tl_cli_opt(c, usage, help);
 * which prints the help ('h') or the version ('V') and exits 0, and makes
 * anything else (getopt's '?' or ':') a usage error, exit 2. */
void tl_cli_opt(int c, const char *usage, const char *help) __attribute__((noreturn));

/* After a failed write to stdout: exits 0 quietly when the reader went away
 * (EPIPE), else prints err and exits 1. */
void tl_cli_write_failed(const struct tl_err *err) __attribute__((noreturn));

/* Flushes and closes stdout, exiting 1 with a message if that fails. */
void tl_cli_close_stdout(void);

#endif
