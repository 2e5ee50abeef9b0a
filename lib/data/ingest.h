/*
 * ingest.h - one image file to one tl-ingest record (stream.md): id, src,
 * label, split (from a split folder, walk.h), sha256 of the file's bytes, width and height after EXIF orientation,
 * the 64-bit phash, and either the original bytes ("img") or decoded 8-bit
 * sRGB pixels ("pix", |u1 [H,W,3]) thumbnailed to a size.
 *
 * The ingest context remembers, for the whole run, the ids it has written
 * (an id must be unique in the stream) and the sha256 of every good image
 * (exact duplicates are dropped unless kept): hashes and names only, never an
 * image.  Memory: those sets plus one image's decode.  A record is measured
 * before it is handed back: one that readers would refuse (TL_MAX_RECORD) is
 * a bad item, not a stream that stops there.
 *
 * Ownership: the context is the caller's (tl_ingest_free); the record is
 * the caller's and filled in its own arena; the item is only read.
 *
 * Not here: where the bytes come from (walk.h), writing the stream, messages.
 */
#ifndef TL_INGEST_H
#define TL_INGEST_H

#include "core/err.h"
#include "core/rec.h"
#include "data/image.h"
#include "data/walk.h"

struct tl_ingest_opts {
	struct tl_image_opts image;
	int size;            /* 0: keep the original bytes in "img"; else "pix" */
	enum tl_fit fit;     /* how pix fits size x size */
	int keep_duplicates; /* write exact duplicates too */
	char *const *sets;   /* nsets string fields for every record, "KEY\0VALUE" each;
	                        a "split" here replaces the split folder's */
	int nsets;
	size_t max_record;   /* a record packing to more bytes is a bad item
	                        (tl_max_record(): what readers accept) */
};

struct tl_ingest;

/* A new context for one run; NULL when out of memory.  o is copied. */
struct tl_ingest *tl_ingest_new(const struct tl_ingest_opts *o, struct tl_err *err);
void tl_ingest_free(struct tl_ingest *g); /* accepts NULL */

/* Adds the "pix" header entry describing pix when o->size is set
 * ({"resize":"thumbnail","size":N,"crop":"centre"|"fit","space":"srgb"}).
 * 0 or -1 (out of memory). */
int tl_ingest_header(const struct tl_ingest_opts *o, struct tl_rec *h);

/* Makes the record of item it (the whole file) into rec (cleared first),
 * with the fields of o->sets; handles one item of many (err.h).  1: rec is
 * ready; 0: dropped as an exact duplicate, err says "duplicate of ID";
 * TL_SKIP: a bad image, a repeated id or a record larger than o->max_record
 * ("record of 1.2 GiB passes TL_MAX_RECORD (1 GiB)"), err says why;
 * TL_NOMEM: out of memory.  Only a record returned ready counts as written (its id and hash
 * are remembered).  it->data is only read. */
int tl_ingest_item(struct tl_ingest *g, const struct tl_item *it, struct tl_rec *rec,
                   struct tl_err *err);

#endif
