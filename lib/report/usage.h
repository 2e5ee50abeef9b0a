/*
 * usage.h - what a deployed model was asked: the verdicts of bulk
 * identification (tl-bulk's database, read as the JSON Lines its earlier
 * shell version logged: one object per identification with
 * "time", "id", "sha256", "model", "pred", "conf", "ood"), summed up as
 * volume per day, per predicted class and per model version, the
 * distribution of confidence and the unknown rate over time (tl-report
 * --usage).
 *
 * "time" is ISO 8601 text starting YYYY-MM-DD (the day is those ten
 * characters, so give UTC) or a number of seconds since 1970 (UTC day);
 * "pred" is required; "conf" and "model" are optional ("model" may be a
 * string or an object with "version" or "name"); "reject" (optional: "ood",
 * "conf" or null) says why an "unknown" was rejected, and the summary
 * counts the unknowns by it.  Memory: a tally per day,
 * class and model, and one double per line (for the quantiles).
 *
 * Not here: reading the file (cmd/tl-report.c hands lines over).
 */
#ifndef TL_USAGE_H
#define TL_USAGE_H

#include <stdio.h>

#include "core/err.h"

struct tl_usage;

struct tl_usage *tl_usage_new(void); /* NULL when out of memory */
void tl_usage_free(struct tl_usage *u); /* accepts NULL */

/* Counts one line s[0..len).  TL_OK counted; 1 blank; TL_SKIP a bad line
 * (err says why); TL_NOMEM out of memory (err.h). */
int tl_usage_add(struct tl_usage *u, const char *s, size_t len, struct tl_err *err);

/* One tally, as tl_usage_rows gives them. */
struct tl_usage_row {
	const char *key;      /* the day (YYYY-MM-DD), predicted class or model; owned by u */
	long long n, unknown; /* identifications, of which "unknown" */
	double mean_conf;     /* NaN when none had a conf */
};

enum tl_usage_by { TL_USAGE_DAY, TL_USAGE_CLASS, TL_USAGE_MODEL };

/* The tallies per day (in date order), per predicted class (most frequent
 * first) or per model (by name) into *rows[*n]: malloc'd, the caller frees
 * the array (not the keys).  -1 when out of memory. */
int tl_usage_rows(struct tl_usage *u, enum tl_usage_by by, struct tl_usage_row **rows, size_t *n);
/* Identifications in all, and of them "unknown". */
void tl_usage_totals(const struct tl_usage *u, long long *n, long long *unknown);

/* The unknowns by reason: [TL_REJECT_N] indexed by metrics.h's enum
 * tl_reject, owned by u. */
const long long *tl_usage_why(const struct tl_usage *u);

/* The accuracy people's reviews give the verdicts of model on day
 * (tl-bulk's reviews table): reviewed verdicts, of them not "unknown"
 * (accepted), of those right (correct).  0, or -1 when out of memory. */
int tl_usage_add_review(struct tl_usage *u, const char *model, const char *day,
                        long long reviewed, long long accepted, long long correct);

/* The summary as text (with the reviews' accuracy when there are any); bad is the number of bad lines, for the top line. */
void tl_usage_text(FILE *f, struct tl_usage *u, const char *name, long long bad);

#endif
