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
 * archive, id is the member path without its empty and "." components (so
 * without a leading "/" or "./"), label by the same rule, and a member
 * whose path has a ".." component is a bad item, never taken under another
 * name; for a list, id is the path as written and label the text after the
 * TAB.  Split folders: in a directory or an archive, a top folder named
 * train, val, valid, validation or test (case-insensitive) is a split, not a
 * class: its items get split "train", "val" (for val, valid and validation)
 * or "test" and the label of the folder below it, none when an image lies
 * in the split folder itself; opts->no_split_folders turns this off (the
 * folder is then a label like any other).  opts->label replaces every label,
 * never a split.  src is the path opened, or
 * archive!member with the member path as the archive has it ("stdin" for an
 * archive on standard input).  In directories and archives only names with
 * an image extension are taken (case-insensitive: jpg jpeg jpe jfif png gif
 * webp tif tiff heic heif avif); hidden names (starting with '.') and
 * __MACOSX/ are skipped; symbolic links to files are followed, links to
 * directories not.  A list names its files explicitly: every line is taken.
 *
 * Streams: "-" is standard input, an archive when its first bytes are those
 * of an archive (tar and its compressions, zip, 7z, cpio, rar), a single file
 * ("stdin") when they hold a NUL byte, else a file list (text); a path that
 * is not a regular file (a pipe, /dev/stdin) is an archive or else a single
 * file.  Either is read once, in order: a zip
 * whose members only its central directory describes, or a 7z, needs a file.
 *
 * Reading: tl_walk_next gives an item's names and its first TL_WALK_HEAD
 * bytes, tl_walk_read the rest, so a caller can refuse a large file from
 * its first bytes without reading it.  A file larger than opts->max_bytes
 * is a bad item, refused before it is read when its size is known.
 *
 * Memory: the sorted path list of a directory or list, plus one buffer that
 * grows to the largest file read.
 *
 * Ownership: a walk is the caller's (tl_walk_close); an item's names and
 * bytes are the walk's, valid until the next tl_walk_next.
 *
 * Not here: decoding (image.h), records (ingest.h).
 */
#ifndef TL_WALK_H
#define TL_WALK_H

#include <stddef.h>

#include "core/err.h"

struct tl_walk;

#define TL_WALK_HEAD 4096 /* bytes tl_walk_next reads first (TL_IMAGE_HEAD) */

struct tl_walk_opts {
	const char *label;    /* every item's label, or NULL: from the path */
	size_t max_bytes;     /* a larger file is a bad item */
	const char *max_name; /* that limit's name in messages ("TL_MAX_RECORD") */
	int no_split_folders; /* top folders named train, val, ... are labels */
	unsigned shard;       /* with nshards > 1: only the items whose id */
	unsigned nshards;     /* tl_walk_shard() puts in shard (0 .. nshards-1) */
	int lazy;             /* tl_walk_next reads no bytes (it->data NULL, it->len
	                         0; a directory's or list's file is only stat'ed):
	                         a caller that knows the file by its size and
	                         mtime skips it unread; tl_walk_read reads it all */
};

/* One file.  Every pointer is owned by the walk and valid until the next
 * tl_walk_next or tl_walk_close. */
struct tl_item {
	const char *id;
	const char *src;
	const char *label;         /* NULL when none */
	const char *split;         /* "train", "val", "test" from a split folder, or NULL */
	const char *note;          /* NULL, or a warning about the item's top folder,
	                              once per folder (ROOT/F, or archive!F): images
	                              directly in a split folder; a label that is a
	                              split name with no_split_folders; a class folder
	                              beside split folders (from the first split
	                              folder on, in an archive) */
	const unsigned char *data; /* the first bytes, or all after tl_walk_read */
	size_t len;
	long long size; /* the size the file or member declares; -1: unknown */
	long long mtime; /* its modification time in ns since 1970 (a file's
	                    stat, an archive member's header); -1: unknown */
};

/* Opens the source path; list != 0 reads it as a file list ("-": stdin),
 * list == 0 as a directory, archive or single file ("-": stdin, an archive
 * or a file list).  NULL with err set when the path cannot be opened or
 * listed. */
struct tl_walk *tl_walk_open(const char *path, int list, const struct tl_walk_opts *o,
                             struct tl_err *err);

/* Opens the archive buf[0..len), named name in src; buf must outlive the
 * walk.  For tests and fuzzing: the same member walk as a file's. */
struct tl_walk *tl_walk_open_mem(const void *buf, size_t len, const char *name,
                                 const struct tl_walk_opts *o, struct tl_err *err);

/* The next item, with its first TL_WALK_HEAD bytes in it->data (fewer when
 * it is shorter); handles one item of many (err.h).  1: *it is filled; 0:
 * the source is done; TL_SKIP: one bad item (unreadable file, broken archive
 * member, a ".." member path): it->src names it and err says why; call
 * again for the rest; TL_NOMEM: out of memory (it->src may not be set).
 * After a fatal archive error the next call returns 0. */
int tl_walk_next(struct tl_walk *w, struct tl_item *it, struct tl_err *err);

/* Reads the rest of the current item: it->data, it->len are then the whole
 * file.  TL_OK, TL_SKIP when it is larger than opts->max_bytes (refused
 * before reading when it->size says so) or cannot be read (err says why),
 * or TL_NOMEM. */
int tl_walk_read(struct tl_walk *w, struct tl_item *it, struct tl_err *err);

/* Items the source will yield, when known in advance (directory, list,
 * file); -1 for an archive. */
long long tl_walk_count(const struct tl_walk *w);

/* Of those, the items a split folder gives split (walk.h's names: "train",
 * "val", "test"): 0 for a list or a single file; -1 for an archive. */
long long tl_walk_count_split(const struct tl_walk *w, const char *split);

void tl_walk_close(struct tl_walk *w); /* accepts NULL */
/* The shard (0 .. nshards-1) of an item id: a hash of the id alone, so an
 * item lands in the same shard whatever else its source holds, on any
 * machine and in every version (splitmix64's finaliser over FNV-1a 64 of
 * the id, modulo nshards).  Items outside opts->shard are skipped before
 * they are read, and not counted by tl_walk_count; an archive's members are
 * still passed over in the one pass.  "tl-ingest --shard K/N". */
unsigned tl_walk_shard(const char *id, unsigned nshards);

/* n bytes for a message, into buf: "2000 bytes", "1 GiB", "1.2 GiB". */
void tl_walk_bytes(char *buf, size_t cap, unsigned long long n);

#endif
