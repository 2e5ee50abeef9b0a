/*
 * html.h - tl-report --html: an evaluation as one self-contained HTML page
 * (inline CSS, inline SVG charts from svg.h, thumbnails as data: URIs; no
 * script, no font, nothing fetched), written atomically (afile.h).  The
 * page's title and <h1> say what was measured ("hymenoptera/val —
 * mobilenetv2 head: accuracy 90.8% (87.0–93.6%)": struct tl_report_meta's
 * name, the model, the text report's accuracy and interval), a headline of
 * boxes says it again with the records counted (for verdicts without
 * labels, the counts per predicted class instead); the tool's version is
 * in the footer.  The page holds the headline metrics, the confusion
 * matrix as heat maps (counts and row-normalised), per-class
 * precision/recall/F1 bars, the reliability diagram, confidence histograms
 * of right and wrong verdicts, coverage and accuracy by confidence
 * threshold, the most confused pairs, the top losses as thumbnails with
 * their CAM heat maps (a grid of equal cells, each image in a 160 px box,
 * the caption under them), and, given a
 * history file, accuracy and per-class F1 over its evaluations.  A second
 * page type summarises a usage log (usage.h); a third, class coverage.
 *
 * The top losses' images come from a struct tl_shots (shots.h), filled
 * while the stream is read.
 *
 * Ownership: the caller owns everything passed in; nothing is returned but
 * the file.  Not here: computing metrics (metrics.h), the text report.
 */
#ifndef TL_HTML_H
#define TL_HTML_H

#include <stddef.h>

#include "core/err.h"
#include "core/rec.h"
#include "report/history.h"
#include "report/metrics.h"
#include "report/report.h"
#include "report/shots.h"
#include "report/usage.h"

/* The evaluation page.  history: a history file to plot (NULL: none);
 * shots: NULL for no thumbnails.  -1 with err when path cannot be written
 * (the old file is then left). */
int tl_html_report(const char *path, const struct tl_report_meta *m, const struct tl_eval *ev,
                   const struct tl_evalset *s, struct tl_shots *shots, const char *history,
                   struct tl_err *err);

/* The class coverage page (a stream without verdicts). */
int tl_html_coverage(const char *path, const struct tl_report_meta *m,
                     const struct tl_evalset *s, struct tl_err *err);

/* The summary of predictions page (verdicts without labels): counts per
 * predicted class, the unknowns by reason, confidence quantiles and the
 * records to review first, as report.h's text gives them. */
int tl_html_predictions(const char *path, const struct tl_report_meta *m,
                        const struct tl_summary *sum, const struct tl_evalset *s,
                        struct tl_err *err);

/* The usage page: volume per day, per predicted class and per model, the
 * unknown rate per day.  name: the log's name; bad: its bad lines. */
int tl_html_usage(const char *path, struct tl_usage *u, const char *name, long long bad,
                  struct tl_err *err);

/* The comparison of methods (tl-report --methods): their accuracies as
 * headline boxes, a table (backbone, split, n, accuracy and its interval,
 * log loss, seconds to prepare and to train) and a bar chart of accuracy
 * with the intervals.  title: the page's title and <h1>. */
int tl_html_methods(const char *path, const char *title, const struct tl_history_method *rows,
                    int n, struct tl_err *err);

#endif
