/*
 * prefetch.h - a reader's records read ahead on a thread of their own.
 *
 * A tool that runs a network between reads (tl-embed, tl-classify) leaves
 * its input pipe unread meanwhile: the pipe holds 64 KiB, less than one
 * photo, so the tool before it (tl-ingest) stops too, and the two take
 * turns instead of working at once.  A prefetcher keeps reading, up to
 * depth records ahead, while the caller does something else.
 *
 * Records come out in the reader's order with its statuses (stream.h):
 * 1 a record, 0 the clean end, TL_STOP a broken stream (err as the reader
 * said it, at the point the reader said it: the records before it first).
 *
 * Memory: up to depth records besides the caller's.
 *
 * Ownership: the prefetcher borrows r: the caller must not use r (but for
 * tl_reader_header and tl_reader_name, which may change while it reads)
 * until tl_prefetch_free, and closes r after it.
 *
 * Not here: the stream itself (stream.h).
 */
#ifndef TL_PREFETCH_H
#define TL_PREFETCH_H

#include "core/err.h"
#include "core/rec.h"
#include "stream/stream.h"

struct tl_prefetch;

/* Starts reading r ahead, up to depth (>= 1) records.  NULL with err when
 * out of memory or the thread cannot start. */
struct tl_prefetch *tl_prefetch_new(struct tl_reader *r, int depth, struct tl_err *err);

/* The next record into rec, as tl_reader_next. */
int tl_prefetch_next(struct tl_prefetch *p, struct tl_rec *rec, struct tl_err *err);

/* Stops and frees p; accepts NULL.  Once the stream has ended (next gave 0
 * or TL_STOP) the thread has ended too; before, the thread may be blocked
 * in a read, so p and its thread are left to the process's exit. */
void tl_prefetch_free(struct tl_prefetch *p);

#endif
