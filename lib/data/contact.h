/*
 * contact.h - a contact sheet: square tiles of equal size laid out in rows
 * on a white ground with a 4-pixel gap, written as one PNG, so a person can
 * look at many small pictures at once (tl-augment --preview).
 *
 * Memory: the sheet holds its pixels, rows x cols tiles; callers bound the
 * rows.  The file is written to a temporary name beside it and renamed, so
 * a reader never sees half a PNG.
 *
 * Ownership: the sheet is the caller's (tl_contact_free); tiles are copied.
 */
#ifndef TL_CONTACT_H
#define TL_CONTACT_H

#include "core/err.h"

#define TL_CONTACT_GAP 4 /* pixels between tiles */

struct tl_contact;

/* A sheet of cols tiles of tile x tile pixels per row, no rows yet.  NULL
 * with err set. */
struct tl_contact *tl_contact_new(int tile, int cols, struct tl_err *err);
void tl_contact_free(struct tl_contact *c); /* accepts NULL */

/* Starts a new row (blank).  0 or -1 (out of memory). */
int tl_contact_row(struct tl_contact *c, struct tl_err *err);
int tl_contact_rows(const struct tl_contact *c);

/* Copies pix ([tile][tile][3] u8) into column col of the last row. */
void tl_contact_put(struct tl_contact *c, int col, const unsigned char *pix);

/* Writes the sheet as PNG to path, atomically: width cols*tile +
 * (cols-1)*gap, height rows*tile + (rows-1)*gap.  0 or -1 (no row yet, or
 * the file cannot be written: err says why). */
int tl_contact_write(const struct tl_contact *c, const char *path, struct tl_err *err);

#endif
