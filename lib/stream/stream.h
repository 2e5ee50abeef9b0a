/*
 * stream.h - reading and writing tl record streams (stream.md, tl-stream(5)).
 *
 * A stream is header, records, trailer, possibly repeated (`cat a b` is a
 * stream).  The reader hands the caller data records one at a time and deals
 * with headers and trailers itself: it checks each trailer's count, reports a
 * stream that ends without its trailer as truncated, and merges the headers of
 * later segments into the first (their "classes" and "model" must agree).
 * Before any byte is unpacked the reader measures the next msgpack object
 * against hard limits (record size, element counts, nesting), so hostile input
 * costs at most one record's worth of memory and never crashes.
 *
 * The writer writes the header when opened, the trailer when closed; a tool
 * that fails half-way must not close (tl_writer_abort), so its reader sees a
 * truncated stream instead of a silently short one.
 *
 * Ownership: a reader is the caller's (tl_reader_close), a writer too
 * (tl_writer_close or tl_writer_abort, which free it); the header and name a
 * reader returns are the reader's; a FILE given to tl_reader_open_file or
 * tl_writer_open stays the caller's to close; tl_rec_pack's buffer is the
 * caller's.
 *
 * Not here: what any key means (each tool), record editing (rec.h).
 */
#ifndef TL_STREAM_H
#define TL_STREAM_H

#include <stdio.h>

#include "core/err.h"
#include "core/rec.h"

#define TL_STREAM_VERSION 1
#define TL_MAX_RECORD_DEFAULT ((size_t)1 << 30) /* bytes; TL_MAX_RECORD overrides */
#define TL_MAX_DEPTH 32                          /* nesting of maps/arrays */

struct tl_reader;
struct tl_writer;

/* Opens a reader over the files paths[0..n) read one after the other ("-" is
 * stdin; n == 0 means stdin alone) and reads the first header.  NULL with err
 * set when a file cannot be opened or the input does not start with a header
 * ("empty input" when there is no byte at all).  Free with tl_reader_close. */
struct tl_reader *tl_reader_open(char *const *paths, int n, struct tl_err *err);

/* Same over one FILE the caller opened (and closes, after tl_reader_close). */
struct tl_reader *tl_reader_open_file(FILE *f, const char *name, struct tl_err *err);

/* The next data record, into rec (cleared first).  Returns 1 for a record, 0 at
 * the clean end of all input, TL_STOP (err.h) on a broken stream: err says
 * which file and what (truncated, count mismatch, malformed, header conflict,
 * out of memory) and the caller stops reading. */
int tl_reader_next(struct tl_reader *r, struct tl_rec *rec, struct tl_err *err);

/* The merged header seen so far (owned by the reader). */
const struct tl_rec *tl_reader_header(const struct tl_reader *r);

/* Name of the input currently read ("-" shown as "stdin"), for messages. */
const char *tl_reader_name(const struct tl_reader *r);

void tl_reader_close(struct tl_reader *r); /* accepts NULL */

/* Merges header src into dst: keys absent from dst are added; "classes" and
 * "model" present in both must be equal (-1 with a reason otherwise). */
int tl_header_merge(struct tl_rec *dst, const struct tl_rec *src, struct tl_err *err);

/* Makes a header record for tool `producer` ("tl-ingest 0.1"): {"tl":1,
 * "producer":...}, then copies the keys of `from` (a reader's header, or NULL)
 * that a later tool still needs.  0 or -1. */
int tl_header_init(struct tl_rec *h, const char *producer, const struct tl_rec *from);

/* A header's advisory record counts (tl-stream(5)): "expect", the data
 * records a stream is expected to hold, and "expect_train", how many of
 * them have split "train".  Estimates for progress lines: the trailer's
 * "end" is the only count a reader may trust. */
#define TL_HEADER_EXPECT "expect"
#define TL_HEADER_EXPECT_TRAIN "expect_train"

/* The count under key in header h, or -1 when h has none (or one that is
 * not a whole number from 0 to 2^53). */
long long tl_header_expect(const struct tl_rec *h, const char *key);

/* Sets key to n in header h, or removes it when n < 0.  0, or -1 when out
 * of memory. */
int tl_header_set_expect(struct tl_rec *h, const char *key, long long n);

/* Opens a writer on f (not closed by the writer) and writes header h (which
 * must hold "tl").  Refuses a terminal: a binary stream is never written to a
 * tty.  NULL with err set. */
struct tl_writer *tl_writer_open(FILE *f, const char *name, const struct tl_rec *h,
                                 struct tl_err *err);

/* Writes one data record.  -1 on a write error; errno is EPIPE when the reader
 * went away (tools then end quietly, see cli.h). */
int tl_writer_put(struct tl_writer *w, const struct tl_rec *rec, struct tl_err *err);

/* Writes the trailer {"tl":1,"end":N}, flushes, frees w.  -1 on error. */
int tl_writer_close(struct tl_writer *w, struct tl_err *err);

/* Frees w without a trailer (the stream reads as truncated downstream). */
void tl_writer_abort(struct tl_writer *w);

/* Records written so far. */
unsigned long long tl_writer_count(const struct tl_writer *w);

/* Packs one record (a map) to a msgpack byte buffer; used by writers and by
 * tools that hash or size records.  Caller frees buf->data (msgpack_sbuffer). */
int tl_rec_pack(const struct tl_rec *r, msgpack_sbuffer *buf);

/* The bytes tl_rec_pack writes for r, counted without packing it. */
uint64_t tl_rec_packed_size(const struct tl_rec *r);

/* The largest record readers accept: TL_MAX_RECORD when it is a whole number
 * of bytes >= 1024, else TL_MAX_RECORD_DEFAULT.  Writers that can drop a
 * record (tl-ingest) check against it, so that what they write is read. */
size_t tl_max_record(void);

/* Measures the msgpack object at p[0..len): returns its size in bytes, 0 when
 * more bytes are needed, -1 when malformed or over the limits (err says why). */
long long tl_msgpack_measure(const unsigned char *p, size_t len, size_t max_bytes,
                             struct tl_err *err);

#endif
