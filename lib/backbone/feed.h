/*
 * feed.h - records' images turned into a network's input batches on decoding
 * threads, one batch ahead of the network.
 *
 * A feed holds two batches.  Records are added to the newer one and each is
 * decoded and prepared (prep.h) by a thread of the feed's pool as soon as it
 * is added, while the caller runs the network on the older one: decoding a
 * JPEG costs about as much as the network, so on two cores the two overlap
 * instead of adding up.  A JPEG is decoded straight to about the size the
 * largest input needs (image.h's min_side: libjpeg's shrink-on-load), and
 * backbones that crop alike (prep.h) share one crop.  With no threads the
 * record is prepared in tl_feed_add, in the caller's thread; the values are
 * the same either way (the same code on the same bytes).
 *
 * Order: batches come out in the order their records went in; inside a
 * batch record i is the i-th added.  A record whose image cannot be
 * prepared stays in its batch with an error (tl_feed_error) and zeros as
 * input, so the batch keeps its order and the caller reports it in place.
 *
 * Memory: two batches of records (copies) and two of inputs per part.
 *
 * Ownership: tl_feed_new's result is the caller's (tl_feed_free); records
 * and inputs handed out are the feed's, valid until tl_feed_next.
 *
 * Not here: the network (embed.h runs it), reading streams.
 */
#ifndef TL_FEED_H
#define TL_FEED_H

#include "backbone/prep.h"
#include "core/err.h"
#include "core/rec.h"
#include "data/image.h"

#define TL_FEED_MAX_PARTS 8

struct tl_feed;

/* nparts inputs, part k prepared as preps[k] (copied), batch records a
 * batch; threads decoding threads (0: none, tl_feed_add prepares);
 * img->max_pixels limits a decode (min_side is the feed's own).  NULL with
 * err when out of memory or the threads cannot start. */
struct tl_feed *tl_feed_new(const struct tl_prep *preps, int nparts, int batch, int threads,
                            const struct tl_image_opts *img, struct tl_err *err);
void tl_feed_free(struct tl_feed *f); /* accepts NULL; waits for its threads */

/* Queues a copy of rec to be prepared (one item, core/err.h): TL_OK, or
 * TL_NOMEM with err.  The caller adds only while !tl_feed_full. */
int tl_feed_add(struct tl_feed *f, const struct tl_rec *rec, struct tl_err *err);

/* 1 when both batches are full: the caller must take the older one (wait,
 * use, next) before adding more. */
int tl_feed_full(const struct tl_feed *f);

/* Records queued in both batches. */
int tl_feed_queued(const struct tl_feed *f);

/* Waits until every record of the older batch is prepared; its count (0:
 * nothing is queued). */
int tl_feed_wait(struct tl_feed *f);

/* The older batch after tl_feed_wait: part k's input [count][H][W][3]
 * float32, record i, and why record i could not be prepared (NULL when it
 * was; then its input is zeros). */
const float *tl_feed_input(const struct tl_feed *f, int k);
struct tl_rec *tl_feed_rec(const struct tl_feed *f, int i);
const char *tl_feed_error(const struct tl_feed *f, int i);

/* Drops the older batch: the newer one becomes the older. */
void tl_feed_next(struct tl_feed *f);

#endif
