/*
 * cli.h - what every tool's main() shares: the diagnostic format, exit
 * statuses (stream.md), the bad-record budget (--max-bad, --strict), and
 * number parsing for options.
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
void tl_usage_error(const char *usage, const char *fmt, ...)
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

/* The bad-record budget of stream.md. */
struct tl_bad {
	long long seen;      /* records looked at (for the N% budget) */
	long long bad;       /* records dropped */
	long long max_bad;   /* tolerated count; -1: none given */
	double max_bad_frac; /* tolerated share (0..1); -1: none given */
	int strict;          /* stop at the first bad record */
};

void tl_bad_init(struct tl_bad *b);
/* Parses --max-bad's value: "N" or "N%".  -1 when malformed. */
int tl_bad_parse(struct tl_bad *b, const char *arg);
/* The same for an option value: a malformed one is a usage error. */
void tl_bad_opt(struct tl_bad *b, const char *usage, const char *arg);
/* Reports one bad record ("prog: subject: reason") and counts it; exits 1 at
 * once under --strict. */
void tl_bad_record(struct tl_bad *b, const char *subject, const char *reason);
/* tl_bad_record for a stream record, named by its id, or "record N" (the
 * b->seen-th) when it has none. */
void tl_bad_rec(struct tl_bad *b, struct tl_rec *rec, const char *reason);
/* The exit status for the run: 0 if no bad record or within the budget. */
int tl_bad_status(const struct tl_bad *b);

/* Option numbers: whole value or usage error naming the option. */
long long tl_opt_int(const char *usage, const char *opt, const char *arg,
                     long long min, long long max);
double tl_opt_double(const char *usage, const char *opt, const char *arg,
                     double min, double max);

/* A progress line on stderr, only when stderr is a terminal. */
struct tl_progress {
	int on;
	double t0, last;
	long long done, total; /* total 0 when unknown */
};
void tl_progress_init(struct tl_progress *p, long long total);
void tl_progress_step(struct tl_progress *p, long long n);
void tl_progress_end(struct tl_progress *p);

#endif
