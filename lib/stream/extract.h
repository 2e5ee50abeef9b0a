/*
 * extract.h - writing records' images back out as files: DIR/CLASS/NAME,
 * with CLASS the record's "label", else its "pred", else "unlabelled", and
 * NAME derived from its "id".
 *
 * The original encoded file ("img") is written byte for byte, its extension
 * sniffed from the magic bytes; failing that, the pixels ("pix", |u1
 * [H,W,C] with C 1..4, or [H,W]) are encoded as PNG with libvips.  Each file
 * is written to a temporary name in its directory and renamed into place, so
 * a reader never sees half a file; an existing file of the same name is
 * replaced.  Names cannot leave DIR: "/" and control characters become "_",
 * a leading "." becomes "_" (so no "..", no hidden files), and overlong
 * names are shortened with a hash of the id to stay distinct.
 *
 * Ownership: the extractor is the caller's (tl_extract_close); the path
 * tl_extract_put returns is the extractor's; tl_extract_ext's names are
 * static.
 *
 * Not here: decoding or resizing (image.h).
 */
#ifndef TL_EXTRACT_H
#define TL_EXTRACT_H

#include <stddef.h>

#include "core/err.h"
#include "core/rec.h"

struct tl_extract;

/* Creates dir if needed (and its parents) and starts libvips.  NULL with err
 * set when dir cannot be made or opened.  Free with tl_extract_close. */
struct tl_extract *tl_extract_open(const char *dir, struct tl_err *err);

/* Writes r's image; handles one record of many (enum tl_status, err.h).
 * TL_OK: written, *path (owned by x, valid until the next call) is where;
 * TL_SKIP: this record cannot be written (no id, no image, bad pixels), err
 * says why; TL_STOP: writing failed (disk full, permissions), err says why
 * and the caller should stop. */
int tl_extract_put(struct tl_extract *x, const struct tl_rec *r, const char **path,
                   struct tl_err *err);

void tl_extract_close(struct tl_extract *x); /* accepts NULL */

/* The file extension of the encoded image p[0..n) from its magic bytes:
 * "jpg", "png", "gif", "webp", "bmp", "tif", "heic", "avif", else "bin". */
const char *tl_extract_ext(const void *p, size_t n);

/* Writes the safe file name for s[0..len) into out (size >= 256; always
 * NUL-terminated, never empty, at most 240 bytes). */
void tl_extract_safe_name(char *out, const char *s, size_t len);

#endif
