/*
 * history.h - evaluations over time: appending one to a history file (JSON
 * Lines, one evaluation per line, as report.h writes them with
 * TL_REPORT_HISTORY), reading its evaluations back (for the HTML page's
 * charts), comparing two evaluations (tl-report --compare), and tabling
 * several methods' evaluations (tl-report --methods).  All reading of the
 * file's JSON is here.
 *
 * The append rewrites the whole file: old content plus the new line go to a
 * temporary file that is renamed over the old one (afile.h), so a reader
 * never sees half a line and a failed run leaves the old file.  Two runs
 * appending at the same moment may lose one entry (the last rename wins).
 *
 * Ownership: the caller owns what it passes in and the points it hands to
 * tl_history_read; nothing is allocated for the caller.
 *
 * Not here: computing or printing one evaluation (metrics.h, report.h),
 * plotting the history (html.c).
 */
#ifndef TL_HISTORY_H
#define TL_HISTORY_H

#include <stdio.h>

#include "core/err.h"

/* Appends line[0..len) (one JSON object ending in a newline) to path,
 * creating it.  -1 with err. */
int tl_history_append(const char *path, const char *line, size_t len, struct tl_err *err);

#define TL_HISTORY_MAXF1 10 /* classes whose F1 a point holds */

/* One evaluation of a history file; a number that is absent is NaN. */
struct tl_history_point {
	char name[48];            /* "model", or else "date", or else "?" (cut at 47 bytes) */
	double acc, lo, hi;       /* metrics.accuracy's value and 95% interval */
	double macro_f1;          /* metrics.macro_f1's value */
	double f1[TL_HISTORY_MAXF1]; /* per_class[classes[c]].f1, c < nc */
};

/* The last max evaluations of the history file path (lines whose "kind" is
 * "evaluation"; other lines are skipped) into pts[0..*n), oldest first;
 * f1[c] of classes[0..nc), nc <= TL_HISTORY_MAXF1.  -1 with err when the
 * file cannot be read. */
int tl_history_read(const char *path, const char *const *classes, int nc,
                    struct tl_history_point *pts, int max, int *n, struct tl_err *err);

/* Prints what changed from evaluation a to b (files holding a --json
 * output, or a history file: its last line) on f: model and dataset,
 * headline metrics, per class, and the records that flipped between right
 * and wrong (when both hold "records").  -1 with err when a file cannot be
 * read or is not an evaluation. */
int tl_history_compare(FILE *f, const char *a, const char *b, struct tl_err *err);

/* One method of a comparison (tl-report --methods, pipelines/compare.mk):
 * what its evaluation (a tl-report --json file) says, and the seconds its
 * preparation (embedding, augmentation) and training took.  A number that
 * is absent is NaN. */
struct tl_history_method {
	char name[64];            /* cut at 63 bytes */
	char split[16];           /* what was evaluated: "test", "val" */
	char backbone[128];       /* the evaluation's "backbone" */
	long long n;              /* counts.evaluated */
	double acc, lo, hi;       /* metrics.accuracy, its 95% interval */
	double logloss;           /* metrics.log_loss */
	double majority;          /* metrics.baseline: the majority class's accuracy */
	double prepare, train;    /* seconds */
};

#define TL_HISTORY_MAXMETHODS 64

/* The comparison listed in the file `list`: one line per method, 5 fields
 * separated by tabs, NAME, SPLIT, REPORT.json, PREPARE seconds, TRAIN
 * seconds; rows[0..*n) in its order.  -1 with err naming the file and line
 * (a line of another shape, a number that is not one, more than
 * TL_HISTORY_MAXMETHODS lines, none) or the report that cannot be read or
 * is not an evaluation. */
int tl_history_methods(const char *list, struct tl_history_method *rows, int *n,
                       struct tl_err *err);

/* The comparison as a text table on f: method, split, n, accuracy, its 95%
 * interval, log loss, prepare and train seconds. */
void tl_history_methods_text(FILE *f, const struct tl_history_method *rows, int n);

#endif
