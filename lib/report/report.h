/*
 * report.h - an evaluation (metrics.h) as an aligned plain-text report or
 * as JSON with stable keys (tl-report(1) documents both), the class
 * coverage table, and the --assert conditions checked against either.
 *
 * Everything is written to a FILE the caller owns; write errors show in
 * ferror(f).  Not here: computing (metrics.c), history files (history.h).
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stdio.h>

#include "core/err.h"
#include "report/metrics.h"

#define TL_REPORT_FORMAT 1 /* the "tl_report" key of the JSON form */

/* Facts about the run, shown beside the metrics. */
struct tl_report_meta {
	const char *model;     /* the classifier's version or name; "" unknown */
	const char *file;      /* the classifier's file name (header "classifier" "name"); "" unknown */
	const char *backbone;  /* the header's model name; "" unknown */
	const char *name;      /* what the data is called: the folder tl-ingest read, else
	                        * the input file's name; "" unknown (the HTML headline) */
	const char *date;      /* ISO 8601 UTC, seconds */
	const char *dataset;   /* tl_evalset_sha256 */
	const char *ood_label; /* NULL: none */
	long long records;     /* data records read */
	long long unlabelled, bad;
	long long min_count;   /* class coverage: the cutoff */
};

enum {
	TL_REPORT_RECORDS = 1, /* JSON: the per-record list (id, label, pred, conf) */
	TL_REPORT_HISTORY = 2, /* JSON: one line, without the per-record tables */
};

/* An evaluation as text (f: stdout). */
void tl_report_text(FILE *f, const struct tl_report_meta *m, const struct tl_eval *ev,
                    const struct tl_evalset *s);
/* ... as one JSON object and a newline; flags TL_REPORT_*. */
void tl_report_json(FILE *f, const struct tl_report_meta *m, const struct tl_eval *ev,
                    const struct tl_evalset *s, int flags);

/* Class coverage (a stream without verdicts): counts per class against
 * m->min_count, as text or JSON. */
void tl_coverage_text(FILE *f, const struct tl_report_meta *m, const struct tl_evalset *s);
void tl_coverage_json(FILE *f, const struct tl_report_meta *m, const struct tl_evalset *s,
                      int flags);

/* The summary of predictions (a stream of verdicts without labels):
 * counts per predicted class, the unknowns by reason, confidence
 * quantiles, the records to review first; text or one JSON object. */
void tl_report_predictions_text(FILE *f, const struct tl_report_meta *m,
                                const struct tl_summary *sum, const struct tl_evalset *s);
void tl_report_predictions_json(FILE *f, const struct tl_report_meta *m,
                                const struct tl_summary *sum, const struct tl_evalset *s);

enum tl_op { TL_OP_GE, TL_OP_LE, TL_OP_GT, TL_OP_LT, TL_OP_EQ };

/* --assert 'NAME[CLASS]OPVALUE', e.g. "accuracy>=0.93", "recall[bees]>=0.9". */
struct tl_assert {
	const char *text;   /* as given (not copied) */
	char name[64];
	char cls[256];      /* "" without [CLASS] */
	enum tl_op op;
	double value;
};

/* Parses text into a.  -1 with err when it is not NAME[CLASS]OP NUMBER
 * (the names are checked when evaluated). */
int tl_assert_parse(const char *text, struct tl_assert *a, struct tl_err *err);

/* Checks a against an evaluation (ev) or class coverage (ev NULL: names
 * "n", "classes_below", "count[CLASS]").  1 holds; 0 fails, err saying
 * "accuracy>=0.93: accuracy is 0.91" or why it cannot be evaluated. */
int tl_assert_check(const struct tl_assert *a, const struct tl_eval *ev,
                    const struct tl_evalset *s, long long min_count, struct tl_err *err);

#endif
