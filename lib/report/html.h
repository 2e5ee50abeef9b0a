/*
 * html.h - tl-report --html: an evaluation as one self-contained HTML page
 * (inline CSS, inline SVG charts from svg.h, thumbnails as data: URIs; no
 * script, no font, nothing fetched), written atomically (afile.h).  The
 * page holds the headline metrics, the confusion matrix as heat maps
 * (counts and row-normalised), per-class precision/recall/F1 bars, the
 * reliability diagram, confidence histograms of right and wrong verdicts,
 * coverage and accuracy by confidence threshold, the most confused pairs,
 * the top losses as thumbnails with their CAM heat maps, and, given a
 * history file, accuracy and per-class F1 over its evaluations.  A second
 * page type summarises a usage log (usage.h); a third, class coverage.
 *
 * Thumbnails: while the stream is read, a struct tl_shots keeps the image
 * (img or pix) and cam of the records with the n largest losses seen so
 * far, in a heap, so memory is n images whatever the stream's length; the
 * page decodes only those.
 *
 * Ownership: the caller owns everything passed in; tl_shots_free frees the
 * images kept.  Not here: computing metrics (metrics.h), the text report.
 */
#ifndef TL_HTML_H
#define TL_HTML_H

#include <stddef.h>

#include "core/err.h"
#include "core/rec.h"
#include "report/metrics.h"
#include "report/report.h"
#include "report/usage.h"

struct tl_shots;

/* Keeps up to n images; header is the stream's header ("preprocess" says
 * which part of an image the CAM covers; may be NULL).  NULL when out of
 * memory. */
struct tl_shots *tl_shots_new(int n, const struct tl_rec *header);
void tl_shots_free(struct tl_shots *sh); /* accepts NULL */

/* Offers rec, just kept by tl_evalset_add as record i of s: its image and
 * cam are copied when its loss is among the n largest so far (the order of
 * tl_eval's top losses).  0, or -1 when out of memory. */
int tl_shots_offer(struct tl_shots *sh, const struct tl_evalset *s, size_t i, struct tl_rec *rec);

/* The evaluation page.  history: a history file to plot (NULL: none);
 * shots: NULL for no thumbnails.  -1 with err when path cannot be written
 * (the old file is then left). */
int tl_html_report(const char *path, const struct tl_report_meta *m, const struct tl_eval *ev,
                   const struct tl_evalset *s, struct tl_shots *shots, const char *history,
                   struct tl_err *err);

/* The class coverage page (a stream without verdicts). */
int tl_html_coverage(const char *path, const struct tl_report_meta *m,
                     const struct tl_evalset *s, struct tl_err *err);

/* The usage page: volume per day, per predicted class and per model, the
 * unknown rate per day.  name: the log's name; bad: its bad lines. */
int tl_html_usage(const char *path, struct tl_usage *u, const char *name, long long bad,
                  struct tl_err *err);

#endif
