/*
 * history.h - evaluations over time: appending one to a history file (JSON
 * Lines, one evaluation per line, as report.h writes them with
 * TL_REPORT_HISTORY), and comparing two evaluations (tl-report --compare).
 *
 * The append rewrites the whole file: old content plus the new line go to a
 * temporary file that is renamed over the old one (afile.h), so a reader
 * never sees half a line and a failed run leaves the old file.  Two runs
 * appending at the same moment may lose one entry (the last rename wins).
 *
 * Not here: computing or printing one evaluation (metrics.h, report.h).
 */
#ifndef TL_HISTORY_H
#define TL_HISTORY_H

#include <stdio.h>

#include "core/err.h"

/* Appends line[0..len) (one JSON object ending in a newline) to path,
 * creating it.  -1 with err. */
int tl_history_append(const char *path, const char *line, size_t len, struct tl_err *err);

/* Prints what changed from evaluation a to b (files holding a --json
 * output, or a history file: its last line) on f: model and dataset,
 * headline metrics, per class, and the records that flipped between right
 * and wrong (when both hold "records").  -1 with err when a file cannot be
 * read or is not an evaluation. */
int tl_history_compare(FILE *f, const char *a, const char *b, struct tl_err *err);

#endif
