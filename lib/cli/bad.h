/*
 * bad.h - the bad-record budget of stream.md: --max-bad N or N%, --strict,
 * each bad record reported as "prog: subject: reason" and counted.
 * Prints and exits (cli/, for cmd/ only); nothing here allocates.
 */
#ifndef TL_CLI_BAD_H
#define TL_CLI_BAD_H

#include "core/rec.h"

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

#endif
