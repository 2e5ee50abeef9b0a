/*
 * walk.h - the sources of tl-ingest, read one file at a time: a directory
 * tree, an archive (anything libarchive reads: tar and its compressions, zip,
 * 7z, cpio, rar, iso), a file list ("path[TAB label]" per line), or a single
 * image file.  Each item is an image's bytes with the names the stream needs.
 *
 * Order: a directory's and a list's items come sorted by id (byte order);
 * they are listed first (paths only) and read one by one.  An archive's
 * members come in archive order, in one streaming pass: sorting them would
 * mean holding them, or decompressing the archive once per member.
 *
 * Naming: for a directory, id is the path relative to the root and label the
 * first folder under it (a file directly in the root has none); for an
 * archive, id is the member path (a leading "./" or "/" removed), label by
 * the same rule; for a list, id is the path as written and label the text
 * after the TAB.  opts->label replaces every label.  src is the path opened,
 * or archive!member.  In directories and archives only names with an image
 * extension are taken (case-insensitive: jpg jpeg jpe jfif png gif webp tif
 * tiff heic heif avif); hidden names (starting with '.') and __MACOSX/ are
 * skipped; symbolic links to files are followed, links to directories not.
 * A list names its files explicitly: every line is taken.
 *
 * Memory: the sorted path list of a directory or list, plus one buffer that
 * grows to the largest file read.
 *
 * Not here: decoding (image.h), records (ingest.h).
 */
#ifndef TL_WALK_H
#define TL_WALK_H

#include <stddef.h>

#include "err.h"

struct tl_walk;

struct tl_walk_opts {
	const char *label; /* every item's label, or NULL: from the path */
	size_t max_bytes;  /* a larger file is a bad item */
};

/* One image file.  Every pointer is owned by the walk and valid until the
 * next tl_walk_next or tl_walk_close. */
struct tl_item {
	const char *id;
	const char *src;
	const char *label; /* NULL when none */
	const unsigned char *data;
	size_t len;
};

/* Opens the source path; list != 0 reads it as a file list ("-": stdin).
 * NULL with err set when the path cannot be opened or listed. */
struct tl_walk *tl_walk_open(const char *path, int list, const struct tl_walk_opts *o,
                             struct tl_err *err);

/* The next item.  1: *it is filled; 0: the source is done; -1: one bad item
 * (unreadable file, broken archive member, too large): it->src names it and
 * err says why; call again for the rest.  After a fatal archive error the
 * next call returns 0. */
int tl_walk_next(struct tl_walk *w, struct tl_item *it, struct tl_err *err);

/* Items the source will yield, when known in advance (directory, list,
 * file); -1 for an archive. */
long long tl_walk_count(const struct tl_walk *w);

void tl_walk_close(struct tl_walk *w); /* accepts NULL */

#endif
