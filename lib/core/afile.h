/*
 * afile.h - a file that appears whole or not at all: written under a
 * temporary name in the same directory, renamed onto its name on commit,
 * removed on abort.  A reader never sees half a file, and a failed run leaves
 * the old file in place.  Not fsync'ed: the rename makes the file appear
 * whole, not durable across a power cut.  A path that names an existing
 * device, FIFO or socket (/dev/null, /dev/stdout, a named pipe) is written
 * in place instead: renaming onto it would replace it with a regular file.
 *
 * Not here: what is written (the caller's FILE), directories.
 */
#ifndef TL_AFILE_H
#define TL_AFILE_H

#include <stdio.h>

#include "core/err.h"

struct tl_afile;

/* Creates the temporary file beside path (".NAME.XXXXXX", mode 0666 less the
 * umask, like fopen), or opens path itself when it is neither a regular file
 * nor a directory.  NULL with err set ("path: reason").  End it with
 * tl_afile_commit or tl_afile_abort, which free it. */
struct tl_afile *tl_afile_open(const char *path, struct tl_err *err);

/* The stream to write to; owned by the afile. */
FILE *tl_afile_fp(struct tl_afile *a);

/* Flushes, closes and renames onto the path.  -1 with err set when any write
 * failed (the temporary file is removed then).  Frees a. */
int tl_afile_commit(struct tl_afile *a, struct tl_err *err);

/* Closes and removes the temporary file; frees a.  Accepts NULL. */
void tl_afile_abort(struct tl_afile *a);

#endif
